//! Benchmarks run as subcommands (`eightfold bench …`), printing figures as JSON.

pub mod lab_rewind;
pub mod long_run;
pub mod ring;
pub mod scale;

/// A memory figure of this process in KiB, from the `field` line (`VmRSS`, `VmHWM`) of
/// `/proc/self/status` (0 if unknown, as on systems other than Linux).
pub(crate) fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_figures_come_from_proc_status() {
        if cfg!(target_os = "linux") {
            let (rss, peak) = (super::proc_status_kb("VmRSS"), super::proc_status_kb("VmHWM"));
            assert!(rss > 0 && peak >= rss, "rss {rss} peak {peak}");
        }
        assert_eq!(super::proc_status_kb("NoSuchField"), 0);
        assert_eq!(super::proc_status_kb("VmRS"), 0, "a prefix of a field is not the field");
    }
}

//! `eightfold grade SUITE`: run a graded suite against a protocol and print its score
//! table, and for each failing test the seed, the command that replays it, its report and
//! the shrunk scenario.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Exit, Failure};
use crate::experiment::grade::{self, Job, SeedResult, Suite, TestScore};
use crate::experiment::shrink::{self, ShrinkOptions};
use crate::scenario::Scenario;
use crate::scenario::patch::Setting;

const HELP: &str = "\
A suite is a JSON file a teacher edits: a list of tests, each naming a scenario file (relative
to the suite file), its seeds, the checks every seed must pass and the points the test is worth
(all or nothing: every seed must pass every check):

  { \"title\": \"Raft lab\", \"protocol\": \"student\",
    \"tests\": [ { \"name\": \"election-leader-crash\", \"title\": \"a new leader after a crash\",
                 \"hint\": \"exercise 1, Raft paper section 5.2\",
                 \"scenario\": \"scenarios/leader-crash.json\", \"seeds\": [1, 2, 3],
                 \"checks\": [\"invariants\", \"liveness\"], \"points\": 10 } ] }

seeds: a list [1, 2, 3], a range \"1..20\" (inclusive) or {\"first\": 1, \"count\": 20}.
checks: linearizable, invariants, liveness (key-value runs), convergence (broadcast runs),
event_budget (every run). \"protocol\" (optional) replaces each scenario's cluster.protocol.

For each failing test the first failing seed gets a report (DIR/<test>/<scenario>-seed<N>/)
and is shrunk to a smaller scenario that still fails the same check (DIR/<test>/<name>-shrunk.json);
both commands to replay are printed. Tests of a --hidden suite are scored in the same table but
show only the check that failed, the seed and the replay command: no report, no shrunk scenario.

Exit code: 0 every test passed, 1 a test failed, 2 bad input (the suite, a scenario, a flag).";

#[derive(Args)]
#[command(after_long_help = HELP)]
pub(super) struct GradeArgs {
    /// The suite file.
    suite: PathBuf,
    /// A teacher's hidden suite, scored in the same table without showing its scenarios
    /// (repeatable).
    #[arg(long, value_name = "SUITE")]
    hidden: Vec<PathBuf>,
    /// Directory for the reports and shrunk scenarios of failing tests, and grade.json.
    #[arg(long, value_name = "DIR", default_value = "reports/grade")]
    out: PathBuf,
    /// Threads running simulations (default: one per core).
    #[arg(long)]
    jobs: Option<String>,
    /// Grade this registered protocol instead of the one the suite names.
    #[arg(long, value_name = "NAME")]
    protocol: Option<String>,
    /// Switch on a named protocol bug in every test (repeatable; see `eightfold bugs`): does
    /// the suite catch this mistake?
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Most simulation runs spent shrinking each failing test (0: do not shrink).
    #[arg(long, default_value_t = 60)]
    shrink_runs: usize,
}

/// A test ready to run: where it comes from and its scenario, loaded.
struct Loaded<'a> {
    test: &'a grade::Test,
    hidden: bool,
    file: PathBuf,
    /// The protocol the scenario was adapted to run on (`run --protocol`), for the replay
    /// command.
    retargeted: Option<String>,
    scenario: Scenario,
    text: String,
}

pub(super) fn grade(args: GradeArgs) -> Result<Exit, Failure> {
    let jobs = super::sweep::parse_jobs(args.jobs.as_deref())?;
    let read = |p: &Path| Suite::read(p).map_err(|e| Failure::input(e.to_string()));
    let mut suites = vec![(args.suite.clone(), read(&args.suite)?, false)];
    for h in &args.hidden {
        suites.push((h.clone(), read(h)?, true));
    }
    if let Some(p) = &args.protocol {
        registered(p).map_err(|e| Failure::input(format!("--protocol: {e}")))?;
    }
    super::out::dir("--out", &args.out)?;
    let mut loaded = Vec::new();
    for (file, suite, hidden) in &suites {
        let protocol = match (&args.protocol, &suite.protocol) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(p)) => {
                registered(p).map_err(|e| Failure::input(format!("{}: protocol: {e}", file.display())))?;
                Some(p.clone())
            }
            (None, None) => None,
        };
        for (i, test) in suite.tests.iter().enumerate() {
            let path = grade::scenario_path(file, test);
            let at = format!("{}: tests[{i}].scenario", file.display());
            if !path.is_file() {
                return Err(Failure::input(format!("{at}: no scenario file {}", path.display())));
            }
            let load = |sets: &[Setting]| {
                super::run::load(&path, sets).map_err(|f| Failure::input(format!("{at}: {}", f.message)))
            };
            let (mut scenario, mut text) = load(&[])?;
            // The protocol to grade replaces the scenario's own, adapted as `compare` and
            // `run --protocol` (which the replay command then uses) adapt it.
            let mut retargeted = None;
            if let Some(p) = protocol.as_ref().filter(|p| scenario.cluster.protocol.name() != p.as_str()) {
                let changes;
                (scenario, text, changes) = super::run::retarget(scenario, text, p, &at)?;
                if !*hidden && !changes.is_empty() {
                    println!(
                        "{}: adapted for {p} (`run --protocol` says why): {}",
                        test.name,
                        super::run::changes_in_brief(&changes)
                    );
                }
                retargeted = Some(p.clone());
            }
            super::run::with_bugs(&mut scenario, &args.bugs)?;
            let kv = scenario.cluster.protocol.capabilities().key_value;
            if let Some((j, c)) = test.checks.iter().enumerate().find(|(_, c)| !c.judges(kv)) {
                return Err(Failure::input(format!(
                    "{}: tests[{i}].checks[{j}]: a run of {} ({}) has no `{c}` check",
                    file.display(),
                    scenario.cluster.protocol,
                    if kv { "a key-value protocol" } else { "a broadcast protocol" }
                )));
            }
            loaded.push(Loaded { test, hidden: *hidden, file: path, retargeted, scenario, text });
        }
    }
    let runs: Vec<Job<'_>> = loaded
        .iter()
        .flat_map(|l| {
            l.test.seeds.0.iter().map(|&seed| Job { scenario: &l.scenario, seed, checks: &l.test.checks })
        })
        .collect();
    let main = &suites[0].1;
    let protocols: std::collections::BTreeSet<String> =
        loaded.iter().map(|l| l.scenario.cluster.protocol.to_string()).collect();
    println!(
        "grade {}{}: protocol {}, {} tests, {} runs",
        args.suite.display(),
        if main.title.is_empty() { String::new() } else { format!(" ({})", main.title) },
        protocols.into_iter().collect::<Vec<_>>().join(", "),
        loaded.len(),
        runs.len()
    );
    let started = std::time::Instant::now();
    let results = grade::run_jobs(&runs, jobs, &|_| {}).map_err(|e| Failure::internal(e.to_string()))?;
    let mut rest = results.as_slice();
    let mut scores = Vec::new();
    let mut per_test: Vec<&[SeedResult]> = Vec::new();
    for l in &loaded {
        let (mine, after) = rest.split_at(l.test.seeds.0.len());
        rest = after;
        scores.push(TestScore::of(l.test, l.hidden, mine));
        per_test.push(mine);
    }
    print!("{}", grade::table(&scores));
    let program = program();
    let mut records = Vec::new();
    for ((l, score), results) in loaded.iter().zip(&scores).zip(&per_test) {
        // What a hidden test's check saw stays out of grade.json too.
        let mut shown = score.clone();
        if let (true, Some((_, f))) = (l.hidden, shown.first_failure.as_mut()) {
            f.detail.clear();
        }
        let mut record = serde_json::json!({ "score": shown });
        if let Some((seed, failure)) = &score.first_failure {
            let files = explain(&args, &program, l, score, *seed, failure, results)?;
            if let Some(obj) = record.as_object_mut() {
                obj.extend(files);
            }
        }
        records.push(record);
    }
    let earned: u64 = scores.iter().map(|s| u64::from(s.earned)).sum();
    let total: u64 = scores.iter().map(|s| u64::from(s.points)).sum();
    let summary = serde_json::json!({
        "format": "eightfold-grade/1",
        "suite": args.suite.display().to_string(),
        "hidden": args.hidden.iter().map(|h| h.display().to_string()).collect::<Vec<_>>(),
        "bugs": args.bugs,
        "earned": earned,
        "points": total,
        "tests": records,
    });
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Failure::internal(e.to_string()))? + "\n";
    write_atomically(&args.out.join("grade.json"), json.as_bytes())
        .map_err(|e| Failure::internal(format!("writing {}: {e}", args.out.join("grade.json").display())))?;
    eprintln!(
        "graded {} runs in {:.2} s with {jobs} threads; wrote {}",
        runs.len(),
        started.elapsed().as_secs_f64(),
        args.out.join("grade.json").display()
    );
    Ok(if scores.iter().all(TestScore::passed) { Exit::Passed } else { Exit::CheckFailed })
}

/// The registered name `p`, or why it is not one.
fn registered(p: &str) -> Result<(), String> {
    let reg = crate::protocol::registry();
    match reg.name(p) {
        Some(_) => Ok(()),
        None => {
            Err(format!("no protocol is registered as {p:?} (this program knows {})", reg.names().join(", ")))
        }
    }
}

/// Prints what a failing test needs to be understood and fixed, writes its first failing
/// seed's report and shrunk scenario (not for a hidden test), and returns their paths for
/// grade.json.
fn explain(
    args: &GradeArgs,
    program: &str,
    l: &Loaded<'_>,
    score: &TestScore,
    seed: u64,
    failure: &grade::SeedFailure,
    results: &[SeedResult],
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let mut files = serde_json::Map::new();
    let hidden = if l.hidden { " (hidden)" } else { "" };
    println!();
    println!(
        "{}{hidden}: FAILED {}/{} seeds — {}",
        score.name,
        score.seeds - score.passed,
        score.seeds,
        score.title
    );
    if !l.test.hint.is_empty() {
        println!("  hint: {}", l.test.hint);
    }
    if l.hidden {
        println!("  seed {seed}: `{}` failed", failure.check);
    } else {
        println!("  seed {seed}: `{}` failed: {}", failure.check, failure.detail);
    }
    let mut replay = vec![program.to_string(), "run".into(), quote(&l.file.display().to_string())];
    if let Some(p) = &l.retargeted {
        replay.push("--protocol".into());
        replay.push(quote(p));
    }
    for b in &args.bugs {
        replay.push("--bug".into());
        replay.push(quote(b));
    }
    replay.extend(["--seed".to_string(), seed.to_string(), "--trace".to_string()]);
    let replay = replay.join(" ");
    println!("  replay: {replay}");
    files.insert("replay".into(), replay.into());
    let others: Vec<String> = results
        .iter()
        .filter(|r| r.failure.is_some() && r.seed != seed)
        .map(|r| r.seed.to_string())
        .collect();
    if !others.is_empty() {
        println!("  also failing: seeds {}", others.join(", "));
    }
    // A hidden test shows nothing of its scenario; a run that panicked would panic again
    // while its report is written (its replay command shows the panic).
    if l.hidden || failure.check == grade::PANIC {
        return Ok(files);
    }
    let dir = args.out.join(&score.name);
    let w = super::run::write_report(
        &l.scenario,
        &l.text,
        seed,
        &dir,
        false,
        Some(crate::runner::default_recording(&l.scenario)),
        true,
    )?;
    match &w.path {
        Ok(p) => {
            println!("  report: {}", p.join("index.html").display());
            files.insert("report".into(), p.display().to_string().into());
        }
        Err(why) => return Err(w.keep_outcome(why)),
    }
    if let Some(e) = w.charts {
        return Err(e);
    }
    if args.shrink_runs == 0 {
        return Ok(files);
    }
    let opts = ShrinkOptions { seed, check: Some(failure.check.clone()), max_runs: args.shrink_runs };
    match shrink::shrink(&l.scenario, &opts, &mut |_| {}) {
        Ok(shrunk) => {
            let path = dir.join(format!("{}.json", shrunk.scenario.name));
            write_atomically(&path, shrunk.text.as_bytes())
                .map_err(|e| Failure::internal(format!("writing {}: {e}", path.display())))?;
            let (a, b) = (&shrunk.log.original, &shrunk.log.minimal);
            println!(
                "  shrunk: {} (still fails `{}`: faults {} -> {}, clients {} -> {}, duration {} -> {}, {} runs)",
                path.display(),
                shrunk.log.check,
                a.faults,
                b.faults,
                a.clients,
                b.clients,
                a.duration,
                b.duration,
                shrunk.log.runs
            );
            println!("    run it: {program} run {} --trace", quote(&path.display().to_string()));
            files.insert("shrunk".into(), path.display().to_string().into());
        }
        // Shrinking is a help, not the verdict: a seed that fails differently when re-run
        // alone cannot happen (runs are deterministic), but say so rather than stop.
        Err(e) => println!("  shrunk: not shrunk ({e})"),
    }
    Ok(files)
}

/// How this program was invoked (`argv[0]`), for the replay commands: a user's own binary
/// prints its own name.
fn program() -> String {
    let arg0 = std::env::args().next().unwrap_or_else(|| "eightfold".into());
    quote(&arg0)
}

/// `text` quoted for a POSIX shell if it needs to be.
fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, so no reader sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = super::out::parent(path);
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map(|_| ()).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn replay_arguments_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(quote("lab/scenarios/a.json"), "lab/scenarios/a.json");
        assert_eq!(quote("cluster.protocol=student"), "cluster.protocol=student");
        assert_eq!(quote("my lab/a.json"), "'my lab/a.json'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}

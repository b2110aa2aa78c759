//! Fault windows as shaded bands, shared by every time chart.
//!
//! Each fault the schedule applied is a window `[start, end)` in `outcome.faults`
//! ([`FaultRecord`]): a partition from when it was cut until it was lifted, a crash until the
//! restart, a pause until the resume. A band shades that window across the whole plot so a
//! student can line up what the system did (latency, throughput, roles, messages) with what
//! was done to it. Labels say what and where (`partition {n1,n2} | {n3,n4,n5}`, `crash n4`);
//! when bands are too many or too close to label them all, the unlabelled ones still carry
//! their description as hover text, and [`draw`] reports how many went unlabelled.
//!
//! Windows that overlap in time do not overlap on the chart: each band of a group of
//! overlapping windows takes its own horizontal slice of the plot's height, so no shaded
//! pixel is a blend of two fault colours (a colour the legend would not name). An
//! instantaneous action (a heal, a membership change) has no window: it is drawn as a thin
//! mark at its instant and the legend names it apart from the windows.
//!
//! Which side of a partition a node was on is read from the record's typed cut
//! ([`FaultRecord::cut`]); the label is the only text, made here from the record.

use crate::fault::{FaultKind, FaultRecord};
use crate::report::Outcome;

use super::axes::{Axis, Rect};
use super::fonts::text_width;
use super::style::{SMALL_PX, fault_colour};
use super::svg::{Anchor, Svg};

/// One fault window, clipped to the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Band<'a> {
    /// Index of the schedule entry (`faults[i]`).
    pub entry: usize,
    /// Which fault.
    pub kind: FaultKind,
    /// The run's record of it (`None` for a comparison's windows, which stand for several
    /// runs and name no concrete nodes).
    pub record: Option<&'a FaultRecord>,
    /// A short label: what and where.
    pub label: String,
    /// Start, ns.
    pub start: u64,
    /// End, ns (the run's end if the fault was never undone).
    pub end: u64,
    /// True if the fault lasted to the end of the run.
    pub open: bool,
}

impl Band<'_> {
    /// A short label: what and where.
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// True for an instantaneous action (a heal, a restart, a membership change): no window.
    pub fn instant(&self) -> bool {
        !self.open && self.end <= self.start
    }

    /// The full description, for hover text: label and window.
    pub fn title(&self) -> String {
        let until = if self.open {
            "the end of the run".to_string()
        } else {
            format!("{:.3} s", self.end as f64 / 1e9)
        };
        format!("{} from {:.3} s until {until}", self.label(), self.start as f64 / 1e9)
    }
}

/// The fault windows of a run, in the order they started.
pub fn bands(outcome: &Outcome, end_ns: u64) -> Vec<Band<'_>> {
    let mut v: Vec<Band<'_>> = outcome
        .faults
        .iter()
        .map(|r| Band {
            entry: r.entry,
            kind: r.kind,
            record: Some(r),
            label: r.label(|n| outcome.node_name(n)),
            start: r.start.0.min(end_ns),
            end: r.end.map_or(end_ns, |e| e.0.min(end_ns)),
            open: r.end.is_none(),
        })
        .collect();
    v.sort_by_key(|b| (b.start, b.entry));
    v
}

/// Draws the bands under the plot's data: a translucent rectangle per window over the height
/// of `area` (clipped to its width), a dashed edge where it starts, and labels in up to
/// `rows` rows whose lowest baseline is at `label_y`, where they fit. Returns how many bands
/// went unlabelled.
pub fn draw(s: &mut Svg, bands: &[Band<'_>], x: &Axis, area: Rect, label_y: f64, rows: usize) -> usize {
    let plot = area;
    // Many windows (a crash storm): lighter bands, no edges, one summary label.
    let dense = bands.len() > DENSE;
    let opacity = if dense { "0.10" } else { "0.16" };
    let slices = if dense { vec![(0, 1); bands.len()] } else { slices(bands) };
    s.open_group("fault-bands", &[]);
    for (b, &(row, rows)) in bands.iter().zip(&slices) {
        let colour = fault_colour(b.kind);
        let x0 = x.px_clamped(b.start as f64 / 1e9);
        let x1 = x.px_clamped(b.end as f64 / 1e9).max(x0 + 1.5);
        if x.px(b.end as f64 / 1e9) < plot.x0 || x.px(b.start as f64 / 1e9) > plot.x1 {
            continue;
        }
        let h = plot.h() / rows as f64;
        s.rect(
            x0,
            plot.y0 + h * row as f64,
            x1 - x0,
            h,
            "fault-band",
            &[
                ("data-fault", b.kind.name().to_string()),
                ("data-entry", b.entry.to_string()),
                ("data-start-ns", b.start.to_string()),
                ("data-end-ns", b.end.to_string()),
                ("fill", colour.to_string()),
                ("fill-opacity", opacity.to_string()),
            ],
            Some(&b.title()),
        );
        if !dense {
            s.line(x0, plot.y0, x0, plot.y1, "fault-edge", &[("stroke", colour.to_string())]);
        }
    }
    s.close_group();
    if dense {
        let text = format!(
            "{} fault windows, too many to label one by one (hover over a band for its fault)",
            bands.len()
        );
        s.text(plot.x0 + 3.0, label_y, SMALL_PX, Anchor::Start, "fault-label", &text);
        return bands.len();
    }
    labels(s, bands, x, plot, label_y, rows)
}

/// For each band, its slice of the plot's height as (slice, slices): windows that overlap
/// in time (directly or through a chain of others) share the height, each in the first
/// slice free at its start; a window overlapping no other, and every instantaneous action,
/// has the whole height.
pub fn slices(bands: &[Band<'_>]) -> Vec<(usize, usize)> {
    let mut out = vec![(0, 1); bands.len()];
    let mut order: Vec<usize> = (0..bands.len()).filter(|&i| !bands[i].instant()).collect();
    order.sort_by_key(|&i| (bands[i].start, bands[i].entry));
    let mut group: Vec<usize> = Vec::new();
    let mut row_end: Vec<u64> = Vec::new();
    let mut group_end = 0u64;
    let close = |group: &mut Vec<usize>, row_end: &mut Vec<u64>, out: &mut Vec<(usize, usize)>| {
        for &i in group.iter() {
            out[i].1 = row_end.len().max(1);
        }
        group.clear();
        row_end.clear();
    };
    for i in order {
        let b = &bands[i];
        if !group.is_empty() && b.start >= group_end {
            close(&mut group, &mut row_end, &mut out);
        }
        let row = match row_end.iter().position(|&e| e <= b.start) {
            Some(r) => r,
            None => {
                row_end.push(0);
                row_end.len() - 1
            }
        };
        row_end[row] = b.end;
        out[i].0 = row;
        group.push(i);
        group_end = if group.len() == 1 { b.end } else { group_end.max(b.end) };
    }
    close(&mut group, &mut row_end, &mut out);
    out
}

/// Above this many fault windows, bands are drawn lighter and not labelled one by one.
pub const DENSE: usize = 40;

/// Writes the labels of the bands in rows (each 13 px, the lowest with its baseline at
/// `label_y`), skipping those that would overlap. Returns how many were skipped.
fn labels(s: &mut Svg, bands: &[Band<'_>], x: &Axis, plot: Rect, label_y: f64, rows: usize) -> usize {
    let mut row_end = vec![f64::NEG_INFINITY; rows];
    let mut skipped = 0;
    s.open_group("fault-labels", &[]);
    for b in bands {
        let x0 = x.px(b.start as f64 / 1e9);
        if x0 > plot.x1 || x.px(b.end as f64 / 1e9) < plot.x0 {
            continue;
        }
        let x0 = x0.max(plot.x0);
        let text = b.label();
        let w = text_width(&text, SMALL_PX) + 6.0;
        let left = if x0 + w > plot.x1 + 40.0 { (plot.x1 + 40.0 - w).max(plot.x0) } else { x0 };
        match row_end.iter().position(|&e| e + 4.0 <= left) {
            Some(r) => {
                row_end[r] = left + w;
                let y = label_y - 13.0 * r as f64;
                s.rect(left, y - 9.5, w, 12.5, "fault-label-bg", &[], None);
                s.text(left + 3.0, y, SMALL_PX, Anchor::Start, "fault-label", &text);
            }
            None => skipped += 1,
        }
    }
    s.close_group();
    skipped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(entry: usize, start: u64, end: u64) -> Band<'static> {
        Band { entry, kind: FaultKind::Crash, record: None, label: String::new(), start, end, open: false }
    }

    #[test]
    fn overlapping_windows_share_the_height_and_others_keep_it() {
        // replay and forge over the same window, a latency spike inside it, then a crash
        // alone, then an instantaneous action inside nothing.
        let b = [band(0, 4, 6), band(1, 4, 6), band(2, 5, 6), band(3, 8, 9), band(4, 9, 9)];
        assert_eq!(slices(&b), vec![(0, 3), (1, 3), (2, 3), (0, 1), (0, 1)]);
        assert!(b[4].instant() && !b[3].instant());
        // A window that starts where another ends takes the freed slice.
        let chain = [band(0, 0, 4), band(1, 2, 6), band(2, 4, 8)];
        assert_eq!(slices(&chain), vec![(0, 2), (1, 2), (0, 2)]);
        // Pairwise, no two bands of one group share a slice while they overlap.
        for (i, x) in b.iter().enumerate() {
            for (j, y) in b.iter().enumerate().skip(i + 1) {
                if x.start < y.end && y.start < x.end && !x.instant() && !y.instant() {
                    assert_ne!(slices(&b)[i].0, slices(&b)[j].0);
                }
            }
        }
    }
}

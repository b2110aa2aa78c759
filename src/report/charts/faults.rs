//! Fault windows as shaded bands, shared by every time chart.
//!
//! Each fault the schedule applied is a window `[start, end)` in `outcome.faults`
//! (`FaultRecord`): a partition from when it was cut until it was lifted, a crash until the
//! restart, a pause until the resume. A band shades that window across the whole plot so a
//! student can line up what the system did (latency, throughput, roles, messages) with what
//! was done to it. Labels say what and where (`partition {n1,n2} | {n3,n4,n5}`, `crash n4`);
//! when bands are too many or too close to label them all, the unlabelled ones still carry
//! their description as hover text, and [`draw`] reports how many went unlabelled.
//!
//! Which side of a partition a node was on is read back from the record's `detail`, which
//! the fault module writes with one function (`describe_cut`): `{n1,n2} | {n3,n4,n5}` for
//! groups, `{n2} -/-> {n1}` for a one-way cut, `blocked n1->n2, …` for irregular cuts.

use crate::report::Outcome;
use crate::world::FaultRecord;

use super::axes::{Axis, Rect};
use super::fonts::text_width;
use super::style::{SMALL_PX, fault_colour};
use super::svg::{Anchor, Svg};

/// One fault window, clipped to the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Band<'a> {
    /// The record.
    pub record: &'a FaultRecord,
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
        label(&self.record.fault, &self.record.detail)
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
            record: r,
            start: r.start.0.min(end_ns),
            end: r.end.map_or(end_ns, |e| e.0.min(end_ns)),
            open: r.end.is_none(),
        })
        .collect();
    v.sort_by_key(|b| (b.start, b.record.entry));
    v
}

/// A short label for a fault: what and where.
pub fn label(fault: &str, detail: &str) -> String {
    let text = match (fault, parse_sides(detail)) {
        ("isolate", Some(Sides::Groups(g))) if !g.is_empty() => format!("isolate {}", g[0].join(",")),
        ("partition_oneway", _) => format!("one-way cut {detail}"),
        (f, _) => format!("{f} {detail}"),
    };
    if text.chars().count() > 48 { format!("{}…", text.chars().take(47).collect::<String>()) } else { text }
}

/// The sides of a network cut, read back from a fault record's detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sides {
    /// Nodes in different groups cannot reach each other.
    Groups(Vec<Vec<String>>),
    /// Messages from `from` to `to` are dropped; the reverse flows.
    OneWay {
        /// Blocked senders.
        from: Vec<String>,
        /// Receivers that stop hearing them.
        to: Vec<String>,
    },
    /// Some directed links are blocked (ring, bridge and other shapes).
    Pairs(Vec<(String, String)>),
}

impl Sides {
    /// Which group a node is in (groups only).
    pub fn group_of(&self, node: &str) -> Option<usize> {
        match self {
            Sides::Groups(g) => g.iter().position(|side| side.iter().any(|n| n == node)),
            _ => None,
        }
    }
}

fn parse_set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('{')?.strip_suffix('}')?;
    let names: Vec<String> =
        inner.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if names.iter().all(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        Some(names)
    } else {
        None
    }
}

/// Parses a cut's description (`{n1,n2} | {n3,n4,n5}`, `{n2} -/-> {n1}`,
/// `blocked n1->n2, n2->n3`); `None` for anything else.
pub fn parse_sides(detail: &str) -> Option<Sides> {
    let d = detail.trim();
    if let Some(rest) = d.strip_prefix("blocked ") {
        let pairs = rest
            .split(" and ")
            .next()?
            .split(',')
            .map(|p| p.trim().split_once("->").map(|(a, b)| (a.to_string(), b.to_string())))
            .collect::<Option<Vec<_>>>()?;
        return Some(Sides::Pairs(pairs));
    }
    if let Some((a, b)) = d.split_once("-/->") {
        return Some(Sides::OneWay { from: parse_set(a)?, to: parse_set(b)? });
    }
    if d.starts_with('{') {
        return d.split(" | ").map(parse_set).collect::<Option<Vec<_>>>().map(Sides::Groups);
    }
    None
}

/// True for faults that cut the network.
pub fn is_cut(fault: &str) -> bool {
    matches!(fault, "partition" | "partition_oneway" | "isolate" | "bridge" | "ring")
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
    s.open_group("fault-bands", &[]);
    for b in bands {
        let colour = fault_colour(&b.record.fault);
        let x0 = x.px_clamped(b.start as f64 / 1e9);
        let x1 = x.px_clamped(b.end as f64 / 1e9).max(x0 + 1.5);
        if x.px(b.end as f64 / 1e9) < plot.x0 || x.px(b.start as f64 / 1e9) > plot.x1 {
            continue;
        }
        s.rect(
            x0,
            plot.y0,
            x1 - x0,
            plot.h(),
            "fault-band",
            &[
                ("data-fault", b.record.fault.clone()),
                ("data-entry", b.record.entry.to_string()),
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

    #[test]
    fn sides_are_read_back_from_the_detail() {
        assert_eq!(
            parse_sides("{n1,n4} | {n2,n3,n5}"),
            Some(Sides::Groups(vec![
                vec!["n1".into(), "n4".into()],
                vec!["n2".into(), "n3".into(), "n5".into()]
            ]))
        );
        assert_eq!(
            parse_sides("{n2} -/-> {n1}"),
            Some(Sides::OneWay { from: vec!["n2".into()], to: vec!["n1".into()] })
        );
        assert_eq!(
            parse_sides("blocked n1->n2, n2->n3 and 4 more"),
            Some(Sides::Pairs(vec![("n1".into(), "n2".into()), ("n2".into(), "n3".into())]))
        );
        assert_eq!(parse_sides("n4"), None);
        assert_eq!(parse_sides("down: n1->n2"), None);
    }

    #[test]
    fn labels_say_what_and_where() {
        assert_eq!(label("isolate", "{n4} | {n1,n2,n3,n5,c1,c2}"), "isolate n4");
        assert_eq!(label("crash", "n4"), "crash n4");
        assert_eq!(label("partition", "{n1,n2} | {n3}"), "partition {n1,n2} | {n3}");
    }
}

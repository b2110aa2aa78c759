//! `messages.svg`: a space-time (Lamport) diagram of the recording's message window.
//!
//! One horizontal lane per node (servers, then the clients that spoke in the window); time
//! runs left to right. Every message is an arrow from its sender's lane at the moment it was
//! sent to its receiver's lane at the moment it arrived, coloured by its type (the legend
//! names them; there is room for a type label only where arrows are sparse). A lost message
//! ends in a cross, coloured by why it was lost: where the network refused it at once
//! (a partition, a full queue, random loss) the arrow is a short stub from the sender; where
//! it died on arrival (the receiver was down, the message failed its MAC) the cross sits on
//! the receiver's lane. Behind the lanes, the leader's lane is tinted green (Raft and
//! Multi-Paxos; the quorum store and gossip have no leader) and a crashed node's lane light
//! grey (light, so the black crosses of messages sent to it while it
//! was down stay readable), so a student can see, say, heartbeats stop and votes start.

use std::collections::BTreeMap;

use super::axes::{Axis, Frame, FrameSpec, LegendSwatch, Rect, YAxis, legend};
use super::faults;
use super::fonts::text_width;
use super::lanes::{Lane, lanes};
use super::style::{LABEL_PX, fate_colour, fate_meaning, kind_colour, role_colour};
use super::svg::{Anchor, Num, Svg};
use super::{ChartError, Inputs};
use crate::report::words::LogWords;
use crate::sim::{Contents, FieldValue, Role};
use crate::world::recorder::{MsgRec, RecNode};

/// Width of the diagram.
pub const WIDTH: u32 = 1300;
const LANE: f64 = 40.0;
const LABEL_PX_MSG: f64 = 9.0;
/// A crashed node's lane: light grey, so black crosses on it stay readable.
const CRASHED_LANE: &str = "#8C8C8C";
/// Above this many messages, arrows get no hover text (keeps the file small).
const TITLES_UP_TO: usize = 3000;

const CSS: &str = ".lane-line{stroke:#bbb;stroke-width:1}.lane-name{font-weight:bold}\
.msg{fill:none;stroke-width:.9;stroke-opacity:.8}.lost-x{stroke-width:1.8}\
.mlabel{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}";

/// The message diagram.
pub fn render(input: &Inputs<'_>) -> Result<String, ChartError> {
    let rec = input.recording;
    let all = lanes(rec);
    let msgs = &rec.messages;
    let shown = shown_lanes(&all, msgs);
    let row_of: BTreeMap<u32, usize> = shown.iter().enumerate().map(|(i, l)| (l.node, i)).collect();
    let (w0, w1) = (rec.window.0, rec.window.1.max(rec.window.0 + 1));
    let latest = msgs.iter().map(|m| m.end).max().unwrap_or(w1);
    let span = w1 - w0;
    let x_end = latest.clamp(w1, w1 + span / 5);
    let n = shown.len().max(1);
    let top = 132u32;
    let height = f64::from(top) + LANE * n as f64 + 56.0;
    let delivered = msgs.iter().filter(|m| m.fate == "delivered").count();
    let title = format!(
        "Messages between {:.3} s and {:.3} s — {}",
        w0 as f64 / 1e9,
        w1 as f64 / 1e9,
        input.run_name()
    );
    let subtitle = format!(
        "{} messages sent in this window: {} delivered, {} lost. Each arrow runs from sender (when sent) to \
         receiver (when it arrived); × marks where a lost message died.",
        msgs.len(),
        delivered,
        msgs.len() - delivered
    );
    let spec = FrameSpec {
        size: (WIDTH, height.round() as u32),
        title: &title,
        subtitle: &subtitle,
        top,
        right: 24,
        left_labels: 48,
        bottom_labels: 44,
        x: (w0 as f64 / 1e9, x_end as f64 / 1e9),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Lanes(0.0, n as f64),
        y_desc: "",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    let lane_y = |i: usize| plot.y0 + LANE * (i as f64 + 0.5);
    let kinds = kinds(msgs);
    let mut entries: Vec<(String, LegendSwatch)> =
        kinds.iter().map(|(k, (c, col))| (format!("{k} ({c})"), LegendSwatch::Line(col))).collect();
    let mut fates: BTreeMap<&str, usize> = BTreeMap::new();
    for m in msgs.iter().filter(|m| m.fate != "delivered") {
        *fates.entry(m.fate.as_str()).or_default() += 1;
    }
    for (f, c) in &fates {
        entries.push((format!("× {} ({c})", fate_meaning(f)), LegendSwatch::Cross(fate_colour(f))));
    }
    let words = input.vocab().log;
    if words.is_some() {
        entries.push(("leader's lane".to_string(), LegendSwatch::Block(role_colour(Role::Leader), 0.3)));
    }
    if shown.iter().any(|l| l.down.iter().any(|&(a, b)| a < x_end && b > w0)) {
        entries.push(("crashed".to_string(), LegendSwatch::Block(CRASHED_LANE, 0.45)));
    }
    let y = legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    if rec.messages_dropped > 0 && y < plot.y0 - 30.0 {
        let note = format!(
            "{} more messages in the window were not recorded (the recorder's cap).",
            rec.messages_dropped
        );
        s.text(14.0, y, LABEL_PX - 1.0, Anchor::Start, "muted", &note);
    }
    s.fmt(format_args!(
        "<defs><clipPath id=\"plot-clip\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
        Num(plot.x0),
        Num(plot.y0 - 20.0),
        Num(plot.w()),
        Num(plot.h() + 40.0)
    ));
    for (k, (_, col)) in &kinds {
        s.fmt(format_args!(
            "<marker id=\"ah-{}\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" \
             markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" fill=\"{col}\"/></marker>",
            marker_id(k)
        ));
    }
    s.raw("</defs>\n");
    let bands = faults::bands(input.outcome, input.end_ns());
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 2);
    s.open_group("lanes", &[]);
    for (i, l) in shown.iter().enumerate() {
        lane_background(&mut s, l, &frame.x, plot, lane_y(i), (w0, x_end), words);
        s.line(plot.x0, lane_y(i), plot.x1, lane_y(i), "lane-line", &[]);
        s.text(plot.x0 - 8.0, lane_y(i) + 4.5, LABEL_PX + 1.0, Anchor::End, "lane-name", &l.name);
    }
    s.close_group();
    s.open_group("messages", &[("clip-path", "url(#plot-clip)".to_string())]);
    let mut placed: Vec<Rect> = Vec::new();
    let arrows = Arrows::new(msgs.iter().filter_map(|m| {
        let (a, b) = (row_of.get(&m.from)?, row_of.get(&m.to)?);
        let end = if m.end > m.sent { m.end } else { m.sent };
        let (x0, x1) = (frame.x.px(m.sent as f64 / 1e9), frame.x.px(end as f64 / 1e9) + 8.0);
        let (y0, y1) = (lane_y(*a), lane_y(*b));
        Some((Rect { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }, (m.from, m.sent)))
    }));
    let titles = msgs.len() <= TITLES_UP_TO;
    for m in msgs {
        let (Some(&a), Some(&b)) = (row_of.get(&m.from), row_of.get(&m.to)) else { continue };
        let col = kinds.get(m.kind.as_str()).map_or("#777", |k| k.1);
        let (x0, y0) = (frame.x.px(m.sent as f64 / 1e9), lane_y(a));
        let (x1, y1) = (frame.x.px(m.end as f64 / 1e9), lane_y(b));
        let names = (&shown[a].name, &shown[b].name);
        if m.fate == "delivered" {
            let title = titles.then(|| {
                format!(
                    "{} {}→{}, {} bytes, sent {:.4} s, arrived {:.4} s{}",
                    m.kind,
                    names.0,
                    names.1,
                    m.size,
                    m.sent as f64 / 1e9,
                    m.end as f64 / 1e9,
                    contents_line(&m.contents, &rec.nodes)
                )
            });
            s.path(
                &format!("M{} {}L{} {}", Num(x0), Num(y0), Num(x1), Num(y1)),
                "msg delivered",
                &[
                    ("data-kind", m.kind.clone()),
                    ("stroke", col.to_string()),
                    ("marker-end", format!("url(#ah-{})", marker_id(&m.kind))),
                ],
                title.as_deref(),
            );
            label(&mut s, &mut placed, &arrows, m, ((x0 + x1) / 2.0, (y0 + y1) / 2.0), plot.x1, col);
        } else {
            let (ex, ey) = if m.end > m.sent { (x1, y1) } else { (x0 + 8.0, y0 + (y1 - y0) * 0.4) };
            let title = titles.then(|| {
                format!(
                    "{} {}→{}, {} bytes, sent {:.4} s, lost at {:.4} s: {}{}",
                    m.kind,
                    names.0,
                    names.1,
                    m.size,
                    m.sent as f64 / 1e9,
                    m.end as f64 / 1e9,
                    fate_meaning(&m.fate),
                    contents_line(&m.contents, &rec.nodes)
                )
            });
            let fc = fate_colour(&m.fate);
            s.open_group("msg lost", &[("data-kind", m.kind.clone()), ("data-fate", m.fate.clone())]);
            s.path(
                &format!("M{} {}L{} {}", Num(x0), Num(y0), Num(ex), Num(ey)),
                "msg",
                &[("stroke", col.to_string())],
                title.as_deref(),
            );
            s.path(
                &format!("M{} {}l7 7m0 -7l-7 7", Num(ex - 3.5), Num(ey - 3.5)),
                "lost-x",
                &[("stroke", fc.to_string())],
                None,
            );
            s.close_group();
        }
    }
    s.close_group();
    if msgs.is_empty() {
        s.text(
            (plot.x0 + plot.x1) / 2.0,
            plot.y0 + 20.0,
            LABEL_PX,
            Anchor::Middle,
            "muted",
            "No message was sent in this window.",
        );
    }
    Ok(frame.finish(s))
}

/// Servers, then the other nodes that appear in the window's messages.
fn shown_lanes<'a>(all: &'a [Lane], msgs: &[MsgRec]) -> Vec<&'a Lane> {
    let mut used = vec![false; all.len()];
    for m in msgs {
        for i in [m.from as usize, m.to as usize] {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
    }
    all.iter().filter(|l| l.server || used[l.node as usize]).collect()
}

/// Message kinds in the window with their count and colour, by name.
fn kinds(msgs: &[MsgRec]) -> BTreeMap<&str, (usize, &'static str)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in msgs {
        *counts.entry(m.kind.as_str()).or_default() += 1;
    }
    counts.iter().enumerate().map(|(i, (k, c))| (*k, (*c, kind_colour(k, i)))).collect()
}

fn marker_id(kind: &str) -> String {
    kind.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// The bounding boxes of the arrows, sorted by left edge, to ask whether a spot is free.
/// The bounding boxes of the arrows, sorted by left edge, each with its (sender, send time)
/// so that the copies of one broadcast count as one.
struct Arrows {
    boxes: Vec<(Rect, (u32, u64))>,
    widest: f64,
}

impl Arrows {
    fn new(boxes: impl Iterator<Item = (Rect, (u32, u64))>) -> Self {
        let mut boxes: Vec<(Rect, (u32, u64))> = boxes.collect();
        boxes.sort_by(|a, b| a.0.x0.total_cmp(&b.0.x0));
        let widest = boxes.iter().map(|b| b.0.w()).fold(0.0, f64::max);
        Arrows { boxes, widest }
    }

    /// How many sends other than `own` have an arrow meeting `r`.
    fn crossing(&self, r: &Rect, own: (u32, u64)) -> usize {
        let hi = self.boxes.partition_point(|b| b.0.x0 <= r.x1);
        let lo = self.boxes[..hi].partition_point(|b| b.0.x0 < r.x0 - self.widest);
        let mut sends: Vec<(u32, u64)> = self.boxes[lo..hi]
            .iter()
            .filter(|(b, k)| *k != own && b.x1 >= r.x0 && b.y0 <= r.y1 && b.y1 >= r.y0)
            .map(|(_, k)| *k)
            .collect();
        sends.sort_unstable();
        sends.dedup();
        sends.len()
    }
}

/// Writes the message's type next to its arrow if the spot is free: no other label there,
/// and at most two other sends' arrows crossing it (a broadcast's copies count as one send;
/// a reply usually crosses its request). The label goes right of the arrow's middle, or
/// left of it where it would pass `right` (the plot's edge, where the diagram is clipped).
#[allow(clippy::too_many_arguments)]
fn label(
    s: &mut Svg,
    placed: &mut Vec<Rect>,
    arrows: &Arrows,
    m: &MsgRec,
    (x, y): (f64, f64),
    right: f64,
    col: &str,
) {
    let w = text_width(&m.kind, LABEL_PX_MSG);
    let x0 = if x + 3.0 + w > right { x - 3.0 - w } else { x + 3.0 };
    let r = Rect { x0, y0: y - 8.0, x1: x0 + w, y1: y + 3.0 };
    if r.x1 > right {
        return;
    }
    if placed.iter().any(|p| p.x0 < r.x1 + 2.0 && r.x0 < p.x1 + 2.0 && p.y0 < r.y1 && r.y0 < p.y1) {
        return;
    }
    if arrows.crossing(&r, (m.from, m.sent)) > 2 {
        return;
    }
    placed.push(r);
    s.fmt(format_args!(
        "<text class=\"mlabel\" x=\"{}\" y=\"{}\" font-size=\"{LABEL_PX_MSG}\" fill=\"{col}\">{}</text>\n",
        Num(r.x0),
        Num(y),
        super::svg::esc(&m.kind)
    ));
}

fn lane_background(
    s: &mut Svg,
    l: &Lane,
    x: &Axis,
    plot: Rect,
    y: f64,
    (t0, t1): (u64, u64),
    words: Option<LogWords>,
) {
    let clip = |a: u64, b: u64| (a.max(t0), b.min(t1));
    let roles = l.roles.iter().filter(|r| matches!(r.role, Role::Leader | Role::Candidate));
    for (r, w) in roles.filter_map(|r| words.map(|w| (r, w))) {
        let (a, b) = clip(r.start, r.end);
        if a >= b {
            continue;
        }
        let (x0, x1) = (x.px(a as f64 / 1e9).max(plot.x0), x.px(b as f64 / 1e9).min(plot.x1));
        s.rect(
            x0,
            y - LANE / 2.0 + 3.0,
            x1 - x0,
            LANE - 6.0,
            &format!("lane-bg {}", r.role.name()),
            &[("fill", role_colour(r.role).to_string()), ("fill-opacity", "0.22".to_string())],
            Some(&format!("{} {} of {} {}", l.name, r.role.name(), w.round, r.term)),
        );
    }
    for &(a, b) in &l.down {
        let (a, b) = clip(a, b);
        if a >= b {
            continue;
        }
        let (x0, x1) = (x.px(a as f64 / 1e9).max(plot.x0), x.px(b as f64 / 1e9).min(plot.x1));
        s.rect(
            x0,
            y - LANE / 2.0 + 3.0,
            x1 - x0,
            LANE - 6.0,
            "lane-bg down",
            &[("fill", CRASHED_LANE.to_string()), ("fill-opacity", "0.45".to_string())],
            Some(&format!("{} crashed", l.name)),
        );
    }
}

/// A message's contents as a second line of its hover text (`term 1, prevLogIndex 12, …`),
/// or nothing for a message whose type lists none; a node is written by its name from
/// `nodes` (the recording's).
pub fn contents_line(c: &Contents, nodes: &[RecNode]) -> String {
    if c.is_empty() {
        return String::new();
    }
    let fields: Vec<String> =
        c.0.iter()
            .map(|f| match &f.1 {
                FieldValue::Num(n) => format!("{} {n}", f.0),
                FieldValue::Flag(b) => format!("{} {}", f.0, if *b { "yes" } else { "no" }),
                FieldValue::Text(t) => format!("{} {t}", f.0),
                FieldValue::Node { node } => {
                    format!("{} {}", f.0, nodes.get(*node as usize).map_or("?", |n| n.name.as_str()))
                }
            })
            .collect();
    format!("\n{}", fields.join(", "))
}

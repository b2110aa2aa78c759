//! `timeline.svg`: one lane per server over the whole run, showing what it was doing.
//!
//! For a protocol with leaders (Raft, Multi-Paxos) the lane's main bar is the server's role:
//! follower (pale blue), pre-candidate (yellow: asking whether it could win, without starting
//! a term; Raft's pre-vote), candidate (orange: campaigning in a new term, or running phase 1
//! of a new ballot) and leader (green, with its term or ballot round written on it). The
//! quorum store and gossip have no roles: their bar only says the server was up. Dark grey
//! means crashed (its memory is gone until it restarts from disk); hatched means paused
//! (alive but handling nothing). Under the bar, one strip per overlapping network cut says
//! which side of it the server was on (`side A` / `side B`, named in the legend), or which
//! direction was blocked for a one-way cut. Fault windows are shaded as on every other
//! chart. Reading down a column gives the whole cluster at one instant: in a healthy Raft
//! cluster there is at most one green bar per term.

use super::axes::{Frame, FrameSpec, LegendSwatch, Rect, YAxis, legend};
use super::faults::{self, Band};
use super::fonts::text_width;
use super::lanes::{Lane, lanes};
use super::latency::fault_legend;
use super::style::{DOWN, LABEL_PX, SMALL_PX, WIDTH, role_colour};
use super::svg::{Anchor, Svg};
use super::{ChartError, Inputs};
use crate::net::Cut;
use crate::report::Outcome;
use crate::report::words::LogWords;
use crate::sim::{NodeId, Role};

const CSS: &str = ".span{stroke:#fff;stroke-width:.5}.span-text{fill:#fff;font-weight:bold}\
.span-text.dark{fill:#222;font-weight:normal}.side{stroke:#fff;stroke-width:.5}.side-text{fill:#fff}\
.lane-name{font-weight:bold}";

/// Colours of partition sides A, B, C, D.
const SIDES: [&str; 4] = ["#8E5BA8", "#2B83BA", "#1A9850", "#B8860B"];
/// Height of a role bar.
const BAR: f64 = 22.0;
/// Height of a partition strip.
const STRIP: f64 = 13.0;
/// Space between lanes.
const GAP: f64 = 12.0;

/// A network cut, placed in a strip row.
struct Strip<'a> {
    band: Band<'a>,
    cut: &'a Cut,
    row: usize,
}

fn cuts<'a>(bands: &[Band<'a>]) -> (Vec<Strip<'a>>, usize) {
    let mut rows_end: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    for b in bands.iter().filter(|b| b.kind.cuts_network()) {
        let Some(cut) = b.record.and_then(|r| r.cut()) else { continue };
        let row = match rows_end.iter().position(|&e| e <= b.start) {
            Some(r) => r,
            None if rows_end.len() < 3 => {
                rows_end.push(0);
                rows_end.len() - 1
            }
            None => rows_end.len() - 1,
        };
        rows_end[row] = rows_end[row].max(b.end);
        out.push(Strip { band: b.clone(), cut, row });
    }
    (out, rows_end.len())
}

/// The timeline chart.
pub fn render(input: &Inputs<'_>) -> Result<String, ChartError> {
    let all = lanes(input.recording);
    let servers: Vec<&Lane> = all.iter().filter(|l| l.server).collect();
    let shown: Vec<&Lane> = if servers.is_empty() { all.iter().collect() } else { servers };
    let bands = faults::bands(input.outcome, input.end_ns());
    let (cuts, rows) = cuts(&bands);
    let pitch = BAR + rows as f64 * STRIP + GAP;
    let n = shown.len().max(1);
    let height = 128.0 + 50.0 + pitch * n as f64;
    let end_s = input.end_ns() as f64 / 1e9;
    let vocab = input.vocab();
    let words = vocab.log;
    let consensus = words.is_some();
    let title = if consensus {
        format!("Roles over time — {}", input.run_name())
    } else {
        format!("Servers over time — {}", input.run_name())
    };
    let subtitle = match (words, vocab.leaderless()) {
        (Some(w), _) => format!(
            "One lane per server: its role (green = leader, with its {}), crashed (dark) or paused (hatched); \
             strips below say which side of a network cut it was on.",
            w.round
        ),
        (None, what) => format!(
            "One lane per server ({}): when each was up, crashed (dark) or paused (hatched); strips below say \
             which side of a network cut it was on.",
            what.unwrap_or("servers without roles")
        ),
    };
    let spec = FrameSpec {
        size: (WIDTH, height.round() as u32),
        title: &title,
        subtitle: &subtitle,
        top: 128,
        right: 30,
        left_labels: 54,
        bottom_labels: 44,
        x: (0.0, end_s),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Lanes(0.0, n as f64),
        y_desc: "",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    s.raw(
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ddd\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#777\" stroke-width=\"3\"/></pattern></defs>\n",
    );
    let plot = frame.plot;
    let mut entries = Vec::new();
    if consensus {
        // Only the roles some server held: Multi-Paxos has no pre-vote, and a calm run may
        // have no candidate; a legend entry for a colour that is nowhere is noise.
        let held = |r: Role| shown.iter().any(|l| l.roles.iter().any(|span| span.role == r));
        for r in [Role::Leader, Role::Candidate, Role::Probing, Role::Follower] {
            if held(r) {
                entries.push((r.name().to_string(), LegendSwatch::Square(role_colour(r))));
            }
        }
    } else {
        entries.push(("up".to_string(), LegendSwatch::Square(role_colour(Role::Peer))));
    }
    entries.push(("crashed".to_string(), LegendSwatch::Square(DOWN)));
    entries.push(("paused".to_string(), LegendSwatch::Square("#999999")));
    fault_legend(&bands, &mut entries);
    let mut y = legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    let names = |v: &[NodeId]| v.iter().map(|&n| input.outcome.node_name(n)).collect::<Vec<_>>().join(",");
    for c in &cuts {
        if let Cut::Groups(g) = c.cut {
            let names: Vec<String> = g
                .iter()
                .enumerate()
                .map(|(i, side)| format!("side {} = {{{}}}", side_letter(i), names(side)))
                .collect();
            if y < plot.y0 - 30.0 {
                let text =
                    format!("{} at {:.3} s: {}", c.band.kind, c.band.start as f64 / 1e9, names.join(", "));
                s.text(14.0, y - 2.0, SMALL_PX + 1.0, Anchor::Start, "muted", &text);
                y += 14.0;
            }
        }
    }
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 2);
    for (i, lane) in shown.iter().enumerate() {
        let top = plot.y0 + GAP / 2.0 + pitch * i as f64;
        draw_lane(&mut s, lane, &frame, top, words);
        for c in &cuts {
            draw_side(&mut s, lane, c, input.outcome, &frame, top + BAR + c.row as f64 * STRIP);
        }
    }
    Ok(frame.finish(s))
}

fn side_letter(i: usize) -> char {
    (b'A' + (i as u8).min(25)) as char
}

fn draw_lane(s: &mut Svg, lane: &Lane, frame: &Frame, top: f64, words: Option<LogWords>) {
    let plot = frame.plot;
    s.text(plot.x0 - 8.0, top + BAR / 2.0 + 4.5, LABEL_PX + 1.0, Anchor::End, "lane-name", &lane.name);
    s.open_group("lane", &[("data-node", lane.name.clone())]);
    for r in &lane.roles {
        let (x0, x1) = (frame.x.px(r.start as f64 / 1e9), frame.x.px(r.end as f64 / 1e9));
        let class = format!("span {}", r.role.name());
        let title = if let Some(w) = words {
            format!(
                "{} {} of {} {} from {:.3} s to {:.3} s",
                lane.name,
                r.role.name(),
                w.round,
                r.term,
                r.start as f64 / 1e9,
                r.end as f64 / 1e9
            )
        } else {
            format!("{} up from {:.3} s to {:.3} s", lane.name, r.start as f64 / 1e9, r.end as f64 / 1e9)
        };
        s.rect(
            x0,
            top,
            (x1 - x0).max(0.8),
            BAR,
            &class,
            &[
                ("data-node", lane.name.clone()),
                ("data-role", r.role.name().to_string()),
                ("data-term", r.term.to_string()),
                ("data-start-ns", r.start.to_string()),
                ("data-end-ns", r.end.to_string()),
                ("fill", role_colour(r.role).to_string()),
            ],
            Some(&title),
        );
        let Some(w) = words else { continue };
        let (round, short) = (w.round, w.round_short);
        let text = match r.role {
            Role::Leader => [
                format!("leader, {round} {}", r.term),
                format!("{round} {}", r.term),
                format!("{short}{}", r.term),
            ],
            Role::Candidate => {
                [format!("candidate, {round} {}", r.term), format!("{short}{}", r.term), String::new()]
            }
            Role::Follower => [format!("follower, {round} {}", r.term), String::new(), String::new()],
            // A pre-candidate asks without starting a round: the round it is in is its own.
            Role::Probing => [
                format!("pre-candidate, {round} {}", r.term),
                format!("pre {short}{}", r.term),
                format!("{short}{}", r.term),
            ],
            Role::Peer => [String::new(), String::new(), String::new()],
        };
        let dark = r.role != Role::Leader;
        if let Some(t) = text.iter().find(|t| !t.is_empty() && text_width(t, SMALL_PX) + 6.0 < x1 - x0) {
            let class = if dark { "span-text dark" } else { "span-text" };
            s.text((x0 + x1) / 2.0, top + BAR / 2.0 + 3.5, SMALL_PX, Anchor::Middle, class, t);
        }
    }
    for &(a, b) in &lane.down {
        let (x0, x1) = (frame.x.px(a as f64 / 1e9), frame.x.px(b as f64 / 1e9));
        let title = format!("{} crashed from {:.3} s to {:.3} s", lane.name, a as f64 / 1e9, b as f64 / 1e9);
        s.rect(
            x0,
            top,
            (x1 - x0).max(0.8),
            BAR,
            "span down",
            &[
                ("data-node", lane.name.clone()),
                ("data-start-ns", a.to_string()),
                ("data-end-ns", b.to_string()),
                ("fill", DOWN.to_string()),
            ],
            Some(&title),
        );
        if text_width("crashed", SMALL_PX) + 6.0 < x1 - x0 {
            s.text((x0 + x1) / 2.0, top + BAR / 2.0 + 3.5, SMALL_PX, Anchor::Middle, "span-text", "crashed");
        }
    }
    for &(a, b) in &lane.paused {
        let (x0, x1) = (frame.x.px(a as f64 / 1e9), frame.x.px(b as f64 / 1e9));
        let title = format!("{} paused from {:.3} s to {:.3} s", lane.name, a as f64 / 1e9, b as f64 / 1e9);
        s.rect(
            x0,
            top,
            (x1 - x0).max(0.8),
            BAR,
            "span paused",
            &[
                ("data-node", lane.name.clone()),
                ("data-start-ns", a.to_string()),
                ("data-end-ns", b.to_string()),
                ("fill", "url(#hatch)".to_string()),
            ],
            Some(&title),
        );
        if text_width("paused", SMALL_PX) + 6.0 < x1 - x0 {
            s.text(
                (x0 + x1) / 2.0,
                top + BAR / 2.0 + 3.5,
                SMALL_PX,
                Anchor::Middle,
                "span-text dark",
                "paused",
            );
        }
    }
    s.close_group();
}

fn draw_side(s: &mut Svg, lane: &Lane, c: &Strip<'_>, outcome: &Outcome, frame: &Frame, top: f64) {
    let name = lane.name.as_str();
    let me = NodeId(lane.node);
    let names = |v: &[NodeId]| v.iter().map(|&n| outcome.node_name(n)).collect::<Vec<_>>().join(",");
    // The longest text that fits is written: the full one, then a shorter one that still
    // says who is on the other side of the cut, then the shortest.
    let (text, mid, short, colour, side) = match c.cut {
        Cut::Groups(g) => match g.iter().position(|side| side.contains(&me)) {
            Some(i) => (
                format!("side {}: with {}", side_letter(i), names(&g[i])),
                format!("side {}: {}", side_letter(i), names(&g[i])),
                format!("side {}", side_letter(i)),
                SIDES[i % SIDES.len()],
                side_letter(i).to_string(),
            ),
            None => return,
        },
        Cut::OneWay { from, to } => {
            if from.contains(&me) {
                let to = names(to);
                (
                    format!("cannot send to {to}"),
                    format!("can't send to {to}"),
                    format!("\u{2717}\u{2192} {to}"),
                    SIDES[0],
                    "from".into(),
                )
            } else if to.contains(&me) {
                let from = names(from);
                (
                    format!("cannot hear {from}"),
                    format!("deaf to {from}"),
                    format!("\u{2717}\u{2190} {from}"),
                    SIDES[1],
                    "to".into(),
                )
            } else {
                return;
            }
        }
        Cut::Pairs(p) => {
            if p.iter().any(|&(a, b)| a == me || b == me) {
                ("some links blocked".to_string(), "links cut".into(), "cut".into(), SIDES[3], "pairs".into())
            } else {
                return;
            }
        }
    };
    let (x0, x1) = (frame.x.px(c.band.start as f64 / 1e9), frame.x.px(c.band.end as f64 / 1e9));
    let plot: Rect = frame.plot;
    let (x0, x1) = (x0.max(plot.x0), x1.min(plot.x1));
    s.rect(
        x0,
        top + 1.0,
        (x1 - x0).max(0.8),
        STRIP - 2.0,
        "side",
        &[
            ("data-node", name.to_string()),
            ("data-side", side),
            ("data-entry", c.band.entry.to_string()),
            ("fill", colour.to_string()),
        ],
        Some(&format!("{name}: {text} ({})", c.band.title())),
    );
    let fit = [text, mid, short].into_iter().find(|t| text_width(t, SMALL_PX - 1.0) + 6.0 < x1 - x0);
    if let Some(t) = fit {
        s.text(x0 + 4.0, top + STRIP - 3.5, SMALL_PX - 1.0, Anchor::Start, "side-text", &t);
    }
}

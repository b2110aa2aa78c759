//! The frame of a chart: title, axes, tick labels and grid, drawn by plotters with the
//! embedded font; and the mapping from data to pixels that the charts' own marks use.
//!
//! plotters draws the frame into an SVG string. The data marks (points, bars, spans, arrows)
//! are then written by the charts themselves, with classes and data attributes, through an
//! [`Axis`] that reproduces plotters' mapping exactly: it is built from the pixels plotters
//! assigns to the two ends of each range, so a mark at time `t` sits where plotters put the
//! tick labelled `t`. The plot rectangle and time mapping are also written into the SVG as
//! `data-*` attributes of a `<g class="plot-area">`, so a test (or a script) can map times to
//! pixels without knowing the layout.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use super::ChartError;
use super::fonts::{self, FAMILY};
use super::style::{LABEL_PX, SMALL_PX, style_block};
use super::svg::{Anchor, Num, Svg};

/// A linear or logarithmic mapping from data values to pixels along one axis.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Axis {
    /// Data value at the start of the range.
    pub v0: f64,
    /// Data value at the end of the range.
    pub v1: f64,
    /// Pixel of `v0`.
    pub p0: f64,
    /// Pixel of `v1`.
    pub p1: f64,
    /// Logarithmic scale.
    pub log: bool,
}

impl Axis {
    /// The pixel of a value (extrapolated outside the range).
    pub fn px(&self, v: f64) -> f64 {
        let f = if self.log {
            let (a, b) = (self.v0.ln(), self.v1.ln());
            (v.max(f64::MIN_POSITIVE).ln() - a) / (b - a)
        } else {
            (v - self.v0) / (self.v1 - self.v0)
        };
        self.p0 + f * (self.p1 - self.p0)
    }

    /// The pixel of a value, clamped into the range's pixels.
    pub fn px_clamped(&self, v: f64) -> f64 {
        let (lo, hi) = if self.p0 <= self.p1 { (self.p0, self.p1) } else { (self.p1, self.p0) };
        self.px(v).clamp(lo, hi)
    }

    /// The data value at a pixel (linear axes).
    pub fn value(&self, p: f64) -> f64 {
        self.v0 + (p - self.p0) / (self.p1 - self.p0) * (self.v1 - self.v0)
    }
}

/// A pixel rectangle.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl Rect {
    /// Width.
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    /// Height.
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// The vertical axis of a chart.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum YAxis {
    /// A linear axis over the range, with tick labels.
    Linear(f64, f64),
    /// A logarithmic axis over the range, with tick labels at powers of ten.
    Log(f64, f64),
    /// Lanes: a linear range with no ticks or grid (the chart labels its lanes itself).
    Lanes(f64, f64),
}

/// What a frame should look like.
#[derive(Clone, Debug)]
pub struct FrameSpec<'a> {
    /// Size of the whole SVG.
    pub size: (u32, u32),
    /// Title, top left.
    pub title: &'a str,
    /// One line under the title (how to read the chart).
    pub subtitle: &'a str,
    /// Pixels above the plot area (title, subtitle, legend, fault labels).
    pub top: u32,
    /// Pixels right of the plot area.
    pub right: u32,
    /// Width of the area left of the plot for the vertical axis' labels.
    pub left_labels: u32,
    /// Height of the area under the plot for the time axis' labels.
    pub bottom_labels: u32,
    /// The time range, seconds.
    pub x: (f64, f64),
    /// The time axis' description.
    pub x_desc: &'a str,
    /// The vertical axis.
    pub y: YAxis,
    /// The vertical axis' description.
    pub y_desc: &'a str,
}

/// A drawn frame: plotters' SVG so far, the plot rectangle and the axes' mappings.
#[derive(Debug)]
pub struct Frame {
    head: String,
    /// The plot rectangle.
    pub plot: Rect,
    /// Time (seconds) to x pixels.
    pub x: Axis,
    /// Data to y pixels.
    pub y: Axis,
}

/// Formats a time tick given the tick spacing: as many decimals as the spacing needs.
pub fn time_tick(v: f64, span: f64) -> String {
    let step = span / 10.0;
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    let s = format!("{v:.decimals$}");
    if s == "-0" || s.starts_with("-0.") && s.trim_start_matches("-0.").chars().all(|c| c == '0') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// Formats a number briefly: `0.5`, `12`, `1.5k`, `2M`.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if x.fract().abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else if x.abs() >= 10.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else {
        let t = format!("{x:.3}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    format!("{s}{suffix}")
}

fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

impl Frame {
    /// Draws the frame of `spec`.
    pub fn new(spec: &FrameSpec<'_>) -> Result<Frame, ChartError> {
        Frame::build(spec, false)
    }

    /// Draws the frame of `spec` with a logarithmic horizontal axis over `spec.x` (which must
    /// be positive), tick labels at powers of ten: for distributions such as a latency CDF.
    pub fn with_log_x(spec: &FrameSpec<'_>) -> Result<Frame, ChartError> {
        Frame::build(spec, true)
    }

    fn build(spec: &FrameSpec<'_>, log_x: bool) -> Result<Frame, ChartError> {
        fonts::register()?;
        let mut head = String::new();
        let (plot, x, y) = {
            let root = SVGBackend::with_string(&mut head, spec.size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let xr = spec.x.0..spec.x.1;
            let r = match (log_x, spec.y) {
                (false, YAxis::Linear(a, b) | YAxis::Lanes(a, b)) => {
                    mesh(&root, spec, xr, false, a..b, false)?
                }
                (false, YAxis::Log(a, b)) => mesh(&root, spec, xr, false, (a..b).log_scale(), true)?,
                (true, YAxis::Linear(a, b) | YAxis::Lanes(a, b)) => {
                    mesh(&root, spec, xr.log_scale(), true, a..b, false)?
                }
                (true, YAxis::Log(a, b)) => {
                    mesh(&root, spec, xr.log_scale(), true, (a..b).log_scale(), true)?
                }
            };
            root.present().map_err(draw_err)?;
            r
        };
        let end = head.rfind("</svg>").ok_or_else(|| ChartError::Draw("plotters wrote no </svg>".into()))?;
        head.truncate(end);
        Ok(Frame { head, plot, x, y })
    }

    /// A frame with no axes: a white canvas of `size` (for charts that are not plots).
    pub fn blank(size: (u32, u32)) -> Result<Frame, ChartError> {
        fonts::register()?;
        let mut head = String::new();
        {
            let root = SVGBackend::with_string(&mut head, size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            root.present().map_err(draw_err)?;
        }
        let end = head.rfind("</svg>").ok_or_else(|| ChartError::Draw("plotters wrote no </svg>".into()))?;
        head.truncate(end);
        let none = Axis { v0: 0.0, v1: 1.0, p0: 0.0, p1: 0.0, log: false };
        Ok(Frame { head, plot: Rect { x0: 0.0, y0: 0.0, x1: 0.0, y1: 0.0 }, x: none, y: none })
    }

    /// Writes the title, subtitle and the plot-area marker, then returns the overlay writer.
    pub fn overlay(&self, spec: &FrameSpec<'_>, css: &str) -> Svg {
        let mut s = Svg::new();
        s.raw(&style_block(css));
        s.text(14.0, 22.0, super::style::TITLE_PX, Anchor::Start, "title", spec.title);
        if !spec.subtitle.is_empty() {
            s.text(14.0, 40.0, LABEL_PX, Anchor::Start, "sub", spec.subtitle);
        }
        s.fmt(format_args!(
            "<g class=\"plot-area\" data-x=\"{}\" data-y=\"{}\" data-width=\"{}\" data-height=\"{}\" \
             data-t0-s=\"{}\" data-t1-s=\"{}\" data-x0=\"{}\" data-x1=\"{}\"></g>\n",
            Num(self.plot.x0),
            Num(self.plot.y0),
            Num(self.plot.w()),
            Num(self.plot.h()),
            self.x.v0,
            self.x.v1,
            self.x.p0,
            self.x.p1
        ));
        s
    }

    /// The finished SVG: the frame, then the overlay on top.
    pub fn finish(self, overlay: Svg) -> String {
        let mut out = self.head;
        out.push_str(&overlay.into_string());
        out.push_str("</svg>\n");
        out
    }
}

fn mesh<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    spec: &FrameSpec<'_>,
    x_range: X,
    log_x: bool,
    y_range: Y,
    log: bool,
) -> Result<(Rect, Axis, Axis), ChartError>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let lanes = matches!(spec.y, YAxis::Lanes(..));
    let mut chart = ChartBuilder::on(root)
        .margin_top(spec.top)
        .margin_right(spec.right)
        .margin_left(6)
        .margin_bottom(6)
        .x_label_area_size(spec.bottom_labels)
        .y_label_area_size(spec.left_labels)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_err)?;
    let (x0, x1) = spec.x;
    let span = x1 - x0;
    let x_fmt = |v: &f64| if log_x { short_number(*v) } else { time_tick(*v, span) };
    let y_fmt = |v: &f64| short_number(*v);
    let label = (FAMILY, fonts::plotters_size(LABEL_PX)).into_font().color(&RGBColor(60, 60, 60));
    let desc = (FAMILY, fonts::plotters_size(LABEL_PX)).into_font().color(&RGBColor(30, 30, 30));
    let x_labels = if log_x { ((x1 / x0).log10().round() as usize).max(1) + 1 } else { 11 };
    let mut m = chart.configure_mesh();
    m.x_labels(x_labels)
        .x_label_formatter(&x_fmt)
        .x_desc(spec.x_desc)
        .label_style(label)
        .axis_desc_style(desc)
        .axis_style(RGBColor(120, 120, 120))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(243, 243, 243));
    if lanes {
        m.y_labels(0).disable_y_mesh().x_max_light_lines(1);
    } else {
        let y_range = chart_range(spec);
        let labels = if log { ((y_range.1 / y_range.0).log10().round() as usize).max(1) + 1 } else { 6 };
        m.y_labels(labels).y_label_formatter(&y_fmt).y_desc(spec.y_desc);
    }
    m.draw().map_err(draw_err)?;
    let (ya, yb) = chart_range(spec);
    let a = chart.backend_coord(&(x0, ya));
    let b = chart.backend_coord(&(x1, yb));
    let plot = Rect { x0: a.0 as f64, y0: b.1 as f64, x1: b.0 as f64, y1: a.1 as f64 };
    let x = Axis { v0: x0, v1: x1, p0: a.0 as f64, p1: b.0 as f64, log: log_x };
    let y = Axis { v0: ya, v1: yb, p0: a.1 as f64, p1: b.1 as f64, log };
    Ok((plot, x, y))
}

fn chart_range(spec: &FrameSpec<'_>) -> (f64, f64) {
    match spec.y {
        YAxis::Linear(a, b) | YAxis::Log(a, b) | YAxis::Lanes(a, b) => (a, b),
    }
}

/// Lays out a legend left to right starting at `(x, y)`: each entry is a swatch drawn by
/// `swatch(svg, x, y)` (10 px wide) and a label. Returns the y under the legend.
pub fn legend(s: &mut Svg, x: f64, y: f64, max_x: f64, entries: &[(String, LegendSwatch)]) -> f64 {
    let mut cx = x;
    let mut cy = y;
    for (label, sw) in entries {
        let w = 16.0 + fonts::text_width(label, SMALL_PX + 1.0) + 16.0;
        if cx + w > max_x && cx > x {
            cx = x;
            cy += 16.0;
        }
        sw.draw(s, cx, cy - 4.0);
        s.text(cx + 15.0, cy, SMALL_PX + 1.0, Anchor::Start, "legend", label);
        cx += w;
    }
    cy + 16.0
}

/// A legend swatch.
#[derive(Clone, Debug)]
pub enum LegendSwatch {
    /// A filled circle of this colour.
    Dot(&'static str),
    /// A filled square of this colour.
    Square(&'static str),
    /// A downward triangle of this colour.
    Triangle(&'static str),
    /// A block of this colour with this opacity.
    Block(&'static str, f64),
    /// A short line of this colour.
    Line(&'static str),
    /// A cross of this colour.
    Cross(&'static str),
    /// An empty ring of this colour.
    Ring(&'static str),
}

impl LegendSwatch {
    fn draw(&self, s: &mut Svg, x: f64, y: f64) {
        match *self {
            LegendSwatch::Dot(c) => s.fmt(format_args!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{c}\"/>\n",
                Num(x + 5.0),
                Num(y)
            )),
            LegendSwatch::Square(c) => s.fmt(format_args!(
                "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" fill=\"{c}\"/>\n",
                Num(x + 1.0),
                Num(y - 4.0)
            )),
            LegendSwatch::Triangle(c) => s.fmt(format_args!(
                "<path d=\"M{} {}h10l-5 8z\" fill=\"{c}\"/>\n",
                Num(x),
                Num(y - 4.0)
            )),
            LegendSwatch::Block(c, o) => s.fmt(format_args!(
                "<rect x=\"{}\" y=\"{}\" width=\"11\" height=\"11\" fill=\"{c}\" fill-opacity=\"{o}\" stroke=\"{c}\"/>\n",
                Num(x),
                Num(y - 5.5)
            )),
            LegendSwatch::Line(c) => s.fmt(format_args!(
                "<path d=\"M{} {}h12\" stroke=\"{c}\" stroke-width=\"2\"/>\n",
                Num(x),
                Num(y)
            )),
            LegendSwatch::Ring(c) => s.fmt(format_args!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1.8\"/>\n",
                Num(x + 5.0),
                Num(y)
            )),
            LegendSwatch::Cross(c) => s.fmt(format_args!(
                "<path d=\"M{} {}l8 8m0 -8l-8 8\" stroke=\"{c}\" stroke-width=\"2\"/>\n",
                Num(x + 1.0),
                Num(y - 4.0)
            )),
        }
    }
}

/// Powers of ten around positive values, at least two decades apart, for a log axis
/// (`1..1000` when there are none).
pub fn log_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (min, max) = values.into_iter().fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if !min.is_finite() || max <= 0.0 {
        return (1.0, 1000.0);
    }
    let mut lo = 10f64.powf(min.log10().floor());
    let hi = 10f64.powf((max * 1.05).log10().ceil());
    while hi / lo < 99.0 {
        lo /= 10.0;
    }
    (lo, hi)
}

/// A time range in seconds from nanoseconds.
pub fn secs(r: Range<u64>) -> (f64, f64) {
    (r.start as f64 / 1e9, r.end as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_show_the_decimals_the_spacing_needs() {
        assert_eq!(time_tick(3.0, 10.0), "3");
        assert_eq!(time_tick(2.95, 0.5), "2.95");
        assert_eq!(time_tick(3.1, 1.0), "3.1");
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(0.1), "0.1");
        assert_eq!(short_number(1000.0), "1k");
        assert_eq!(short_number(1500.0), "1.5k");
        assert_eq!(short_number(250.0), "250");
    }

    #[test]
    fn axes_map_both_ways() {
        let a = Axis { v0: 0.0, v1: 10.0, p0: 100.0, p1: 1100.0, log: false };
        assert_eq!(a.px(5.0), 600.0);
        assert_eq!(a.value(600.0), 5.0);
        let l = Axis { v0: 1.0, v1: 1000.0, p0: 400.0, p1: 100.0, log: true };
        assert!((l.px(10.0) - 300.0).abs() < 1e-9);
    }
}

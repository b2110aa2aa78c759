//! A small writer for the SVG elements the charts add on top of plotters' axes: every data
//! mark gets a class (and data attributes) so that tests and curious students can find it,
//! and coordinates are written with one decimal so that files stay small and identical from
//! run to run.

use std::fmt::{self, Write};

/// A coordinate or size, printed with at most one decimal (`12`, `12.5`).
#[derive(Copy, Clone, Debug)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = (self.0 * 10.0).round() / 10.0;
        let v = if v == 0.0 { 0.0 } else { v };
        if v.fract() == 0.0 && v.abs() < 1e15 { write!(f, "{}", v as i64) } else { write!(f, "{v:.1}") }
    }
}

/// Escapes text for XML and HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text anchoring.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// SVG markup being written.
#[derive(Default, Debug)]
pub struct Svg {
    buf: String,
}

impl Svg {
    /// Empty markup.
    pub fn new() -> Self {
        Svg { buf: String::with_capacity(64 * 1024) }
    }

    /// The markup written so far.
    pub fn into_string(self) -> String {
        self.buf
    }

    /// Appends raw markup.
    pub fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    /// Appends formatted raw markup.
    pub fn fmt(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.buf.write_fmt(args);
    }

    /// Opens a `<g>` with a class and extra attributes (values are escaped).
    pub fn open_group(&mut self, class: &str, attrs: &[(&str, String)]) {
        let _ = write!(self.buf, "<g class=\"{}\"", esc(class));
        self.attrs(attrs);
        self.buf.push_str(">\n");
    }

    /// Closes a `<g>`.
    pub fn close_group(&mut self) {
        self.buf.push_str("</g>\n");
    }

    fn attrs(&mut self, attrs: &[(&str, String)]) {
        for (k, v) in attrs {
            let _ = write!(self.buf, " {k}=\"{}\"", esc(v));
        }
    }

    /// A rectangle; `title` (if any) becomes its hover text.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        class: &str,
        attrs: &[(&str, String)],
        title: Option<&str>,
    ) {
        let _ = write!(
            self.buf,
            "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            esc(class),
            Num(x),
            Num(y),
            Num(w.max(0.0)),
            Num(h.max(0.0))
        );
        self.attrs(attrs);
        self.close("rect", title);
    }

    /// A straight line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str, attrs: &[(&str, String)]) {
        let _ = write!(
            self.buf,
            "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"",
            esc(class),
            Num(x1),
            Num(y1),
            Num(x2),
            Num(y2)
        );
        self.attrs(attrs);
        self.buf.push_str("/>\n");
    }

    /// A path with the given `d`.
    pub fn path(&mut self, d: &str, class: &str, attrs: &[(&str, String)], title: Option<&str>) {
        let _ = write!(self.buf, "<path class=\"{}\" d=\"{d}\"", esc(class));
        self.attrs(attrs);
        self.close("path", title);
    }

    /// A circle.
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, class: &str) {
        let _ = writeln!(
            self.buf,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
            Num(cx),
            Num(cy),
            Num(r)
        );
    }

    /// A line of text of `px` pixels.
    pub fn text(&mut self, x: f64, y: f64, px: f64, anchor: Anchor, class: &str, text: &str) {
        let _ = writeln!(
            self.buf,
            "<text class=\"{}\" x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\">{}</text>",
            esc(class),
            Num(x),
            Num(y),
            Num(px),
            anchor.name(),
            esc(text)
        );
    }

    fn close(&mut self, tag: &str, title: Option<&str>) {
        match title {
            Some(t) => {
                let _ = writeln!(self.buf, "><title>{}</title></{tag}>", esc(t));
            }
            None => self.buf.push_str("/>\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(Num(12.0).to_string(), "12");
        assert_eq!(Num(12.04).to_string(), "12");
        assert_eq!(Num(12.06).to_string(), "12.1");
        assert_eq!(Num(-0.01).to_string(), "0");
    }

    #[test]
    fn titles_close_the_right_element() {
        let mut s = Svg::new();
        s.rect(0.0, 0.0, 1.0, 1.0, "a", &[], Some("x < y"));
        s.path("M0 0", "b", &[], Some("t"));
        let out = s.into_string();
        assert!(out.contains("<title>x &lt; y</title></rect>"), "{out}");
        assert!(out.contains("<title>t</title></path>"), "{out}");
    }
}

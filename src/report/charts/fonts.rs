//! The one font the charts are laid out with, embedded in the binary.
//!
//! plotters measures every label it places (axis labels, tick labels) with a real font. Looking
//! fonts up on the system (font-kit, fontconfig) would make the charts depend on the machine:
//! a fresh container has no fonts at all. So DejaVu Sans (Bitstream Vera licence, see
//! `assets/fonts/LICENSE-DejaVu.txt`) is compiled in with `include_bytes!` and registered
//! with plotters' `ab_glyph` backend under the family names the charts use. The SVG files
//! name the same family (`DejaVu Sans, sans-serif`), so a viewer that has DejaVu draws text
//! exactly as measured and any other viewer falls back to its own sans-serif face.

use std::sync::OnceLock;

use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

use super::ChartError;

/// The font family written into the SVG files and used for measuring text.
pub const FAMILY: &str = "DejaVu Sans, sans-serif";

/// DejaVu Sans, unmodified, from Debian's `fonts-dejavu-core` 2.37.
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font with plotters (once per process) under [`FAMILY`] and under
/// plotters' default `sans-serif`. Every chart calls this first; anything else in the crate
/// that draws text with plotters must call it too, because with the `ab_glyph` feature
/// plotters knows no font that was not registered.
pub fn register() -> Result<(), ChartError> {
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", FAMILY, "serif", "monospace"]
            .iter()
            .all(|name| register_font(name, FontStyle::Normal, DEJAVU_SANS).is_ok())
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// plotters sizes fonts so that the SVG `font-size` is the given size divided by 1.24; this
/// converts a wanted SVG pixel size into plotters' size.
pub fn plotters_size(px: f64) -> f64 {
    px * 1.24
}

/// A plotters font of `px` SVG pixels in the embedded family.
pub fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), plotters_size(px), FontStyle::Normal)
}

/// The width in pixels of `text` drawn at `px` pixels (measured with the embedded font;
/// a generous estimate if measuring fails).
pub fn text_width(text: &str, px: f64) -> f64 {
    match font(px).box_size(text) {
        Ok((w, _)) => f64::from(w),
        Err(_) => text.chars().count() as f64 * px * 0.62,
    }
}

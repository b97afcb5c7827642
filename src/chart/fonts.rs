//! Embedded fonts: DejaVu Sans Regular and Bold, registered once with plotters' `ab_glyph`
//! font registry under the family name `"sans-serif"`, so charts render the same on a machine
//! with no system fonts at all. Licence: `fonts/LICENSE` (Bitstream Vera / DejaVu).

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::ChartError;
use super::style::{FONT_FAMILY, SVG_FONT_STACK};

pub(super) static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
pub(super) static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// Outcome of the one registration attempt; an error is kept as text so it can be reported on
/// every later call too.
static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers the embedded fonts with plotters, exactly once per process: as `"sans-serif"`
/// (bitmaps) and under the CSS font list that SVG output names. Later calls return the first
/// call's outcome.
pub fn ensure_registered() -> Result<(), ChartError> {
    REGISTERED.get_or_init(register_all).clone().map_err(ChartError::Font)
}

fn register_all() -> Result<(), String> {
    // `InvalidFont` implements neither Debug nor Display: say which face failed by hand.
    for family in [FONT_FAMILY, SVG_FONT_STACK] {
        register_font(family, FontStyle::Normal, REGULAR).map_err(|_| "embedded font DejaVuSans.ttf could not be parsed".to_string())?;
        register_font(family, FontStyle::Bold, BOLD).map_err(|_| "embedded font DejaVuSans-Bold.ttf could not be parsed".to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_and_is_idempotent() {
        assert!(ensure_registered().is_ok());
        assert!(ensure_registered().is_ok());
        let font = plotters::style::FontDesc::new(plotters::style::FontFamily::SansSerif, 20.0, FontStyle::Bold);
        let (w, _) = font.box_size("Trainium2").unwrap_or((0, 0));
        assert!(w > 50, "bold font should measure text, got width {w}");
    }
}

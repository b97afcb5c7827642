//! The house style, in one place: canvas size, margins, font sizes, line widths, the palette
//! and the per-family colours, dash patterns and marker shapes. Every length here is in
//! "design pixels" at the 1600x1000 base canvas; the painter multiplies by the canvas scale,
//! so `--scale 2` doubles everything.

use plotters::style::RGBColor;

use super::Look;
use super::draw::Marker;

// ---- canvas -------------------------------------------------------------------------------

/// Width of the base canvas that every size below is designed for.
pub const BASE_WIDTH: f64 = 1600.0;
/// Height of the base canvas.
pub const BASE_HEIGHT: f64 = 1000.0;
/// Smallest accepted canvas side, in pixels.
pub const MIN_CANVAS_SIDE: u32 = 200;
/// Largest accepted canvas side, in pixels.
pub const MAX_CANVAS_SIDE: u32 = 20_000;
/// Largest accepted canvas area, in pixels (keeps the RGB buffer below ~300 MB).
pub const MAX_CANVAS_PIXELS: u64 = 100_000_000;

// ---- fonts ----------------------------------------------------------------------------------

/// Family name the embedded fonts are registered under.
pub const FONT_FAMILY: &str = "sans-serif";
/// The same fonts, registered under a CSS font list: SVG text names it, so a viewer with
/// DejaVu Sans draws exactly what the PNG shows and others fall back to a similar sans.
pub const SVG_FONT_STACK: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";
/// The smallest text size: 9 pt when the 1600 px canvas is pasted at half the width of a
/// 16:9 slide (13.33 x 7.5 in): 1600 px / 6.67 in = 240 px per inch, so 9 pt (0.125 in) is an
/// em of 30 px, and an em is `size * EM`: 30 / EM = 34.9, rounded up to 35.
pub const MIN_TEXT_SIZE: f64 = 35.0;
pub const TITLE_SIZE: f64 = 48.0;
pub const SUBTITLE_SIZE: f64 = 37.0;
pub const AXIS_LABEL_SIZE: f64 = MIN_TEXT_SIZE;
pub const PANEL_TITLE_SIZE: f64 = 36.0;
pub const TICK_SIZE: f64 = MIN_TEXT_SIZE;
pub const LEGEND_SIZE: f64 = MIN_TEXT_SIZE;
pub const CATEGORY_SIZE: f64 = MIN_TEXT_SIZE;
pub const VALUE_LABEL_SIZE: f64 = MIN_TEXT_SIZE;
pub const POINT_LABEL_SIZE: f64 = MIN_TEXT_SIZE;
pub const ANNOTATION_SIZE: f64 = MIN_TEXT_SIZE;
pub const NOTE_SIZE: f64 = MIN_TEXT_SIZE;
pub const FOOTER_SIZE: f64 = MIN_TEXT_SIZE;
pub const MESSAGE_SIZE: f64 = 38.0;

/// DejaVu Sans metrics as fractions of the plotters font size (ab_glyph pixel scale).
pub const CAP_HEIGHT: f64 = 0.626;
pub const ASCENT: f64 = 0.80;
pub const DESCENT: f64 = 0.20;
/// Em of DejaVu Sans as a fraction of the ab_glyph pixel scale (ascent + descent = 1.164 em).
pub const EM: f64 = 1.0 / 1.164;
/// plotters' SVG backend writes `font-size = size / 1.24`; SVG sizes are multiplied by this so
/// SVG text has the same em as the bitmap.
pub const SVG_SIZE_FIX: f64 = 1.24 * EM;
/// Where plotters puts the baseline below a top-anchored text's position: ab_glyph bitmaps
/// draw the baseline half a font size down; SVG uses `dy="0.76em"`.
pub const BITMAP_TOP_TO_BASELINE: f64 = 0.5;
pub const SVG_TOP_TO_BASELINE: f64 = 0.76 * EM;
/// Line height for wrapped text, as a multiple of the font size.
pub const LINE_HEIGHT: f64 = 1.32;

// ---- layout -----------------------------------------------------------------------------------

pub const MARGIN_LEFT: f64 = 40.0;
pub const MARGIN_RIGHT: f64 = 44.0;
pub const MARGIN_TOP: f64 = 26.0;
pub const MARGIN_BOTTOM: f64 = 20.0;
/// Gap between the subtitle and whatever comes below the header.
pub const HEADER_GAP: f64 = 18.0;
/// Gap between the plot block and the notes / footer.
pub const FOOTER_GAP: f64 = 14.0;
/// Vertical band above the plot for the horizontal y-axis title.
pub const Y_TITLE_BAND: f64 = 58.0;
/// Gap between a tick label and the plot edge.
pub const TICK_LABEL_GAP: f64 = 12.0;
/// Tick mark length on the x axis.
pub const TICK_LENGTH: f64 = 6.0;
/// Room below the plot for x tick labels and the x-axis title.
pub const X_AXIS_BAND: f64 = 100.0;
/// Target spacing between ticks, x and y.
pub const X_TICK_SPACING: f64 = 170.0;
pub const Y_TICK_SPACING: f64 = 100.0;
/// Closest spacing of decade ticks on log axes, x and y.
pub const LOG_X_TICK_SPACING: f64 = 130.0;
pub const LOG_Y_TICK_SPACING: f64 = 64.0;
/// Gap between the plot and the legend column.
pub const LEGEND_GAP: f64 = 32.0;
/// Widest legend column, text included; longer entries wrap.
pub const LEGEND_MAX_WIDTH: f64 = 430.0;
/// Width of a legend line sample.
pub const LEGEND_SAMPLE: f64 = 60.0;
/// Gap between sample and label, and between row-legend entries.
pub const LEGEND_TEXT_GAP: f64 = 12.0;
pub const LEGEND_ENTRY_GAP: f64 = 30.0;
/// Vertical pitch of legend column entries.
pub const LEGEND_ROW: f64 = 46.0;
/// Minimum pitch when many entries must fit.
pub const LEGEND_ROW_MIN: f64 = 38.0;
/// Gap between panels of a panel chart.
pub const PANEL_GAP: f64 = 56.0;
/// Category label column: widest share of the panel width.
pub const CATEGORY_MAX_SHARE: f64 = 0.42;
/// Bar thickness as a share of the row pitch, and its cap.
pub const BAR_FILL: f64 = 0.66;
pub const BAR_MAX_THICKNESS: f64 = 46.0;
/// Gap between a bar end and its text.
pub const VALUE_GAP: f64 = 9.0;
/// Colour bar of the heatmap.
pub const COLORBAR_WIDTH: f64 = 30.0;
pub const COLORBAR_GAP: f64 = 40.0;

// ---- lines and markers ----------------------------------------------------------------------

pub const SERIES_WIDTH: f64 = 3.2;

pub const GRID_WIDTH: f64 = 1.0;
pub const AXIS_WIDTH: f64 = 1.6;
pub const REFERENCE_WIDTH: f64 = 2.2;
pub const CONTOUR_WIDTH: f64 = 3.6;
pub const MARKER_SIZE: f64 = 8.5;
pub const SCATTER_MARKER_SIZE: f64 = 12.0;
/// White outline around markers so they stand out on lines and fills.
pub const MARKER_HALO: f64 = 2.0;
/// Most markers drawn along one line series; fewer when a chart has many series.
pub const MAX_MARKERS_PER_LINE: usize = 9;
pub const MARKERS_PER_LINE_CROWDED: usize = 5;
/// From this many series on a chart counts as crowded.
pub const CROWDED_SERIES: usize = 8;
/// Opacity of P10-P90 bands.
pub const BAND_ALPHA: f64 = 0.14;

/// Dash patterns (on, off, on, off, ... in design pixels), chosen by `style_index`.
pub const DASHES: [&[f64]; 5] = [&[], &[16.0, 9.0], &[3.5, 6.5], &[16.0, 6.0, 3.5, 6.0], &[30.0, 9.0]];
/// Marker shapes, chosen by `style_index`.
pub const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Diamond,
    Marker::Cross,
    Marker::TriangleDown,
];
/// How much darker a family member is drawn, by `style_index` (0 = family colour).
pub const SHADES: [f64; 4] = [0.0, 0.36, 0.16, 0.5];

pub const REFERENCE_DASH: &[f64] = &[10.0, 7.0];

// ---- palette --------------------------------------------------------------------------------

pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
pub const TEXT_DARK: RGBColor = RGBColor(33, 33, 33);
pub const TEXT_MID: RGBColor = RGBColor(80, 80, 80);
pub const TEXT_LIGHT: RGBColor = RGBColor(118, 118, 118);
pub const GRID: RGBColor = RGBColor(226, 226, 226);
pub const GRID_MINOR: RGBColor = RGBColor(242, 242, 242);
pub const AXIS: RGBColor = RGBColor(140, 140, 140);
pub const REFERENCE: RGBColor = RGBColor(60, 60, 60);

pub const CONTOUR: RGBColor = RGBColor(25, 25, 25);
pub const MISSING: RGBColor = RGBColor(205, 205, 205);
/// Colour mixed in to darken family shades.
pub const SHADE_TARGET: RGBColor = RGBColor(15, 15, 15);

pub const GPU_GREEN: RGBColor = RGBColor(92, 153, 0);
pub const TRAINIUM_ORANGE: RGBColor = RGBColor(236, 134, 0);
pub const INFERENTIA_PURPLE: RGBColor = RGBColor(128, 77, 224);
pub const TPU_BLUE: RGBColor = RGBColor(26, 115, 232);
pub const OTHER_GREY: RGBColor = RGBColor(125, 125, 125);
/// AMD GPUs as their own series in the decade charts.
pub const AMD_RED: RGBColor = RGBColor(204, 37, 41);
/// The neocloud market as its own series in the decade charts.
pub const NEOCLOUD_TEAL: RGBColor = RGBColor(0, 128, 128);

/// Stacked-bar segments (TCO components), in order.
pub const SEGMENT_COLORS: [RGBColor; 8] = [
    RGBColor(31, 58, 95),
    RGBColor(86, 132, 190),
    RGBColor(72, 160, 150),
    RGBColor(206, 184, 132),
    RGBColor(222, 112, 84),
    RGBColor(140, 110, 170),
    RGBColor(150, 150, 150),
    RGBColor(190, 160, 60),
];

/// Tornado halves: output with the input at its low end, and at its high end.
pub const TORNADO_LOW: RGBColor = RGBColor(76, 114, 176);
pub const TORNADO_HIGH: RGBColor = RGBColor(221, 132, 82);

/// Diverging heatmap scale from "cheaper" (first) through neutral to "dearer" (last)
/// (ColorBrewer RdYlGn, reversed).
pub const DIVERGING: [RGBColor; 9] = [
    RGBColor(26, 152, 80),
    RGBColor(102, 189, 99),
    RGBColor(166, 217, 106),
    RGBColor(217, 239, 139),
    RGBColor(255, 255, 191),
    RGBColor(254, 224, 139),
    RGBColor(253, 174, 97),
    RGBColor(244, 109, 67),
    RGBColor(215, 48, 39),
];

// ---- per-family look -------------------------------------------------------------------------

/// Colour of the `style_index`-th member of a family: the family colour, darkened a little
/// for some members so neighbouring lines stay apart.
pub fn series_color(look: &Look, style_index: usize) -> RGBColor {
    let shade = SHADES[style_index % SHADES.len()];
    mix(look.color, SHADE_TARGET, shade)
}

/// Dash pattern of the `style_index`-th member of a family.
pub fn series_dash(style_index: usize) -> &'static [f64] {
    DASHES[style_index % DASHES.len()]
}

/// Marker of the `style_index`-th member of a family. Dashes cycle by 5 and markers by 6, so
/// members 0..30 never repeat a (dash, marker) pair.
pub fn series_marker(style_index: usize) -> Marker {
    MARKERS[style_index % MARKERS.len()]
}

/// Name of the marker of the `style_index`-th member of a family, as summary.json gives it.
pub fn series_marker_name(style_index: usize) -> &'static str {
    match series_marker(style_index) {
        Marker::Circle => "circle",
        Marker::Triangle => "triangle",
        Marker::Square => "square",
        Marker::Diamond => "diamond",
        Marker::Cross => "cross",
        Marker::TriangleDown => "triangle-down",
    }
}

/// Linear mix of two colours: `t = 0` gives `a`, `t = 1` gives `b`.
pub fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// Colour of the segment at `index` of a stacked bar.
pub fn segment_color(index: usize) -> RGBColor {
    SEGMENT_COLORS[index % SEGMENT_COLORS.len()]
}

/// Colour on the diverging scale at `t` in [-1, 1] (-1 cheapest, 0 neutral, 1 dearest).
pub fn diverging(t: f64) -> RGBColor {
    if !t.is_finite() {
        return MISSING;
    }
    let pos = (t.clamp(-1.0, 1.0) + 1.0) / 2.0 * (DIVERGING.len() - 1) as f64;
    let i = (pos.floor() as usize).min(DIVERGING.len() - 2);
    mix(DIVERGING[i], DIVERGING[i + 1], pos - i as f64)
}

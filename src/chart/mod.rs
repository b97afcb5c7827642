//! Charts for board decks: line charts with P10-P90 bands, price-performance scatter with a
//! trend line, horizontal ratio bars (single or side-by-side panels), stacked TCO bars, a
//! tornado and a break-even heatmap, drawn with plotters to PNG or SVG.
//!
//! Callers build plain data (`Chart`) and call [`render`]; everything about the look (sizes,
//! palette, fonts) lives in `style.rs`, the embedded fonts in `fonts.rs`. No input makes this
//! module panic: invalid values (NaN, infinities, non-positive values on a log axis) are
//! skipped, empty charts render with a "No data" message, and every plotters or I/O failure is
//! a [`ChartError`].

mod axis;
mod bars;
mod draw;
pub(crate) use draw::Marker;
pub(crate) mod fonts;
mod heatmap;
mod layout;
mod line;
mod raster;
mod scatter;
pub(crate) mod style;
mod tornado;

use std::fmt;

use plotters::prelude::{DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::RGBColor;

pub use axis::format_value;

/// How one series is drawn: colour, dash pattern and marker (summary.json `styles`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeriesStyle {
    /// "#rrggbb".
    pub colour: String,
    /// Dash pattern, on/off lengths in design pixels at 1600x1000 (empty: solid).
    pub dash: Vec<f64>,
    pub marker: &'static str,
}

/// The style of the `style_index`-th member of a family of look `look`, as the line charts draw it.
pub fn series_style(look: &Look, style_index: usize) -> SeriesStyle {
    let c = style::series_color(look, style_index);
    SeriesStyle {
        colour: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
        dash: style::series_dash(style_index).to_vec(),
        marker: style::series_marker_name(style_index),
    }
}

use draw::Painter;

// ---- public data types ----------------------------------------------------------------------

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

/// Output size in pixels. Every size in the chart (fonts, lines, margins) scales with
/// `min(width / 1600, height / 1000)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
}

impl Default for Canvas {
    fn default() -> Self {
        Canvas { width: 1600, height: 1000 }
    }
}

impl Canvas {
    /// Multiplier from design pixels (at 1600x1000) to this canvas's pixels.
    pub fn scale_factor(&self) -> f64 {
        (f64::from(self.width) / style::BASE_WIDTH).min(f64::from(self.height) / style::BASE_HEIGHT)
    }

    /// This canvas, made taller for a line chart whose legend and notes leave the plot too
    /// little room (below), or for a bar chart with more rows than fit at the smallest text
    /// size: `(700 + 44 x rows)` design pixels high when that exceeds the canvas's height (the
    /// title block, panel titles, axis, 4 lines of notes and key, and footer take about 700; a
    /// row of 35-size text needs 44; each further note line 46). Width and scale are unchanged, so text keeps its size; 14 rows give 1600x1316,
    /// 5.5 in high at half a 16:9 slide's width, within the slide's 7.5 in.
    pub fn fit_rows(self, chart: &Chart) -> Canvas {
        let rows = match chart {
            Chart::Panels(p) => p.panels.iter().map(|b| b.bars.len()).max().unwrap_or(0),
            Chart::Stacked(c) => c.categories.len(),
            _ => 0,
        };
        // Notes and key beyond the 4 lines the 700 allow for: about 80 characters a line.
        let f = chart.frame();
        let lines: usize = f.notes.iter().chain(&f.key).map(|n| n.chars().count().div_ceil(80)).sum();
        let extra = lines.min(layout::MAX_NOTE_LINES).saturating_sub(4) as f64 * 46.0;
        let k = self.scale_factor();
        let design = match chart {
            // A line chart: title block, axes and footer about 560, a plot of at least 440 or
            // the legend column (46 a series), and the notes and key (46 a line).
            Chart::Line(c) => 560.0 + (46.0 * c.series.len() as f64).max(440.0) + 46.0 * lines.min(layout::MAX_NOTE_LINES) as f64,
            _ if rows > 0 => 700.0 + 44.0 * rows as f64 + extra,
            _ => 0.0,
        };
        // At most 1800: 7.5 in, the slide's height at 240 px per inch.
        let needed = (design.min(1800.0) * k).ceil() as u32;
        Canvas {
            width: self.width,
            height: self.height.max(needed.min(style::MAX_CANVAS_SIDE)),
        }
    }

    fn validate(&self) -> Result<(), ChartError> {
        let side_ok = |v: u32| (style::MIN_CANVAS_SIDE..=style::MAX_CANVAS_SIDE).contains(&v);
        let area = u64::from(self.width) * u64::from(self.height);
        if side_ok(self.width) && side_ok(self.height) && area <= style::MAX_CANVAS_PIXELS {
            Ok(())
        } else {
            Err(ChartError::InvalidCanvas {
                width: self.width,
                height: self.height,
            })
        }
    }
}

/// How one group of chips is drawn (a chip family's look, from `crate::family`): its rank
/// (legend order), base colour, marker (scatter charts) and legend word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Legend order: groups are listed by rising rank.
    pub rank: u8,
    pub color: RGBColor,
    pub marker: Marker,
    /// Legend word, e.g. "Trainium".
    pub legend: &'static str,
}

impl Look {
    /// The distinct looks among `looks`, in legend (rank) order.
    pub fn distinct(looks: impl Iterator<Item = Look>) -> Vec<Look> {
        let mut v: Vec<Look> = Vec::new();
        for l in looks {
            if !v.contains(&l) {
                v.push(l);
            }
        }
        v.sort_by_key(|l| l.rank);
        v
    }
}

/// Title block and small print shared by every chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// Bold headline at the top.
    pub title: String,
    /// One line (wrapped to two at most) under the title.
    pub subtitle: String,
    /// Provenance line at the bottom left, e.g. basis, config date and hash, tool version.
    pub footer: String,
    /// Lines above the footer, e.g. what was not drawn and why.
    pub notes: Vec<String>,
    /// The chart's key: what its marks (†, ‡, *) and whiskers mean. Drawn above the notes
    /// and never dropped when the notes overflow (then notes are cut instead).
    pub key: Vec<String>,
}

/// Linear or logarithmic axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisScale {
    Linear,
    Log,
}

/// What an axis measures; drives tick and value formatting (`$1k`, `$10M`, `1e24`, `0.42x`).
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// US dollars: `$950`, `$1k`, `$1.2M`, `$10B`.
    Usd,
    /// US dollars per hour: ticks like `Usd`, values as `$2.14/h`.
    UsdPerHour,
    /// A count: `512`, `1k`, `2.5M`.
    Count,
    /// A ratio: `0.42x`.
    Ratio,
    /// A plain number followed by this suffix (may be empty); below 10,000 numbers are written
    /// in full, so years read `2024`.
    Plain(String),
}

/// One axis: its title (which names the unit, e.g. "Training cost (USD, log scale)"), scale
/// and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub label: String,
    pub scale: AxisScale,
    pub unit: Unit,
}

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// Decides the colour.
    pub look: Look,
    /// Position within its family: decides dash pattern, marker shape and shade.
    pub style_index: usize,
    /// (x, y) points, drawn in the order given.
    pub points: Vec<(f64, f64)>,
    /// Optional (x, p10, p90) band, shaded in the series colour.
    pub band: Option<Vec<(f64, f64, f64)>>,
    /// Short texts at given points of the line, e.g. `(12.0, 3.1, "8 chips")` where the
    /// replica size changes; drawn with a dot, in the series colour.
    pub point_labels: Vec<(f64, f64, String)>,
}

/// Lines over a shared x axis, legend in a column right of the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub frame: Frame,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    /// Labelled dashed vertical lines, e.g. `(20.0, "target: 20 tokens/s per user")`.
    pub vlines: Vec<(f64, String)>,
}

/// One horizontal bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub look: Look,
    pub value: f64,
    /// Drawn at the bar end, e.g. "0.42x" or "$1.2M".
    pub text: String,
    /// Optional (low, high) whisker across the bar end, e.g. the P10-P90 of the value.
    pub whisker: Option<(f64, f64)>,
    /// Other figures the bar's text or panel draws, by CSV column name (e.g. the chance of
    /// costing less than the reference): not drawn as bars, written to the chart's CSV.
    pub extra: Vec<(String, f64)>,
}

/// Horizontal bars, top to bottom in the order given (callers sort).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub frame: Frame,
    pub value_axis: Axis,
    pub bars: Vec<Bar>,
    /// Optional dashed vertical line with a label, e.g. `(1.0, "H100 = 1.0x")`.
    pub reference_line: Option<(f64, String)>,
}

/// Several bar charts side by side in one image; each panel's `frame.title` is its panel
/// title and its `frame.notes` join the chart's notes.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelChart {
    pub frame: Frame,
    pub panels: Vec<BarChart>,
}

/// One component of a stacked bar: one value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSegment {
    pub name: String,
    pub values: Vec<f64>,
}

/// Horizontal stacked bars (e.g. TCO per chip-hour by component), a legend of segments and the
/// total at each bar end. The value axis is always drawn linear.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedBarChart {
    pub frame: Frame,
    pub value_axis: Axis,
    /// Bars top to bottom: label and family (shown as a colour chip by the label).
    pub categories: Vec<(String, Look)>,
    pub segments: Vec<StackSegment>,
}

/// One input of a tornado: the output with the input at its low and at its high end.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    pub input: String,
    pub low_value: f64,
    pub high_value: f64,
    /// The input's low value as text, drawn at the end of the low bar.
    pub low_input: String,
    /// The input's high value as text, drawn at the end of the high bar.
    pub high_input: String,
}

/// Sensitivity of one output to each ranged input (callers sort by swing).
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoChart {
    pub frame: Frame,
    pub value_axis: Axis,
    /// Output with every input at base; bars grow from here.
    pub base: f64,
    pub bars: Vec<TornadoBar>,
    /// Extra labelled vertical lines, e.g. `(1.0, "parity with H100")`.
    pub marks: Vec<(f64, String)>,
}

/// Break-even map: `z[j][i]` at `(xs[i], ys[j])`, coloured on a diverging scale centred on
/// `contour`, with the contour drawn and labelled and an optional marker. Values are read as
/// ratios (colour bar ticks `0.5x`, `2x`) when `contour` is 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub frame: Frame,
    pub x: Axis,
    pub y: Axis,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub z: Vec<Vec<f64>>,
    pub contour: f64,
    pub contour_label: String,
    /// Today's (x, y) and its label.
    pub marker: Option<(f64, f64, String)>,
}

/// Any chart this module draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Panels(PanelChart),
    Stacked(StackedBarChart),
    Tornado(TornadoChart),
    Heatmap(Heatmap),
}

impl Chart {
    /// The chart's title, subtitle, notes and footer.
    pub fn frame(&self) -> &Frame {
        match self {
            Chart::Line(c) => &c.frame,
            Chart::Panels(c) => &c.frame,
            Chart::Stacked(c) => &c.frame,
            Chart::Tornado(c) => &c.frame,
            Chart::Heatmap(c) => &c.frame,
        }
    }

    fn frame_mut(&mut self) -> &mut Frame {
        match self {
            Chart::Line(c) => &mut c.frame,
            Chart::Panels(c) => &mut c.frame,
            Chart::Stacked(c) => &mut c.frame,
            Chart::Tornado(c) => &mut c.frame,
            Chart::Heatmap(c) => &mut c.frame,
        }
    }

    /// Every name drawn next to the data, where a price mark can appear: bar and category
    /// labels, series names and point labels, tornado inputs.
    pub fn drawn_names(&self) -> Vec<&str> {
        match self {
            Chart::Line(c) => c
                .series
                .iter()
                .flat_map(|s| std::iter::once(s.name.as_str()).chain(s.point_labels.iter().map(|p| p.2.as_str())))
                .collect(),
            Chart::Panels(c) => c.panels.iter().flat_map(|p| p.bars.iter().map(|b| b.label.as_str())).collect(),
            Chart::Stacked(c) => c.categories.iter().map(|c| c.0.as_str()).collect(),
            Chart::Tornado(c) => c.bars.iter().map(|b| b.input.as_str()).collect(),
            Chart::Heatmap(_) => Vec::new(),
        }
    }

    /// Drops the key lines that explain a mark ("† ...", "‡ ...", "* ...") no drawn name
    /// carries: a key names what is on the chart, not every mark of the report.
    pub fn drop_unused_mark_keys(&mut self) {
        let names: Vec<String> = self.drawn_names().into_iter().map(str::to_string).collect();
        let carries = |m: &str| names.iter().any(|n| n.contains(m));
        let (dagger, ddagger, star) = (carries(" †"), carries(" ‡"), carries(" *"));
        self.frame_mut().key.retain(|k| {
            if k.starts_with("† ") {
                dagger
            } else if k.starts_with("‡ ") {
                ddagger
            } else if k.starts_with("* ") {
                star
            } else {
                true
            }
        });
    }
}

// ---- errors -------------------------------------------------------------------------------

/// Why a chart could not be drawn or written.
#[derive(Debug)]
pub enum ChartError {
    /// The embedded fonts could not be registered or used.
    Font(String),
    /// plotters failed while drawing or encoding.
    Draw(String),
    /// The canvas size is outside what can be drawn.
    InvalidCanvas { width: u32, height: u32 },
}

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartError::Font(msg) => write!(f, "chart font error: {msg}"),
            ChartError::Draw(msg) => write!(f, "chart drawing failed: {msg}"),
            ChartError::InvalidCanvas { width, height } => write!(
                f,
                "invalid chart size {width}x{height} (each side {}..={} pixels, at most {} pixels in all)",
                style::MIN_CANVAS_SIDE,
                style::MAX_CANVAS_SIDE,
                style::MAX_CANVAS_PIXELS
            ),
        }
    }
}

impl std::error::Error for ChartError {}

/// Converts any plotters drawing error into a [`ChartError`].
pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(e: plotters::drawing::DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

// ---- rendering -----------------------------------------------------------------------------

/// Draws `chart` and returns the encoded file (PNG or SVG) in memory; writing it is the
/// caller's job (see `crate::output`).
pub fn render_bytes(chart: &Chart, canvas: Canvas, format: Format) -> Result<Vec<u8>, ChartError> {
    match format {
        Format::Png => {
            // One raster per thread, reused from chart to chart: a fresh 1600x1000 buffer
            // costs its page faults again for every chart.
            thread_local! {
                static RGB: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
            }
            RGB.with_borrow_mut(|buf| {
                draw_rgb(chart, canvas, buf)?;
                encode_png(buf, canvas)
            })
        }
        Format::Svg => render_svg_string(chart, canvas).map(String::into_bytes),
    }
}

/// Draws `chart` as an SVG document.
pub fn render_svg_string(chart: &Chart, canvas: Canvas) -> Result<String, ChartError> {
    canvas.validate()?;
    fonts::ensure_registered()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (canvas.width, canvas.height)).into_drawing_area();
        let painter = Painter::new(&root, canvas.scale_factor(), true);
        draw_chart(&painter, chart)?;
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// Draws `chart` into a raw RGB buffer (`width * height * 3` bytes, rows top to bottom).
pub fn render_rgb(chart: &Chart, canvas: Canvas) -> Result<Vec<u8>, ChartError> {
    let mut buf = Vec::new();
    draw_rgb(chart, canvas, &mut buf)?;
    Ok(buf)
}

/// Draws `chart` into `buf`, resized to `width * height * 3` bytes (every chart starts by
/// filling the whole canvas with the background, so earlier contents need no clearing here).
fn draw_rgb(chart: &Chart, canvas: Canvas, buf: &mut Vec<u8>) -> Result<(), ChartError> {
    canvas.validate()?;
    fonts::ensure_registered()?;
    let (w, h) = (canvas.width, canvas.height);
    buf.resize(w as usize * h as usize * 3, 255);
    let backend = raster::Raster::new(buf, w, h).ok_or_else(|| ChartError::Draw("bitmap buffer of the wrong size".into()))?;
    let root = backend.into_drawing_area();
    let painter = Painter::new(&root, canvas.scale_factor() * f64::from(raster::SUB), false);
    draw_chart(&painter, chart)?;
    root.present().map_err(draw_error)
}

fn draw_chart<DB: DrawingBackend>(p: &Painter<DB>, chart: &Chart) -> Result<(), ChartError> {
    p.clear()?;
    match chart {
        Chart::Line(c) => line::draw(p, c),
        Chart::Panels(c) => bars::draw_panels(p, c),
        Chart::Stacked(c) => bars::draw_stacked(p, c),
        Chart::Tornado(c) => tornado::draw(p, c),
        Chart::Heatmap(c) => heatmap::draw(p, c),
    }
}

/// Encodes an RGB buffer as PNG: the fast deflate (the same level plotters' file backend
/// used) with the Paeth filter on every row instead of trying all five filters per row. On the
/// shipped report's ten charts this encodes in 27 ms instead of 46 ms, for files 4% larger
/// (4.46 MB instead of 4.27 MB); a stronger deflate would make files half the size at eight
/// times the time.
fn encode_png(rgb: &[u8], canvas: Canvas) -> Result<Vec<u8>, ChartError> {
    let err = |e: png::EncodingError| ChartError::Draw(format!("encoding PNG: {e}"));
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, canvas.width, canvas.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::FilterType::Paeth);
        enc.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(rgb).map_err(err)?;
        w.finish().map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

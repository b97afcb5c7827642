//! Horizontal bars: sorted ratio bars with a reference line, side-by-side panels of them, and
//! stacked TCO bars with a segment legend and totals. The shared row layout (category labels,
//! value axis sized so every bar-end text fits, labelled vertical lines) is also used by the
//! tornado.

use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor};

use super::axis::{self, Scale};
use super::draw::{Align, Font, Painter, Region};
use super::layout::{self, LegendItem, Swatch};
use super::style::*;
use super::{Axis, AxisScale, BarChart, ChartError, Look, PanelChart, StackedBarChart};

// ---- shared row layout -------------------------------------------------------------------

/// One row of a horizontal bar layout: its label, an optional colour chip before the label,
/// the value span it draws (`lo..hi`, NaN when nothing) and the widths (pixels) of the texts
/// drawn left of `lo` and right of `hi`.
pub(super) struct RowSpec {
    pub label: String,
    pub chip: Option<RGBColor>,
    pub lo: f64,
    pub hi: f64,
    pub left_text: f64,
    pub right_text: f64,
}

/// A labelled vertical line across the rows (reference, base, marks).
pub(super) struct VLine {
    pub value: f64,
    pub label: String,
    pub solid: bool,
}

/// The value axis of a bar layout: its spec, the scale actually drawn (stacked bars force
/// linear) and whether bars grow from zero (tornado bars grow from the base instead).
pub(super) struct ValueAxis<'a> {
    pub axis: &'a Axis,
    pub scale: AxisScale,
    pub from_zero: bool,
}

/// The laid-out rows: plot rectangle, value scale, row centres and bar thickness.
pub(super) struct HBars {
    pub plot: Region,
    pub x: Scale,
    pub rows: Vec<f64>,
    pub thickness: f64,
    /// Where bars start: 0 on linear axes, the left edge on log axes.
    pub base_px: f64,
    pub value_font: Font,
}

impl HBars {
    /// Pixel of a value, clamped to the plot (bars never leave it).
    pub fn px(&self, v: f64) -> Option<f64> {
        self.x.px(v).map(|x| x.clamp(self.plot.x0, self.plot.x1))
    }
}

/// Draws the frame of a horizontal bar chart in `r`: optional panel title, category labels,
/// value axis with grid, tick labels and title. The value domain is chosen so that every
/// row's texts fit beside its bar.
pub(super) fn hbar_frame<DB: DrawingBackend>(
    p: &Painter<DB>,
    r: Region,
    rows: &[RowSpec],
    value: ValueAxis,
    vlines: &[VLine],
    title: Option<&str>,
) -> Result<HBars, ChartError> {
    let (axis_spec, scale, from_zero) = (value.axis, value.scale, value.from_zero);
    let mut r = r;
    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        let font = Font::bold(PANEL_TITLE_SIZE, TEXT_DARK);
        // Wrapped, not cut: a panel title names the workload.
        for line in p.wrap(t.trim(), &font, r.w(), 3)? {
            p.text(&line, r.x0, r.y0 + p.ascent(&font), &font, Align::Left)?;
            r.y0 += p.line_height(&font);
        }
        r.y0 += p.s(6.0);
    }
    let ann = Font::new(ANNOTATION_SIZE, REFERENCE);
    let band_rows = vlines.len().min(2) as f64;
    let top_band = if band_rows > 0.0 {
        band_rows * p.line_height(&ann) + p.s(8.0)
    } else {
        p.s(4.0)
    };
    let axis_band = if axis_spec.label.trim().is_empty() {
        p.s(X_AXIS_BAND - 36.0)
    } else {
        p.s(X_AXIS_BAND)
    };

    // Category label column.
    let n = rows.len().max(1);
    let plot_h = (r.h() - top_band - axis_band).max(p.s(20.0));
    let pitch = plot_h / n as f64;
    let mut label_size = (pitch / p.k * 0.92).clamp(12.0, CATEGORY_SIZE);
    // Labels are shrunk to fit their column (down to 60 % of the category size) before
    // any is cut.
    let mut widest: f64 = 0.0;
    for row in rows {
        widest = widest.max(p.text_width(&row.label, &Font::new(label_size, TEXT_DARK))?);
    }
    let room = r.w() * CATEGORY_MAX_SHARE;
    if widest > room && widest > 0.0 {
        // 3% under the exact ratio: glyph widths do not scale exactly with the size, and a
        // label a pixel too wide would be cut.
        label_size = (label_size * room / widest * 0.97).max((CATEGORY_SIZE * 0.6).min(label_size));
    }
    let label_font = Font::new(label_size, TEXT_DARK);
    let chip_w = if rows.iter().any(|row| row.chip.is_some()) {
        p.s(label_size * 0.75 + 8.0)
    } else {
        0.0
    };
    let mut label_w: f64 = 0.0;
    for row in rows {
        label_w = label_w.max(p.text_width(&row.label, &label_font)?);
    }
    let label_w = label_w.min(r.w() * CATEGORY_MAX_SHARE);
    let plot = Region::new(r.x0 + chip_w + label_w + p.s(14.0), r.y0 + top_band, r.x1, r.y0 + top_band + plot_h);

    let dom = value_domain(p, rows, vlines, scale, plot.w(), from_zero);
    let x = Scale::new(scale, dom, plot.x0, plot.x1);
    let target = axis::tick_target(plot.w(), p.k, scale, true);
    let ticks = axis::ticks(dom, scale, &axis_spec.unit, target);
    let tick_font = Font::new(TICK_SIZE, TEXT_MID);
    for t in &ticks {
        if let Some(px) = x.px(t.value) {
            p.polyline(&[(px, plot.y0), (px, plot.y1)], GRID.to_rgba(), GRID_WIDTH, &[])?;
        }
    }
    p.polyline(&[(plot.x0, plot.y1), (plot.x1, plot.y1)], AXIS.to_rgba(), AXIS_WIDTH, &[])?;
    layout::draw_x_ticks(p, &x, &ticks, plot.y1, &tick_font)?;
    let title_font = Font::new(AXIS_LABEL_SIZE, TEXT_DARK);
    let axis_title = p.fit(axis_spec.label.trim(), &title_font, r.w())?;
    // Centred under the plot, but kept inside the panel.
    let half_w = p.text_width(&axis_title, &title_font)? / 2.0;
    let centre = ((plot.x0 + plot.x1) / 2.0).min(r.x1 - half_w).max(r.x0 + half_w);
    p.text(&axis_title, centre, plot.y1 + p.s(X_AXIS_BAND - 12.0), &title_font, Align::Center)?;

    let centres: Vec<f64> = (0..rows.len()).map(|i| plot.y0 + (i as f64 + 0.5) * pitch).collect();
    for (row, cy) in rows.iter().zip(&centres) {
        let text = p.fit(&row.label, &label_font, label_w)?;
        let right = plot.x0 - p.s(14.0);
        p.text_mid(&text, right, *cy, &label_font, Align::Right)?;
        if let Some(chip) = row.chip {
            let tw = p.text_width(&text, &label_font)?;
            let s = p.s(label_size * 0.75);
            let cx1 = right - tw - p.s(8.0);
            p.fill_rect(Region::new(cx1 - s, cy - s / 2.0, cx1, cy + s / 2.0), chip.to_rgba())?;
        }
    }

    let base_px = match scale {
        AxisScale::Linear => x.px(0.0).unwrap_or(plot.x0).clamp(plot.x0, plot.x1),
        AxisScale::Log => plot.x0,
    };
    let has_base = match scale {
        AxisScale::Linear => dom.0 <= 0.0 && dom.1 >= 0.0,
        AxisScale::Log => from_zero,
    };
    if has_base {
        p.polyline(&[(base_px, plot.y0), (base_px, plot.y1)], AXIS.to_rgba(), AXIS_WIDTH, &[])?;
    }
    Ok(HBars {
        plot,
        x,
        rows: centres,
        thickness: (pitch * BAR_FILL).min(p.s(BAR_MAX_THICKNESS)),
        base_px,
        value_font: Font::new(VALUE_LABEL_SIZE.min(label_size), TEXT_DARK),
    })
}

/// Value domain wide enough for every row's span plus its texts.
fn value_domain<DB: DrawingBackend>(
    p: &Painter<DB>,
    rows: &[RowSpec],
    vlines: &[VLine],
    scale: AxisScale,
    width: f64,
    from_zero: bool,
) -> (f64, f64) {
    let tr = |v: f64| match scale {
        AxisScale::Linear => v,
        AxisScale::Log => v.log10(),
    };
    let ok = |v: f64| axis::valid(v, scale);
    let spans: Vec<(f64, f64, f64, f64)> = rows
        .iter()
        .filter(|row| ok(row.lo) && ok(row.hi))
        .map(|row| (tr(row.lo), tr(row.hi), row.left_text, row.right_text))
        .collect();
    let extra: Vec<f64> = vlines.iter().filter(|v| ok(v.value)).map(|v| tr(v.value)).collect();
    let all = spans.iter().flat_map(|s| [s.0, s.1]).chain(extra.iter().copied());
    let (mut d0, mut d1) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(d0.is_finite() && d1.is_finite()) {
        return match scale {
            AxisScale::Linear => (0.0, 1.0),
            AxisScale::Log => (1.0, 10.0),
        };
    }
    match scale {
        AxisScale::Linear if from_zero => {
            d0 = d0.min(0.0);
            d1 = d1.max(0.0);
        }
        AxisScale::Linear => {
            // Zoomed in (tornado): a little air on both sides so end lines stay visible.
            let pad = ((d1 - d0) * 0.04).max(d1.abs().max(d0.abs()) * 1e-6);
            d0 -= pad;
            d1 += pad;
        }
        AxisScale::Log if from_zero => {
            // Bars start at the decade below the smallest value, so every bar shows.
            d0 = (d0 - 0.05).floor();
        }
        AxisScale::Log => {
            // Bars grow from a base value (a ratio chart's 1x): a little air on both sides.
            let pad = ((d1 - d0) * 0.04).max(0.02);
            d0 -= pad;
            d1 += pad;
        }
    }
    if d1 - d0 < 1e-12 {
        d1 = d0 + 1.0;
    }
    let gap = p.s(VALUE_GAP);
    let room = |t: f64| {
        if t > 0.0 { (t + gap + p.s(8.0)).min(width * 0.6) } else { p.s(4.0) }
    };
    for _ in 0..40 {
        let (mut n0, mut n1) = (d0, d1);
        for &(lo, hi, lt, rt) in &spans {
            let rw = room(rt);
            n1 = n1.max(d0 + (hi - d0) * width / (width - rw));
            if lt > 0.0 || (scale == AxisScale::Linear && !from_zero) {
                let lw = room(lt);
                n0 = n0.min(d1 - (d1 - lo) * width / (width - lw));
            }
        }
        let done = (n0 - d0).abs() < 1e-9 * (d1 - d0) && (n1 - d1).abs() < 1e-9 * (d1 - d0);
        d0 = n0;
        d1 = n1;
        if done {
            break;
        }
    }
    match scale {
        AxisScale::Linear => (d0, d1),
        AxisScale::Log => (10f64.powf(d0), 10f64.powf(d1)),
    }
}

/// Draws the labelled vertical lines over the rows; labels go in the band above the plot, on
/// a second row when they would overlap.
pub(super) fn draw_vlines<DB: DrawingBackend>(p: &Painter<DB>, hb: &HBars, vlines: &[VLine], bounds: Region) -> Result<(), ChartError> {
    let font = Font::new(ANNOTATION_SIZE, REFERENCE);
    let mut placed: Vec<(usize, f64, f64)> = Vec::new();
    for v in vlines {
        let Some(px) = hb.x.px(v.value) else { continue };
        if px < hb.plot.x0 - 0.5 || px > hb.plot.x1 + 0.5 {
            continue;
        }
        let dash: &[f64] = if v.solid { &[] } else { REFERENCE_DASH };
        p.polyline(
            &[(px, hb.plot.y0 - p.s(4.0)), (px, hb.plot.y1)],
            REFERENCE.to_rgba(),
            REFERENCE_WIDTH,
            dash,
        )?;
        let label = p.fit(&v.label, &font, bounds.w())?;
        let w = p.text_width(&label, &font)?;
        let x0 = (px - w / 2.0).clamp(bounds.x0, (bounds.x1 - w).max(bounds.x0));
        let row = (0..2)
            .find(|row| {
                !placed
                    .iter()
                    .any(|(r, a, b)| r == row && x0 < *b + p.s(12.0) && x0 + w > *a - p.s(12.0))
            })
            .unwrap_or(1);
        placed.push((row, x0, x0 + w));
        let baseline = hb.plot.y0 - p.s(12.0) - row as f64 * p.line_height(&font);
        p.text(&label, x0, baseline, &font, Align::Left)?;
    }
    Ok(())
}

/// A bar-end value on a white backing, so lines behind it do not cut through it.
pub(super) fn value_text<DB: DrawingBackend>(
    p: &Painter<DB>,
    text: &str,
    x: f64,
    cy: f64,
    font: &Font,
    align: Align,
) -> Result<(), ChartError> {
    if text.is_empty() {
        return Ok(());
    }
    let w = p.text_width(text, font)?;
    let x0 = match align {
        Align::Left => x,
        Align::Center => x - w / 2.0,
        Align::Right => x - w,
    };
    let (pad, h) = (p.s(3.0), p.cap(font));
    let backing = Region::new(x0 - pad, cy - h / 2.0 - 2.0 * pad, x0 + w + pad, cy + h / 2.0 + 2.0 * pad);
    p.fill_rect(backing, BACKGROUND.mix(0.9))?;
    p.text_mid(text, x, cy, font, align)
}

/// Row legend of the families present, when there are at least two; returns height used.
fn family_legend<DB: DrawingBackend>(p: &Painter<DB>, looks: impl Iterator<Item = Look>, r: Region) -> Result<f64, ChartError> {
    let items: Vec<LegendItem> = Look::distinct(looks)
        .into_iter()
        .map(|l| LegendItem {
            swatch: Swatch::Box(l.color),
            label: l.legend.to_string(),
        })
        .collect();
    if items.len() < 2 {
        return Ok(0.0);
    }
    let h = layout::draw_legend_rows(p, &items, r)?;
    Ok(h + p.s(10.0))
}

// ---- simple bars and panels -------------------------------------------------------------

pub(super) fn draw_panels<DB: DrawingBackend>(p: &Painter<DB>, c: &PanelChart) -> Result<(), ChartError> {
    let extra: Vec<String> = c.panels.iter().flat_map(|panel| panel.frame.notes.iter().cloned()).collect();
    let mut content = layout::draw_frame(p, &c.frame, &extra)?;
    let families = c.panels.iter().flat_map(|panel| {
        let scale = panel.value_axis.scale;
        panel.bars.iter().filter(move |b| axis::valid(b.value, scale)).map(|b| b.look)
    });
    content.y0 += family_legend(p, families, content)?;
    if c.panels.is_empty() {
        return layout::no_data(p, &content, "No data to plot");
    }
    let n = c.panels.len() as f64;
    let gap = p.s(PANEL_GAP);
    let w = (content.w() - gap * (n - 1.0)) / n;
    // Panel titles wrap (never cut); every panel reserves the tallest title's height so the
    // panels' rows stay level.
    let title_font = Font::bold(PANEL_TITLE_SIZE, TEXT_DARK);
    let titles: Vec<Vec<String>> = c
        .panels
        .iter()
        .map(|panel| p.wrap(panel.frame.title.trim(), &title_font, w, 3))
        .collect::<Result<_, _>>()?;
    let lines = titles.iter().map(Vec::len).max().unwrap_or(0);
    let title_h = if lines > 0 {
        lines as f64 * p.line_height(&title_font) + p.s(6.0)
    } else {
        0.0
    };
    for (i, (panel, title)) in c.panels.iter().zip(&titles).enumerate() {
        let x0 = content.x0 + i as f64 * (w + gap);
        for (j, line) in title.iter().enumerate() {
            let baseline = content.y0 + p.ascent(&title_font) + j as f64 * p.line_height(&title_font);
            p.text(line, x0, baseline, &title_font, Align::Left)?;
        }
        let r = Region::new(x0, content.y0 + title_h, x0 + w, content.y1);
        bar_panel(p, r, panel, None)?;
    }
    Ok(())
}

/// Where the bars of a log-scale bar chart grow from: its reference line's value (a ratio
/// chart: cheaper bars go left of 1x, dearer ones right); `None` on linear axes or without a
/// reference line (bars grow from the left edge).
fn log_base(c: &BarChart) -> Option<f64> {
    c.reference_line
        .as_ref()
        .map(|(v, _)| *v)
        .filter(|v| c.value_axis.scale == AxisScale::Log && axis::valid(*v, AxisScale::Log))
}

/// The span a bar (with its whisker, and the base it grows from) covers and the side its text
/// goes: (lo, hi, text left, text right) for a text `w` wide; NaN span for a value the axis
/// cannot show.
fn bar_span(b: &super::Bar, scale: AxisScale, base: Option<f64>, w: f64) -> (f64, f64, f64, f64) {
    let v = b.value;
    if !axis::valid(v, scale) {
        return (f64::NAN, f64::NAN, 0.0, 0.0);
    }
    let whisker = b.whisker.filter(|(l, h)| axis::valid(*l, scale) && axis::valid(*h, scale));
    if let Some(base) = base {
        // A whisker reaching past the bar end pushes the text (and the domain) out with it.
        let (wl, wh) = whisker.unwrap_or((v, v));
        // The text goes right of whatever reaches farthest right (the 1x line for a cheaper
        // bar): texts on both sides would leave a narrow panel no room for the bars.
        return (v.min(wl).min(base), v.max(wh).max(base), 0.0, w);
    }
    let v = whisker.map_or(v, |(_, h)| v.max(h));
    if scale == AxisScale::Log {
        (v, v, 0.0, w)
    } else if v >= 0.0 {
        (0.0, v, 0.0, w)
    } else {
        (v, 0.0, w, 0.0)
    }
}

fn bar_panel<DB: DrawingBackend>(p: &Painter<DB>, r: Region, c: &BarChart, title: Option<&str>) -> Result<(), ChartError> {
    let scale = c.value_axis.scale;
    let base = log_base(c);
    let font = Font::new(VALUE_LABEL_SIZE, TEXT_DARK);
    let mut rows = Vec::with_capacity(c.bars.len());
    for b in &c.bars {
        let w = p.text_width(&b.text, &font)?;
        let (lo, hi, lt, rt) = bar_span(b, scale, base, w);
        rows.push(RowSpec {
            label: b.label.clone(),
            chip: None,
            lo,
            hi,
            left_text: lt,
            right_text: rt,
        });
    }
    let vlines: Vec<VLine> = c
        .reference_line
        .iter()
        .map(|(v, label)| VLine {
            value: *v,
            label: label.clone(),
            solid: false,
        })
        .collect();
    let value = ValueAxis {
        axis: &c.value_axis,
        scale,
        from_zero: base.is_none(),
    };
    let mut hb = hbar_frame(p, r, &rows, value, &vlines, title)?;
    if let Some(px) = base.and_then(|b| hb.px(b)) {
        hb.base_px = px;
    }
    let gap = p.s(VALUE_GAP);
    let vf = hb.value_font;
    let muted = Font { color: TEXT_LIGHT, ..vf };
    let mut texts: Vec<(String, f64, f64, Font, Align)> = Vec::new();
    for (b, cy) in c.bars.iter().zip(&hb.rows) {
        let half = hb.thickness / 2.0;
        match hb.px(b.value).filter(|_| axis::valid(b.value, scale)) {
            Some(end) => {
                let (a, z) = (hb.base_px.min(end), hb.base_px.max(end));
                let bar = Region::new(a, cy - half, z.max(a + 1.0), cy + half);
                p.fill_rect(bar, b.look.color.to_rgba())?;
                let mut end = end;
                if let Some((lo, hi)) = b.whisker
                    && let (Some(x0), Some(x1)) = (
                        hb.px(lo).filter(|_| axis::valid(lo, scale)),
                        hb.px(hi).filter(|_| axis::valid(hi, scale)),
                    )
                {
                    let (t, cap) = (p.s(2.0).max(1.0), half * 0.55);
                    let ink = TEXT_DARK.to_rgba();
                    p.fill_rect(Region::new(x0, cy - t / 2.0, x1.max(x0 + 1.0), cy + t / 2.0), ink)?;
                    for x in [x0, x1] {
                        p.fill_rect(Region::new(x - t / 2.0, cy - cap, x + t / 2.0, cy + cap), ink)?;
                    }
                    if end >= hb.base_px || base.is_some() {
                        end = end.max(x1);
                    }
                }
                if base.is_some() {
                    // Log ratio bars: the text right of the bar, its whisker and the 1x line.
                    texts.push((b.text.clone(), end.max(hb.base_px) + gap, *cy, vf, Align::Left));
                } else if end >= hb.base_px {
                    texts.push((b.text.clone(), end + gap, *cy, vf, Align::Left));
                } else {
                    texts.push((b.text.clone(), end - gap, *cy, vf, Align::Right));
                }
            }
            None => {
                let text = if b.text.is_empty() { "n/a" } else { &b.text };
                texts.push((text.to_string(), hb.plot.x0 + gap, *cy, muted, Align::Left));
            }
        }
    }
    // Lines before texts: a reference line never cuts through a value.
    draw_vlines(p, &hb, &vlines, r)?;
    for (text, x, cy, font, align) in &texts {
        value_text(p, text, *x, *cy, font, *align)?;
    }
    if c.bars.is_empty() {
        layout::no_data(p, &hb.plot, "No data to plot")?;
    }
    Ok(())
}

// ---- stacked bars --------------------------------------------------------------------------

/// A segment's value for one bar; missing, NaN, infinite and negative values count as zero.
fn seg_value(values: &[f64], i: usize) -> f64 {
    values.get(i).copied().filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0)
}

pub(super) fn draw_stacked<DB: DrawingBackend>(p: &Painter<DB>, c: &StackedBarChart) -> Result<(), ChartError> {
    let mut content = layout::draw_frame(p, &c.frame, &[])?;
    let items: Vec<LegendItem> = c
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| LegendItem {
            swatch: Swatch::Box(segment_color(i)),
            label: s.name.clone(),
        })
        .collect();
    if !items.is_empty() {
        content.y0 += layout::draw_legend_rows(p, &items, content)? + p.s(10.0);
    }
    let unit = &c.value_axis.unit;
    let font = Font::new(VALUE_LABEL_SIZE, TEXT_DARK);
    let totals: Vec<f64> = (0..c.categories.len())
        .map(|i| c.segments.iter().map(|s| seg_value(&s.values, i)).sum())
        .collect();
    let mut rows = Vec::with_capacity(c.categories.len());
    for ((label, look), total) in c.categories.iter().zip(&totals) {
        rows.push(RowSpec {
            label: label.clone(),
            chip: Some(look.color),
            lo: 0.0,
            hi: *total,
            left_text: 0.0,
            right_text: p.text_width(&axis::format_value(*total, unit), &font)?,
        });
    }
    let value = ValueAxis {
        axis: &c.value_axis,
        scale: AxisScale::Linear,
        from_zero: true,
    };
    let hb = hbar_frame(p, content, &rows, value, &[], None)?;
    let half = hb.thickness / 2.0;
    let separator = p.s(1.0);
    for (i, cy) in hb.rows.iter().enumerate() {
        let mut acc = 0.0;
        for (k, s) in c.segments.iter().enumerate() {
            let v = seg_value(&s.values, i);
            if v <= 0.0 {
                continue;
            }
            let (Some(a), Some(z)) = (hb.px(acc), hb.px(acc + v)) else {
                continue;
            };
            acc += v;
            // A hairline of white between segments keeps neighbours apart.
            let z_in = if z - a > 3.0 * separator { z - separator } else { z };
            p.fill_rect(Region::new(a, cy - half, z_in.max(a + 1.0), cy + half), segment_color(k).to_rgba())?;
        }
        if let Some(end) = hb.px(totals[i]) {
            let text = axis::format_value(totals[i], unit);
            let vf = Font {
                color: TEXT_DARK,
                ..hb.value_font
            };
            p.text_mid(&text, end + p.s(VALUE_GAP), *cy, &vf, Align::Left)?;
        }
    }
    if c.categories.is_empty() {
        layout::no_data(p, &hb.plot, "No data to plot")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Bar, BarChart, Frame, Unit};
    use super::*;
    use crate::family::Family;

    fn bar(value: f64, whisker: Option<(f64, f64)>) -> Bar {
        Bar {
            label: String::new(),
            look: Family::Gpu.look(),
            value,
            text: String::new(),
            whisker,
            extra: Vec::new(),
        }
    }

    fn chart(scale: AxisScale, reference: Option<f64>) -> BarChart {
        BarChart {
            frame: Frame {
                title: String::new(),
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
                key: Vec::new(),
            },
            value_axis: Axis {
                label: String::new(),
                scale,
                unit: Unit::Ratio,
            },
            bars: Vec::new(),
            reference_line: reference.map(|v| (v, "ref".to_string())),
        }
    }

    #[test]
    fn log_ratio_bars_grow_from_the_reference_with_the_text_right_of_everything() {
        // Only a log axis with a reference line has a base.
        assert_eq!(log_base(&chart(AxisScale::Log, Some(1.0))), Some(1.0));
        assert_eq!(log_base(&chart(AxisScale::Linear, Some(1.0))), None);
        assert_eq!(log_base(&chart(AxisScale::Log, None)), None);
        let log = AxisScale::Log;
        // 0.29x with whisker 0.24..0.36: spans 0.24..1 (the bar reaches the 1x line), text at 1x.
        assert_eq!(
            bar_span(&bar(0.29, Some((0.24, 0.36))), log, Some(1.0), 50.0),
            (0.24, 1.0, 0.0, 50.0)
        );
        // 0.93x whose whisker crosses 1x: the text goes right of the whisker end.
        assert_eq!(bar_span(&bar(0.93, Some((0.8, 1.2))), log, Some(1.0), 50.0), (0.8, 1.2, 0.0, 50.0));
        // 12x: 1..12 (the whisker inside the bar).
        assert_eq!(
            bar_span(&bar(12.0, Some((7.0, 11.0))), log, Some(1.0), 50.0),
            (1.0, 12.0, 0.0, 50.0)
        );
        // Without a base, log bars start at the left edge and linear bars at zero.
        assert_eq!(bar_span(&bar(0.29, None), log, None, 50.0), (0.29, 0.29, 0.0, 50.0));
        assert_eq!(bar_span(&bar(-2.0, None), AxisScale::Linear, None, 50.0), (-2.0, 0.0, 50.0, 0.0));
        assert!(bar_span(&bar(0.0, None), log, Some(1.0), 50.0).0.is_nan());
    }
}

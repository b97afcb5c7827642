//! Page layout shared by every chart: the title block, notes and footer; legends (a column
//! right of the plot, or rows under the title); and x/y plot areas with grid, ticks and axis
//! titles. The y-axis title sits horizontally above the plot, where it reads without tilting
//! one's head.

use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBAColor, RGBColor};

use super::axis::{self, Scale, Tick};
use super::draw::{Align, Font, Marker, Painter, Region};
use super::style::*;
use super::{Axis, AxisScale, ChartError, Frame};

// ---- frame ------------------------------------------------------------------------------------

/// Most lines of notes and key under a chart (a longer key still shows whole). Ten: the
/// headline's key (whiskers, a price mark) takes four, its chips left out three and the serving
/// model's held-out error three; at 46 design pixels a line its 17 rows still fit 1800 px.
pub(super) const MAX_NOTE_LINES: usize = 10;

/// Draws title, subtitle, notes and footer; returns the region left for the chart.
pub(super) fn draw_frame<DB: DrawingBackend>(p: &Painter<DB>, frame: &Frame, extra_notes: &[String]) -> Result<Region, ChartError> {
    let left = p.s(MARGIN_LEFT);
    let right = p.width - p.s(MARGIN_RIGHT);
    let width = right - left;

    let title_font = Font::bold(TITLE_SIZE, TEXT_DARK);
    let sub_font = Font::new(SUBTITLE_SIZE, TEXT_MID);
    let mut y = p.s(MARGIN_TOP);
    if !frame.title.trim().is_empty() {
        let title = p.fit(frame.title.trim(), &title_font, width)?;
        let baseline = y + p.ascent(&title_font);
        p.text(&title, left, baseline, &title_font, Align::Left)?;
        y = baseline + p.s(TITLE_SIZE * 0.32);
    }
    if !frame.subtitle.trim().is_empty() {
        for line in p.wrap(frame.subtitle.trim(), &sub_font, width, 2)? {
            let baseline = y + p.line_height(&sub_font) * 0.86;
            p.text(&line, left, baseline, &sub_font, Align::Left)?;
            y = baseline + p.s(SUBTITLE_SIZE * 0.3);
        }
    }
    let top = y + p.s(HEADER_GAP);

    // Bottom up: footer, then notes above it.
    let foot_font = Font::new(FOOTER_SIZE, TEXT_LIGHT);
    let note_font = Font::new(NOTE_SIZE, TEXT_MID);
    let mut bottom = p.height - p.s(MARGIN_BOTTOM);
    if !frame.footer.trim().is_empty() {
        // Two lines at most: the config hash and version at the end must stay readable.
        let lines = p.wrap(frame.footer.trim(), &foot_font, width, 2)?;
        let pitch = p.line_height(&foot_font);
        let last = bottom - p.s(FOOTER_SIZE * DESCENT);
        for (i, line) in lines.iter().enumerate() {
            let baseline = last - (lines.len() - 1 - i) as f64 * pitch;
            p.text(line, left, baseline, &foot_font, Align::Left)?;
        }
        bottom = last - (lines.len().max(1) - 1) as f64 * pitch - p.ascent(&foot_font) - p.s(6.0);
    }
    // The key (what marks and whiskers mean) is kept whole; the notes get the lines left.
    let mut key_lines: Vec<String> = Vec::new();
    for k in frame.key.iter().filter(|n| !n.trim().is_empty()) {
        key_lines.extend(p.wrap(k.trim(), &note_font, width, 3)?);
    }
    let mut wrapped: Vec<Vec<String>> = Vec::new();
    for note in frame.notes.iter().chain(extra_notes).filter(|n| !n.trim().is_empty()) {
        wrapped.push(p.wrap(note.trim(), &note_font, width, 3)?);
    }
    let room = MAX_NOTE_LINES.saturating_sub(key_lines.len()).max(1);
    let mut note_lines: Vec<String> = Vec::new();
    if wrapped.iter().map(Vec::len).sum::<usize>() <= room {
        note_lines = wrapped.concat();
    } else {
        // Whole notes only (a caveat cut in half reads as its opposite), then how many are left.
        let mut kept = 0;
        for w in &wrapped {
            if note_lines.len() + w.len() > room - 1 {
                break;
            }
            note_lines.extend(w.iter().cloned());
            kept += 1;
        }
        let more = wrapped.len() - kept;
        note_lines.push(format!(
            "… and {more} more note{} (all notes: report.md)",
            if more == 1 { "" } else { "s" }
        ));
    }
    let note_lines: Vec<String> = note_lines.into_iter().chain(key_lines).collect();
    let pitch = p.line_height(&note_font);
    for (i, line) in note_lines.iter().enumerate() {
        let from_bottom = (note_lines.len() - 1 - i) as f64;
        let baseline = bottom - p.s(NOTE_SIZE * DESCENT) - from_bottom * pitch;
        p.text(line, left, baseline, &note_font, Align::Left)?;
    }
    if !note_lines.is_empty() {
        bottom -= note_lines.len() as f64 * pitch + p.s(4.0);
    }
    let bottom = bottom - p.s(FOOTER_GAP);
    Ok(Region::new(left, top, right, bottom.max(top + p.s(40.0))))
}

/// The note saying how many input values could not be drawn, if any.
pub(super) fn skipped_note(skipped: usize, any_log: bool) -> Option<String> {
    let why = if any_log {
        "missing, infinite, or zero/negative on a log axis"
    } else {
        "missing or infinite"
    };
    match skipped {
        0 => None,
        1 => Some(format!("Not drawn: 1 value that is {why}")),
        n => Some(format!("Not drawn: {n} values that are {why}")),
    }
}

/// "No data" message centred in `r`.
pub(super) fn no_data<DB: DrawingBackend>(p: &Painter<DB>, r: &Region, message: &str) -> Result<(), ChartError> {
    let font = Font::new(MESSAGE_SIZE, TEXT_LIGHT);
    let text = p.fit(message, &font, r.w().max(1.0))?;
    p.text_mid(&text, (r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0, &font, Align::Center)
}

// ---- legends --------------------------------------------------------------------------------

/// What a legend entry shows before its label.
#[derive(Debug, Clone)]
pub(super) enum Swatch {
    /// A line sample with optional marker.
    Line {
        color: RGBColor,
        width: f64,
        dash: &'static [f64],
        marker: Option<Marker>,
    },
    /// A filled box.
    Box(RGBColor),
    /// A translucent band with a line through it.
    Band(RGBColor),
    /// A single marker.
    Point(Marker, RGBColor),
}

#[derive(Debug, Clone)]
pub(super) struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

fn legend_font() -> Font {
    Font::new(LEGEND_SIZE, TEXT_DARK)
}

fn sample_width<DB: DrawingBackend>(p: &Painter<DB>, s: &Swatch) -> f64 {
    match s {
        Swatch::Line { .. } | Swatch::Band(_) => p.s(LEGEND_SAMPLE),
        Swatch::Box(_) | Swatch::Point(..) => p.s(LEGEND_SIZE * 0.9),
    }
}

fn draw_swatch<DB: DrawingBackend>(p: &Painter<DB>, s: &Swatch, x: f64, cy: f64) -> Result<(), ChartError> {
    let w = sample_width(p, s);
    match s {
        Swatch::Line {
            color,
            width,
            dash,
            marker,
        } => {
            p.polyline(&[(x, cy), (x + w, cy)], color.to_rgba(), *width, dash)?;
            if let Some(m) = marker {
                p.marker(*m, (x + w / 2.0, cy), MARKER_SIZE, *color)?;
            }
        }
        Swatch::Box(color) => {
            let h = w / 2.0;
            p.fill_rect(Region::new(x, cy - h, x + w, cy + h), color.to_rgba())?;
        }
        Swatch::Band(color) => {
            let h = p.s(9.0);
            p.fill_rect(Region::new(x, cy - h, x + w, cy + h), color.mix(BAND_ALPHA * 1.6))?;
        }
        Swatch::Point(m, color) => {
            p.marker(*m, (x + w / 2.0, cy), SCATTER_MARKER_SIZE * 0.85, *color)?;
        }
    }
    Ok(())
}

/// Width a legend column needs (capped at `LEGEND_MAX_WIDTH`; 0 when empty).
pub(super) fn legend_column_width<DB: DrawingBackend>(p: &Painter<DB>, items: &[LegendItem]) -> Result<f64, ChartError> {
    let font = legend_font();
    let mut w: f64 = 0.0;
    for it in items {
        let text = p.text_width(&it.label, &font)?;
        w = w.max(sample_width(p, &it.swatch) + p.s(LEGEND_TEXT_GAP) + text);
    }
    Ok(w.min(p.s(LEGEND_MAX_WIDTH)))
}

/// Draws a legend column in `r` (top-aligned); labels wrap to the column width. Entries that do
/// not fit are summarised on a last line.
pub(super) fn draw_legend_column<DB: DrawingBackend>(p: &Painter<DB>, items: &[LegendItem], r: Region) -> Result<(), ChartError> {
    let font = legend_font();
    let mut wrapped: Vec<Vec<String>> = Vec::new();
    for it in items {
        let text_w = r.w() - sample_width(p, &it.swatch) - p.s(LEGEND_TEXT_GAP);
        let mut lines = p.wrap(&it.label, &font, text_w.max(p.s(40.0)), 6)?;
        if lines.is_empty() {
            lines.push(String::new());
        }
        wrapped.push(lines);
    }
    let line_h = p.line_height(&font);
    let extra_lines: usize = wrapped.iter().map(|l| l.len() - 1).sum();
    let needed = |pitch: f64| wrapped.len() as f64 * pitch + extra_lines as f64 * line_h;
    let mut pitch = p.s(LEGEND_ROW);
    if needed(pitch) > r.h() {
        pitch = ((r.h() - extra_lines as f64 * line_h) / wrapped.len().max(1) as f64).max(p.s(LEGEND_ROW_MIN));
    }
    let mut y = r.y0 + pitch / 2.0;
    for (i, (it, lines)) in items.iter().zip(&wrapped).enumerate() {
        let block = (lines.len() - 1) as f64 * line_h;
        if y + block + pitch / 2.0 > r.y1 + 0.5 && i + 1 < items.len() {
            let rest = items.len() - i;
            p.text_mid(&format!("… {rest} more"), r.x0, y, &Font::new(LEGEND_SIZE, TEXT_LIGHT), Align::Left)?;
            break;
        }
        draw_swatch(p, &it.swatch, r.x0, y)?;
        let tx = r.x0 + sample_width(p, &it.swatch) + p.s(LEGEND_TEXT_GAP);
        for (j, line) in lines.iter().enumerate() {
            p.text_mid(line, tx, y + j as f64 * line_h, &font, Align::Left)?;
        }
        y += pitch + block;
    }
    Ok(())
}

/// Lays a legend out in rows across `width`; returns each entry's (x, row) and the row count.
fn legend_rows<DB: DrawingBackend>(p: &Painter<DB>, items: &[LegendItem], width: f64) -> Result<(Vec<(f64, usize)>, usize), ChartError> {
    let font = legend_font();
    let mut out = Vec::new();
    let (mut x, mut row) = (0.0, 0usize);
    for it in items {
        let w = sample_width(p, &it.swatch) + p.s(LEGEND_TEXT_GAP) + p.text_width(&it.label, &font)?.min(width);
        if x > 0.0 && x + w > width {
            x = 0.0;
            row += 1;
        }
        out.push((x, row));
        x += w + p.s(LEGEND_ENTRY_GAP);
    }
    Ok((out, if items.is_empty() { 0 } else { row + 1 }))
}

/// Draws a row legend at the top of `r`; returns the height used.
pub(super) fn draw_legend_rows<DB: DrawingBackend>(p: &Painter<DB>, items: &[LegendItem], r: Region) -> Result<f64, ChartError> {
    let font = legend_font();
    let (pos, rows) = legend_rows(p, items, r.w())?;
    for (it, (x, row)) in items.iter().zip(pos) {
        let cy = r.y0 + (row as f64 + 0.5) * p.s(LEGEND_ROW);
        draw_swatch(p, &it.swatch, r.x0 + x, cy)?;
        let tx = r.x0 + x + sample_width(p, &it.swatch) + p.s(LEGEND_TEXT_GAP);
        let label = p.fit(&it.label, &font, (r.x1 - tx).max(p.s(20.0)))?;
        p.text_mid(&label, tx, cy, &font, Align::Left)?;
    }
    Ok(rows as f64 * p.s(LEGEND_ROW))
}

// ---- x/y plots -------------------------------------------------------------------------

/// How to turn data ranges into axis domains.
#[derive(Debug, Clone, Copy)]
pub(super) struct DomainRule {
    /// Padding as a share of the span.
    pub pad: f64,
    /// Linear axes: start at zero when the data is positive and not far from zero.
    pub zero: bool,
    /// Linear axes: widen to whole tick steps.
    pub round: bool,
}

/// A plot rectangle with its axis scales.
pub(super) struct XyPlot {
    pub rect: Region,
    pub x: Scale,
    pub y: Scale,
}

/// One axis of an x/y plot with its data range (`None`: no data) and domain rule.
pub(super) struct AxisData<'a> {
    pub axis: &'a Axis,
    pub range: Option<(f64, f64)>,
    pub rule: DomainRule,
}

/// Lays out and draws the axes, grid, tick labels and axis titles of an x/y plot inside
/// `content`, leaving `right_reserve` pixels free on the right (legend). Returns the plot.
pub(super) fn xy_plot<DB: DrawingBackend>(
    p: &Painter<DB>,
    content: Region,
    x: AxisData,
    y: AxisData,
    right_reserve: f64,
) -> Result<XyPlot, ChartError> {
    let (x_axis, x_range, xr) = (x.axis, x.range, x.rule);
    let (y_axis, y_range, yr) = (y.axis, y.range, y.rule);
    let tick_font = Font::new(TICK_SIZE, TEXT_MID);
    let title_font = Font::new(AXIS_LABEL_SIZE, TEXT_DARK);

    let top = content.y0 + p.s(Y_TITLE_BAND);
    let bottom = content.y1 - p.s(X_AXIS_BAND);
    let plot_h = (bottom - top).max(p.s(20.0));

    // y domain and ticks first: their label width decides where the plot starts.
    let y_target = axis::tick_target(plot_h, p.k, y_axis.scale, false);
    let mut ydom = axis::domain(y_range, y_axis.scale, yr.pad, yr.zero);
    if yr.round {
        ydom = match y_axis.scale {
            AxisScale::Linear => axis::round_out(ydom, y_target),
            AxisScale::Log => axis::round_out_log(ydom),
        };
    }
    // An axis without data gets no numbers: made-up ticks would read as data.
    let y_ticks = if y_range.is_some() {
        axis::ticks(ydom, y_axis.scale, &y_axis.unit, y_target)
    } else {
        Vec::new()
    };
    let mut label_w: f64 = 0.0;
    for t in &y_ticks {
        label_w = label_w.max(p.text_width(&t.label, &tick_font)?);
    }
    let left = content.x0 + label_w + p.s(TICK_LABEL_GAP);
    let right = (content.x1 - right_reserve).max(left + p.s(40.0));
    let rect = Region::new(left, top, right, top + plot_h);

    let x_target = axis::tick_target(rect.w(), p.k, x_axis.scale, true);
    let mut xdom = axis::domain(x_range, x_axis.scale, xr.pad, xr.zero);
    if xr.round {
        xdom = match x_axis.scale {
            AxisScale::Linear => axis::round_out(xdom, x_target),
            AxisScale::Log => axis::round_out_log(xdom),
        };
    }
    let x_ticks = if x_range.is_some() {
        axis::ticks(xdom, x_axis.scale, &x_axis.unit, x_target)
    } else {
        Vec::new()
    };
    let x = Scale::new(x_axis.scale, xdom, rect.x0, rect.x1);
    let y = Scale::new(y_axis.scale, ydom, rect.y1, rect.y0);

    // Grid: minor (log) then major.
    for v in axis::log_minor(ydom, y_axis.scale, &y_ticks) {
        if let Some(py) = y.px(v) {
            p.polyline(&[(rect.x0, py), (rect.x1, py)], GRID_MINOR.to_rgba(), GRID_WIDTH, &[])?;
        }
    }
    for v in axis::log_minor(xdom, x_axis.scale, &x_ticks) {
        if let Some(px) = x.px(v) {
            p.polyline(&[(px, rect.y0), (px, rect.y1)], GRID_MINOR.to_rgba(), GRID_WIDTH, &[])?;
        }
    }
    for t in &y_ticks {
        if let Some(py) = y.px(t.value) {
            p.polyline(&[(rect.x0, py), (rect.x1, py)], GRID.to_rgba(), GRID_WIDTH, &[])?;
        }
    }
    for t in &x_ticks {
        if let Some(px) = x.px(t.value) {
            p.polyline(&[(px, rect.y0), (px, rect.y1)], GRID.to_rgba(), GRID_WIDTH, &[])?;
        }
    }
    // Axis lines: left and bottom only.
    p.polyline(
        &[(rect.x0, rect.y0), (rect.x0, rect.y1), (rect.x1, rect.y1)],
        AXIS.to_rgba(),
        AXIS_WIDTH,
        &[],
    )?;

    draw_y_tick_labels(p, &y, &y_ticks, rect.x0 - p.s(TICK_LABEL_GAP), &tick_font)?;
    draw_x_ticks(p, &x, &x_ticks, rect.y1, &tick_font)?;

    // Titles: y above the plot, left-aligned with the tick labels; x centred below.
    let y_title = p.fit(&y_axis.label, &title_font, content.x1 - content.x0)?;
    // Baseline clear of the top tick label, which is centred on the plot's top edge.
    let y_title_baseline = rect.y0 - p.cap(&tick_font) / 2.0 - p.s(AXIS_LABEL_SIZE * DESCENT + 8.0);
    p.text(&y_title, content.x0, y_title_baseline, &title_font, Align::Left)?;
    let x_title = p.fit(&x_axis.label, &title_font, rect.w() + right_reserve)?;
    p.text(
        &x_title,
        (rect.x0 + rect.x1) / 2.0,
        rect.y1 + p.s(X_AXIS_BAND - 12.0),
        &title_font,
        Align::Center,
    )?;
    Ok(XyPlot { rect, x, y })
}

/// Right-aligned y tick labels at `x`, thinned when they would touch.
pub(super) fn draw_y_tick_labels<DB: DrawingBackend>(
    p: &Painter<DB>,
    y: &Scale,
    ticks: &[Tick],
    x: f64,
    font: &Font,
) -> Result<(), ChartError> {
    let min_gap = p.s(font.size * 1.1);
    let mut last: Option<f64> = None;
    for t in ticks {
        let Some(py) = y.px(t.value) else { continue };
        if last.is_some_and(|l| (l - py).abs() < min_gap) {
            continue;
        }
        p.text_mid(&t.label, x, py, font, Align::Right)?;
        last = Some(py);
    }
    Ok(())
}

/// Tick marks and centred labels below the x axis at `y_axis_px`; labels that would overlap
/// are thinned to every second (third, ...) one.
pub(super) fn draw_x_ticks<DB: DrawingBackend>(
    p: &Painter<DB>,
    x: &Scale,
    ticks: &[Tick],
    y_axis_px: f64,
    font: &Font,
) -> Result<(), ChartError> {
    let mut placed: Vec<(f64, f64, &str)> = Vec::new();
    for t in ticks {
        if let Some(px) = x.px(t.value) {
            placed.push((px, p.text_width(&t.label, font)?, &t.label));
        }
    }
    let gap = p.s(14.0);
    let mut stride = 1;
    while stride < placed.len() {
        let clash = placed
            .iter()
            .step_by(stride)
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[1].0 - w[0].0 < (w[0].1 + w[1].1) / 2.0 + gap);
        if !clash {
            break;
        }
        stride += 1;
    }
    let baseline = y_axis_px + p.s(TICK_LABEL_GAP + 4.0) + p.cap(font);
    for (i, (px, _, label)) in placed.iter().enumerate() {
        p.polyline(
            &[(*px, y_axis_px), (*px, y_axis_px + p.s(TICK_LENGTH))],
            AXIS.to_rgba(),
            AXIS_WIDTH,
            &[],
        )?;
        if i % stride == 0 {
            p.text(label, *px, baseline, font, Align::Center)?;
        }
    }
    Ok(())
}

/// A translucent version of a colour.
pub(super) fn translucent(c: RGBColor, alpha: f64) -> RGBAColor {
    c.mix(alpha)
}

//! Tornado chart: for each ranged input (sorted by swing by the caller), a bar from the base
//! output to the output with that input at its low end and one to its high end, in two
//! colours, with the input values written at the bar ends; the base and any marks (e.g.
//! parity at 1.0x) as labelled vertical lines.

use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::axis;
use super::bars::{self, RowSpec, VLine};
use super::draw::{Align, Font, Painter, Region};
use super::layout::{self, LegendItem, Swatch};
use super::style::*;
use super::{ChartError, TornadoChart};

/// The two ends of a tornado row, smaller output first: (value, input text, is the "high"
/// end). The left end's text goes left of `min(value, base)`, the right end's text right of
/// `max(value, base)`, so when both ends sit on one side of the base the nearer end's text
/// moves to the other side and never collides with the further one.
struct Ends {
    left: Option<(f64, String, bool)>,
    right: Option<(f64, String, bool)>,
}

fn ends(low: f64, high: f64, low_text: &str, high_text: &str) -> Ends {
    let lo = (low, low_text.to_string(), false);
    let hi = (high, high_text.to_string(), true);
    let (a, b) = if low <= high { (lo, hi) } else { (hi, lo) };
    Ends {
        left: Some(a),
        right: Some(b),
    }
}

pub(super) fn draw<DB: DrawingBackend>(p: &Painter<DB>, c: &TornadoChart) -> Result<(), ChartError> {
    let mut content = layout::draw_frame(p, &c.frame, &[])?;
    let unit = &c.value_axis.unit;
    let scale = c.value_axis.scale;
    let base_ok = axis::valid(c.base, scale);

    let legend = vec![
        LegendItem {
            swatch: Swatch::Box(TORNADO_LOW),
            label: "Input at its low value".to_string(),
        },
        LegendItem {
            swatch: Swatch::Box(TORNADO_HIGH),
            label: "Input at its high value".to_string(),
        },
    ];
    content.y0 += layout::draw_legend_rows(p, &legend, content)? + p.s(10.0);

    let font = Font::new(VALUE_LABEL_SIZE, TEXT_DARK);
    let mut rows = Vec::with_capacity(c.bars.len());
    let mut layouts = Vec::with_capacity(c.bars.len());
    for b in &c.bars {
        let valid_low = axis::valid(b.low_value, scale);
        let valid_high = axis::valid(b.high_value, scale);
        let e = if base_ok && valid_low && valid_high {
            Some(ends(b.low_value, b.high_value, &b.low_input, &b.high_input))
        } else {
            None
        };
        let (lo, hi, lt, rt) = match &e {
            Some(e) => {
                let lv = e.left.as_ref().map_or(c.base, |l| l.0).min(c.base);
                let rv = e.right.as_ref().map_or(c.base, |r| r.0).max(c.base);
                let lt = match &e.left {
                    Some((_, t, _)) => p.text_width(t, &font)?,
                    None => 0.0,
                };
                let rt = match &e.right {
                    Some((_, t, _)) => p.text_width(t, &font)?,
                    None => 0.0,
                };
                (lv, rv, lt, rt)
            }
            None => (f64::NAN, f64::NAN, 0.0, 0.0),
        };
        rows.push(RowSpec {
            label: b.input.clone(),
            chip: None,
            lo,
            hi,
            left_text: lt,
            right_text: rt,
        });
        layouts.push(e);
    }
    let mut vlines: Vec<VLine> = c
        .marks
        .iter()
        .map(|(v, label)| VLine {
            value: *v,
            label: label.clone(),
            solid: false,
        })
        .collect();
    if base_ok {
        vlines.insert(
            0,
            VLine {
                value: c.base,
                label: format!("Base {}", axis::format_value(c.base, unit)),
                solid: true,
            },
        );
    }
    let value = bars::ValueAxis {
        axis: &c.value_axis,
        scale,
        from_zero: false,
    };
    let hb = bars::hbar_frame(p, content, &rows, value, &vlines, None)?;
    let half = hb.thickness / 2.0;
    let gap = p.s(VALUE_GAP);
    let base_px = hb.px(c.base);
    let mut texts: Vec<(String, f64, f64, Align)> = Vec::new();
    for (e, cy) in layouts.iter().zip(&hb.rows) {
        let (Some(e), Some(bx)) = (e, base_px) else {
            let muted = Font::new(VALUE_LABEL_SIZE, TEXT_LIGHT);
            p.text_mid("n/a", hb.plot.x0 + gap, *cy, &muted, Align::Left)?;
            continue;
        };
        // Draw the longer bar first so a shorter one on the same side stays visible.
        let mut parts: Vec<&(f64, String, bool)> = e.left.iter().chain(e.right.iter()).collect();
        parts.sort_by(|a, b| {
            let da = (a.0 - c.base).abs();
            let db = (b.0 - c.base).abs();
            db.total_cmp(&da)
        });
        for (v, _, high) in &parts {
            let Some(px) = hb.px(*v) else { continue };
            let color = if *high { TORNADO_HIGH } else { TORNADO_LOW };
            let (a, z) = (bx.min(px), bx.max(px));
            if z - a >= 0.5 {
                p.fill_rect(Region::new(a, cy - half, z, cy + half), color.to_rgba())?;
            }
        }
        if let Some((v, t, _)) = &e.left {
            let x = hb.px(v.min(c.base)).unwrap_or(bx);
            texts.push((t.clone(), x - gap, *cy, Align::Right));
        }
        if let Some((v, t, _)) = &e.right {
            let x = hb.px(v.max(c.base)).unwrap_or(bx);
            texts.push((t.clone(), x + gap, *cy, Align::Left));
        }
    }
    // Lines before texts: a mark never cuts through an input value.
    bars::draw_vlines(p, &hb, &vlines, content)?;
    for (t, x, cy, align) in &texts {
        bars::value_text(p, t, *x, *cy, &hb.value_font, *align)?;
    }
    if c.bars.is_empty() {
        layout::no_data(p, &hb.plot, "No data to plot")?;
    }
    Ok(())
}

//! Tornado: what moves the tornado accelerator's training cost relative to the reference, each
//! ranged input at its low and high with the rest at base.

use crate::chart::{AxisScale, Chart, TornadoBar, TornadoChart, Unit};
use crate::fmt::num;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label, short_path};

pub const STEM: &str = "tornado";

pub fn tornado(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let (basis, ref_label) = (&ctx.basis, &ctx.ref_label);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let (w, a) = ctx.tornado_subject()?;
    let t = ctx
        .tornado
        .as_ref()
        .ok_or_else(|| format!("no tornado for {} on {}: no ranged input moves it, or it is not costed", a.id, w.id))?;
    // Inputs that move the ratio by less than 0.5% are listed, not drawn.
    let visible: Vec<_> = t.swings.iter().filter(|s| s.width() >= 0.005 * t.base_ratio).collect();
    let shown: Vec<_> = visible.iter().take(12).copied().collect();
    let hidden: Vec<String> = t
        .swings
        .iter()
        .filter(|s| !shown.iter().any(|x| x.param == s.param))
        .map(|s| short_path(ctx.cfg, &s.param))
        .collect();
    // The numbers at the bar ends are inputs (an MFU of 0.416), not ratios: on an axis in x
    // a planner would read them as ratios without this note.
    let mut notes = vec!["Numbers at the bar ends: the input's low and high values".to_string()];
    if !hidden.is_empty() {
        notes.push(format!("Moving the ratio by under 0.5% (not drawn): {}", hidden.join(", ")));
    }
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: format!("What moves {}'s training cost relative to {ref_label}", label(a)),
        chart: Chart::Tornado(TornadoChart {
            frame: frame(
                format!("What decides {} vs {ref_label}", label(a)),
                format!("{} · each ranged input at its low / high, the rest at base · basis {basis}", w.name),
                notes,
            ),
            value_axis: axis(
                &format!("Training cost relative to {ref_label} (x)"),
                AxisScale::Linear,
                Unit::Ratio,
            ),
            base: t.base_ratio,
            bars: shown
                .iter()
                .map(|s| TornadoBar {
                    input: short_path(ctx.cfg, &s.param),
                    low_value: s.ratio_at_low,
                    high_value: s.ratio_at_high,
                    low_input: num(s.low_input, 3),
                    high_input: num(s.high_input, 3),
                })
                .collect(),
            marks: vec![(1.0, format!("parity with {ref_label}"))],
        }),
    })
}

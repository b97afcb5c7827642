//! Break-even map: the tornado accelerator's cost relative to the reference over its price and
//! efficiency, with the parity contour and today's point.

use crate::chart::{AxisScale, Chart, Heatmap, Unit};
use crate::fmt::num;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label};

pub const STEM: &str = "break-even-map";

pub fn map(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let (basis, ref_label) = (&ctx.basis, &ctx.ref_label);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let (w, a) = ctx.tornado_subject()?;
    let (m, price) = ctx
        .break_even
        .as_ref()
        .ok_or_else(|| format!("{} or the reference is not costed on {}", a.id, w.id))?;
    let price = *price;
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: format!("Break-even map: {} vs {ref_label} on {}", label(a), w.name),
        chart: Chart::Heatmap(Heatmap {
            frame: frame(
                format!("When does {} beat {ref_label}?", label(a)),
                format!("{} · cost ratio to {ref_label} by price and efficiency · basis {basis}", w.name),
                vec![format!(
                    "Break-even price at configured efficiency: ${}/chip-hour (today ${})",
                    num(m.break_even_price, 3),
                    num(price, 3)
                )],
            ),
            x: axis(
                &format!("{} price (USD per chip-hour)", label(a)),
                AxisScale::Linear,
                Unit::UsdPerHour,
            ),
            y: axis(
                &format!("{} efficiency relative to configured MFU (x)", label(a)),
                AxisScale::Linear,
                Unit::Ratio,
            ),
            xs: m.prices.clone(),
            ys: m.efficiencies.clone(),
            z: m.ratios.clone(),
            contour: 1.0,
            contour_label: format!("same cost as {ref_label}"),
            marker: Some((price, 1.0, "today".into())),
        }),
    })
}

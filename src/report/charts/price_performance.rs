//! Price-performance by release year: USD per effective BF16 PFLOP-hour of each chip at its
//! release year, with the Epoch AI trend line through the reference.

use crate::chart::{AxisScale, Chart, ScatterChart, ScatterPoint, TrendLine, Unit};
use crate::fmt::num;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, family, label_id, mark, notes_of};

pub const STEM: &str = "price-performance-by-year";

pub fn by_year(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (v, basis) = (&ctx.v, ctx.basis);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let (pp, pp_skipped) = (&ctx.price_performance.0, &ctx.price_performance.1);
    let _ = v;
    let trend = ctx.reference.and_then(|r| pp.iter().find(|p| p.accelerator == r.id)).map(|anchor| {
        let d = cfg.report.price_performance_doubling_years;
        let (y0, y1) = pp
            .iter()
            .fold((anchor.year, anchor.year), |(a, b), p| (a.min(p.year), b.max(p.year)));
        TrendLine {
            label: format!(
                "GPU price-performance doubling every {} years (Epoch AI), through {}",
                num(d, 3),
                label_id(cfg, &anchor.accelerator)
            ),
            points: (y0 * 4 - 2..=y1 * 4 + 2)
                .map(|q| {
                    let year = q as f64 / 4.0;
                    (
                        year,
                        anchor.usd_per_effective_pflop_hour * 2f64.powf(-(year - anchor.year as f64) / d),
                    )
                })
                .collect(),
        }
    });
    let mut pp_notes = notes_of(pp_skipped);
    let fallback: Vec<&str> = pp.iter().filter(|p| p.serving_mfu_used).map(|p| p.accelerator.as_str()).collect();
    if !fallback.is_empty() {
        pp_notes.push(format!("{}: no training MFU, serving MFU used", fallback.join(", ")));
    }
    Ok(ChartFile {
        stem: STEM,
        caption: "USD per effective BF16 PFLOP-hour by release year".into(),
        chart: Chart::Scatter(ScatterChart {
            frame: frame(
                "Price-performance by release year".into(),
                format!("USD per effective PFLOP-hour = chip-hour price / (dense BF16 TFLOPS x training MFU / 1000) · basis {basis}"),
                pp_notes,
            ),
            x: axis(
                "Release year (first general availability)",
                AxisScale::Linear,
                Unit::Plain(String::new()),
            ),
            y: axis("USD per effective BF16 PFLOP-hour (log scale)", AxisScale::Log, Unit::Usd),
            points: pp
                .iter()
                .map(|p| ScatterPoint {
                    label: mark(label_id(cfg, &p.accelerator), &ctx.marked, &p.accelerator),
                    family: family(p.family),
                    x: p.year as f64,
                    y: p.usd_per_effective_pflop_hour,
                })
                .collect(),
            trend,
        }),
    })
}

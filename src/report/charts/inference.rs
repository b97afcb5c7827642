//! The inference curves of the report's inference workload: cost per million output tokens
//! against batch, against interactivity (tokens/s per user) and against utilization.

use crate::chart::{AxisScale, Unit};
use crate::config::Inference;
use crate::fmt::short;
use crate::model::curves;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, line_chart, notes_of};

pub const BATCH_STEM: &str = "inference-cost-vs-batch";
pub const INTERACTIVITY_STEM: &str = "inference-cost-vs-interactivity";
pub const UTILIZATION_STEM: &str = "inference-cost-vs-utilization";

/// The workload and the subtitle the three charts share.
fn workload<'a>(ctx: &Context<'a>) -> Result<(&'a Inference, String), String> {
    let w = ctx.iw.ok_or("no inference workload is loaded")?;
    let sub = format!(
        "{} · {} in / {} out tokens · basis {}",
        w.name,
        short(ctx.v[w.input_tokens.0]),
        short(ctx.v[w.output_tokens.0]),
        ctx.basis
    );
    Ok((w, sub))
}

pub fn cost_vs_batch(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let (cfg, v, accs) = (ctx.cfg, &ctx.v, &ctx.accs);
    let (w, sub) = workload(ctx)?;
    let base = curves::inference_vs_batch(cfg, w, accs, v);
    let bands = ctx
        .any_range
        .then(|| curves::bands(&base, ctx.curve_samples(), |s| curves::inference_vs_batch(cfg, w, accs, s)));
    let mut notes = notes_of(&base.skipped);
    notes.push("Step model at every batch, on the cheapest replica that holds it (no per-user target)".into());
    if ctx.any_range {
        notes.push(ctx.band_note.clone());
    }
    Ok(ChartFile {
        stem: BATCH_STEM,
        caption: format!("Inference cost per million output tokens vs batch ({})", w.name),
        chart: line_chart(
            cfg,
            ctx.frame("Inference cost vs batch size".into(), sub, notes),
            axis("Batch (concurrent sequences per replica, log scale)", AxisScale::Log, Unit::Count),
            axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
            accs,
            &base,
            bands,
        ),
    })
}

pub fn cost_vs_interactivity(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let (cfg, v, accs) = (ctx.cfg, &ctx.v, &ctx.accs);
    let (w, sub) = workload(ctx)?;
    let inter = curves::inference_vs_interactivity(cfg, w, accs, v);
    Ok(ChartFile {
        stem: INTERACTIVITY_STEM,
        caption: format!(
            "Inference cost vs interactivity (tokens/s per user), replica size and batch swept ({})",
            w.name
        ),
        chart: line_chart(
            cfg,
            ctx.frame(
                "Inference cost vs interactivity".into(),
                format!("{sub} · Pareto frontier over replica size and batch (1 to what the KV cache holds)"),
                notes_of(&inter.skipped),
            ),
            axis(
                "Output tokens per second per user (log scale)",
                AxisScale::Log,
                Unit::Plain(String::new()),
            ),
            axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
            accs,
            &inter,
            None,
        ),
    })
}

pub fn cost_vs_utilization(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let (cfg, v, accs) = (ctx.cfg, &ctx.v, &ctx.accs);
    let (w, sub) = workload(ctx)?;
    let mut util = curves::inference_vs_utilization(cfg, w, accs, v);
    for c in &mut util.curves {
        for p in &mut c.points {
            p.0 *= 100.0;
        }
    }
    Ok(ChartFile {
        stem: UTILIZATION_STEM,
        caption: format!("Inference cost vs utilization ({})", w.name),
        chart: line_chart(
            cfg,
            ctx.frame(
                "Inference cost vs utilization".into(),
                format!(
                    "{sub} · {}",
                    match w.batch {
                        Some(b) => format!("batch {}", short(v[b.0])),
                        None => "batch and replica chosen by the step model".to_string(),
                    }
                ),
                notes_of(&util.skipped),
            ),
            axis(
                "Utilization (% of paid chip-hours serving traffic)",
                AxisScale::Linear,
                Unit::Plain("%".into()),
            ),
            axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
            accs,
            &util,
            None,
        ),
    })
}

//! Training cost vs model size: each chip's cost of the training workload's recipe swept over
//! model sizes (tokens = `report.training_sweep.tokens_per_param` x parameters).

use crate::chart::{AxisScale, Unit};
use crate::fmt::short;
use crate::model::curves;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, line_chart, notes_of};

pub const STEM: &str = "training-cost-vs-model-size";

pub fn cost_vs_model_size(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (v, accs, basis) = (&ctx.v, &ctx.accs, ctx.basis);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let w = ctx.tw.ok_or("no training workload is loaded")?;
    let base = curves::training_vs_params(cfg, w, accs, v);
    let bands = ctx
        .any_range
        .then(|| curves::bands(&base, ctx.curve_samples(), |s| curves::training_vs_params(cfg, w, accs, s)));
    let mut notes = notes_of(&base.skipped);
    if ctx.any_range {
        notes.push(ctx.band_note.clone());
    }
    Ok(ChartFile {
        stem: STEM,
        caption: format!(
            "Training cost vs model size (tokens = {} x parameters, {})",
            cfg.report.tokens_per_param,
            w.precision.name()
        ),
        chart: line_chart(
            cfg,
            frame(
                "Training cost vs model size".into(),
                format!(
                    "Dense models, tokens = {} x parameters (Chinchilla), {} · basis {basis}",
                    short(cfg.report.tokens_per_param),
                    w.precision.name()
                ),
                notes,
            ),
            axis(
                "Model size (billion parameters, log scale)",
                AxisScale::Log,
                Unit::Plain("B".into()),
            ),
            axis("Training cost (USD, log scale)", AxisScale::Log, Unit::Usd),
            accs,
            &base,
            bands,
        ),
    })
}

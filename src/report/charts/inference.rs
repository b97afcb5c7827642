//! The inference curves of the report's inference workload: cost per million output tokens
//! against batch and against interactivity (tokens/s per user).

use crate::chart::{AxisScale, Chart, Unit};
use crate::config::Inference;
use crate::fmt::short;
use crate::model::curves;
use crate::model::trace::get;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, line_chart, notes_of};

pub const BATCH_STEM: &str = "inference-cost-vs-batch";
pub const INTERACTIVITY_STEM: &str = "inference-cost-vs-interactivity";

/// The workload and the subtitle the two charts share.
fn workload<'a>(ctx: &Context<'a>) -> Result<(&'a Inference, String), String> {
    let w = ctx.iw.ok_or("no inference workload is loaded")?;
    let sub = format!(
        "{} · {} in / {} out tokens · basis {}",
        w.name,
        short(get(&ctx.v, w.input_tokens, "input tokens", &mut ())),
        short(get(&ctx.v, w.output_tokens, "output tokens", &mut ())),
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
        .then(|| curves::bands(&base, &ctx.curve_samples, |s| curves::inference_vs_batch(cfg, w, accs, s)));
    let mut notes = notes_of(&base.skipped);
    notes.push("Step model at every batch, on the cheapest replica that holds it (no per-user target)".into());
    let ids: Vec<&str> = accs.iter().map(|a| a.id.as_str()).collect();
    notes.extend(super::serving_error_note(cfg, &ids));
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
    let (mut inter, mut sizes) = curves::interactivity_frontier(cfg, w, accs, v);
    // Each frontier up to TAIL_FACTOR x its lowest cost: beyond, the last tokens/s cost any
    // price, and the near-vertical tails would squeeze the region a planner reads.
    for (c, ns) in inter.curves.iter_mut().zip(sizes.iter_mut()) {
        let floor = c.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let keep: Vec<bool> = c.points.iter().map(|p| p.1 <= floor * TAIL_FACTOR).collect();
        let mut k = keep.iter();
        c.points.retain(|_| k.next().copied().unwrap_or(false));
        let mut k = keep.iter();
        ns.retain(|_| k.next().copied().unwrap_or(false));
    }
    let mut chart = line_chart(
        cfg,
        ctx.frame(
            "Inference cost vs interactivity".into(),
            format!("{sub} · each chip's cheapest cost at each speed, over replica size and batch"),
            notes_of(&inter.skipped)
                .into_iter()
                .chain([
                    "Labels: chips per replica from where each size takes over the frontier · each frontier drawn up to 20x its lowest cost"
                        .to_string(),
                ])
                .chain(super::serving_error_note(
                    cfg,
                    &accs.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
                ))
                .collect(),
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
    );
    if let Chart::Line(lc) = &mut chart {
        for (s, (c, ns)) in lc.series.iter_mut().zip(inter.curves.iter().zip(&sizes)) {
            s.point_labels = replica_labels(&c.points, ns);
        }
        if let Some(t) = w.min_tokens_per_s_per_user {
            let target = get(v, t, "tokens/s per user target", &mut ());
            lc.vlines.push((target, format!("target {} tokens/s per user", short(target))));
        }
    }
    Ok(ChartFile {
        stem: INTERACTIVITY_STEM,
        caption: format!(
            "Inference cost vs interactivity (tokens/s per user), replica size and batch swept ({})",
            w.name
        ),
        chart,
    })
}

/// A label ("8 chips") per replica size on a frontier, at the start of that size's longest
/// run of at least [`MIN_RUN`] points: the frontier may flip between sizes point by point near
/// its ends, and a label at every flip would be unreadable.
fn replica_labels(points: &[(f64, f64)], sizes: &[u64]) -> Vec<(f64, f64, String)> {
    // (size, start, length) of each run
    let mut runs: Vec<(u64, usize, usize)> = Vec::new();
    for (k, &n) in sizes.iter().enumerate().take(points.len()) {
        match runs.last_mut() {
            Some(r) if r.0 == n => r.2 += 1,
            _ => runs.push((n, k, 1)),
        }
    }
    let mut best: Vec<(u64, usize, usize)> = Vec::new();
    for r in runs.into_iter().filter(|r| r.2 >= MIN_RUN) {
        match best.iter_mut().find(|b| b.0 == r.0) {
            Some(b) if b.2 < r.2 => *b = r,
            Some(_) => {}
            None => best.push(r),
        }
    }
    best.sort_by_key(|b| b.1);
    best.iter()
        .map(|&(n, k, _)| (points[k].0, points[k].1, format!("{n} chip{}", if n == 1 { "" } else { "s" })))
        .collect()
}

/// Frontiers are drawn up to this many times their lowest cost.
const TAIL_FACTOR: f64 = 20.0;

/// Shortest run of one replica size along a frontier that gets a label.
const MIN_RUN: usize = 3;

#[cfg(test)]
mod tests {
    #[test]
    fn a_label_per_replica_size_at_its_longest_run() {
        // Sizes 1,1,1,2,2,2,2,8,2,8: 1 from point 0, 2 from point 3 (its run of 4), 8 never
        // holds 3 points in a row, so it gets no label.
        let pts: Vec<(f64, f64)> = (0..10).map(|k| (k as f64, k as f64)).collect();
        let l = super::replica_labels(&pts, &[1, 1, 1, 2, 2, 2, 2, 8, 2, 8]);
        assert_eq!(l, vec![(0.0, 0.0, "1 chip".to_string()), (3.0, 3.0, "2 chips".into())]);
    }
}

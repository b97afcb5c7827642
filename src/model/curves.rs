//! The sweeps behind the report's curves (docs/model.md "Curves and charts"), as plain data.

use super::trace::get;
use crate::config::{Accelerator, Config, Family, Inference, Precision};

use super::inference::{self, InferenceInputs};
use super::price::usd_per_chip_hour;
use super::uncertainty::Draws;
use super::{Skipped, log_space};

/// One accelerator's curve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Curve {
    pub accelerator: String,
    pub name: String,
    pub family: Family,
    pub points: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Curves {
    pub curves: Vec<Curve>,
    pub skipped: Vec<Skipped>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn pareto_keeps_only_points_nothing_beats() {
        // (speed, cost): (10, 5) is beaten by (20, 4); (30, 6) is the fastest; (5, 1) the cheapest
        let f: Vec<(f64, f64)> = super::pareto_tagged(vec![(10.0, 5.0, ()), (20.0, 4.0, ()), (30.0, 6.0, ()), (5.0, 1.0, ())])
            .into_iter()
            .map(|(x, y, ())| (x, y))
            .collect();
        assert_eq!(f, vec![(5.0, 1.0), (20.0, 4.0), (30.0, 6.0)]);
    }
}

fn curve(acc: &Accelerator, points: Vec<(f64, f64)>) -> Curve {
    Curve {
        accelerator: acc.id.clone(),
        name: acc.name.clone(),
        family: acc.family,
        points,
    }
}

fn skip(acc: &Accelerator, s: impl std::fmt::Display) -> Skipped {
    Skipped::new(&acc.id, s)
}

/// Number of points on each swept curve.
pub const SWEEP_POINTS: usize = 25;

/// USD per million output tokens vs batch: at each batch of the sweep, the cost on the
/// cheapest replica that holds it (the per-user target is the interactivity chart's axis, not
/// a filter here). A chip whose replica would need more than `report.max_chips_per_replica`
/// chips from some batch on is listed in `skipped` with that batch.
pub fn inference_vs_batch(cfg: &Config, w: &Inference, accs: &[&Accelerator], v: &[f64]) -> Curves {
    let (lo, hi) = cfg.report.inference_sweep_batch;
    let mut xs: Vec<f64> = log_space(lo, hi, SWEEP_POINTS).into_iter().map(f64::round).collect();
    xs.dedup();
    let mut curves = Vec::new();
    let mut skipped = Vec::new();
    for acc in accs {
        match inference::inputs(cfg, w, acc, v, &mut ()) {
            Ok(base) => {
                let max = cfg.report.max_chips_per_replica;
                let pts: Vec<(f64, f64)> = xs
                    .iter()
                    .filter_map(|&b| inference::usd_per_m_output_tokens(&base, b).ok().map(|y| (b, y)))
                    .collect();
                if pts.len() < xs.len() {
                    let first = xs.iter().find(|x| !pts.iter().any(|(b, _)| b == *x)).copied().unwrap_or(hi);
                    // The binding limit: the scale-up domain unless replicas may pipeline across
                    // domains (a scale-out network), else report.max_chips_per_replica.
                    let domain = if base.scale_out > 0.0 { u64::MAX } else { base.scale_up_chips };
                    let why = if domain < max {
                        format!("from batch {first}: a replica would need more than {domain} chips (its scale-up domain)")
                    } else {
                        format!("from batch {first}: a replica would need more than {max} chips")
                    };
                    skipped.push(skip(acc, why));
                }
                if !pts.is_empty() {
                    curves.push(curve(acc, pts));
                }
            }
            Err(s) => skipped.push(skip(acc, s)),
        }
    }
    Curves { curves, skipped }
}

/// The Pareto frontier of points that carry a tag (e.g. the replica size that gives them):
/// the points no other point beats on both x and y.
pub fn pareto_tagged<T>(mut pts: Vec<(f64, f64, T)>) -> Vec<(f64, f64, T)> {
    pts.retain(|(x, y, _)| x.is_finite() && y.is_finite());
    pts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(f64, f64, T)> = Vec::new();
    for p in pts {
        if out.last().is_none_or(|last| p.1 < last.1) {
            out.push(p);
        }
    }
    out.reverse();
    out
}

/// Cost per million output tokens vs tokens/s per user, per chip: the Pareto frontier over
/// replica sizes and batches, with, per curve, the chips per replica of each point.
pub fn interactivity_frontier(cfg: &Config, w: &Inference, accs: &[&Accelerator], v: &[f64]) -> (Curves, Vec<Vec<u64>>) {
    let mut out = Curves::default();
    let mut sizes = Vec::new();
    for acc in accs {
        let base = match inference::inputs(cfg, w, acc, v, &mut ()) {
            Ok(i) => InferenceInputs {
                batch: None,
                min_tokens_per_s_per_user: None,
                ..i
            },
            Err(s) => {
                out.skipped.push(skip(acc, s));
                continue;
            }
        };
        let ns = match inference::candidates(&base) {
            Ok(ns) => ns,
            Err(s) => {
                out.skipped.push(skip(acc, s));
                continue;
            }
        };
        let mut pts = Vec::new();
        for n in ns {
            let top = inference::kv_capacity(&base, n as f64).min(base.max_batch.max(cfg.report.inference_sweep_batch.1));
            if top < 1.0 {
                continue;
            }
            for b in log_space(1.0, top.max(1.0), SWEEP_POINTS) {
                let f = inference::figures_at(&base, n, b, &mut ());
                pts.push((f.tokens_per_s_per_user, f.usd_per_m_output_tokens, n));
            }
        }
        let frontier = pareto_tagged(pts);
        if !frontier.is_empty() {
            sizes.push(frontier.iter().map(|p| p.2).collect());
            out.curves.push(curve(acc, frontier.into_iter().map(|(x, y, _)| (x, y)).collect()));
        }
    }
    (out, sizes)
}

/// One point of the price-performance chart.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PricePerf {
    pub accelerator: String,
    pub name: String,
    pub family: Family,
    pub year: i32,
    pub usd_per_chip_hour: f64,
    /// Dense BF16 TFLOPS x MFU / 1000.
    pub effective_pflops: f64,
    pub usd_per_effective_pflop_hour: f64,
    /// True when the chip has no training MFU and its serving MFU stood in.
    pub serving_mfu_used: bool,
}

/// USD per effective BF16 PFLOP-hour by release year.
pub fn price_performance(cfg: &Config, accs: &[&Accelerator], v: &[f64]) -> (Vec<PricePerf>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let e = &cfg.economics;
    for acc in accs {
        let Some(tf) = acc.tflops(Precision::Bf16) else {
            skipped.push(skip(acc, "has no dense_tflops.bf16"));
            continue;
        };
        let (mfu, fallback) = match acc.efficiency.training_mfu.as_ref().and_then(|m| m.get(Precision::Bf16)) {
            Some(m) => (get(v, m, "training MFU (bf16)", &mut ()), false),
            None => (get(v, acc.efficiency.serving.serving_mfu, "serving MFU", &mut ()), true),
        };
        match usd_per_chip_hour(e, acc, e.basis, v, &mut ()) {
            Ok(price) => {
                let eff = get(v, tf, "dense peak (bf16)", &mut ()) * mfu / 1000.0;
                out.push(PricePerf {
                    accelerator: acc.id.clone(),
                    name: acc.name.clone(),
                    family: acc.family,
                    year: acc.year,
                    usd_per_chip_hour: price,
                    effective_pflops: eff,
                    usd_per_effective_pflop_hour: price / eff,
                    serving_mfu_used: fallback,
                });
            }
            Err(s) => skipped.push(skip(acc, s)),
        }
    }
    (out, skipped)
}

/// A curve's band: (x, P10, P90) at each point.
pub type BandPoints = Vec<(f64, f64, f64)>;

/// P10/P90 bands of a family of curves: `f` draws the curves at one value vector; bands are
/// taken point by point over `samples` (on the x of the base curve). Rows whose curve depends
/// on no ranged number get no band.
pub fn bands(base: &Curves, samples: &Draws, f: impl Fn(&[f64]) -> Curves + Sync) -> Vec<Option<BandPoints>> {
    use super::uncertainty::band;
    // ys[c][k]: the samples of point k of curve c, gathered as each sample is drawn (streaming:
    // holding every sample's curves at once costs more in allocation than the model itself).
    let gather = |chunk: std::ops::Range<usize>| {
        let mut ys: Vec<Vec<Vec<f64>>> = base
            .curves
            .iter()
            .map(|c| vec![Vec::with_capacity(chunk.len()); c.points.len()])
            .collect();
        samples.each(chunk, |_, v| {
            let cs = f(v);
            for (c, curve) in base.curves.iter().enumerate() {
                if let Some(sc) = cs.curves.iter().find(|x| x.accelerator == curve.accelerator) {
                    // Match points by x: a sample may leave out points the base curve has.
                    for (x, y) in &sc.points {
                        if let Some(k) = curve.points.iter().position(|(bx, _)| bx == x) {
                            ys[c][k].push(*y);
                        }
                    }
                }
            }
        });
        ys
    };
    let half = samples.len() / 2;
    let (a, b) = (0..half, half..samples.len());
    let mut ys = std::thread::scope(|s| {
        let h = s.spawn(|| gather(a));
        let mut mine = gather(b);
        if let Ok(theirs) = h.join() {
            for (m, t) in mine.iter_mut().zip(theirs) {
                for (mk, tk) in m.iter_mut().zip(t) {
                    mk.extend(tk);
                }
            }
        }
        mine
    });
    base.curves
        .iter()
        .zip(ys.iter_mut())
        .map(|(c, cols)| {
            // A band at every point, or none for the curve (too few draws, or draws that fail).
            let pts: Option<Vec<(f64, f64, f64)>> = c
                .points
                .iter()
                .zip(cols.iter_mut())
                .map(|((x, _), col)| band(col).map(|b| (*x, b.p10, b.p90)))
                .collect();
            let pts = pts?;
            let flat = pts.iter().all(|(_, lo, hi)| (hi - lo).abs() <= 1e-12 * hi.abs());
            (!flat).then_some(pts)
        })
        .collect()
}

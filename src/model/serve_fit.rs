//! `calibrate --fit`, serving half: fits each accelerator's serving efficiencies (docs/model.md
//! "Serving": `serving_mfu`, `weight_bw_eff`, `kv_bw_eff`, the two per-layer overheads and
//! `moe_efficiency`) to the `[[measured]]` benchmarks, by least squares on the log of
//! predicted / measured (output tokens/s per chip, and per-user speed where given).
//!
//! The fit has three levels, each pulled towards the one above by a weak prior in log space:
//! all points (global), each chip family, each chip. A chip with points gets its own fit; a chip
//! without borrows the fit of the nearest chip of its family that has at least 5 benchmarks
//! (else its family's, else the global one), marked ESTIMATE. Ranges are the spread of
//! the chip's parameters over the 5-fold refits, at least +/-10% (+/-20% when borrowed).

use super::trace::get;
use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config::{Config, Family, ServingEfficiency};

use super::calibrate::source_label;
use super::fit::{Bound, error_pct, k_folds, log_sq_error, median_abs, minimize};
use super::inference::{self, Eff, InferenceInputs};

/// One benchmark prepared for fitting: its conditions resolved, the measured figures.
#[derive(Clone, Debug)]
pub struct Point {
    pub workload: String,
    pub accelerator: String,
    pub family: Family,
    pub spec: Spec,
    pub source: String,
    pub inputs: InferenceInputs,
    /// Measured output tokens/s per chip.
    pub tps: f64,
    /// Measured tokens/s per user, where given.
    pub user: Option<f64>,
}

/// Bounds of the six parameters, in [`ServingEfficiency::KEYS`] order: MFU 0.05-1, weight and
/// KV bandwidth efficiencies 0.1-0.95 and 0.05-0.95 (no memory system streams at its peak),
/// overheads 0.1-300 us per layer, MoE 0.05-1.
pub const BOUNDS: [Bound; 6] = [
    Bound { low: 0.05, high: 1.0 },
    Bound { low: 0.1, high: 0.95 },
    Bound { low: 0.05, high: 0.95 },
    Bound { low: 0.1, high: 300.0 },
    Bound { low: 0.1, high: 300.0 },
    Bound { low: 0.05, high: 1.0 },
];

/// Where every fit starts (fixed, so a refit of the shipped configs reproduces them).
const START: [f64; 6] = [0.5, 0.8, 0.6, 20.0, 20.0, 0.5];
/// Weight of the prior (sum of squared log distances to the level above) against the data
/// (sum of squared log errors): a factor 2 away costs as much as 0.48 of a point 2x off.
const PRIOR_WEIGHT: f64 = 0.02;
/// Weight of a per-user speed error against an output-throughput error.
const USER_WEIGHT: f64 = 0.5;
/// Nelder-Mead iterations per fit.
const ITERATIONS: usize = 1500;
/// Benchmarks a chip needs before chips without any borrow its fit (fewer, and its fit is
/// mostly the prior plus one kind of run).
const MIN_DONOR_POINTS: usize = 5;
/// Folds of the cross-validation.
pub const FOLDS: usize = 5;

/// Every `[[measured]]` benchmark as a fitting point (skipping those the model cannot cost).
pub fn points(cfg: &Config, v: &[f64]) -> Vec<Point> {
    cfg.measured
        .iter()
        .filter_map(|m| {
            let w = cfg.inference(&m.workload)?;
            let acc = cfg.accelerator(&m.accelerator)?;
            let inputs = inference::unpriced_inputs(cfg, w, acc, v, &mut ()).ok()?;
            Some(Point {
                workload: m.workload.clone(),
                accelerator: m.accelerator.clone(),
                family: acc.family,
                spec: spec(acc, v),
                source: source_label(m.prov.source.as_deref().unwrap_or("")),
                inputs,
                tps: get(v, m.output_tokens_per_s_per_chip, "measured output tokens/s per chip", &mut ()),
                user: m.tokens_per_s_per_user.map(|p| get(v, p, "measured tokens/s per user", &mut ())),
            })
        })
        .collect()
}

/// (output tokens/s per chip, tokens/s per user) of a point with efficiencies `x`.
pub fn predict(p: &Point, x: &[f64; 6]) -> Option<(f64, f64)> {
    let i = InferenceInputs {
        eff: Eff::from_array(*x),
        // Benchmarks are unpriced; a price is irrelevant to throughput but must be finite.
        usd_per_chip_hour: 1.0,
        ..p.inputs
    };
    inference::figures(&i, &mut ())
        .ok()
        .map(|f| (f.output_tokens_per_s_per_chip, f.tokens_per_s_per_user))
}

fn objective(pts: &[&Point], x: &[f64], prior: Option<&[f64; 6]>) -> f64 {
    let Ok(arr) = <[f64; 6]>::try_from(x) else {
        return f64::INFINITY;
    };
    let mut sum = 0.0;
    for p in pts {
        match predict(p, &arr) {
            Some((tps, user)) => {
                sum += log_sq_error(tps, p.tps);
                if let Some(u) = p.user {
                    sum += USER_WEIGHT * log_sq_error(user, u);
                }
            }
            None => return f64::INFINITY,
        }
    }
    if let Some(pr) = prior {
        sum += PRIOR_WEIGHT * arr.iter().zip(pr).map(|(a, b)| (a / b).ln().powi(2)).sum::<f64>();
    }
    sum
}

fn fit_one(pts: &[&Point], prior: Option<[f64; 6]>) -> [f64; 6] {
    let x0 = prior.unwrap_or(START);
    let m = minimize(|x| objective(pts, x, prior.as_ref()), &x0, &BOUNDS, ITERATIONS);
    <[f64; 6]>::try_from(m.x.as_slice()).unwrap_or(x0)
}

/// Where a chip's efficiencies come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitBasis {
    /// Its own benchmarks.
    Own,
    /// The fit of the nearest chip of its family with at least 5 benchmarks (by dense bf16
    /// peak and memory bandwidth, in log space): an estimate.
    Sibling,
    /// Its family's fit (no points of its own): an estimate.
    Family,
    /// The fit over all points (no points in its family either): an estimate.
    Global,
}

/// The fit at its three levels.
#[derive(Clone, Debug, Default)]
pub struct Levels {
    pub global: Option<[f64; 6]>,
    pub family: BTreeMap<Family, [f64; 6]>,
    pub chip: BTreeMap<String, [f64; 6]>,
    /// (family, ln dense bf16 peak, ln bandwidth) of each chip whose fit others may borrow.
    pub specs: BTreeMap<String, (Family, f64, f64)>,
}

/// Where a chip sits for borrowing: (family, ln dense peak at bf16 or the first precision,
/// ln memory bandwidth).
pub type Spec = (Family, f64, f64);

/// The [`Spec`] of an accelerator at values `v`.
pub fn spec(acc: &crate::config::Accelerator, v: &[f64]) -> Spec {
    let peak = acc
        .tflops(crate::config::Precision::Bf16)
        .or(acc.dense_tflops.first().map(|(_, p)| *p))
        .map_or(1.0, |p| get(v, p, "dense peak", &mut ()));
    (acc.family, peak.ln(), get(v, acc.memory_tb_per_s, "memory bandwidth", &mut ()).ln())
}

impl Levels {
    /// The efficiencies of a chip, and where they come from: its own fit; else the nearest chip
    /// of its family with benchmarks; else its family's; else the global fit.
    pub fn of(&self, id: &str, spec: Spec) -> Option<([f64; 6], FitBasis)> {
        let family = spec.0;
        if let Some(x) = self.chip.get(id) {
            return Some((*x, FitBasis::Own));
        }
        let nearest = self
            .specs
            .iter()
            .filter(|(_, s)| s.0 == family)
            .map(|(c, s)| (c, (s.1 - spec.1).powi(2) + (s.2 - spec.2).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
        if let Some(x) = nearest.and_then(|(c, _)| self.chip.get(c)) {
            return Some((*x, FitBasis::Sibling));
        }
        if let Some(x) = self.family.get(&family) {
            return Some((*x, FitBasis::Family));
        }
        self.global.map(|x| (x, FitBasis::Global))
    }
}

/// Fits the three levels on `pts`.
pub fn fit_levels(pts: &[&Point]) -> Levels {
    let mut out = Levels::default();
    if pts.is_empty() {
        return out;
    }
    let global = fit_one(pts, None);
    out.global = Some(global);
    let mut families: Vec<Family> = pts.iter().map(|p| p.family).collect();
    families.sort();
    families.dedup();
    for f in families {
        let fp: Vec<&Point> = pts.iter().copied().filter(|p| p.family == f).collect();
        out.family.insert(f, fit_one(&fp, Some(global)));
    }
    let mut chips: Vec<(&str, Family)> = pts.iter().map(|p| (p.accelerator.as_str(), p.family)).collect();
    chips.sort();
    chips.dedup();
    for (c, f) in chips {
        let cp: Vec<&Point> = pts.iter().copied().filter(|p| p.accelerator == c).collect();
        let prior = out.family.get(&f).copied().unwrap_or(global);
        out.chip.insert(c.to_string(), fit_one(&cp, Some(prior)));
        if let Some(p) = cp.first().filter(|_| cp.len() >= MIN_DONOR_POINTS) {
            out.specs.insert(c.to_string(), p.spec);
        }
    }
    out
}

/// One accelerator's fitted efficiencies.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ChipFit {
    pub accelerator: String,
    pub family: Family,
    /// Benchmarks of this chip.
    pub points: usize,
    pub basis: FitBasis,
    /// The chip whose fit a [`FitBasis::Sibling`] borrows.
    pub borrowed_from: Option<String>,
    /// In [`ServingEfficiency::KEYS`] order.
    pub base: [f64; 6],
    pub low: [f64; 6],
    pub high: [f64; 6],
    /// Median |error| of the chip's points under the full fit.
    pub median_abs_error_pct: Option<f64>,
    /// Median |error| of the chip's points predicted by the fit without them.
    pub leave_chip_out_median_abs_error_pct: Option<f64>,
}

/// One chip's points predicted with another chip's fit, both fitted without the predicted
/// chip's points (e.g. GB300 NVL72 points, costed as b300, from the gb200 fit).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CrossCheck {
    pub predicted: String,
    pub with_fit_of: String,
    pub points: usize,
    pub median_abs_error_pct: Option<f64>,
    pub max_abs_error_pct: Option<f64>,
}

/// Errors of one source's points.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceErrors {
    pub source: String,
    pub points: usize,
    pub median_abs_error_pct: Option<f64>,
    pub cv_median_abs_error_pct: Option<f64>,
}

/// What `calibrate --fit` reports for serving.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ServingFit {
    pub points: usize,
    pub median_abs_error_pct: Option<f64>,
    pub cv_folds: usize,
    /// Median |error| of every point predicted by the fit on the other folds.
    pub cv_median_abs_error_pct: Option<f64>,
    /// Median |error| of every point predicted by the fit without its chip.
    pub leave_chip_out_median_abs_error_pct: Option<f64>,
    pub chips: Vec<ChipFit>,
    pub sources: Vec<SourceErrors>,
    pub cross: Vec<CrossCheck>,
    /// The `[accelerator.efficiency]` lines to paste, per accelerator.
    pub toml: String,
}

fn errors_with(pts: &[&Point], x: &[f64; 6]) -> Vec<f64> {
    pts.iter()
        .map(|p| predict(p, x).map_or(f64::INFINITY, |(tps, _)| error_pct(tps, p.tps)))
        .collect()
}

/// Fits every accelerator's serving efficiencies on the config's benchmarks (values `v`).
pub fn fit(cfg: &Config, v: &[f64], as_of: &str) -> ServingFit {
    let all = points(cfg, v);
    let refs: Vec<&Point> = all.iter().collect();
    let levels = fit_levels(&refs);

    // In-sample errors, and per point under the cross-validation.
    let in_sample: Vec<f64> = all
        .iter()
        .map(|p| {
            levels
                .of(&p.accelerator, p.spec)
                .and_then(|(x, _)| predict(p, &x))
                .map_or(f64::INFINITY, |(tps, _)| error_pct(tps, p.tps))
        })
        .collect();
    let mut cv = vec![f64::INFINITY; all.len()];
    let mut fold_fits: Vec<Levels> = Vec::new();
    for held in k_folds(all.len(), FOLDS) {
        let train: Vec<&Point> = all.iter().enumerate().filter(|(k, _)| !held.contains(k)).map(|(_, p)| p).collect();
        let lv = fit_levels(&train);
        for &k in &held {
            let p = &all[k];
            if let Some((x, _)) = lv.of(&p.accelerator, p.spec) {
                cv[k] = predict(p, &x).map_or(f64::INFINITY, |(tps, _)| error_pct(tps, p.tps));
            }
        }
        fold_fits.push(lv);
    }

    // Leave one chip out: the chip's points predicted as if it had none (the fit it would
    // borrow: its nearest measured sibling's, else its family's, else the global one).
    let mut chip_ids: Vec<&str> = all.iter().map(|p| p.accelerator.as_str()).collect();
    chip_ids.sort();
    chip_ids.dedup();
    let mut loco_all: Vec<f64> = Vec::new();
    let mut loco: BTreeMap<String, Option<f64>> = BTreeMap::new();
    // And each chip's points predicted with another chip's own fit, both fitted without them.
    let mut cross = Vec::new();
    for c in &chip_ids {
        let (mine, rest): (Vec<&Point>, Vec<&Point>) = refs.iter().partition(|p| p.accelerator == *c);
        let Some((fam, sp)) = mine.first().map(|p| (p.family, p.spec)) else {
            continue;
        };
        let lv = fit_levels(&rest);
        // As if it had no points: the borrowing rule (nearest measured sibling, else family).
        let x = lv.of(c, sp).map(|(x, _)| x);
        let errs = x.map(|x| errors_with(&mine, &x)).unwrap_or_default();
        loco_all.extend(&errs);
        loco.insert(c.to_string(), median_abs(&errs));
        for other in &chip_ids {
            let same_family = all.iter().find(|p| p.accelerator == *other).map(|p| p.family) == Some(fam);
            if other == c || !same_family {
                continue;
            }
            if let Some(x) = lv.chip.get(*other) {
                let errs = errors_with(&mine, x);
                cross.push(CrossCheck {
                    predicted: c.to_string(),
                    with_fit_of: other.to_string(),
                    points: mine.len(),
                    median_abs_error_pct: median_abs(&errs),
                    max_abs_error_pct: errs
                        .iter()
                        .map(|e| e.abs())
                        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e)))),
                });
            }
        }
    }

    // Per accelerator: base, range from the fold refits.
    let mut chips = Vec::new();
    for acc in &cfg.accelerators {
        let sp = spec(acc, v);
        let Some((base, basis)) = levels.of(&acc.id, sp) else { continue };
        let mut low = base;
        let mut high = base;
        for lv in &fold_fits {
            if let Some((x, _)) = lv.of(&acc.id, sp) {
                for j in 0..6 {
                    low[j] = low[j].min(x[j]);
                    high[j] = high[j].max(x[j]);
                }
            }
        }
        let widen = if basis == FitBasis::Own { 0.10 } else { 0.20 };
        for j in 0..6 {
            low[j] = low[j].min(base[j] * (1.0 - widen)).max(BOUNDS[j].low.min(base[j]));
            high[j] = high[j].max(base[j] * (1.0 + widen));
            if j != 3 && j != 4 {
                high[j] = high[j].min(1.0);
            }
        }
        let mine: Vec<f64> = all
            .iter()
            .zip(&in_sample)
            .filter(|(p, _)| p.accelerator == acc.id)
            .map(|(_, e)| *e)
            .collect();
        chips.push(ChipFit {
            accelerator: acc.id.clone(),
            family: acc.family,
            points: mine.len(),
            basis,
            borrowed_from: (basis == FitBasis::Sibling)
                .then(|| levels.chip.iter().find(|(_, x)| **x == base).map(|(c, _)| c.clone()))
                .flatten(),
            base,
            low,
            high,
            median_abs_error_pct: median_abs(&mine),
            leave_chip_out_median_abs_error_pct: loco.get(&acc.id).copied().flatten(),
        });
    }

    let mut source_names: Vec<&str> = all.iter().map(|p| p.source.as_str()).collect();
    source_names.sort();
    source_names.dedup();
    let sources = source_names
        .iter()
        .map(|s| {
            let idx: Vec<usize> = (0..all.len()).filter(|&k| all[k].source == *s).collect();
            SourceErrors {
                source: s.to_string(),
                points: idx.len(),
                median_abs_error_pct: median_abs(&idx.iter().map(|&k| in_sample[k]).collect::<Vec<_>>()),
                cv_median_abs_error_pct: median_abs(&idx.iter().map(|&k| cv[k]).collect::<Vec<_>>()),
            }
        })
        .collect();

    let toml = paste_toml(&chips, all.len(), as_of);
    ServingFit {
        points: all.len(),
        median_abs_error_pct: median_abs(&in_sample),
        cv_folds: FOLDS,
        cv_median_abs_error_pct: median_abs(&cv),
        leave_chip_out_median_abs_error_pct: median_abs(&loco_all),
        chips,
        sources,
        cross,
        toml,
    }
}

/// Rounds to 3 significant digits (the precision the fit supports).
fn sig3(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let k = 2 - x.abs().log10().floor() as i32;
    let f = 10f64.powi(k);
    (x * f).round() / f
}

fn paste_toml(chips: &[ChipFit], n: usize, as_of: &str) -> String {
    let mut s = String::new();
    for c in chips {
        let how = match c.basis {
            FitBasis::Own => format!("fit on its {} benchmark(s)", c.points),
            FitBasis::Sibling => format!(
                "ESTIMATE: no public benchmark; borrows {}'s fit (the nearest {} chip with benchmarks)",
                c.borrowed_from.as_deref().unwrap_or("?"),
                c.family.name()
            ),
            FitBasis::Family => format!("ESTIMATE: no public benchmark; borrows the {} family fit", c.family.name()),
            FitBasis::Global => "ESTIMATE: no public benchmark in its family; borrows the fit over all chips".to_string(),
        };
        let _ = writeln!(
            s,
            "# [accelerator.efficiency] of {}: {how}; fit on {n} public benchmarks (accel-cost calibrate --fit), {as_of}",
            c.accelerator
        );
        for (j, key) in ServingEfficiency::KEYS.iter().enumerate() {
            let _ = writeln!(
                s,
                "{key} = {{ low = {}, base = {}, high = {} }}",
                sig3(c.low[j]),
                sig3(c.base[j]),
                sig3(c.high[j])
            );
        }
        if c.basis != FitBasis::Own {
            let _ = writeln!(s, "# add to estimates: {}", ServingEfficiency::KEYS.join(", "));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn three_significant_digits() {
        // 0.123456 -> 0.123; 24.56 -> 24.6; 1234 -> 1230
        assert_relative_eq!(sig3(0.123_456), 0.123, max_relative = 1e-12);
        assert_relative_eq!(sig3(24.56), 24.6, max_relative = 1e-12);
        assert_relative_eq!(sig3(1234.0), 1230.0, max_relative = 1e-12);
    }

    #[test]
    fn levels_fall_back_from_chip_to_family_to_global() {
        let mut l = Levels {
            global: Some([0.1; 6]),
            ..Levels::default()
        };
        l.family.insert(Family::Gpu, [0.2; 6]);
        l.chip.insert("h100-sxm".into(), [0.3; 6]);
        let gpu = (Family::Gpu, 989f64.ln(), 3.35f64.ln());
        assert_eq!(l.of("h100-sxm", gpu), Some(([0.3; 6], FitBasis::Own)));
        // No chip spec recorded: the family fit.
        assert_eq!(l.of("h200", gpu), Some(([0.2; 6], FitBasis::Family)));
        assert_eq!(l.of("tpu-v4", (Family::Tpu, 0.0, 0.0)), Some(([0.1; 6], FitBasis::Global)));
        // With h100's spec recorded, h200 (same peak, 4.8 TB/s) borrows h100 over gb200.
        l.chip.insert("gb200".into(), [0.4; 6]);
        l.specs.insert("h100-sxm".into(), gpu);
        l.specs.insert("gb200".into(), (Family::Gpu, 2500f64.ln(), 8f64.ln()));
        assert_eq!(
            l.of("h200", (Family::Gpu, 989f64.ln(), 4.8f64.ln())),
            Some(([0.3; 6], FitBasis::Sibling))
        );
    }
}

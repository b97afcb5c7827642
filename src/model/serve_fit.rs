//! `calibrate --fit`, serving half: fits the serving efficiencies (docs/model.md "Serving":
//! `serving_mfu`, `weight_bw_eff`, `kv_bw_eff`, the two per-layer overheads and
//! `moe_efficiency`) to the `[[measured]]` benchmarks, by least squares on the log of
//! predicted / measured (output tokens/s per chip, and per-user speed where given).
//!
//! What the data identify, and only that, is fitted per chip:
//! - the software parameters (both per-layer overheads and `moe_efficiency`) describe the
//!   serving stack, so they are ONE set per stack (the chips of one vendor run one engine:
//!   TensorRT-LLM/vLLM on NVIDIA, ROCm SGLang/vLLM on AMD, Neuron on AWS, JetStream/XLA on
//!   Google), pulled towards the mean of the stacks;
//! - the hardware parameters (`serving_mfu`, `weight_bw_eff`, `kv_bw_eff`) are per chip, pulled
//!   towards their stack's pooled level, which is pulled towards the mean of the stacks.
//!
//! The pulls are priors in log space (partial pooling): `chip_strength * (ln x - ln pooled)^2`
//! per parameter, against the data's sum of squared log errors. Their strengths are chosen
//! among [`STRENGTHS`] by leave-one-chip-out cross-validation (each chip's points predicted by
//! the pooled fit of the other chips, as a chip without points is costed: the median |error|
//! over those held-out points). Every parameter stays within its physical [`BOUNDS`].
//!
//! A chip without points gets its stack's pooled fit (or the mean over stacks when its stack
//! has none), marked ESTIMATE, with ranges at least as wide as the leave-one-chip-out error of
//! its stack's chips. Monte Carlo draws a pooled efficiency ONCE for every chip that borrows it:
//! the paste block names it with `shared = "..."` (docs/model.md "Uncertainty").

use std::collections::BTreeMap;
use std::fmt::Write;

use super::trace::get;
use crate::config::{Config, Family, ServingEfficiency};

use super::calibrate::source_label;
use super::fit::{Bound, error_pct, k_folds, log_sq_error, median_abs, minimize_to};
use super::inference::{self, Eff, InferenceInputs};

/// One benchmark prepared for fitting: its conditions resolved, the measured figures.
#[derive(Clone, Debug)]
pub struct Point {
    pub workload: String,
    pub accelerator: String,
    /// The serving stack the chip runs: its vendor, lower case (e.g. "nvidia", "aws").
    pub stack: String,
    pub source: String,
    pub inputs: InferenceInputs,
    /// Measured output tokens/s per chip.
    pub tps: f64,
    /// Measured tokens/s per user, where given.
    pub user: Option<f64>,
    /// (chips per replica, running batch) where neither depends on the efficiencies (both
    /// given): the fit then costs one step per prediction instead of [`inference::figures`].
    pub at: Option<(f64, f64)>,
}

/// Bounds of the six parameters, in [`ServingEfficiency::KEYS`] order: MFU 0.05-0.9 (no GEMM
/// mix sustains more), weight and KV bandwidth efficiencies 0.1-0.95 and 0.05-0.95 (no memory
/// system streams at its peak), overheads 0.1-300 us per layer (a kernel launch is a few us;
/// 300 us per layer is a 24 ms step floor at 80 layers), MoE 0.05-1.
pub const BOUNDS: [Bound; 6] = [
    Bound { low: 0.05, high: 0.9 },
    Bound { low: 0.1, high: 0.95 },
    Bound { low: 0.05, high: 0.95 },
    Bound { low: 0.1, high: 300.0 },
    Bound { low: 0.1, high: 300.0 },
    Bound { low: 0.05, high: 1.0 },
];

/// The hardware parameters (per chip): serving_mfu, weight_bw_eff, kv_bw_eff.
const HW: usize = 3;
/// Where every fit starts (fixed, so a refit of the shipped configs reproduces them).
const START: [f64; 6] = [0.5, 0.8, 0.6, 20.0, 20.0, 0.5];
/// (chip strength, stack strength) tried: the weight of a squared log distance of a chip's
/// hardware efficiency to its stack's level, and of a stack's level to the mean over stacks,
/// against the sum of squared log errors (1 = a factor e away costs as much as one point e-fold
/// off). Chosen by leave-one-chip-out cross-validation; ordered so that each starts well from
/// the fit at the one before.
pub const STRENGTHS: [(f64, f64); 5] = [(10.0, 0.1), (30.0, 1.0), (100.0, 3.0), (300.0, 3.0), (300.0, 10.0)];
/// Pulls of a chip's own hardware fit towards its stack's pooled level, tried by 5-fold
/// cross-validation (see [`refit_own`]).
pub const OWN_STRENGTHS: [f64; 3] = [0.03, 0.3, 3.0];
/// Weight of a per-user speed error against an output-throughput error.
const USER_WEIGHT: f64 = 0.5;
/// Block coordinate rounds (chips, then stacks, then the pooled levels) of a fit from the
/// start, and of a refit started from the full fit (folds, chips left out).
const ROUNDS: usize = 6;
const REFIT_ROUNDS: usize = 2;
/// Nelder-Mead iterations per block (three parameters each), and the relative change of the
/// objective below which a block stops. 1e-4 rather than 1e-7: the fitted values move by at most
/// 1e-4 (relative; they are pasted with 3 significant digits) and every error median is the same
/// to 0.1 point, for less than 2/3 of the work (measured 2026-12-07 on 269 benchmarks: 2.2 s of
/// CPU at 1e-4, 2.7 s at 1e-5; 3.1 s at 1e-7 on 232).
const ITERATIONS: usize = 250;
const TOLERANCE: f64 = 1e-4;
/// Folds of the cross-validation.
pub const FOLDS: usize = 5;
/// Narrowest range of a fitted parameter (+/-) and of a borrowed one.
const MIN_WIDTH_OWN: f64 = 0.10;
const MIN_WIDTH_BORROWED: f64 = 0.20;

/// The stack of a vendor: its name in lower case.
pub fn stack_of(vendor: &str) -> String {
    vendor.trim().to_lowercase()
}

/// Every `[[measured]]` benchmark as a fitting point (skipping those the model cannot cost and
/// those marked `fit = false`).
pub fn points(cfg: &Config, v: &[f64]) -> Vec<Point> {
    cfg.measured
        .iter()
        .filter(|m| m.fit)
        .filter_map(|m| {
            let w = cfg.inference(&m.workload)?;
            let acc = cfg.accelerator(&m.accelerator)?;
            let inputs = inference::unpriced_inputs(cfg, w, acc, v, &mut ()).ok()?;
            let fixed = inputs.batch.is_some() && inputs.chips_per_replica.is_some() && inputs.prefill_chips.is_none();
            let at = fixed
                .then(|| figures_with(&inputs, &START))
                .flatten()
                .map(|f| (f.chips_per_replica as f64, f.batch));
            Some(Point {
                workload: m.workload.clone(),
                accelerator: m.accelerator.clone(),
                stack: stack_of(&acc.vendor),
                source: source_label(m.prov.source.as_deref().unwrap_or("")),
                inputs,
                tps: get(v, m.output_tokens_per_s_per_chip, "measured output tokens/s per chip", &mut ()),
                user: m.tokens_per_s_per_user.map(|p| get(v, p, "measured tokens/s per user", &mut ())),
                at,
            })
        })
        .collect()
}

fn figures_with(inputs: &InferenceInputs, x: &[f64; 6]) -> Option<inference::InferenceFigures> {
    let i = InferenceInputs {
        eff: Eff::from_array(*x),
        // Benchmarks are unpriced; a price is irrelevant to throughput but must be finite.
        usd_per_chip_hour: 1.0,
        ..*inputs
    };
    inference::figures(&i, &mut ()).ok()
}

/// (output tokens/s per chip, tokens/s per user) of a point with efficiencies `x`: as
/// [`inference::figures`] gives them (at a fixed replica and batch, the one step it costs:
/// `B * a / t_step / n` and `a / t_step`, with the prefill share `p = B * a * (Lin - Lc) / Lout` of
/// [`inference::figures_at`]).
pub fn predict(p: &Point, x: &[f64; 6]) -> Option<(f64, f64)> {
    match p.at {
        Some((n, b)) => {
            let i = InferenceInputs {
                eff: Eff::from_array(*x),
                ..p.inputs
            };
            let prefill = inference::prefill_per_step(&i, b);
            let t = inference::step(&i, n, b, prefill, &mut ()).total;
            let a = i.acceptance;
            Some((b * a / t / n, a / t))
        }
        None => figures_with(&p.inputs, x).map(|f| (f.output_tokens_per_s_per_chip, f.tokens_per_s_per_user)),
    }
}

/// The data term of one point: squared log error of throughput plus the weighted per-user one.
fn loss(p: &Point, x: &[f64; 6]) -> f64 {
    match predict(p, x) {
        Some((tps, user)) => log_sq_error(tps, p.tps) + p.user.map_or(0.0, |u| USER_WEIGHT * log_sq_error(user, u)),
        None => f64::INFINITY,
    }
}

fn prior(x: &[f64], level: &[f64], strength: f64) -> f64 {
    strength * x.iter().zip(level).map(|(a, l)| (a.ln() - l).powi(2)).sum::<f64>()
}

/// Where a chip's efficiencies come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitBasis {
    /// Its own benchmarks (hardware parameters), its stack's fit (software parameters).
    Own,
    /// No points of its own: its stack's pooled fit, an estimate.
    Stack,
    /// No points in its stack either: the mean over stacks, an estimate.
    Global,
}

/// The pooled fit: natural logs of the parameters at three levels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pooled {
    /// (chip strength, stack strength), see [`STRENGTHS`].
    pub strength: (f64, f64),
    /// Mean over stacks, all six parameters.
    pub global: [f64; 6],
    /// Per stack with points: pooled hardware level and fitted software parameters.
    pub stack: BTreeMap<String, [f64; 6]>,
    /// Per chip with points: its hardware parameters.
    pub chip: BTreeMap<String, [f64; HW]>,
}

impl Pooled {
    /// The efficiencies of chip `id` of stack `stack` and where they come from: its own
    /// hardware fit where it has points, else its stack's pooled level, else the mean over
    /// stacks; the software parameters of its stack, else the mean over stacks.
    pub fn of(&self, id: &str, stack: &str) -> ([f64; 6], FitBasis) {
        let (mut x, mut basis) = match self.stack.get(stack) {
            Some(s) => (*s, FitBasis::Stack),
            None => (self.global, FitBasis::Global),
        };
        if let Some(h) = self.chip.get(id) {
            x[..HW].copy_from_slice(h);
            basis = FitBasis::Own;
        }
        (x.map(f64::exp), basis)
    }

    /// Recomputes the pooled levels in closed form, given the chips' hardware parameters and
    /// the stacks' software parameters: a stack's hardware level is
    /// `(c * sum of its chips + s * global) / (c * chips + s)` (the minimum of the two priors),
    /// the global level the mean over stacks. A fixed point of the two, by iteration.
    fn pool(&mut self, chips_of: &BTreeMap<String, Vec<String>>) {
        let (c, s) = self.strength;
        for _ in 0..30 {
            for (st, level) in self.stack.iter_mut() {
                let chips = chips_of.get(st).map(Vec::as_slice).unwrap_or_default();
                for j in 0..HW {
                    let sum: f64 = chips.iter().filter_map(|id| self.chip.get(id)).map(|h| h[j]).sum();
                    level[j] = (c * sum + s * self.global[j]) / (c * chips.len() as f64 + s);
                }
            }
            let n = self.stack.len().max(1) as f64;
            if !self.stack.is_empty() {
                for j in 0..6 {
                    self.global[j] = self.stack.values().map(|l| l[j]).sum::<f64>() / n;
                }
            }
        }
    }
}

/// Fits the pooled levels on `pts` at `strength` by block coordinate descent: each chip's
/// hardware parameters on its points (prior: its stack's level), each stack's software
/// parameters on its chips' points (prior: the global level), then the levels in closed form.
/// `warm` starts from an earlier fit (folds, chips left out) for `REFIT_ROUNDS` rounds.
pub fn fit_pooled(pts: &[&Point], strength: (f64, f64), warm: Option<&Pooled>) -> Pooled {
    fit_pooled_rounds(pts, strength, warm, if warm.is_some() { REFIT_ROUNDS } else { ROUNDS })
}

fn fit_pooled_rounds(pts: &[&Point], strength: (f64, f64), warm: Option<&Pooled>, rounds: usize) -> Pooled {
    let mut chips_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let chip_pts = chip_points(pts);
    for (c, (s, _)) in &chip_pts {
        chips_of.entry(s.clone()).or_default().push(c.to_string());
    }
    let start = START.map(f64::ln);
    let mut f = warm.cloned().unwrap_or(Pooled {
        strength,
        global: start,
        ..Pooled::default()
    });
    f.strength = strength;
    f.chip.retain(|c, _| chip_pts.contains_key(c.as_str()));
    f.stack.retain(|s, _| chips_of.contains_key(s));
    for (c, (s, _)) in &chip_pts {
        let level = *f.stack.entry(s.clone()).or_insert(f.global);
        f.chip.entry(c.to_string()).or_insert([level[0], level[1], level[2]]);
    }
    if pts.is_empty() {
        return f;
    }
    let sw_bounds = &BOUNDS[HW..];
    for _ in 0..rounds {
        // Chips: hardware parameters on their own points.
        fit_chips(&mut f, &chip_pts, strength.0);
        // Stacks: software parameters on all their chips' points.
        for (s, chips) in &chips_of {
            let hw: Vec<([f64; HW], &Vec<&Point>)> = chips
                .iter()
                .filter_map(|c| Some((f.chip.get(c)?.map(f64::exp), &chip_pts.get(c.as_str())?.1)))
                .collect();
            let level = f.stack[s];
            let x0 = [level[3].exp(), level[4].exp(), level[5].exp()];
            let g = f.global;
            let m = minimize_to(
                |y| {
                    let mut sum = prior(y, &g[HW..], strength.1);
                    for (h, cp) in &hw {
                        let full = [h[0], h[1], h[2], y[0], y[1], y[2]];
                        sum += cp.iter().map(|p| loss(p, &full)).sum::<f64>();
                    }
                    sum
                },
                &x0,
                sw_bounds,
                ITERATIONS,
                TOLERANCE,
            );
            if let (Some(l), Ok(y)) = (f.stack.get_mut(s), <[f64; 3]>::try_from(m.x.as_slice())) {
                for j in 0..3 {
                    l[HW + j] = y[j].ln();
                }
            }
        }
        f.pool(&chips_of);
    }
    f
}

type ChipPoints<'a> = BTreeMap<&'a str, (String, Vec<&'a Point>)>;

/// Fits each chip's hardware parameters on its own points, given its stack's software
/// parameters, pulled with `strength` towards its stack's pooled hardware level.
fn fit_chips(f: &mut Pooled, chip_pts: &ChipPoints<'_>, strength: f64) {
    for (c, (s, cp)) in chip_pts {
        let level = f.stack[s];
        let sw = [level[3].exp(), level[4].exp(), level[5].exp()];
        let x0 = f.chip[*c].map(f64::exp);
        let m = minimize_to(
            |x| {
                let full = [x[0], x[1], x[2], sw[0], sw[1], sw[2]];
                cp.iter().map(|p| loss(p, &full)).sum::<f64>() + prior(x, &level[..HW], strength)
            },
            &x0,
            &BOUNDS[..HW],
            ITERATIONS,
            TOLERANCE,
        );
        if let Ok(x) = <[f64; HW]>::try_from(m.x.as_slice()) {
            f.chip.insert(c.to_string(), x.map(f64::ln));
        }
    }
}

fn chip_points<'a>(pts: &[&'a Point]) -> ChipPoints<'a> {
    let mut chip_pts: ChipPoints<'a> = BTreeMap::new();
    for p in pts {
        chip_pts
            .entry(p.accelerator.as_str())
            .or_insert_with(|| (p.stack.clone(), Vec::new()))
            .1
            .push(p);
    }
    chip_pts
}

/// The fit a chip with points is costed by: the pooled fit's software parameters and pooled
/// levels, and its hardware parameters refitted on its own points with the weaker pull
/// `strength` towards its stack's level (chosen by 5-fold cross-validation: the pull that suits
/// borrowing, chosen by leaving chips out, is not the one that suits a chip's own points).
pub fn refit_own(pts: &[&Point], pooled: &Pooled, strength: f64) -> Pooled {
    let chip_pts = chip_points(pts);
    let mut f = pooled.clone();
    f.chip.retain(|c, _| chip_pts.contains_key(c.as_str()));
    fit_chips(&mut f, &chip_pts, strength);
    f
}

/// One accelerator's fitted efficiencies.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ChipFit {
    pub accelerator: String,
    pub family: Family,
    /// Its serving stack (vendor, lower case).
    pub stack: String,
    /// Benchmarks of this chip.
    pub points: usize,
    pub basis: FitBasis,
    /// In [`ServingEfficiency::KEYS`] order.
    pub base: [f64; 6],
    pub low: [f64; 6],
    pub high: [f64; 6],
    /// Per parameter, the name of the unknown it is drawn as in Monte Carlo (`shared`), where
    /// it is one unknown with other chips': the stack's software parameters, a pooled level.
    pub shared: [Option<String>; 6],
    /// Median |error| of the chip's points under the full fit.
    pub median_abs_error_pct: Option<f64>,
    /// Median |error| of the chip's points predicted by the fit on the other folds.
    pub cv_median_abs_error_pct: Option<f64>,
    /// Median |error| of the chip's points predicted by the fit without them (the pooled fit
    /// it would borrow).
    pub leave_chip_out_median_abs_error_pct: Option<f64>,
    /// The held-out error that applies to this chip's figures: 5-fold where it has points,
    /// else the leave-one-chip-out error of the chips whose pooled fit it borrows.
    pub heldout_error_pct: Option<f64>,
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

/// Errors of one group of points (a source, a chip): in sample, 5-fold, leave one chip out.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceErrors {
    pub source: String,
    pub points: usize,
    pub median_abs_error_pct: Option<f64>,
    pub cv_median_abs_error_pct: Option<f64>,
    pub leave_chip_out_median_abs_error_pct: Option<f64>,
}

/// One benchmark's errors (percent, signed): in sample, 5-fold, leave one chip out.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PointErrors {
    pub workload: String,
    pub accelerator: String,
    pub source: String,
    /// True for a mixture-of-experts model.
    pub moe: bool,
    pub error_pct: f64,
    pub cv_error_pct: f64,
    pub leave_chip_out_error_pct: f64,
}

/// One pooling strength tried, and its leave-one-chip-out score.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StrengthTried {
    pub chip_strength: f64,
    pub stack_strength: f64,
    /// Mean over held-out chips of their median |error|.
    pub mean_chip_leave_chip_out_pct: f64,
    /// Median |error| over every held-out point (the selection criterion: the figure
    /// `calibrate` prints).
    pub leave_chip_out_median_abs_error_pct: Option<f64>,
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
    /// The pooling strengths chosen (chip, stack) and every one tried.
    pub chip_strength: f64,
    pub stack_strength: f64,
    pub strengths: Vec<StrengthTried>,
    /// The pull of a chip's own hardware fit towards its stack's level, chosen by 5-fold
    /// cross-validation, and every one tried with its 5-fold median |error|.
    pub own_strength: f64,
    pub own_strengths: Vec<(f64, f64)>,
    pub chips: Vec<ChipFit>,
    pub sources: Vec<SourceErrors>,
    /// Every benchmark's errors (JSON only).
    pub point_errors: Vec<PointErrors>,
    pub cross: Vec<CrossCheck>,
    /// The `[accelerator.efficiency]` lines to paste, per accelerator.
    pub toml: String,
}

fn errors_with(pts: &[&Point], x: &[f64; 6]) -> Vec<f64> {
    pts.iter()
        .map(|p| predict(p, x).map_or(f64::INFINITY, |(tps, _)| error_pct(tps, p.tps)))
        .collect()
}

/// Leave one chip out at `strength`: per chip, its points' errors under the fit of the other
/// chips (warm-started from `full`), and that fit.
/// One chip left out: its id, its points' errors under the fit without them, and that fit.
type LeftOut = (String, Vec<f64>, Pooled);

fn leave_chips_out(all: &[Point], full: &Pooled) -> Vec<LeftOut> {
    let mut chip_ids: Vec<&str> = all.iter().map(|p| p.accelerator.as_str()).collect();
    chip_ids.sort();
    chip_ids.dedup();
    super::uncertainty::on_both_cores(&chip_ids, |c| {
        let (mine, rest): (Vec<&Point>, Vec<&Point>) = all.iter().partition(|p| p.accelerator == *c);
        let lv = fit_pooled(&rest, full.strength, Some(full));
        let stack = mine.first().map(|p| p.stack.clone()).unwrap_or_default();
        let errs = errors_with(&mine, &lv.of(c, &stack).0);
        (c.to_string(), errs, lv)
    })
}

fn mean_chip_median(loco: &[LeftOut]) -> f64 {
    let meds: Vec<f64> = loco.iter().filter_map(|(_, e, _)| median_abs(e)).collect();
    if meds.is_empty() {
        f64::INFINITY
    } else {
        meds.iter().sum::<f64>() / meds.len() as f64
    }
}

/// Fits every accelerator's serving efficiencies on the config's benchmarks (values `v`).
pub fn fit(cfg: &Config, v: &[f64], as_of: &str) -> ServingFit {
    let all = points(cfg, v);
    let refs: Vec<&Point> = all.iter().collect();

    // The pooling strength: the one whose leave-one-chip-out error is least.
    let mut tried = Vec::new();
    let mut best: Option<(f64, Pooled, Vec<LeftOut>)> = None;
    let mut previous: Option<Pooled> = None;
    for s in STRENGTHS {
        // Each strength starts from the fit at the one before (and fits from the start once).
        let full = match &previous {
            Some(p) => fit_pooled_rounds(&refs, s, Some(p), ROUNDS / 2),
            None => fit_pooled(&refs, s, None),
        };
        let loco = leave_chips_out(&all, &full);
        let pooled_errs: Vec<f64> = loco.iter().flat_map(|(_, e, _)| e.iter().copied()).collect();
        let score = median_abs(&pooled_errs).unwrap_or(f64::INFINITY);
        tried.push(StrengthTried {
            chip_strength: s.0,
            stack_strength: s.1,
            mean_chip_leave_chip_out_pct: mean_chip_median(&loco),
            leave_chip_out_median_abs_error_pct: median_abs(&pooled_errs),
        });
        if best.as_ref().is_none_or(|b| score < b.0) {
            best = Some((score, full.clone(), loco));
        }
        previous = Some(full);
    }
    let (_, pooled, loco) = best.unwrap_or_default();

    // Chips with points: their own hardware fit, the pull chosen by 5-fold cross-validation.
    let folds = k_folds(all.len(), FOLDS);
    let fold_pooled: Vec<(Vec<&Point>, Pooled)> = super::uncertainty::on_both_cores(&folds, |held| {
        let train: Vec<&Point> = all.iter().enumerate().filter(|(k, _)| !held.contains(k)).map(|(_, p)| p).collect();
        let lv = fit_pooled(&train, pooled.strength, Some(&pooled));
        (train, lv)
    });
    let mut own_tried = Vec::new();
    let mut own_best: Option<(f64, f64, Vec<Pooled>)> = None;
    for s in OWN_STRENGTHS {
        let fits: Vec<Pooled> = fold_pooled.iter().map(|(train, lv)| refit_own(train, lv, s)).collect();
        let mut errs = Vec::new();
        for (held, lv) in folds.iter().zip(&fits) {
            for &k in held {
                let p = &all[k];
                errs.push(errors_with(&[p], &lv.of(&p.accelerator, &p.stack).0)[0]);
            }
        }
        let score = median_abs(&errs).unwrap_or(f64::INFINITY);
        own_tried.push((s, score));
        if own_best.as_ref().is_none_or(|b| score < b.0) {
            own_best = Some((score, s, fits));
        }
    }
    let (_, own_strength, fold_fits) = own_best.unwrap_or_default();
    let levels = refit_own(&refs, &pooled, own_strength);

    // In-sample and 5-fold errors per point.
    let stack_of_chip = |id: &str| -> String { cfg.accelerator(id).map(|a| stack_of(&a.vendor)).unwrap_or_default() };
    let in_sample: Vec<f64> = all
        .iter()
        .map(|p| errors_with(&[p], &levels.of(&p.accelerator, &p.stack).0)[0])
        .collect();
    let mut cv = vec![f64::INFINITY; all.len()];
    for (held, lv) in folds.iter().zip(&fold_fits) {
        for &k in held {
            let p = &all[k];
            cv[k] = errors_with(&[p], &lv.of(&p.accelerator, &p.stack).0)[0];
        }
    }
    let mut loco_pt = vec![f64::INFINITY; all.len()];
    for (c, errs, _) in &loco {
        let idx = (0..all.len()).filter(|&k| all[k].accelerator == *c);
        for (k, e) in idx.zip(errs) {
            loco_pt[k] = *e;
        }
    }

    // Each chip's points with a same-stack chip's own fit, both fitted without them.
    let mut cross = Vec::new();
    for (c, _, lv) in &loco {
        let mine: Vec<&Point> = all.iter().filter(|p| p.accelerator == *c).collect();
        let Some(stack) = mine.first().map(|p| p.stack.clone()) else {
            continue;
        };
        for other in lv.chip.keys() {
            if all.iter().any(|p| p.accelerator == *other && p.stack == stack) {
                let errs = errors_with(&mine, &lv.of(other, &stack).0);
                cross.push(CrossCheck {
                    predicted: c.clone(),
                    with_fit_of: other.clone(),
                    points: mine.len(),
                    median_abs_error_pct: median_abs(&errs),
                    max_abs_error_pct: errs.iter().map(|e| e.abs()).reduce(f64::max),
                });
            }
        }
    }

    // The held-out error of a pooled fit: the leave-one-chip-out error of the chips that
    // were predicted by it (a stack's chips; the mean over stacks: every held-out chip).
    let loco_of_stack = |stack: Option<&str>| {
        let errs: Vec<f64> = all
            .iter()
            .zip(&loco_pt)
            .filter(|(p, _)| stack.is_none_or(|s| p.stack == s))
            .map(|(_, e)| *e)
            .collect();
        median_abs(&errs)
    };
    let overall_loco = loco_of_stack(None);

    // Software ranges per stack: spread over the fold refits, at least +/-10%.
    let widen = |base: f64, low: &mut f64, high: &mut f64, w: f64, j: usize| {
        *low = low.min(base / (1.0 + w)).max(BOUNDS[j].low.min(base));
        *high = high.max(base * (1.0 + w)).min(BOUNDS[j].high.max(base));
    };
    let mut chips = Vec::new();
    for acc in &cfg.accelerators {
        let stack = stack_of(&acc.vendor);
        let (base, basis) = levels.of(&acc.id, &stack);
        let mut low = base;
        let mut high = base;
        for lv in &fold_fits {
            let (x, _) = lv.of(&acc.id, &stack);
            for j in 0..6 {
                low[j] = low[j].min(x[j]);
                high[j] = high[j].max(x[j]);
            }
        }
        let held_loco = match basis {
            FitBasis::Global => overall_loco,
            _ => loco_of_stack(Some(&stack)),
        };
        let borrowed_width = MIN_WIDTH_BORROWED.max(held_loco.unwrap_or(0.0) / 100.0);
        let mut shared: [Option<String>; 6] = Default::default();
        for j in 0..6 {
            let hw = j < HW;
            let w = match basis {
                FitBasis::Own => MIN_WIDTH_OWN,
                FitBasis::Stack if !hw => MIN_WIDTH_OWN,
                _ => borrowed_width,
            };
            widen(base[j], &mut low[j], &mut high[j], w, j);
            let key = ServingEfficiency::KEYS[j];
            shared[j] = match (basis, hw) {
                (FitBasis::Own, true) => None,
                (FitBasis::Global, _) => Some(format!("serving.pooled.{key}")),
                (_, false) => Some(format!("serving.{stack}.{key}")),
                (FitBasis::Stack, true) => Some(format!("serving.{stack}.pooled.{key}")),
            };
        }
        let pick = |errs: &[f64]| -> Vec<f64> {
            all.iter()
                .zip(errs)
                .filter(|(p, _)| p.accelerator == acc.id)
                .map(|(_, e)| *e)
                .collect()
        };
        let own_cv = median_abs(&pick(&cv));
        chips.push(ChipFit {
            accelerator: acc.id.clone(),
            family: acc.family,
            stack: stack.clone(),
            points: pick(&in_sample).len(),
            basis,
            base,
            low,
            high,
            shared,
            median_abs_error_pct: median_abs(&pick(&in_sample)),
            cv_median_abs_error_pct: own_cv,
            leave_chip_out_median_abs_error_pct: median_abs(&pick(&loco_pt)),
            heldout_error_pct: if basis == FitBasis::Own { own_cv } else { held_loco },
        });
    }
    // Ranges of a stack's software parameters (and of a pool's hardware levels) are one per
    // unknown: every chip naming it gets the widest of them, so they draw as one.
    let mut widest: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for c in &chips {
        for j in 0..6 {
            if let Some(name) = &c.shared[j] {
                let e = widest.entry(name.clone()).or_insert((c.low[j], c.high[j]));
                *e = (e.0.min(c.low[j]), e.1.max(c.high[j]));
            }
        }
    }
    for c in &mut chips {
        for j in 0..6 {
            if let Some((l, h)) = c.shared[j].as_ref().and_then(|n| widest.get(n)) {
                (c.low[j], c.high[j]) = (*l, *h);
            }
        }
    }

    let group = |name: &str, keep: &dyn Fn(&Point) -> bool| {
        let idx: Vec<usize> = (0..all.len()).filter(|&k| keep(&all[k])).collect();
        let med = |e: &[f64]| median_abs(&idx.iter().map(|&k| e[k]).collect::<Vec<_>>());
        SourceErrors {
            source: name.to_string(),
            points: idx.len(),
            median_abs_error_pct: med(&in_sample),
            cv_median_abs_error_pct: med(&cv),
            leave_chip_out_median_abs_error_pct: med(&loco_pt),
        }
    };
    let mut source_names: Vec<&str> = all.iter().map(|p| p.source.as_str()).collect();
    source_names.sort();
    source_names.dedup();
    let sources = source_names.iter().map(|s| group(s, &|p: &Point| p.source == *s)).collect();
    let _ = stack_of_chip;

    let point_errors = all
        .iter()
        .enumerate()
        .map(|(k, p)| PointErrors {
            workload: p.workload.clone(),
            accelerator: p.accelerator.clone(),
            source: p.source.clone(),
            moe: p.inputs.experts.is_some() || p.inputs.active_params < p.inputs.params,
            error_pct: in_sample[k],
            cv_error_pct: cv[k],
            leave_chip_out_error_pct: loco_pt[k],
        })
        .collect();
    let toml = paste_toml(&chips, all.len(), as_of);
    ServingFit {
        points: all.len(),
        median_abs_error_pct: median_abs(&in_sample),
        cv_folds: FOLDS,
        cv_median_abs_error_pct: median_abs(&cv),
        leave_chip_out_median_abs_error_pct: overall_loco,
        chip_strength: pooled.strength.0,
        stack_strength: pooled.strength.1,
        own_strength,
        own_strengths: own_tried,
        strengths: tried,
        chips,
        sources,
        point_errors,
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

fn pct(x: Option<f64>) -> String {
    x.map_or("no".to_string(), |e| format!("{e:.0}%"))
}

fn paste_toml(chips: &[ChipFit], n: usize, as_of: &str) -> String {
    let mut s = String::new();
    for c in chips {
        let how = match c.basis {
            FitBasis::Own => format!(
                "serving_mfu, weight_bw_eff, kv_bw_eff fit on its {} benchmark(s) (held out 5-fold: {} median error), overheads and moe_efficiency the {} stack's",
                c.points,
                pct(c.cv_median_abs_error_pct),
                c.stack
            ),
            FitBasis::Stack => format!(
                "ESTIMATE: no public benchmark; the {} stack's pooled fit (leave-one-chip-out median error of its chips {}; ranges at least that wide)",
                c.stack,
                pct(c.heldout_error_pct)
            ),
            FitBasis::Global => format!(
                "ESTIMATE: no public benchmark on its stack; the mean over stacks (leave-one-chip-out median error {}; ranges at least that wide)",
                pct(c.heldout_error_pct)
            ),
        };
        let _ = writeln!(
            s,
            "# [accelerator.efficiency] of {}: {how}; fit on {n} public benchmarks (accel-cost calibrate --fit), {as_of}",
            c.accelerator
        );
        for (j, key) in ServingEfficiency::KEYS.iter().enumerate() {
            let shared = c.shared[j].as_ref().map_or(String::new(), |n| format!(", shared = \"{n}\""));
            let _ = writeln!(
                s,
                "{key} = {{ low = {}, base = {}, high = {}{shared} }}",
                sig3(c.low[j]),
                sig3(c.base[j]),
                sig3(c.high[j])
            );
        }
        if let Some(e) = c.heldout_error_pct {
            let _ = writeln!(s, "serving_heldout_error_pct = {}", sig3(e));
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
    fn a_chip_takes_its_own_hardware_and_its_stacks_software() {
        let mut l = Pooled {
            global: [0.1f64.ln(); 6],
            ..Pooled::default()
        };
        l.stack.insert("nvidia".into(), [0.2f64.ln(); 6]);
        l.chip.insert("h100-sxm".into(), [0.3f64.ln(); 3]);
        let (x, b) = l.of("h100-sxm", "nvidia");
        assert_eq!(b, FitBasis::Own);
        // hardware 0.3 (own), software 0.2 (the stack's)
        for (j, want) in [0.3, 0.3, 0.3, 0.2, 0.2, 0.2].iter().enumerate() {
            assert_relative_eq!(x[j], *want, max_relative = 1e-12);
        }
        let (x, b) = l.of("h200", "nvidia");
        assert_eq!(b, FitBasis::Stack);
        assert_relative_eq!(x[0], 0.2, max_relative = 1e-12);
        let (x, b) = l.of("mi300x", "amd");
        assert_eq!(b, FitBasis::Global);
        assert_relative_eq!(x[5], 0.1, max_relative = 1e-12);
    }

    #[test]
    fn the_one_step_prediction_is_what_figures_gives() {
        // Every shipped benchmark at two efficiency vectors: the fast path (one step at the
        // fixed replica and batch) must equal inference::figures to rounding.
        let cfg = crate::config::load(&[std::path::PathBuf::from("configs")], &[]).unwrap_or_else(|d| panic!("{d:?}"));
        let v = cfg.params.base_values();
        let pts = points(&cfg, &v);
        assert!(pts.iter().filter(|p| p.at.is_some()).count() > 100);
        for x in [START, [0.3, 0.6, 0.4, 80.0, 30.0, 0.2]] {
            for p in &pts {
                let f = figures_with(&p.inputs, &x).map(|f| (f.output_tokens_per_s_per_chip, f.tokens_per_s_per_user));
                let (a, b) = (predict(p, &x).unwrap_or_default(), f.unwrap_or_default());
                assert_relative_eq!(a.0, b.0, max_relative = 1e-12);
                assert_relative_eq!(a.1, b.1, max_relative = 1e-12);
            }
        }
    }

    #[test]
    fn pooled_levels_are_the_prior_weighted_means() {
        // Chip strength 1, stack strength 1. Stack a: chips ln 1 and ln e (logs 0 and 1);
        // stack b: one chip, log 4. Fixed point: a = (0 + 1 + g) / 3, b = (4 + g) / 2,
        // g = (a + b) / 2 -> g = ((1 + g) / 3 + (4 + g) / 2) / 2 -> 12 g = 2 + 2 g + 12 + 3 g
        // -> 7 g = 14, g = 2; a = 1, b = 3.
        let mut l = Pooled {
            strength: (1.0, 1.0),
            ..Pooled::default()
        };
        l.chip.insert("x".into(), [0.0; 3]);
        l.chip.insert("y".into(), [1.0; 3]);
        l.chip.insert("z".into(), [4.0; 3]);
        l.stack.insert("a".into(), [0.0; 6]);
        l.stack.insert("b".into(), [0.0; 6]);
        let mut chips_of = BTreeMap::new();
        chips_of.insert("a".to_string(), vec!["x".to_string(), "y".to_string()]);
        chips_of.insert("b".to_string(), vec!["z".to_string()]);
        l.pool(&chips_of);
        assert_relative_eq!(l.global[0], 2.0, max_relative = 1e-6);
        assert_relative_eq!(l.stack["a"][0], 1.0, max_relative = 1e-6);
        assert_relative_eq!(l.stack["b"][2], 3.0, max_relative = 1e-6);
    }
}

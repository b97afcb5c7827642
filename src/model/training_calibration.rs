//! `calibrate`, training half: public runs' reported chip-hours against today's model (docs/model.md
//! "Training"), against the planner's rule of thumb (40% MFU of bf16 peak, 6ND, no goodput), and
//! against a leave-one-out fit of steady-state MFU per accelerator and precision; `--fit` prints
//! that fit as TOML lines to paste.
//!
//! Every run is reduced to its *implied steady-state MFU*
//! `C / (reported chip-hours * 3600 * dense peak * g)`, with `g` = goodput for `all_in` hours and 1
//! for `steady_state` ones. The fit of one multiplicative factor on log error is the geometric mean
//! of those (`fit::geometric_mean`), so a prediction's error is `implied / fitted - 1`.
//!
//! Dense runs alone fit each chip's MFU; mixture-of-experts runs (active < total parameters) fit
//! one MoE training efficiency, the geometric mean of `implied MFU / the chip's dense fit`.

use crate::config::{Calibration, Config, Family, HoursBasis, Precision};

use super::fit;
use super::trace::{Trace, d, get};
use super::training::{chip_hours, compute, peak_and_mfu};
use super::{Skip, Skipped};

/// The planner's rule of thumb: 40% MFU of the bf16 peak on every chip, C = 6ND, no goodput.
pub const RULE_OF_THUMB_MFU: f64 = 0.40;

/// One public run checked three ways.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunCheck {
    pub id: String,
    pub accelerator: String,
    pub precision: &'static str,
    pub hours_basis: HoursBasis,
    pub reported_chip_hours: f64,
    /// C of the run (FLOP), attention included where the run gives its shape.
    pub flops: f64,
    /// The attention term of C (FLOP); null when the run gives no shape.
    pub attention_flops: Option<f64>,
    /// Goodput applied to the run: economics.training_goodput for all_in hours, 1 for steady_state.
    pub goodput: f64,
    /// Today's model with the configured MFU; null when the chip has none at this precision.
    pub predicted_chip_hours: Option<f64>,
    /// (predicted - reported) / reported, in percent.
    pub error_pct: Option<f64>,
    /// Steady-state MFU at which the model reproduces the reported hours.
    pub implied_mfu: f64,
    /// The accelerator's configured training MFU at this precision (base value).
    pub configured_mfu: Option<f64>,
    pub rule_of_thumb_chip_hours: f64,
    pub rule_of_thumb_error_pct: f64,
    /// MFU fitted on the other runs (same chip and precision, else same family and precision).
    pub loo_mfu: Option<f64>,
    /// Error of the leave-one-out prediction, in percent; null when no other run qualifies.
    pub loo_error_pct: Option<f64>,
    /// Which runs the leave-one-out fit used: "chip" or "family".
    pub loo_from: Option<&'static str>,
    /// True for a mixture-of-experts run (active parameters fewer than total ones).
    pub moe: bool,
    /// The MoE training efficiency applied to the prediction (1 for a dense run).
    pub moe_efficiency: f64,
    /// Active parameters (count): the MoE efficiency's size term.
    #[serde(skip)]
    pub active: f64,
    #[serde(skip)]
    pub family: Family,
    #[serde(skip)]
    pub precision_enum: Precision,
}

/// Fitted steady-state MFU of one accelerator at one precision.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MfuFit {
    pub accelerator: String,
    pub precision: &'static str,
    /// Geometric mean of the runs' implied MFU (least squares on log error).
    pub mfu: f64,
    /// Lowest and highest implied MFU of the runs; with one run, the fit +- the median
    /// leave-one-out error of all runs.
    pub low: f64,
    pub high: f64,
    pub runs: Vec<String>,
}

/// The fitted MoE training efficiency: the share of the chip's dense MFU the MoE runs of one
/// precision class reach.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MoeFit {
    /// "16-bit" (`training_moe_efficiency`) or "8-bit" (`training_moe_efficiency_fp8`).
    pub matmuls: &'static str,
    /// The share at 10B active parameters: `exp(a)` of the least-squares fit
    /// `ln(ratio) = a[class] + γ ln(active / 10e9)` over the MoE runs, ratio = implied MFU / the
    /// chip's dense MFU at that precision (with γ = 0, their geometric mean).
    pub efficiency: f64,
    /// γ, shared by both classes (`economics.training_moe_active_exponent`).
    pub exponent: f64,
    /// Lowest and highest ratio brought to 10B active (`ratio / (active / 10e9)^γ`).
    pub low: f64,
    pub high: f64,
    /// (run id, ratio) of each MoE run with a dense fit to compare against.
    pub runs: Vec<(String, f64)>,
}

/// The training runs of `calibrate`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingCalibration {
    pub runs: Vec<RunCheck>,
    pub skipped: Vec<Skipped>,
    pub fits: Vec<MfuFit>,
    /// The MoE training efficiency fitted on the MoE runs, per precision class (16-bit, 8-bit);
    /// a class without a MoE run on a chip with dense runs has none.
    pub moe: Vec<MoeFit>,
    /// Accelerators with a training MFU but no public run (their MFU stays an estimate).
    pub without_runs: Vec<String>,
}

/// Checks one run against today's model and the rule of thumb (no leave-one-out yet).
pub fn check_run(cfg: &Config, c: &Calibration, v: &[f64], t: &mut impl Trace) -> Result<RunCheck, Skip> {
    let acc = cfg.accelerator(&c.accelerator).ok_or(Skip::NoTrainingMfu)?;
    let tf = acc.tflops(c.precision).ok_or(Skip::NoPrecision(c.precision))?;
    let configured = peak_and_mfu(acc, c.precision, v, t).ok();
    let peak = configured.map_or(get(v, tf, "dense peak", &mut ()) * 1e12, |(p, _)| p);
    let n = get(v, c.active_params_b, "active parameters", t) * 1e9;
    let total = get(v, c.params_b, "parameters", t) * 1e9;
    let moe_efficiency = super::training::moe_efficiency(cfg, c.precision, total, n, v, t);
    let tokens = get(v, c.tokens_t, "tokens", t) * 1e12;
    let over = c.flops.map(|f| get(v, f, "FLOPs", t));
    let (flops, attention_flops) = compute(n, tokens, c.attention, over, t);
    let goodput = match c.hours_basis {
        HoursBasis::AllIn => get(v, cfg.economics.training_goodput, "training goodput", t),
        HoursBasis::SteadyState => {
            if t.enabled() {
                t.note(format!("run `{}` reports steady-state hours: goodput 1", c.id));
            }
            1.0
        }
    };
    let reported = get(v, c.reported_chip_hours, "reported chip-hours", t);
    let predicted = configured.map(|(p, m)| chip_hours(flops, p, m, moe_efficiency, goodput, t));
    let implied = d(
        t,
        "implied steady-state MFU",
        "C / (reported chip-hours * 3600 * dense peak * goodput)",
        flops / (reported * 3600.0 * peak * goodput),
        "",
    );
    // Rule of thumb: 6ND (or the run's own `flops`), 40% of the bf16 peak, every hour productive.
    let rot_peak = acc
        .tflops(Precision::Bf16)
        .map_or(peak, |p| get(v, p, "dense peak (bf16)", &mut ()) * 1e12);
    let rot_flops = over.unwrap_or(6.0 * n * tokens);
    let rot = rot_flops / (rot_peak * RULE_OF_THUMB_MFU) / 3600.0;
    Ok(RunCheck {
        id: c.id.clone(),
        accelerator: c.accelerator.clone(),
        precision: c.precision.name(),
        hours_basis: c.hours_basis,
        reported_chip_hours: reported,
        flops,
        attention_flops,
        goodput,
        predicted_chip_hours: predicted,
        error_pct: predicted.map(|p| fit::error_pct(p, reported)),
        implied_mfu: implied,
        configured_mfu: configured.map(|(_, m)| m),
        rule_of_thumb_chip_hours: rot,
        rule_of_thumb_error_pct: fit::error_pct(rot, reported),
        loo_mfu: None,
        loo_error_pct: None,
        loo_from: None,
        moe: n < total,
        moe_efficiency,
        active: n,
        family: acc.family,
        precision_enum: c.precision,
    })
}

/// Geometric mean of the implied MFU of the runs `keep` selects.
fn fit_on(runs: &[RunCheck], keep: impl Fn(usize, &RunCheck) -> bool) -> Option<f64> {
    let xs: Vec<f64> = runs
        .iter()
        .enumerate()
        .filter(|(i, r)| keep(*i, r))
        .map(|(_, r)| r.implied_mfu)
        .collect();
    fit::geometric_mean(&xs)
}

/// The dense MFU fitted on the dense runs `keep` admits, of run `r`'s chip and precision, else of
/// its family and precision, and which of the two.
fn dense_fit(runs: &[RunCheck], r: &RunCheck, keep: impl Fn(usize) -> bool) -> Option<(f64, &'static str)> {
    let (acc, prec, fam) = (&r.accelerator, r.precision_enum, r.family);
    fit_on(runs, |j, q| keep(j) && !q.moe && &q.accelerator == acc && q.precision_enum == prec)
        .map(|m| (m, "chip"))
        .or_else(|| fit_on(runs, |j, q| keep(j) && !q.moe && q.family == fam && q.precision_enum == prec).map(|m| (m, "family")))
}

/// True for 8-bit or narrower matmuls (the class of `training_moe_efficiency_fp8`).
fn eight_bit(p: Precision) -> bool {
    p.bytes() <= 1.0
}

/// Each MoE run `keep` admits with its ratio: implied MFU over the dense MFU of its chip at its
/// precision that a prediction uses (the configured one, which dense runs or a documented estimate
/// set), else the one fitted on the chip's dense runs (a family fit would compare unlike chips).
fn moe_ratios(runs: &[RunCheck], keep: impl Fn(usize) -> bool) -> Vec<(usize, f64)> {
    runs.iter()
        .enumerate()
        .filter(|(j, q)| q.moe && keep(*j))
        .filter_map(|(j, q)| {
            let chip = fit_on(runs, |_, d| {
                !d.moe && d.accelerator == q.accelerator && d.precision_enum == q.precision_enum
            });
            q.configured_mfu.or(chip).map(|m| (j, q.implied_mfu / m))
        })
        .collect()
}

/// Fills each run's leave-one-out prediction. A dense run: the MFU fitted on the other dense runs
/// of the same accelerator and precision, else of the same family and precision. A MoE run: the
/// chip's configured dense MFU (set from dense runs only; else that dense fit) times the MoE
/// efficiency fitted on the other MoE runs of its matmul width.
pub fn leave_one_out(runs: &mut [RunCheck]) {
    for i in 0..runs.len() {
        let dense = dense_fit(runs, &runs[i], |j| j != i);
        let (mfu, from) = match (dense, runs[i].moe) {
            (None, _) => (None, None),
            (Some((m, from)), false) => (Some(m), Some(from)),
            (Some((m, from)), true) => {
                let class = eight_bit(runs[i].precision_enum);
                let fit = moe_regression(runs, &moe_ratios(runs, |j| j != i));
                let share = fit.and_then(|(a16, a8, g)| {
                    let a = if class { a8 } else { a16 }?;
                    Some(super::training::moe_share(a.exp(), g, runs[i].active))
                });
                let dense = runs[i].configured_mfu.unwrap_or(m);
                (share.map(|e| dense * e), Some(from))
            }
        };
        let r = &mut runs[i];
        r.loo_mfu = mfu;
        r.loo_from = mfu.and(from);
        // predicted / reported = implied / fitted (same C, peak and goodput).
        r.loo_error_pct = mfu.map(|m| (r.implied_mfu / m - 1.0) * 100.0);
    }
}

/// Least squares of `ln(ratio) = a[class] + γ ln(active / 10e9)` over the MoE runs `ratios`
/// (each class its own intercept, one slope γ, clamped to [0, 1]): `(a 16-bit, a 8-bit, γ)`, an
/// intercept `None` for a class without runs; `None` without any run. With one size only, γ = 0.
pub fn moe_regression(runs: &[RunCheck], ratios: &[(usize, f64)]) -> Option<(Option<f64>, Option<f64>, f64)> {
    let pts: Vec<(bool, f64, f64)> = ratios
        .iter()
        .map(|&(j, r)| {
            (
                eight_bit(runs[j].precision_enum),
                (runs[j].active / super::training::MOE_REFERENCE_ACTIVE).ln(),
                r.ln(),
            )
        })
        .collect();
    if pts.is_empty() {
        return None;
    }
    let mean = |class: bool| -> Option<(f64, f64)> {
        let c: Vec<&(bool, f64, f64)> = pts.iter().filter(|p| p.0 == class).collect();
        (!c.is_empty()).then(|| {
            let n = c.len() as f64;
            (c.iter().map(|p| p.1).sum::<f64>() / n, c.iter().map(|p| p.2).sum::<f64>() / n)
        })
    };
    let (m16, m8) = (mean(false), mean(true));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(class, x, y) in &pts {
        let (mx, my) = if class { m8 } else { m16 }?;
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    let g = if sxx > 1e-12 { (sxy / sxx).clamp(0.0, 1.0) } else { 0.0 };
    let a = |m: Option<(f64, f64)>| m.map(|(mx, my)| my - g * mx);
    Some((a(m16), a(m8), g))
}

/// The MoE training efficiency per precision class (16-bit, then 8-bit) at 10B active
/// parameters, and the exponent on active parameters they share ([`moe_regression`]), fitted
/// on every MoE run whose chip has a dense MFU.
pub fn fit_moe(runs: &[RunCheck]) -> Vec<MoeFit> {
    let ratios = moe_ratios(runs, |_| true);
    let Some((a16, a8, g)) = moe_regression(runs, &ratios) else {
        return Vec::new();
    };
    [(false, "16-bit", a16), (true, "8-bit", a8)]
        .into_iter()
        .filter_map(|(class, matmuls, a)| {
            let a = a?;
            let mine: Vec<&(usize, f64)> = ratios.iter().filter(|(j, _)| eight_bit(runs[*j].precision_enum) == class).collect();
            let at10: Vec<f64> = mine
                .iter()
                .map(|(j, x)| x / (runs[*j].active / super::training::MOE_REFERENCE_ACTIVE).powf(g))
                .collect();
            Some(MoeFit {
                matmuls,
                efficiency: a.exp(),
                exponent: g,
                low: at10.iter().copied().fold(f64::INFINITY, f64::min),
                high: at10.iter().copied().fold(0.0, f64::max),
                runs: mine.iter().map(|(j, x)| (runs[*j].id.clone(), *x)).collect(),
            })
        })
        .collect()
}

/// Steady-state MFU per accelerator and precision from the dense runs, in the order runs first
/// name them.
pub fn fit_mfu(runs: &[RunCheck]) -> Vec<MfuFit> {
    let loo = fit::median_abs(&runs.iter().filter_map(|r| r.loo_error_pct).collect::<Vec<_>>()).unwrap_or(0.0) / 100.0;
    let mut out: Vec<MfuFit> = Vec::new();
    for r in runs.iter().filter(|r| !r.moe) {
        if out.iter().any(|f| f.accelerator == r.accelerator && f.precision == r.precision) {
            continue;
        }
        let group: Vec<&RunCheck> = runs
            .iter()
            .filter(|q| !q.moe && q.accelerator == r.accelerator && q.precision == r.precision)
            .collect();
        let xs: Vec<f64> = group.iter().map(|q| q.implied_mfu).collect();
        let Some(mfu) = fit::geometric_mean(&xs) else { continue };
        let (low, high) = if xs.len() > 1 {
            (
                xs.iter().copied().fold(f64::INFINITY, f64::min),
                xs.iter().copied().fold(0.0, f64::max),
            )
        } else {
            (mfu / (1.0 + loo), (mfu * (1.0 + loo)).min(1.0))
        };
        out.push(MfuFit {
            accelerator: r.accelerator.clone(),
            precision: r.precision,
            mfu,
            low,
            high,
            runs: group.iter().map(|q| q.id.clone()).collect(),
        });
    }
    out
}

/// Every `[[calibration]]` run, checked, with leave-one-out errors and the fit.
pub fn calibrate_training(cfg: &Config, v: &[f64]) -> TrainingCalibration {
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for c in &cfg.calibration {
        match check_run(cfg, c, v, &mut ()) {
            Ok(r) => runs.push(r),
            Err(s) => {
                let mut k = Skipped::new(&c.accelerator, s);
                k.reason = format!("run `{}`: {}", c.id, k.reason);
                skipped.push(k);
            }
        }
    }
    leave_one_out(&mut runs);
    let fits = fit_mfu(&runs);
    let moe = fit_moe(&runs);
    let without_runs = cfg
        .accelerators
        .iter()
        .filter(|a| a.efficiency.training_mfu.is_some() && !runs.iter().any(|r| r.accelerator == a.id))
        .map(|a| a.id.clone())
        .collect();
    TrainingCalibration {
        runs,
        skipped,
        fits,
        moe,
        without_runs,
    }
}

/// Three significant digits, as TOML.
fn sig3(x: f64) -> String {
    crate::fmt::num(x, 3)
}

/// The `training_mfu` lines to paste into each fitted accelerator's `[accelerator.efficiency]`,
/// with a source comment. Precisions the runs do not cover keep the configured value.
pub fn toml_lines(cfg: &Config, all: &[MfuFit], date: &str) -> String {
    let mut s = String::new();
    for acc in &cfg.accelerators {
        let fits: Vec<&MfuFit> = all.iter().filter(|f| f.accelerator == acc.id).collect();
        if fits.is_empty() {
            continue;
        }
        let n: usize = fits.iter().map(|f| f.runs.len()).sum();
        let mut parts: Vec<String> = fits
            .iter()
            .map(|f| {
                format!(
                    "{} = {{ low = {}, base = {}, high = {} }}",
                    f.precision,
                    sig3(f.low),
                    sig3(f.mfu),
                    sig3(f.high)
                )
            })
            .collect();
        let mut kept = Vec::new();
        // A plain number meant every precision: keep it for bf16 when the runs fit another one.
        let configured: Vec<(Precision, crate::config::Param)> = match &acc.efficiency.training_mfu {
            Some(crate::config::TrainingMfu::PerPrecision(per)) => per.clone(),
            Some(crate::config::TrainingMfu::All(p)) if acc.tflops(Precision::Bf16).is_some() => vec![(Precision::Bf16, *p)],
            _ => Vec::new(),
        };
        for (p, param) in &configured {
            if !fits.iter().any(|f| f.precision == p.name()) {
                let i = cfg.params.info(*param);
                parts.push(format!(
                    "{} = {{ low = {}, base = {}, high = {} }}",
                    p.name(),
                    sig3(i.low),
                    sig3(i.base),
                    sig3(i.high)
                ));
                kept.push(p.name());
            }
        }
        s.push_str(&format!("# [accelerator.efficiency] of {}\n", acc.id));
        s.push_str(&format!("training_mfu = {{ {} }}\n", parts.join(", ")));
        s.push_str(&format!(
            "# source = \"fit on {n} public run{} (accel-cost calibrate --fit), {date}: {}\"\n",
            if n == 1 { "" } else { "s" },
            fits.iter()
                .map(|f| format!("{} {}", f.precision, f.runs.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        if !kept.is_empty() {
            s.push_str(&format!("# kept from the config (no public run): {}\n", kept.join(", ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn run(acc: &str, fam: Family, implied: f64) -> RunCheck {
        RunCheck {
            id: format!("{acc}-{implied}"),
            accelerator: acc.into(),
            precision: "bf16",
            hours_basis: HoursBasis::AllIn,
            reported_chip_hours: 1.0,
            flops: 1.0,
            attention_flops: None,
            goodput: 0.9,
            predicted_chip_hours: None,
            error_pct: None,
            implied_mfu: implied,
            configured_mfu: None,
            rule_of_thumb_chip_hours: 1.0,
            rule_of_thumb_error_pct: 0.0,
            loo_mfu: None,
            loo_error_pct: None,
            loo_from: None,
            moe: false,
            moe_efficiency: 1.0,
            active: 8e9,
            family: fam,
            precision_enum: Precision::Bf16,
        }
    }

    #[test]
    fn leave_one_out_uses_the_other_runs_then_the_family() {
        let mut runs = vec![
            run("a", Family::Gpu, 0.2),
            run("a", Family::Gpu, 0.8),
            run("a", Family::Gpu, 0.4),
            run("b", Family::Gpu, 0.5),
            run("c", Family::Tpu, 0.5),
        ];
        leave_one_out(&mut runs);
        // Run 0: fit on 0.8 and 0.4 = sqrt(0.32) = 0.565685; error = 0.2 / 0.565685 - 1 = -64.6447%.
        assert_relative_eq!(runs[0].loo_mfu.unwrap_or(0.0), 0.565_685_4, max_relative = 1e-6);
        assert_relative_eq!(runs[0].loo_error_pct.unwrap_or(0.0), -64.644_66, max_relative = 1e-6);
        assert_eq!(runs[0].loo_from, Some("chip"));
        // Run 3 (chip b alone): the family's other runs 0.2, 0.8, 0.4 -> cbrt(0.064) = 0.4;
        // error = 0.5 / 0.4 - 1 = +25%.
        assert_relative_eq!(runs[3].loo_error_pct.unwrap_or(0.0), 25.0, max_relative = 1e-9);
        assert_eq!(runs[3].loo_from, Some("family"));
        // Run 4: no other TPU run: no leave-one-out figure.
        assert_eq!(runs[4].loo_error_pct, None);
        let fits = fit_mfu(&runs);
        // Chip a: cbrt(0.2 * 0.8 * 0.4) = 0.4, range 0.2-0.8.
        assert_relative_eq!(fits[0].mfu, 0.4, max_relative = 1e-9);
        assert_eq!((fits[0].low, fits[0].high), (0.2, 0.8));
        assert_eq!(fits.len(), 3);
    }

    #[test]
    fn toml_lines_keep_the_precisions_the_runs_do_not_cover() {
        let cfg = crate::init::starter_config();
        let fit = MfuFit {
            accelerator: "h100-sxm".into(),
            precision: "fp8",
            mfu: 0.4,
            low: 0.35,
            high: 0.45,
            runs: vec!["a".into(), "b".into()],
        };
        let s = toml_lines(&cfg, &[fit], "2026-11-30");
        // The starter's h100 bf16 range (0.195 / 0.306 / 0.416) is kept beside the fitted fp8.
        assert!(
            s.contains(
                "training_mfu = { fp8 = { low = 0.350, base = 0.400, high = 0.450 }, bf16 = { low = 0.195, base = 0.306, high = 0.416 } }"
            ),
            "{s}"
        );
        assert!(
            s.contains("fit on 2 public runs (accel-cost calibrate --fit), 2026-11-30: fp8 a, b"),
            "{s}"
        );
        assert!(s.contains("# kept from the config (no public run): bf16"), "{s}");
        assert!(!s.contains("trn2"), "{s}");
    }
}

//! `calibrate`: predicted vs reported chip-hours of public training runs.

use crate::config::{Calibration, Config};

use super::trace::{Trace, d, get};
use super::training::peak_and_mfu;
use super::{Skip, Skipped};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CalibrationResult {
    pub id: String,
    pub accelerator: String,
    pub reported_chip_hours: f64,
    pub predicted_chip_hours: f64,
    /// (predicted - reported) / reported, in percent.
    pub error_pct: f64,
    /// The MFU at which the formula reproduces the reported chip-hours.
    pub implied_mfu: f64,
    /// The accelerator's configured training MFU (base value) used for the prediction.
    pub configured_mfu: f64,
}

/// A `[[measured]]` benchmark against the step model at the benchmark's own conditions.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BenchmarkCheck {
    pub workload: String,
    pub accelerator: String,
    /// Short name of the benchmark's source (e.g. "MLPerf Inference v5.1 closed").
    pub source: String,
    pub measured_output_tokens_per_s_per_chip: f64,
    pub predicted_output_tokens_per_s_per_chip: f64,
    /// (predicted / measured - 1) * 100.
    pub error_pct: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_tokens_per_s_per_user: Option<f64>,
    pub predicted_tokens_per_s_per_user: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_error_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CalibrationReport {
    pub runs: Vec<CalibrationResult>,
    pub median_abs_error_pct: Option<f64>,
    pub benchmarks: Vec<BenchmarkCheck>,
    /// Median |error_pct| of output tokens/s per chip over `benchmarks`.
    pub benchmarks_median_abs_error_pct: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// A short label of a source: its first words, up to a path, a parenthesis or a semicolon.
pub fn source_label(source: &str) -> String {
    let words: Vec<&str> = source
        .split_whitespace()
        .take_while(|w| !w.contains(['/', '(', ';', ',']))
        .take(4)
        .collect();
    if words.is_empty() {
        source
            .split_whitespace()
            .next()
            .unwrap_or("(no source)")
            .trim_end_matches([';', ','])
            .to_string()
    } else {
        words.join(" ")
    }
}

/// Every `[[measured]]` benchmark against the step model at its conditions (the workload's batch
/// and replica), with the accelerator's configured efficiencies in `v`.
pub fn benchmarks(cfg: &Config, v: &[f64]) -> (Vec<BenchmarkCheck>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for m in &cfg.measured {
        let (Some(w), Some(acc)) = (cfg.inference(&m.workload), cfg.accelerator(&m.accelerator)) else {
            continue;
        };
        let f = super::inference::unpriced_inputs(cfg, w, acc, v, &mut ()).and_then(|i| super::inference::figures(&i, &mut ()));
        match f {
            Ok(f) => {
                let measured = v[m.output_tokens_per_s_per_chip.0];
                let user = m.tokens_per_s_per_user.map(|p| v[p.0]);
                out.push(BenchmarkCheck {
                    workload: m.workload.clone(),
                    accelerator: m.accelerator.clone(),
                    source: source_label(m.prov.source.as_deref().unwrap_or("")),
                    measured_output_tokens_per_s_per_chip: measured,
                    predicted_output_tokens_per_s_per_chip: f.output_tokens_per_s_per_chip,
                    error_pct: super::fit::error_pct(f.output_tokens_per_s_per_chip, measured),
                    measured_tokens_per_s_per_user: user,
                    predicted_tokens_per_s_per_user: f.tokens_per_s_per_user,
                    user_error_pct: user.map(|u| super::fit::error_pct(f.tokens_per_s_per_user, u)),
                });
            }
            Err(s) => skipped.push(Skipped {
                accelerator: m.accelerator.clone(),
                why: s.to_string(),
                reason: format!("benchmark `{}`: {} {s}", m.workload, m.accelerator),
            }),
        }
    }
    (out, skipped)
}

/// One run: the training formula's chip-hours on the run's accelerator against the reported ones.
pub fn run(cfg: &Config, c: &Calibration, v: &[f64], t: &mut impl Trace) -> Result<CalibrationResult, Skip> {
    let acc = cfg.accelerator(&c.accelerator).ok_or(Skip::NoTrainingMfu)?;
    let (peak, mfu) = peak_and_mfu(acc, c.precision, v, t)?;
    let flops = match c.flops {
        Some(f) => get(v, f, "FLOPs", t),
        None => {
            let n = get(v, c.active_params_b, "active parameters", t) * 1e9;
            let tokens = get(v, c.tokens_t, "tokens", t) * 1e12;
            d(t, "C (training FLOPs)", "6 * N * D", 6.0 * n * tokens, "FLOP")
        }
    };
    let predicted = d(
        t,
        "predicted chip-hours",
        "C / (dense peak * training_mfu) / 3600",
        flops / (peak * mfu) / 3600.0,
        "chip-h",
    );
    let reported = get(v, c.reported_chip_hours, "reported chip-hours", t);
    let implied = d(
        t,
        "implied MFU",
        "C / (reported chip-hours * 3600) / dense peak",
        flops / (reported * 3600.0) / peak,
        "",
    );
    Ok(CalibrationResult {
        id: c.id.clone(),
        accelerator: c.accelerator.clone(),
        reported_chip_hours: reported,
        predicted_chip_hours: predicted,
        error_pct: (predicted - reported) / reported * 100.0,
        implied_mfu: implied,
        configured_mfu: mfu,
    })
}

/// Every `[[calibration]]` run, and the median absolute error.
pub fn calibrate(cfg: &Config, v: &[f64]) -> CalibrationReport {
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for c in &cfg.calibration {
        match run(cfg, c, v, &mut ()) {
            Ok(r) => runs.push(r),
            Err(s) => {
                let mut k = Skipped::new(&c.accelerator, s);
                k.reason = format!("run `{}`: {}", c.id, k.reason);
                skipped.push(k);
            }
        }
    }
    let mut errs: Vec<f64> = runs.iter().map(|r| r.error_pct.abs()).collect();
    let (benchmarks, bench_skipped) = benchmarks(cfg, v);
    skipped.extend(bench_skipped);
    let bench_errs: Vec<f64> = benchmarks.iter().map(|b| b.error_pct).collect();
    CalibrationReport {
        benchmarks_median_abs_error_pct: super::fit::median_abs(&bench_errs),
        benchmarks,
        median_abs_error_pct: median(&mut errs),
        runs,
        skipped,
    }
}

/// Median of finite values (mean of the middle two for an even count).
pub fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 { xs[m] } else { (xs[m - 1] + xs[m]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}

//! `calibrate`: predicted vs reported chip-hours of public training runs.

use super::trace::get;
use crate::config::Config;

use super::Skipped;

/// One public training run checked (model, rule of thumb, leave-one-out).
pub use super::training_calibration::RunCheck as CalibrationResult;
use super::training_calibration::{MfuFit, MoeFit, calibrate_training};

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
    /// Median |error| of today's model (configured MFU, goodput, attention FLOPs), in percent.
    pub median_abs_error_pct: Option<f64>,
    /// Median |error| of the rule of thumb (40% MFU of bf16 peak, 6ND, no goodput).
    pub rule_of_thumb_median_abs_error_pct: Option<f64>,
    /// Median |error| of the leave-one-out fit (each run predicted from the others).
    pub loo_median_abs_error_pct: Option<f64>,
    /// Median |error| of today's model and of the leave-one-out fit over the dense runs and over
    /// the mixture-of-experts runs apart, in percent: [model dense, model MoE, leave-one-out dense,
    /// leave-one-out MoE].
    pub dense_moe_median_abs_error_pct: [Option<f64>; 4],
    /// The MoE training efficiency fitted on the MoE runs, per precision class (`calibrate --fit`).
    pub moe_fit: Vec<MoeFit>,
    /// Steady-state MFU fitted on all runs, per accelerator and precision (`calibrate --fit`;
    /// JSON `training_fit`).
    #[serde(rename = "training_fit")]
    pub fit: Vec<MfuFit>,
    /// Accelerators with a training MFU and no public run to check it.
    pub accelerators_without_runs: Vec<String>,
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
                let measured = get(v, m.output_tokens_per_s_per_chip, "measured output tokens/s per chip", &mut ());
                let user = m.tokens_per_s_per_user.map(|p| get(v, p, "measured tokens/s per user", &mut ()));
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

/// Every `[[calibration]]` run, and the median absolute error.
pub fn calibrate(cfg: &Config, v: &[f64]) -> CalibrationReport {
    let tc = calibrate_training(cfg, v);
    let med = |f: fn(&CalibrationResult) -> Option<f64>| super::fit::median_abs(&tc.runs.iter().filter_map(f).collect::<Vec<_>>());
    let (model_med, rot_med, loo_med) = (
        med(|r| r.error_pct),
        med(|r| Some(r.rule_of_thumb_error_pct)),
        med(|r| r.loo_error_pct),
    );
    let split = |moe: bool, f: fn(&CalibrationResult) -> Option<f64>| {
        super::fit::median_abs(&tc.runs.iter().filter(|r| r.moe == moe).filter_map(f).collect::<Vec<_>>())
    };
    let dense_moe = [
        split(false, |r| r.error_pct),
        split(true, |r| r.error_pct),
        split(false, |r| r.loo_error_pct),
        split(true, |r| r.loo_error_pct),
    ];
    let mut skipped = tc.skipped;
    let (benchmarks, bench_skipped) = benchmarks(cfg, v);
    skipped.extend(bench_skipped);
    let bench_errs: Vec<f64> = benchmarks.iter().map(|b| b.error_pct).collect();
    CalibrationReport {
        benchmarks_median_abs_error_pct: super::fit::median_abs(&bench_errs),
        benchmarks,
        median_abs_error_pct: model_med,
        rule_of_thumb_median_abs_error_pct: rot_med,
        loo_median_abs_error_pct: loo_med,
        dense_moe_median_abs_error_pct: dense_moe,
        moe_fit: tc.moe,
        fit: tc.fits,
        accelerators_without_runs: tc.without_runs,
        runs: tc.runs,
        skipped,
    }
}

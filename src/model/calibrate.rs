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

/// A `[[measured]]` throughput against the roofline's prediction for the same pair.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MeasuredCheck {
    pub workload: String,
    pub accelerator: String,
    pub measured_output_tokens_per_s_per_chip: f64,
    pub roofline_output_tokens_per_s_per_chip: f64,
    /// roofline / measured: below 1 means the roofline (used for every chip without a
    /// benchmark) is conservative against this benchmark.
    pub roofline_to_measured: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CalibrationReport {
    pub runs: Vec<CalibrationResult>,
    pub median_abs_error_pct: Option<f64>,
    pub measured: Vec<MeasuredCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
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
    let measured = cfg
        .measured
        .iter()
        .filter_map(|m| {
            let w = cfg.inference(&m.workload)?;
            let acc = cfg.accelerator(&m.accelerator)?;
            let i = super::inference::inputs(cfg, w, acc, v, false, &mut ()).ok()?;
            let roofline = super::inference::figures(&i, &mut ()).output_tokens_per_s_per_chip;
            let measured = v[m.output_tokens_per_s_per_chip.0];
            Some(MeasuredCheck {
                workload: m.workload.clone(),
                accelerator: m.accelerator.clone(),
                measured_output_tokens_per_s_per_chip: measured,
                roofline_output_tokens_per_s_per_chip: roofline,
                roofline_to_measured: roofline / measured,
            })
        })
        .collect();
    CalibrationReport {
        measured,
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

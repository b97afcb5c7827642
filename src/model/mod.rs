//! The cost model: pure functions over a validated [`Config`] and a vector of values (one per
//! config number, see [`crate::config::ParamTable`]). No I/O, no plotting.
//!
//! Passing values separately from the config is what lets one set of formulas serve point
//! estimates (base values), Monte Carlo (sampled values), tornado swings and break-even grids.

pub(crate) mod calibrate;
pub mod compare;
pub(crate) mod curves;
pub(crate) mod fit;
pub(crate) mod fleet;
pub(crate) mod inference;
pub(crate) mod price;
pub(crate) mod sensitivity;
pub(crate) mod serve_fit;
pub(crate) mod trace;
pub mod training;
pub(crate) mod training_calibration;
pub mod uncertainty;

use std::fmt;

use crate::config::{Basis, Market, Precision};

/// Why an accelerator is not costed for a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// No offer of the basis's term in its market (or no owned chip price), and no fallback.
    NoPrice(Basis, Market),
    NoPrecision(Precision),
    NoTrainingMfu,
    /// A given `chips_per_replica` cannot hold the weights.
    DoesNotFit(u64),
    /// No replica up to `report.max_chips_per_replica` chips holds the weights and a sequence.
    NoReplica(u64),
    /// The chip gives training MFU per precision, but not this one.
    NoTrainingMfuAt(Precision),
    /// A given `chips_per_replica` (first) beyond the chip's scale-up domain (second).
    BeyondScaleUp(u64, u64),
    /// A given `batch` on a `chips`-chip replica whose KV cache holds less than one sequence.
    BatchAboveKv {
        batch: u64,
        holds: u64,
        chips: u64,
    },
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::NoPrice(Basis::Owned, _) => {
                write!(f, "has no [accelerator.owned] chip_usd, so no owned price")
            }
            Skip::NoPrice(b, m) => write!(f, "has no {} {} offer", m.words(), b.name()),
            Skip::NoPrecision(p) => write!(f, "has no dense_tflops.{}", p.name()),
            Skip::NoTrainingMfu => {
                write!(f, "has no efficiency.training_mfu (inference-only chip)")
            }
            Skip::DoesNotFit(n) => write!(f, "cannot hold the weights on chips_per_replica = {n} chip(s)"),
            Skip::NoReplica(max) => write!(
                f,
                "has no replica of at most {max} chips (report.max_chips_per_replica or the chip's scale_up_chips; a power of two whose tensor-parallel ranks divide the heads) that holds the weights and a sequence's KV cache"
            ),
            Skip::BeyondScaleUp(n, domain) => write!(
                f,
                "cannot run chips_per_replica = {n}: one tensor/expert-parallel group spans at most its scale-up domain of {domain} chips (scale_up_chips)"
            ),
            Skip::BatchAboveKv { batch, holds, chips } => write!(
                f,
                "cannot run the given batch of {batch} sequences: the KV cache of {chips} chip(s) holds {holds} at the mean context (raise chips_per_replica)"
            ),
            Skip::NoTrainingMfuAt(p) => write!(f, "has no efficiency.training_mfu.{}", p.name()),
        }
    }
}

/// An accelerator left out of a table, with the reason.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Skipped {
    pub accelerator: String,
    /// Why, without the accelerator's id ("has no dense_tflops.fp8"): what charts group by.
    #[serde(skip)]
    pub why: String,
    /// The whole sentence messages and JSON show: "<id> <why>".
    pub reason: String,
}

impl Skipped {
    /// `accelerator` left out because of `why`.
    pub fn new(accelerator: &str, why: impl fmt::Display) -> Skipped {
        let why = why.to_string();
        Skipped {
            accelerator: accelerator.to_string(),
            reason: format!("{accelerator} {why}"),
            why,
        }
    }
}

/// `n` points spaced evenly on a log scale from `lo` to `hi` (both included).
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 || lo <= 0.0 || hi <= lo {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n).map(|k| (a + (b - a) * k as f64 / (n - 1) as f64).exp()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn log_space_hits_both_ends_and_decades() {
        let xs = log_space(1.0, 1000.0, 4);
        assert_eq!(xs.len(), 4);
        // 1, 10, 100, 1000
        assert_relative_eq!(xs[1], 10.0, max_relative = 1e-12);
        assert_relative_eq!(xs[3], 1000.0, max_relative = 1e-12);
    }
}
#[cfg(test)]
mod props;

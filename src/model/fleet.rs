//! What an owned fleet costs and buys: the owned TCO breakdown per chip-hour, and what
//! `report.fleet_budget_usd` of capex buys per accelerator (chips, effective PFLOP/s, output
//! tokens per day). Pure functions over a validated config and a value vector.

use crate::config::{Accelerator, Config, Family, Inference, Precision};

use super::Skipped;
use super::inference;
use super::price::{OwnedBreakdown, owned};

fn skip(acc: &Accelerator, s: impl std::fmt::Display) -> Skipped {
    Skipped::new(&acc.id, s)
}

/// One bar of the owned TCO chart.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tco {
    pub accelerator: String,
    pub family: Family,
    pub breakdown: OwnedBreakdown,
    pub usd_per_chip_hour: f64,
}

/// Owned TCO breakdown per accelerator.
pub fn tco(cfg: &Config, accs: &[&Accelerator], v: &[f64]) -> (Vec<Tco>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for acc in accs {
        match owned(&cfg.economics, acc, v, &mut ()) {
            Ok(b) => out.push(Tco {
                accelerator: acc.id.clone(),
                family: acc.family,
                breakdown: b,
                usd_per_chip_hour: b.total(),
            }),
            Err(s) => skipped.push(skip(acc, s)),
        }
    }
    (out, skipped)
}

/// What the fleet budget buys on one accelerator.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Fleet {
    pub accelerator: String,
    pub name: String,
    pub family: Family,
    /// Capex per chip: chip_usd x (1 + system_overhead).
    pub capex_per_chip_usd: f64,
    pub chips: f64,
    /// chips x dense BF16 TFLOPS x training MFU / 1000 (absent without BF16 or training MFU).
    pub effective_pflops: Option<f64>,
    /// chips x output tokens/s per chip x 86400 x utilization, for the inference workload.
    pub output_tokens_per_day: Option<f64>,
}

pub fn fleet(cfg: &Config, w: Option<&Inference>, accs: &[&Accelerator], v: &[f64]) -> (Vec<Fleet>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let e = &cfg.economics;
    for acc in accs {
        let Some(o) = &acc.owned else {
            skipped.push(skip(acc, "has no [accelerator.owned] chip_usd"));
            continue;
        };
        let capex = v[o.chip_usd.0] * (1.0 + v[o.system_overhead.unwrap_or(e.system_overhead).0]);
        let chips = cfg.report.fleet_budget_usd / capex;
        let bf16_mfu = acc.efficiency.training_mfu.as_ref().and_then(|m| m.get(Precision::Bf16));
        let effective_pflops = match (acc.tflops(Precision::Bf16), bf16_mfu) {
            (Some(tf), Some(m)) => Some(chips * v[tf.0] * v[m.0] / 1000.0),
            _ => None,
        };
        let output_tokens_per_day = w.and_then(|w| {
            inference::inputs(cfg, w, acc, v, &mut ())
                .ok()
                .and_then(|i| inference::figures(&i, &mut ()).ok().map(|f| (i, f)))
                .map(|(i, f)| chips * f.output_tokens_per_s_per_chip * 86_400.0 * i.utilization)
        });
        out.push(Fleet {
            accelerator: acc.id.clone(),
            name: acc.name.clone(),
            family: acc.family,
            capex_per_chip_usd: capex,
            chips,
            effective_pflops,
            output_tokens_per_day,
        });
    }
    (out, skipped)
}

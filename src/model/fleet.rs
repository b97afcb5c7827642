//! What an owned fleet costs and buys: the owned TCO breakdown per chip-hour, and what
//! `report.fleet_budget_usd` of capex buys per accelerator (chips, effective PFLOP/s, output
//! tokens per day). Pure functions over a validated config and a value vector.

use super::trace::{Trace, get};
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
    /// Facility power per chip, W: power_w x system_power_factor x pue.
    pub facility_w_per_chip: f64,
    /// True when `chips` also pays for the datacenter (`economics.datacenter_capex_usd_per_mw`
    /// is set): chips = budget / (capex per chip + IT MW per chip x USD per MW), with IT power
    /// per chip = power_w x system_power_factor (the critical load construction costs are quoted
    /// per; PUE's cooling and losses are part of the building).
    pub with_datacenter: bool,
    /// Facility power the budget's chips draw, MW.
    pub facility_mw: f64,
    /// Chips that `report.fleet_power_mw` of facility power holds.
    pub chips_in_power: f64,
    /// Output tokens per day of those chips (as `output_tokens_per_day`).
    pub output_tokens_per_day_in_power: Option<f64>,
    /// Why the chip serves no tokens of the inference workload (no such precision, no replica).
    #[serde(skip)]
    pub tokens_skipped: Option<String>,
}

pub fn fleet(cfg: &Config, w: Option<&Inference>, accs: &[&Accelerator], v: &[f64], t: &mut impl Trace) -> (Vec<Fleet>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let e = &cfg.economics;
    for acc in accs {
        let Some(o) = &acc.owned else {
            skipped.push(skip(acc, "has no [accelerator.owned] chip_usd"));
            continue;
        };
        let chip_usd = get(v, o.chip_usd, "chip price", t);
        let overhead = get(v, o.system_overhead.unwrap_or(e.system_overhead), "system overhead", t);
        let capex = chip_usd * (1.0 + overhead);
        let power_w = get(v, acc.power_w, "chip power", t);
        let system_power = get(v, e.system_power_factor, "system power factor", t);
        let pue = get(v, e.pue, "PUE", t);
        let facility_w = power_w * system_power * pue;
        // Construction cost guides quote USD per MW of critical (IT) load.
        let it_w = power_w * system_power;
        let dc_per_chip = e
            .datacenter_capex_usd_per_mw
            .map(|d| get(v, d, "datacenter capex per MW of IT load", t) * it_w / 1e6);
        let chips = cfg.report.fleet_budget_usd / (capex + dc_per_chip.unwrap_or(0.0));
        let chips_in_power = if facility_w > 0.0 {
            cfg.report.fleet_power_mw * 1e6 / facility_w
        } else {
            0.0
        };
        let bf16_mfu = acc.efficiency.training_mfu.as_ref().and_then(|m| m.get(Precision::Bf16));
        let effective_pflops = match (acc.tflops(Precision::Bf16), bf16_mfu) {
            (Some(tf), Some(m)) => Some(chips * get(v, tf, "dense peak (bf16)", t) * get(v, m, "training MFU (bf16)", t) / 1000.0),
            _ => None,
        };
        // Throughput does not depend on the price: a chip with no offer on the basis still
        // serves tokens. The replica choice (cheapest per output token) is the same at any
        // positive price, so a unit price stands in.
        let served = w.map(|w| {
            inference::unpriced_inputs(cfg, w, acc, v, &mut ())
                .map(|i| inference::InferenceInputs {
                    usd_per_chip_hour: 1.0,
                    ..i
                })
                .and_then(|i| inference::figures(&i, &mut ()).map(|f| (i, f)))
                .map(|(i, f)| f.output_tokens_per_s_per_chip * 86_400.0 * i.utilization)
        });
        let tokens_skipped = match &served {
            Some(Err(s)) => Some(s.to_string()),
            _ => None,
        };
        let output_tokens_per_day = served.and_then(Result::ok);
        let output_tokens_per_day_in_power = output_tokens_per_day.map(|t| t * chips_in_power);
        let output_tokens_per_day = output_tokens_per_day.map(|t| t * chips);
        out.push(Fleet {
            accelerator: acc.id.clone(),
            name: acc.name.clone(),
            family: acc.family,
            capex_per_chip_usd: capex,
            chips,
            effective_pflops,
            output_tokens_per_day,
            facility_w_per_chip: facility_w,
            with_datacenter: dc_per_chip.is_some(),
            facility_mw: chips * facility_w / 1e6,
            chips_in_power,
            output_tokens_per_day_in_power,
            tokens_skipped,
        });
    }
    (out, skipped)
}

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

/// How big a fleet `accel-cost fleet` sizes: a chip count, a capex budget (chips, servers and,
/// when `economics.datacenter_capex_usd_per_mw` is set, buildings), or facility power.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FleetSize {
    Chips(f64),
    BudgetUsd(f64),
    PowerMw(f64),
}

/// What one fleet of one accelerator costs and does (docs/model.md "Fleet"); every figure for
/// the whole fleet.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FleetPlan {
    pub chips: f64,
    /// chips x chip_usd.
    pub capex_chips_usd: f64,
    /// chips x chip_usd x system_overhead: servers, network, storage around the chips.
    pub capex_servers_usd: f64,
    /// chips x power_w x system_power_factor / 1e6 x datacenter_capex_usd_per_mw (0 when unset).
    pub capex_buildings_usd: f64,
    pub capex_usd: f64,
    /// chips x power_w x system_power_factor x PUE / 1e6.
    pub facility_mw: f64,
    /// Owned: chips x owned USD per chip-hour x 8760 x availability (capital recovery,
    /// maintenance, colocation hosting, energy; hosting stands in for the buildings).
    pub usd_per_year_owned: f64,
    /// Rented on each priced basis: chips x the basis's USD per chip-hour x 8760, by basis
    /// name, only bases with an offer of their own term and market.
    pub usd_per_year_rented: Vec<(String, f64)>,
    /// chips x dense BF16 TFLOPS x training MFU / 1000 (absent without both).
    pub training_pflops: Option<f64>,
    /// chips x output tokens/s per chip x 86400 x utilization of the inference workload.
    pub output_tokens_per_day: Option<f64>,
    /// Whether those tokens are served at the workload's per-user target (false: the chip's
    /// fastest replica is slower, so the tokens are of a slower service).
    pub meets_target: Option<bool>,
}

/// A fleet of `acc` of `size` at values `v` (docs/model.md "Fleet"). Errors: no chip price
/// (`[accelerator.owned] chip_usd`) for a budget or the owned cost; a size that is not positive.
pub fn plan(
    cfg: &Config,
    acc: &Accelerator,
    size: FleetSize,
    w: Option<&Inference>,
    v: &[f64],
    t: &mut impl Trace,
) -> Result<FleetPlan, String> {
    use super::trace::d;
    let e = &cfg.economics;
    let o = acc.owned.as_ref().ok_or_else(|| {
        format!(
            "`{}` has no [accelerator.owned] chip_usd: its capex and owned cost are unknown",
            acc.id
        )
    })?;
    let chip_usd = get(v, o.chip_usd, "chip price", t);
    let overhead = get(v, o.system_overhead.unwrap_or(e.system_overhead), "system overhead", t);
    let power_w = get(v, acc.power_w, "chip power", t);
    let system_power = get(v, e.system_power_factor, "system power factor", t);
    let pue = get(v, e.pue, "PUE", t);
    let it_w = d(t, "IT power per chip", "power_w * system_power_factor", power_w * system_power, "W");
    let facility_w = d(t, "facility power per chip", "IT power * PUE", it_w * pue, "W");
    let dc_per_mw = e
        .datacenter_capex_usd_per_mw
        .map_or(0.0, |d| get(v, d, "datacenter capex per MW of IT load", t));
    let capex_per_chip = chip_usd * (1.0 + overhead) + it_w / 1e6 * dc_per_mw;
    let chips = match size {
        FleetSize::Chips(n) => n,
        FleetSize::BudgetUsd(x) => d(
            t,
            "chips",
            "budget / (chip_usd * (1 + system_overhead) + IT MW per chip * datacenter capex per MW)",
            x / capex_per_chip,
            "chips",
        ),
        FleetSize::PowerMw(p) => d(
            t,
            "chips",
            "power MW * 1e6 / facility power per chip",
            p * 1e6 / facility_w,
            "chips",
        ),
    };
    if !(chips.is_finite() && chips > 0.0) {
        return Err(format!(
            "the fleet of `{}` has {} chips: give a positive --chips, --budget-usd or --power-mw",
            acc.id,
            crate::fmt::num(chips, 3)
        ));
    }
    // A budget or power envelope that buys less than one chip is a slip (a budget in millions?).
    if chips < 1.0 && !matches!(size, FleetSize::Chips(_)) {
        return Err(format!(
            "the fleet of `{}` would have {} chips: the budget or power buys less than one (one chip costs {} with its server share and buildings, and draws {} W at the facility); give a larger --budget-usd or --power-mw",
            acc.id,
            crate::fmt::num(chips, 3),
            crate::fmt::usd(capex_per_chip),
            crate::fmt::num(facility_w, 4)
        ));
    }
    let owned_hour = owned(e, acc, v, t).map_err(|s| format!("`{}` {s}", acc.id))?.total();
    let avail = get(v, e.availability, "availability", t);
    let mut public = e.clone();
    public.fallback = false;
    let usd_per_year_rented = [
        crate::config::Basis::OnDemand,
        crate::config::Basis::CapacityBlock,
        crate::config::Basis::Committed1y,
        crate::config::Basis::Committed3y,
    ]
    .iter()
    .filter_map(|b| {
        let p = super::price::usd_per_chip_hour(&public, acc, *b, v, t).ok()?;
        Some((b.name().to_string(), chips * p * 8760.0))
    })
    .collect();
    let bf16_mfu = acc.efficiency.training_mfu.as_ref().and_then(|m| m.get(Precision::Bf16));
    let training_pflops = match (acc.tflops(Precision::Bf16), bf16_mfu) {
        (Some(tf), Some(m)) => Some(chips * get(v, tf, "dense peak (bf16)", t) * get(v, m, "training MFU (bf16)", t) / 1000.0),
        _ => None,
    };
    // As the fleet chart: throughput does not depend on the price (a unit price stands in).
    let served = w.and_then(|w| {
        let i = inference::unpriced_inputs(cfg, w, acc, v, t).ok()?;
        let i = inference::InferenceInputs {
            usd_per_chip_hour: 1.0,
            ..i
        };
        let f = inference::figures(&i, t).ok()?;
        Some((chips * f.output_tokens_per_s_per_chip * 86_400.0 * i.utilization, f.meets_target))
    });
    let (output_tokens_per_day, meets_target) = (served.map(|s| s.0), served.map(|s| s.1));
    Ok(FleetPlan {
        chips,
        capex_chips_usd: chips * chip_usd,
        capex_servers_usd: chips * chip_usd * overhead,
        capex_buildings_usd: chips * it_w / 1e6 * dc_per_mw,
        capex_usd: chips * capex_per_chip,
        facility_mw: chips * facility_w / 1e6,
        usd_per_year_owned: chips * owned_hour * 8760.0 * avail,
        usd_per_year_rented,
        training_pflops,
        output_tokens_per_day,
        meets_target,
    })
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn a_million_tpu7x_draw_about_1_45_gw() {
        let cfg = crate::config::load(&[std::path::PathBuf::from("configs")], &[]).unwrap_or_else(|d| panic!("{d:?}"));
        let acc = cfg.accelerator("tpu7x").unwrap_or_else(|| panic!("tpu7x"));
        let v = cfg.params.base_values();
        let p = plan(&cfg, acc, FleetSize::Chips(1e6), cfg.inference("chat-70b"), &v, &mut ()).unwrap_or_else(|e| panic!("{e}"));
        // 1e6 x 800 W x 1.39 x 1.3 = 1445.6 MW
        assert!((p.facility_mw - 1445.6).abs() < 0.1, "{}", p.facility_mw);
        // The capex parts add up, and the buildings cost 1e6 x 800 x 1.39 / 1e6 MW x $11.7M.
        assert!((p.capex_chips_usd + p.capex_servers_usd + p.capex_buildings_usd - p.capex_usd).abs() < 1.0);
        assert!((p.capex_buildings_usd - 1112.0 * 11.7e6).abs() < 1e3, "{}", p.capex_buildings_usd);
        // A budget of exactly that capex buys the same million chips.
        let b = plan(&cfg, acc, FleetSize::BudgetUsd(p.capex_usd), None, &v, &mut ()).unwrap_or_else(|e| panic!("{e}"));
        assert!((b.chips - 1e6).abs() < 1e-3);
        assert!(p.output_tokens_per_day.is_some_and(|x| x > 0.0));
    }
}

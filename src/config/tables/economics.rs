//! `[economics]`: the market that prices every chip, and what owning a chip costs beyond its
//! price (power, hosting, capital, lifetime). Declarations, the validated struct and its reader.

use std::sync::Arc;

use super::offer::{ProviderClass, Term};
use crate::config::param::{Param, ParamInfo, Provenance};
use crate::config::reader::{Ctx, Reader, show, table_of};
use crate::config::schema::{Check, Key, Kind, TableDecl, num};
use crate::config::tree::{Node, Origin, Table};

/// `[economics]` (built-in defaults: docs/config-keys.md).
pub static ECONOMICS: TableDecl = TableDecl {
    name: "economics",
    list: false,
    doc: "How a chip-hour is priced (`basis`) and what owning a fleet costs. Keys no file gives take their built-in default.",
    keys: &[
        Key::new(
            "basis",
            Kind::Choice(&Basis::ACCEPTED),
            "",
            "the market every chip is priced from; default on_demand (`committed` = committed_1y)",
        ),
        Key::new(
            "provider_class",
            Kind::Choice(&Market::NAMES),
            "",
            "which public offers a cloud basis reads; default hyperscaler",
        ),
        Key::new(
            "fallback",
            Kind::Choice(&["none", "any"]),
            "",
            "any: a chip with no offer of the basis is priced from another market, marked; default none",
        ),
        num("electricity_usd_per_kwh", Check::NonNegative, "USD/kWh", "electricity price").default(0.08),
        num("pue", Check::AtLeastOne, "ratio", "facility power / IT power").default(1.2),
        num(
            "hosting_usd_per_kw_month",
            Check::NonNegative,
            "USD/kW-month",
            "colocation price per kW of IT load",
        )
        .default(150.0),
        num("lifetime_years", Check::Positive, "years", "depreciation life of owned hardware").default(5.0),
        num("cost_of_capital", Check::Share, "per year", "for the capital recovery factor").default(0.08),
        num("maintenance_per_year", Check::Share, "share of capex per year", "maintenance").default(0.03),
        num(
            "availability",
            Check::Fraction,
            "share of hours",
            "share of hours a chip can be used",
        )
        .default(0.97),
        num(
            "load_factor",
            Check::Fraction,
            "share of power_w",
            "average draw as a share of power_w",
        )
        .default(0.8),
        num(
            "system_overhead",
            Check::NonNegative,
            "share of chip_usd",
            "server, network, storage per chip",
        )
        .default(0.5),
        num(
            "system_power_factor",
            Check::AtLeastOne,
            "ratio",
            "chip power -> the chip's share of server power",
        )
        .default(1.4),
        num(
            "datacenter_capex_usd_per_mw",
            Check::Positive,
            "USD/MW",
            "building a datacenter per MW of critical IT load (servers' draw before PUE, as construction cost guides quote it; fleet chart); no default: without it the fleet chart counts servers only",
        ),
        num(
            "usable_memory_fraction",
            Check::Fraction,
            "share of memory",
            "memory usable for weights and KV cache",
        )
        .default(0.9),
        num(
            "training_bytes_per_param",
            Check::Positive,
            "bytes/param",
            "training memory per parameter (weights, grads, optimizer)",
        )
        .default(16.0),
        num(
            "training_goodput",
            Check::Fraction,
            "share of paid chip-hours",
            "share of paid chip-hours that advance training (failures, restarts, checkpoints); default range 0.66 / 0.90 / 0.97",
        )
        .default(0.90),
        num(
            "training_moe_efficiency",
            Check::Fraction,
            "share of dense MFU",
            "the share of a chip's dense training MFU a mixture-of-experts run in 16-bit (or wider) matmuls reaches (expert all-to-all, routing, grouped GEMMs); applies where active_params_b < params_b",
        )
        .default(0.506),
        num(
            "training_moe_efficiency_fp8",
            Check::Fraction,
            "share of dense MFU",
            "as training_moe_efficiency, for a run in 8-bit or narrower matmuls (fp8 speeds the expert GEMMs, not the all-to-all)",
        )
        .default(0.359),
        num(
            "training_moe_active_exponent",
            Check::NonNegative,
            "",
            "how a mixture-of-experts run's efficiency grows with its active parameters: training_moe_efficiency(_fp8) x (active_params_b / 10)^exponent, at most 1 (the two efficiencies are then the values at 10B active); default 0: one efficiency for every MoE size",
        )
        .default(0.0),
    ],
};

/// Which market prices every chip (docs/model.md "Price of one chip-hour: offers and the basis").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    OnDemand,
    CapacityBlock,
    Committed1y,
    Committed3y,
    Owned,
}

impl Basis {
    pub const NAMES: [&'static str; 5] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "owned"];
    /// What a config may write: the names and the v1 alias `committed`.
    pub const ACCEPTED: [&'static str; 6] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "owned", "committed"];
    const ALL: [Basis; 5] = [
        Basis::OnDemand,
        Basis::CapacityBlock,
        Basis::Committed1y,
        Basis::Committed3y,
        Basis::Owned,
    ];

    /// Parses a basis name; `committed` (v1) means `committed_1y`.
    pub fn parse(s: &str) -> Option<Basis> {
        if s == "committed" {
            return Some(Basis::Committed1y);
        }
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The offer term a cloud basis reads (`None` for owned).
    pub fn term(self) -> Option<Term> {
        match self {
            Basis::OnDemand => Some(Term::OnDemand),
            Basis::CapacityBlock => Some(Term::CapacityBlock),
            Basis::Committed1y => Some(Term::Committed1y),
            Basis::Committed3y => Some(Term::Committed3y),
            Basis::Owned => None,
        }
    }
}

/// `economics.provider_class`: which public market a cloud basis reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    Hyperscaler,
    Neocloud,
    Any,
}

impl Market {
    pub const NAMES: [&'static str; 3] = ["hyperscaler", "neocloud", "any"];
    const ALL: [Market; 3] = [Market::Hyperscaler, Market::Neocloud, Market::Any];

    pub fn parse(s: &str) -> Option<Market> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The market as a reason reads it: "hyperscaler", "neocloud", or "public" for any
    /// ("has no hyperscaler on_demand offer").
    pub fn words(self) -> &'static str {
        match self {
            Market::Any => "public",
            m => m.name(),
        }
    }

    /// Whether a public offer of `class` belongs to this market.
    pub fn admits(self, class: ProviderClass) -> bool {
        match self {
            Market::Any => class != ProviderClass::Negotiated,
            Market::Hyperscaler => class == ProviderClass::Hyperscaler,
            Market::Neocloud => class == ProviderClass::Neocloud,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Economics {
    pub basis: Basis,
    pub basis_origin: Origin,
    /// `economics.provider_class` (default hyperscaler).
    pub market: Market,
    /// `economics.fallback = "any"`: a chip with no offer of the basis is priced from another
    /// market and marked, instead of being skipped.
    pub fallback: bool,
    pub electricity_usd_per_kwh: Param,
    pub pue: Param,
    pub hosting_usd_per_kw_month: Param,
    pub lifetime_years: Param,
    pub cost_of_capital: Param,
    pub maintenance_per_year: Param,
    pub availability: Param,
    pub load_factor: Param,
    pub system_overhead: Param,
    pub system_power_factor: Param,
    pub usable_memory_fraction: Param,
    /// USD to build a datacenter per MW of critical IT load (absent: not configured).
    pub datacenter_capex_usd_per_mw: Option<Param>,
    pub training_bytes_per_param: Param,
    /// Share of paid chip-hours that advance training (failures, restarts, checkpoints,
    /// stragglers): divides training chip-hours (docs/model.md "Training"). Default range
    /// 0.66 / 0.90 / 0.97.
    pub training_goodput: Param,
    /// Share of a chip's dense training MFU a mixture-of-experts run reaches (docs/model.md
    /// "Training"); applies where active parameters are fewer than total ones.
    pub training_moe_efficiency: Param,
    /// As `training_moe_efficiency`, for 8-bit or narrower matmuls.
    pub training_moe_efficiency_fp8: Param,
    /// γ: a MoE run's efficiency is `training_moe_efficiency(_fp8) * (active_params_b / 10)^γ`,
    /// at most 1 (dimensionless; 0 = the same for every MoE size).
    pub training_moe_active_exponent: Param,
    pub prov: Provenance,
}

pub(crate) fn read(node: Option<&Node>, ctx: &mut Ctx) -> Economics {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[economics]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut r = Reader::new(table, origin, "economics".into(), &ECONOMICS, ctx);
    let basis_origin = table.get("basis").map_or(Origin::Default, |n| n.origin.clone());
    let basis = r.choice("basis", Basis::parse, ctx).unwrap_or(Basis::OnDemand);
    let market = r.choice("provider_class", Market::parse, ctx).unwrap_or(Market::Hyperscaler);
    let fallback_parse = |s: &str| match s {
        "none" => Some(false),
        "any" => Some(true),
        _ => None,
    };
    let fallback = r.choice("fallback", fallback_parse, ctx).unwrap_or(false);
    let training_goodput = goodput(&mut r, ctx);
    let datacenter_capex_usd_per_mw = r.num_opt("datacenter_capex_usd_per_mw", ctx);
    // Every number of [economics] has a built-in default (docs/config-keys.md).
    let mut num = |key: &'static str, ctx: &mut Ctx| -> Param {
        if let Some(v) = r.num_opt(key, ctx) {
            return v;
        }
        let decl = ECONOMICS.key(key);
        let default = decl.and_then(|k| k.default).unwrap_or(f64::NAN);
        ctx.params.push(ParamInfo {
            path: format!("economics.{key}"),
            unit: decl.map_or("", |k| k.unit),
            low: default,
            base: default,
            high: default,
            ranged: false,
            origin: Origin::Default,
            source: Some(Arc::from("built-in default (docs/config-keys.md)")),
            as_of: None,
            estimate: true,
            conversion: None,
        })
    };
    let economics = Economics {
        basis,
        basis_origin,
        market,
        fallback,
        electricity_usd_per_kwh: num("electricity_usd_per_kwh", ctx),
        pue: num("pue", ctx),
        hosting_usd_per_kw_month: num("hosting_usd_per_kw_month", ctx),
        lifetime_years: num("lifetime_years", ctx),
        cost_of_capital: num("cost_of_capital", ctx),
        maintenance_per_year: num("maintenance_per_year", ctx),
        availability: num("availability", ctx),
        load_factor: num("load_factor", ctx),
        system_overhead: num("system_overhead", ctx),
        system_power_factor: num("system_power_factor", ctx),
        usable_memory_fraction: num("usable_memory_fraction", ctx),
        datacenter_capex_usd_per_mw,
        training_bytes_per_param: num("training_bytes_per_param", ctx),
        training_goodput,
        training_moe_efficiency: num("training_moe_efficiency", ctx),
        training_moe_efficiency_fp8: num("training_moe_efficiency_fp8", ctx),
        training_moe_active_exponent: num("training_moe_active_exponent", ctx),
        prov: Provenance::default(),
    };
    // Plausible slips, each a value above what any real figure reaches: electricity in cents, a
    // PUE above 3 (no data center runs that; 1.3 is "1.3", not "130%"), and an MoE size exponent
    // above 1 (the public runs give 0.18; above 1, most MoE runs hit the cap of their chip's
    // dense MFU).
    let slips: [(Param, f64, &str); 3] = [
        (
            economics.electricity_usd_per_kwh,
            1.0,
            "economics.electricity_usd_per_kwh is {}, above $1/kWh: a price in cents? (0.08 means 8 cents per kWh)",
        ),
        (
            economics.pue,
            3.0,
            "economics.pue is {}, above 3: PUE is facility power over IT power (1.1-1.6 for today's data centers; write 1.3, not 13 or 130)",
        ),
        (
            economics.training_moe_active_exponent,
            1.0,
            "economics.training_moe_active_exponent is {}, above 1: a MoE run's share of dense MFU would grow faster than its active parameters and hit the cap of 1 (the public MoE runs give 0.181)",
        ),
    ];
    for (p, limit, message) in slips {
        let info = ctx.params.info(p);
        if info.high > limit {
            let (x, o) = (info.high, info.origin.clone());
            ctx.diags.warn(&o, message.replacen("{}", &show(x), 1));
        }
    }
    Economics {
        prov: r.finish(ctx),
        ..economics
    }
}

/// `economics.training_goodput`, or its built-in default range 0.66 / 0.90 / 0.97 (docs/model.md
/// "Training"; a key declaration holds one default, so the range is written here).
fn goodput(r: &mut Reader<'_>, ctx: &mut Ctx) -> Param {
    match r.num_opt("training_goodput", ctx) {
        Some(p) => p,
        None => ctx.params.push(ParamInfo {
            path: "economics.training_goodput".into(),
            unit: "share of paid chip-hours",
            low: 0.66,
            base: 0.90,
            high: 0.97,
            ranged: true,
            origin: Origin::Default,
            source: Some(Arc::from(
                "built-in default (docs/model.md 'Training'): Llama 3 paper (arXiv 2407.21783) '>90% effective training time'; low 0.66 = PaLM 540B's all-in hours vs its 46.2% steady MFU (arXiv 2204.02311)",
            )),
            as_of: None,
            estimate: true,
            conversion: None,
        }),
    }
}

//! `[economics]`: the market a cloud basis reads, and what owning a fleet costs.

use super::{Check, Key, Kind, TableDecl, num};
use crate::config::{Basis, Market};

/// `[economics]` (CONFIG.md example values are the built-in defaults).
pub static ECONOMICS: TableDecl = TableDecl {
    name: "economics",
    list: false,
    doc: "How a chip-hour is priced (`basis`) and what owning a fleet costs. Keys no file gives take their built-in default (the CONFIG.md example).",
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
    ],
};

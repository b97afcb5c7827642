//! summary.json: everything `compare --format json` has, plus calibration, tornado,
//! break-even, price-performance, fleet, owned TCO and the sources the configs cite.

use serde_json::{Value, json};

use crate::export::table_json;

use super::context::Context;

/// The summary document.
pub fn summary(ctx: &Context<'_>) -> Value {
    let (cfg, tables, cal, tornado) = (ctx.cfg, &ctx.tables, &ctx.calibration, ctx.tornado.as_ref());
    let be = ctx.break_even.as_ref().map(|(m, _)| m);
    let (pp, fleet, tco) = (&ctx.price_performance.0, &ctx.fleet.0, &ctx.tco.0);
    json!({
        "title": cfg.report.title,
        "basis": cfg.economics.basis.name(),
        "reference": cfg.report.reference,
        "as_of": cfg.as_of,
        "config_hash": cfg.hash,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "monte_carlo": { "samples": cfg.report.samples, "seed": cfg.report.seed },
        "workloads": tables.iter().map(|t| table_json(t, cfg.economics.basis)).collect::<Vec<_>>(),
        "calibration": cal,
        "tornado": tornado,
        "break_even_map": be.map(|m| json!({
            "workload": m.workload, "accelerator": m.accelerator, "reference": m.reference,
            "usd_per_chip_hour": m.price, "ratio_to_reference": m.base_ratio, "break_even_usd_per_chip_hour": m.break_even_price,
        })),
        "price_performance": pp,
        "fleet": fleet,
        "owned_tco": tco,
        "cost_over_time": super::charts::cost_over_time(ctx),
        "styles": super::charts::styles(cfg),
        "sources": cfg.sources().iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "unsourced": cfg.unsourced(),
    })
}

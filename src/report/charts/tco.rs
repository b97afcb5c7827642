//! Owned TCO per chip-hour, stacked by component (capital, vendor margin, maintenance,
//! hosting, energy).

use crate::chart::{AxisScale, Chart, StackSegment, StackedBarChart, Unit};
use crate::fmt::short;
use crate::model::trace::get;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, notes_of};

pub const STEM: &str = "owned-tco-per-chip-hour";

pub fn owned_tco(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let v = &ctx.v;
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame_owned(title, subtitle, notes);
    let (tco, tco_skipped) = (&ctx.tco.0, &ctx.tco.1);
    let seg = |name: &str, f: fn(&crate::model::price::OwnedBreakdown) -> f64| StackSegment {
        name: name.to_string(),
        values: tco.iter().map(|t| f(&t.breakdown)).collect(),
    };
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: "Owned total cost of ownership per chip-hour, by component".into(),
        chart: Chart::Stacked(StackedBarChart {
            frame: frame(
                "What an owned chip-hour costs".into(),
                format!(
                    "Owned basis: capital at {}%/yr over {} years, {}% availability, PUE {}, ${}/kWh",
                    short(get(v, cfg.economics.cost_of_capital, "cost of capital", &mut ()) * 100.0),
                    short(get(v, cfg.economics.lifetime_years, "lifetime", &mut ())),
                    short(get(v, cfg.economics.availability, "availability", &mut ()) * 100.0),
                    short(get(v, cfg.economics.pue, "PUE", &mut ())),
                    short(get(v, cfg.economics.electricity_usd_per_kwh, "electricity price", &mut ()))
                ),
                notes_of(tco_skipped)
                    .into_iter()
                    .chain(super::estimate_note(cfg, tco.iter().map(|t| t.accelerator.as_str())))
                    .collect(),
            ),
            value_axis: axis("USD per chip-hour (owned)", AxisScale::Linear, Unit::UsdPerHour),
            categories: tco
                .iter()
                .map(|t| (super::estimate_label(cfg, &t.accelerator), t.family.look()))
                .collect(),
            segments: vec![
                seg("Capital (ex vendor margin)", |b| b.capital),
                seg("Vendor gross margin", |b| b.vendor_margin),
                seg("Maintenance", |b| b.maintenance),
                seg("Hosting (colocation)", |b| b.hosting),
                seg("Energy", |b| b.energy),
            ],
        }),
    })
}

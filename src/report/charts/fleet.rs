//! What `report.fleet_budget_usd` of capex buys per accelerator: chips, effective PFLOP/s and
//! output tokens per day.

use crate::chart::{AxisScale, Bar, BarChart, Chart, Frame, PanelChart, Unit};
use crate::config::Family;
use crate::fmt::usd;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, count, family, label_id, notes_of};

pub const STEM: &str = "fleet-what-the-budget-buys";

pub fn what_the_budget_buys(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (v, basis) = (&ctx.v, ctx.basis);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let (fleet, fleet_skipped) = (&ctx.fleet.0, &ctx.fleet.1);
    let _ = (v, basis);
    let mk_panel = |title: &str, unit: Unit, vals: Vec<(String, Family, f64)>, fmt: fn(f64) -> String| {
        let mut bars: Vec<Bar> = vals
            .into_iter()
            .filter(|(_, _, x)| x.is_finite() && *x > 0.0)
            .map(|(l, f, x)| Bar {
                label: l,
                family: family(f),
                value: x,
                text: fmt(x),
            })
            .collect();
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        BarChart {
            frame: Frame {
                title: title.to_string(),
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
            },
            value_axis: axis(title, AxisScale::Linear, unit),
            bars,
            reference_line: None,
        }
    };
    let budget = usd(cfg.report.fleet_budget_usd);
    Ok(ChartFile {
        stem: STEM,
        caption: format!("What {budget} of capex buys per accelerator"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("What {budget} of capex buys"),
                format!(
                    "Chips at chip price x (1 + system overhead) · effective BF16 PFLOP/s at training MFU · output tokens/day served of {}",
                    ctx.iw.map_or("the inference workload".to_string(), |w| w.id.clone())
                ),
                notes_of(fleet_skipped).into_iter().chain(ctx.internal_note.clone()).collect(),
            ),
            panels: vec![
                mk_panel(
                    "Chips",
                    Unit::Count,
                    fleet.iter().map(|f| (label_id(cfg, &f.accelerator), f.family, f.chips)).collect(),
                    count,
                ),
                mk_panel(
                    "Effective BF16 PFLOP/s",
                    Unit::Count,
                    fleet
                        .iter()
                        .filter_map(|f| f.effective_pflops.map(|p| (label_id(cfg, &f.accelerator), f.family, p)))
                        .collect(),
                    count,
                ),
                mk_panel(
                    "Output tokens per day",
                    Unit::Count,
                    fleet
                        .iter()
                        .filter_map(|f| f.output_tokens_per_day.map(|t| (label_id(cfg, &f.accelerator), f.family, t)))
                        .collect(),
                    count,
                ),
            ],
        }),
    })
}

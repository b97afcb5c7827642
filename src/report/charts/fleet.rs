//! What `report.fleet_budget_usd` of capex buys per accelerator (servers, and the datacenter
//! when `economics.datacenter_capex_usd_per_mw` is set) and the facility power those chips
//! draw; what `report.fleet_power_mw` of facility power holds (chips, output tokens per day).

use crate::chart::{AxisScale, Bar, BarChart, Chart, Frame, PanelChart, Unit};
use crate::config::Family;
use crate::fmt::usd;
use crate::model::trace::get;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, count, notes_of};

pub const STEM: &str = "fleet-what-the-budget-buys";

pub fn what_the_budget_buys(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (v, basis) = (&ctx.v, &ctx.basis);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame_owned(title, subtitle, notes);
    let (fleet, fleet_skipped) = (&ctx.fleet.0, &ctx.fleet.1);
    let mk_panel = |title: &str, unit: Unit, vals: Vec<(String, Family, f64)>, fmt: fn(f64) -> String| {
        let mut bars: Vec<Bar> = vals
            .into_iter()
            .filter(|(_, _, x)| x.is_finite() && *x > 0.0)
            .map(|(l, f, x)| Bar {
                label: l,
                look: f.look(),
                value: x,
                text: fmt(x),
                whisker: None,
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
    let mw = cfg.report.fleet_power_mw;
    let power = if mw >= 1000.0 {
        format!("{} GW", count(mw / 1000.0))
    } else {
        format!("{} MW", count(mw))
    };
    let with_dc = fleet.iter().any(|f| f.with_datacenter);
    let per = |f: fn(&crate::model::fleet::Fleet) -> Option<f64>| -> Vec<(String, Family, f64)> {
        fleet
            .iter()
            .filter_map(|x| f(x).map(|p| (super::estimate_label(cfg, &x.accelerator), x.family, p)))
            .collect()
    };
    let mut notes: Vec<String> = notes_of(fleet_skipped)
        .into_iter()
        .chain(super::estimate_note(cfg, fleet.iter().map(|f| f.accelerator.as_str())))
        .collect();
    notes.push(format!(
        "Facility power per chip = power_w x system_power_factor ({}) x PUE ({})",
        crate::fmt::short(get(v, cfg.economics.system_power_factor, "system power factor", &mut ())),
        crate::fmt::short(get(v, cfg.economics.pue, "PUE", &mut ()))
    ));
    // Chips left out of the tokens panel only, grouped by why.
    let mut no_tokens: Vec<(String, Vec<&str>)> = Vec::new();
    for f in fleet.iter() {
        if let Some(why) = &f.tokens_skipped {
            match no_tokens.iter_mut().find(|(w, _)| w == why) {
                Some((_, ids)) => ids.push(&f.accelerator),
                None => no_tokens.push((why.clone(), vec![&f.accelerator])),
            }
        }
    }
    if !no_tokens.is_empty() {
        let parts: Vec<String> = no_tokens.iter().map(|(why, ids)| format!("{} ({why})", ids.join(", "))).collect();
        notes.push(format!("Output tokens/day not drawn: {}", parts.join("; ")));
    }
    if !with_dc {
        notes.push(
            "The budget buys servers only: economics.datacenter_capex_usd_per_mw is not set, so the buildings to hold them are not paid for"
                .into(),
        );
    }
    let _ = basis;
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: format!("What {budget} of capex and {power} of facility power hold per accelerator"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("What {budget} buys, and what {power} holds"),
                format!(
                    "{budget} pays for chips x (1 + system overhead){} · output tokens/day of {}",
                    if with_dc {
                        format!(
                            " and the buildings at ${}M per MW of IT load",
                            crate::fmt::short(
                                cfg.economics
                                    .datacenter_capex_usd_per_mw
                                    .map_or(0.0, |d| get(v, d, "datacenter capex per MW", &mut ()))
                                    / 1e6
                            )
                        )
                    } else {
                        String::new()
                    },
                    ctx.iw.map_or("the inference workload".to_string(), |w| w.id.clone())
                ),
                notes,
            ),
            panels: vec![
                mk_panel(&format!("Chips for {budget}"), Unit::Count, per(|f| Some(f.chips)), count),
                mk_panel("Facility GW they draw", Unit::Count, per(|f| Some(f.facility_mw / 1000.0)), count),
                mk_panel(
                    &format!("Output tokens/day in {power}"),
                    Unit::Count,
                    per(|f| f.output_tokens_per_day_in_power),
                    count,
                ),
            ],
        }),
    })
}

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
    // Every bar carries the fleet's other figures, so the CSV holds all the chart says.
    let extra_of = |id: &str| -> Vec<(String, f64)> {
        fleet
            .iter()
            .find(|f| f.accelerator == id)
            .map(|f| {
                let mut e = vec![
                    ("chips_for_budget".to_string(), f.chips),
                    ("capex_per_chip_usd".to_string(), f.capex_per_chip_usd),
                    ("facility_mw_for_budget".to_string(), f.facility_mw),
                    ("facility_w_per_chip".to_string(), f.facility_w_per_chip),
                    ("chips_in_power".to_string(), f.chips_in_power),
                ];
                e.extend(f.output_tokens_per_day.map(|x| ("output_tokens_per_day_for_budget".to_string(), x)));
                e.extend(
                    f.output_tokens_per_day_in_power
                        .map(|x| ("output_tokens_per_day_in_power".to_string(), x)),
                );
                e.extend(f.effective_pflops.map(|x| ("training_pflops_for_budget".to_string(), x)));
                e
            })
            .unwrap_or_default()
    };
    let mk_panel = |title: &str, unit: Unit, vals: Vec<(String, String, Family, f64)>, fmt: fn(f64) -> String| {
        let mut bars: Vec<Bar> = vals
            .into_iter()
            .filter(|(_, _, _, x)| x.is_finite() && *x > 0.0)
            .map(|(id, l, f, x)| Bar {
                label: l,
                look: f.look(),
                value: x,
                text: fmt(x),
                whisker: None,
                extra: extra_of(&id),
            })
            .collect();
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        BarChart {
            frame: Frame {
                title: title.to_string(),
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
                key: Vec::new(),
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
    let per = |f: fn(&crate::model::fleet::Fleet) -> Option<f64>| -> Vec<(String, String, Family, f64)> {
        fleet
            .iter()
            .filter_map(|x| f(x).map(|p| (x.accelerator.clone(), super::estimate_label(cfg, &x.accelerator), x.family, p)))
            .collect()
    };
    let mut notes: Vec<String> = notes_of(fleet_skipped)
        .into_iter()
        .chain(super::estimate_note(cfg, fleet.iter().map(|f| f.accelerator.as_str())))
        .collect();
    notes.push(format!(
        "What {power} of facility power holds (chips, output tokens/day): in the CSV"
    ));
    let gw_range = {
        let gw: Vec<f64> = fleet.iter().map(|f| f.facility_mw / 1000.0).filter(|x| x.is_finite()).collect();
        let lo = gw.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = gw.iter().copied().fold(0.0, f64::max);
        if gw.is_empty() {
            String::new()
        } else {
            format!("; the budget's chips draw {} to {} GW", count(lo), count(hi))
        }
    };
    notes.push(format!(
        "Facility power per chip = power_w x system_power_factor ({}) x PUE ({}){gw_range} (per chip: the CSV)",
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
        caption: format!("What {budget} of capex buys per accelerator: chips and output tokens per day"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("What {budget} buys: chips, and output tokens per day"),
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
                mk_panel(
                    &format!("Output tokens/day for {budget}"),
                    Unit::Count,
                    per(|f| f.output_tokens_per_day),
                    count,
                ),
            ],
        }),
    })
}

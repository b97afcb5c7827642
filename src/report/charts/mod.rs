//! One function per chart: each file turns the report's [`Context`] into one chart's data
//! ([`ChartFile`]), or says why it cannot be drawn. [`CHARTS`] lists them in report order;
//! `report`, `report.charts` and the tests read that list. Adding a chart = one file here and
//! one entry in [`CHARTS`].

mod break_even;
mod fleet;
mod headline;
mod inference;
mod input_output;
mod revolution;
mod tco;
mod tornado;
mod waterfall;

use crate::chart::{Axis, AxisScale, Chart, Frame, LineChart, Series, Unit};
use crate::config::{Accelerator, Config, Era};
use crate::model::curves::{self, Curves};
pub(crate) use headline::below_target_note;

use super::ChartFile;
use super::context::Context;

/// summary.json's `cost_over_time`: the cost-over-time charts' per-family halving times with
/// their 95% intervals (see `revolution::summary`).
pub fn cost_over_time(ctx: &Context<'_>) -> serde_json::Value {
    revolution::summary(ctx)
}

/// summary.json's `waterfall`: the states and steps of the cost-decline waterfall, or why
/// there is none (see `waterfall::model`).
pub fn waterfall_summary(ctx: &Context<'_>) -> serde_json::Value {
    match waterfall::model(ctx) {
        Ok(w) => serde_json::json!({
            "workload": w.workload,
            "states": w.states,
            "steps": w.steps().iter().map(|(c, r)| serde_json::json!({ "cause": c, "factor": r })).collect::<Vec<_>>(),
            "end_to_end": w.end_to_end(),
            "omitted": w.omitted,
        }),
        Err(why) => serde_json::json!({ "error": why }),
    }
}

/// One chart of the report.
pub struct ChartDef {
    /// Name in `report.charts`.
    pub name: &'static str,
    /// File stem of its image and CSV.
    pub stem: &'static str,
    /// Its data, or why it is not drawn (a sentence naming what is missing).
    pub build: fn(&Context<'_>) -> Result<ChartFile, String>,
}

/// Every chart, in report order.
pub const CHARTS: &[ChartDef] = &[
    ChartDef {
        name: "batch",
        stem: inference::BATCH_STEM,
        build: inference::cost_vs_batch,
    },
    ChartDef {
        name: "interactivity",
        stem: inference::INTERACTIVITY_STEM,
        build: inference::cost_vs_interactivity,
    },
    ChartDef {
        name: "input-output",
        stem: input_output::STEM,
        build: input_output::input_vs_output,
    },
    ChartDef {
        name: "cost-over-time-training",
        stem: revolution::TRAINING_STEM,
        build: revolution::training,
    },
    ChartDef {
        name: "cost-over-time-inference",
        stem: revolution::INFERENCE_STEM,
        build: revolution::inference,
    },
    ChartDef {
        name: "waterfall",
        stem: waterfall::STEM,
        build: waterfall::chart,
    },
    ChartDef {
        name: "tco",
        stem: tco::STEM,
        build: tco::owned_tco,
    },
    ChartDef {
        name: "fleet",
        stem: fleet::STEM,
        build: fleet::what_the_budget_buys,
    },
    ChartDef {
        name: "headline",
        stem: headline::STEM,
        build: headline::cost_vs_reference,
    },
    ChartDef {
        name: "tornado",
        stem: tornado::STEM,
        build: tornado::tornado,
    },
    ChartDef {
        name: "break-even",
        stem: break_even::STEM,
        build: break_even::map,
    },
];

/// A short legend label: the accelerator's name without the vendor's prefix.
pub fn label(acc: &Accelerator) -> String {
    let n = acc.name.as_str();
    ["NVIDIA ", "AWS ", "Google Cloud ", "Google "]
        .iter()
        .find_map(|p| n.strip_prefix(p))
        .unwrap_or(n)
        .to_string()
}

/// Position of an accelerator within its family among every loaded accelerator, in config
/// order: it picks the line's shade, dash and marker, so a chip looks the same in a subset
/// report (`report.accelerators`) as in the full one, and a chip added at the end of its
/// family's file restyles no other. Today's chips are counted before the other eras: the legacy
/// chips (whose file loads between amd.toml and nvidia.toml) had restyled every NVIDIA chip, so
/// that B200 drew exactly MI325X's colour and marker.
pub(crate) fn style_index(cfg: &Config, id: &str) -> usize {
    let Some(acc) = cfg.accelerator(id) else { return 0 };
    // Today's chips first, then the other eras after them: unique within the family, and
    // today's styles independent of the legacy file.
    let fam = || cfg.accelerators.iter().filter(|a| a.family == acc.family);
    fam()
        .filter(|a| a.era == Era::Current)
        .chain(fam().filter(|a| a.era != Era::Current))
        .position(|a| a.id == id)
        .unwrap_or(0)
}

/// Every loaded accelerator's line style, by id (summary.json `styles`).
pub fn styles(cfg: &Config) -> serde_json::Map<String, serde_json::Value> {
    cfg.accelerators
        .iter()
        .map(|a| {
            let s = crate::chart::series_style(&a.family.look(), style_index(cfg, &a.id));
            (
                a.id.clone(),
                serde_json::json!({ "family": a.family, "colour": s.colour, "dash": s.dash, "marker": s.marker }),
            )
        })
        .collect()
}

pub(super) fn axis(label: &str, scale: AxisScale, unit: Unit) -> Axis {
    Axis {
        label: label.to_string(),
        scale,
        unit,
    }
}

pub(super) fn notes_of(skipped: &[crate::model::Skipped]) -> Vec<String> {
    if skipped.is_empty() {
        return Vec::new();
    }
    // Grouped by why: "a, b (has no fp8); c (has no offer)".
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in skipped {
        match groups.iter_mut().find(|(w, _)| *w == s.why) {
            Some((_, ids)) => ids.push(&s.accelerator),
            None => groups.push((&s.why, vec![&s.accelerator])),
        }
    }
    let parts: Vec<String> = groups.iter().map(|(why, ids)| format!("{} ({why})", ids.join(", "))).collect();
    vec![format!("Not drawn: {}", parts.join("; "))]
}

/// A curve per accelerator; each legend label carries its chip's price mark ([`price_mark`]).
pub(super) fn line_chart(
    cfg: &Config,
    frame: Frame,
    x: Axis,
    y: Axis,
    accs: &[&Accelerator],
    cs: &Curves,
    bands: Option<Vec<Option<curves::BandPoints>>>,
) -> Chart {
    let series = cs
        .curves
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let acc = accs.iter().find(|a| a.id == c.accelerator)?;
            Some(Series {
                name: format!("{}{}", label(acc), price_mark(cfg, acc)),
                look: c.family.look(),
                style_index: style_index(cfg, &c.accelerator),
                points: c.points.clone(),
                band: bands.as_ref().and_then(|b| b.get(k).cloned().flatten()),
                point_labels: Vec::new(),
            })
        })
        .collect();
    Chart::Line(LineChart {
        frame,
        x,
        y,
        series,
        vlines: Vec::new(),
    })
}

/// 3 significant digits with k / M / B, as the chart axes write them.
pub(super) fn count(x: f64) -> String {
    crate::chart::format_value(x, &Unit::Count)
}

/// The mark of `acc`'s price on the basis, as the key under every chart explains it: " †"
/// another term or market, " ‡" the planner's negotiated price, then " *" when estimated.
pub(crate) fn price_mark(cfg: &Config, acc: &Accelerator) -> String {
    use crate::model::price::PriceOrigin;
    let Some((o, _)) = crate::model::price::offer_of(cfg, acc) else {
        return String::new();
    };
    let mut m = match acc.price_origin(&cfg.economics) {
        PriceOrigin::OtherTermOrMarket => " †".to_string(),
        PriceOrigin::Negotiated => " ‡".to_string(),
        PriceOrigin::Basis | PriceOrigin::Missing => String::new(),
    };
    if o.estimate {
        m.push_str(" *");
    }
    m
}

/// A label with its price mark (" †" another term or market, " ‡" negotiated, " *" an
/// estimate; see [`super::context::Context::marks`]).
pub(super) fn mark(label: String, marks: &[(String, String)], id: &str) -> String {
    match marks.iter().find(|(m, _)| m == id) {
        Some((_, m)) => format!("{label}{m}"),
        None => label,
    }
}

/// The serving-accuracy note of a chart that draws the chips `ids` on the inference side: the
/// held-out error that applies to each (`serving_heldout_error_pct`, written by `calibrate
/// --fit`): 5-fold for chips fitted on their own benchmarks, leave-one-chip-out for chips that
/// borrow a pooled fit (their serving efficiencies are estimates). Never the in-sample error:
/// it says nothing about a chip without benchmarks. `None` when no drawn chip has the figure.
pub(crate) fn serving_error_note(cfg: &Config, ids: &[&str]) -> Option<String> {
    // (ids, lowest, highest) of the chips fitted on their own points and of the borrowers.
    let mut groups: [(Vec<&str>, f64, f64); 2] = [(Vec::new(), f64::INFINITY, 0.0), (Vec::new(), f64::INFINITY, 0.0)];
    for id in ids {
        let Some(acc) = cfg.accelerator(id) else { continue };
        let Some(p) = acc.efficiency.serving_heldout_error_pct else {
            continue;
        };
        let e = cfg.params.info(p).base;
        let borrowed = cfg.params.info(acc.efficiency.serving.serving_mfu).estimate;
        let g = &mut groups[usize::from(borrowed)];
        if !g.0.contains(id) {
            g.0.push(id);
        }
        g.1 = g.1.min(e);
        g.2 = g.2.max(e);
    }
    let span = |lo: f64, hi: f64| {
        if (hi - lo).abs() < 0.5 {
            format!("{}%", lo.round())
        } else {
            format!("{}–{}%", lo.round(), hi.round())
        }
    };
    let mut parts = Vec::new();
    if !groups[0].0.is_empty() {
        parts.push(format!(
            "{} on their own public benchmarks (5-fold held out)",
            span(groups[0].1, groups[0].2)
        ));
    }
    if !groups[1].0.is_empty() {
        parts.push(format!(
            "{} for {} (no benchmark: pooled fit, ESTIMATE; leave-one-chip-out)",
            span(groups[1].1, groups[1].2),
            groups[1].0.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| format!("Inference: median error of the step model's throughput {}", parts.join("; ")))
}

pub(crate) fn label_id(cfg: &Config, id: &str) -> String {
    cfg.accelerator(id).map_or_else(|| id.to_string(), label)
}

/// `accelerator.trn2.efficiency.training_mfu` -> `trn2 training_mfu`; a per-precision key keeps
/// its parent: `accelerator.trn2.efficiency.training_mfu.bf16` -> `trn2 training_mfu.bf16`.
pub fn short_path(cfg: &Config, p: &str) -> String {
    // The field's words for the keys a tornado usually shows; other keys with spaces.
    let words = |key: &str| -> String {
        match key {
            "training_mfu" => "training MFU".into(),
            "serving_mfu" => "serving MFU".into(),
            "weight_bw_eff" => "weight-read bandwidth efficiency".into(),
            "kv_bw_eff" => "KV-read bandwidth efficiency".into(),
            "moe_efficiency" => "MoE efficiency".into(),
            "pue" => "PUE".into(),
            "chip_usd" => "chip price".into(),
            "power_w" => "power".into(),
            "training_goodput" => "training goodput".into(),
            k => k.replace('_', " "),
        }
    };
    let parts: Vec<&str> = p.split('.').collect();
    match parts.as_slice() {
        ["accelerator", id, .., parent, key] if crate::config::Precision::parse(key).is_some() => {
            format!("{} {} ({key})", label_id(cfg, id), words(parent))
        }
        ["accelerator", id, .., "offer", offer, key] => format!("{} {} ({offer})", label_id(cfg, id), words(key)),
        ["accelerator", id, .., key] => format!("{} {}", label_id(cfg, id), words(key)),
        ["economics", key] => words(key),
        [kind, id, .., key] => format!("{kind} {id} {}", words(key)),
        _ => p.to_string(),
    }
}

/// A chip's label, with " *" when its owned cost (chip_usd) is an internal cost estimate: its
/// maker does not sell it (the owned TCO and fleet charts).
pub(super) fn estimate_label(cfg: &Config, id: &str) -> String {
    let l = label_id(cfg, id);
    if cfg.accelerator(id).is_some_and(|a| a.not_sold()) {
        format!("{l} *")
    } else {
        l
    }
}

/// The note for [`estimate_label`]'s star, when some chip drawn has one.
pub(super) fn estimate_note<'a>(cfg: &Config, mut ids: impl Iterator<Item = &'a str>) -> Option<String> {
    ids.any(|id| cfg.accelerator(id).is_some_and(|a| a.not_sold()))
        .then(|| "* internal cost estimate: the maker does not sell the chip, so its chip_usd is estimated".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_report_draws_exactly_the_charts_the_config_names_in_its_order() {
        let names: Vec<&str> = super::CHARTS.iter().map(|c| c.name).collect();
        assert_eq!(names, crate::config::CHART_NAMES);
        for (retired, _) in crate::config::RETIRED_CHARTS {
            assert!(!names.contains(retired), "{retired} is retired and drawn");
        }
    }
}

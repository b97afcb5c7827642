//! From the model to chart data: every chart of the report, plus the numbers behind report.md
//! and summary.json. Pure: no I/O.

use serde_json::{Value, json};

use crate::chart::{
    Axis, AxisScale, Bar, BarChart, Chart, Family as CFamily, Frame, Heatmap, LineChart, PanelChart, ScatterChart, ScatterPoint, Series,
    StackSegment, StackedBarChart, TornadoBar, TornadoChart, TrendLine, Unit,
};
use crate::config::{Accelerator, Config, Family};
use crate::export::table_json;
use crate::fmt::{num, short, usd};
use crate::model::calibrate::{CalibrationReport, calibrate};
use crate::model::curves::{self, Curves};
use crate::model::evaluate::{self, Kind, Workload, WorkloadTable};
use crate::model::sensitivity::{self, BreakEvenMap, Tornado};
use crate::model::uncertainty::sample_values;

use super::ChartFile;

/// Monte Carlo draws behind the shaded bands of the curves.
pub const CURVE_BAND_SAMPLES: usize = 500;

pub struct ReportData {
    pub charts: Vec<ChartFile>,
    pub tables: Vec<WorkloadTable>,
    pub calibration: CalibrationReport,
    pub tornado: Option<Tornado>,
    pub break_even: Option<BreakEvenMap>,
    pub findings: Vec<String>,
    pub summary: Value,
}

fn family(f: Family) -> CFamily {
    match f {
        Family::Gpu => CFamily::Gpu,
        Family::Trainium => CFamily::Trainium,
        Family::Inferentia => CFamily::Inferentia,
        Family::Tpu => CFamily::Tpu,
        Family::Other => CFamily::Other,
    }
}

/// A short legend label: the accelerator's name without the vendor's prefix.
pub fn label(acc: &Accelerator) -> String {
    let n = acc.name.as_str();
    ["NVIDIA ", "AWS ", "Google Cloud ", "Google "]
        .iter()
        .find_map(|p| n.strip_prefix(p))
        .unwrap_or(n)
        .to_string()
}

/// Position of each accelerator within its family (drives the line style / marker).
fn style_index(accs: &[&Accelerator], id: &str) -> usize {
    let Some(acc) = accs.iter().find(|a| a.id == id) else { return 0 };
    accs.iter().filter(|a| a.family == acc.family).position(|a| a.id == id).unwrap_or(0)
}

fn axis(label: &str, scale: AxisScale, unit: Unit) -> Axis {
    Axis {
        label: label.to_string(),
        scale,
        unit,
    }
}

fn notes_of(skipped: &[crate::model::Skipped]) -> Vec<String> {
    if skipped.is_empty() {
        return Vec::new();
    }
    let list: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
    vec![format!("Not drawn: {}", list.join("; "))]
}

fn line_chart(frame: Frame, x: Axis, y: Axis, accs: &[&Accelerator], cs: &Curves, bands: Option<Vec<Option<curves::BandPoints>>>) -> Chart {
    let series = cs
        .curves
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let acc = accs.iter().find(|a| a.id == c.accelerator)?;
            Some(Series {
                name: label(acc),
                family: family(c.family),
                style_index: style_index(accs, &c.accelerator),
                points: c.points.clone(),
                band: bands.as_ref().and_then(|b| b.get(k).cloned().flatten()),
            })
        })
        .collect();
    Chart::Line(LineChart { frame, x, y, series })
}

pub fn build(cfg: &Config) -> ReportData {
    let v = cfg.params.base_values();
    let accs: Vec<&Accelerator> = cfg.report.accelerators.iter().filter_map(|id| cfg.accelerator(id)).collect();
    let basis = cfg.economics.basis.name();
    let footer = format!(
        "basis: {basis}  |  configs as of {}  |  config {}  |  accel-cost {}",
        cfg.as_of.as_deref().unwrap_or("(undated)"),
        cfg.hash,
        env!("CARGO_PKG_VERSION")
    );
    let frame = |title: String, subtitle: String, notes: Vec<String>| Frame {
        title,
        subtitle,
        footer: footer.clone(),
        notes,
    };
    let any_range = cfg.params.infos.iter().any(|i| i.ranged);
    let samples = if any_range {
        sample_values(&cfg.params, cfg.report.samples as usize, cfg.report.seed)
    } else {
        Vec::new()
    };
    // Curve bands use the first CURVE_BAND_SAMPLES draws: a P10/P90 from 500 draws is within a
    // few percent of one from 2000, invisible on a log axis, at a quarter of the cost. Tables and
    // summary.json use every draw.
    let curve_samples = &samples[..samples.len().min(CURVE_BAND_SAMPLES)];
    let band_note = if any_range {
        if curve_samples.len() < samples.len() {
            format!(
                "Shaded: P10–P90 over every ranged input ({} of the {} Monte Carlo draws; tables use all)",
                curve_samples.len(),
                samples.len()
            )
        } else {
            format!("Shaded: P10–P90 over every ranged input ({} Monte Carlo draws)", samples.len())
        }
    } else {
        String::new()
    };

    // Tables (compare), with bands.
    let all_accs: Vec<&Accelerator> = accs.clone();
    let mut tables: Vec<WorkloadTable> = Workload::all(cfg)
        .into_iter()
        .map(|w| evaluate::table(cfg, w, &all_accs, &v))
        .collect();
    if any_range {
        evaluate::add_bands_all(cfg, &mut tables, &samples);
    }

    let calibration = calibrate(cfg, &v);
    let mut charts = Vec::new();
    let reference = cfg.accelerator(&cfg.report.reference);
    let ref_label = reference.map(label).unwrap_or_else(|| cfg.report.reference.clone());
    let tw = cfg.report.training_workload.as_deref().and_then(|id| cfg.training(id));
    let iw = cfg.report.inference_workload.as_deref().and_then(|id| cfg.inference(id));

    // 1. Training cost vs model size.
    if let Some(w) = tw {
        let base = curves::training_vs_params(cfg, w, &accs, &v);
        let bands = any_range.then(|| curves::bands(&base, curve_samples, |s| curves::training_vs_params(cfg, w, &accs, s)));
        let mut notes = notes_of(&base.skipped);
        if any_range {
            notes.push(band_note.clone());
        }
        charts.push(ChartFile {
            stem: "training-cost-vs-model-size",
            caption: format!(
                "Training cost vs model size (tokens = {} x parameters, {})",
                cfg.report.tokens_per_param,
                w.precision.name()
            ),
            chart: line_chart(
                frame(
                    "Training cost vs model size".into(),
                    format!(
                        "Dense models, tokens = {} x parameters (Chinchilla), {} · basis {basis}",
                        short(cfg.report.tokens_per_param),
                        w.precision.name()
                    ),
                    notes,
                ),
                axis(
                    "Model size (billion parameters, log scale)",
                    AxisScale::Log,
                    Unit::Plain("B".into()),
                ),
                axis("Training cost (USD, log scale)", AxisScale::Log, Unit::Usd),
                &accs,
                &base,
                bands,
            ),
        });
    }

    // 2-4. Inference curves.
    if let Some(w) = iw {
        let base = curves::inference_vs_batch(cfg, w, &accs, &v);
        let bands = any_range.then(|| curves::bands(&base, curve_samples, |s| curves::inference_vs_batch(cfg, w, &accs, s)));
        let mut notes = notes_of(&base.skipped);
        notes.push("Roofline throughput at every batch; a [[measured]] figure applies only at its own batch (see the tables)".into());
        if any_range {
            notes.push(band_note.clone());
        }
        let sub = format!(
            "{} · {} in / {} out tokens · basis {basis}",
            w.name,
            short(v[w.input_tokens.0]),
            short(v[w.output_tokens.0])
        );
        charts.push(ChartFile {
            stem: "inference-cost-vs-batch",
            caption: format!("Inference cost per million output tokens vs batch ({})", w.name),
            chart: line_chart(
                frame("Inference cost vs batch size".into(), sub.clone(), notes.clone()),
                axis("Batch (concurrent sequences per replica, log scale)", AxisScale::Log, Unit::Count),
                axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
                &accs,
                &base,
                bands,
            ),
        });
        let inter = curves::inference_vs_interactivity(cfg, w, &accs, &v);
        charts.push(ChartFile {
            stem: "inference-cost-vs-interactivity",
            caption: format!("Inference cost vs interactivity (tokens/s per user), batch swept ({})", w.name),
            chart: line_chart(
                frame(
                    "Inference cost vs interactivity".into(),
                    format!(
                        "{sub} · the cheapest batch for each speed, batch {} to {}",
                        short(cfg.report.inference_sweep_batch.0),
                        short(cfg.report.inference_sweep_batch.1)
                    ),
                    notes_of(&inter.skipped),
                ),
                axis(
                    "Output tokens per second per user (log scale)",
                    AxisScale::Log,
                    Unit::Plain(String::new()),
                ),
                axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
                &accs,
                &inter,
                None,
            ),
        });
        let mut util = curves::inference_vs_utilization(cfg, w, &accs, &v);
        for c in &mut util.curves {
            for p in &mut c.points {
                p.0 *= 100.0;
            }
        }
        charts.push(ChartFile {
            stem: "inference-cost-vs-utilization",
            caption: format!("Inference cost vs utilization ({})", w.name),
            chart: line_chart(
                frame(
                    "Inference cost vs utilization".into(),
                    format!("{sub} · batch {}, measured throughput where benchmarked", short(v[w.batch.0])),
                    notes_of(&util.skipped),
                ),
                axis(
                    "Utilization (% of paid chip-hours serving traffic)",
                    AxisScale::Linear,
                    Unit::Plain("%".into()),
                ),
                axis("USD per million output tokens (log scale)", AxisScale::Log, Unit::Usd),
                &accs,
                &util,
                None,
            ),
        });
    }

    // 5. Price-performance by year.
    let (pp, pp_skipped) = curves::price_performance(cfg, &accs, &v);
    let trend = reference.and_then(|r| pp.iter().find(|p| p.accelerator == r.id)).map(|anchor| {
        let d = cfg.report.price_performance_doubling_years;
        let (y0, y1) = pp
            .iter()
            .fold((anchor.year, anchor.year), |(a, b), p| (a.min(p.year), b.max(p.year)));
        TrendLine {
            label: format!(
                "GPU price-performance doubling every {} years (Epoch AI), through {}",
                num(d, 3),
                label_id(cfg, &anchor.accelerator)
            ),
            points: (y0 * 4 - 2..=y1 * 4 + 2)
                .map(|q| {
                    let year = q as f64 / 4.0;
                    (
                        year,
                        anchor.usd_per_effective_pflop_hour * 2f64.powf(-(year - anchor.year as f64) / d),
                    )
                })
                .collect(),
        }
    });
    let mut pp_notes = notes_of(&pp_skipped);
    let fallback: Vec<&str> = pp.iter().filter(|p| p.prefill_mfu_used).map(|p| p.accelerator.as_str()).collect();
    if !fallback.is_empty() {
        pp_notes.push(format!("{}: no training MFU, prefill MFU used", fallback.join(", ")));
    }
    charts.push(ChartFile {
        stem: "price-performance-by-year",
        caption: "USD per effective BF16 PFLOP-hour by release year".into(),
        chart: Chart::Scatter(ScatterChart {
            frame: frame(
                "Price-performance by release year".into(),
                format!("USD per effective PFLOP-hour = chip-hour price / (dense BF16 TFLOPS x training MFU / 1000) · basis {basis}"),
                pp_notes,
            ),
            x: axis(
                "Release year (first general availability)",
                AxisScale::Linear,
                Unit::Plain(String::new()),
            ),
            y: axis("USD per effective BF16 PFLOP-hour (log scale)", AxisScale::Log, Unit::Usd),
            points: pp
                .iter()
                .map(|p| ScatterPoint {
                    label: label_id(cfg, &p.accelerator),
                    family: family(p.family),
                    x: p.year as f64,
                    y: p.usd_per_effective_pflop_hour,
                })
                .collect(),
            trend,
        }),
    });

    // 6. Owned TCO stacked.
    let (tco, tco_skipped) = curves::tco(cfg, &accs, &v);
    let seg = |name: &str, f: fn(&crate::model::price::OwnedBreakdown) -> f64| StackSegment {
        name: name.to_string(),
        values: tco.iter().map(|t| f(&t.breakdown)).collect(),
    };
    charts.push(ChartFile {
        stem: "owned-tco-per-chip-hour",
        caption: "Owned total cost of ownership per chip-hour, by component".into(),
        chart: Chart::Stacked(StackedBarChart {
            frame: frame(
                "What an owned chip-hour costs".into(),
                format!(
                    "Owned basis: capital at {}%/yr over {} years, {}% availability, PUE {}, ${}/kWh",
                    short(v[cfg.economics.cost_of_capital.0] * 100.0),
                    short(v[cfg.economics.lifetime_years.0]),
                    short(v[cfg.economics.availability.0] * 100.0),
                    short(v[cfg.economics.pue.0]),
                    short(v[cfg.economics.electricity_usd_per_kwh.0])
                ),
                notes_of(&tco_skipped),
            ),
            value_axis: axis("USD per chip-hour (owned)", AxisScale::Linear, Unit::UsdPerHour),
            categories: tco.iter().map(|t| (label_id(cfg, &t.accelerator), family(t.family))).collect(),
            segments: vec![
                seg("Capital (ex vendor margin)", |b| b.capital),
                seg("Vendor gross margin", |b| b.vendor_margin),
                seg("Maintenance", |b| b.maintenance),
                seg("Hosting (colocation)", |b| b.hosting),
                seg("Energy", |b| b.energy),
            ],
        }),
    });

    // 7. Fleet.
    let (fleet, fleet_skipped) = curves::fleet(cfg, iw, &accs, &v);
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
    charts.push(ChartFile {
        stem: "fleet-what-the-budget-buys",
        caption: format!("What {budget} of capex buys per accelerator"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("What {budget} of capex buys"),
                format!(
                    "Chips at chip price x (1 + system overhead) · effective BF16 PFLOP/s at training MFU · output tokens/day served of {}",
                    iw.map_or("the inference workload".to_string(), |w| w.id.clone())
                ),
                notes_of(&fleet_skipped),
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
    });

    // 8. Headline: ratios to the reference.
    let ratio_panel = |t: Option<&WorkloadTable>, title: String| {
        let mut bars: Vec<Bar> = t
            .map(|t| {
                t.rows
                    .iter()
                    .filter_map(|r| {
                        let x = r.ratio_to_reference?;
                        Some(Bar {
                            label: label_id(cfg, &r.accelerator),
                            family: family(r.family),
                            value: x,
                            text: format!("{}x", num(x, 2)),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        bars.sort_by(|a, b| a.value.total_cmp(&b.value));
        BarChart {
            frame: Frame {
                title,
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
            },
            value_axis: axis(&format!("Cost relative to {ref_label} (x)"), AxisScale::Linear, Unit::Ratio),
            bars,
            reference_line: Some((1.0, format!("{ref_label} = 1.0x"))),
        }
    };
    let ttab = tw.and_then(|w| tables.iter().find(|t| t.id == w.id));
    let itab = iw.and_then(|w| tables.iter().find(|t| t.id == w.id));
    charts.push(ChartFile {
        stem: "headline-cost-vs-reference",
        caption: format!("Each accelerator's cost relative to {ref_label}"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("{}: cost relative to {ref_label}", cfg.report.title),
                format!("Lower is cheaper · basis {basis}"),
                headline_notes(cfg, ttab, itab, &calibration),
            ),
            panels: vec![
                ratio_panel(ttab, format!("Training: {}", tw.map_or("-".into(), |w| w.name.clone()))),
                ratio_panel(itab, format!("Inference: {}", iw.map_or("-".into(), |w| w.name.clone()))),
            ],
        }),
    });

    // 9-10. Tornado and break-even map for the tornado accelerator.
    let tornado_acc = cfg
        .report
        .tornado_accelerator
        .as_deref()
        .and_then(|id| cfg.accelerator(id))
        .or_else(|| {
            ttab.and_then(|t| {
                t.rows
                    .iter()
                    .filter(|r| r.family != Family::Gpu)
                    .min_by(|a, b| a.figures.metric().total_cmp(&b.figures.metric()))
                    .and_then(|r| cfg.accelerator(&r.accelerator))
            })
        });
    let mut tornado = None;
    let mut break_even = None;
    if let (Some(a), Some(r), Some(w)) = (tornado_acc, reference, tw) {
        tornado = sensitivity::tornado(cfg, Workload::Training(w), a, r);
        if let Some(t) = &tornado {
            // Inputs that move the ratio by less than 0.5% are listed, not drawn.
            let visible: Vec<_> = t.swings.iter().filter(|s| s.width() >= 0.005 * t.base_ratio).collect();
            let shown: Vec<_> = visible.iter().take(12).copied().collect();
            let hidden: Vec<String> = t
                .swings
                .iter()
                .filter(|s| !shown.iter().any(|x| x.param == s.param))
                .map(|s| short_path(&s.param))
                .collect();
            let mut notes = Vec::new();
            if !hidden.is_empty() {
                notes.push(format!("Moving the ratio by under 0.5% (not drawn): {}", hidden.join(", ")));
            }
            charts.push(ChartFile {
                stem: "tornado",
                caption: format!("What moves {}'s training cost relative to {ref_label}", label(a)),
                chart: Chart::Tornado(TornadoChart {
                    frame: frame(
                        format!("What decides {} vs {ref_label}", label(a)),
                        format!("{} · each ranged input at its low / high, the rest at base · basis {basis}", w.name),
                        notes,
                    ),
                    value_axis: axis(
                        &format!("Training cost relative to {ref_label} (x)"),
                        AxisScale::Linear,
                        Unit::Ratio,
                    ),
                    base: t.base_ratio,
                    bars: shown
                        .iter()
                        .map(|s| TornadoBar {
                            input: short_path(&s.param),
                            low_value: s.ratio_at_low,
                            high_value: s.ratio_at_high,
                            low_input: num(s.low_input, 3),
                            high_input: num(s.high_input, 3),
                        })
                        .collect(),
                    marks: vec![(1.0, format!("parity with {ref_label}"))],
                }),
            });
        }
        if let Some(row) = ttab.and_then(|t| t.rows.iter().find(|r| r.accelerator == a.id))
            && let Some(ratio) = row.ratio_to_reference
        {
            let price = row.figures.usd_per_chip_hour();
            let m = sensitivity::break_even_map(&w.id, &a.id, &r.id, price, ratio);
            charts.push(ChartFile {
                stem: "break-even-map",
                caption: format!("Break-even map: {} vs {ref_label} on {}", label(a), w.name),
                chart: Chart::Heatmap(Heatmap {
                    frame: frame(
                        format!("When does {} beat {ref_label}?", label(a)),
                        format!("{} · cost ratio to {ref_label} by price and efficiency · basis {basis}", w.name),
                        vec![format!(
                            "Break-even price at configured efficiency: ${}/chip-hour (today ${})",
                            num(m.break_even_price, 3),
                            num(price, 3)
                        )],
                    ),
                    x: axis(
                        &format!("{} price (USD per chip-hour)", label(a)),
                        AxisScale::Linear,
                        Unit::UsdPerHour,
                    ),
                    y: axis(
                        &format!("{} efficiency relative to configured MFU (x)", label(a)),
                        AxisScale::Linear,
                        Unit::Ratio,
                    ),
                    xs: m.prices.clone(),
                    ys: m.efficiencies.clone(),
                    z: m.ratios.clone(),
                    contour: 1.0,
                    contour_label: format!("same cost as {ref_label}"),
                    marker: Some((price, 1.0, "today".into())),
                }),
            });
            break_even = Some(m);
        }
    }

    let findings = findings(cfg, &tables, &ref_label, tornado.as_ref());
    let summary = summary(cfg, &tables, &calibration, tornado.as_ref(), break_even.as_ref(), &pp, &fleet, &tco);
    ReportData {
        charts,
        tables,
        calibration,
        tornado,
        break_even,
        findings,
        summary,
    }
}

/// What a reader of the headline must know: who is missing and why, and which rows use a
/// benchmark rather than the roofline.
fn headline_notes(cfg: &Config, ttab: Option<&WorkloadTable>, itab: Option<&WorkloadTable>, cal: &CalibrationReport) -> Vec<String> {
    let mut notes = Vec::new();
    for (kind, t) in [("training", ttab), ("inference", itab)] {
        if let Some(t) = t
            && !t.skipped.is_empty()
        {
            // Reasons read "<id> <why>": group the ids by why.
            let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
            for sk in &t.skipped {
                let why = sk
                    .reason
                    .strip_prefix(sk.accelerator.as_str())
                    .unwrap_or(&sk.reason)
                    .trim()
                    .to_string();
                match groups.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, ids)) => ids.push(&sk.accelerator),
                    None => groups.push((why, vec![&sk.accelerator])),
                }
            }
            let parts: Vec<String> = groups.iter().map(|(why, ids)| format!("{} ({why})", ids.join(", "))).collect();
            notes.push(format!("Not in {kind}: {}", parts.join("; ")));
        }
    }
    if let Some(t) = itab {
        let checks = &cal.measured;
        for r in &t.rows {
            if let evaluate::Figures::Inference(f) = r.figures
                && f.measured
            {
                let roofline = checks
                    .iter()
                    .find(|m| m.accelerator == r.accelerator && m.workload == t.id)
                    .map(|m| {
                        format!(
                            "; the roofline used for chips without one gives {}x of it",
                            num(m.roofline_to_measured, 2)
                        )
                    })
                    .unwrap_or_default();
                notes.push(format!(
                    "Inference: {} uses a measured benchmark ({} tokens/s/chip){roofline}",
                    label_id(cfg, &r.accelerator),
                    num(f.output_tokens_per_s_per_chip, 4)
                ));
            }
        }
    }
    notes
}

/// True when the accelerator's price on the config's basis is listed as an estimate.
fn price_is_estimate(cfg: &Config, id: &str) -> bool {
    cfg.accelerator(id)
        .and_then(|a| a.price_param(cfg.economics.basis))
        .is_some_and(|p| cfg.params.info(p).estimate)
}

/// 3 significant digits with k / M / B, as the chart axes write them.
fn count(x: f64) -> String {
    crate::chart::format_value(x, &Unit::Count)
}

fn label_id(cfg: &Config, id: &str) -> String {
    cfg.accelerator(id).map_or_else(|| id.to_string(), label)
}

/// `accelerator.trn2.efficiency.training_mfu` -> `trn2 training_mfu`.
pub fn short_path(p: &str) -> String {
    let parts: Vec<&str> = p.split('.').collect();
    match parts.as_slice() {
        ["accelerator", id, .., key] => format!("{id} {key}"),
        ["economics", key] => format!("economics {key}"),
        [kind, id, .., key] => format!("{kind} {id} {key}"),
        _ => p.to_string(),
    }
}

fn findings(cfg: &Config, tables: &[WorkloadTable], ref_label: &str, tornado: Option<&Tornado>) -> Vec<String> {
    let mut out = Vec::new();
    for t in tables {
        let Some(best) = t.rows.iter().find(|r| r.cheapest) else { continue };
        let metric = |r: &evaluate::Row| match t.kind {
            Kind::Training => usd(r.figures.metric()),
            Kind::Inference => format!("${} per million output tokens", num(r.figures.metric(), 3)),
        };
        let mut s = format!(
            "**{}**: cheapest is {} at {}",
            t.name,
            label_id(cfg, &best.accelerator),
            metric(best)
        );
        if price_is_estimate(cfg, &best.accelerator) {
            s.push_str(" (its chip-hour price is an estimate: see Prices used)");
        }
        if let Some(r) = best.ratio_to_reference
            && best.accelerator != t.reference
        {
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!(", {}x the cost on {ref_label}", num(r, 2)));
            if let Some(b) = best.ratio_band {
                let _ = std::fmt::Write::write_fmt(&mut s, format_args!(" (P10–P90 {}x–{}x)", num(b.p10, 2), num(b.p90, 2)));
            }
        }
        s.push('.');
        let per_family: Vec<String> = Family::ALL
            .iter()
            .filter_map(|f| {
                let r = t
                    .rows
                    .iter()
                    .filter(|r| r.family == *f)
                    .min_by(|a, b| a.figures.metric().total_cmp(&b.figures.metric()))?;
                Some(format!(
                    "{} {} {}x",
                    f.name(),
                    label_id(cfg, &r.accelerator),
                    num(r.ratio_to_reference?, 2)
                ))
            })
            .collect();
        if per_family.len() > 1 {
            s.push_str(&format!(" Best of each family: {}.", per_family.join(", ")));
        }
        let close: Vec<String> = t
            .rows
            .iter()
            .filter(|r| r.accelerator != t.reference && r.ratio_to_reference.is_some_and(|x| (0.9..=1.1).contains(&x)))
            .filter_map(|r| {
                let be = r.break_even_usd_per_chip_hour?;
                let price = r.figures.usd_per_chip_hour();
                Some(format!(
                    "{} breaks even with {ref_label} at ${}/chip-hour (now ${})",
                    label_id(cfg, &r.accelerator),
                    num(be, 3),
                    num(price, 3)
                ))
            })
            .collect();
        if !close.is_empty() {
            s.push_str(&format!(" Close calls: {}.", close.join("; ")));
        }
        out.push(s);
    }
    if let Some(t) = tornado
        && let Some(top) = t.swings.first()
    {
        out.push(format!(
            "For {} vs {ref_label} on {}, the widest swing comes from `{}`: the cost ratio runs from {}x to {}x across its range (base {}x).",
            label_id(cfg, &t.accelerator),
            t.workload,
            top.param,
            num(top.ratio_at_low.min(top.ratio_at_high), 2),
            num(top.ratio_at_low.max(top.ratio_at_high), 2),
            num(t.base_ratio, 2)
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn summary(
    cfg: &Config,
    tables: &[WorkloadTable],
    cal: &CalibrationReport,
    tornado: Option<&Tornado>,
    be: Option<&BreakEvenMap>,
    pp: &[curves::PricePerf],
    fleet: &[curves::Fleet],
    tco: &[curves::Tco],
) -> Value {
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
        "sources": cfg.sources().iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    })
}

//! Exporters: the compare tables as text table, CSV, JSON or Markdown. Each is a pure function
//! returning bytes (hyperfine's `Exporter` shape); `crate::output` does all the writing.

mod csv;
pub use csv::{field as csv_field, neutralise as csv_text};
mod json;
pub mod markdown;
pub mod row;
pub mod table;
pub mod xlsx;

use crate::cli::TableFormat;
use crate::config::Config;
use crate::fmt::{num, usd};
use crate::model::compare::{Figures, Kind, Row, WorkloadTable};

pub use row::table_json;

/// What every exporter renders.
pub struct CompareView<'a> {
    pub cfg: &'a Config,
    pub tables: &'a [WorkloadTable],
}

pub trait Exporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8>;
}

pub fn exporter(format: TableFormat) -> Box<dyn Exporter> {
    match format {
        TableFormat::Table => Box::new(table::TableExporter),
        TableFormat::Csv => Box::new(csv::CsvExporter),
        TableFormat::Json => Box::new(json::JsonExporter),
        TableFormat::Markdown => Box::new(markdown::MarkdownExporter),
    }
}

/// One workload's table as plain cells, shared by the text, Markdown and CSV exporters.
pub struct Grid {
    pub title: String,
    pub headers: Vec<String>,
    /// How many leading columns are names (left-aligned); the rest are numbers.
    pub left_cols: usize,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

fn band_text(row: &Row, key: &str, f: fn(f64) -> String) -> String {
    row.bands
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(String::new(), |(_, b)| format!("{}–{}", f(b.p10), f(b.p90)))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or("–".into(), |r| format!("{}x", num(r, 3)))
}

/// One column of the text and Markdown tables: its header and how a row shows in it.
pub struct Column {
    pub header: &'static str,
    pub cell: fn(&Row) -> String,
}

fn training(r: &Row) -> Option<&crate::model::training::TrainingFigures> {
    match &r.figures {
        Figures::Training(f) => Some(f),
        Figures::Inference(_) => None,
    }
}

fn inference(r: &Row) -> Option<&crate::model::inference::InferenceFigures> {
    match &r.figures {
        Figures::Inference(f) => Some(f),
        Figures::Training(_) => None,
    }
}

fn show(x: Option<String>) -> String {
    x.unwrap_or_else(|| "–".into())
}

const MARK: Column = Column {
    header: "",
    cell: |r| if r.cheapest { "*" } else { "" }.into(),
};
const ACCELERATOR: Column = Column {
    header: "accelerator",
    cell: |r| r.accelerator.clone(),
};
const PRICE: Column = Column {
    header: "USD/chip-h",
    cell: |r| num(r.figures.usd_per_chip_hour(), 3),
};
const OFFER: Column = Column {
    header: "offer",
    cell: offer_cell,
};
const RATIO: Column = Column {
    header: "x ref",
    cell: |r| ratio(r.ratio_to_reference),
};
const BREAK_EVEN_PRICE: Column = Column {
    header: "break-even USD/chip-h",
    cell: |r| r.break_even_usd_per_chip_hour.map_or("–".into(), |b| num(b, 3)),
};
const BREAK_EVEN_EFFICIENCY: Column = Column {
    header: "break-even efficiency",
    cell: |r| r.break_even_efficiency.map_or("–".into(), |e| format!("{}x", num(e, 3))),
};

/// The columns of a training table, in order.
pub const TRAINING_COLUMNS: &[Column] = &[
    MARK,
    ACCELERATOR,
    PRICE,
    OFFER,
    Column {
        header: "chip-hours",
        cell: |r| show(training(r).map(|f| num(f.chip_hours, 3))),
    },
    Column {
        header: "billed chip-hours",
        cell: |r| {
            show(training(r).and_then(|f| {
                let (c, h, bch) = (f.billed_chips?, f.billed_hours?, f.billed_chip_hours?);
                Some(format!("{} ({c} chips x {} h)", num(bch, 3), num(h, 3)))
            }))
        },
    },
    Column {
        header: "cost",
        cell: |r| show(training(r).map(|f| usd(f.cost_usd))),
    },
    Column {
        header: "P10–P90 cost",
        cell: |r| band_text(r, "cost_usd", usd),
    },
    Column {
        header: "wall days",
        cell: |r| show(training(r).and_then(|f| f.wall_days).map(|d| num(d, 3))),
    },
    Column {
        header: "min chips",
        cell: |r| {
            show(training(r).map(|f| {
                let n = if f.min_chips == u64::MAX {
                    "none".to_string()
                } else {
                    f.min_chips.to_string()
                };
                format!("{n}{}", if f.feasible { "" } else { " (infeasible)" })
            }))
        },
    },
    RATIO,
    BREAK_EVEN_PRICE,
    BREAK_EVEN_EFFICIENCY,
];

/// The columns of an inference table, in order.
pub const INFERENCE_COLUMNS: &[Column] = &[
    MARK,
    ACCELERATOR,
    PRICE,
    OFFER,
    Column {
        header: "chips/replica",
        cell: |r| show(inference(r).map(|f| f.chips_per_replica.to_string())),
    },
    Column {
        header: "batch",
        cell: |r| show(inference(r).map(|f| num(f.batch, 3))),
    },
    Column {
        header: "out tok/s/chip",
        cell: |r| show(inference(r).map(|f| num(f.output_tokens_per_s_per_chip, 4))),
    },
    Column {
        header: "tok/s/user",
        cell: |r| {
            show(inference(r).map(|f| {
                format!(
                    "{}{}",
                    num(f.tokens_per_s_per_user, 3),
                    if f.meets_target { "" } else { " (below target)" }
                )
            }))
        },
    },
    Column {
        header: "TTFT s",
        cell: |r| show(inference(r).map(|f| num(f.ttft_s, 3))),
    },
    Column {
        header: "USD/M in",
        cell: |r| show(inference(r).map(|f| num(f.usd_per_m_input_tokens, 3))),
    },
    Column {
        header: "USD/M out",
        cell: |r| show(inference(r).map(|f| num(f.usd_per_m_output_tokens, 3))),
    },
    Column {
        header: "P10–P90 USD/M out",
        cell: |r| band_text(r, "usd_per_m_output_tokens", |x| num(x, 3)),
    },
    Column {
        header: "USD/M all",
        cell: |r| show(inference(r).map(|f| num(f.usd_per_m_tokens, 3))),
    },
    RATIO,
    Column {
        header: "x ref/request",
        cell: |r| ratio(r.request_ratio),
    },
    BREAK_EVEN_PRICE,
    BREAK_EVEN_EFFICIENCY,
];

/// Cells for a table through its kind's column list: readable units, the cheapest marked `*`.
pub fn grid(view: &CompareView<'_>, t: &WorkloadTable) -> Grid {
    let columns = match t.kind {
        Kind::Training => TRAINING_COLUMNS,
        Kind::Inference => INFERENCE_COLUMNS,
    };
    Grid {
        headers: columns.iter().map(|c| c.header.to_string()).collect(),
        left_cols: 2,
        title: format!(
            "{} — {} ({}, basis {}, reference {})",
            t.id,
            t.name,
            row::kind_name(t.kind),
            view.cfg.economics.basis.name(),
            t.reference
        ),
        rows: t.rows.iter().map(|r| columns.iter().map(|c| (c.cell)(r)).collect()).collect(),
        notes: t
            .rows
            .iter()
            .filter_map(|r| r.price_note.as_ref().map(|n| format!("{} {}: {n}", price_mark(r), r.accelerator)))
            .chain(t.skipped.iter().map(|s| format!("skipped: {}", s.reason)))
            .collect(),
    }
}

/// The mark of a row's price that is not of the basis's market, as on the charts: ‡ the
/// planner's negotiated price, † any other (another term or market, an owned estimate).
fn price_mark(r: &Row) -> &'static str {
    if r.price_origin == crate::model::price::PriceOrigin::Negotiated {
        "‡"
    } else {
        "†"
    }
}

/// "AWS on_demand 2026-01", "(est.)" when the offer's price is an estimate, † (‡ negotiated) when
/// the row has a `price_note`.
fn offer_cell(r: &Row) -> String {
    let mut s = r.offer.as_ref().map_or("–".to_string(), |o| {
        let mut s = format!("{} {}", o.provider, o.term);
        if let Some(a) = &o.as_of {
            s.push(' ');
            s.push_str(a);
        }
        if o.estimate {
            s.push_str(" (est.)");
        }
        s
    });
    if r.price_note.is_some() {
        s.push(' ');
        s.push_str(price_mark(r));
    }
    s
}

/// The calibration runs as a grid (for `calibrate` and report.md): per run the error of today's
/// model, of the rule of thumb and of the leave-one-out fit, and the three medians.
pub fn calibration_grid(rep: &crate::model::calibrate::CalibrationReport) -> Grid {
    let pct = |x: Option<f64>| x.map_or("–".into(), |e| format!("{e:+.1}%"));
    let med = |x: Option<f64>| x.map_or("–".into(), |m| format!("{m:.1}%"));
    let mut notes = vec![format!(
        "median |error|: model {}, rule of thumb (40% MFU of bf16 peak, 6ND, no goodput) {}, leave-one-out fit {}",
        med(rep.median_abs_error_pct),
        med(rep.rule_of_thumb_median_abs_error_pct),
        med(rep.loo_median_abs_error_pct)
    )];
    let [md, mm, ld, lm] = rep.dense_moe_median_abs_error_pct;
    notes.push(format!(
        "dense runs: model {}, leave-one-out {}; mixture-of-experts runs: model {}, leave-one-out {}",
        med(md),
        med(ld),
        med(mm),
        med(lm)
    ));
    for m in &rep.moe_fit {
        notes.push(format!(
            "MoE training efficiency, {} matmuls, fitted on {} MoE runs: {:.3} of the chip's dense MFU at 10B active parameters, times (active / 10B)^{:.3} (range {:.3}-{:.3} at 10B); a MoE run's configured MFU column is the chip's dense MFU",
            m.matmuls,
            m.runs.len(),
            m.efficiency,
            m.exponent,
            m.low,
            m.high
        ));
    }
    notes.push(
        "implied MFU: steady-state MFU that reproduces the reported hours (all_in hours divided by goodput); leave-one-out: MFU fitted on the chip's other runs at that precision, else its family's (F)".into(),
    );
    if !rep.accelerators_without_runs.is_empty() {
        notes.push(format!(
            "no public run for: {} (their training_mfu are estimates)",
            rep.accelerators_without_runs.join(", ")
        ));
    }
    notes.extend(rep.skipped.iter().map(|k| format!("skipped: {}", k.reason)));
    Grid {
        title: "Calibration: predicted vs reported chip-hours of public training runs".into(),
        headers: [
            "run",
            "chip",
            "precision",
            "hours",
            "reported chip-hours",
            "predicted",
            "error",
            "rule of thumb",
            "leave-one-out",
            "implied MFU",
            "configured MFU",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        left_cols: 4,
        rows: rep
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.accelerator.clone(),
                    r.precision.to_string(),
                    r.hours_basis.name().to_string(),
                    num(r.reported_chip_hours, 4),
                    r.predicted_chip_hours.map_or("–".into(), |p| num(p, 4)),
                    pct(r.error_pct),
                    pct(Some(r.rule_of_thumb_error_pct)),
                    format!("{}{}", pct(r.loo_error_pct), if r.loo_from == Some("family") { " (F)" } else { "" }),
                    format!("{:.1}%", r.implied_mfu * 100.0),
                    r.configured_mfu.map_or("–".into(), |m| format!("{:.1}%", m * 100.0)),
                ]
            })
            .collect(),
        notes,
    }
}

/// The serving benchmarks against the step model: every point, then the median per chip and per
/// source.
pub fn benchmark_grids(rep: &crate::model::calibrate::CalibrationReport) -> Vec<Grid> {
    use crate::model::fit::median_abs;
    let pct = |x: Option<f64>| x.map_or("–".into(), |e| format!("{e:+.1}%"));
    let points = Grid {
        title: "Serving benchmarks ([[measured]]): step model vs measured, at each benchmark's conditions".into(),
        headers: [
            "workload",
            "chip",
            "source",
            "measured tok/s/chip",
            "model",
            "error",
            "measured tok/s/user",
            "model",
            "error",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        left_cols: 3,
        rows: rep
            .benchmarks
            .iter()
            .map(|b| {
                vec![
                    b.workload.clone(),
                    b.accelerator.clone(),
                    b.source.clone(),
                    num(b.measured_output_tokens_per_s_per_chip, 4),
                    num(b.predicted_output_tokens_per_s_per_chip, 4),
                    format!("{:+.1}%", b.error_pct),
                    b.measured_tokens_per_s_per_user.map_or("–".into(), |u| num(u, 3)),
                    num(b.predicted_tokens_per_s_per_user, 3),
                    pct(b.user_error_pct),
                ]
            })
            .collect(),
        notes: rep
            .benchmarks_median_abs_error_pct
            .map(|m| {
                format!(
                    "median absolute error (output tokens/s per chip): {m:.1}% over {} benchmarks",
                    rep.benchmarks.len()
                )
            })
            .into_iter()
            .collect(),
    };
    let group = |title: &str, key: &dyn Fn(&crate::model::calibrate::BenchmarkCheck) -> String| {
        let mut keys: Vec<String> = rep.benchmarks.iter().map(key).collect();
        keys.sort();
        keys.dedup();
        Grid {
            title: title.into(),
            headers: [
                "",
                "points",
                "median |error| tok/s/chip",
                "per-user points",
                "median |error| tok/s/user",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            left_cols: 1,
            rows: keys
                .iter()
                .map(|k| {
                    let bs: Vec<_> = rep.benchmarks.iter().filter(|b| key(b) == *k).collect();
                    let e: Vec<f64> = bs.iter().map(|b| b.error_pct).collect();
                    let u: Vec<f64> = bs.iter().filter_map(|b| b.user_error_pct).collect();
                    vec![
                        k.clone(),
                        bs.len().to_string(),
                        median_abs(&e).map_or("–".into(), |m| format!("{m:.1}%")),
                        u.len().to_string(),
                        median_abs(&u).map_or("–".into(), |m| format!("{m:.1}%")),
                    ]
                })
                .collect(),
            notes: Vec::new(),
        }
    };
    vec![
        points,
        group("Serving benchmarks by chip", &|b| b.accelerator.clone()),
        group("Serving benchmarks by source", &|b| b.source.clone()),
    ]
}

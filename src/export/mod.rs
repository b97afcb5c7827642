//! Exporters: the compare tables as text table, CSV, JSON or Markdown. Each is a pure function
//! returning bytes (hyperfine's `Exporter` shape); `crate::output` does all the writing.

mod csv;
pub use csv::field as csv_field;
mod json;
pub mod markdown;
pub mod table;

use crate::cli::TableFormat;
use crate::config::Config;
use crate::fmt::{num, usd};
use crate::model::evaluate::{Figures, Kind, Row, WorkloadTable};

pub use json::{row_json, table_json};

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

/// Cells for a table: readable units, the cheapest marked with `*`.
pub fn grid(view: &CompareView<'_>, t: &WorkloadTable) -> Grid {
    let headers = match t.kind {
        Kind::Training => vec![
            "",
            "accelerator",
            "USD/chip-h",
            "chip-hours",
            "cost",
            "P10–P90 cost",
            "wall days",
            "min chips",
            "x ref",
            "break-even USD/chip-h",
            "break-even efficiency",
        ],
        Kind::Inference => vec![
            "",
            "accelerator",
            "USD/chip-h",
            "chips/replica",
            "out tok/s/chip",
            "tok/s/user",
            "TTFT s",
            "USD/M out",
            "P10–P90 USD/M out",
            "USD/M all",
            "x ref",
            "break-even USD/chip-h",
            "break-even efficiency",
        ],
    };
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let mark = if r.cheapest { "*" } else { "" }.to_string();
            let be = r.break_even_usd_per_chip_hour.map_or("–".into(), |b| num(b, 3));
            let be_eff = r.break_even_efficiency.map_or("–".into(), |e| format!("{}x", num(e, 3)));
            match r.figures {
                Figures::Training(f) => vec![
                    mark,
                    r.accelerator.clone(),
                    num(f.usd_per_chip_hour, 3),
                    num(f.chip_hours, 3),
                    usd(f.cost_usd),
                    band_text(r, "cost_usd", usd),
                    f.wall_days.map_or("–".into(), |d| num(d, 3)),
                    format!("{}{}", f.min_chips, if f.feasible { "" } else { " (infeasible)" }),
                    ratio(r.ratio_to_reference),
                    be,
                    be_eff,
                ],
                Figures::Inference(f) => vec![
                    mark,
                    r.accelerator.clone(),
                    num(f.usd_per_chip_hour, 3),
                    f.chips_per_replica.to_string(),
                    format!(
                        "{}{}",
                        num(f.output_tokens_per_s_per_chip, 4),
                        if f.measured { " (measured)" } else { "" }
                    ),
                    num(f.tokens_per_s_per_user, 3),
                    num(f.ttft_s, 3),
                    num(f.usd_per_m_output_tokens, 3),
                    band_text(r, "usd_per_m_output_tokens", |x| num(x, 3)),
                    num(f.usd_per_m_tokens, 3),
                    ratio(r.ratio_to_reference),
                    be,
                    be_eff,
                ],
            }
        })
        .collect();
    let kind = match t.kind {
        Kind::Training => "training",
        Kind::Inference => "inference",
    };
    Grid {
        headers: headers.into_iter().map(String::from).collect(),
        left_cols: 2,
        title: format!(
            "{} — {} ({kind}, basis {}, reference {})",
            t.id,
            t.name,
            view.cfg.economics.basis.name(),
            t.reference
        ),
        rows,
        notes: t.skipped.iter().map(|s| format!("skipped: {}", s.reason)).collect(),
    }
}

/// The calibration runs as a grid (for `calibrate` and report.md).
pub fn calibration_grid(rep: &crate::model::calibrate::CalibrationReport) -> Grid {
    Grid {
        title: "Calibration: predicted vs reported chip-hours of public training runs".into(),
        headers: [
            "run",
            "chip",
            "reported chip-hours",
            "predicted",
            "error",
            "implied MFU",
            "configured MFU",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        left_cols: 2,
        rows: rep
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.accelerator.clone(),
                    num(r.reported_chip_hours, 4),
                    num(r.predicted_chip_hours, 4),
                    format!("{:+.1}%", r.error_pct),
                    format!("{:.1}%", r.implied_mfu * 100.0),
                    format!("{:.1}%", r.configured_mfu * 100.0),
                ]
            })
            .collect(),
        notes: rep
            .median_abs_error_pct
            .map(|m| format!("median absolute error: {m:.1}%"))
            .into_iter()
            .chain(rep.skipped.iter().map(|k| format!("skipped: {}", k.reason)))
            .collect(),
    }
}

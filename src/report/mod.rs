//! `report`: the main job. Builds every chart from the model (`build`), renders each as PNG
//! and/or SVG with its CSV, then `summary.json` and `report.md`, and publishes them as one set
//! through `crate::output` (a failure leaves the earlier set intact).

mod build;
pub(crate) mod charts;
mod context;
mod csv;
mod findings;
mod markdown;
mod summary;

use std::path::Path;

use crate::chart::{self, Canvas, Format};
use crate::cli::ImageFormat;
use crate::config::Config;
use crate::error::AppError;
use crate::output::{OutFile, RunDir};

pub use build::{ReportData, build};

/// The workbook's file name (docs/cli.md "The workbook").
pub const WORKBOOK: &str = "accel-cost.xlsx";

/// One output chart: its file stem, the chart, and what the report says about it.
pub struct ChartFile {
    pub stem: &'static str,
    pub caption: String,
    pub chart: chart::Chart,
    /// The CSV beside the image when the chart's own points do not say enough (the
    /// waterfall's states); `None`: taken from the chart.
    pub csv: Option<String>,
}

/// Renders every chart to bytes (on both cores), adds the CSVs, `summary.json` and
/// `report.md`, and hands the set to [`crate::output::RunDir`], which publishes it whole or
/// not at all.
pub fn run(cfg: &Config, out: &Path, format: ImageFormat, scale: u32) -> Result<(), AppError> {
    // Every name this run may write: a planner's own file of such a name stops the run before
    // any work (publish checks again, for the names actually written).
    let mut names: Vec<String> = vec!["summary.json".into(), "report.md".into(), WORKBOOK.into()];
    for def in charts::CHARTS {
        for ext in ["png", "svg", "csv"] {
            names.push(format!("{}.{ext}", def.stem));
        }
    }
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let foreign = crate::output::not_ours(out, &name_refs);
    if !foreign.is_empty() {
        let (what, hint) = crate::output::foreign_message(out, &foreign);
        return Err(AppError::usage(what, hint));
    }
    let run_dir = RunDir::open(out).map_err(|e| AppError::Io(e.0))?;

    let canvas = Canvas {
        width: 1600 * scale,
        height: 1000 * scale,
    };
    let formats: &[(Format, &str)] = match format {
        ImageFormat::Png => &[(Format::Png, "png")],
        ImageFormat::Svg => &[(Format::Svg, "svg")],
        ImageFormat::Both => &[(Format::Png, "png"), (Format::Svg, "svg")],
    };
    // Each chart is rendered as soon as it is built, on the core that built it.
    let render_one = |c: &ChartFile| -> Result<Vec<OutFile>, AppError> {
        let mut files = Vec::new();
        for (f, ext) in formats {
            let name = format!("{}.{ext}", c.stem);
            let bytes = chart::render_bytes(&c.chart, canvas.fit_rows(&c.chart), *f)
                .map_err(|e| AppError::Io(format!("cannot render {name}: {e}")))?;
            files.push(OutFile { name, bytes });
        }
        files.push(OutFile {
            name: format!("{}.csv", c.stem),
            bytes: c.csv.clone().unwrap_or_else(|| csv::chart_csv(&c.chart)).into_bytes(),
        });
        Ok(files)
    };
    let (data, results) = build::build_and(cfg, render_one);
    // The workbook after the charts, on this thread: a third thread beside the two that draw
    // made running out of memory abort (two threads failing at once) instead of the one-line
    // error (tests/it/safe_outputs.rs).
    let workbook = crate::export::xlsx::workbook(cfg, &data.tables);
    for t in &data.tables {
        if let Some(m) = crate::model::compare::reference_missing(t) {
            crate::msg::warn(format_args!("warning: {m}"));
        }
    }
    // Every chip left out of a workload's table, and why (the headline's notes say the same).
    let mut left_out: Vec<(String, Vec<&str>)> = Vec::new();
    for t in &data.tables {
        for sk in &t.skipped {
            // With fallback, a chip without a price has none on any public term or market.
            let none_at_all = cfg.economics.fallback
                && cfg
                    .accelerator(&sk.accelerator)
                    .is_some_and(|a| a.price_origin(&cfg.economics) == crate::model::price::PriceOrigin::Missing);
            let why = if none_at_all {
                format!("{} ({}, nor any public price on another term or market)", sk.accelerator, sk.why)
            } else {
                format!("{} ({})", sk.accelerator, sk.why)
            };
            match left_out.iter_mut().find(|(w, _)| *w == why) {
                Some((_, ids)) => ids.push(&t.id),
                None => left_out.push((why, vec![&t.id])),
            }
        }
    }
    if !left_out.is_empty() {
        let n = data.tables.len();
        let parts: Vec<String> = left_out
            .iter()
            .map(|(why, ids)| {
                if ids.len() == n {
                    why.clone()
                } else {
                    format!("{why} in {}", ids.join(", "))
                }
            })
            .collect();
        // One line per reason, so a terminal or a CI log shows each chip and why (`warn`
        // escapes line breaks, so each line is its own call).
        crate::msg::warn("warning: left out of the report:");
        let last = parts.len() - 1;
        for (k, part) in parts.iter().enumerate() {
            crate::msg::warn(format_args!("  {part}{}", if k < last { ";" } else { "" }));
        }
    }
    // The headline's inference panel leaves out a chip below the per-user target (its notes
    // say the same).
    if let Some(n) = cfg
        .report
        .inference_workload
        .as_deref()
        .and_then(|id| data.tables.iter().find(|t| t.id == id))
        .and_then(|t| charts::below_target_note(cfg, t))
    {
        crate::msg::warn(format_args!("warning: headline: {n}"));
    }
    for (name, why) in &data.not_drawn {
        crate::msg::warn(format_args!("warning: chart `{name}` not drawn: {why}"));
    }
    let mut files = Vec::new();
    for r in results {
        files.extend(r?);
    }
    let image_ext = formats.first().map_or("png", |(_, e)| e);
    let mut json = serde_json::to_vec_pretty(&data.summary).unwrap_or_default();
    json.push(b'\n');
    files.push(OutFile {
        name: "summary.json".into(),
        bytes: json,
    });
    files.push(OutFile {
        name: "report.md".into(),
        bytes: markdown::report_md(cfg, &data, image_ext).into_bytes(),
    });
    // A workbook the model's steps cannot fill is left out, said, and never stops the report.
    match workbook {
        Ok(w) => files.push(OutFile {
            name: WORKBOOK.into(),
            bytes: w.bytes,
        }),
        Err(e) => crate::msg::warn(format_args!("warning: {e}; {WORKBOOK} not written")),
    }
    let wrote_workbook = files.iter().any(|f| f.name == WORKBOOK);
    let n = run_dir.publish(&files).map_err(|e| AppError::Io(e.0))?;
    let charts = data.charts.len();
    // Name the workbook only when it was written (a warning above says why when not).
    let msg = format!(
        "Wrote {n} files to {}/ ({charts} chart{}, CSVs, summary.json, report.md{})\n",
        out.display(),
        if charts == 1 { "" } else { "s" },
        if wrote_workbook {
            format!(", {WORKBOOK}")
        } else {
            ", no workbook".into()
        }
    );
    crate::output::stdout(msg.as_bytes())?;
    Ok(())
}

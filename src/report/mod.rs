//! `report`: the main job. Builds every chart from the model (`build`), writes each as PNG
//! and/or SVG with its CSV, then `summary.json` and `report.md`. Every file is written
//! atomically; a failure leaves earlier outputs intact.

mod build;
pub mod charts;
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
use crate::output::write_atomic;

pub use build::{ReportData, build};

/// One output chart: its file stem, the chart, and what the report says about it.
pub struct ChartFile {
    pub stem: &'static str,
    pub caption: String,
    pub chart: chart::Chart,
}

pub fn run(cfg: &Config, out: &Path, format: ImageFormat, scale: u32) -> Result<(), AppError> {
    std::fs::create_dir_all(out).map_err(|e| AppError::Io(format!("cannot create output folder {}: {e}", out.display())))?;
    let probe = out.join(".accel-cost-write-test");
    write_atomic(&probe, b"").map_err(|e| AppError::Io(format!("output folder {} is not writable: {e}", out.display())))?;
    let _ = std::fs::remove_file(&probe);

    let data = build(cfg);
    for (name, why) in &data.not_drawn {
        crate::msg::warn(format_args!("warning: chart `{name}` not drawn: {why}"));
    }
    let canvas = Canvas {
        width: 1600 * scale,
        height: 1000 * scale,
    };
    let mut written = Vec::new();
    let formats: &[(Format, &str)] = match format {
        ImageFormat::Png => &[(Format::Png, "png")],
        ImageFormat::Svg => &[(Format::Svg, "svg")],
        ImageFormat::Both => &[(Format::Png, "png"), (Format::Svg, "svg")],
    };
    // Charts are independent: render them on both cores.
    let render_one = |c: &ChartFile| -> Result<Vec<std::path::PathBuf>, AppError> {
        let mut paths = Vec::new();
        for (f, ext) in formats {
            let path = out.join(format!("{}.{ext}", c.stem));
            chart::render(&c.chart, canvas, *f, &path).map_err(|e| AppError::Io(format!("cannot render {}: {e}", path.display())))?;
            paths.push(path);
        }
        let path = out.join(format!("{}.csv", c.stem));
        write_atomic(&path, csv::chart_csv(&c.chart).as_bytes())
            .map_err(|e| AppError::Io(format!("cannot write {}: {e}", path.display())))?;
        paths.push(path);
        Ok(paths)
    };
    let even: Vec<&ChartFile> = data.charts.iter().step_by(2).collect();
    let odd: Vec<&ChartFile> = data.charts.iter().skip(1).step_by(2).collect();
    let results: Vec<Result<Vec<std::path::PathBuf>, AppError>> = std::thread::scope(|s| {
        let h = s.spawn(|| odd.iter().map(|c| render_one(c)).collect::<Vec<_>>());
        let mut mine: Vec<_> = even.iter().map(|c| render_one(c)).collect();
        match h.join() {
            Ok(theirs) => mine.extend(theirs),
            Err(_) => mine.push(Err(AppError::Io("a chart-rendering thread failed".into()))),
        }
        mine
    });
    for r in results {
        written.extend(r?);
    }
    let summary = out.join("summary.json");
    let mut json = serde_json::to_vec_pretty(&data.summary).unwrap_or_default();
    json.push(b'\n');
    write_atomic(&summary, &json).map_err(|e| AppError::Io(format!("cannot write {}: {e}", summary.display())))?;
    written.push(summary);
    let md = out.join("report.md");
    let image_ext = formats.first().map_or("png", |(_, e)| e);
    write_atomic(&md, markdown::report_md(cfg, &data, image_ext).as_bytes())
        .map_err(|e| AppError::Io(format!("cannot write {}: {e}", md.display())))?;
    written.push(md);
    let msg = format!(
        "Wrote {} files to {}/ ({} charts, CSVs, summary.json, report.md)\n",
        written.len(),
        out.display(),
        data.charts.len()
    );
    crate::output::stdout(msg.as_bytes())?;
    Ok(())
}

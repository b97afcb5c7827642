//! report.md: title, findings written from the numbers, the tables, every chart, calibration,
//! and the sources the configs cite.

use std::fmt::Write;

use crate::config::Config;
use crate::export::CompareView;
use crate::export::markdown::markdown_table;
use crate::fmt::num;

use super::ReportData;

pub fn report_md(cfg: &Config, data: &ReportData, image_ext: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", cfg.report.title);
    let _ = writeln!(
        s,
        "Basis **{}** · reference **{}** · configs as of {} · config `{}` · accel-cost {}\n",
        cfg.economics.basis.name(),
        cfg.report.reference,
        cfg.as_of.as_deref().unwrap_or("(undated)"),
        cfg.hash,
        env!("CARGO_PKG_VERSION")
    );
    if !cfg.overrides.is_empty() {
        let _ = writeln!(s, "Overrides: {}\n", cfg.overrides.iter().map(|o| format!("`--set {o}`")).collect::<Vec<_>>().join(", "));
    }
    let _ = writeln!(s, "## Findings\n");
    for f in &data.findings {
        let _ = writeln!(s, "- {f}");
    }
    let _ = writeln!(s, "\n## Charts\n");
    for c in &data.charts {
        let _ = writeln!(s, "### {}\n\n![{}]({}.{image_ext})\n\nData: [{}.csv]({}.csv)\n", c.caption, c.caption, c.stem, c.stem, c.stem);
    }
    let _ = writeln!(s, "## Tables\n");
    let view = CompareView {
        cfg,
        basis: cfg.economics.basis,
        tables: &data.tables,
    };
    for t in &data.tables {
        let _ = writeln!(s, "{}", markdown_table(&view, t));
    }
    let _ = writeln!(s, "`*` cheapest per workload · `x ref` cost relative to the reference · break-even: the chip-hour price at which an accelerator costs what the reference does.\n");
    let _ = writeln!(s, "## Calibration against public training runs\n");
    let _ = writeln!(s, "| run | chip | reported chip-hours | predicted | error | implied MFU | configured MFU |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for r in &data.calibration.runs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:+.1}% | {:.1}% | {:.1}% |",
            r.id,
            r.accelerator,
            num(r.reported_chip_hours, 4),
            num(r.predicted_chip_hours, 4),
            r.error_pct,
            r.implied_mfu * 100.0,
            r.configured_mfu * 100.0
        );
    }
    if let Some(m) = data.calibration.median_abs_error_pct {
        let _ = writeln!(s, "\nMedian absolute error: {m:.1}%.");
    }
    let _ = writeln!(s, "\n## Sources\n");
    for src in cfg.sources() {
        let _ = writeln!(s, "- {src}");
    }
    s
}

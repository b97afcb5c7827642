//! From the model to the report's content: every chart of [`CHARTS`] that `report.charts`
//! selects, the tables, findings and summary.json. Pure: no I/O.

use serde_json::Value;

use crate::config::Config;
use crate::model::calibrate::CalibrationReport;
use crate::model::compare::WorkloadTable;

use crate::model::uncertainty::on_both_cores;

use super::ChartFile;
use super::charts::CHARTS;
use super::context::Context;

pub struct ReportData {
    pub charts: Vec<ChartFile>,
    /// Charts selected but not drawn: (name, why).
    pub not_drawn: Vec<(&'static str, String)>,
    pub tables: Vec<WorkloadTable>,
    pub calibration: CalibrationReport,
    pub findings: Vec<String>,
    pub summary: Value,
}

pub fn build(cfg: &Config) -> ReportData {
    build_and(cfg, |_| ()).0
}

/// [`build`], running `each` on every drawn chart as soon as it is built, on the core that
/// built it (the report renders there, so building and rendering overlap). Returns `each`'s
/// results in the order of `ReportData::charts`.
pub fn build_and<R: Send>(cfg: &Config, each: impl Fn(&ChartFile) -> R + Sync) -> (ReportData, Vec<R>) {
    let ctx = Context::new(cfg);
    let mut charts = Vec::new();
    let mut not_drawn = Vec::new();
    let selected: Vec<_> = CHARTS
        .iter()
        .filter(|def| cfg.report.charts.is_empty() || cfg.report.charts.iter().any(|c| c == def.name))
        .collect();
    // Charts are independent: build (and render) them on both cores, in report order.
    let mut done = Vec::new();
    let built = on_both_cores(&selected, |def| {
        let chart = (def.build)(&ctx).map(|mut c| {
            c.chart.drop_unused_mark_keys();
            c
        });
        let result = chart.as_ref().ok().map(&each);
        (chart, result)
    });
    for (def, (chart, result)) in selected.iter().zip(built) {
        match (chart, result) {
            (Ok(c), Some(r)) => {
                charts.push(c);
                done.push(r);
            }
            (Ok(c), None) => {
                done.push(each(&c));
                charts.push(c);
            }
            (Err(why), _) => not_drawn.push((def.name, why)),
        }
    }
    let findings = super::findings::findings(&ctx);
    let summary = super::summary::summary(&ctx);
    let data = ReportData {
        charts,
        not_drawn,
        tables: ctx.tables,
        calibration: ctx.calibration,
        findings,
        summary,
    };
    (data, done)
}

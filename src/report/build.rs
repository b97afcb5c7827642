//! From the model to the report's content: every chart of [`CHARTS`] that `report.charts`
//! selects, the tables, findings and summary.json. Pure: no I/O.

use serde_json::Value;

use crate::config::Config;
use crate::model::calibrate::CalibrationReport;
use crate::model::compare::WorkloadTable;
use crate::model::sensitivity::{BreakEvenMap, Tornado};

use super::ChartFile;
use super::charts::CHARTS;
use super::context::Context;

pub struct ReportData {
    pub charts: Vec<ChartFile>,
    /// Charts selected but not drawn: (name, why).
    pub not_drawn: Vec<(&'static str, String)>,
    pub tables: Vec<WorkloadTable>,
    pub calibration: CalibrationReport,
    pub tornado: Option<Tornado>,
    pub break_even: Option<BreakEvenMap>,
    pub findings: Vec<String>,
    pub summary: Value,
}

pub fn build(cfg: &Config) -> ReportData {
    let ctx = Context::new(cfg);
    let mut charts = Vec::new();
    let mut not_drawn = Vec::new();
    for def in CHARTS {
        if !cfg.report.charts.is_empty() && !cfg.report.charts.iter().any(|c| c == def.name) {
            continue;
        }
        match (def.build)(&ctx) {
            Ok(c) => charts.push(c),
            Err(why) => not_drawn.push((def.name, why)),
        }
    }
    let findings = super::findings::findings(&ctx);
    let summary = super::summary::summary(&ctx);
    ReportData {
        charts,
        not_drawn,
        tables: ctx.tables,
        calibration: ctx.calibration,
        tornado: ctx.tornado,
        break_even: ctx.break_even.map(|(m, _)| m),
        findings,
        summary,
    }
}

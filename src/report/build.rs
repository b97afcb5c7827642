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
        let chart = (def.build)(&ctx);
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
        tornado: ctx.tornado,
        break_even: ctx.break_even.map(|(m, _)| m),
        findings,
        summary,
    };
    (data, done)
}

/// `f` of every item, in order, computed on two threads that each take the next item not yet
/// taken (charts differ a lot in cost, so a fixed split would leave one core idle). Items a
/// failed thread left undone are computed on this one.
pub(super) fn on_both_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut done = std::thread::scope(|s| {
        let helper = s.spawn(work);
        let mut mine = work();
        if let Ok(theirs) = helper.join() {
            mine.extend(theirs);
        }
        mine
    });
    done.sort_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(items.len());
    let mut it = done.into_iter().peekable();
    for (i, item) in items.iter().enumerate() {
        match it.next_if(|(j, _)| *j == i) {
            Some((_, r)) => out.push(r),
            None => out.push(f(item)),
        }
    }
    out
}

//! The headline: each chip's cost relative to the reference, training and inference panels.

use crate::chart::{AxisScale, Bar, BarChart, Chart, Frame, PanelChart, Unit};
use crate::fmt::num;
use crate::model::calibrate::CalibrationReport;
use crate::model::compare::WorkloadTable;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, family, label_id, mark};

pub const STEM: &str = "headline-cost-vs-reference";

pub fn cost_vs_reference(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (basis, ref_label) = (ctx.basis, &ctx.ref_label);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    let ratio_panel = |t: Option<&WorkloadTable>, title: String| {
        let mut bars: Vec<Bar> = t
            .map(|t| {
                t.rows
                    .iter()
                    .filter_map(|r| {
                        let x = r.ratio_to_reference?;
                        Some(Bar {
                            label: mark(label_id(cfg, &r.accelerator), &ctx.marked, &r.accelerator),
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
    let (ttab, itab) = (ctx.training_table(), ctx.inference_table());
    Ok(ChartFile {
        stem: STEM,
        caption: format!("Each accelerator's cost relative to {ref_label}"),
        chart: Chart::Panels(PanelChart {
            frame: frame(
                format!("{}: cost relative to {ref_label}", cfg.report.title),
                format!("Lower is cheaper · basis {basis}"),
                headline_notes(ttab, itab, &ctx.calibration),
            ),
            panels: vec![
                ratio_panel(ttab, format!("Training: {}", ctx.tw.map_or("-".into(), |w| w.name.clone()))),
                ratio_panel(itab, format!("Inference: {}", ctx.iw.map_or("-".into(), |w| w.name.clone()))),
            ],
        }),
    })
}

/// What a reader of the headline must know: who is missing and why, and which rows use a
/// benchmark rather than the roofline.
fn headline_notes(ttab: Option<&WorkloadTable>, itab: Option<&WorkloadTable>, cal: &CalibrationReport) -> Vec<String> {
    let mut notes = Vec::new();
    for (kind, t) in [("training", ttab), ("inference", itab)] {
        if let Some(t) = t
            && !t.skipped.is_empty()
        {
            // Group the ids by why they are left out.
            let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
            for sk in &t.skipped {
                let why = sk.why.clone();
                match groups.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, ids)) => ids.push(&sk.accelerator),
                    None => groups.push((why, vec![&sk.accelerator])),
                }
            }
            let parts: Vec<String> = groups.iter().map(|(why, ids)| format!("{} ({why})", ids.join(", "))).collect();
            notes.push(format!("Not in {kind}: {}", parts.join("; ")));
        }
    }
    if itab.is_some()
        && let Some(m) = cal.benchmarks_median_abs_error_pct
    {
        notes.push(format!(
            "Inference: every chip is costed by the same step model; {} public benchmarks check it (median error {}%, `accel-cost calibrate`)",
            cal.benchmarks.len(),
            num(m, 2)
        ));
    }
    notes
}

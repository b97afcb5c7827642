//! The headline: each chip's cost relative to the reference, training and inference panels.

use crate::chart::{AxisScale, Bar, BarChart, Chart, Frame, PanelChart, Unit};
use crate::config::Config;
use crate::fmt::num;
use crate::model::calibrate::CalibrationReport;
use crate::model::compare::WorkloadTable;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label_id, mark};

pub const STEM: &str = "headline-cost-vs-reference";

pub fn cost_vs_reference(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let (basis, ref_label) = (&ctx.basis, &ctx.ref_label);
    let frame = |title: String, subtitle: String, notes: Vec<String>| ctx.frame(title, subtitle, notes);
    // Both panels rank by what one unit of the workload costs: the training run, and a request
    // of the workload's shape (input and output tokens), not output tokens alone.
    let ratio_panel = |t: Option<&WorkloadTable>, title: String| {
        let mut bars: Vec<(bool, Bar)> = t
            .map(|t| {
                t.rows
                    .iter()
                    // A chip that cannot serve at the per-user target sells a slower service:
                    // its cost per request is no like-for-like bar (the notes say why).
                    .filter(|r| below_target(r).is_none())
                    .filter_map(|r| {
                        let x = r.request_ratio?;
                        let label = mark(label_id(cfg, &r.accelerator), &ctx.marks, &r.accelerator);
                        // Like for like first: a chip priced from another term or market (†)
                        // is ranked below every chip priced on the basis.
                        let borrowed = r.price_origin == crate::model::price::PriceOrigin::OtherTermOrMarket;
                        Some((
                            borrowed,
                            Bar {
                                label,
                                look: r.family.look(),
                                value: x,
                                text: bar_text(x, r.p_request_cheaper, r.accelerator == cfg.report.reference),
                                whisker: r
                                    .request_ratio_band
                                    .filter(|_| r.accelerator != cfg.report.reference)
                                    .map(|b| (b.p10, b.p90)),
                                extra: r
                                    .p_request_cheaper
                                    .filter(|_| r.accelerator != cfg.report.reference)
                                    .map(|p| ("p_cheaper_than_reference".to_string(), p))
                                    .into_iter()
                                    .collect(),
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        bars.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.value.total_cmp(&b.1.value)));
        let bars: Vec<Bar> = bars.into_iter().map(|(_, b)| b).collect();
        BarChart {
            frame: Frame {
                title,
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
                key: Vec::new(),
            },
            // Log scale, bars from 1x: a chip at 12x no longer squeezes the 0.5x-2x chips into
            // a sliver, and half the cost reads as far from 1x as double the cost.
            value_axis: axis(&format!("Cost relative to {ref_label} (x, log scale)"), AxisScale::Log, Unit::Ratio),
            bars,
            reference_line: Some((1.0, format!("{ref_label} = 1.0x"))),
        }
    };
    let (ttab, itab) = (ctx.training_table(), ctx.inference_table());
    // Without a costed reference no bar has a ratio: say so instead of drawing empty panels.
    let has_ratios = |t: Option<&WorkloadTable>| t.is_some_and(|t| t.rows.iter().any(|r| r.request_ratio.is_some()));
    if !has_ratios(ttab) && !has_ratios(itab) {
        let why = [ttab, itab]
            .iter()
            .flatten()
            .find_map(|t| crate::model::compare::reference_missing(t))
            .unwrap_or_else(|| format!("the reference `{}` is not costed on the report's workloads", cfg.report.reference));
        return Err(why);
    }
    let mut notes = headline_notes(cfg, ttab, itab, &ctx.calibration);
    if let Some(n) = itab.and_then(|t| below_target_note(cfg, t)) {
        notes.insert(0, n);
    }
    let drawn = |t: Option<&WorkloadTable>| t.is_some_and(|t| t.rows.iter().any(|r| r.accelerator == cfg.report.reference));
    if !drawn(ttab) || !drawn(itab) {
        notes.push(format!(
            "{ref_label} (the reference, 1.0x) is not drawn as a bar: it is not among report.accelerators or cannot be costed there"
        ));
    }
    let mut key = Vec::new();
    let borrowed = |t: Option<&WorkloadTable>| {
        t.is_some_and(|t| {
            t.rows
                .iter()
                .any(|r| r.price_origin == crate::model::price::PriceOrigin::OtherTermOrMarket)
        })
    };
    // One key line for the ranking and the whiskers: the notes (the serving model's held-out
    // error among them) keep their room.
    let ranked = (borrowed(ttab) || borrowed(itab)).then_some("bars marked † come after every chip priced on the basis");
    let whiskers = ctx.any_range.then(|| {
        format!(
            "whiskers: P10–P90 over {} draws of every ranged input; %: chance of costing less than {ref_label}",
            ctx.samples.len()
        )
    });
    let line: Vec<String> = ranked.map(str::to_string).into_iter().chain(whiskers).collect();
    if !line.is_empty() {
        let l = line.join("; ");
        // Capitalise the first letter ("Whiskers"); "†" has no case.
        let mut c = l.chars();
        key.push(c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect()));
    }
    let mut frame = frame(
        format!("{}: cost relative to {ref_label}", cfg.report.title),
        format!("Lower is cheaper · basis {basis}"),
        notes,
    );
    frame.key.splice(0..0, key);
    let inference_title = match ctx.iw {
        Some(w) => format!(
            "Inference: {}, per request ({} in + {} out tokens)",
            w.name,
            num(ctx.v[w.input_tokens.0], 0),
            num(ctx.v[w.output_tokens.0], 0)
        ),
        None => "Inference: -".into(),
    };
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: format!("Each accelerator's cost relative to {ref_label}"),
        chart: Chart::Panels(PanelChart {
            frame,
            panels: vec![
                ratio_panel(
                    ttab,
                    format!("Training: {}, per run", ctx.tw.map_or("-".into(), |w| w.name.clone())),
                ),
                ratio_panel(itab, inference_title),
            ],
        }),
    })
}

/// Why an inference row is not drawn as a like-for-like bar: its best replica misses the
/// workload's per-user target (its tokens/s per user), `None` when it meets it or is training.
pub(crate) fn below_target(r: &crate::model::compare::Row) -> Option<f64> {
    match r.figures {
        crate::model::compare::Figures::Inference(i) if !i.meets_target => Some(i.tokens_per_s_per_user),
        _ => None,
    }
}

/// The note (and stderr line) naming the chips left out of the inference panel for missing
/// the per-user target: "Not drawn in inference: inf2 (best 35 tokens/s per user, below the
/// target of 45: a slower service)". `None` when every row meets it.
pub(crate) fn below_target_note(cfg: &Config, t: &WorkloadTable) -> Option<String> {
    let target = cfg
        .inference(&t.id)
        .and_then(|w| w.min_tokens_per_s_per_user)
        .map(|p| cfg.params.info(p).base);
    let parts: Vec<String> = t
        .rows
        .iter()
        .filter_map(|r| {
            let speed = below_target(r)?;
            Some(format!(
                "{} (best {} tokens/s per user, below the target of {}: a slower service)",
                r.accelerator,
                num(speed, 1),
                target.map_or("-".into(), |x| num(x, 0))
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Not drawn in inference: {}", parts.join("; ")))
}

/// The text at a bar's end: the ratio, and the chance of being cheaper than the reference
/// when there are draws ("0.36x · 98%"); the reference itself gets only its ratio.
fn bar_text(ratio: f64, p_cheaper: Option<f64>, is_reference: bool) -> String {
    match p_cheaper.filter(|_| !is_reference) {
        Some(p) => format!("{}x · {}", num(ratio, 2), pct(p)),
        None => format!("{}x", num(ratio, 2)),
    }
}

/// What a reader of the headline must know: who is missing and why, and which rows use a
/// benchmark rather than the roofline.
fn headline_notes(cfg: &Config, ttab: Option<&WorkloadTable>, itab: Option<&WorkloadTable>, cal: &CalibrationReport) -> Vec<String> {
    let mut notes = Vec::new();
    // Group the ids left out by why, over both panels; an id missing from one panel only says
    // which.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let in_both = |id: &str, why: &str| {
        [ttab, itab]
            .iter()
            .all(|t| t.is_some_and(|t| t.skipped.iter().any(|s| s.accelerator == id && s.why == why)))
    };
    for (kind, t) in [("training", ttab), ("inference", itab)] {
        for sk in t.iter().flat_map(|t| &t.skipped) {
            let why = if in_both(&sk.accelerator, &sk.why) {
                sk.why.clone()
            } else {
                format!("{} in {kind}", sk.why)
            };
            match groups.iter_mut().find(|(w, _)| *w == why) {
                Some((_, ids)) if ids.contains(&sk.accelerator) => {}
                Some((_, ids)) => ids.push(sk.accelerator.clone()),
                None => groups.push((why, vec![sk.accelerator.clone()])),
            }
        }
    }
    if !groups.is_empty() {
        let parts: Vec<String> = groups.iter().map(|(why, ids)| format!("{} ({why})", ids.join(", "))).collect();
        notes.push(format!("Not drawn: {}", parts.join("; ")));
    }
    // The error that applies to the chips drawn: held out (5-fold, or leave-one-chip-out for
    // chips without benchmarks), never the in-sample median of the benchmarks.
    if let Some(t) = itab {
        let ids: Vec<&str> = t.rows.iter().map(|r| r.accelerator.as_str()).collect();
        match super::serving_error_note(cfg, &ids) {
            Some(n) => {
                // The held-out errors come from the fit: count the benchmarks it fits (not the
                // `fit = false` ones it only checks).
                let fitted = cal
                    .benchmarks
                    .iter()
                    .filter(|b| cfg.measured.iter().any(|m| m.workload == b.workload && m.accelerator == b.accelerator && m.fit))
                    .count();
                notes.push(format!("{n} (`accel-cost calibrate --fit`, {fitted} benchmarks)"))
            }
            None if !cal.benchmarks.is_empty() => notes.push(format!(
                "Inference: {} public benchmarks check the step model; no held-out error is recorded for these chips (`accel-cost calibrate --fit`)",
                cal.benchmarks.len()
            )),
            None => {}
        }
    }
    notes
}

/// A share as the bar text writes it: ">99%", "45%", "<1%" (a few thousand draws never prove
/// 0 or 100).
fn pct(p: f64) -> String {
    if p > 0.99 {
        ">99%".into()
    } else if p < 0.01 {
        "<1%".into()
    } else {
        format!("{}%", (p * 100.0).round())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bar_text_gives_the_chance_of_being_cheaper_except_on_the_reference() {
        assert_eq!(super::bar_text(0.36, Some(1.0), false), "0.36x · >99%");
        assert_eq!(super::bar_text(0.99, Some(0.454), false), "0.99x · 45%");
        assert_eq!(super::bar_text(1.5, Some(0.0), false), "1.5x · <1%");
        assert_eq!(super::bar_text(1.0, Some(0.5), true), "1.0x");
        assert_eq!(super::bar_text(0.5, None, false), "0.50x");
    }
}

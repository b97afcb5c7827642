//! Findings for report.md, written from the numbers: the cheapest chip per workload (flagged
//! when its price is an estimate), the best of each family, close calls with their break-even
//! prices, and the widest tornado input.

use crate::config::{Config, Family};
use crate::fmt::{num, usd};
use crate::model::compare::{self, Kind};
use crate::model::price::PriceOrigin;

use super::charts::label_id;
use super::context::Context;

/// The findings, one Markdown paragraph each.
pub fn findings(ctx: &Context<'_>) -> Vec<String> {
    let (cfg, tables, ref_label, tornado) = (ctx.cfg, &ctx.tables, ctx.ref_label.as_str(), ctx.tornado.as_ref());
    let mut out = Vec::new();
    // Per workload: its name, its cheapest chip, that chip's metric, and the rest of the finding.
    let mut parts: Vec<(String, String, String, String)> = Vec::new();
    for t in tables {
        // The cheapest by the ratio the sentence quotes (`request_ratio`: per run, or per request
        // of the workload's shape), like for like: priced on the basis, holding the run, meeting
        // the per-user target. The tables' `*` (per output token) is the fallback.
        let meets_target = |r: &&compare::Row| !matches!(r.figures, compare::Figures::Inference(i) if !i.meets_target);
        let by_request = cheapest_per_request(
            t.rows
                .iter()
                .filter(like_for_like)
                .filter(meets_target)
                .filter(|r| r.request_ratio.is_some()),
        );
        let Some(best) = by_request.or_else(|| t.rows.iter().find(|r| r.cheapest)) else {
            continue;
        };
        let metric = |r: &compare::Row| match t.kind {
            Kind::Training => usd(r.figures.metric()),
            Kind::Inference => format!("${} per million output tokens", num(r.figures.metric(), 3)),
        };
        // The sentence after "at <metric>" (`s`), kept apart from the workload and its metric so
        // that workloads whose findings say the same merge into one (below).
        let (name, chip, at) = (t.name.clone(), label_id(cfg, &best.accelerator), metric(best));
        let mut s = String::new();
        if price_is_estimate(cfg, &best.accelerator) {
            s.push_str(" (its chip-hour price is an estimate: see Prices used)");
        }
        // The headline's ratio (`request_ratio`: the training run, or a request of the workload's
        // shape, input and output tokens); for serving, per output token beside it.
        if let Some(r) = best.request_ratio
            && best.accelerator != t.reference
        {
            let per = if t.kind == Kind::Inference { " per request" } else { "" };
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!(", {}x the cost on {ref_label}{per}", num(r, 2)));
            if let Some(b) = best.request_ratio_band {
                let _ = std::fmt::Write::write_fmt(&mut s, format_args!(" (P10–P90 {}x–{}x)", num(b.p10, 2), num(b.p90, 2)));
            }
            if t.kind == Kind::Inference
                && let Some(o) = best.ratio_to_reference
            {
                let _ = std::fmt::Write::write_fmt(&mut s, format_args!("; {}x per output token", num(o, 2)));
            }
        }
        s.push('.');
        let per_family: Vec<String> = Family::ALL
            .iter()
            .filter_map(|f| {
                // Like for like: the best of a family among prices of the basis (a price of another
                // term or market is no family's best), and among training runs whose chips hold
                // the run.
                let r = cheapest_per_request(t.rows.iter().filter(|r| r.family == *f).filter(like_for_like))?;
                // A chip that cannot meet the per-user target within its scale-up domain is
                // shown as missing it, never as if it met it.
                let missed = matches!(r.figures, compare::Figures::Inference(i) if !i.meets_target);
                Some(format!(
                    "{} {} {}x{}",
                    f.name(),
                    label_id(cfg, &r.accelerator),
                    num(r.request_ratio?, 2),
                    if missed { " (misses the per-user target)" } else { "" }
                ))
            })
            .collect();
        if per_family.len() > 1 {
            s.push_str(&format!(" Best of each family: {}.", per_family.join(", ")));
        }
        // Chips priced from another term or market (†): named apart, never a family's best.
        let borrowed: Vec<String> = t
            .rows
            .iter()
            .filter(|r| r.price_origin == PriceOrigin::OtherTermOrMarket)
            .filter_map(|r| Some(format!("{} † {}x", label_id(cfg, &r.accelerator), num(r.request_ratio?, 2))))
            .collect();
        if !borrowed.is_empty() {
            s.push_str(&format!(
                " Priced from another term or market (not like for like): {}.",
                borrowed.join(", ")
            ));
        }
        let close: Vec<String> = t
            .rows
            .iter()
            .filter(|r| r.accelerator != t.reference && r.ratio_to_reference.is_some_and(|x| (0.9..=1.1).contains(&x)))
            .filter_map(|r| {
                let be = r.break_even_usd_per_chip_hour?;
                let price = r.figures.usd_per_chip_hour();
                Some(format!(
                    "{} breaks even with {ref_label} at ${}/chip-hour (now ${})",
                    label_id(cfg, &r.accelerator),
                    num(be, 3),
                    num(price, 3)
                ))
            })
            .collect();
        if !close.is_empty() {
            let per = if t.kind == Kind::Inference {
                " (per output token, where break-even prices are computed)"
            } else {
                ""
            };
            s.push_str(&format!(" Close calls{per}: {}.", close.join("; ")));
        }
        parts.push((name, chip, at, s));
    }
    // Workloads whose cheapest chip and every ratio agree (training ratios do not depend on the
    // model's size: price over delivered FLOP/s) are said once, with each one's cost.
    let mut k = 0;
    while k < parts.len() {
        let same = parts[k..].iter().take_while(|p| p.1 == parts[k].1 && p.3 == parts[k].3).count();
        let group = &parts[k..k + same];
        if same == 1 {
            let (name, chip, at, rest) = &group[0];
            out.push(format!("**{name}**: cheapest is {chip} at {at}{rest}"));
        } else {
            // "a, b and c"
            let and = |xs: Vec<String>| match xs.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => xs.concat(),
            };
            let names = and(group.iter().map(|p| format!("**{}**", p.0)).collect());
            let ats = and(group.iter().map(|p| p.2.clone()).collect());
            let all = if same == 2 { "both".to_string() } else { format!("all {same}") };
            out.push(format!(
                "{names}: cheapest is {} at {ats} respectively (the same ratios for {all}){}",
                group[0].1, group[0].3
            ));
        }
        k += same;
    }
    if let Some(t) = tornado
        && let Some(top) = t.swings.first()
    {
        out.push(format!(
            "For {} vs {ref_label} on {}, the widest swing comes from `{}`: the cost ratio runs from {}x to {}x across its range (base {}x).",
            label_id(cfg, &t.accelerator),
            t.workload,
            top.param,
            num(top.ratio_at_low.min(top.ratio_at_high), 2),
            num(top.ratio_at_low.max(top.ratio_at_high), 2),
            num(t.base_ratio, 2)
        ));
    }
    out
}

/// Like for like: priced on the basis (a price of another term or market is no chip's best) and,
/// for training, holding the run.
fn like_for_like(r: &&compare::Row) -> bool {
    r.price_origin != PriceOrigin::OtherTermOrMarket && !matches!(&r.figures, compare::Figures::Training(x) if !x.feasible)
}

/// The row with the lowest `request_ratio` (the headline's ratio), rows without one last.
fn cheapest_per_request<'a>(rows: impl Iterator<Item = &'a compare::Row>) -> Option<&'a compare::Row> {
    rows.min_by(|a, b| {
        let k = |r: &compare::Row| r.request_ratio.unwrap_or(f64::INFINITY);
        k(a).total_cmp(&k(b))
    })
}

/// True when the accelerator's price on the config's basis is listed as an estimate.
fn price_is_estimate(cfg: &Config, id: &str) -> bool {
    cfg.accelerator(id)
        .and_then(|a| a.price_param(&cfg.economics))
        .is_some_and(|p| cfg.params.info(p).estimate)
}

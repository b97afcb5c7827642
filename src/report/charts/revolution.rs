//! The compute cost revolution over time: the cost of the report's training run and of a
//! million output tokens of its inference workload at every dated offer of the basis's market
//! (today's and earlier, superseded prices), by the offer's `as_of` date, one line per family
//! with a least-squares halving time (docs/model.md "Curves and charts").

use crate::chart::{AxisScale, Chart, LineChart, Series, Unit};
use crate::config::Family;
use crate::fmt::num;
use crate::model::compare::WorkloadTable;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label_id};

pub const TRAINING_STEM: &str = "cost-over-time-training";
pub const INFERENCE_STEM: &str = "cost-over-time-inference";

/// Shortest span of dates (years) a family's prices must cover for a fitted halving time: a
/// halving time of years from prices read within a year or two would be noise (providers and
/// read dates, not the trend).
pub const MIN_FIT_SPAN_YEARS: f64 = 3.0;

/// One chip at one dated price: (family, accelerator id, date in years, cost, provider).
type Point = (Family, String, f64, f64, String);

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` as a fractional year (a month without a day is taken at
/// its middle); `None` for anything else.
pub fn year_of(s: &str) -> Option<f64> {
    let mut it = s.split('-');
    let y: f64 = it.next()?.parse().ok()?;
    let (m, d) = match (it.next(), it.next()) {
        (None, _) => return Some(y + 0.5),
        (Some(m), None) => (m.parse::<f64>().ok()?, 15.5),
        (Some(m), Some(d)) => (m.parse::<f64>().ok()?, d.parse::<f64>().ok()?),
    };
    if !(1.0..=12.0).contains(&m) || !(1.0..=31.0).contains(&d) {
        return None;
    }
    Some(y + (m - 1.0) / 12.0 + (d - 1.0) / 365.0)
}

/// Least-squares fit of ln(cost) on date: the halving time in years (negative when cost rises)
/// and the fitted line's (intercept, slope). `None` with fewer than two distinct dates.
pub fn halving_time(pts: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = pts.len() as f64;
    let (mx, my) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y.ln() / n));
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y.ln() - my)).sum();
    if pts.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    Some((-(2f64.ln()) / b, my - b * mx, b))
}

/// Every drawn chip's cost at each dated offer of the basis's market (term and provider
/// class, superseded offers included): cost scales with the chip-hour price, since the price
/// does not change which replica or batch is cheapest.
fn points(ctx: &Context<'_>, t: &WorkloadTable) -> Vec<Point> {
    let cfg = ctx.cfg;
    let Some(term) = cfg.economics.basis.term() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in &t.rows {
        let Some(acc) = cfg.accelerator(&r.accelerator) else { continue };
        let (metric, price) = (r.figures.metric(), r.figures.usd_per_chip_hour());
        if !(metric.is_finite() && price > 0.0) {
            continue;
        }
        for o in acc.offers.iter().filter(|o| o.term == term && cfg.economics.market.admits(o.class)) {
            if let Some(d) = o.prov.as_of.as_deref().and_then(year_of) {
                out.push((acc.family, acc.id.clone(), d, metric * o.base / price, o.provider.clone()));
            }
        }
    }
    // One point per chip and date: its cheapest offer then.
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)).then(a.3.total_cmp(&b.3)));
    out.dedup_by(|b, a| a.1 == b.1 && a.2 == b.2);
    out
}

/// A provider's name as a point label gives it: "Google Cloud" and "Oracle Cloud" read as
/// "Google" and "Oracle" beside a chip name (labels short enough that every point keeps one).
fn short_provider(name: &str) -> &str {
    name.strip_suffix(" Cloud").unwrap_or(name)
}

fn chart(ctx: &Context<'_>, t: Option<&WorkloadTable>, inference: bool) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    if cfg.economics.basis.term().is_none() {
        return Err("the owned basis has no dated offers (pick a cloud basis)".into());
    }
    let (t, w) = match (t, inference) {
        (Some(t), true) => (t, ctx.iw.map_or(t.name.clone(), |w| w.name.clone())),
        (Some(t), false) => (t, ctx.tw.map_or(t.name.clone(), |w| w.name.clone())),
        (None, true) => return Err("no inference workload is loaded".into()),
        (None, false) => return Err("no training workload is loaded".into()),
    };
    let pts = points(ctx, t);
    let mut series = Vec::new();
    let mut unfitted = Vec::new();
    for &fam in Family::ALL {
        let fam_name = fam.look().legend;
        let mine: Vec<&Point> = pts.iter().filter(|p| p.0 == fam).collect();
        if mine.is_empty() {
            continue;
        }
        let xy: Vec<(f64, f64)> = mine.iter().map(|p| (p.2, p.3)).collect();
        let (lo, hi) = xy
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let fit = halving_time(&xy).filter(|_| hi - lo >= MIN_FIT_SPAN_YEARS);
        // The prices as points (a marker each, labelled by chip and provider), and the fitted
        // trend, when there is one, as its own dashed line.
        series.push(Series {
            name: if fit.is_some() {
                fam_name.to_string()
            } else {
                unfitted.push(fam_name);
                format!("{fam_name} (no fit)")
            },
            look: fam.look(),
            style_index: 0,
            points: Vec::new(),
            band: None,
            point_labels: mine
                .iter()
                .map(|p| (p.2, p.3, format!("{} · {}", label_id(cfg, &p.1), short_provider(&p.4))))
                .collect(),
        });
        if let Some((h, a, b)) = fit {
            series.push(Series {
                name: if h > 0.0 {
                    format!("{fam_name} fit: cost halves every {} years", num(h, 2))
                } else {
                    format!("{fam_name} fit: cost doubles every {} years", num(-h, 2))
                },
                look: fam.look(),
                style_index: 1,
                points: vec![(lo, (a + b * lo).exp()), (hi, (a + b * hi).exp())],
                band: None,
                point_labels: Vec::new(),
            });
        }
    }
    let mut notes = vec![format!(
        "Each point: one chip at one dated offer of the {} {} market (today's and superseded prices), at the offer's as_of date{}",
        cfg.economics.market.words(),
        cfg.economics.basis.name(),
        if series.iter().any(|s| !s.points.is_empty()) {
            "; lines: least squares on log cost"
        } else {
            ""
        }
    )];
    if !unfitted.is_empty() {
        notes.push(format!(
            "No halving time for {}: dated prices span under {} years (add launch-era offers to configs)",
            unfitted.join(", "),
            MIN_FIT_SPAN_YEARS
        ));
    }
    let (stem, what, unit_label) = if inference {
        (
            INFERENCE_STEM,
            "a million output tokens",
            "USD per million output tokens (log scale)",
        )
    } else {
        (TRAINING_STEM, "the training run", "Training run cost (USD, log scale)")
    };
    Ok(ChartFile {
        stem,
        caption: format!("Cost over time (the compute cost revolution): {what} ({w}) by the date of each price"),
        chart: Chart::Line(LineChart {
            frame: ctx.frame(format!("Cost over time: {what}"), format!("{w} · basis {}", ctx.basis), notes),
            x: axis("Date of the price (offer as_of)", AxisScale::Linear, Unit::Plain(String::new())),
            y: axis(unit_label, AxisScale::Log, Unit::Usd),
            series,
            vlines: Vec::new(),
        }),
    })
}

pub fn training(ctx: &Context<'_>) -> Result<ChartFile, String> {
    chart(ctx, ctx.training_table(), false)
}

pub fn inference(ctx: &Context<'_>) -> Result<ChartFile, String> {
    chart(ctx, ctx.inference_table(), true)
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    #[test]
    fn dates_as_fractional_years() {
        // 2025-07 -> mid July: 2025 + 6/12 + 14.5/365
        assert_relative_eq!(super::year_of("2025-07").unwrap_or(0.0), 2025.0 + 0.5 + 14.5 / 365.0);
        assert_relative_eq!(super::year_of("2026-01-01").unwrap_or(0.0), 2026.0);
        assert_eq!(super::year_of("2026-13"), None);
        assert_eq!(super::year_of("soon"), None);
    }

    #[test]
    fn provider_names_drop_a_trailing_cloud() {
        assert_eq!(super::short_provider("Google Cloud"), "Google");
        assert_eq!(super::short_provider("Oracle Cloud"), "Oracle");
        assert_eq!(super::short_provider("AWS"), "AWS");
        assert_eq!(super::short_provider("Cloud"), "Cloud");
    }

    #[test]
    fn halving_time_of_a_cost_that_halves_every_two_years() {
        // cost = 100 * 2^(-(t - 2020) / 2): slope ln2 / -2, halving 2.0 years.
        let pts: Vec<(f64, f64)> = [2020.0, 2021.0, 2023.0, 2026.0]
            .iter()
            .map(|&t| (t, 100.0 * 2f64.powf(-(t - 2020.0) / 2.0)))
            .collect();
        let (h, _, b) = super::halving_time(&pts).unwrap_or((0.0, 0.0, 0.0));
        assert_relative_eq!(h, 2.0, epsilon = 1e-9);
        assert_relative_eq!(b, -(2f64.ln()) / 2.0, epsilon = 1e-9);
        assert!(super::halving_time(&[(2020.0, 1.0), (2020.0, 2.0)]).is_none());
    }
}

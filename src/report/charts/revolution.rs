//! The compute cost revolution over time: the cost of the report's training run and of a
//! million output tokens of its inference workload at every dated offer of the basis's market
//! (today's and earlier, superseded prices), each at the first date its price is known to hold
//! (`valid_from`, else `as_of`), one line per family with a least-squares halving time and its
//! 95% interval (docs/model.md "Curves and charts").

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

/// Epoch AI's published halving time of the cost of a FLOP on ML GPUs: FLOP/s per dollar
/// doubles every 2.07 years, 95% interval [1.54, 3.13] (26 ML GPUs, purchase prices,
/// 2006-2021). Source: Epoch AI, "Trends in GPU price-performance" (2022),
/// epochai.org/blog/trends-in-gpu-price-performance, as quoted in
/// shared/data/prices-audit-2026-12.md section 2.4. Drawn as a reference slope only.
pub const EPOCH_GPU_HALVING_YEARS: (f64, f64, f64) = (2.07, 1.54, 3.13);

/// One chip at one dated price: (family, accelerator id, date in years, cost, provider, the
/// date as written: `valid_from`, else `as_of`).
type Point = (Family, String, f64, f64, String, String);

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

/// A least-squares fit of ln(cost) on date (years).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trend {
    /// Years for the cost to halve (negative when cost rises; infinite for a flat series).
    pub halving: f64,
    /// The 95% interval of `halving` from the slope's t-interval (n - 2 degrees of freedom),
    /// `(shorter, longer)`; `None` with two points (no error estimate). An interval whose slope
    /// bound reaches zero or beyond is open: `longer` is infinite ("or longer" in words).
    pub ci95: Option<(f64, f64)>,
    /// ln(cost) = a + b * year.
    pub a: f64,
    pub b: f64,
    pub r2: f64,
    pub n: usize,
}

/// Two-sided 95% critical value of Student's t with `df` degrees of freedom (tabulated for
/// 1..=30, then 40, 60, 120 and the normal 1.96; between rows the next smaller df's value,
/// which errs wide). Source: any t table, e.g. NIST/SEMATECH e-Handbook 1.4.2.7.
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => T[df - 1],
        31..=39 => T[29],
        40..=59 => 2.021,
        60..=119 => 2.000,
        120..=999 => 1.980,
        _ => 1.960,
    }
}

/// Least-squares fit of ln(cost) on date: halving time, its 95% interval, the line, R².
/// `None` with fewer than two distinct dates.
pub fn halving_time(pts: &[(f64, f64)]) -> Option<Trend> {
    let n = pts.len() as f64;
    let (mx, my) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y.ln() / n));
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y.ln() - my)).sum();
    let syy: f64 = pts.iter().map(|(_, y)| (y.ln() - my).powi(2)).sum();
    if pts.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = pts.iter().map(|(x, y)| (y.ln() - a - b * x).powi(2)).sum();
    let r2 = if syy > 0.0 { 1.0 - sse / syy } else { 1.0 };
    let halving = if b == 0.0 { f64::INFINITY } else { -(2f64.ln()) / b };
    let ci95 = (pts.len() > 2).then(|| {
        let se = (sse / (n - 2.0) / sxx).sqrt();
        let (lo, hi) = (b - t95(pts.len() - 2) * se, b + t95(pts.len() - 2) * se);
        // A falling cost: the steepest slope gives the shortest halving time; a slope bound
        // at or above zero leaves the interval open.
        let h = |s: f64| if s < 0.0 { -(2f64.ln()) / s } else { f64::INFINITY };
        if b < 0.0 { (h(lo), h(hi)) } else { (-h(-hi), -h(-lo)) }
    });
    Some(Trend {
        halving,
        ci95,
        a,
        b,
        r2,
        n: pts.len(),
    })
}

/// A halving time as a chart legend says it: "cost halves every 2.3 years (95%: 1.5 to 4.5)",
/// "(95%: 2.7 or longer)" where the interval is open;
/// a flat series "no change"; a rising one "cost doubles every ...".
pub fn trend_words(t: &Trend) -> String {
    let ci = |lo: f64, hi: f64| {
        if hi.is_finite() {
            format!(" (95%: {} to {})", num(lo, 2), num(hi, 2))
        } else {
            format!(" (95%: {} or longer)", num(lo, 2))
        }
    };
    if !t.halving.is_finite() {
        return "no change in cost".into();
    }
    let (verb, h) = if t.halving > 0.0 {
        ("halves", t.halving)
    } else {
        ("doubles", -t.halving)
    };
    let interval = match t.ci95 {
        Some((lo, hi)) if t.halving > 0.0 => ci(lo, hi),
        Some((lo, hi)) => ci(-lo, -hi),
        None => " (2 points: no interval)".into(),
    };
    format!("cost {verb} every {} years{interval}", num(h, 2))
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
            if let Some((s, d)) = o.start().and_then(|s| Some((s, year_of(s)?))) {
                out.push((
                    acc.family,
                    acc.id.clone(),
                    d,
                    metric * o.base / price,
                    o.provider.clone(),
                    s.to_string(),
                ));
            }
        }
    }
    // One point per chip and date: its cheapest offer then.
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)).then(a.3.total_cmp(&b.3)));
    out.dedup_by(|b, a| a.1 == b.1 && a.2 == b.2);
    out
}

/// One family's dated costs and, when they span [`MIN_FIT_SPAN_YEARS`], its fitted trend.
struct FamilyTrend {
    family: Family,
    points: Vec<Point>,
    fit: Option<Trend>,
    /// First and last date (years).
    span: (f64, f64),
}

/// The dated costs of table `t`'s chips, family by family (families without a dated price
/// left out), each with its fit.
fn family_trends(ctx: &Context<'_>, t: &WorkloadTable) -> Vec<FamilyTrend> {
    let pts = points(ctx, t);
    let mut out = Vec::new();
    for &family in Family::ALL {
        let mine: Vec<Point> = pts.iter().filter(|p| p.0 == family).cloned().collect();
        if mine.is_empty() {
            continue;
        }
        let xy: Vec<(f64, f64)> = mine.iter().map(|p| (p.2, p.3)).collect();
        let span = xy
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let fit = halving_time(&xy).filter(|_| span.1 - span.0 >= MIN_FIT_SPAN_YEARS);
        out.push(FamilyTrend {
            family,
            points: mine,
            fit,
            span,
        });
    }
    out
}

/// summary.json's `cost_over_time`: per workload (training, inference) and family, the fitted
/// halving time (years) with its 95% interval, R², the number of dated points and their span;
/// `halving_years` is null where the prices span under [`MIN_FIT_SPAN_YEARS`]. An open
/// interval end is null. `{}` on the owned basis (no dated offers).
pub fn summary(ctx: &Context<'_>) -> serde_json::Value {
    use serde_json::json;
    if ctx.cfg.economics.basis.term().is_none() {
        return json!({});
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    let one = |t: Option<&WorkloadTable>| {
        t.map(|t| {
            json!({
                "workload": t.name,
                "families": family_trends(ctx, t).iter().map(|f| json!({
                    "family": f.family.look().legend,
                    "points": f.points.len(),
                    "from_year": f.span.0,
                    "to_year": f.span.1,
                    "halving_years": f.fit.and_then(|x| finite(x.halving)),
                    "halving_ci95_years": f.fit.and_then(|x| x.ci95).map(|(lo, hi)| [finite(lo), finite(hi)]),
                    "r2": f.fit.map(|x| x.r2),
                })).collect::<Vec<_>>(),
            })
        })
    };
    let (h, lo, hi) = EPOCH_GPU_HALVING_YEARS;
    json!({
        "dated_by": "valid_from, else as_of",
        "reference_epoch_gpu": {
            "halving_years": h, "halving_ci95_years": [lo, hi],
            "source": "Epoch AI, Trends in GPU price-performance (2022): ML GPUs, purchase prices 2006-2021",
        },
        "min_fit_span_years": MIN_FIT_SPAN_YEARS,
        "training": one(ctx.training_table()),
        "inference": one(ctx.inference_table()),
    })
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
    let mut series = Vec::new();
    let mut unfitted = Vec::new();
    let mut epoch_from = None;
    let mut starts: Vec<String> = Vec::new();
    for FamilyTrend {
        family: fam,
        points: mine,
        fit,
        span: (lo, hi),
    } in family_trends(ctx, t)
    {
        if let (Family::Gpu, Some(tr)) = (fam, fit) {
            epoch_from = Some((lo, (tr.a + tr.b * lo).exp(), hi));
        }
        starts.extend(mine.iter().map(|p| p.5.clone()));
        let fam_name = fam.look().legend;
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
            // One label per chip, at its earliest price (its launch-era price where the
            // configs date one); its later prices are unlabelled markers of the same colour.
            point_labels: mine
                .iter()
                .map(|p| {
                    let first = !mine.iter().any(|q| q.1 == p.1 && q.2 < p.2);
                    let label = if first {
                        format!("{} · {}", label_id(cfg, &p.1), short_provider(&p.4))
                    } else {
                        String::new()
                    };
                    (p.2, p.3, label)
                })
                .collect(),
        });
        if let Some(tr) = fit {
            let (a, b) = (tr.a, tr.b);
            series.push(Series {
                name: format!("{fam_name} fit: {}", trend_words(&tr)),
                look: fam.look(),
                style_index: 1,
                points: vec![(lo, (a + b * lo).exp()), (hi, (a + b * hi).exp())],
                band: None,
                point_labels: Vec::new(),
            });
        }
    }
    // Epoch's trend as a slope reference from the GPU fit's first point: how fast a cost at
    // the published hardware trend would have fallen over the same dates.
    let mut epoch_note = None;
    if let Some((x0, y0, x1)) = epoch_from {
        let (h, lo, hi) = EPOCH_GPU_HALVING_YEARS;
        series.push(Series {
            name: format!("Epoch AI GPU trend: halves every {h} years (95%: {lo} to {hi})"),
            look: Family::Other.look(),
            style_index: 1,
            points: vec![(x0, y0), (x1, y0 * 0.5f64.powf((x1 - x0) / h))],
            band: None,
            point_labels: Vec::new(),
        });
        epoch_note = Some(format!(
            "Epoch AI trend: FLOP/s per $ of ML GPUs doubles every {h} years [{lo}, {hi}] (purchase prices 2006-2021; Epoch AI, Trends in GPU price-performance, 2022), drawn from the GPU fit's first point"
        ));
    }
    let mut notes = vec![format!(
        "Each point: one chip at one dated offer of the {} {} market (today's and superseded prices), at the first date its price is known to hold (valid_from, else as_of){}",
        cfg.economics.market.words(),
        cfg.economics.basis.name(),
        if series.iter().any(|s| !s.points.is_empty()) {
            "; lines: least squares on log cost"
        } else {
            ""
        }
    )];
    notes.extend(epoch_note);
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
    let mut frame = ctx.frame(format!("Cost over time: {what}"), format!("{w} · basis {}", ctx.basis), notes);
    frame.footer = footer_with_starts(&frame.footer, &starts);
    Ok(ChartFile {
        stem,
        caption: format!("Cost over time (the compute cost revolution): {what} ({w}) by the date of each price"),
        chart: Chart::Line(LineChart {
            frame,
            x: axis(
                "Date the price began (offer valid_from, else as_of)",
                AxisScale::Linear,
                Unit::Plain(String::new()),
            ),
            y: axis(unit_label, AxisScale::Log, Unit::Usd),
            series,
            vlines: Vec::new(),
        }),
    })
}

/// The report's footer with its "prices as of A to B" part (the dates the current prices were
/// seen) replaced by the span of the dates this chart draws its prices at: "prices from C to D
/// (the date each began)".
fn footer_with_starts(footer: &str, starts: &[String]) -> String {
    let (Some(a), Some(b)) = (starts.iter().min(), starts.iter().max()) else {
        return footer.to_string();
    };
    footer
        .split("  |  ")
        .map(|part| {
            if part.starts_with("prices ") {
                format!("prices from {a} to {b} (the date each began)")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("  |  ")
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
    fn the_footer_gives_the_span_of_the_drawn_start_dates() {
        let f = "basis: on_demand, hyperscaler market  |  prices as of 2025-03-03 to 2026-11-09  |  config abc";
        let starts = ["2023-07-26", "2022-05-11", "2026-09-09"].map(String::from);
        assert_eq!(
            super::footer_with_starts(f, &starts),
            "basis: on_demand, hyperscaler market  |  prices from 2022-05-11 to 2026-09-09 (the date each began)  |  config abc"
        );
        assert_eq!(super::footer_with_starts(f, &[]), f);
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
        let tr = super::halving_time(&pts).expect("a fit");
        assert_relative_eq!(tr.halving, 2.0, epsilon = 1e-9);
        assert_relative_eq!(tr.b, -(2f64.ln()) / 2.0, epsilon = 1e-9);
        // An exact line: no residual, so the interval collapses onto the estimate, R² = 1.
        let (lo, hi) = tr.ci95.expect("interval");
        assert_relative_eq!(lo, 2.0, epsilon = 1e-9);
        assert_relative_eq!(hi, 2.0, epsilon = 1e-9);
        assert_relative_eq!(tr.r2, 1.0, epsilon = 1e-12);
        assert!(super::halving_time(&[(2020.0, 1.0), (2020.0, 2.0)]).is_none());
    }

    #[test]
    fn halving_interval_from_the_slope_t_interval() {
        // ln y = 0, -1, 0, -3 at x = 0..3 (a noisy fall). By hand: mean x 1.5, mean ln y -1,
        // Sxx = 5, Sxy = (-1.5)(1) + (-0.5)(0) + (0.5)(1) + (1.5)(-2) = -4, b = -0.8,
        // a = -1 + 0.8 * 1.5 = 0.2; fitted 0.2, -0.6, -1.4, -2.2; residuals -0.2, -0.4, 1.4, -0.8;
        // SSE = 0.04 + 0.16 + 1.96 + 0.64 = 2.8; se(b) = sqrt(2.8 / 2 / 5) = 0.52915;
        // t(2 df) = 4.303: slope -0.8 -/+ 2.27693 = [-3.07693, 1.47693] -> shorter halving
        // ln2 / 3.07693 = 0.22527 y, longer open (slope bound above zero);
        // halving ln2 / 0.8 = 0.86643 y; Syy = 1 + 0 + 1 + 4 = 6, R² = 1 - 2.8 / 6 = 0.53333.
        let pts: Vec<(f64, f64)> = [0.0f64, -1.0, 0.0, -3.0]
            .iter()
            .enumerate()
            .map(|(i, l)| (i as f64, l.exp()))
            .collect();
        let tr = super::halving_time(&pts).expect("a fit");
        assert_relative_eq!(tr.halving, 0.86643, epsilon = 1e-5);
        let (lo, hi) = tr.ci95.expect("interval");
        assert_relative_eq!(lo, 0.22527, epsilon = 1e-4);
        assert!(hi.is_infinite());
        assert_relative_eq!(tr.r2, 0.53333, epsilon = 1e-5);
        assert_eq!(super::trend_words(&tr), "cost halves every 0.87 years (95%: 0.23 or longer)");
        // Two points: a halving time, no interval.
        let two = super::halving_time(&[(0.0, 1.0), (2.0, 0.5)]).expect("a fit");
        assert_eq!(two.ci95, None);
        assert!(super::trend_words(&two).ends_with("(2 points: no interval)"));
        // A flat series says so, not "doubles every inf years".
        let flat = super::halving_time(&[(0.0, 1.0), (1.0, 1.0), (4.0, 1.0)]).expect("a fit");
        assert_eq!(super::trend_words(&flat), "no change in cost");
    }
}

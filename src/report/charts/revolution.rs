//! The compute cost revolution over time: the cost of the report's training run and of a
//! million output tokens of its inference workload at every dated offer of the basis's market
//! (today's and earlier, superseded prices), each at the first date its price is known to hold
//! (`valid_from`, else `as_of`), one line per family with a least-squares halving time and its
//! 95% interval (docs/model.md "Curves and charts").

use crate::chart::style::{AMD_RED, NEOCLOUD_TEAL};
use crate::chart::{AxisScale, Chart, LineChart, Look, Marker, Series, Unit};
use crate::config::{Accelerator, Era, Family, Precision};
use crate::fmt::num;
use crate::model::Skipped;
use crate::model::compare::{Figures, Workload};

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

/// One chip at one dated price.
#[derive(Clone, Debug)]
struct Point {
    series: Group,
    id: String,
    /// Date the price began (fractional years).
    year: f64,
    /// Cost of the workload at that price (USD, or USD per million output tokens).
    cost: f64,
    /// The date as written: `valid_from`, else `as_of`.
    start: String,
    /// The precision the chip is costed at when it lacks the workload's (its best 16-bit
    /// path: bf16, else fp16, else fp32); `None` at the workload's own.
    path: Option<Precision>,
    /// The chip's earliest dated price (its launch-era price where the configs date one).
    first: bool,
    /// Who sells at this price.
    provider: String,
}

/// A series of the decade charts: a family, with AMD's GPUs apart from NVIDIA's and the
/// neocloud market (every family's neocloud offers) as a series of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Family(Family),
    AmdGpu,
    Neocloud,
}

impl Group {
    fn of(acc: &Accelerator) -> Group {
        if acc.family == Family::Gpu && acc.vendor.eq_ignore_ascii_case("AMD") {
            Group::AmdGpu
        } else {
            Group::Family(acc.family)
        }
    }

    /// Legend word, colour and marker.
    pub fn look(self) -> Look {
        match self {
            Group::Family(Family::Gpu) => Look {
                legend: "NVIDIA GPU",
                ..Family::Gpu.look()
            },
            Group::Family(f) => f.look(),
            Group::AmdGpu => Look {
                rank: 10,
                color: AMD_RED,
                marker: Marker::TriangleDown,
                legend: "AMD GPU",
            },
            Group::Neocloud => Look {
                rank: 11,
                color: NEOCLOUD_TEAL,
                marker: Marker::Cross,
                legend: "Neocloud",
            },
        }
    }

    /// Every series, in legend order.
    const ALL: [Group; 7] = [
        Group::Family(Family::Gpu),
        Group::AmdGpu,
        Group::Family(Family::Tpu),
        Group::Family(Family::Trainium),
        Group::Family(Family::Inferentia),
        Group::Family(Family::Other),
        Group::Neocloud,
    ];
}

/// The precision a decade chart costs `acc` at for a workload of precision `want`: `None`
/// when the chip has it, else its best 16-bit path (bf16, then fp16), else fp32 (K80);
/// `Some(None)`-like failure is `Err` when the chip has none of these.
pub fn best_path(acc: &Accelerator, want: Precision) -> Result<Option<Precision>, String> {
    if acc.tflops(want).is_some() {
        return Ok(None);
    }
    [Precision::Bf16, Precision::Fp16, Precision::Fp32]
        .into_iter()
        .find(|p| acc.tflops(*p).is_some())
        .map(Some)
        .ok_or_else(|| format!("has no {} nor a 16- or 32-bit path", want.name()))
}

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

/// The decade charts' workload: the report's training workload, or the inference one
/// (`report.decade_inference_workload`, else `report.inference_workload`).
fn decade_workload<'a>(ctx: &Context<'a>, inference: bool) -> Result<Workload<'a>, String> {
    let cfg = ctx.cfg;
    if inference {
        let w = match cfg.report.decade_inference_workload.as_deref() {
            Some(id) => cfg.inference(id),
            None => ctx.iw,
        };
        w.map(Workload::Inference)
            .ok_or_else(|| "no inference workload is loaded".to_string())
    } else {
        ctx.tw
            .map(Workload::Training)
            .ok_or_else(|| "no training workload is loaded".to_string())
    }
}

/// The chips of the decade charts: the report's (`report.accelerators`) and every legacy one,
/// in config order.
fn decade_chips<'a>(ctx: &Context<'a>) -> Vec<&'a Accelerator> {
    ctx.cfg
        .accelerators
        .iter()
        .filter(|a| a.era == Era::Legacy || ctx.accs.iter().any(|b| b.id == a.id))
        .collect()
}

/// `w` at precision `p` (compute, weights and KV cache alike): a chip's best path.
fn at_precision(w: Workload<'_>, p: Precision) -> Either {
    match w {
        Workload::Training(t) => Either::Training(Box::new(crate::config::Training { precision: p, ..t.clone() })),
        Workload::Inference(i) => Either::Inference(Box::new(crate::config::Inference {
            precision: p,
            weight_precision: p,
            kv_precision: p,
            ..i.clone()
        })),
    }
}

/// An owned copy of a workload at another precision.
enum Either {
    Training(Box<crate::config::Training>),
    Inference(Box<crate::config::Inference>),
}

impl Either {
    fn as_workload(&self) -> Workload<'_> {
        match self {
            Either::Training(t) => Workload::Training(t),
            Either::Inference(i) => Workload::Inference(i),
        }
    }
}

/// One chip's cost of `w` at its chosen price (at its best path when it lacks the workload's
/// precision), or why it is not drawn.
fn costed(ctx: &Context<'_>, w: Workload<'_>, acc: &Accelerator) -> Result<(Figures, Option<Precision>), String> {
    let path = best_path(acc, w.precision())?;
    let owned = path.map(|p| at_precision(w, p));
    let w = owned.as_ref().map_or(w, Either::as_workload);
    let f = w.estimate(ctx.cfg, acc, &ctx.v, &mut ()).map_err(|s| s.to_string())?;
    if !(f.metric().is_finite() && f.usd_per_chip_hour() > 0.0) {
        return Err("no finite cost".into());
    }
    // Only what can run: a chip that cannot serve the workload's per-user speed on any replica
    // its scale-up domain holds is not drawn as if it did.
    if let Figures::Inference(i) = &f
        && !i.meets_target
    {
        return Err(format!(
            "misses the per-user target (at most {:.1} tokens/s per user)",
            i.tokens_per_s_per_user
        ));
    }
    Ok((f, path))
}

/// Every decade chip's cost at each dated offer of the basis's term: the basis's market
/// (hyperscaler by default) in the chip's own series, neocloud offers in the neocloud series
/// (when the basis's market is not already neocloud). Cost scales with the chip-hour price,
/// since the price does not change which replica or batch is cheapest. Also the chips not
/// drawn, with why.
fn points(ctx: &Context<'_>, w: Workload<'_>) -> (Vec<Point>, Vec<Skipped>) {
    use crate::config::ProviderClass;
    let cfg = ctx.cfg;
    let Some(term) = cfg.economics.basis.term() else {
        return (Vec::new(), Vec::new());
    };
    let neocloud_apart = !cfg.economics.market.admits(ProviderClass::Neocloud) || cfg.economics.market.admits(ProviderClass::Hyperscaler);
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    for acc in decade_chips(ctx) {
        let (f, path) = match costed(ctx, w, acc) {
            Ok(x) => x,
            Err(why) => {
                skipped.push(Skipped::new(&acc.id, why));
                continue;
            }
        };
        let (metric, price) = (f.metric(), f.usd_per_chip_hour());
        let mut mine: Vec<Point> = Vec::new();
        for o in acc.offers.iter().filter(|o| o.term == term) {
            let series = if neocloud_apart && o.class == ProviderClass::Neocloud {
                Group::Neocloud
            } else if cfg.economics.market.admits(o.class) {
                Group::of(acc)
            } else {
                continue;
            };
            if let Some((s, d)) = o.start().and_then(|s| Some((s, year_of(s)?))) {
                mine.push(Point {
                    series,
                    id: acc.id.clone(),
                    year: d,
                    cost: metric * o.base / price,
                    start: s.to_string(),
                    provider: o.provider.clone(),
                    path,
                    first: false,
                });
            }
        }
        // One point per series and date: the cheapest offer then.
        mine.sort_by(|a, b| {
            a.series
                .cmp(&b.series)
                .then(a.year.total_cmp(&b.year))
                .then(a.cost.total_cmp(&b.cost))
        });
        mine.dedup_by(|b, a| a.series == b.series && a.year == b.year);
        for g in Group::ALL {
            if let Some(p) = mine.iter_mut().find(|p| p.series == g) {
                p.first = true;
            }
        }
        out.extend(mine);
    }
    (out, skipped)
}

/// One series' dated costs and, when they span [`MIN_FIT_SPAN_YEARS`], its fitted trend over
/// every point, and over each chip's first (launch-era) price only.
struct SeriesTrend {
    group: Group,
    points: Vec<Point>,
    fit: Option<Trend>,
    launch_fit: Option<Trend>,
    /// First and last date (years).
    span: (f64, f64),
}

/// The decade points, series by series (series without a dated price left out), each with
/// its fits; and the chips not drawn.
fn trends(ctx: &Context<'_>, w: Workload<'_>) -> (Vec<SeriesTrend>, Vec<Skipped>) {
    let (pts, skipped) = points(ctx, w);
    let mut out = Vec::new();
    for group in Group::ALL {
        let mine: Vec<Point> = pts.iter().filter(|p| p.series == group).cloned().collect();
        if mine.is_empty() {
            continue;
        }
        let xy: Vec<(f64, f64)> = mine.iter().map(|p| (p.year, p.cost)).collect();
        let span = xy
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let fit = halving_time(&xy).filter(|_| span.1 - span.0 >= MIN_FIT_SPAN_YEARS);
        let launch: Vec<(f64, f64)> = mine.iter().filter(|p| p.first).map(|p| (p.year, p.cost)).collect();
        let lspan = launch
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let launch_fit = halving_time(&launch).filter(|_| lspan.1 - lspan.0 >= MIN_FIT_SPAN_YEARS);
        out.push(SeriesTrend {
            group,
            points: mine,
            fit,
            launch_fit,
            span,
        });
    }
    (out, skipped)
}

/// summary.json's `cost_over_time`: per workload (training, inference) and series (NVIDIA
/// GPU, AMD GPU, TPU, Trainium, Inferentia, neocloud), the fitted halving time (years) over
/// every dated price with its 95% interval and R², the same over each chip's first
/// (launch-era) price, the number of points, chips and their span; `halving_years` is null
/// where the prices span under [`MIN_FIT_SPAN_YEARS`]. An open interval end is null. `{}` on
/// the owned basis (no dated offers).
pub fn summary(ctx: &Context<'_>) -> serde_json::Value {
    use serde_json::json;
    if ctx.cfg.economics.basis.term().is_none() {
        return json!({});
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    let fit_json = |t: Option<Trend>| {
        json!({
            "halving_years": t.and_then(|x| finite(x.halving)),
            "halving_ci95_years": t.and_then(|x| x.ci95).map(|(lo, hi)| [finite(lo), finite(hi)]),
            "r2": t.map(|x| x.r2),
            "points": t.map(|x| x.n),
        })
    };
    let one = |inference: bool| {
        decade_workload(ctx, inference).ok().map(|w| {
            let (ts, skipped) = trends(ctx, w);
            json!({
                "workload": w.id(),
                "series": ts.iter().map(|f| {
                    let mut chips: Vec<&str> = f.points.iter().map(|p| p.id.as_str()).collect();
                    chips.dedup();
                    json!({
                        "series": f.group.look().legend,
                        "points": f.points.len(),
                        "chips": chips,
                        "from_year": f.span.0,
                        "to_year": f.span.1,
                        "halving_years": f.fit.and_then(|x| finite(x.halving)),
                        "halving_ci95_years": f.fit.and_then(|x| x.ci95).map(|(lo, hi)| [finite(lo), finite(hi)]),
                        "r2": f.fit.map(|x| x.r2),
                        "launch_prices_only": fit_json(f.launch_fit),
                    })
                }).collect::<Vec<_>>(),
                "costed_at_another_precision": ts.iter().flat_map(|f| f.points.iter()).filter(|p| p.first && p.series != Group::Neocloud).filter_map(|p| p.path.map(|q| json!({"accelerator": p.id, "precision": q.name()}))).collect::<Vec<_>>(),
                "not_drawn": skipped.iter().map(|s| json!({"accelerator": s.accelerator, "why": s.why})).collect::<Vec<_>>(),
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
        "training": one(false),
        "inference": one(true),
    })
}

/// Which of a series' points get a label: each chip's first price when it sets a new low for
/// the series (the generations that moved the frontier), thinned so that labelled launches are
/// at least [`LABEL_GAP_YEARS`] apart; the first launch is always labelled. A decade of thirty
/// chips stays readable at half a slide; the CSV has every point.
fn thin_labels(pts: &[Point]) -> Vec<usize> {
    // Today's chips crowd the newest prices (and the other charts name them): no labels there.
    let newest = pts.iter().fold(f64::NEG_INFINITY, |m, p| m.max(p.year));
    let mut firsts: Vec<usize> = (0..pts.len())
        .filter(|&k| pts[k].first && pts[k].year < newest - UNLABELLED_RECENT_YEARS)
        .collect();
    firsts.sort_by(|&a, &b| pts[a].year.total_cmp(&pts[b].year));
    let mut out: Vec<usize> = Vec::new();
    let mut low = f64::INFINITY;
    for &k in &firsts {
        let record = pts[k].cost < low;
        low = low.min(pts[k].cost);
        let far = out.last().is_none_or(|&j| pts[k].year - pts[j].year >= LABEL_GAP_YEARS);
        if record && far {
            out.push(k);
        }
    }
    out
}

/// Launches this close (years) to a series' newest price are not labelled: the 2025-26 chips
/// crowd there, labels would land far from their markers, and every other chart names them.
pub const UNLABELLED_RECENT_YEARS: f64 = 1.5;

/// Shortest gap (years) between two labelled launches of one series.
pub const LABEL_GAP_YEARS: f64 = 1.0;

/// A fit as a legend key says it, under its series' key and in its colour, short enough for
/// half a slide: "halves: 4.0 y [2.7, 7.6]", "[2.7, open]" for an open interval, "doubles:
/// ..." for a rising cost.
fn short_trend(t: &Trend) -> String {
    if !t.halving.is_finite() {
        return "no change".into();
    }
    // A rising fit whose interval is open (the slope's 95% interval includes zero): no
    // significant trend, not "doubles: 49 y".
    if t.halving < 0.0 && t.ci95.is_some_and(|(_, hi)| !hi.is_finite()) {
        return "flat: no trend at 95%".into();
    }
    let (verb, h, ci) = if t.halving > 0.0 {
        ("halves", t.halving, t.ci95)
    } else {
        ("doubles", -t.halving, t.ci95.map(|(a, b)| (-a, -b)))
    };
    let ci = match ci {
        Some((lo, hi)) if hi.is_finite() => format!(" [{}, {}]", num(lo, 2), num(hi, 2)),
        Some((lo, _)) => format!(" [{}, open]", num(lo, 2)),
        None => String::new(),
    };
    format!("{verb}: {} y{ci}", num(h, 2))
}

/// A short chip label for a dense chart: the label without "Google Cloud"/"NVIDIA"/"AMD
/// Instinct" prefixes and memory suffixes, plus the precision path when not the workload's.
fn point_label(cfg: &crate::config::Config, p: &Point) -> String {
    let mut l = label_id(cfg, &p.id);
    for pre in ["Cloud ", "AMD Instinct ", "AWS "] {
        if let Some(r) = l.strip_prefix(pre) {
            l = r.to_string();
        }
    }
    let l = l
        .replace(" SXM 80GB", "")
        .replace(" SXM 40GB", " 40GB")
        .replace(" SXM2 16GB", "")
        .replace(" PCIe 16GB", "")
        .replace(" (one GK210)", "")
        .replace(" HGX", "")
        .replace(" NVL72", "");
    match p.path {
        Some(q) => format!("{l} {}", q.name()),
        None => l,
    }
}

fn chart(ctx: &Context<'_>, inference: bool) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    if cfg.economics.basis.term().is_none() {
        return Err("the owned basis has no dated offers (pick a cloud basis)".into());
    }
    let w = decade_workload(ctx, inference)?;
    let (ts, skipped) = trends(ctx, w);
    let csv = points_csv(cfg, &ts, w.precision());
    let mut series = Vec::new();
    let mut unfitted = Vec::new();
    let mut epoch_from = None;
    let mut starts: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut launch_words: Vec<String> = Vec::new();
    for SeriesTrend {
        group,
        points: mine,
        fit,
        launch_fit,
        span: (lo, hi),
    } in ts
    {
        if let (Group::Family(Family::Gpu), Some(tr)) = (group, fit) {
            epoch_from = Some((lo, (tr.a + tr.b * lo).exp(), hi));
        }
        starts.extend(mine.iter().map(|p| p.start.clone()));
        for p in mine.iter().filter(|p| p.first) {
            if let Some(q) = p.path {
                let l = format!("{} at {}", label_id(cfg, &p.id), q.name());
                if !paths.contains(&l) {
                    paths.push(l);
                }
            }
        }
        let look = group.look();
        let labelled = thin_labels(&mine);
        if let (Some(t), false) = (launch_fit, group == Group::Neocloud) {
            launch_words.push(format!("{} {}", look.legend, num(t.halving, 2)));
        }
        // The prices as points (a marker each; each chip labelled once, at its first price,
        // in its own series; the neocloud series unlabelled), and the fit as a dashed line.
        series.push(Series {
            name: if fit.is_some() {
                look.legend.to_string()
            } else {
                unfitted.push(look.legend);
                format!("{} (no fit)", look.legend)
            },
            look,
            style_index: 0,
            points: Vec::new(),
            band: None,
            point_labels: mine
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let label = if labelled.contains(&k) && matches!(group, Group::Family(Family::Gpu | Family::Tpu)) {
                        point_label(cfg, p)
                    } else {
                        String::new()
                    };
                    (p.year, p.cost, label)
                })
                .collect(),
        });
        if let Some(tr) = fit {
            let (a, b) = (tr.a, tr.b);
            series.push(Series {
                name: short_trend(&tr),
                look,
                style_index: 1,
                points: vec![(lo, (a + b * lo).exp()), (hi, (a + b * hi).exp())],
                band: None,
                point_labels: Vec::new(),
            });
        }
    }
    // Epoch's trend as a slope reference from the NVIDIA fit's first point: how fast a cost at
    // the published hardware trend would have fallen over the same dates.
    let mut epoch_note = None;
    if let Some((x0, y0, x1)) = epoch_from {
        let (h, lo, hi) = EPOCH_GPU_HALVING_YEARS;
        series.push(Series {
            name: format!("Epoch AI: {h} y [{lo}, {hi}]"),
            look: Family::Other.look(),
            style_index: 1,
            points: vec![(x0, y0), (x1, y0 * 0.5f64.powf((x1 - x0) / h))],
            band: None,
            point_labels: Vec::new(),
        });
        epoch_note = Some(format!(
            "Epoch AI: FLOP/s per $ of ML GPUs doubles every {h} y [{lo}, {hi}] (purchase prices 2006-2021; Trends in GPU price-performance, 2022), drawn from the NVIDIA fit's first point"
        ));
    }
    let mut notes = vec![format!(
        "Points: each chip at each dated {} price ({} market; neocloud apart) from the date it began; lines: least-squares fit, halving time [95% interval]",
        cfg.economics.basis.name(),
        cfg.economics.market.words(),
    )];
    if !launch_words.is_empty() {
        notes.push(format!("Halving time over launch prices only (years): {}", launch_words.join(", ")));
    }
    if !paths.is_empty() {
        notes.push(format!(
            "Without the workload's {}: costed at their best path, {} (label says so); older chips (era legacy) use borrowed efficiencies (estimates)",
            w.precision().name(),
            paths.join(", ")
        ));
    }
    notes.extend(epoch_note);
    if !unfitted.is_empty() {
        notes.push(format!(
            "No halving time for {}: dated prices span under {} years",
            unfitted.join(", "),
            MIN_FIT_SPAN_YEARS
        ));
    }
    notes.extend(super::notes_of(&skipped));
    let (stem, what, unit_label) = if inference {
        (
            INFERENCE_STEM,
            "a million output tokens",
            "USD per million output tokens (log scale)",
        )
    } else {
        (TRAINING_STEM, "the training run", "Training run cost (USD, log scale)")
    };
    let mut frame = ctx.frame(
        format!("Ten years of compute cost: {what}"),
        format!("{} · basis {}", w.name(), ctx.basis),
        notes,
    );
    frame.footer = footer_with_starts(&frame.footer, &starts);
    Ok(ChartFile {
        csv: Some(csv),
        stem,
        caption: format!(
            "The compute cost revolution: {what} ({}) on every generation since 2016, by the date each price began",
            w.name()
        ),
        chart: Chart::Line(LineChart {
            frame,
            x: axis("Date the price began", AxisScale::Linear, Unit::Plain(String::new())),
            y: axis(unit_label, AxisScale::Log, Unit::Usd),
            series,
            vlines: Vec::new(),
        }),
    })
}

/// The decade chart's CSV: every point with its chip, the precision it is costed at (and
/// whether that is not the workload's), the
/// provider and the date its price began, whether it is the chip's first price, and its label
/// on the chart (empty when thinned out); then each fit's two ends with its halving time.
fn points_csv(cfg: &crate::config::Config, ts: &[SeriesTrend], want: Precision) -> String {
    use crate::export::csv_field as q;
    let mut out = String::from("series,accelerator,precision,not_workload_precision,provider,price_from,year,cost,first_price,label\n");
    for t in ts {
        let labelled = thin_labels(&t.points);
        let legend = t.group.look().legend;
        for (k, p) in t.points.iter().enumerate() {
            let label = if labelled.contains(&k) && matches!(t.group, Group::Family(Family::Gpu | Family::Tpu)) {
                point_label(cfg, p)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                q(legend),
                q(&p.id),
                p.path.unwrap_or(want).name(),
                p.path.is_some(),
                q(&p.provider),
                q(&p.start),
                p.year,
                p.cost,
                p.first,
                q(&label)
            ));
        }
        if let Some(f) = t.fit {
            for x in [t.span.0, t.span.1] {
                out.push_str(&format!(
                    "{},,,,,,{},{},,{}\n",
                    q(&format!("{legend} fit")),
                    x,
                    (f.a + f.b * x).exp(),
                    q(&short_trend(&f))
                ));
            }
        }
    }
    out
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
    chart(ctx, false)
}

pub fn inference(ctx: &Context<'_>) -> Result<ChartFile, String> {
    chart(ctx, true)
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    #[test]
    fn a_rising_fit_with_an_open_interval_reads_as_flat() {
        let t = |halving: f64, ci95| super::Trend {
            halving,
            ci95,
            a: 0.0,
            b: 0.0,
            r2: 0.0,
            n: 9,
        };
        // Neocloud training cost: "doubles every 49 y [3.8, open]" said a rise the data does not
        // support at 95%.
        assert_eq!(
            super::short_trend(&t(-49.0, Some((-3.8, f64::NEG_INFINITY)))),
            "flat: no trend at 95%"
        );
        // A supported rise and a supported fall keep their words.
        assert_eq!(super::short_trend(&t(-4.0, Some((-3.0, -6.0)))), "doubles: 4.0 y [3.0, 6.0]");
        assert_eq!(super::short_trend(&t(3.2, Some((2.3, 5.4)))), "halves: 3.2 y [2.3, 5.4]");
    }

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
    fn labels_mark_record_low_launches_a_gap_apart() {
        use super::{Group, Point};
        use crate::config::Family;
        let p = |year: f64, first: bool, cost: f64| Point {
            series: Group::Family(Family::Gpu),
            id: format!("c{year}"),
            year,
            cost,
            start: String::new(),
            path: None,
            first,
            provider: String::new(),
        };
        // Firsts at 2016.75 (cost 10, kept: the first), 2017.8 (5, a new low 1.05 y on: kept),
        // 2018.5 (4, a new low but 0.7 y after the last label: dropped), 2019.7 (6, not a new
        // low: dropped), 2021.0 (2, a new low: kept); a later price at 2022.6 (1) is no launch;
        // 2021.5 (1.5, a new low, but within 1.5 y of the newest price 2022.6: unlabelled).
        let pts = [
            p(2016.75, true, 10.0),
            p(2017.8, true, 5.0),
            p(2018.5, true, 4.0),
            p(2019.7, true, 6.0),
            p(2021.0, true, 2.0),
            p(2021.5, true, 1.5),
            p(2022.6, false, 1.0),
        ];
        assert_eq!(super::thin_labels(&pts), vec![0, 1, 4]);
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
        assert_eq!(super::short_trend(&tr), "halves: 0.87 y [0.23, open]");
        // Two points: a halving time, no interval.
        let two = super::halving_time(&[(0.0, 1.0), (2.0, 0.5)]).expect("a fit");
        assert_eq!(two.ci95, None);
        assert!(!super::short_trend(&two).contains('['), "two points: no interval");
        // A flat series says so, not "doubles every inf years".
        let flat = super::halving_time(&[(0.0, 1.0), (1.0, 1.0), (4.0, 1.0)]).expect("a fit");
        assert_eq!(super::short_trend(&flat), "no change");
    }
}

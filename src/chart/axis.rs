//! Axes: number formatting by unit (`$1k`, `$10M`, `1e24`, `0.42x`), data domains, tick
//! placement for linear and log scales (decades, with 2 and 5 when a range spans about one
//! decade), and the mapping from data values to pixels.

use super::{AxisScale, Unit};

// ---- formatting -------------------------------------------------------------------------------

/// Formats an axis tick: short, trailing zeros dropped (`$1k`, `$10M`, `$1.2B`, `1e24`,
/// `0.5x`, `2024`).
pub fn format_tick(v: f64, unit: &Unit) -> String {
    format_number(v, unit, None, false)
}

/// Formats a value for a label with three significant digits (`$1.23M`, `$2.14/h`,
/// `0.42x`, `3.2e24`, `12.5k`).
pub fn format_value(v: f64, unit: &Unit) -> String {
    format_number(v, unit, None, true)
}

/// How the ticks of one linear axis are written: one suffix for the whole axis (from the
/// largest tick) and as many decimals as the step needs (`$0.5M`, `$1.0M`; `0.50x`, `0.75x`).
#[derive(Debug, Clone, Copy)]
struct Linear {
    step: f64,
    max_abs: f64,
}

fn format_number(v: f64, unit: &Unit, lin: Option<Linear>, value: bool) -> String {
    if v.is_nan() {
        return "n/a".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    // Snap float noise (1e-17 for a zero tick, -0.0) before formatting.
    let noise = lin.map_or(0.0, |l| l.step.abs() * 1e-9);
    let v = if v.abs() <= noise { 0.0 } else { v };
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    match unit {
        Unit::Usd => format!("{sign}${}", compact(a, lin, value, true)),
        Unit::UsdPerHour => {
            if value {
                format!("{sign}${}/h", compact(a, lin, true, true))
            } else {
                format!("{sign}${}", compact(a, lin, false, true))
            }
        }
        Unit::Count => format!("{sign}{}", compact(a, lin, value, false)),
        Unit::Ratio => format!("{sign}{}x", ratio(a, lin, value)),
        Unit::Plain(suffix) => {
            let big = lin.map_or(a, |l| l.max_abs) >= 10_000.0;
            let body = if big { compact(a, lin, value, false) } else { plain(a, lin, value) };
            format!("{sign}{body}{suffix}")
        }
    }
}

/// Decimals that show `step` exactly enough (step 0.25 -> 2, step 5 -> 0).
fn decimals_for_step(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    let mut d = 0usize;
    let mut s = step;
    while d < 9 && (s - s.round()).abs() > 1e-6 * s.max(1.0) {
        s *= 10.0;
        d += 1;
    }
    d
}

/// Decimals for `sig` significant digits of `a` (a > 0).
fn decimals_for_sig(a: f64, sig: i32) -> usize {
    if a <= 0.0 || !a.is_finite() {
        return 0;
    }
    let mag = a.log10().floor() as i32;
    (sig - 1 - mag).clamp(0, 12) as usize
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

const SUFFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];

fn suffix_for(a: f64) -> (f64, &'static str) {
    SUFFIXES.iter().find(|(div, _)| a >= div * 0.9995).copied().unwrap_or((1.0, ""))
}

/// `a` (>= 0) with k/M/B/T suffix: `950`, `1k`, `1.2M`, `10B`.
fn compact(a: f64, lin: Option<Linear>, value: bool, money: bool) -> String {
    if let Some(l) = lin {
        if a == 0.0 {
            return "0".to_string();
        }
        let (div, suffix) = suffix_for(l.max_abs);
        let decimals = decimals_for_step(l.step / div).min(6);
        return format!("{:.decimals$}{suffix}", a / div);
    }
    if a == 0.0 {
        return "0".to_string();
    }
    let (div, suffix) = suffix_for(a);
    let m = a / div;
    if money && value && suffix.is_empty() && (0.01..99.995).contains(&m) {
        // Plain amounts read as money: cents ("2.70"), no trimming.
        return format!("{m:.2}");
    }
    let decimals = if m < 1.0 {
        decimals_for_sig(m, 2)
    } else {
        decimals_for_sig(m, if value { 3 } else { 2 })
    };
    let text = trim_zeros(format!("{m:.decimals$}"));
    // Rounding may give "1000k": move up one suffix.
    if suffix != "T" && text.split('.').next().is_some_and(|i| i.len() >= 4) {
        return compact(a * 1.001, None, value, money);
    }
    format!("{text}{suffix}")
}

fn ratio(a: f64, lin: Option<Linear>, value: bool) -> String {
    if a == 0.0 && !value {
        return "0".to_string();
    }
    match lin {
        Some(l) => format!("{a:.*}", decimals_for_step(l.step).min(3)),
        None if value => {
            let d = if a >= 100.0 {
                0
            } else if a >= 10.0 {
                1
            } else if a >= 0.01 || a == 0.0 {
                2
            } else {
                decimals_for_sig(a, 2)
            };
            format!("{a:.d$}")
        }
        None => trim_zeros(format!("{a:.*}", decimals_for_sig(a, 2).min(6))),
    }
}

fn plain(a: f64, lin: Option<Linear>, value: bool) -> String {
    match lin {
        Some(l) => format!("{a:.*}", decimals_for_step(l.step).min(6)),
        None => {
            if a == 0.0 {
                "0".to_string()
            } else if a >= 100.0 && !value {
                format!("{a:.0}")
            } else {
                trim_zeros(format!("{a:.*}", decimals_for_sig(a, 3)))
            }
        }
    }
}

// ---- domains and ticks ------------------------------------------------------------------------

/// Whether `v` can be placed on an axis of this scale.
pub(super) fn valid(v: f64, scale: AxisScale) -> bool {
    v.is_finite() && (scale == AxisScale::Linear || v > 0.0)
}

/// Smallest and largest placeable value, if any.
pub(super) fn data_range(values: impl IntoIterator<Item = f64>, scale: AxisScale) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| valid(*v, scale)).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Turns a data range into an axis domain: widens empty or zero-width ranges, pads by `pad`
/// (share of the span, in log space for log axes), and for linear axes optionally starts at
/// zero when all values are positive and the range is not far from zero.
pub(super) fn domain(range: Option<(f64, f64)>, scale: AxisScale, pad: f64, zero: bool) -> (f64, f64) {
    match scale {
        AxisScale::Linear => {
            let (mut lo, mut hi) = range.unwrap_or((0.0, 1.0));
            if zero {
                if lo > 0.0 && lo <= 0.5 * hi {
                    lo = 0.0;
                }
                if hi < 0.0 && hi >= 0.5 * lo {
                    hi = 0.0;
                }
            }
            if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) {
                // One value: a year-like integer gets +-1, anything else +-10 %.
                let year_like = lo.fract() == 0.0 && lo.abs() >= 1000.0 && lo.abs() < 1e6;
                let d = if lo == 0.0 || year_like { 1.0 } else { lo.abs() * 0.1 };
                return (lo - d, hi + d);
            }
            let span = hi - lo;
            let lo = if zero && lo == 0.0 { 0.0 } else { lo - span * pad };
            let hi = if zero && hi == 0.0 { 0.0 } else { hi + span * pad };
            (lo, hi)
        }
        AxisScale::Log => {
            let (lo, hi) = range.unwrap_or((1.0, 10.0));
            let (l, h) = (lo.log10(), hi.log10());
            if h - l < 1e-9 {
                return (lo / 2.0, hi * 2.0);
            }
            let span = h - l;
            (10f64.powf(l - span * pad), 10f64.powf(h + span * pad))
        }
    }
}

/// A "nice" step near `raw`: 1, 2, 2.5 or 5 times a power of ten.
pub(super) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    // Closest of 1, 2, 2.5, 5, 10 (geometrically).
    let nice = if f < 1.45 {
        1.0
    } else if f < 2.2 {
        2.0
    } else if f < 3.4 {
        2.5
    } else if f < 7.2 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The finest nice step that puts at most `target + 1` ticks in `lo..=hi`.
fn choose_step(lo: f64, hi: f64, target: usize) -> f64 {
    let span = hi - lo;
    let mut step = nice_step(span / (2.0 * target.max(1) as f64));
    for _ in 0..12 {
        let count = (hi / step + 1e-9).floor() - (lo / step - 1e-9).ceil() + 1.0;
        if count <= (target + 1) as f64 {
            return step;
        }
        // Next nice step up: 1 -> 2 -> 2.5 -> 5 -> 10.
        let mag = 10f64.powf(step.log10().floor());
        let f = (step / mag * 10.0).round() / 10.0;
        step = mag
            * if f < 2.0 {
                2.0
            } else if f < 2.5 {
                2.5
            } else if f < 5.0 {
                5.0
            } else {
                10.0
            };
    }
    step
}

/// Widens a linear domain outward to whole steps (y axes, bar value axes).
pub(super) fn round_out(dom: (f64, f64), target: usize) -> (f64, f64) {
    let step = choose_step(dom.0, dom.1, target);
    let lo = (dom.0 / step - 1e-9).floor() * step;
    let hi = (dom.1 / step + 1e-9).ceil() * step;
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (lo, hi)
    } else {
        dom
    }
}

/// About how many ticks fit along `len` pixels (`k` pixels per design pixel); log axes label
/// every decade while they fit.
pub(super) fn tick_target(len: f64, k: f64, scale: AxisScale, horizontal: bool) -> usize {
    use super::style::{LOG_X_TICK_SPACING, LOG_Y_TICK_SPACING, X_TICK_SPACING, Y_TICK_SPACING};
    let spacing = match (scale, horizontal) {
        (AxisScale::Linear, true) => X_TICK_SPACING,
        (AxisScale::Linear, false) => Y_TICK_SPACING,
        (AxisScale::Log, true) => LOG_X_TICK_SPACING,
        (AxisScale::Log, false) => LOG_Y_TICK_SPACING,
    };
    let n = (len / (spacing * k)).round();
    if n.is_finite() { n.clamp(2.0, 12.0) as usize } else { 2 }
}

/// Widens a log domain to the nearest 1, 2, 3 or 5 times a power of ten at each end when that
/// costs little (at most 12 % of the span), so the ends carry a labelled tick.
pub(super) fn round_out_log(dom: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = dom;
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return dom;
    }
    let span = hi.log10() - lo.log10();
    let allowed = span * 0.12;
    let steps = |e: i32| [1.0, 2.0, 3.0, 5.0].map(|m| m * 10f64.powi(e));
    let e_lo = lo.log10().floor() as i32;
    let below = steps(e_lo)
        .into_iter()
        .filter(|v| *v <= lo * (1.0 + 1e-12))
        .fold(f64::NAN, f64::max);
    let e_hi = hi.log10().floor() as i32;
    let above = steps(e_hi)
        .into_iter()
        .chain(steps(e_hi + 1))
        .filter(|v| *v >= hi * (1.0 - 1e-12))
        .fold(f64::NAN, f64::min);
    let new_lo = if below.is_finite() && lo.log10() - below.log10() <= allowed {
        below
    } else {
        lo
    };
    let new_hi = if above.is_finite() && above.log10() - hi.log10() <= allowed {
        above
    } else {
        hi
    };
    (new_lo, new_hi)
}

/// One tick on an axis.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    pub value: f64,
    pub label: String,
}

/// Ticks inside `dom`, about `target` of them.
pub(super) fn ticks(dom: (f64, f64), scale: AxisScale, unit: &Unit, target: usize) -> Vec<Tick> {
    let target = target.clamp(2, 12);
    let (lo, hi) = (dom.0.min(dom.1), dom.0.max(dom.1));
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    match scale {
        AxisScale::Linear => linear_ticks(lo, hi, unit, target),
        AxisScale::Log if lo > 0.0 => log_ticks(lo, hi, unit, target),
        AxisScale::Log => Vec::new(),
    }
}

/// Whether a linear axis reads as calendar years: a plain number between 1900 and 2200.
fn is_year_axis(lo: f64, hi: f64, unit: &Unit) -> bool {
    matches!(unit, Unit::Plain(suffix) if suffix.is_empty()) && lo >= 1900.0 && hi <= 2200.0
}

/// Month names for calendar ticks.
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Ticks of a year axis too short for three whole-year ticks: the first day of every 1st,
/// 3rd or 6th month (the finest that keeps at most `target + 1` ticks), written `Jul 2025`;
/// `None` when whole years suit (a long span) or months would not fit.
fn month_ticks(lo: f64, hi: f64, target: usize) -> Option<Vec<Tick>> {
    let whole_years = (hi + 1e-9).floor() - (lo - 1e-9).ceil() + 1.0;
    if whole_years >= 3.0 {
        return None;
    }
    // In months since year 0; a tick at month m is the date m / 12 (year_of's convention:
    // 2025-07-01 is 2025.5).
    let (m_lo, m_hi) = ((lo * 12.0 - 1e-6).ceil() as i64, (hi * 12.0 + 1e-6).floor() as i64);
    let step = [1i64, 3, 6]
        .into_iter()
        .find(|s| (m_hi.div_euclid(*s) - (m_lo + s - 1).div_euclid(*s) + 1) as usize <= target + 1)?;
    let first = (m_lo + step - 1).div_euclid(step) * step;
    let ticks: Vec<Tick> = (first..=m_hi)
        .step_by(step as usize)
        .map(|m| Tick {
            value: m as f64 / 12.0,
            label: format!("{} {}", MONTHS[m.rem_euclid(12) as usize], m.div_euclid(12)),
        })
        .collect();
    (ticks.len() >= 2).then_some(ticks)
}

fn linear_ticks(lo: f64, hi: f64, unit: &Unit, target: usize) -> Vec<Tick> {
    let mut step = choose_step(lo, hi, target);
    if is_year_axis(lo, hi, unit) {
        if let Some(t) = month_ticks(lo, hi, target) {
            return t;
        }
        // Whole years only: no 2023.5, and 5 instead of 2.5.
        step = if step <= 1.0 {
            1.0
        } else if step.fract() != 0.0 {
            step.ceil().max(5.0)
        } else {
            step
        };
    }
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    if last < first || last - first > 1000 {
        return Vec::new();
    }
    let max_abs = (first as f64 * step).abs().max((last as f64 * step).abs());
    let lin = Linear { step, max_abs };
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            Tick {
                value: v,
                label: format_number(v, unit, Some(lin), false),
            }
        })
        .collect()
}

/// Ticks of a log ratio axis spanning at most ten doublings: powers of two (0.25x, 0.5x, 1x,
/// 2x, 4x), every 2nd (4th, ...) one when they would not fit; `None` for wider spans.
fn ratio_log_ticks(lo: f64, hi: f64, target: usize) -> Option<Vec<Tick>> {
    let (e0, e1) = ((lo.log2() - 1e-9).ceil() as i32, (hi.log2() + 1e-9).floor() as i32);
    if e1 - e0 > 10 || e1 < e0 + 1 {
        return None;
    }
    // Ratio labels are short ("0.25x"): two more ticks than the target still fit, so nine
    // doublings tick every 2nd (0.25x, 1x, 4x, 16x, 64x) and a bar below 1x has a tick near it.
    let stride = ((e1 - e0 + 1) as f64 / (target + 2) as f64).ceil().max(1.0) as i32;
    // Keep 1x among the ticks when a stride skips some.
    let start = e0 + (-e0).rem_euclid(stride);
    let ticks: Vec<Tick> = (start..=e1)
        .step_by(stride as usize)
        .map(|e| {
            let v = 2f64.powi(e);
            Tick {
                value: v,
                label: format!("{}x", trim_zeros(format!("{v:.*}", decimals_for_sig(v, 3)))),
            }
        })
        .collect();
    (ticks.len() >= 2).then_some(ticks)
}

fn log_ticks(lo: f64, hi: f64, unit: &Unit, target: usize) -> Vec<Tick> {
    if *unit == Unit::Ratio
        && let Some(t) = ratio_log_ticks(lo, hi, target)
    {
        return t;
    }
    let tick = |v: f64| Tick {
        value: v,
        label: format_tick(v, unit),
    };
    let e0 = (lo.log10() - 1e-9).ceil() as i32;
    let e1 = (hi.log10() + 1e-9).floor() as i32;
    let decades = e1 - e0 + 1;
    if decades >= 3 {
        // Whole decades, every `stride`-th one when there are many (one more for the short ratio
        // labels, so 0.1x-100x ticks every decade where bars may sit between two ticks).
        let fit = if *unit == Unit::Ratio { target + 1 } else { target };
        let stride = ((decades as f64) / fit as f64).ceil().max(1.0) as i32;
        let start = e0 + (e0.rem_euclid(stride) != 0) as i32 * (stride - e0.rem_euclid(stride));
        return (start..=e1).step_by(stride as usize).map(|e| tick(10f64.powi(e))).collect();
    }
    // About one decade: 1, 2, 5 (or 1, 2, 3, 5 when very narrow) times powers of ten.
    let (m0, m1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let with = |mults: &[f64]| {
        let mut out = Vec::new();
        for e in m0..=m1 {
            for m in mults {
                let v = m * 10f64.powi(e);
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    out.push(tick(v));
                }
            }
        }
        out
    };
    let mut out = if hi / lo < 12.0 {
        with(&[1.0, 2.0, 3.0, 5.0])
    } else {
        with(&[1.0, 2.0, 5.0])
    };
    if out.len() < 3 {
        out = with(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0]);
    }
    if out.len() > target + 1 {
        // Too many: keep 1, 2, 5 only.
        out.retain(|t| {
            let m = t.value / 10f64.powf(t.value.log10().floor());
            [1.0, 2.0, 5.0].iter().any(|k| (m - k).abs() < 1e-6)
        });
    }
    if out.len() < 2 {
        return linear_ticks(lo, hi, unit, target.min(4));
    }
    out
}

/// Minor gridline positions of a log axis (2..9 times each decade) when its major ticks are
/// consecutive decades over a few decades; empty otherwise.
pub(super) fn log_minor(dom: (f64, f64), scale: AxisScale, major: &[Tick]) -> Vec<f64> {
    if scale != AxisScale::Log || !(dom.0 > 0.0 && dom.1 > dom.0 && dom.1.is_finite()) {
        return Vec::new();
    }
    let decade = |v: f64| (v.log10() - v.log10().round()).abs() < 1e-9;
    let consecutive = major.windows(2).all(|w| (w[1].value / w[0].value - 10.0).abs() < 1e-6);
    if major.len() < 2 || !major.iter().all(|t| decade(t.value)) || !consecutive {
        return Vec::new();
    }
    let (e0, e1) = (dom.0.log10().floor() as i32, dom.1.log10().ceil() as i32);
    if e1 - e0 > 6 || e1 - e0 < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in e0..e1 {
        for m in 2..10 {
            let v = f64::from(m) * 10f64.powi(e);
            if v > dom.0 && v < dom.1 {
                out.push(v);
            }
        }
    }
    out
}

// ---- mapping ------------------------------------------------------------------------------------

/// Maps data values on one axis to pixels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    pub scale: AxisScale,
    /// Domain, transformed (log10 for log axes).
    t0: f64,
    t1: f64,
    /// Pixel positions of the domain ends.
    pub p0: f64,
    pub p1: f64,
}

impl Scale {
    pub fn new(scale: AxisScale, dom: (f64, f64), p0: f64, p1: f64) -> Scale {
        let tr = |v: f64| match scale {
            AxisScale::Linear => v,
            AxisScale::Log => v.max(f64::MIN_POSITIVE).log10(),
        };
        let (mut t0, mut t1) = (tr(dom.0), tr(dom.1));
        if !(t0.is_finite() && t1.is_finite()) || (t1 - t0).abs() < 1e-300 {
            t0 = 0.0;
            t1 = 1.0;
        }
        Scale { scale, t0, t1, p0, p1 }
    }

    /// Transformed value (log10 on log axes), `None` if it cannot be placed.
    pub fn t(&self, v: f64) -> Option<f64> {
        if !valid(v, self.scale) {
            return None;
        }
        Some(match self.scale {
            AxisScale::Linear => v,
            AxisScale::Log => v.log10(),
        })
    }

    /// Pixel of a transformed value.
    pub fn px_t(&self, t: f64) -> f64 {
        self.p0 + (t - self.t0) / (self.t1 - self.t0) * (self.p1 - self.p0)
    }

    /// Pixel of a data value, `None` if it cannot be placed.
    pub fn px(&self, v: f64) -> Option<f64> {
        self.t(v).map(|t| self.px_t(t))
    }

    /// Pixel of a data value, clamped into a bounded band around the axis so huge values
    /// cannot overflow integer pixel coordinates.
    pub fn px_clamped(&self, v: f64) -> Option<f64> {
        let (a, b) = (self.p0.min(self.p1), self.p0.max(self.p1));
        let span = (b - a).max(1.0);
        self.px(v).map(|p| p.clamp(a - 4.0 * span, b + 4.0 * span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_ticks_are_compact() {
        assert_eq!(format_tick(1000.0, &Unit::Usd), "$1k");
        assert_eq!(format_tick(1e7, &Unit::Usd), "$10M");
        assert_eq!(format_tick(1.2e9, &Unit::Usd), "$1.2B");
        assert_eq!(format_tick(1e9, &Unit::Usd), "$1B");
        assert_eq!(format_tick(1e10, &Unit::Usd), "$10B");
        assert_eq!(format_tick(250_000.0, &Unit::Usd), "$250k");
        assert_eq!(format_tick(0.5, &Unit::Usd), "$0.5");
        assert_eq!(format_tick(999_999.0, &Unit::Usd), "$1M");
        assert_eq!(format_tick(-2e6, &Unit::Usd), "-$2M");
    }

    #[test]
    fn values_keep_three_digits() {
        assert_eq!(format_value(1_234_567.0, &Unit::Usd), "$1.23M");
        assert_eq!(format_value(2.144, &Unit::UsdPerHour), "$2.14/h");
        assert_eq!(format_value(0.42, &Unit::Ratio), "0.42x");
        assert_eq!(format_value(1.0, &Unit::Ratio), "1.00x");
        assert_eq!(format_value(2.7, &Unit::UsdPerHour), "$2.70/h");
        assert_eq!(format_value(950.0, &Unit::Usd), "$950");
        assert_eq!(format_value(12.0, &Unit::Count), "12");
        assert_eq!(format_value(12_500.0, &Unit::Count), "12.5k");
    }

    #[test]
    fn ratios() {
        assert_eq!(format_tick(0.42, &Unit::Ratio), "0.42x");
        assert_eq!(format_tick(2.0, &Unit::Ratio), "2x");
        assert_eq!(format_tick(2024.0, &Unit::Plain(String::new())), "2024");
        assert_eq!(format_tick(40.0, &Unit::Plain("%".into())), "40%");
        assert_eq!(format_tick(25_000.0, &Unit::Plain(String::new())), "25k");
        assert_eq!(format_tick(f64::NAN, &Unit::Usd), "n/a");
    }

    #[test]
    fn never_writes_long_integers() {
        for e in 0..15 {
            let s = format_tick(10f64.powi(e), &Unit::Usd);
            assert!(s.len() <= 5, "{s}");
            let s = format_tick(10f64.powi(e), &Unit::Count);
            assert!(s.len() <= 4, "{s}");
        }
    }

    #[test]
    fn year_axes_get_whole_year_ticks() {
        // 2022.2..2025.8 at 8 ticks would step by 0.5 (2022.5, 2023.5): years step by 1.
        let t = ticks((2022.2, 2025.8), AxisScale::Linear, &Unit::Plain(String::new()), 8);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["2023", "2024", "2025"]);
        // A span that would step by 2.5 steps by 5.
        let t = ticks((2000.0, 2013.0), AxisScale::Linear, &Unit::Plain(String::new()), 5);
        assert!(t.iter().all(|t| t.value.fract() == 0.0), "{t:?}");
        // Not a year: fractions stay.
        let t = ticks((0.0, 2.0), AxisScale::Linear, &Unit::Plain(String::new()), 8);
        assert!(t.iter().any(|t| t.value.fract() != 0.0));
    }

    #[test]
    fn short_year_axes_get_month_ticks() {
        let labels = |dom: (f64, f64), target: usize| -> Vec<String> {
            ticks(dom, AxisScale::Linear, &Unit::Plain(String::new()), target)
                .into_iter()
                .map(|t| t.label)
                .collect()
        };
        // Mar 2025 (2025 + 2/12) .. Nov 2026 (2026 + 10/12): 21 months; at 6 ticks, quarterly
        // ticks would be 7 (Apr, Jul, Oct, Jan, Apr, Jul, Oct) <= 6 + 1.
        assert_eq!(
            labels((2025.0 + 2.0 / 12.0, 2026.0 + 10.0 / 12.0), 6),
            ["Apr 2025", "Jul 2025", "Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026"]
        );
        // At 4 ticks: every 6th month (Jul 2025, Jan 2026, Jul 2026).
        assert_eq!(
            labels((2025.0 + 2.0 / 12.0, 2026.0 + 10.0 / 12.0), 4),
            ["Jul 2025", "Jan 2026", "Jul 2026"]
        );
        // Five months: monthly. Jul 2025 is 2025.5, as year_of reads "2025-07-01".
        let t = ticks((2025.45, 2025.9), AxisScale::Linear, &Unit::Plain(String::new()), 8);
        assert_eq!(t.first().map(|t| (t.value, t.label.as_str())), Some((2025.5, "Jul 2025")));
        assert_eq!(t.len(), 5);
        // Never a fractional year label.
        for dom in [(2024.9, 2026.4), (2025.1, 2025.3), (2023.6, 2026.2)] {
            for l in labels(dom, 6) {
                assert!(!l.contains('.'), "{dom:?}: {l}");
            }
        }
    }

    #[test]
    fn log_ratio_axes_tick_at_doublings() {
        let labels = |dom: (f64, f64), target: usize| -> Vec<String> {
            ticks(dom, AxisScale::Log, &Unit::Ratio, target)
                .into_iter()
                .map(|t| t.label)
                .collect()
        };
        assert_eq!(labels((0.2, 17.0), 8), ["0.25x", "0.5x", "1x", "2x", "4x", "8x", "16x"]);
        // Seven doublings at 3 ticks: every 2nd one, 1x kept (2^-2, 2^0, 2^2, 2^4).
        assert_eq!(labels((0.2, 17.0), 3), ["0.25x", "1x", "4x", "16x"]);
        assert_eq!(labels((0.06, 0.3), 6), ["0.0625x", "0.125x", "0.25x"]);
        // Wider than ten doublings: decades as before.
        assert_eq!(labels((0.01, 100.0), 6), ["0.01x", "0.1x", "1x", "10x", "100x"]);
        // Nine doublings at 3 ticks: every 2nd (five labels), so 0.2x-1x has one (0.25x).
        assert_eq!(labels((0.15, 90.0), 3), ["0.25x", "1x", "4x", "16x", "64x"]);
        // 0.026x-100x at 3: every decade (0.1x, 1x, 10x, 100x), not 1x and 100x alone.
        assert_eq!(labels((0.026, 150.0), 3), ["0.1x", "1x", "10x", "100x"]);
    }

    #[test]
    fn linear_ticks_share_decimals() {
        let t = ticks((0.0, 1.0), AxisScale::Linear, &Unit::Ratio, 5);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0x", "0.2x", "0.4x", "0.6x", "0.8x", "1.0x"]);
        let t = ticks((0.0, 2.6e6), AxisScale::Linear, &Unit::Usd, 5);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["$0", "$0.5M", "$1.0M", "$1.5M", "$2.0M", "$2.5M"]);
    }

    #[test]
    fn log_ticks_at_decades() {
        let t = ticks((800.0, 2e10), AxisScale::Log, &Unit::Usd, 8);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["$1k", "$10k", "$100k", "$1M", "$10M", "$100M", "$1B", "$10B"]);
        let t = ticks((1e15, 1e27), AxisScale::Log, &Unit::Count, 6);
        assert!(t.len() <= 7 && t.len() >= 4, "{t:?}");
        let t = ticks((1.5, 40.0), AxisScale::Log, &Unit::Usd, 8);
        let labels: Vec<_> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["$2", "$5", "$10", "$20"]);
    }

    #[test]
    fn log_domains_round_to_labelled_ends() {
        let (lo, hi) = round_out_log((5.6, 36.0));
        assert!((lo - 5.0).abs() < 1e-9, "{lo}");
        assert!((hi - 36.0).abs() < 1e-9, "{hi}");
        let (lo, hi) = round_out_log((80.0, 7e9));
        assert!((lo - 50.0).abs() < 1e-9 && (hi - 1e10).abs() < 1.0, "{lo} {hi}");
    }

    #[test]
    fn degenerate_domains_are_widened() {
        let (lo, hi) = domain(Some((5.0, 5.0)), AxisScale::Linear, 0.05, false);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = domain(Some((5.0, 5.0)), AxisScale::Log, 0.05, false);
        assert!(lo < 5.0 && hi > 5.0 && lo > 0.0);
        let (lo, hi) = domain(None, AxisScale::Log, 0.05, false);
        assert!(lo > 0.0 && hi > lo);
        assert_eq!(data_range([f64::NAN, -1.0, 0.0], AxisScale::Log), None);
    }
}

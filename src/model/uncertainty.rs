//! Uncertainty (MODEL.md "Uncertainty"): seeded Monte Carlo over every ranged input, each drawn
//! from a PERT distribution on (low, base, high), and percentiles of any figure.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Pert};

use crate::config::{Param, ParamTable};

use super::trace::Trace;

/// P10, P50 and P90 of a figure.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Band {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Band {
    /// A band that is a single value (no ranged input).
    pub fn point(x: f64) -> Band {
        Band { p10: x, p50: x, p90: x }
    }
}

/// `n` value vectors: ranged params drawn from PERT, the rest at base. The same seed gives the
/// same vectors (ChaCha8 is portable and stable across platforms and versions).
pub fn sample_values(params: &ParamTable, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let base = params.base_values();
    let ranged: Vec<(usize, Option<Pert<f64>>)> = params
        .ranged()
        .map(|p| {
            let i = params.info(p);
            let dist = (i.high > i.low).then(|| Pert::new(i.low, i.high).with_mode(i.base).ok()).flatten();
            (p.0, dist)
        })
        .collect();
    // One ChaCha stream per sample: the draws do not depend on how samples are split over
    // threads, so the same seed gives the same vectors however the work is scheduled.
    let draw = |i: usize| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(i as u64);
        let mut v = base.clone();
        for (k, dist) in &ranged {
            if let Some(d) = dist {
                v[*k] = d.sample(&mut rng);
            }
        }
        v
    };
    let half = n / 2;
    std::thread::scope(|s| {
        let h = s.spawn(|| (0..half).map(draw).collect::<Vec<_>>());
        let second: Vec<Vec<f64>> = (half..n).map(draw).collect();
        let mut first = h.join().unwrap_or_else(|_| (0..half).map(draw).collect());
        first.extend(second);
        first
    })
}

/// `f` of every item, in order, computed on two threads (the machine has two cores) that each
/// take the next item not yet taken, so uneven items still keep both busy. Items a failed
/// thread left undone are computed on this one.
pub fn on_both_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
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

/// The `q`-quantile (0..1) of sorted values, linear between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let w = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * w
}

/// The `q`-quantile of unsorted values, as [`quantile`] would give on them sorted, in linear
/// time (selection instead of a sort: Monte Carlo bands take thousands of these).
fn select_quantile(xs: &mut [f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (xs.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let w = pos - lo as f64;
    let (_, a, right) = xs.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    if w == 0.0 || right.is_empty() {
        return a;
    }
    let b = right.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * w
}

/// Fewer draws than this give no bands and no P10/P90 figures (MODEL.md "Uncertainty"): the
/// 10th percentile of a handful of draws is one draw, noise shown as knowledge.
pub const MIN_DRAWS: usize = 100;

/// P10/P50/P90 of the finite samples, as they fall: not widened to include the point figure
/// (where a range's base sits at its end, the point figure may lie outside [P10, P90], and that
/// is what the planner should see). `None` with fewer than [`MIN_DRAWS`] finite samples.
pub fn band(samples: &mut Vec<f64>) -> Option<Band> {
    samples.retain(|x| x.is_finite());
    if samples.len() < MIN_DRAWS {
        return None;
    }
    Some(Band {
        p10: select_quantile(samples, 0.1),
        p50: select_quantile(samples, 0.5),
        p90: select_quantile(samples, 0.9),
    })
}

/// A tracer that records which config numbers a figure reads.
#[derive(Default)]
pub struct Deps {
    pub params: Vec<Param>,
}

impl Trace for Deps {
    fn input(&mut self, _label: &str, param: Param, _value: f64) {
        if !self.params.contains(&param) {
            self.params.push(param);
        }
    }
}

impl Deps {
    /// The ranged numbers among the recorded ones.
    pub fn ranged(&self, table: &ParamTable) -> Vec<Param> {
        self.params.iter().copied().filter(|p| table.info(*p).ranged).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Origin, ParamInfo};

    fn table(low: f64, base: f64, high: f64) -> ParamTable {
        let mut t = ParamTable::default();
        t.push(ParamInfo {
            path: "x".into(),
            unit: "",
            low,
            base,
            high,
            ranged: true,
            origin: Origin::Default,
            source: None,
            as_of: None,
            estimate: false,
            conversion: None,
        });
        t
    }

    #[test]
    fn pert_mean_and_spread_match_theory() {
        // PERT(a=1, m=2, c=5): mean = (a + 4m + c) / 6 = 14/6 = 2.3333;
        // alpha = 1 + 4 (m - a)/(c - a) = 2, beta = 1 + 4 (c - m)/(c - a) = 4;
        // var = (mean - a)(c - mean) / 7 = 1.3333 * 2.6667 / 7 = 0.50794, sd = 0.71270
        let v = sample_values(&table(1.0, 2.0, 5.0), 40_000, 7);
        let xs: Vec<f64> = v.iter().map(|s| s[0]).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!((mean - 2.3333).abs() < 0.02, "mean {mean}");
        assert!((var.sqrt() - 0.7127).abs() < 0.02, "sd {}", var.sqrt());
        assert!(xs.iter().all(|x| (1.0..=5.0).contains(x)));
    }

    #[test]
    fn same_seed_same_samples_other_seed_other_samples() {
        let t = table(1.0, 2.0, 5.0);
        assert_eq!(sample_values(&t, 10, 42), sample_values(&t, 10, 42));
        assert_ne!(sample_values(&t, 10, 42), sample_values(&t, 10, 43));
    }

    #[test]
    fn quantiles_interpolate_and_bands_are_the_draws_percentiles() {
        let s: Vec<f64> = (0..=10).map(f64::from).collect();
        // position 0.1 * 10 = 1 -> 1.0; 0.5 -> 5.0; 0.9 -> 9.0
        assert_eq!(quantile(&s, 0.1), 1.0);
        assert_eq!(quantile(&s, 0.5), 5.0);
        // 0..=100: P10 at position 0.1 * 100 = 10 -> 10.0, P90 -> 90.0, never widened to a
        // point figure outside them.
        let mut hundred: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(
            band(&mut hundred),
            Some(Band {
                p10: 10.0,
                p50: 50.0,
                p90: 90.0
            })
        );
        // 99 draws are too few for a band.
        let mut few: Vec<f64> = (0..99).map(f64::from).collect();
        assert_eq!(band(&mut few), None);
        // selection agrees with sorting on scrambled data
        let mut scrambled: Vec<f64> = (0..1000).map(|k| ((k * 7919) % 1000) as f64).collect();
        let mut sorted = scrambled.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.1, 0.333, 0.5, 0.9, 1.0] {
            assert_eq!(select_quantile(&mut scrambled, q), quantile(&sorted, q));
        }
        // no ranged input: every sample equals the point
        let mut flat = vec![3.0; 200];
        assert_eq!(band(&mut flat), Some(Band::point(3.0)));
    }
}

//! Tornado and break-even map (docs/model.md "Uncertainty" and "Break-even"): what decides whether
//! an accelerator beats the reference.

use crate::config::{Accelerator, Config, Param};

use super::compare::Workload;
use super::uncertainty::Deps;

/// One input's swing of the cost ratio to the reference.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Swing {
    pub param: String,
    pub unit: &'static str,
    pub low_input: f64,
    pub high_input: f64,
    /// Ratio with this input at its low (the rest at base).
    pub ratio_at_low: f64,
    pub ratio_at_high: f64,
}

impl Swing {
    pub fn width(&self) -> f64 {
        (self.ratio_at_high - self.ratio_at_low).abs()
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tornado {
    pub workload: String,
    pub accelerator: String,
    pub reference: String,
    pub base_ratio: f64,
    /// Sorted by swing, widest first.
    pub swings: Vec<Swing>,
}

fn ratio(cfg: &Config, w: Workload<'_>, a: &Accelerator, r: &Accelerator, v: &[f64]) -> Option<f64> {
    let ca = w.estimate(cfg, a, v, &mut ()).ok()?.metric();
    let cr = w.estimate(cfg, r, v, &mut ()).ok()?.metric();
    Some(ca / cr)
}

/// Moves each ranged input of the pair to its low and high, the rest at base.
pub fn tornado(cfg: &Config, w: Workload<'_>, a: &Accelerator, r: &Accelerator) -> Option<Tornado> {
    let base = cfg.params.base_values();
    let base_ratio = ratio(cfg, w, a, r, &base)?;
    let mut deps = Deps::default();
    w.estimate(cfg, a, &base, &mut deps).ok()?;
    w.estimate(cfg, r, &base, &mut deps).ok()?;
    let mut swings: Vec<Swing> = deps
        .ranged(&cfg.params)
        .into_iter()
        .filter_map(|p: Param| {
            let i = cfg.params.info(p);
            let mut v = base.clone();
            v[p.0] = i.low;
            let lo = ratio(cfg, w, a, r, &v)?;
            v[p.0] = i.high;
            let hi = ratio(cfg, w, a, r, &v)?;
            Some(Swing {
                param: i.path.clone(),
                unit: i.unit,
                low_input: i.low,
                high_input: i.high,
                ratio_at_low: lo,
                ratio_at_high: hi,
            })
        })
        .collect();
    swings.sort_by(|x, y| y.width().total_cmp(&x.width()));
    Some(Tornado {
        workload: w.id().to_string(),
        accelerator: a.id.clone(),
        reference: r.id.clone(),
        base_ratio,
        swings,
    })
}

/// Cost ratio to the reference over a grid of the accelerator's chip-hour price (x) and a
/// multiplier on all its efficiencies (y). Cost is price x chip-hours and chip-hours scale as
/// 1 / efficiency (training: 1 / MFU; inference: every roofline time scales as 1 / efficiency,
/// and a measured throughput is taken to scale likewise), so
/// `ratio(x, y) = base_ratio * (x / price) / y` exactly.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BreakEvenMap {
    pub workload: String,
    pub accelerator: String,
    pub reference: String,
    pub price: f64,
    pub base_ratio: f64,
    pub break_even_price: f64,
    pub prices: Vec<f64>,
    pub efficiencies: Vec<f64>,
    /// `ratios[j][i]` at (prices[i], efficiencies[j]).
    pub ratios: Vec<Vec<f64>>,
}

pub fn break_even_map(workload: &str, accelerator: &str, reference: &str, price: f64, base_ratio: f64) -> BreakEvenMap {
    let n = 48;
    let break_even = price / base_ratio;
    // Prices from half the lower of today's and the break-even price to 1.6 times the higher:
    // both in view, and the ratios drawn stay within about 0.1x-10x (at 0.4-1.6x efficiency),
    // so the colour scale (fitted to them) resolves the region that matters, not free chips
    // near $0.
    let (lo, hi) = (price.min(break_even) / 2.0, price.max(break_even) * 1.6);
    let prices: Vec<f64> = (0..n).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / n as f64).collect();
    let efficiencies: Vec<f64> = (0..n).map(|j| 0.4 + 1.2 * (j as f64 + 0.5) / n as f64).collect();
    let ratios = efficiencies
        .iter()
        .map(|y| prices.iter().map(|x| base_ratio * (x / price) / y).collect())
        .collect();
    BreakEvenMap {
        workload: workload.to_string(),
        accelerator: accelerator.to_string(),
        reference: reference.to_string(),
        price,
        base_ratio,
        break_even_price: break_even,
        prices,
        efficiencies,
        ratios,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn break_even_map_is_one_at_the_break_even_price_and_base_efficiency() {
        // price 2, ratio 0.5: break-even price = 2 / 0.5 = 4; at (4, 1.0) the ratio is 0.5 * 2 / 1 = 1
        let m = break_even_map("w", "a", "r", 2.0, 0.5);
        assert_relative_eq!(m.break_even_price, 4.0);
        let r = |x: f64, y: f64| m.base_ratio * (x / m.price) / y;
        assert_relative_eq!(r(4.0, 1.0), 1.0);
        // half the efficiency doubles the ratio
        assert_relative_eq!(r(2.0, 0.5), 1.0);
        assert_eq!(m.ratios.len(), m.efficiencies.len());
        // Prices within 2 / 2 = 1 .. 4 * 1.6 = 6.4, so the ratios drawn lie within
        // 0.5 * (1 / 2) / 1.6 = 0.156x .. 0.5 * (6.4 / 2) / 0.4 = 4x, instead of reaching
        // towards 0 at a free chip.
        let (lo, hi) = (m.prices[0], m.prices[m.prices.len() - 1]);
        assert!(lo > 1.0 && hi < 6.4 && lo < 2.0 && 4.0 < hi, "{lo} {hi}");
        let all: Vec<f64> = m.ratios.iter().flatten().copied().collect();
        assert!(all.iter().all(|&r| r > 0.156 && r < 4.0), "{all:?}");
    }

    #[test]
    fn break_even_scaling_matches_the_full_model() {
        let mut cfg = crate::init::starter_config();
        // Billing rounds a run given `chips` to whole days on a capacity block, which the
        // break-even map's linear scaling ignores (within one increment): no `chips` here.
        for t in &mut cfg.training {
            t.chips = None;
        }
        let (a, r) = (
            cfg.accelerator("trn2").unwrap_or_else(|| panic!()),
            cfg.accelerator("h100-sxm").unwrap_or_else(|| panic!()),
        );
        let w = Workload::find(&cfg, "dense-70b").unwrap_or_else(|| panic!());
        let mut v = cfg.params.base_values();
        let base = ratio(&cfg, w, a, r, &v).unwrap_or(f64::NAN);
        let price_p = a.price_param(&cfg.economics).unwrap_or_else(|| panic!());
        let mfu_p = a
            .efficiency
            .training_mfu
            .as_ref()
            .and_then(|m| m.get(crate::config::Precision::Bf16))
            .unwrap_or_else(|| panic!());
        let (price, mfu) = (v[price_p.0], v[mfu_p.0]);
        // price x1.7, efficiency x0.8: ratio = base * 1.7 / 0.8
        v[price_p.0] = price * 1.7;
        v[mfu_p.0] = mfu * 0.8;
        assert_relative_eq!(ratio(&cfg, w, a, r, &v).unwrap_or(f64::NAN), base * 1.7 / 0.8, max_relative = 1e-12);
    }
}

//! Property tests of the model: linearity, monotonicity, and no NaN or infinity from any valid
//! config.

use proptest::prelude::*;

use super::inference::{self, InferenceInputs};
use super::price;
use super::training::{self, TrainingInputs};
use crate::config::load_str;

fn training_inputs() -> impl Strategy<Value = TrainingInputs> {
    (1e-3..1e4f64, 0.01..1.0f64, 1e-3..1e3f64, 1.0..1e5f64, 0.05..1.0f64, 0.1..100.0f64).prop_map(|(pb, share, tt, tf, mfu, price)| {
        TrainingInputs {
            params: pb * 1e9,
            active_params: pb * share * 1e9,
            tokens: tt * 1e12,
            flops_override: None,
            attention: Some(crate::config::AttentionShape {
                layers: 80,
                attention_width: 8192,
                seq_len: 4096,
                causal: true,
                hidden: 8192,
            }),
            peak_flops: tf * 1e12,
            mfu,
            moe_efficiency: 0.6,
            goodput: 0.9,
            usd_per_chip_hour: price,
            chips: Some(1024),
            billing: None,
            usable_memory: 72e9,
            bytes_per_param: 16.0,
            power_kw: 1.0,
            load_factor: 0.8,
            pue: 1.2,
        }
    })
}

fn inference_inputs() -> impl Strategy<Value = InferenceInputs> {
    (
        (0.1..2000.0f64, 0.01..1.0f64, 1.0..1024.0f64, 1.0..1e5f64, 1.0..1e4f64),
        (1.0..1e4f64, 0.1..20.0f64, 0.01..1.0f64, 0.01..1.0f64, 0.05..1.0f64),
        (0usize..4, 0.0..200.0f64, 0.0..100.0f64, 1.0..2000.0f64),
    )
        .prop_map(|((pb, share, batch, lin, lout), (tf, bw, mfu, mbu, util), (log_n, so, to, ic))| {
            let n = 1u64 << log_n;
            InferenceInputs {
                params: pb * 1e9,
                active_params: pb * share * 1e9,
                weight_bytes: 1.0,
                kv_bytes_per_token: 163_840.0,
                input_tokens: lin,
                output_tokens: lout,
                layers: 80.0,
                attention_width: 8192.0,
                decode_attention_width: 8192.0,
                hidden: 8192.0,
                heads: Some(64),
                kv_heads: Some(8.0),
                tp_unit_per_chip: 1,
                scale_up_chips: 64,
                cached_tokens: 0.0,
                shared_prefix: 0.0,
                spec_tokens: 0.0,
                acceptance: 1.0,
                draft_params: 0.0,
                draft_active_params: 0.0,
                draft_layers: 1.0,
                scale_out: 0.0,
                prefill_chips: None,
                attention_dp: false,
                experts: (share < 0.5).then_some((64.0, 4.0)),
                shared_params: pb * share * 0.3 * 1e9,
                batch: Some(batch),
                max_batch: 256.0,
                prefill_chunk_tokens: 8192.0,
                min_tokens_per_s_per_user: None,
                chips_per_replica: Some(n),
                max_chips_per_replica: 64,
                // Every replica holds its weights and its batch's KV cache (a given batch above
                // it is refused; the fit is tested elsewhere).
                usable_memory: pb * 1e9 + 1e9 + batch * 163_840.0 * (lin + lout / 2.0),
                peak_flops: tf * 1e12,
                bandwidth: bw * 1e12,
                interconnect: ic * 1e9,
                eff: inference::Eff {
                    serving_mfu: mfu,
                    weight_bw_eff: mbu,
                    kv_bw_eff: mbu,
                    step_overhead_us: so,
                    tp_overhead_us: to,
                    moe_efficiency: 0.5,
                },
                usd_per_chip_hour: 3.0,
                utilization: util,
            }
        })
}

fn rel_eq(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

proptest! {
    #[test]
    fn training_cost_is_linear_in_price_and_tokens(i in training_inputs(), k in 0.01..100.0f64) {
        let base = training::figures(&i, &mut ()).cost_usd;
        let priced = training::figures(&TrainingInputs { usd_per_chip_hour: i.usd_per_chip_hour * k, ..i }, &mut ()).cost_usd;
        let longer = training::figures(&TrainingInputs { tokens: i.tokens * k, ..i }, &mut ()).cost_usd;
        prop_assert!(rel_eq(priced, base * k));
        prop_assert!(rel_eq(longer, base * k));
    }

    #[test]
    fn inference_cost_is_linear_in_price(i in inference_inputs(), k in 0.01..100.0f64) {
        let base = inference::figures(&i, &mut ()).map(|f| f.usd_per_m_output_tokens);
        let priced = inference::figures(&InferenceInputs { usd_per_chip_hour: i.usd_per_chip_hour * k, ..i }, &mut ()).map(|f| f.usd_per_m_output_tokens);
        prop_assert!(matches!((base, priced), (Ok(b), Ok(p)) if rel_eq(p, b * k)));
    }

    #[test]
    fn input_and_output_prices_add_up_to_the_blended_one(i in inference_inputs()) {
        let f = inference::figures(&i, &mut ());
        prop_assert!(f.is_ok());
        let f = f.unwrap_or_else(|_| unreachable!());
        // Tokens per step: B output, p = B * Lin / Lout input.
        let (b, p) = (f.batch, f.batch * i.input_tokens / i.output_tokens);
        prop_assert!(rel_eq(f.usd_per_m_input_tokens * p + f.usd_per_m_output_tokens * b, f.usd_per_m_tokens * (b + p)));
        prop_assert!(f.usd_per_m_input_tokens >= 0.0 && f.usd_per_m_output_tokens > 0.0);
    }

    #[test]
    fn more_bandwidth_never_slows_a_step(i in inference_inputs(), k in 1.0..10.0f64) {
        let slow = inference::figures(&i, &mut ());
        let fast = inference::figures(&InferenceInputs { bandwidth: i.bandwidth * k, ..i }, &mut ());
        prop_assert!(matches!((slow, fast), (Ok(s), Ok(f)) if f.step_s <= s.step_s
            && f.output_tokens_per_s_per_chip >= s.output_tokens_per_s_per_chip * (1.0 - 1e-12)));
    }

    #[test]
    fn owned_cost_rises_with_electricity_price(e1 in 0.0..0.5f64, de in 1e-4..0.5f64) {
        // Parsed once for all cases: the property is about the price formula, not the reader.
        static CFG: std::sync::OnceLock<crate::config::Config> = std::sync::OnceLock::new();
        let cfg = CFG.get_or_init(starter);
        let mut v = cfg.params.base_values();
        let acc = &cfg.accelerators[0];
        v[cfg.economics.electricity_usd_per_kwh.0] = e1;
        let lo = price::owned(&cfg.economics, acc, &v, &mut ()).map(|b| b.total());
        v[cfg.economics.electricity_usd_per_kwh.0] = e1 + de;
        let hi = price::owned(&cfg.economics, acc, &v, &mut ()).map(|b| b.total());
        prop_assert!(matches!((lo, hi), (Ok(l), Ok(h)) if h > l));
    }
}

use crate::init::starter_config as starter;

/// A config with every number drawn from the whole valid range of its key.
fn extreme_config(vals: &[f64]) -> String {
    let g = |k: usize| vals[k % vals.len()];
    format!(
        r#"
[economics]
basis = "owned"
electricity_usd_per_kwh = {e}
pue = {pue}
hosting_usd_per_kw_month = {h}
lifetime_years = {l}
cost_of_capital = {r}
availability = {a}
system_power_factor = {spf}
usable_memory_fraction = {umf}
[[accelerator]]
id = "x"
family = "gpu"
year = 2024
dense_tflops = {{ bf16 = {tf} }}
memory_gb = {mem}
memory_tb_per_s = {bw}
power_w = {pw}
interconnect_gb_per_s = {ic}
[accelerator.cloud]
on_demand_usd_per_chip_hour = {od}
[accelerator.owned]
chip_usd = {chip}
vendor_gross_margin = {m}
[accelerator.efficiency]
training_mfu = {f1}
serving_mfu = {f2}
weight_bw_eff = {f3}
kv_bw_eff = {f4}
step_overhead_us_per_layer = {so}
tp_overhead_us_per_layer = {to}
moe_efficiency = {f3}
[[training]]
id = "t"
params_b = {pb}
tokens_t = {tt}
precision = "bf16"
chips = 3
[[inference]]
id = "i"
params_b = {pb}
precision = "bf16"
layers = 7
kv_heads = 3
head_dim = 5
heads = 4
attention_width = {aw}
input_tokens = {lin}
output_tokens = {lout}
batch = {b}
utilization = {u}
"#,
        e = g(0) * 1e15,
        pue = 1.0 + g(1) * 1e15,
        h = g(2) * 1e15,
        l = (g(3) * 1e15).max(1e-12),
        r = g(4) * 0.999,
        a = g(5).max(1e-12),
        spf = 1.0 + g(6) * 1e15,
        umf = g(7).max(1e-12),
        tf = (g(8) * 1e15).max(1e-12),
        mem = (g(9) * 1e15).max(1e-12),
        bw = (g(10) * 1e15).max(1e-12),
        pw = (g(11) * 1e15).max(1e-12),
        od = (g(12) * 1e15).max(1e-12),
        chip = (g(13) * 1e15).max(1e-12),
        m = g(14) * 0.999,
        f1 = g(15).max(1e-12),
        f2 = g(16).max(1e-12),
        f3 = g(17).max(1e-12),
        f4 = g(18).max(1e-12),
        pb = (g(19) * 1e15).max(1e-12),
        tt = (g(20) * 1e15).max(1e-12),
        lin = (g(21) * 1e15).max(1e-12),
        lout = (g(22) * 1e15).max(1e-12),
        b = 1.0 + g(23) * 1e15,
        u = g(24).max(1e-12),
        so = g(25) * 1e15,
        to = g(26) * 1e15,
        ic = (g(27) * 1e15).max(1e-12),
        aw = (g(28) * 1e15).max(1e-12),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Values are drawn log-uniformly across the whole valid range (1e-12..1e15), so the
    /// extremes a planner could type are covered, not just typical values.
    #[test]
    fn no_valid_config_yields_nan_or_infinity(exps in proptest::collection::vec(-27.0..0.0f64, 29)) {
        let vals: Vec<f64> = exps.iter().map(|e| 10f64.powf(*e)).collect();
        let text = extreme_config(&vals);
        let cfg = load_str("extreme.toml", &text, &[]);
        prop_assume!(cfg.is_ok());
        let cfg = cfg.unwrap_or_else(|_| unreachable!());
        let v = cfg.params.base_values();
        let accs: Vec<_> = cfg.accelerators.iter().collect();
        for basis in [crate::config::Basis::OnDemand, crate::config::Basis::Owned] {
            let mut c = cfg.clone();
            c.economics.basis = basis;
            for t in super::compare::compare(&c, &accs, &v) {
                for r in t.rows {
                    for (name, x) in r.figures.named() {
                        prop_assert!(x.is_finite(), "{name} = {x} on {basis:?}\n{text}");
                    }
                }
            }
        }
    }
}

#[test]
fn table_bands_are_the_percentiles_of_every_input_drawn_in_every_draw() {
    // `add_bands` takes three shortcuts: a row varies only the inputs its own figures read, the
    // reference's metric is costed once per table, and draws past the first CHUNK are drawn
    // again when read. The plain way (every ranged input varied in every draw, each row costed
    // beside the reference) must give the very same bands, ratio bands and shares.
    use super::compare::{self, Workload};
    use super::uncertainty::{CHUNK, Draws, band};
    let cfg = starter();
    let v = cfg.params.base_values();
    let accs: Vec<_> = cfg.accelerators.iter().collect();
    let n = CHUNK + 150;
    let samples = Draws::all(&cfg.params, n, 4);
    let all = Workload::all(&cfg);
    let first_of_each = [
        all.iter().find(|w| matches!(w, Workload::Training(_))),
        all.iter().find(|w| matches!(w, Workload::Inference(_))),
    ];
    for &w in first_of_each.into_iter().flatten() {
        let mut t = compare::table(&cfg, w, &accs, &v);
        compare::add_bands(&cfg, &mut t, &samples);
        let reference = cfg.accelerator(&t.reference);
        let ref_point = t.rows.iter().find(|r| r.accelerator == t.reference).map(|r| r.figures);
        let banded: Vec<_> = t.rows.iter().filter(|r| !r.ranged_inputs.is_empty()).collect();
        assert!(banded.len() > 1, "{}: the check needs ranged rows", t.id);
        for r in banded {
            let acc = cfg.accelerator(&r.accelerator).expect("a row's chip is in the config");
            let mut cols = vec![Vec::new(); r.figures.named().len()];
            let mut ratios = Vec::new();
            samples.each(0..n, |_, x| {
                let Ok(f) = w.estimate_at(&cfg, acc, x, &r.figures) else { return };
                for (c, (_, y)) in cols.iter_mut().zip(f.named()) {
                    c.push(y);
                }
                let rf = reference.and_then(|a| match &ref_point {
                    Some(p) => w.estimate_at(&cfg, a, x, p).ok(),
                    None => w.estimate(&cfg, a, x, &mut ()).ok(),
                });
                if let Some(rf) = rf {
                    ratios.push(f.metric() / rf.metric());
                }
            });
            let names = r.figures.named();
            let want: Vec<_> = names
                .iter()
                .zip(&mut cols)
                .filter_map(|((name, _), c)| Some((*name, band(c)?)))
                .collect();
            assert_eq!(r.bands, want, "{} {}", t.id, r.accelerator);
            let cheaper = ratios.iter().filter(|q| **q < 1.0).count() as f64 / ratios.len() as f64;
            assert_eq!(r.p_cheaper_than_reference, Some(cheaper), "{} {}", t.id, r.accelerator);
            assert_eq!(r.ratio_band, band(&mut ratios), "{} {}", t.id, r.accelerator);
        }
    }
}

#[test]
fn bands_are_ordered_percentiles_and_collapse_without_ranges() {
    use super::curves;
    use super::uncertainty::Draws;
    let cfg = starter();
    let v = cfg.params.base_values();
    let accs: Vec<_> = cfg.accelerators.iter().collect();
    let w = &cfg.training[0];
    let base = training_vs_params(&cfg, w, &accs, &v);
    let samples = Draws::all(&cfg.params, 300, 9);
    let bands = curves::bands(&base, &samples, |s| training_vs_params(&cfg, w, &accs, s));
    for (c, b) in base.curves.iter().zip(&bands) {
        let b = b
            .as_ref()
            .unwrap_or_else(|| panic!("{} has ranged inputs but no band", c.accelerator));
        for ((x, y), (bx, lo, hi)) in c.points.iter().zip(b) {
            assert_eq!(x, bx);
            // P10 < P90, around the point figure on these (central) ranges; bands are the
            // draws' percentiles, not widened to hold the point.
            assert!(hi > lo, "a ranged curve has a band of width zero");
            assert!(*lo < y * 1.5 && *hi > y / 1.5, "{}: {lo} .. {hi} far from {y}", c.accelerator);
        }
    }
    // Every draw at base values: no spread, so no band is drawn.
    let flat = Draws::constant(v.clone(), 120);
    let none = curves::bands(&base, &flat, |s| training_vs_params(&cfg, w, &accs, s));
    assert!(none.iter().all(Option::is_none));
    // Fewer than 100 draws: no band at all.
    let few = curves::bands(&base, &samples.first(99), |s| training_vs_params(&cfg, w, &accs, s));
    assert!(few.iter().all(Option::is_none));
    // And table bands are P10 = P50 = P90 = the point figure.
    let mut t = super::compare::table(&cfg, super::compare::Workload::Training(w), &accs, &v);
    super::compare::add_bands(&cfg, &mut t, &flat);
    for r in &t.rows {
        for ((name, x), (bname, b)) in r.figures.named().iter().zip(&r.bands) {
            assert_eq!(name, bname);
            assert_eq!((b.p10, b.p50, b.p90), (*x, *x, *x), "{name}");
        }
    }
}

/// A cheap swept curve to check `curves::bands` on (no chart draws it): training cost (USD)
/// vs model size (billions of parameters), tokens = tokens_per_param x params, dense.
fn training_vs_params(
    cfg: &crate::config::Config,
    w: &crate::config::Training,
    accs: &[&crate::config::Accelerator],
    v: &[f64],
) -> super::curves::Curves {
    use super::curves::{Curve, Curves, SWEEP_POINTS};
    use super::training::Shape;
    let (lo, hi) = cfg.report.training_sweep_params_b;
    let xs = super::log_space(lo, hi, SWEEP_POINTS);
    let tpp = cfg.report.tokens_per_param;
    let mut out = Curves {
        curves: Vec::new(),
        skipped: Vec::new(),
    };
    let shape = Shape {
        chips: None,
        flops: None,
        // The workload's attention shape belongs to its own size, not to the swept ones: 6ND.
        attention: None,
        ..Shape::from(w)
    };
    for acc in accs {
        match training::inputs(cfg, &shape, acc, v, &mut ()) {
            Ok(base) => {
                let pts = xs
                    .iter()
                    .map(|&p| {
                        let mut i = base;
                        i.params = p * 1e9;
                        i.active_params = p * 1e9;
                        i.tokens = tpp * p * 1e9;
                        (p, training::figures(&i, &mut ()).cost_usd)
                    })
                    .collect();
                out.curves.push(Curve {
                    accelerator: acc.id.clone(),
                    name: acc.name.clone(),
                    family: acc.family,
                    points: pts,
                });
            }
            Err(s) => out.skipped.push(super::Skipped::new(&acc.id, s)),
        }
    }
    out
}

//! Training figures (docs/model.md "Training").

use crate::config::{Accelerator, AttentionShape, Config, Param, Precision, Training};

use super::Skip;
use super::price::{power_kw, usd_per_chip_hour};
use super::trace::{Trace, d, get};

/// The numbers one training estimate needs, resolved from the config (SI units).
#[derive(Clone, Copy, Debug)]
pub struct TrainingInputs {
    /// Total parameters (count).
    pub params: f64,
    /// Active parameters per token (count).
    pub active_params: f64,
    /// Training tokens (count).
    pub tokens: f64,
    /// Total FLOPs when the workload gives them (else 6·N·D + attention).
    pub flops_override: Option<f64>,
    /// Layers, attention width, sequence length, when the workload gives them.
    pub attention: Option<AttentionShape>,
    /// Dense peak of one chip at the workload's precision (FLOP/s).
    pub peak_flops: f64,
    /// Steady-state training MFU of dense runs at the workload's precision (share of `peak_flops`).
    pub mfu: f64,
    /// MoE training efficiency: the share of the dense MFU a mixture-of-experts run reaches
    /// (`economics.training_moe_efficiency`; 1 for a dense run, where active = total parameters).
    pub moe_efficiency: f64,
    /// Share of paid chip-hours that advance training (1 = none lost).
    pub goodput: f64,
    pub usd_per_chip_hour: f64,
    pub chips: Option<u64>,
    /// How the chosen offer bills; `None` on the owned basis (nothing rounds).
    pub billing: Option<Billing>,
    /// Usable memory of one chip (bytes).
    pub usable_memory: f64,
    pub bytes_per_param: f64,
    pub power_kw: f64,
    pub load_factor: f64,
    pub pue: f64,
}

/// How a cloud offer bills a run: whole instances, hours in increments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Billing {
    /// Chips per instance (`None`: the offer sells single chips).
    pub chips_per_instance: Option<u64>,
    /// What the run's hours round up to (hours): the offer's `billing_increment_hours`, else
    /// one second (on demand, committed, spot) or 24 (capacity block).
    pub increment_hours: f64,
}

/// One training estimate.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct TrainingFigures {
    pub usd_per_chip_hour: f64,
    /// Total training compute (FLOP), attention included.
    pub flops: f64,
    /// The attention term `6 (causal) or 12 (full) * layers * attention_width * seq_len * D`
    /// (FLOP); `None` when the workload gives no shape (C is then 6·N·D) or gives `flops`.
    pub attention_flops: Option<f64>,
    /// Share of paid chip-hours that advance training, used to divide chip-hours.
    pub goodput: f64,
    pub chip_hours: f64,
    pub cost_usd: f64,
    /// Wall-clock days on the workload's `chips` (absent when it gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_days: Option<f64>,
    /// Chips the cloud bills: the workload's `chips` rounded up to whole instances of the offer
    /// (absent without `chips` or on the owned basis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_chips: Option<u64>,
    /// Hours each billed chip is billed: wall-clock hours rounded up to the offer's billing
    /// increment (h).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_hours: Option<f64>,
    /// Billed chip-hours, `billed_chips * billed_hours`, beside the used `chip_hours`; `cost_usd`
    /// is billed chip-hours * price where they are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_chip_hours: Option<f64>,
    /// Chips needed to hold the training state.
    pub min_chips: u64,
    /// False when the workload's `chips` cannot hold the training state.
    pub feasible: bool,
    pub energy_kwh: f64,
}

/// Training compute C in FLOP (docs/model.md "Training"): `6 * N * D`, plus
/// `6 * layers * attention_width * seq_len * D` (causal attention, the default; 12 for full) when
/// the shape is given; `flops` overrides both.
/// Returns (C, the attention term if it was added).
pub fn compute(
    active_params: f64,
    tokens: f64,
    attention: Option<AttentionShape>,
    flops_override: Option<f64>,
    t: &mut impl Trace,
) -> (f64, Option<f64>) {
    if let Some(f) = flops_override {
        return (d(t, "C (training FLOPs)", "given by the workload's `flops`", f, "FLOP"), None);
    }
    let dense = d(t, "6ND (parameter FLOPs)", "6 * N * D", 6.0 * active_params * tokens, "FLOP");
    match attention {
        Some(a) => {
            // Labels are built only for a tracer that keeps them (not in Monte Carlo draws).
            let formula = if t.enabled() {
                format!(
                    "{} attention: {} * layers {} * attention_width {} * seq_len {} * D",
                    if a.causal { "causal" } else { "full" },
                    a.coefficient(),
                    a.layers,
                    a.attention_width,
                    a.seq_len
                )
            } else {
                String::new()
            };
            let attn = d(t, "attention FLOPs", &formula, a.flops_per_token() * tokens, "FLOP");
            (
                d(t, "C (training FLOPs)", "6ND + attention FLOPs", dense + attn, "FLOP"),
                Some(attn),
            )
        }
        None => {
            if t.enabled() {
                t.note("no layers / attention_width / seq_len given: C = 6ND, attention FLOPs not counted".into());
            }
            (dense, None)
        }
    }
}

/// Paid chip-hours: `C / (peak * mfu * moe_efficiency) / goodput / 3600`.
pub fn chip_hours(flops: f64, peak_flops: f64, mfu: f64, moe_efficiency: f64, goodput: f64, t: &mut impl Trace) -> f64 {
    let per_chip = if moe_efficiency == 1.0 {
        d(
            t,
            "delivered FLOP/s per chip",
            "dense peak * training_mfu (steady state)",
            peak_flops * mfu,
            "FLOP/s",
        )
    } else {
        d(
            t,
            "delivered FLOP/s per chip",
            "dense peak * training_mfu (steady state) * MoE training efficiency",
            peak_flops * mfu * moe_efficiency,
            "FLOP/s",
        )
    };
    d(
        t,
        "chip-hours",
        "C / delivered FLOP/s / goodput / 3600",
        flops / per_chip / goodput / 3600.0,
        "chip-h",
    )
}

/// The formulas, on resolved inputs.
pub fn figures(i: &TrainingInputs, t: &mut impl Trace) -> TrainingFigures {
    let (flops, attention_flops) = compute(i.active_params, i.tokens, i.attention, i.flops_override, t);
    let chip_hours = chip_hours(flops, i.peak_flops, i.mfu, i.moe_efficiency, i.goodput, t);
    let wall_days = i
        .chips
        .map(|c| d(t, "wall-clock", "chip-hours / chips / 24", chip_hours / c as f64 / 24.0, "days"));
    let billed = match (i.chips, i.billing, wall_days) {
        (Some(c), Some(b), Some(days)) => Some(billed(c, b, days * 24.0, t)),
        _ => None,
    };
    let cost_usd = match billed {
        Some((_, _, bch)) => d(t, "cost", "billed chip-hours * USD per chip-hour", bch * i.usd_per_chip_hour, "USD"),
        None => d(t, "cost", "chip-hours * USD per chip-hour", chip_hours * i.usd_per_chip_hour, "USD"),
    };
    let min_chips = min_chips(i, t);
    let feasible = i.chips.is_none_or(|c| c >= min_chips);
    if let Some(c) = i.chips {
        t.note(if feasible {
            format!("feasible: the run's {c} chips hold the training state, activations and gathered layers (min chips {min_chips})")
        } else {
            format!("NOT feasible: the run's {c} chips are fewer than min chips {min_chips}; no cluster that small holds it")
        });
    }
    if let Some((_, _, bch)) = billed {
        t.note(format!(
            "billed chip-hours are {:.2}x the used chip-hours (whole instances, billing increment)",
            bch / chip_hours
        ));
    }
    let energy_kwh = d(
        t,
        "energy",
        "chip-hours * power_kw * load_factor * pue",
        chip_hours * i.power_kw * i.load_factor * i.pue,
        "kWh",
    );
    TrainingFigures {
        usd_per_chip_hour: i.usd_per_chip_hour,
        flops,
        attention_flops,
        goodput: i.goodput,
        chip_hours,
        cost_usd,
        wall_days,
        billed_chips: billed.map(|b| b.0),
        billed_hours: billed.map(|b| b.1),
        billed_chip_hours: billed.map(|b| b.2),
        min_chips,
        feasible,
        energy_kwh,
    }
}

/// What a cloud bills for `chips` running `wall_hours` (docs/model.md "Training"): chips rounded
/// up to whole instances, hours rounded up to the billing increment. Returns (billed chips,
/// billed hours per chip, billed chip-hours).
pub fn billed(chips: u64, b: Billing, wall_hours: f64, t: &mut impl Trace) -> (u64, f64, f64) {
    let billed_chips = match b.chips_per_instance {
        Some(k) if k > 1 => chips.div_ceil(k).saturating_mul(k),
        _ => chips,
    };
    let chips_f = d(
        t,
        "billed chips",
        "chips rounded up to whole instances (chips_per_instance)",
        billed_chips as f64,
        "chips",
    );
    // A hair below a whole increment is that increment (floating-point noise is not an hour).
    let increments = (wall_hours / b.increment_hours * (1.0 - 1e-12)).ceil().max(1.0);
    let hours = d(
        t,
        "billed hours",
        "wall-clock hours rounded up to the billing increment",
        increments * b.increment_hours,
        "h",
    );
    let bch = d(t, "billed chip-hours", "billed chips * billed hours", chips_f * hours, "chip-h");
    (billed_chips, hours, bch)
}

/// Bytes per value of the activations and gathered weights `min_chips` counts (bf16).
const ACTIVATION_BYTES: f64 = 2.0;

/// The fewest chips that hold a training run (docs/model.md "Training"): the training state
/// (weights, gradients, optimizer: `params * training_bytes_per_param`) fully sharded over the
/// chips (FSDP / ZeRO-3), plus on every chip what sharding does not split: one micro-batch's
/// activations at `seq_len` under full recompute (each layer's input kept,
/// `layers * seq_len * hidden * 2` bytes) and one layer's gathered weights, twice
/// (the layer in use and the next one prefetched: `2 * params / layers * 2` bytes; for a mixture
/// of experts, whose experts run expert-parallel, `2 * active params / layers * 2`).
/// `ceil(state / (usable memory - activations - gathered layers))` chips; `u64::MAX` when those
/// alone exceed one chip. Without an attention shape only the state is known, and a note says so.
fn min_chips(i: &TrainingInputs, t: &mut impl Trace) -> u64 {
    let state = d(
        t,
        "training state",
        "params * training_bytes_per_param (weights, gradients, optimizer; sharded over the chips)",
        i.params * i.bytes_per_param,
        "bytes",
    );
    let per_chip = match i.attention {
        Some(a) => {
            let act = d(
                t,
                "activations per chip",
                "layers * seq_len * hidden * 2 bytes (micro-batch 1, full recompute: each layer's input in bf16; hidden defaults to attention_width)",
                a.layers as f64 * a.seq_len as f64 * a.hidden as f64 * ACTIVATION_BYTES,
                "bytes",
            );
            // A mixture of experts runs its experts expert-parallel: a chip gathers a layer's
            // shared weights and its own experts, about the active parameters' share of the layer
            // (at one expert per rank), not every expert.
            let moe = i.active_params < i.params;
            let gathered = d(
                t,
                "gathered layers per chip",
                if moe {
                    "2 * active params / layers * 2 bytes (the layer in use and the next in bf16; experts expert-parallel, so a chip gathers the shared weights and its own experts, not all of them)"
                } else {
                    "2 * params / layers * 2 bytes (the layer in use and the next, unsharded, in bf16)"
                },
                2.0 * if moe { i.active_params } else { i.params } / a.layers as f64 * ACTIVATION_BYTES,
                "bytes",
            );
            act + gathered
        }
        None => {
            if t.enabled() {
                t.note(
                    "no layers / attention_width / seq_len given: min chips counts the training state only (activations unknown)".into(),
                );
            }
            0.0
        }
    };
    let room = i.usable_memory - per_chip;
    if room <= 0.0 {
        if t.enabled() {
            t.note("activations and gathered layers alone exceed one chip's usable memory: no cluster size holds this run without tensor or context parallelism".into());
        }
        return u64::MAX;
    }
    let n = d(
        t,
        "min chips",
        "ceil(training state / (usable memory per chip - activations - gathered layers))",
        (state / room).ceil(),
        "chips",
    );
    n.clamp(1.0, u64::MAX as f64) as u64
}

/// A training shape, from a workload or a calibration run.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub params_b: Param,
    pub active_params_b: Param,
    pub tokens_t: Param,
    pub precision: Precision,
    pub flops: Option<Param>,
    pub chips: Option<u64>,
    pub attention: Option<AttentionShape>,
}

impl From<&Training> for Shape {
    fn from(w: &Training) -> Self {
        Shape {
            params_b: w.params_b,
            active_params_b: w.active_params_b,
            tokens_t: w.tokens_t,
            precision: w.precision,
            flops: w.flops,
            chips: w.chips,
            attention: w.attention,
        }
    }
}

/// Dense peak at `precision` (FLOP/s) and the chip's steady-state training MFU there, or why
/// the pair is skipped.
pub fn peak_and_mfu(acc: &Accelerator, precision: Precision, v: &[f64], t: &mut impl Trace) -> Result<(f64, f64), Skip> {
    let tf = acc.tflops(precision).ok_or(Skip::NoPrecision(precision))?;
    let mfu = acc.efficiency.training_mfu.as_ref().ok_or(Skip::NoTrainingMfu)?;
    let mfu = mfu.get(precision).ok_or(Skip::NoTrainingMfuAt(precision))?;
    // Labels are built only for a tracer that keeps them (not in Monte Carlo draws).
    let (peak_label, mfu_label) = if t.enabled() {
        (
            format!("dense peak ({})", precision.name()),
            format!("training MFU ({}, steady state)", precision.name()),
        )
    } else {
        (String::new(), String::new())
    };
    let peak = get(v, tf, &peak_label, t);
    let peak = d(t, "dense peak", "TFLOPS * 1e12", peak * 1e12, "FLOP/s");
    Ok((peak, get(v, mfu, &mfu_label, t)))
}

/// The public range of fp8 over bf16 training speed-ups in like-for-like pairs (same model, code
/// and cluster), docs/model.md "Training".
pub const FP8_SPEEDUP_RANGE: (f64, f64) = (1.1, 1.8);

/// Delivered fp8 over delivered bf16 training FLOP/s of one chip (`dense peak * training_mfu` at
/// each), or `None` without both precisions.
pub fn fp8_over_bf16(acc: &Accelerator, v: &[f64]) -> Option<f64> {
    let delivered = |p| peak_and_mfu(acc, p, v, &mut ()).ok().map(|(peak, mfu)| peak * mfu);
    Some(delivered(Precision::Fp8)? / delivered(Precision::Bf16)?)
}

/// Resolves a training shape on one accelerator into inputs.
pub fn inputs(cfg: &Config, s: &Shape, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<TrainingInputs, Skip> {
    let (peak_flops, mfu) = peak_and_mfu(acc, s.precision, v, t)?;
    if t.enabled()
        && matches!(s.precision, Precision::Fp8 | Precision::Bf16)
        && let Some(r) = fp8_over_bf16(acc, v)
    {
        let (lo, hi) = FP8_SPEEDUP_RANGE;
        t.note(format!(
            "implied fp8/bf16 training speed-up on {}: {r:.2}x (dense peak * training_mfu at each)",
            acc.id
        ));
        if !(lo..=hi).contains(&r) {
            t.note(format!(
                "warning: {}'s fp8/bf16 speed-up {r:.2}x is outside the public like-for-like range {lo}-{hi}x: check its training_mfu per precision",
                acc.id
            ));
        }
    }
    let e = &cfg.economics;
    let usd = usd_per_chip_hour(e, acc, e.basis, v, t)?;
    let billing = match acc.price_choice_on(e, e.basis) {
        super::price::PriceChoice::Offer { offer, .. } => Some(Billing {
            chips_per_instance: offer.chips_per_instance,
            increment_hours: offer
                .billing_increment_hours
                .map_or(offer.term.billing_increment_hours(), |p| get(v, p, "billing increment", t)),
        }),
        _ => None,
    };
    let params = get(v, s.params_b, "parameters", t) * 1e9;
    let active = get(v, s.active_params_b, "active parameters", t) * 1e9;
    let tokens = get(v, s.tokens_t, "tokens", t) * 1e12;
    let flops_override = s.flops.map(|f| get(v, f, "FLOPs", t));
    let moe_efficiency = moe_efficiency(cfg, s.precision, params, active, v, t);
    let mem = get(v, acc.memory_gb, "memory", t) * 1e9;
    let frac = get(v, e.usable_memory_fraction, "usable memory fraction", t);
    let bpp = get(v, e.training_bytes_per_param, "training bytes per parameter", t);
    let kw = power_kw(e, acc, v, t);
    Ok(TrainingInputs {
        params,
        active_params: active,
        tokens,
        flops_override,
        attention: s.attention,
        peak_flops,
        mfu,
        moe_efficiency,
        goodput: get(v, e.training_goodput, "training goodput", t),
        usd_per_chip_hour: usd,
        chips: s.chips,
        billing,
        usable_memory: mem * frac,
        bytes_per_param: bpp,
        power_kw: kw,
        load_factor: get(v, e.load_factor, "load factor", t),
        pue: get(v, e.pue, "PUE", t),
    })
}

/// Active parameters at which `training_moe_efficiency(_fp8)` are given when the efficiency
/// grows with the run's size (`training_moe_active_exponent` > 0): 10 billion.
pub const MOE_REFERENCE_ACTIVE: f64 = 10e9;

/// The MoE training efficiency of a run whose active parameters are fewer than its total (a
/// mixture of experts), a share of the dense MFU: `min(1, e * (active / 10e9)^γ)`, with `e` =
/// `economics.training_moe_efficiency`, or `training_moe_efficiency_fp8` for 8-bit or narrower
/// matmuls, and γ = `training_moe_active_exponent` (bigger experts and fewer all-to-all bytes per
/// FLOP: public MoE runs of 3B active reach about half the share of 37B-active ones). 1 for a
/// dense run. `params` and `active` are counts.
pub fn moe_efficiency(cfg: &Config, precision: Precision, params: f64, active: f64, v: &[f64], t: &mut impl Trace) -> f64 {
    if active >= params {
        return 1.0;
    }
    let e = if precision.bytes() <= 1.0 {
        get(
            v,
            cfg.economics.training_moe_efficiency_fp8,
            "MoE training efficiency, 8-bit (share of dense MFU)",
            t,
        )
    } else {
        get(
            v,
            cfg.economics.training_moe_efficiency,
            "MoE training efficiency, 16-bit (share of dense MFU)",
            t,
        )
    };
    let gamma = get(
        v,
        cfg.economics.training_moe_active_exponent,
        "MoE efficiency exponent on active parameters",
        t,
    );
    if gamma == 0.0 {
        return e;
    }
    d(
        t,
        "MoE efficiency at this run's size",
        "min(1, MoE training efficiency * (active params / 10e9)^exponent)",
        moe_share(e, gamma, active),
        "share of dense MFU",
    )
}

/// `min(1, e * (active / 10e9)^γ)`: the MoE share of the dense MFU at `active` parameters
/// (count), from the share `e` at 10B active and the exponent γ.
pub fn moe_share(e: f64, gamma: f64, active: f64) -> f64 {
    (e * (active / MOE_REFERENCE_ACTIVE).powf(gamma)).min(1.0)
}

/// Training figures for one workload on one accelerator.
pub fn estimate(cfg: &Config, w: &Training, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<TrainingFigures, Skip> {
    inputs(cfg, &Shape::from(w), acc, v, t).map(|i| figures(&i, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn h100_70b() -> TrainingInputs {
        TrainingInputs {
            params: 70e9,
            active_params: 70e9,
            tokens: 15e12,
            flops_override: None,
            attention: None,
            peak_flops: 989e12,
            mfu: 0.4,
            moe_efficiency: 1.0,
            goodput: 1.0,
            usd_per_chip_hour: 6.88,
            chips: Some(8192),
            billing: None,
            usable_memory: 80e9 * 0.9,
            bytes_per_param: 16.0,
            power_kw: 0.7 * 1.4,
            load_factor: 0.8,
            pue: 1.2,
        }
    }

    #[test]
    fn dense_70b_on_h100_by_hand() {
        let f = figures(&h100_70b(), &mut ());
        // C = 6 * 70e9 * 15e12 = 6.3e24 FLOP
        assert_relative_eq!(f.flops, 6.3e24);
        // per chip = 989e12 * 0.4 = 3.956e14 FLOP/s; chip-hours = 6.3e24 / 3.956e14 / 3600
        //          = 1.5925177e10 s / 3600 = 4,423,660.263 chip-h
        assert_relative_eq!(f.chip_hours, 4_423_660.263, max_relative = 1e-9);
        // cost = 4,423,660.263 * 6.88 = 30,434,782.61 USD
        assert_relative_eq!(f.cost_usd, 30_434_782.61, max_relative = 1e-9);
        // wall = 4,423,660.263 / 8192 / 24 = 22.49990 days
        assert_relative_eq!(f.wall_days.unwrap_or(0.0), 22.499_899, max_relative = 1e-6);
        // state = 70e9 * 16 = 1.12e12 B; usable = 72e9 B; 1.12e12 / 72e9 = 15.56 -> 16 chips
        assert_eq!(f.min_chips, 16);
        assert!(f.feasible);
        // energy = chip-h * 0.98 kW * 0.8 * 1.2 = 4,423,660.263 * 0.9408 = 4,161,779.58 kWh
        assert_relative_eq!(f.energy_kwh, 4_161_779.58, max_relative = 1e-8);
    }

    #[test]
    fn attention_flops_and_goodput_by_hand() {
        let mut i = h100_70b();
        i.attention = Some(AttentionShape {
            layers: 80,
            attention_width: 8192,
            seq_len: 8192,
            causal: false,
            hidden: 8192,
        });
        i.goodput = 0.9;
        let f = figures(&i, &mut ());
        // attention = 12 * 80 * 8192 * 8192 * 15e12 = 6.442450944e10 * 15e12 = 9.663676416e23 FLOP
        assert_relative_eq!(f.attention_flops.unwrap_or(0.0), 9.663_676_416e23, max_relative = 1e-12);
        // C = 6.3e24 + 9.663676416e23 = 7.2663676416e24
        assert_relative_eq!(f.flops, 7.266_367_641_6e24, max_relative = 1e-12);
        // chip-hours = 7.2663676416e24 / 3.956e14 / 0.9 / 3600 = 5,669,125.536
        assert_relative_eq!(f.chip_hours, 5_669_125.536, max_relative = 1e-9);
        assert_relative_eq!(f.goodput, 0.9);
        // cost = 5,669,125.536 * 6.88 = 39,003,583.69 USD
        assert_relative_eq!(f.cost_usd, 39_003_583.69, max_relative = 1e-9);
        // `flops` overrides both terms; the attention term is then not reported.
        i.flops_override = Some(1e24);
        let f = figures(&i, &mut ());
        assert_eq!((f.flops, f.attention_flops), (1e24, None));
    }

    #[test]
    fn a_cloud_bills_whole_instances_and_billing_increments() {
        let on_demand = Billing {
            chips_per_instance: Some(8),
            increment_hours: 1.0 / 3600.0,
        };
        // 12 chips -> 2 instances of 8 = 16 chips; 13 h is a whole number of seconds: 16 * 13 = 208.
        assert_eq!(billed(12, on_demand, 13.0, &mut ()), (16, 13.0, 208.0));
        // 13 h + 0.5 s -> 13 h + 1 s = 13.000278 h.
        let (_, h, _) = billed(12, on_demand, 13.0 + 0.5 / 3600.0, &mut ());
        assert_relative_eq!(h, 13.0 + 1.0 / 3600.0, max_relative = 1e-12);
        // A capacity block bills whole days: 16 * 24 = 384.
        let block = Billing {
            chips_per_instance: Some(8),
            increment_hours: 24.0,
        };
        assert_eq!(billed(12, block, 13.0, &mut ()), (16, 24.0, 384.0));
        // Single chips: nothing rounds but the hours.
        let single = Billing {
            chips_per_instance: None,
            increment_hours: 1.0,
        };
        assert_eq!(billed(12, single, 12.2, &mut ()), (12, 13.0, 156.0));
    }

    #[test]
    fn a_moe_gathers_its_active_layers_not_every_expert() {
        // DeepSeek-V3 shape on 32 GB chips (28.8 GB usable): 671B params, 37B active, 61 layers,
        // attention_width 16384, hidden 7168, seq_len 4096. state = 671e9 * 16 = 1.0736e13 B;
        // activations (the layer inputs, hidden wide) = 61 * 4096 * 7168 * 2 = 3.5819e9 B;
        // gathered with experts expert-parallel = 2 * 37e9 / 61 * 2 = 2.4262e9 B (all experts
        // would be 2 * 671e9 / 61 * 2 = 44e9 B, more than the chip); room = 28.8e9 - 3.5819e9 -
        // 2.4262e9 = 22.7918e9 B; 1.0736e13 / 22.7918e9 = 471.05 -> 472.
        let mut i = h100_70b();
        i.params = 671e9;
        i.active_params = 37e9;
        i.usable_memory = 28.8e9;
        i.attention = Some(AttentionShape {
            layers: 61,
            attention_width: 16384,
            seq_len: 4096,
            causal: true,
            hidden: 7168,
        });
        assert_eq!(figures(&i, &mut ()).min_chips, 472);
    }

    #[test]
    fn min_chips_counts_activations_and_gathered_layers() {
        let mut i = h100_70b();
        i.attention = Some(AttentionShape {
            layers: 80,
            attention_width: 8192,
            seq_len: 8192,
            causal: true,
            hidden: 8192,
        });
        i.chips = Some(16);
        let f = figures(&i, &mut ());
        // activations = 80 * 8192 * 8192 * 2 = 10,737,418,240 B; gathered = 2 * 70e9 / 80 * 2 = 3.5e9 B;
        // room = 72e9 - 10.737418240e9 - 3.5e9 = 57.76258176e9 B; 1.12e12 / 57.76258176e9 = 19.39 -> 20.
        assert_eq!(f.min_chips, 20);
        assert!(!f.feasible);
        // A 1M-token sequence: activations 80 * 1,048,576 * 8192 * 2 = 1.37e12 B > one chip.
        i.attention = Some(AttentionShape {
            layers: 80,
            attention_width: 8192,
            seq_len: 1 << 20,
            causal: true,
            hidden: 8192,
        });
        let f = figures(&i, &mut ());
        assert_eq!(f.min_chips, u64::MAX);
        assert!(!f.feasible);
    }

    #[test]
    fn too_few_chips_is_infeasible_and_moe_uses_active_params() {
        let mut i = h100_70b();
        i.chips = Some(8);
        assert!(!figures(&i, &mut ()).feasible);
        i.active_params = 7e9;
        // 6 * 7e9 * 15e12 = 6.3e23
        assert_relative_eq!(figures(&i, &mut ()).flops, 6.3e23);
        i.flops_override = Some(1e20);
        assert_relative_eq!(figures(&i, &mut ()).flops, 1e20);
    }
}

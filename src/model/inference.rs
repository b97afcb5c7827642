//! Inference figures on a roofline, per replica (MODEL.md "Inference").

use crate::config::{Accelerator, Config, Inference, KvSize};

use super::Skip;
use super::price::usd_per_chip_hour;
use super::trace::{Trace, d, get};

/// The numbers one inference estimate needs, resolved from the config (SI units).
#[derive(Clone, Copy, Debug)]
pub struct InferenceInputs {
    /// Total parameters (count).
    pub params: f64,
    /// Active parameters per token (count).
    pub active_params: f64,
    /// Bytes per weight.
    pub weight_bytes: f64,
    /// KV-cache bytes per token.
    pub kv_bytes_per_token: f64,
    pub batch: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
    pub min_chips: u64,
    /// Usable memory of one chip (bytes).
    pub usable_memory: f64,
    /// Dense peak of one chip at the workload's precision (FLOP/s).
    pub peak_flops: f64,
    /// Memory bandwidth of one chip (bytes/s).
    pub bandwidth: f64,
    pub prefill_mfu: f64,
    pub decode_mfu: f64,
    pub decode_mbu: f64,
    pub usd_per_chip_hour: f64,
    pub utilization: f64,
    /// A benchmark's output tokens/s per chip, replacing the roofline's.
    pub measured_tps: Option<f64>,
}

/// One inference estimate.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct InferenceFigures {
    pub usd_per_chip_hour: f64,
    pub chips_per_replica: u64,
    /// Seconds per decode step of the whole batch.
    pub decode_step_s: f64,
    /// Seconds for the batch's prefill.
    pub prefill_s: f64,
    pub output_tokens_per_s_per_chip: f64,
    pub tokens_per_s_per_user: f64,
    pub ttft_s: f64,
    pub usd_per_m_output_tokens: f64,
    pub usd_per_m_tokens: f64,
    /// True when `output_tokens_per_s_per_chip` is a `[[measured]]` figure.
    pub measured: bool,
    /// True when decode is limited by memory bandwidth rather than compute.
    pub memory_bound: bool,
}

/// The roofline formulas, on resolved inputs.
pub fn figures(i: &InferenceInputs, t: &mut impl Trace) -> InferenceFigures {
    let b = i.batch;
    let w = d(t, "W (weights)", "params * bytes per weight", i.params * i.weight_bytes, "bytes");
    let need = d(
        t,
        "memory needed",
        "W + batch * (input + output tokens) * kv bytes per token",
        w + b * (i.input_tokens + i.output_tokens) * i.kv_bytes_per_token,
        "bytes",
    );
    let fit = (need / i.usable_memory).ceil().clamp(1.0, 1e15);
    let n = d(
        t,
        "n (chips per replica)",
        "max(chips_per_replica, ceil(memory needed / usable memory per chip))",
        fit.max(i.min_chips as f64),
        "chips",
    );
    let w_read = d(
        t,
        "weights read per step",
        "min(params, batch * active params) * bytes per weight",
        i.params.min(b * i.active_params) * i.weight_bytes,
        "bytes",
    );
    let kv_avg = d(
        t,
        "KV read per step",
        "batch * (input + output / 2) * kv bytes per token",
        b * (i.input_tokens + i.output_tokens / 2.0) * i.kv_bytes_per_token,
        "bytes",
    );
    let peak = d(t, "replica peak", "n * dense peak", n * i.peak_flops, "FLOP/s");
    let t_mem = d(
        t,
        "decode step, memory",
        "(weights read + KV read) / (n * bandwidth * decode_mbu)",
        (w_read + kv_avg) / (n * i.bandwidth * i.decode_mbu),
        "s",
    );
    let t_cmp = d(
        t,
        "decode step, compute",
        "batch * 2 * active params / (replica peak * decode_mfu)",
        b * 2.0 * i.active_params / (peak * i.decode_mfu),
        "s",
    );
    let t_dec = d(t, "t_dec", "max(decode step memory, decode step compute)", t_mem.max(t_cmp), "s");
    let t_pre = d(
        t,
        "t_pre (batch prefill)",
        "batch * input tokens * 2 * active params / (replica peak * prefill_mfu)",
        b * i.input_tokens * 2.0 * i.active_params / (peak * i.prefill_mfu),
        "s",
    );
    let total = d(
        t,
        "T (one batch)",
        "t_pre + output tokens * t_dec",
        t_pre + i.output_tokens * t_dec,
        "s",
    );
    let roofline_tps = d(
        t,
        "output tokens/s per chip (roofline)",
        "batch * output tokens / T / n",
        b * i.output_tokens / total / n,
        "tokens/s",
    );
    let tps = match i.measured_tps {
        Some(m) => {
            if t.enabled() {
                t.note(format!(
                    "a [[measured]] benchmark replaces the roofline's {roofline_tps:.1} tokens/s per chip"
                ));
            }
            d(t, "output tokens/s per chip", "measured", m, "tokens/s")
        }
        None => roofline_tps,
    };
    let per_user = d(t, "tokens/s per user", "1 / t_dec", 1.0 / t_dec, "tokens/s");
    let ttft = d(
        t,
        "time to first token",
        "input tokens * 2 * active params / (replica peak * prefill_mfu)",
        i.input_tokens * 2.0 * i.active_params / (peak * i.prefill_mfu),
        "s",
    );
    let usd_out = d(
        t,
        "USD per million output tokens",
        "USD per chip-hour * 1e6 / (output tokens/s per chip * 3600 * utilization)",
        i.usd_per_chip_hour * 1e6 / (tps * 3600.0 * i.utilization),
        "USD/M tokens",
    );
    let usd_all = d(
        t,
        "USD per million tokens (input + output)",
        "USD per chip-hour * 1e6 / ((input + output) / output * output tokens/s per chip * 3600 * utilization)",
        i.usd_per_chip_hour * 1e6 / ((i.input_tokens + i.output_tokens) / i.output_tokens * tps * 3600.0 * i.utilization),
        "USD/M tokens",
    );
    InferenceFigures {
        usd_per_chip_hour: i.usd_per_chip_hour,
        chips_per_replica: n as u64,
        decode_step_s: t_dec,
        prefill_s: t_pre,
        output_tokens_per_s_per_chip: tps,
        tokens_per_s_per_user: per_user,
        ttft_s: ttft,
        usd_per_m_output_tokens: usd_out,
        usd_per_m_tokens: usd_all,
        measured: i.measured_tps.is_some(),
        memory_bound: t_mem >= t_cmp,
    }
}

/// Resolves an inference workload on one accelerator into inputs. `use_measured` lets sweeps
/// (other batches than the benchmark's) stay on the roofline.
pub fn inputs(
    cfg: &Config,
    w: &Inference,
    acc: &Accelerator,
    v: &[f64],
    use_measured: bool,
    t: &mut impl Trace,
) -> Result<InferenceInputs, Skip> {
    let tf = acc.tflops(w.precision).ok_or(Skip::NoPrecision(w.precision))?;
    let e = &cfg.economics;
    let usd = usd_per_chip_hour(e, acc, e.basis, v, t)?;
    let peak = get(v, tf, "dense peak (workload precision)", t) * 1e12;
    let kv_bytes_per_token = match &w.kv {
        KvSize::BytesPerToken(p) => get(v, *p, "KV bytes per token", t),
        KvSize::Shape {
            layers,
            kv_heads,
            head_dim,
        } => {
            if t.enabled() {
                t.note(format!(
                    "KV cache: layers {layers}, kv_heads {kv_heads}, head_dim {head_dim}, {} ({} bytes per value)",
                    w.kv_precision.name(),
                    w.kv_precision.bytes()
                ));
            }
            d(
                t,
                "KV bytes per token",
                "2 * layers * kv_heads * head_dim * bytes per KV value",
                2.0 * (*layers as f64) * (*kv_heads as f64) * (*head_dim as f64) * w.kv_precision.bytes(),
                "bytes",
            )
        }
    };
    let weight_bytes = d(
        t,
        "bytes per weight",
        "bytes of the workload precision",
        w.precision.bytes(),
        "bytes",
    );
    let measured_tps = if use_measured {
        cfg.measured(&w.id, &acc.id)
            .map(|m| get(v, m.output_tokens_per_s_per_chip, "measured output tokens/s per chip", t))
    } else {
        None
    };
    let mem = get(v, acc.memory_gb, "memory", t) * 1e9;
    let frac = get(v, e.usable_memory_fraction, "usable memory fraction", t);
    let bw = get(v, acc.memory_tb_per_s, "memory bandwidth", t) * 1e12;
    Ok(InferenceInputs {
        params: get(v, w.params_b, "parameters", t) * 1e9,
        active_params: get(v, w.active_params_b, "active parameters", t) * 1e9,
        weight_bytes,
        kv_bytes_per_token,
        batch: get(v, w.batch, "batch", t),
        input_tokens: get(v, w.input_tokens, "input tokens", t),
        output_tokens: get(v, w.output_tokens, "output tokens", t),
        min_chips: w.chips_per_replica.unwrap_or(1),
        usable_memory: mem * frac,
        peak_flops: peak,
        bandwidth: bw,
        prefill_mfu: get(v, acc.efficiency.prefill_mfu, "prefill MFU", t),
        decode_mfu: get(v, acc.efficiency.decode_mfu, "decode MFU", t),
        decode_mbu: get(v, acc.efficiency.decode_mbu, "decode MBU", t),
        usd_per_chip_hour: usd,
        utilization: get(v, w.utilization, "utilization", t),
        measured_tps,
    })
}

/// Inference figures for one workload on one accelerator (measured figures used where given,
/// unless `report.use_measured = false`).
pub fn estimate(cfg: &Config, w: &Inference, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<InferenceFigures, Skip> {
    inputs(cfg, w, acc, v, cfg.report.use_measured, t).map(|i| figures(&i, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// Llama 70B, fp8 weights and KV, batch 64, 2000 in / 400 out, on one H100.
    fn chat70_h100() -> InferenceInputs {
        InferenceInputs {
            params: 70e9,
            active_params: 70e9,
            weight_bytes: 1.0,
            kv_bytes_per_token: 2.0 * 80.0 * 8.0 * 128.0, // 163,840 B
            batch: 64.0,
            input_tokens: 2000.0,
            output_tokens: 400.0,
            min_chips: 1,
            usable_memory: 80e9 * 0.9,
            peak_flops: 1979e12,
            bandwidth: 3.35e12,
            prefill_mfu: 0.5,
            decode_mfu: 0.4,
            decode_mbu: 0.75,
            usd_per_chip_hour: 6.88,
            utilization: 0.6,
            measured_tps: None,
        }
    }

    #[test]
    fn chat_70b_on_h100_by_hand() {
        let f = figures(&chat70_h100(), &mut ());
        // need = 70e9 + 64 * 2400 * 163,840 = 70e9 + 25.1658e9 = 95.1658e9 B; / 72e9 = 1.32 -> n = 2
        assert_eq!(f.chips_per_replica, 2);
        // Wread = min(70e9, 64*70e9) * 1 = 70e9; KVavg = 64 * (2000 + 200) * 163,840 = 23.0687e9
        // t_mem = 93.0687e9 / (2 * 3.35e12 * 0.75) = 93.0687e9 / 5.025e12 = 0.0185211 s
        // t_cmp = 64 * 2 * 70e9 / (2 * 1979e12 * 0.4) = 8.96e12 / 1.5832e15 = 0.00565943 s
        assert_relative_eq!(f.decode_step_s, 0.018_521_1, max_relative = 1e-5);
        assert!(f.memory_bound);
        // t_pre = 64 * 2000 * 2 * 70e9 / (3.958e15 * 0.5) = 1.792e16 / 1.979e15 = 9.05508 s
        assert_relative_eq!(f.prefill_s, 9.055_078, max_relative = 1e-6);
        // T = 9.05508 + 400 * 0.0185211 = 16.46351 s; tps/chip = 64 * 400 / 16.46351 / 2 = 777.48
        assert_relative_eq!(f.output_tokens_per_s_per_chip, 777.48, max_relative = 1e-4);
        // per user = 1 / 0.0185211 = 53.99
        assert_relative_eq!(f.tokens_per_s_per_user, 53.99, max_relative = 1e-3);
        // ttft = 2000 * 1.4e11 / 1.979e15 = 0.141486 s
        assert_relative_eq!(f.ttft_s, 0.141_486, max_relative = 1e-5);
        // USD/M out = 6.88e6 / (777.48 * 3600 * 0.6) = 6.88e6 / 1,679,357 = 4.0968
        assert_relative_eq!(f.usd_per_m_output_tokens, 4.0968, max_relative = 1e-4);
        // USD/M all = 4.0968 / (2400 / 400) = 0.68280
        assert_relative_eq!(f.usd_per_m_tokens, 0.682_80, max_relative = 1e-4);
    }

    #[test]
    fn measured_throughput_replaces_the_roofline() {
        let mut i = chat70_h100();
        i.measured_tps = Some(2381.0);
        let f = figures(&i, &mut ());
        assert!(f.measured);
        // 6.88e6 / (2381 * 3600 * 0.6) = 6.88e6 / 5,142,960 = 1.33775
        assert_relative_eq!(f.usd_per_m_output_tokens, 1.337_75, max_relative = 1e-5);
    }

    #[test]
    fn moe_reads_only_the_experts_a_small_batch_touches() {
        let mut i = chat70_h100();
        i.params = 671e9;
        i.active_params = 37e9;
        i.batch = 1.0;
        i.kv_bytes_per_token = 0.0;
        i.usable_memory = 1e15;
        let f = figures(&i, &mut ());
        // Wread = min(671e9, 1 * 37e9) = 37e9 B; t_mem = 37e9 / (3.35e12 * 0.75) = 0.0147264 s
        assert_relative_eq!(f.decode_step_s, 0.014_726_4, max_relative = 1e-5);
    }
}

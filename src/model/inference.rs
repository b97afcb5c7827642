//! Serving figures: the step model of continuous batching, per replica (docs/model.md "Serving").
//!
//! A replica of `n` chips runs `B` sequences; every step decodes one token for each and carries
//! `p = B * Lin / Lout` prefill tokens of new arrivals. A step costs GEMMs and attention (each
//! bound by compute or memory), the tensor-parallel all-reduces and fixed per-layer overheads.
//! The replica size is chosen among tensor-parallel degrees (powers of two dividing the heads)
//! unless the workload fixes it; the batch is derived from the KV cache, the engine's cap and the
//! per-user target unless the workload gives it.

use crate::config::{Accelerator, Config, Inference, KvSize};

use super::Skip;
use super::price::usd_per_chip_hour;
use super::trace::{Trace, d, get};

/// The step model's efficiencies of one accelerator, resolved (docs/model.md "Serving").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eff {
    /// Share of dense peak in GEMMs and attention.
    pub serving_mfu: f64,
    /// Share of memory bandwidth streaming weights.
    pub weight_bw_eff: f64,
    /// Share of memory bandwidth reading the KV cache.
    pub kv_bw_eff: f64,
    /// Fixed cost per layer per step (us).
    pub step_overhead_us: f64,
    /// Extra cost per layer per step on a multi-chip replica (us).
    pub tp_overhead_us: f64,
    /// MoE GEMM efficiency relative to dense.
    pub moe_efficiency: f64,
}

impl Eff {
    /// From the fit's parameter vector, in [`crate::config::ServingEfficiency::KEYS`] order.
    pub fn from_array(x: [f64; 6]) -> Eff {
        Eff {
            serving_mfu: x[0],
            weight_bw_eff: x[1],
            kv_bw_eff: x[2],
            step_overhead_us: x[3],
            tp_overhead_us: x[4],
            moe_efficiency: x[5],
        }
    }
}

/// The numbers one serving estimate needs, resolved from the config (SI units; counts of
/// parameters and tokens, bytes, FLOP/s, bytes/s, seconds).
#[derive(Clone, Copy, Debug)]
pub struct InferenceInputs {
    /// Total parameters (count).
    pub params: f64,
    /// Active parameters per token (count).
    pub active_params: f64,
    /// Bytes per weight (fp4 = 0.5625).
    pub weight_bytes: f64,
    /// KV-cache bytes per token.
    pub kv_bytes_per_token: f64,
    /// Lin, Lout (tokens per request).
    pub input_tokens: f64,
    pub output_tokens: f64,
    /// Lc: input tokens per request served from the prefix cache (no prefill compute), <= Lin.
    pub cached_tokens: f64,
    /// Ls: of those, the tokens every request shares, <= Lc: their KV is stored once per
    /// attention group ([`prefix_copies`]), not once per sequence.
    pub shared_prefix: f64,
    /// k: draft tokens verified per sequence per step (0 without speculative decoding).
    pub spec_tokens: f64,
    /// a: mean tokens emitted per sequence per step, in [1, k + 1] (1 without speculation).
    pub acceptance: f64,
    /// Draft model or MTP module: weights read per draft pass (count; 0: no draft cost).
    pub draft_params: f64,
    /// Weights each drafted token computes with (count).
    pub draft_active_params: f64,
    /// Layers of the draft (per-layer overheads, its KV reads).
    pub draft_layers: f64,
    /// Scale-out bandwidth per chip, one direction (bytes/s): pipeline stages across scale-up
    /// domains and the disaggregated KV transfer; 0 when the chip declares none (no replica
    /// then spans domains, no disaggregated pools).
    pub scale_out: f64,
    /// Disaggregated serving: chips of a prefill-pool replica (`None`: prefill folded into the
    /// decode steps).
    pub prefill_chips: Option<u64>,
    /// Layers; 0 when unknown (no attention FLOPs, overheads or all-reduces then).
    pub layers: f64,
    /// Query heads x head_dim; 0 when unknown (no attention FLOPs).
    pub attention_width: f64,
    /// Width of a decode step's attention (FLOPs per context token / 4): `attention_width`
    /// unless given apart (MLA's absorbed decode).
    pub decode_attention_width: f64,
    /// All-reduce width; 0 when unknown (no all-reduce time).
    pub hidden: f64,
    /// Query heads: tensor-parallel degrees (in the stack's unit) must divide them.
    pub heads: Option<u64>,
    /// KV heads (GQA), where the KV shape is given: tensor-parallel ranks beyond them hold
    /// copies ([`kv_copies`]). `None` (a given `kv_bytes_per_token`): never replicated.
    pub kv_heads: Option<f64>,
    /// Tensor-parallel ranks per chip in the unit the serving stack counts TP in (NeuronCores
    /// on Neuron; 1 on GPUs and TPUs).
    pub tp_unit_per_chip: u64,
    /// Chips one tensor/expert-parallel group may span (the scale-up domain); `u64::MAX` when
    /// the accelerator does not declare it.
    pub scale_up_chips: u64,
    /// Attention runs data-parallel: one attention rank per TP unit, each with its own
    /// sequences and KV cache; MoE layers expert-parallel (all-to-all, no all-reduce).
    pub attention_dp: bool,
    /// MoE: (routed experts per layer, routed experts per token).
    pub experts: Option<(f64, f64)>,
    /// MoE: weights every token reads (count).
    pub shared_params: f64,
    /// A given running batch per replica.
    pub batch: Option<f64>,
    /// Engine cap on running sequences per replica.
    pub max_batch: f64,
    /// The engine's prefill token budget per step (chunked prefill), tokens.
    pub prefill_chunk_tokens: f64,
    /// Per-user speed target (tokens/s).
    pub min_tokens_per_s_per_user: Option<f64>,
    /// A given replica size.
    pub chips_per_replica: Option<u64>,
    /// Largest replica a candidate may have (`report.max_chips_per_replica`).
    pub max_chips_per_replica: u64,
    /// Usable memory of one chip (bytes).
    pub usable_memory: f64,
    /// Dense peak of one chip at the workload's precision (FLOP/s).
    pub peak_flops: f64,
    /// Memory bandwidth of one chip (bytes/s).
    pub bandwidth: f64,
    /// Chip-to-chip bandwidth, one direction (bytes/s); 0 when unknown.
    pub interconnect: f64,
    pub eff: Eff,
    pub usd_per_chip_hour: f64,
    pub utilization: f64,
}

/// One step's time, by term (seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The terms of one pipeline stage's pass (the whole replica when it has one stage).
    pub gemm: f64,
    pub attn: f64,
    pub tp: f64,
    pub overhead: f64,
    /// The draft model's or MTP module's passes (0 without speculative decoding).
    pub draft: f64,
    /// What pipeline stages across scale-up domains add: the activation transfers and the
    /// idle stages of a batch too small to fill every stage (0 for one stage).
    pub pipeline: f64,
    /// Time between two steps of one sequence (each emits `a` tokens per sequence).
    pub total: f64,
    /// True when the GEMM term is bound by streaming weights rather than compute.
    pub memory_bound: bool,
}

/// One serving estimate (one replica size, one batch).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct InferenceFigures {
    pub usd_per_chip_hour: f64,
    pub chips_per_replica: u64,
    /// Running batch per replica (sequences).
    pub batch: f64,
    pub weights_gb: f64,
    pub kv_bytes_per_token: f64,
    /// Seconds per step (time per output token without speculative decoding; each step emits
    /// `acceptance_length` tokens per sequence).
    pub step_s: f64,
    pub output_tokens_per_s_per_chip: f64,
    pub tokens_per_s_per_user: f64,
    pub ttft_s: f64,
    /// USD per million fresh (uncached) input tokens.
    pub usd_per_m_input_tokens: f64,
    /// USD per million input tokens served from the prefix cache (0 without `cached_input_tokens`).
    pub usd_per_m_cached_input_tokens: f64,
    pub usd_per_m_output_tokens: f64,
    /// Blended over input (fresh and cached) and output tokens, each at its price.
    pub usd_per_m_tokens: f64,
    /// Always false: benchmarks check the model, they never replace it (docs/cli.md).
    pub measured: bool,
    /// True when the GEMMs are bound by streaming weights.
    pub memory_bound: bool,
    /// False when the workload's per-user target is not met (the fastest candidate is shown).
    pub meets_target: bool,
}

/// W: bytes of weights of one copy of the model.
pub fn weights(i: &InferenceInputs) -> f64 {
    i.params * i.weight_bytes
}

/// Bytes of weights a replica holds: the model's `W`, plus the draft's `Nd * bytes per weight`
/// with speculative decoding (a draft model or MTP module sits beside the model it drafts for).
pub fn resident_weights(i: &InferenceInputs) -> f64 {
    weights(i)
        + if i.spec_tokens > 0.0 {
            i.draft_params * i.weight_bytes
        } else {
            0.0
        }
}

/// Mean context of a running sequence, `Lin + Lout / 2` (tokens).
pub fn mean_context(i: &InferenceInputs) -> f64 {
    i.input_tokens + i.output_tokens / 2.0
}

/// Fresh input tokens per request, `Lin - Lc`: the prompt tokens prefill computes.
pub fn fresh_input(i: &InferenceInputs) -> f64 {
    (i.input_tokens - i.cached_tokens).max(0.0)
}

/// (s, m): a replica of `n` chips as `m` pipeline stages of `s` chips, each stage one
/// tensor/expert-parallel group within a scale-up domain. `(n, 1)` when `n` fits one domain;
/// otherwise `s` is the largest divisor of `n` of at most `scale_up_chips` whose `s *
/// tp_unit_per_chip` ranks divide the heads (where given). `None` when no such layout exists or
/// the replica cannot span domains (no `scale_out_gb_per_s`, `layers` or `hidden`, or more
/// stages than layers).
pub fn layout(i: &InferenceInputs, n: u64) -> Option<(u64, u64)> {
    if n <= i.scale_up_chips {
        return Some((n, 1));
    }
    if i.scale_out <= 0.0 || i.layers < 1.0 || i.hidden <= 0.0 {
        return None;
    }
    let s = (1..=i.scale_up_chips.min(n))
        .rev()
        .find(|&d| n.is_multiple_of(d) && i.heads.is_none_or(|h| h.is_multiple_of(d * i.tp_unit_per_chip)))?;
    let m = n / s;
    (m as f64 <= i.layers).then_some((s, m))
}

/// Chips of one tensor/expert-parallel group (a pipeline stage) of a replica of `n` chips.
fn stage_chips(i: &InferenceInputs, n: f64) -> f64 {
    layout(i, n as u64).map_or(n, |(s, _)| s as f64)
}

/// One pipeline stage of `m`: the model's weights, layers and KV bytes per token divided by
/// `m` (stages hold equal shares of the layers).
fn stage_inputs(i: &InferenceInputs, m: f64) -> InferenceInputs {
    InferenceInputs {
        params: i.params / m,
        active_params: i.active_params / m,
        shared_params: i.shared_params / m,
        kv_bytes_per_token: i.kv_bytes_per_token / m,
        layers: i.layers / m,
        ..*i
    }
}

/// u: tensor-parallel ranks of a replica of `n` chips, in the stack's unit (`n * tp_unit_per_chip`).
pub fn tp_ranks(i: &InferenceInputs, n: f64) -> f64 {
    n * i.tp_unit_per_chip as f64
}

/// g: copies of the shared prefix's KV a replica of `n` chips stores: one per attention
/// data-parallel rank of a stage (each rank has its own cache), else one.
pub fn prefix_copies(i: &InferenceInputs, n: f64) -> f64 {
    if i.attention_dp { tp_ranks(i, stage_chips(i, n)) } else { 1.0 }
}

/// r: copies of each KV head a replica of `n` chips holds, `max(kv_heads, u) / kv_heads`: a
/// tensor-parallel rank holds at least one KV head's cache, so ranks beyond the KV heads hold
/// copies (TP16 of an 8-KV-head model holds every head twice). 1 when attention runs
/// data-parallel (each rank caches its own sequences) or the KV heads are not known.
pub fn kv_copies(i: &InferenceInputs, n: f64) -> f64 {
    match i.kv_heads {
        Some(h) if h > 0.0 && !i.attention_dp => tp_ranks(i, stage_chips(i, n)).max(h) / h,
        _ => 1.0,
    }
}

/// B_kv: sequences the KV cache of `n` chips holds at the mean context, the shared prefix
/// stored `g` times ([`prefix_copies`]) and each sequence's own `c - Ls` tokens:
/// `(n * usable memory - Wh - r * kv * Ls * g) / (r * kv * (c - Ls))`, `Wh` the weights held
/// ([`resident_weights`]; may be below 1 or negative when the weights leave no room).
pub fn kv_capacity(i: &InferenceInputs, n: f64) -> f64 {
    let r = kv_copies(i, n);
    (n * i.usable_memory - resident_weights(i) - r * i.kv_bytes_per_token * i.shared_prefix * prefix_copies(i, n))
        / (r * i.kv_bytes_per_token * (mean_context(i) - i.shared_prefix))
}

/// g: the engine's schedulers in a replica of `n` chips, each with its own `max_batch` and token
/// budget: one per attention rank (`u`) when attention runs data-parallel, else 1.
pub fn schedulers(i: &InferenceInputs, n: f64) -> f64 {
    if i.attention_dp { tp_ranks(i, stage_chips(i, n)) } else { 1.0 }
}

/// Tokens one sequence adds to a step on average: `k + 1` verified, and its prefill share
/// ([`prefill_per_step`] of one sequence; none when prefill runs on its own pool).
fn tokens_per_sequence(i: &InferenceInputs) -> f64 {
    i.spec_tokens + 1.0 + prefill_per_step(i, 1.0)
}

/// The engine's running-batch cap of a replica of `n` chips (sequences):
/// `min(max_batch * g, prefill_chunk_tokens * g / (k + 1 + a * (Lin - Lc) / Lout))` with `g`
/// schedulers ([`schedulers`]): the running-sequence cap, and the batch whose decode and prefill
/// tokens per step fill the engine's token budget (more could not keep up with its arrivals).
pub fn batch_cap(i: &InferenceInputs, n: f64) -> f64 {
    let g = schedulers(i, n);
    (i.max_batch * g).min(i.prefill_chunk_tokens * g / tokens_per_sequence(i))
}

/// E_t: routed experts per layer a step of `tokens` tokens touches, `E * (1 - (1 - k/E)^T)`
/// (each token picks `k` of `E`, independently and uniformly).
pub fn experts_touched(e: f64, k: f64, tokens: f64) -> f64 {
    e * (1.0 - (1.0 - k / e).powf(tokens))
}

/// Bytes of weights a step of `tokens` tokens reads: all of them for a dense model; for MoE the
/// shared weights plus the experts the step touches, `E_t = E * (1 - (1 - k/E)^T)` per layer.
pub fn weights_read(i: &InferenceInputs, tokens: f64) -> f64 {
    let w = weights(i);
    match i.experts {
        Some((e, k)) => {
            let touched = experts_touched(e, k, tokens);
            (i.shared_params * i.weight_bytes + touched * expert_params(i, e) * i.weight_bytes).min(w)
        }
        None => w.min(tokens * i.active_params * i.weight_bytes),
    }
}

/// Weights of one routed expert over all layers, `(params - shared) / E` (count).
fn expert_params(i: &InferenceInputs, e: f64) -> f64 {
    (i.params - i.shared_params).max(0.0) / e
}

fn is_moe(i: &InferenceInputs) -> bool {
    i.experts.is_some() || i.active_params < i.params
}

/// m: the GEMM efficiency, relative to dense, of the FLOPs it applies to: `moe_efficiency` for
/// an MoE model's routed experts (with expert counts, only the routed GEMMs; without, all
/// GEMMs), 1 for a dense model.
pub fn moe_factor(i: &InferenceInputs) -> f64 {
    if is_moe(i) { i.eff.moe_efficiency } else { 1.0 }
}

/// The GEMM terms of a step of `tokens` tokens on `n` chips (seconds): (compute, weights,
/// t_gemm). With expert counts, the shared weights' GEMM (T rows) and the touched experts'
/// GEMMs (each at its real row count `T * k / E_t`, together `k * T` rows of one expert's
/// width) are each bound by compute or by streaming their weights:
/// `t_gemm = max(2 * Ns * T / (n P mfu), Ns * bytes / (n BW wbe))
///         + max(2 * k * Ne * T / (n P mfu m), E_t * Ne * bytes / (n BW wbe))`.
/// Otherwise one GEMM of `Na` active weights: `max(2 Na T / (n P mfu m), Wread / (n BW wbe))`.
pub fn gemm_time(i: &InferenceInputs, n: f64, tokens: f64) -> (f64, f64, f64) {
    let e = &i.eff;
    let compute = n * i.peak_flops * e.serving_mfu;
    let stream = n * i.bandwidth * e.weight_bw_eff;
    match i.experts {
        Some((ne, k)) => {
            let pe = expert_params(i, ne);
            let shared = (2.0 * i.shared_params * tokens / compute, i.shared_params * i.weight_bytes / stream);
            let routed_bytes = (weights_read(i, tokens) - i.shared_params * i.weight_bytes).max(0.0);
            let routed = (2.0 * k * pe * tokens / (compute * e.moe_efficiency), routed_bytes / stream);
            (
                shared.0 + routed.0,
                shared.1 + routed.1,
                shared.0.max(shared.1) + routed.0.max(routed.1),
            )
        }
        None => {
            let c = 2.0 * i.active_params * tokens / (compute * moe_factor(i));
            let m = weights_read(i, tokens) / stream;
            (c, m, c.max(m))
        }
    }
}

/// One pass of `b` sequences and `p` prefill tokens through a tensor/expert-parallel group of
/// `n` chips holding the layers of `i` (the whole model, or one pipeline stage's share), by
/// term. Each sequence verifies `k + 1` tokens (its next token and `k` drafted ones). With
/// `cached_ctx` false, the prefill's work over the cached context (attention over it, reading
/// its KV) is left out: the difference prices the cached input tokens.
fn stage_step(i: &InferenceInputs, n: f64, b: f64, p: f64, cached_ctx: bool, t: &mut impl Trace) -> Step {
    let e = &i.eff;
    let tokens = d(
        t,
        "T (tokens per step)",
        if i.spec_tokens > 0.0 {
            "B * (k + 1) + p: each sequence verifies its next token and k drafted ones"
        } else {
            "B + p"
        },
        b * (i.spec_tokens + 1.0) + p,
        "tokens",
    );
    let fresh = fresh_input(i);
    let lc = if cached_ctx { i.cached_tokens } else { 0.0 };
    // Requests whose prompts this step prefills, and the context each prefilled token
    // attends to on average: the cached context plus half its own fresh prompt.
    let requests = if fresh > 0.0 { p / fresh } else { 0.0 };
    let prefill_ctx = lc + fresh / 2.0;
    let c = mean_context(i);
    let (gemm_flops, gemm_mem, gemm) = gemm_time(i, n, tokens);
    if t.enabled() {
        if let Some((ne, k)) = i.experts {
            d(
                t,
                "E_t (experts touched per layer)",
                "experts * (1 - (1 - experts_per_token / experts)^T)",
                experts_touched(ne, k, tokens),
                "experts",
            );
            d(
                t,
                "rows per touched expert",
                "T * experts_per_token / E_t",
                tokens * k / experts_touched(ne, k, tokens),
                "tokens",
            );
        }
        d(
            t,
            "m (MoE GEMM efficiency)",
            if i.experts.is_some() {
                "moe_efficiency, on the routed experts' GEMMs only (at their real rows: no padding)"
            } else if is_moe(i) {
                "moe_efficiency (no expert counts: on every GEMM)"
            } else {
                "1 (dense)"
            },
            moe_factor(i),
            "",
        );
        d(
            t,
            "Wread (weights read per step)",
            if i.experts.is_some() {
                "min(W, shared bytes + E_t * expert bytes)"
            } else {
                "min(W, T * active params * bytes per weight)"
            },
            weights_read(i, tokens),
            "bytes",
        );
        if i.experts.is_some() {
            d(
                t,
                "GEMM time, compute",
                "2 * shared * T / (n * P * serving_mfu) + 2 * k * expert params * T / (n * P * serving_mfu * m)",
                gemm_flops,
                "s",
            );
            d(t, "GEMM time, weights", "Wread / (n * BW * weight_bw_eff)", gemm_mem, "s");
        } else {
            d(t, "GEMM time, compute", "2 * Na * T / (n * P * serving_mfu * m)", gemm_flops, "s");
            d(t, "GEMM time, weights", "Wread / (n * BW * weight_bw_eff)", gemm_mem, "s");
        }
    }
    let gemm = d(
        t,
        "t_gemm",
        if i.experts.is_some() {
            "max(shared compute, shared weights) + max(routed compute, touched experts' weights)"
        } else {
            "max(GEMM compute, GEMM weights)"
        },
        gemm,
        "s",
    );
    let attn_flops = d(
        t,
        "attention time, compute",
        if i.cached_tokens > 0.0 {
            "4 * L * (d_decode * B * (k + 1) * c + d * p * (Lc + (Lin - Lc) / 2)) / (n * P * serving_mfu): fresh prompt tokens attend to the cached context too"
        } else {
            "4 * L * (d_decode * B * (k + 1) * c + d * p * Lin / 2) / (n * P * serving_mfu)"
        },
        4.0 * i.layers * (i.decode_attention_width * b * (i.spec_tokens + 1.0) * c + i.attention_width * p * prefill_ctx)
            / (n * i.peak_flops * e.serving_mfu),
        "s",
    );
    let copies = kv_copies(i, n);
    let attn_mem = d(
        t,
        "attention time, KV reads",
        if i.cached_tokens > 0.0 {
            "(B * c + (p / (Lin - Lc)) * Lc) * r * kv / (n * BW * kv_bw_eff): each step reads every running sequence's whole context once (the k + 1 verified tokens share the reads), and each prefilled request its cached context; r = max(kv_heads, u) / kv_heads copies of each KV head"
        } else {
            "B * c * r * kv / (n * BW * kv_bw_eff): the k + 1 verified tokens of a sequence share the reads; r = max(kv_heads, u) / kv_heads copies of each KV head"
        },
        (b * c + requests * lc) * copies * i.kv_bytes_per_token / (n * i.bandwidth * e.kv_bw_eff),
        "s",
    );
    let attn = d(t, "t_attn", "max(attention compute, KV reads)", attn_flops.max(attn_mem), "s");
    let tp = match (n > 1.0 && i.interconnect > 0.0, i.attention_dp, i.experts) {
        (false, ..) => d(t, "t_tp", "0 (one chip, or no interconnect_gb_per_s)", 0.0, "s"),
        (true, true, Some((_, k))) => d(
            t,
            "t_tp",
            "expert-parallel all-to-all, dispatch and combine per layer: 2 * L * (T / n) * k * hidden * 2 bytes * (n - 1) / n / interconnect",
            2.0 * i.layers * (tokens / n) * k * i.hidden * 2.0 * (n - 1.0) / n / i.interconnect,
            "s",
        ),
        (true, ..) => d(
            t,
            "t_tp",
            "2 all-reduces per layer of T * hidden * 2 bytes, ring: 2 * L * T * hidden * 2 * 2 (n - 1) / n / interconnect",
            2.0 * i.layers * tokens * i.hidden * 2.0 * 2.0 * (n - 1.0) / n / i.interconnect,
            "s",
        ),
    };
    let per_layer = e.step_overhead_us + if n > 1.0 { e.tp_overhead_us } else { 0.0 };
    let overhead = d(
        t,
        "per-layer overheads",
        "L * (step_overhead_us_per_layer + [n > 1] tp_overhead_us_per_layer) * 1e-6",
        i.layers * per_layer * 1e-6,
        "s",
    );
    let total = gemm + attn + tp + overhead;
    Step {
        gemm,
        attn,
        tp,
        overhead,
        draft: 0.0,
        pipeline: 0.0,
        total,
        memory_bound: gemm_mem >= gemm_flops,
    }
}

/// The draft model's or MTP module's work in one step of `b` sequences on `n` chips: `k`
/// sequential passes, each drafting one token per sequence (seconds):
///
/// ```text
/// k * (max(2 * Nda * b / (n * P * serving_mfu), min(Nd, b * Nda) * bytes / (n * BW * weight_bw_eff))
///      + b * c * r * kv * (Ld / L) / (n * BW * kv_bw_eff) + Ld * per-layer overheads)
/// ```
///
/// The draft's KV is taken as the main model's per layer (exact for an MTP module, an
/// estimate for a separate draft model). 0 without speculation, a draft, or sequences.
pub fn draft_time(i: &InferenceInputs, n: f64, b: f64) -> f64 {
    if i.spec_tokens <= 0.0 || i.draft_params <= 0.0 || b <= 0.0 {
        return 0.0;
    }
    let e = &i.eff;
    let compute = 2.0 * i.draft_active_params * b / (n * i.peak_flops * e.serving_mfu);
    let stream = (b * i.draft_active_params).min(i.draft_params) * i.weight_bytes / (n * i.bandwidth * e.weight_bw_eff);
    let kv = if i.layers > 0.0 {
        b * mean_context(i) * kv_copies(i, n) * i.kv_bytes_per_token * (i.draft_layers / i.layers) / (n * i.bandwidth * e.kv_bw_eff)
    } else {
        0.0
    };
    let per_layer = e.step_overhead_us + if n > 1.0 { e.tp_overhead_us } else { 0.0 };
    i.spec_tokens * (compute.max(stream) + kv + i.draft_layers * per_layer * 1e-6)
}

/// The time of one step of a replica of `n` chips running `b` sequences and carrying `p` prefill
/// tokens, by term (docs/model.md "Serving"): each sequence emits `a` tokens per step.
pub fn step(i: &InferenceInputs, n: f64, b: f64, p: f64, t: &mut impl Trace) -> Step {
    step_with(i, n, b, p, true, t)
}

/// [`step`] without the prefill's work over the cached context (its attention over, and reads
/// of, the `Lc` cached tokens): the difference from [`step`] prices the cached input tokens
/// ([`figures_at`]). Equal to [`step`] without `cached_input_tokens`.
pub fn step_without_cached_context(i: &InferenceInputs, n: f64, b: f64, p: f64, t: &mut impl Trace) -> Step {
    step_with(i, n, b, p, false, t)
}

/// P_c: the prefill tokens one step carries when it carries a prompt,
/// `min(prefill_chunk_tokens - B * (k + 1) / g, Lin - Lc)` (tokens): engines prefill a prompt in chunks, each riding in
/// one step beside the running sequences' decode, within the token budget of the scheduler it
/// lands on (`g` schedulers share the `B` sequences: [`schedulers`]). 0 or less when the decode
/// alone fills the budget.
pub fn prefill_chunk(i: &InferenceInputs, n: f64, b: f64) -> f64 {
    (i.prefill_chunk_tokens - b * (i.spec_tokens + 1.0) / schedulers(i, n)).min(fresh_input(i))
}

/// [`step`], with or without the prefill's work over the cached context ([`stage_step`]).
///
/// Prefill is not spread evenly over the steps: an arriving prompt is prefilled in chunks of
/// `P_c` tokens ([`prefill_chunk`]), each riding in one step. With `0 < p < P_c` prefill tokens
/// per step on average, a share `r = p / P_c` of the steps carries a chunk and the rest only
/// decode: `t_step = t_pass(B, 0) + r * (t_pass(B, P_c) - t_pass(B, 0))`. A decode-only step
/// of an MoE model reads only the experts its `B` tokens touch; a chunk step reads (nearly) all
/// of them and computes the chunk. With `p >= P_c` (prompts arrive faster than one per step)
/// every step carries `p` prefill tokens: `t_step = t_pass(B, p)`.
fn step_with(i: &InferenceInputs, n: f64, b: f64, p: f64, cached_ctx: bool, t: &mut impl Trace) -> Step {
    let pc = prefill_chunk(i, n, b);
    if p <= 0.0 || p >= pc {
        return pass_with(i, n, b, p, cached_ctx, false, t);
    }
    let pc = d(
        t,
        "P_c (prefill chunk)",
        if i.attention_dp {
            "min(prefill_chunk_tokens - B * (k + 1) / g, Lin - Lc): a prompt is prefilled in chunks, each riding in one step within the token budget of the attention rank it lands on (g ranks share the B sequences)"
        } else {
            "min(prefill_chunk_tokens - B * (k + 1), Lin - Lc): a prompt is prefilled in chunks, each riding in one step within the engine's token budget beside the decode tokens"
        },
        pc,
        "tokens",
    );
    let r = d(
        t,
        "s_c (share of steps carrying a chunk)",
        "p / P_c: the other steps only decode",
        p / pc,
        "",
    );
    if t.enabled() {
        t.note("a step carrying a prefill chunk (the rows down to its t_step take p = P_c):".into());
    }
    let chunk = pass_with(i, n, b, pc, cached_ctx, true, t);
    let base = pass_with(i, n, b, 0.0, cached_ctx, false, &mut ());
    let mix = |x: f64, y: f64| x + r * (y - x);
    let total = d(
        t,
        "t_step",
        "t_step(B, 0) + s_c * (t_step with a prefill chunk - t_step(B, 0))",
        mix(base.total, chunk.total),
        "s",
    );
    Step {
        gemm: mix(base.gemm, chunk.gemm),
        attn: mix(base.attn, chunk.attn),
        tp: mix(base.tp, chunk.tp),
        overhead: mix(base.overhead, chunk.overhead),
        draft: mix(base.draft, chunk.draft),
        pipeline: mix(base.pipeline, chunk.pipeline),
        total,
        memory_bound: base.memory_bound,
    }
}

/// One pass of the replica carrying `p` prefill tokens in the same step as the `b` sequences'
/// decode (`chunk`: the pass [`step_with`] blends, its `t_step` labelled "with a prefill chunk"),
/// with or without the prefill's work over the cached context ([`stage_step`]).
///
/// One stage (`n` within the scale-up domain): `t_step = t_stage(B, p) + t_draft(B)`.
/// Pipeline stages ([`layout`]: `m` stages of `s` chips): the batch runs as `mb = min(m,
/// max(B, 1))` micro-batches; a stage holds `1/m` of the layers and passes each micro-batch in
/// `tau = t_stage(B / mb, p / mb)`, sends its activations, `x = (T / mb) * hidden * 2 bytes /
/// (s * scale_out)`, and the last stage drafts: `t_step = max(m * (tau + x) + t_draft(B / mb),
/// mb * (tau + x + t_draft(B / mb)))`: every sequence's micro-batch passes all `m` stages, and
/// with fewer micro-batches than stages the stages idle (the pipeline bubble).
fn pass_with(i: &InferenceInputs, n: f64, b: f64, p: f64, cached_ctx: bool, chunk: bool, t: &mut impl Trace) -> Step {
    let (s, m) = layout(i, n as u64).map_or((n, 1.0), |(s, m)| (s as f64, m as f64));
    if m <= 1.0 {
        let st = stage_step(i, n, b, p, cached_ctx, t);
        let draft = draft_time(i, n, b);
        if i.spec_tokens > 0.0 {
            d(
                t,
                "t_draft",
                "k * (max(2 * Nda * B / (n * P * serving_mfu), min(Nd, B * Nda) * bytes / (n * BW * weight_bw_eff)) + B * c * r * kv * (Ld / L) / (n * BW * kv_bw_eff) + Ld * per-layer overheads)",
                draft,
                "s",
            );
        }
        let total = d(
            t,
            if chunk { "t_step with a prefill chunk" } else { "t_step" },
            if i.spec_tokens > 0.0 {
                "t_gemm + t_attn + t_tp + overheads + t_draft"
            } else {
                "t_gemm + t_attn + t_tp + overheads"
            },
            st.total + draft,
            "s",
        );
        return Step { draft, total, ..st };
    }
    let mb = d(t, "mb (micro-batches)", "min(m, max(B, 1))", m.min(b.max(1.0)), "");
    let stage = stage_inputs(i, m);
    let st = stage_step(&stage, s, b / mb, p / mb, cached_ctx, t);
    let tau = d(
        t,
        "tau (one stage's pass of a micro-batch)",
        "t_gemm + t_attn + t_tp + overheads of L / m layers on s chips at B / mb sequences",
        st.total,
        "s",
    );
    let tokens = (b * (i.spec_tokens + 1.0) + p) / mb;
    let x = d(
        t,
        "x (activations to the next stage)",
        "(T / mb) * hidden * 2 bytes / (s * scale_out): each of the stage's chips sends its share over its own NIC",
        tokens * i.hidden * 2.0 / (s * i.scale_out),
        "s",
    );
    let draft = draft_time(i, s, b / mb);
    if i.spec_tokens > 0.0 {
        d(
            t,
            "t_draft (last stage, one micro-batch)",
            "k * (max(2 * Nda * B/mb / (s * P * serving_mfu), min(Nd, B/mb * Nda) * bytes / (s * BW * weight_bw_eff)) + B/mb * c * r * kv * (Ld / L) / (s * BW * kv_bw_eff) + Ld * per-layer overheads)",
            draft,
            "s",
        );
    }
    let total = d(
        t,
        if chunk {
            "t_step (one pipeline cycle) with a prefill chunk"
        } else {
            "t_step (one pipeline cycle)"
        },
        "max(m * (tau + x) + t_draft, mb * (tau + x + t_draft)): each micro-batch passes the m stages; fewer micro-batches than stages leave stages idle",
        (m * (tau + x) + draft).max(mb * (tau + x + draft)),
        "s",
    );
    Step {
        gemm: st.gemm,
        attn: st.attn,
        tp: st.tp,
        overhead: st.overhead,
        draft,
        pipeline: total - m * tau - draft,
        total,
        memory_bound: st.memory_bound,
    }
}

/// Prefill tokens folded into each step, `p = B * a * (Lin - Lc) / Lout`: requests finish at
/// `B * a / Lout` per step and each arrival prefills its fresh prompt. 0 when prefill runs on
/// its own pool (`prefill_chips`).
pub fn prefill_per_step(i: &InferenceInputs, b: f64) -> f64 {
    if i.prefill_chips.is_some() {
        0.0
    } else {
        b * i.acceptance * fresh_input(i) / i.output_tokens
    }
}

/// Step time at batch `b` with its prefill share (no tracing).
fn step_at(i: &InferenceInputs, n: f64, b: f64) -> f64 {
    step(i, n, b, prefill_per_step(i, b), &mut ()).total
}

/// B_slo: the largest batch in [1, cap] whose per-user speed `a / t_step` meets `target`
/// (`t_step` rises with the batch; solved to ~1e-14). `None` when even one sequence is too slow.
pub fn slo_batch(i: &InferenceInputs, n: f64, cap: f64, target: f64) -> Option<f64> {
    // a tokens per step: the step may take a / target.
    let limit = i.acceptance / target;
    if step_at(i, n, 1.0) > limit {
        return None;
    }
    if step_at(i, n, cap) <= limit {
        return Some(cap);
    }
    // Illinois (regula falsi that halves a stuck end): t_step is piecewise linear in the batch
    // for a dense model, so this lands in a handful of steps where bisection needs ~50.
    let f = |b: f64| step_at(i, n, b) - limit;
    let (mut a, mut fa) = (1.0f64, f(1.0));
    let (mut b, mut fb) = (cap, f(cap));
    let close = 1e-14 * limit;
    let mut side = 0;
    for _ in 0..100 {
        let c = (a * fb - b * fa) / (fb - fa);
        if !(c > a && c < b) {
            break;
        }
        let fc = f(c);
        if fc.abs() <= close {
            // 1 / t_step is the target to 1e-14: within the 1e-9 a target is checked to.
            return Some(c);
        }
        if fc < 0.0 {
            a = c;
            fa = fc;
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        } else {
            b = c;
            fb = fc;
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        }
        if b - a <= 1e-12 * b {
            break;
        }
    }
    // Where regula falsi stalled, finish by bisection.
    for _ in 0..100 {
        let mid = 0.5 * (a + b);
        if b - a <= 1e-12 * b || mid <= a || mid >= b {
            break;
        }
        if f(mid) <= 0.0 { a = mid } else { b = mid }
    }
    Some(a)
}

/// The running batch of a replica of `n` chips: the given one, else
/// `min(B_kv, batch cap, B_slo)` ([`batch_cap`]). A given batch above `B_kv` is clamped to it
/// (`compare` and `report` warn with both numbers; one the KV cache cannot hold a single
/// sequence of is refused by [`candidates`]). `None` when the replica cannot run one sequence.
pub fn batch(i: &InferenceInputs, n: f64) -> Option<f64> {
    if let Some(b) = i.batch {
        return Some(b.min(kv_capacity(i, n)));
    }
    let cap = kv_capacity(i, n).min(batch_cap(i, n));
    if cap < 1.0 {
        return None;
    }
    match i.min_tokens_per_s_per_user {
        Some(target) => Some(slo_batch(i, n, cap, target).unwrap_or(1.0)),
        None => Some(cap),
    }
}

/// Figures of a replica of `n` chips at running batch `b`, traced.
pub fn figures_at(i: &InferenceInputs, n: u64, b: f64, t: &mut impl Trace) -> InferenceFigures {
    let nf = n as f64;
    let a = i.acceptance;
    let p = d(
        t,
        "p (prefill tokens per step)",
        if i.prefill_chips.is_some() {
            "0: prefill runs on its own pool (prefill_chips)"
        } else if i.cached_tokens > 0.0 || a > 1.0 {
            "B * a * (Lin - Lc) / Lout: requests finish at B * a / Lout per step, each arrival prefills its fresh prompt"
        } else {
            "B * Lin / Lout"
        },
        prefill_per_step(i, b),
        "tokens",
    );
    let s = step(i, nf, b, p, t);
    let decode_only = d(
        t,
        "t_step without prefill",
        "t_step(B, p = 0)",
        step(i, nf, b, 0.0, &mut ()).total,
        "s",
    );
    let usd_per_s = d(
        t,
        "replica USD per second",
        "n * USD per chip-hour / 3600 / utilization",
        nf * i.usd_per_chip_hour / 3600.0 / i.utilization,
        "USD/s",
    );
    let out_per_step = b * a;
    let tps_replica = out_per_step / s.total;
    let per_user = d(
        t,
        "tokens/s per user",
        if a > 1.0 { "a / t_step" } else { "1 / t_step" },
        a / s.total,
        "tokens/s",
    );
    let fresh = fresh_input(i);
    let lc = i.cached_tokens;
    let usd_out = d(
        t,
        "USD per million output tokens",
        "usd_per_s * t_step(B, 0) / (B * a) * 1e6: the decode share of the step, per token emitted",
        usd_per_s * decode_only / out_per_step * 1e6,
        "USD/M tokens",
    );
    let (usd_in, usd_cached, ttft, chips_per_output) = match i.prefill_chips {
        None => {
            let no_ctx = step_with(i, nf, b, p, false, &mut ()).total;
            if lc > 0.0 {
                d(
                    t,
                    "t_step without the cached context",
                    "t_step(B, p) with the prefill's attention over and reads of the cached context left out",
                    no_ctx,
                    "s",
                );
            }
            let share_in = d(
                t,
                "input share of the step",
                "(t_step(B, p) without the cached context - t_step(B, 0)) / t_step(B, p)",
                ((no_ctx - decode_only) / s.total).clamp(0.0, 1.0),
                "",
            );
            let share_cached = ((s.total - no_ctx) / s.total).clamp(0.0, 1.0);
            let usd_in = d(
                t,
                "USD per million input tokens",
                "usd_per_s * share_in / (p / t_step) * 1e6 (fresh input tokens)",
                if p > 0.0 { usd_per_s * share_in / (p / s.total) * 1e6 } else { 0.0 },
                "USD/M tokens",
            );
            let pc = out_per_step * lc / i.output_tokens;
            let usd_cached = if lc > 0.0 {
                d(
                    t,
                    "cached share of the step",
                    "(t_step(B, p) - t_step without the cached context) / t_step(B, p)",
                    share_cached,
                    "",
                );
                d(
                    t,
                    "USD per million cached input tokens",
                    "usd_per_s * share_cached / (pc / t_step) * 1e6, pc = B * a * Lc / Lout cached tokens per step",
                    usd_per_s * share_cached / (pc / s.total) * 1e6,
                    "USD/M tokens",
                )
            } else {
                0.0
            };
            let ttft = d(
                t,
                "TTFT",
                "t_step(B, p + Lin - Lc): one step carrying the request's fresh prompt with the running batch",
                step(i, nf, b, p + fresh, &mut ()).total,
                "s",
            );
            (usd_in, usd_cached, ttft, nf)
        }
        Some(np) => {
            let npf = np as f64;
            let pre = step_with(i, npf, 0.0, fresh, true, &mut ()).total;
            let pre_no_ctx = step_with(i, npf, 0.0, fresh, false, &mut ()).total;
            d(
                t,
                "t_prefill (prefill pool, one request)",
                "t_step(B = 0, p = Lin - Lc) on prefill_chips chips",
                pre,
                "s",
            );
            let xfer = d(
                t,
                "t_kv (KV transfer to the decode pool)",
                "(Lin - Ls) * kv / (prefill_chips * scale_out): the request's KV but the shared prefix the decode pool holds",
                (i.input_tokens - i.shared_prefix) * i.kv_bytes_per_token / (npf * i.scale_out),
                "s",
            );
            let busy = d(
                t,
                "prefill pool time per request",
                "max(t_prefill, t_kv): the transfer overlaps the next prompt's prefill",
                pre.max(xfer),
                "s",
            );
            let usd_pre = d(
                t,
                "prefill pool USD per request",
                "prefill_chips * USD per chip-hour / 3600 / utilization * busy",
                npf * i.usd_per_chip_hour / 3600.0 / i.utilization * busy,
                "USD",
            );
            let cached_part = if pre > 0.0 {
                ((pre - pre_no_ctx) / pre).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let usd_in = d(
                t,
                "USD per million input tokens",
                "prefill pool USD per request * (1 - cached share) / (Lin - Lc) * 1e6",
                if fresh > 0.0 {
                    usd_pre * (1.0 - cached_part) / fresh * 1e6
                } else {
                    0.0
                },
                "USD/M tokens",
            );
            let usd_cached = if lc > 0.0 {
                d(
                    t,
                    "USD per million cached input tokens",
                    "prefill pool USD per request * cached share / Lc * 1e6, cached share = (t_prefill - t_prefill without the cached context) / t_prefill",
                    usd_pre * cached_part / lc * 1e6,
                    "USD/M tokens",
                )
            } else {
                0.0
            };
            let ttft = d(t, "TTFT", "t_prefill + t_kv", pre + xfer, "s");
            // Prefill-pool chips busy per decode replica: requests per second times chip-seconds.
            let pool = d(
                t,
                "chips per decode replica, both pools",
                "n + prefill_chips * busy * (B * a / t_step / Lout)",
                nf + npf * busy * tps_replica / i.output_tokens,
                "chips",
            );
            (usd_in, usd_cached, ttft, pool)
        }
    };
    let tps = d(
        t,
        "output tokens/s per chip",
        if i.prefill_chips.is_some() {
            "B * a / t_step / chips of both pools"
        } else if a > 1.0 {
            "B * a / t_step / n"
        } else {
            "B / t_step / n"
        },
        tps_replica / chips_per_output,
        "tokens/s",
    );
    let usd_all = d(
        t,
        "USD per million tokens (blended)",
        "((Lin - Lc) * input + Lc * cached + Lout * output) / (Lin + Lout): each token at its price",
        (fresh * usd_in + lc * usd_cached + i.output_tokens * usd_out) / (i.input_tokens + i.output_tokens),
        "USD/M tokens",
    );
    InferenceFigures {
        usd_per_chip_hour: i.usd_per_chip_hour,
        chips_per_replica: n,
        batch: b,
        weights_gb: weights(i) / 1e9,
        kv_bytes_per_token: i.kv_bytes_per_token,
        step_s: s.total,
        output_tokens_per_s_per_chip: tps,
        tokens_per_s_per_user: per_user,
        ttft_s: ttft,
        usd_per_m_input_tokens: usd_in,
        usd_per_m_cached_input_tokens: usd_cached,
        usd_per_m_output_tokens: usd_out,
        usd_per_m_tokens: usd_all,
        measured: false,
        memory_bound: s.memory_bound,
        meets_target: i.min_tokens_per_s_per_user.is_none_or(|x| per_user >= x * (1.0 - 1e-9)),
    }
}

/// USD per million output tokens at a given running batch `b` (> 0), on the replica
/// [`figures`] chooses for it: the first candidate that holds `b` sequences (the cheapest one:
/// see [`figures`]). Equal to `figures(i with batch b).usd_per_m_output_tokens`, at one step
/// time instead of four (no prefill, TTFT): the batch curves and their Monte Carlo bands need
/// no other figure. Errors as [`candidates`].
pub fn usd_per_m_output_tokens(i: &InferenceInputs, b: f64) -> Result<f64, Skip> {
    let i = InferenceInputs {
        batch: Some(b),
        min_tokens_per_s_per_user: None,
        ..*i
    };
    let n = candidates(&i)?.first().copied().ok_or(Skip::NoReplica(i.max_chips_per_replica))?;
    let nf = n as f64;
    // As [`batch`]: a batch the KV cache of a given replica cannot hold is clamped to it.
    let b = b.min(kv_capacity(&i, nf));
    // As [`figures_at`]: the decode step's cost per token emitted.
    let decode_only = step(&i, nf, b, 0.0, &mut ()).total;
    let usd_per_s = nf * i.usd_per_chip_hour / 3600.0 / i.utilization;
    Ok(usd_per_s * decode_only / (b * i.acceptance) * 1e6)
}

/// The replica sizes to consider: the given one, else powers of two from the smallest that
/// holds the weights (and one sequence's KV when the batch is derived) up to
/// `max_chips_per_replica` and the chip's scale-up domain, only those whose tensor-parallel
/// degree in the stack's unit (`n * tp_unit_per_chip`) divides `heads` where given; then, where
/// the chip declares `scale_out_gb_per_s`, pipelines of `m = 2, 4, ...` stages of the largest
/// such group, `s * m` chips up to `max_chips_per_replica` ([`layout`]).
///
/// Errors: a given replica beyond the scale-up domain with no pipeline layout
/// ([`Skip::BeyondScaleUp`]), one that cannot hold the weights ([`Skip::DoesNotFit`]), a given
/// batch on one whose KV cache holds less than one sequence ([`Skip::BatchAboveKv`]; above
/// one, [`batch`] clamps it); a prefill pool that cannot run ([`Skip::BeyondScaleUp`],
/// [`Skip::DoesNotFit`]); no candidate at all ([`Skip::NoReplica`], with the smaller of the
/// two limits).
pub fn candidates(i: &InferenceInputs) -> Result<Vec<u64>, Skip> {
    if let Some(np) = i.prefill_chips {
        if np > i.scale_up_chips || i.scale_out <= 0.0 {
            return Err(Skip::BeyondScaleUp(np, i.scale_up_chips));
        }
        if np as f64 * i.usable_memory <= resident_weights(i) {
            return Err(Skip::DoesNotFit(np));
        }
    }
    if let Some(n) = i.chips_per_replica {
        if layout(i, n).is_none() {
            return Err(Skip::BeyondScaleUp(n, i.scale_up_chips));
        }
        if n as f64 * i.usable_memory <= resident_weights(i) {
            return Err(Skip::DoesNotFit(n));
        }
        if let Some(b) = i.batch {
            let holds = kv_capacity(i, n as f64);
            if holds < b.min(1.0) {
                return Err(Skip::BatchAboveKv {
                    batch: b.ceil() as u64,
                    holds: holds.max(0.0).floor() as u64,
                    chips: n,
                });
            }
        }
        return Ok(vec![n]);
    }
    let need = i.batch.unwrap_or(1.0);
    let divides = |n: u64| i.heads.is_none_or(|h| h.is_multiple_of(n * i.tp_unit_per_chip));
    let limit = i.max_chips_per_replica.min(i.scale_up_chips);
    let mut out = Vec::new();
    let mut n: u64 = 1;
    while n <= limit {
        if divides(n) && kv_capacity(i, n as f64) >= need {
            out.push(n);
        }
        n = match n.checked_mul(2) {
            Some(x) => x,
            None => break,
        };
    }
    // Pipelines across scale-up domains: stages of the widest power-of-two group the domain
    // holds whose ranks divide the heads.
    let mut widest = None;
    let mut s: u64 = 1;
    while s <= i.scale_up_chips {
        if divides(s) {
            widest = Some(s);
        }
        s = match s.checked_mul(2) {
            Some(x) => x,
            None => break,
        };
    }
    if let Some(s) = widest {
        let mut m: u64 = 2;
        while let Some(n) = s.checked_mul(m).filter(|&n| n <= i.max_chips_per_replica) {
            if layout(i, n) == Some((s, m)) && kv_capacity(i, n as f64) >= need {
                out.push(n);
            }
            m = match m.checked_mul(2) {
                Some(x) => x,
                None => break,
            };
        }
    }
    let reach = if i.scale_out > 0.0 && i.layers >= 2.0 && i.hidden > 0.0 {
        i.max_chips_per_replica
    } else {
        limit
    };
    if out.is_empty() { Err(Skip::NoReplica(reach)) } else { Ok(out) }
}

/// The powers of two up to `max_chips_per_replica` that the scale-up domain rules out and no
/// pipeline layout runs (for `explain`).
fn beyond_domain(i: &InferenceInputs, ns: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut n: u64 = 1;
    while n <= i.max_chips_per_replica {
        if n > i.scale_up_chips && !ns.contains(&n) {
            out.push(n);
        }
        n = match n.checked_mul(2) {
            Some(x) => x,
            None => break,
        };
    }
    out
}

/// The serving figures: each candidate replica at its batch, and the cheapest per output token
/// among those meeting the per-user target (the fastest when none does). Traced: the candidates
/// and the choice as notes, then the chosen replica's step terms.
pub fn figures(i: &InferenceInputs, t: &mut impl Trace) -> Result<InferenceFigures, Skip> {
    let ns = candidates(i)?;
    let mut best: Option<InferenceFigures> = None;
    let mut rows = Vec::new();
    for &n in &ns {
        let Some(b) = batch(i, n as f64) else { continue };
        let f = figures_at(i, n, b, &mut ());
        if t.enabled() {
            let shape = match layout(i, n) {
                Some((s, m)) if m > 1 => format!(" ({m} pipeline stages of {s} chips)"),
                _ => String::new(),
            };
            rows.push(format!(
                "  n = {n}{shape}: batch {:.1}, step {:.4} s, {:.1} output tokens/s per chip, {:.1} tokens/s per user, {:.4} USD per M output tokens{}",
                f.batch,
                f.step_s,
                f.output_tokens_per_s_per_chip,
                f.tokens_per_s_per_user,
                f.usd_per_m_output_tokens,
                if f.meets_target { "" } else { " (misses the per-user target)" }
            ));
        }
        let better = match &best {
            None => true,
            Some(cur) => match (f.meets_target, cur.meets_target) {
                (true, false) => true,
                (false, true) => false,
                // A tie (within rounding: attention data-parallel replicas cost the same per
                // token at every size) keeps the smaller replica.
                (true, true) => f.usd_per_m_output_tokens < cur.usd_per_m_output_tokens * (1.0 - 1e-9),
                (false, false) => f.tokens_per_s_per_user > cur.tokens_per_s_per_user,
            },
        };
        if better {
            best = Some(f);
        }
        // At a given batch, n * t_step(B, 0) never falls as n grows (GEMM and attention split
        // evenly, all-reduces and overheads do not), so the first candidate meeting the target
        // is the cheapest: the rest need not be computed (explain still lists them).
        if i.batch.is_some() && f.meets_target && !t.enabled() {
            break;
        }
    }
    let Some(chosen) = best else {
        return Err(Skip::NoReplica(i.max_chips_per_replica));
    };
    if t.enabled() {
        let why = if i.chips_per_replica.is_some() {
            "chips_per_replica is given, so it is used as is".to_string()
        } else if !chosen.meets_target {
            "no candidate meets min_tokens_per_s_per_user: the fastest per user is shown".to_string()
        } else if i.min_tokens_per_s_per_user.is_some() {
            "the cheapest per output token among those meeting min_tokens_per_s_per_user".to_string()
        } else {
            "the cheapest per output token (no per-user target)".to_string()
        };
        let beyond = beyond_domain(i, &ns);
        if i.chips_per_replica.is_none() && !beyond.is_empty() {
            let list: Vec<String> = beyond.iter().map(u64::to_string).collect();
            rows.push(format!(
                "  n = {}: skipped, beyond the scale-up domain (scale_up_chips = {}: one tensor/expert-parallel group cannot span more chips)",
                list.join(", "),
                i.scale_up_chips
            ));
        }
        t.note(format!(
            "replica candidates (tensor-parallel degrees: powers of two that hold the weights, whose n * tp_unit_per_chip = n * {} ranks divide the heads, at most report.max_chips_per_replica = {}{}):\n{}\n  chosen: n = {} ({why})",
            i.tp_unit_per_chip,
            i.max_chips_per_replica,
            if i.scale_up_chips < u64::MAX && i.scale_out > 0.0 {
                format!(
                    " and scale_up_chips = {} per tensor/expert-parallel group; beyond it, pipeline stages of such groups over scale_out_gb_per_s",
                    i.scale_up_chips
                )
            } else if i.scale_up_chips < u64::MAX {
                format!(" and scale_up_chips = {}", i.scale_up_chips)
            } else {
                " (no scale_up_chips declared)".to_string()
            },
            rows.join("\n"),
            chosen.chips_per_replica
        ));
        let n = chosen.chips_per_replica as f64;
        d(t, "n (chips per replica)", "the chosen candidate", n, "chips");
        d(t, "W (weights)", "params * bytes per weight", weights(i), "bytes");
        if i.spec_tokens > 0.0 && i.draft_params > 0.0 {
            d(
                t,
                "weights held (model and draft)",
                "W + Nd * bytes per weight: what B_kv and the fit to memory use",
                resident_weights(i),
                "bytes",
            );
        }
        d(t, "c (mean context)", "Lin + Lout / 2", mean_context(i), "tokens");
        d(
            t,
            "r (copies of each KV head)",
            if i.attention_dp {
                "1 (attention data-parallel: each rank caches its own sequences)"
            } else if i.kv_heads.is_some() {
                "max(kv_heads, n * tp_unit_per_chip) / kv_heads"
            } else {
                "1 (no kv_heads: kv_bytes_per_token given)"
            },
            kv_copies(i, n),
            "",
        );
        if let Some((s, m)) = layout(i, chosen.chips_per_replica).filter(|&(_, m)| m > 1) {
            t.note(format!(
                "pipeline across scale-up domains: {m} stages of {s} chips (tensor/expert-parallel within a domain, stages linked by scale_out_gb_per_s); each stage holds 1/{m} of the layers, weights and KV; the batch runs as micro-batches"
            ));
            d(
                t,
                "s (chips per stage)",
                "the widest group of at most scale_up_chips whose ranks divide the heads",
                s as f64,
                "chips",
            );
            d(t, "m (pipeline stages)", "n / s", m as f64, "stages");
        }
        if i.shared_prefix > 0.0 {
            d(
                t,
                "g (copies of the shared prefix)",
                if i.attention_dp {
                    "attention ranks per stage: each data-parallel rank caches its own prefix"
                } else {
                    "1: one copy per replica"
                },
                prefix_copies(i, n),
                "",
            );
        }
        d(
            t,
            "B_kv (sequences the KV cache holds)",
            if i.shared_prefix > 0.0 {
                "(n * usable memory - weights held - r * kv * Ls * g) / (r * kv * (c - Ls)): the shared prefix stored g times, each sequence its own c - Ls tokens"
            } else {
                "(n * usable memory - weights held) / (r * kv * c)"
            },
            kv_capacity(i, n),
            "sequences",
        );
        d(
            t,
            "batch cap",
            if i.attention_dp {
                "min(max_batch, prefill_chunk_tokens / (k + 1 + a * (Lin - Lc) / Lout)) per attention rank, times g = n * tp_unit_per_chip ranks: the running-sequence cap, and the batch whose decode and prefill tokens per step fill the token budget"
            } else {
                "min(max_batch, prefill_chunk_tokens / (k + 1 + a * (Lin - Lc) / Lout)): the running-sequence cap, and the batch whose decode and prefill tokens per step fill the engine's token budget"
            },
            batch_cap(i, n),
            "sequences",
        );
        let how = if i.batch.is_some() {
            "min(the workload's batch, B_kv): a given batch the KV cache cannot hold is clamped"
        } else if i.min_tokens_per_s_per_user.is_some() {
            "min(B_kv, batch cap, B_slo): B_slo is the largest batch whose a / t_step meets min_tokens_per_s_per_user"
        } else {
            "min(B_kv, batch cap)"
        };
        d(t, "B (running batch per replica)", how, chosen.batch, "sequences");
        return Ok(figures_at(i, chosen.chips_per_replica, chosen.batch, t));
    }
    Ok(chosen)
}

/// Resolves an inference workload on one accelerator into inputs.
pub fn inputs(cfg: &Config, w: &Inference, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<InferenceInputs, Skip> {
    let e = &cfg.economics;
    acc.tflops(w.precision).ok_or(Skip::NoPrecision(w.precision))?;
    let usd = usd_per_chip_hour(e, acc, e.basis, v, t)?;
    unpriced_inputs(cfg, w, acc, v, t).map(|i| InferenceInputs {
        usd_per_chip_hour: usd,
        ..i
    })
}

/// [`inputs`] without a price (`usd_per_chip_hour` is NaN): what benchmarks need, so a chip
/// with no offer on the basis is still checked against its benchmarks.
pub fn unpriced_inputs(cfg: &Config, w: &Inference, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<InferenceInputs, Skip> {
    let tf = acc.tflops(w.precision).ok_or(Skip::NoPrecision(w.precision))?;
    let e = &cfg.economics;
    let usd = f64::NAN;
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
                "kv (KV bytes per token)",
                "2 * layers * kv_heads * head_dim * bytes per KV value",
                2.0 * (*layers as f64) * (*kv_heads as f64) * (*head_dim as f64) * w.kv_precision.bytes(),
                "bytes",
            )
        }
    };
    let weight_bytes = d(
        t,
        "bytes per weight",
        "bytes of weight_precision (default precision; fp4 = 0.5625: 4 bits + an fp8 scale per 16); FLOPs run at precision's peak",
        w.weight_precision.bytes(),
        "bytes",
    );
    let params = get(v, w.params_b, "parameters", t) * 1e9;
    let active_params = get(v, w.active_params_b, "active parameters", t) * 1e9;
    let attention_width = w.attention_width.map_or(0.0, |p| get(v, p, "attention width", t));
    let decode_attention_width = match w.decode_attention_width {
        Some(p) => get(v, p, "decode attention width", t),
        None => attention_width,
    };
    let hidden = match w.hidden {
        Some(p) => get(v, p, "hidden (all-reduce width)", t),
        None => attention_width,
    };
    let experts = w.experts.map(|(e, k)| (e as f64, k as f64));
    let shared_params = match (w.shared_params_b, experts) {
        (Some(p), _) => get(v, p, "shared parameters", t) * 1e9,
        (None, Some((e, k))) => d(
            t,
            "shared parameters",
            "(active - k * params / E) / (1 - k / E) (derived: no shared_params_b given)",
            ((active_params - k * params / e) / (1.0 - k / e)).clamp(0.0, active_params),
            "params",
        ),
        (None, None) => 0.0,
    };
    // Engines run attention data-parallel for DeepSeek-class MoE (SGLang --enable-dp-attention,
    // TensorRT-LLM enable_attention_dp, vLLM DP + EP): MoE with expert counts whose KV cache is
    // given in bytes (MLA's latent: no KV heads to split across ranks).
    let attention_dp = w
        .attention_data_parallel
        .unwrap_or(experts.is_some() && matches!(w.kv, KvSize::BytesPerToken(_)));
    if t.enabled() {
        if attention_dp {
            t.note(format!(
                "attention data-parallel ({}): the batch cap is max_batch per attention rank, no KV-head copies, expert-parallel all-to-all instead of all-reduces; attention weights replicated per rank are not counted",
                if w.attention_data_parallel.is_some() {
                    "attention_data_parallel = true"
                } else {
                    "default for MoE with experts and kv_bytes_per_token, MLA-class"
                }
            ));
        }
        if w.weight_precision != w.precision {
            t.note(format!(
                "weights stored as {} ({} bytes each), GEMMs computed at {}'s peak",
                w.weight_precision.name(),
                w.weight_precision.bytes(),
                w.precision.name()
            ));
        }
        if w.layers.is_none() {
            t.note("no `layers`: attention FLOPs, per-layer overheads and all-reduces are left out".into());
        } else if w.attention_width.is_none() {
            t.note("no `attention_width`: attention FLOPs are left out (KV reads are counted)".into());
        }
        if w.layers.is_some() && w.hidden.is_none() && w.attention_width.is_none() {
            t.note(format!(
                "no `hidden`: the {} between chips is left out",
                if attention_dp {
                    "expert-parallel all-to-all"
                } else {
                    "tensor-parallel all-reduce"
                }
            ));
        }
        if experts.is_none() && w.active_params_b != w.params_b {
            t.note("MoE without `experts`: Wread = min(W, T * active bytes)".into());
        }
        if acc.interconnect_gb_per_s.is_none() {
            t.note(format!(
                "{} has no interconnect_gb_per_s: multi-chip replicas get no all-reduce time",
                acc.id
            ));
        }
    }
    let interconnect = acc.interconnect_gb_per_s.map_or(0.0, |p| get(v, p, "interconnect", t) * 1e9);
    let scale_out = acc
        .scale_out_gb_per_s
        .map_or(0.0, |p| get(v, p, "scale-out bandwidth per chip", t) * 1e9);
    let input_tokens = get(v, w.input_tokens, "input tokens", t);
    // A draw of a part above its whole is clamped to it (the config's bases are checked).
    let cached_tokens = w
        .cached_input_tokens
        .map_or(0.0, |p| get(v, p, "Lc (cached input tokens)", t))
        .min(input_tokens);
    let shared_prefix = w
        .shared_prefix_tokens
        .map_or(0.0, |p| get(v, p, "Ls (shared prefix tokens)", t))
        .min(cached_tokens);
    let spec_tokens = w.speculative_tokens as f64;
    let acceptance = match w.acceptance_length {
        Some(p) if w.speculative_tokens > 0 => get(v, p, "a (acceptance length)", t),
        _ => 1.0,
    };
    let draft_params = w.draft_params_b.map_or(0.0, |p| get(v, p, "Nd (draft weights)", t) * 1e9);
    let draft_active_params = w
        .draft_active_params_b
        .map_or(draft_params, |p| get(v, p, "Nda (draft active weights)", t) * 1e9)
        .min(draft_params);
    if t.enabled() {
        if cached_tokens > 0.0 {
            t.note(format!(
                "prefix caching: {} of each request's input tokens come from the cache (no prefill compute), {} of them a prefix every request shares (its KV stored once per attention group); each decode step still reads the whole context",
                crate::fmt::plain(cached_tokens),
                crate::fmt::plain(shared_prefix)
            ));
        }
        if spec_tokens > 0.0 {
            t.note(format!(
                "speculative decoding: k = {} draft tokens verified per sequence per step, a = {} tokens emitted per step; the weights are read once per step, the KV once per sequence, the GEMMs and attention run over k + 1 tokens per sequence{}",
                w.speculative_tokens,
                crate::fmt::plain(acceptance),
                if draft_params > 0.0 {
                    ", and the draft runs k passes of its own"
                } else {
                    "; no draft_params_b: the draft's own passes are not counted"
                }
            ));
        }
        if let Some(np) = w.prefill_chips {
            t.note(format!(
                "disaggregated: prefill runs on its own pool of {np}-chip replicas, the decode replica only decodes; the KV moves over scale_out_gb_per_s; each pool is priced by its own chip-hours"
            ));
        }
    }
    let mem = get(v, acc.memory_gb, "memory", t) * 1e9;
    let frac = get(v, e.usable_memory_fraction, "usable memory fraction", t);
    let bw = get(v, acc.memory_tb_per_s, "memory bandwidth", t) * 1e12;
    let s = &acc.efficiency.serving;
    let eff = Eff {
        serving_mfu: get(v, s.serving_mfu, "serving MFU", t),
        weight_bw_eff: get(v, s.weight_bw_eff, "weight bandwidth efficiency", t),
        kv_bw_eff: get(v, s.kv_bw_eff, "KV bandwidth efficiency", t),
        step_overhead_us: get(v, s.step_overhead_us_per_layer, "step overhead per layer", t),
        tp_overhead_us: get(v, s.tp_overhead_us_per_layer, "tensor-parallel overhead per layer", t),
        moe_efficiency: if experts.is_some() || w.active_params_b != w.params_b {
            get(v, s.moe_efficiency, "MoE efficiency", t)
        } else {
            // A dense model never uses it: read, not shown or drawn.
            get(v, s.moe_efficiency, "MoE efficiency", &mut ())
        },
    };
    Ok(InferenceInputs {
        params,
        active_params,
        weight_bytes,
        kv_bytes_per_token,
        input_tokens,
        output_tokens: get(v, w.output_tokens, "output tokens", t),
        cached_tokens,
        shared_prefix,
        spec_tokens,
        acceptance,
        draft_params,
        draft_active_params,
        draft_layers: w.draft_layers.unwrap_or(1) as f64,
        scale_out,
        prefill_chips: w.prefill_chips,
        layers: w.layers.map_or(0.0, |l| l as f64),
        attention_width,
        decode_attention_width,
        hidden,
        heads: w.heads,
        kv_heads: match &w.kv {
            KvSize::Shape { kv_heads, .. } => Some(*kv_heads as f64),
            KvSize::BytesPerToken(_) => None,
        },
        tp_unit_per_chip: acc.tp_unit_per_chip.map_or(1, |p| {
            get(v, p, "tensor-parallel ranks per chip (stack unit)", t).round().max(1.0) as u64
        }),
        scale_up_chips: acc
            .scale_up_chips
            .map_or(u64::MAX, |p| get(v, p, "scale-up domain (chips)", t).round().max(1.0) as u64),
        attention_dp,
        experts,
        shared_params,
        batch: w.batch.map(|p| get(v, p, "batch", t)),
        max_batch: get(v, w.max_batch, "max batch", t),
        prefill_chunk_tokens: get(v, w.prefill_chunk_tokens, "prefill chunk budget", t),
        min_tokens_per_s_per_user: w.min_tokens_per_s_per_user.map(|p| get(v, p, "per-user target", t)),
        chips_per_replica: w.chips_per_replica,
        max_chips_per_replica: cfg.report.max_chips_per_replica,
        usable_memory: mem * frac,
        peak_flops: peak,
        bandwidth: bw,
        interconnect,
        eff,
        usd_per_chip_hour: usd,
        utilization: get(v, w.utilization, "utilization", t),
    })
}

/// Serving figures for one workload on one accelerator: always the model (benchmarks check it
/// in `calibrate`, they never replace it).
pub fn estimate(cfg: &Config, w: &Inference, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<InferenceFigures, Skip> {
    inputs(cfg, w, acc, v, t).and_then(|i| figures(&i, t))
}

#[cfg(test)]
mod tests;

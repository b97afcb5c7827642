//! `[[inference]]`: a serving workload (model shape, request shape, batch and speed targets).
//! Declarations, the validated struct and the reader.

use std::collections::HashMap;

use super::{ACTIVE_PARAMS_B, ID, NAME, PARAMS_B, PRECISION, active_params, params_plausible, read_precision};
use crate::config::param::{Param, Precision, Provenance};
use crate::config::reader::{Ctx, Reader, default_param, read_id};
use crate::config::schema::{Check, Key, Kind, TableDecl, num};
use crate::config::tree::{Node, Origin, Table, Value};

/// An inference (serving) workload.
pub static INFERENCE: TableDecl = TableDecl {
    name: "inference",
    list: true,
    doc: "A serving workload to cost.",
    keys: &[
        ID,
        NAME,
        PARAMS_B,
        ACTIVE_PARAMS_B,
        Key::new(
            "precision",
            PRECISION,
            "",
            "compute format: the dense peak the GEMMs run at (and the weights' format unless weight_precision is given)",
        )
        .required(),
        Key::new(
            "weight_precision",
            PRECISION,
            "",
            "storage format of the weights (bytes read per step), e.g. fp4 weights on fp8 compute; default precision",
        ),
        Key::new("kv_precision", PRECISION, "", "number format of the KV cache; default precision"),
        num(
            "kv_bytes_per_token",
            Check::Positive,
            "bytes/token",
            "KV cache per token (instead of layers, kv_heads, head_dim)",
        ),
        Key::new("layers", Kind::Int { min: 1, max: 10_000 }, "", "transformer layers"),
        Key::new("kv_heads", Kind::Int { min: 1, max: 10_000 }, "", "key/value heads"),
        Key::new("head_dim", Kind::Int { min: 1, max: 100_000 }, "", "dimension of one head"),
        num("input_tokens", Check::Positive, "tokens", "prompt tokens per request").required(),
        num("output_tokens", Check::Positive, "tokens", "generated tokens per request").required(),
        num(
            "cached_input_tokens",
            Check::NonNegative,
            "tokens",
            "prefix caching: input tokens of each request served from the KV cache (no prefill compute); at most input_tokens; default 0",
        ),
        num(
            "shared_prefix_tokens",
            Check::NonNegative,
            "tokens",
            "prefix caching: of the cached tokens, those every request shares (system prompt, tools), whose KV is stored once per attention group; at most cached_input_tokens; default 0",
        ),
        Key::new(
            "speculative_tokens",
            Kind::Int { min: 0, max: 64 },
            "tokens",
            "speculative decoding / MTP: draft tokens verified per sequence per step; default 0 (one token per step)",
        ),
        num(
            "acceptance_length",
            Check::AtLeastOne,
            "tokens per step",
            "speculative decoding / MTP: mean tokens emitted per sequence per step, 1 to speculative_tokens + 1; default 1",
        ),
        num(
            "draft_params_b",
            Check::Positive,
            "billion parameters",
            "speculative decoding: weights of the draft model or MTP module, read once per draft pass; default 0 (no draft cost)",
        ),
        num(
            "draft_active_params_b",
            Check::Positive,
            "billion parameters",
            "speculative decoding: draft weights each drafted token computes with (MoE MTP layer: its active part); default draft_params_b",
        ),
        Key::new(
            "draft_layers",
            Kind::Int { min: 1, max: 10_000 },
            "",
            "speculative decoding: transformer layers of the draft (per-layer overheads, KV reads); default 1 (an MTP module)",
        ),
        Key::new(
            "prefill_chips",
            Kind::Int { min: 1, max: 1_000_000 },
            "chips",
            "disaggregated serving: chips of a prefill-pool replica; given, prefill runs on its own pool and the replica only decodes; default none (prefill folded into decode steps)",
        ),
        Key::new(
            "heads",
            Kind::Int { min: 1, max: 1_000_000 },
            "",
            "query heads: tensor-parallel degrees must divide them",
        ),
        num(
            "attention_width",
            Check::Positive,
            "query heads x head_dim",
            "attention FLOPs of the serving step model",
        ),
        num(
            "decode_attention_width",
            Check::Positive,
            "width per head x heads",
            "attention FLOPs of a decode step per context token / 4; default attention_width (MLA's absorbed decode: heads x (2 kv_lora_rank + rope_dim) / 2)",
        ),
        num(
            "hidden",
            Check::Positive,
            "model width",
            "tensor-parallel all-reduce width; default attention_width",
        ),
        Key::new("experts", Kind::Int { min: 1, max: 1_000_000 }, "", "MoE: routed experts per layer"),
        Key::new(
            "experts_per_token",
            Kind::Int { min: 1, max: 1_000_000 },
            "",
            "MoE: routed experts per token (at most experts)",
        ),
        num(
            "shared_params_b",
            Check::Positive,
            "billion parameters",
            "MoE: weights every token reads (attention, shared experts); default derived from active_params_b",
        ),
        num(
            "batch",
            Check::AtLeastOne,
            "sequences",
            "running batch per replica; default derived from the KV cache, max_batch and the per-user target",
        ),
        num(
            "max_batch",
            Check::AtLeastOne,
            "sequences",
            "engine cap on running sequences per replica; default 256",
        ),
        num(
            "prefill_chunk_tokens",
            Check::AtLeastOne,
            "tokens",
            "the engine's token budget per step (chunked prefill: vLLM max_num_batched_tokens, SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens): a prompt is prefilled in chunks within it, each riding in one step beside the decode, and it caps the batch whose decode and prefill tokens fit it; per attention rank with data-parallel attention; default 8192",
        ),
        num(
            "min_tokens_per_s_per_user",
            Check::Positive,
            "tokens/s per user",
            "per-user speed target (1 / time per output token)",
        ),
        Key::new(
            "chips_per_replica",
            Kind::Int { min: 1, max: 1_000_000 },
            "chips",
            "a fixed replica size; default the cheapest tensor-parallel degree meeting the target",
        ),
        Key::new(
            "attention_data_parallel",
            Kind::Bool,
            "",
            "attention runs data-parallel (one rank per TP unit, max_batch per rank, no KV-head copies, expert-parallel all-to-all); default true for MoE with experts and kv_bytes_per_token (MLA-class)",
        ),
        Key::new(
            "benchmark",
            Kind::Bool,
            "",
            "a benchmark's conditions: used by calibrate only, left out of compare and report",
        ),
        num(
            "utilization",
            Check::Fraction,
            "share of paid hours",
            "share of paid hours serving traffic",
        )
        .required(),
    ],
};

#[derive(Clone, Debug)]
pub enum KvSize {
    Shape { layers: u64, kv_heads: u64, head_dim: u64 },
    BytesPerToken(Param),
}

#[derive(Clone, Debug)]
pub struct Inference {
    pub id: String,
    pub name: String,
    pub params_b: Param,
    pub active_params_b: Param,
    /// Compute format (the dense peak the GEMMs run at).
    pub precision: Precision,
    /// Storage format of the weights (bytes read per step); default `precision`.
    pub weight_precision: Precision,
    pub kv_precision: Precision,
    pub kv: KvSize,
    pub input_tokens: Param,
    pub output_tokens: Param,
    /// Prefix caching: input tokens per request served from the cache (<= input_tokens).
    pub cached_input_tokens: Option<Param>,
    /// Prefix caching: of those, the tokens every request shares (<= cached_input_tokens).
    pub shared_prefix_tokens: Option<Param>,
    /// Speculative decoding / MTP: draft tokens verified per sequence per step (0: none).
    pub speculative_tokens: u64,
    /// Mean tokens emitted per sequence per step, in [1, speculative_tokens + 1].
    pub acceptance_length: Option<Param>,
    /// Draft model or MTP module: weights read per draft pass, and weights each drafted token
    /// computes with (billions), and its layers.
    pub draft_params_b: Option<Param>,
    pub draft_active_params_b: Option<Param>,
    pub draft_layers: Option<u64>,
    /// Disaggregated serving: chips of a prefill-pool replica.
    pub prefill_chips: Option<u64>,
    /// Layers (from the KV shape, or given with `kv_bytes_per_token`).
    pub layers: Option<u64>,
    /// Query heads: tensor-parallel degrees must divide them.
    pub heads: Option<u64>,
    /// Query heads x head_dim (attention FLOPs).
    pub attention_width: Option<Param>,
    /// Attention width of a decode step (FLOPs per context token / 4); defaults to
    /// `attention_width`. MLA decodes in its latent ("absorbed"): DeepSeek-V3's 128 heads x
    /// (512 + 64 + 512) / 2 = 69,632 against 20,480 for its prefill.
    pub decode_attention_width: Option<Param>,
    /// Model width (all-reduce size); defaults to `attention_width`.
    pub hidden: Option<Param>,
    /// MoE: routed experts per layer, and routed experts per token.
    pub experts: Option<(u64, u64)>,
    /// MoE: billions of weights every token reads (attention, shared experts).
    pub shared_params_b: Option<Param>,
    /// Running batch per replica; derived (docs/model.md) when absent.
    pub batch: Option<Param>,
    /// Engine cap on running sequences per replica (default 256).
    pub max_batch: Param,
    /// The engine's prefill token budget per step, tokens (default 8192: the default of vLLM's
    /// `max_num_batched_tokens` for online serving, SGLang's `chunked_prefill_size` and
    /// TensorRT-LLM's `max_num_tokens`).
    pub prefill_chunk_tokens: Param,
    /// Per-user speed target, tokens/s (1 / TPOT).
    pub min_tokens_per_s_per_user: Option<Param>,
    pub chips_per_replica: Option<u64>,
    /// Attention data-parallel: given, or `None` for the default (MoE with experts and
    /// `kv_bytes_per_token`).
    pub attention_data_parallel: Option<bool>,
    pub utilization: Param,
    /// A benchmark's conditions (`benchmark = true`): used by `calibrate` only, never listed
    /// by `compare` or `report`.
    pub benchmark: bool,
    pub prov: Provenance,
}

pub(crate) fn read(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Inference {
    let mut r = Reader::new(t, origin.clone(), "inference".into(), &INFERENCE, ctx);
    let id = read_id(&mut r, "inference", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    let params_b = r.num_req("params_b", ctx);
    params_plausible(&r, params_b, ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or_else(|| {
        if t.get("precision").is_none() {
            r.missing("precision", "e.g. precision = \"fp8\"", ctx);
        }
        Precision::Bf16
    });
    let weight_precision = read_precision(&mut r, "weight_precision", ctx).unwrap_or(precision);
    let kv_precision = read_precision(&mut r, "kv_precision", ctx).unwrap_or(precision);
    let kv = match r.num_opt("kv_bytes_per_token", ctx) {
        Some(b) => {
            for k in ["kv_heads", "head_dim"] {
                if let Some(n) = t.get(k) {
                    ctx.diags.err(
                        &n.origin,
                        format!("{} gives both kv_bytes_per_token and `{k}`", r.what),
                        "give either kv_bytes_per_token or layers, kv_heads and head_dim",
                    );
                }
            }
            r.mark_read(&["kv_heads", "head_dim"]);
            KvSize::BytesPerToken(b)
        }
        None => KvSize::Shape {
            layers: r.int_req("layers", ctx) as u64,
            kv_heads: r.int_req("kv_heads", ctx) as u64,
            head_dim: r.int_req("head_dim", ctx) as u64,
        },
    };
    let layers = match &kv {
        KvSize::Shape { layers, .. } => Some(*layers),
        KvSize::BytesPerToken(_) => r.int_opt("layers", ctx).map(|l| l as u64),
    };
    let input_tokens = r.num_req("input_tokens", ctx);
    let output_tokens = r.num_req("output_tokens", ctx);
    let cached_input_tokens = r.num_opt("cached_input_tokens", ctx);
    let shared_prefix_tokens = r.num_opt("shared_prefix_tokens", ctx);
    at_most(
        &r,
        shared_prefix_tokens,
        cached_input_tokens,
        ("shared_prefix_tokens", "cached_input_tokens"),
        "the shared prefix is part of the cached input",
        ctx,
    );
    at_most(
        &r,
        cached_input_tokens,
        Some(input_tokens),
        ("cached_input_tokens", "input_tokens"),
        "cached tokens are part of the prompt",
        ctx,
    );
    let speculative_tokens = r.int_opt("speculative_tokens", ctx).map_or(0, |k| k as u64);
    let acceptance_length = r.num_opt("acceptance_length", ctx);
    if let Some(a) = acceptance_length {
        let info = ctx.params.info(a);
        let (high, o) = (info.high, info.origin.clone());
        if high > speculative_tokens as f64 + 1.0 + 1e-9 {
            ctx.diags.err(
                &o,
                format!(
                    "acceptance_length {} of {} is above speculative_tokens + 1 = {}",
                    crate::config::reader::show(high),
                    r.what,
                    speculative_tokens + 1
                ),
                "each step emits at most the drafted tokens plus the verified one: give speculative_tokens (draft tokens per step) and an acceptance_length between 1 and speculative_tokens + 1",
            );
        }
    }
    if speculative_tokens > 0
        && acceptance_length.is_none()
        && let Some(n) = t.get("speculative_tokens")
    {
        let o = n.origin.clone();
        ctx.diags.warn(
            &o,
            format!(
                "speculative_tokens in {} without acceptance_length: each step emits 1 token per sequence (the default), so drafting only adds cost; give the mean tokens per step (e.g. acceptance_length = 1.85 for one MTP token)",
                r.what
            ),
        );
    }
    let draft_params_b = r.num_opt("draft_params_b", ctx);
    let draft_active_params_b = r.num_opt("draft_active_params_b", ctx);
    at_most(
        &r,
        draft_active_params_b,
        draft_params_b,
        ("draft_active_params_b", "draft_params_b"),
        "the active weights are part of the draft",
        ctx,
    );
    let draft_layers = r.int_opt("draft_layers", ctx).map(|l| l as u64);
    if speculative_tokens == 0 {
        for k in ["draft_params_b", "draft_active_params_b", "draft_layers"] {
            if let Some(n) = t.get(k) {
                let o = n.origin.clone();
                ctx.diags
                    .warn(&o, format!("`{k}` in {} has no effect without speculative_tokens", r.what));
            }
        }
    }
    let prefill_chips = r.int_opt("prefill_chips", ctx).map(|c| c as u64);
    let heads = r.int_opt("heads", ctx).map(|h| h as u64);
    let attention_width = r.num_opt("attention_width", ctx);
    let decode_attention_width = r.num_opt("decode_attention_width", ctx);
    let hidden = r.num_opt("hidden", ctx);
    let experts_origin = t.get("experts_per_token").map(|n| n.origin.clone());
    let experts_n = r.int_opt("experts", ctx).map(|e| e as u64);
    let per_token = r.int_opt("experts_per_token", ctx).map(|e| e as u64);
    let experts = match (experts_n, per_token) {
        (Some(e), Some(k)) if k <= e => Some((e, k)),
        (Some(e), Some(k)) => {
            ctx.diags.err(
                &experts_origin.clone().unwrap_or(Origin::Default),
                format!("experts_per_token ({k}) is larger than experts ({e}) in {}", r.what),
                "experts_per_token is how many of the routed experts one token uses: at most `experts`",
            );
            None
        }
        (None, None) => None,
        _ => {
            r.missing(
                if experts_n.is_none() { "experts" } else { "experts_per_token" },
                "a MoE workload gives both experts (routed experts per layer) and experts_per_token",
                ctx,
            );
            None
        }
    };
    let shared_params_b = r.num_opt("shared_params_b", ctx);
    if let Some(sp) = shared_params_b
        && ctx.params.info(sp).base > ctx.params.info(active_params_b).base
    {
        ctx.diags.err(
            &ctx.params.info(sp).origin.clone(),
            format!("shared_params_b is larger than active_params_b in {}", r.what),
            "shared weights (attention, shared experts) are part of the active ones",
        );
    }
    let batch = r.num_opt("batch", ctx);
    let max_batch = match r.num_opt("max_batch", ctx) {
        Some(p) => p,
        None => default_param(
            format!("{}.max_batch", r.path),
            "sequences",
            256.0,
            "built-in default engine cap (docs/model.md: max_batch defaults to 256)",
            ctx,
        ),
    };
    let prefill_chunk_tokens = match r.num_opt("prefill_chunk_tokens", ctx) {
        Some(p) => p,
        None => default_param(
            format!("{}.prefill_chunk_tokens", r.path),
            "tokens",
            8192.0,
            "built-in default engine prefill budget (docs/model.md: prefill_chunk_tokens defaults to 8192)",
            ctx,
        ),
    };
    // A budget below what one sequence adds per step (1 decode token and (Lin - Lc) / Lout of
    // prefill) leaves no batch that keeps up with its arrivals: every replica is skipped.
    if let Some(n) = t.get("prefill_chunk_tokens") {
        let base = |p: Param| ctx.params.info(p).base;
        let fresh = base(input_tokens) - cached_input_tokens.map_or(0.0, base);
        let per_seq = 1.0 + fresh.max(0.0) / base(output_tokens).max(1.0);
        let budget = ctx.params.info(prefill_chunk_tokens).base;
        if budget < per_seq {
            let o = n.origin.clone();
            ctx.diags.warn(
                &o,
                format!(
                    "prefill_chunk_tokens in {} is {budget}, below the {per_seq:.3} tokens one sequence adds per step (1 decode token and (input - cached) / output = {:.3} of prefill): no batch keeps up with its arrivals, so no replica is costed; engines default to 8192 (vLLM max_num_batched_tokens, SGLang chunked_prefill_size)",
                    r.what,
                    per_seq - 1.0
                ),
            );
        }
    }
    let min_tokens_per_s_per_user = r.num_opt("min_tokens_per_s_per_user", ctx);
    let chips_per_replica = r.int_opt("chips_per_replica", ctx).map(|c| c as u64);
    let utilization = r.num_req("utilization", ctx);
    let attention_data_parallel = match r.node("attention_data_parallel") {
        None => None,
        Some(Node { value: Value::Bool(b), .. }) => Some(*b),
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!(
                    "`attention_data_parallel` in {} must be true or false, found {}",
                    r.what,
                    n.value.type_name()
                ),
                "attention_data_parallel = true: each attention rank serves its own sequences (DeepSeek-class MoE)",
            );
            None
        }
    };
    let benchmark = match r.node("benchmark") {
        None => false,
        Some(Node { value: Value::Bool(b), .. }) => *b,
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`benchmark` in {} must be true or false, found {}", r.what, n.value.type_name()),
                "benchmark = true marks a benchmark's conditions, used only by `calibrate`",
            );
            false
        }
    };
    Inference {
        id,
        name,
        params_b,
        active_params_b,
        precision,
        weight_precision,
        kv_precision,
        kv,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        shared_prefix_tokens,
        speculative_tokens,
        acceptance_length,
        draft_params_b,
        draft_active_params_b,
        draft_layers,
        prefill_chips,
        layers,
        heads,
        attention_width,
        decode_attention_width,
        hidden,
        experts,
        shared_params_b,
        batch,
        max_batch,
        prefill_chunk_tokens,
        min_tokens_per_s_per_user,
        chips_per_replica,
        attention_data_parallel,
        utilization,
        benchmark,
        prov: r.finish(ctx),
    }
}

/// Errors when the `small` parameter's base is above the `big` one's (both token-like counts of
/// one request: a part above its whole); warns when the part's high end is above the whole's
/// (draws are drawn independently; one above its whole is clamped to it).
fn at_most(r: &Reader<'_>, small: Option<Param>, big: Option<Param>, keys: (&str, &str), why: &str, ctx: &mut Ctx) {
    let (Some(s), Some(b)) = (small, big) else { return };
    let (si, bi) = (ctx.params.info(s), ctx.params.info(b));
    let (o, sb, bb, sh, bh) = (si.origin.clone(), si.base, bi.base, si.high, bi.high);
    if sb > bb * (1.0 + 1e-12) {
        ctx.diags.err(
            &o,
            format!(
                "{} ({}) is above {} ({}) in {}",
                keys.0,
                crate::config::reader::show(sb),
                keys.1,
                crate::config::reader::show(bb),
                r.what
            ),
            &format!("{why}: {} must be at most {}", keys.0, keys.1),
        );
    } else if sh > bh * (1.0 + 1e-12) {
        ctx.diags.warn(
            &o,
            format!(
                "the range of {} in {} reaches {}, above the high end of {} ({}): a draw above it is clamped to it",
                keys.0,
                r.what,
                crate::config::reader::show(sh),
                keys.1,
                crate::config::reader::show(bh)
            ),
        );
    }
}

//! `[[training]]`: a training run to cost. Declarations, the validated struct and the reader.

use std::collections::HashMap;

use super::{
    ACTIVE_PARAMS_B, ATTENTION, ATTENTION_WIDTH, ID, LAYERS, NAME, PARAMS_B, PRECISION, SEQ_LEN, active_params, params_plausible,
    read_precision,
};
use crate::config::param::{Param, Precision, Provenance};
use crate::config::reader::{Ctx, Reader, read_id};
use crate::config::schema::{Check, Key, Kind, TableDecl, num};
use crate::config::tree::{Origin, Table};

/// A training workload.
pub static TRAINING: TableDecl = TableDecl {
    name: "training",
    list: true,
    doc: "A training run to cost.",
    keys: &[
        ID,
        NAME,
        PARAMS_B,
        ACTIVE_PARAMS_B,
        num("tokens_t", Check::Positive, "trillion tokens", "training tokens").required(),
        Key::new("precision", PRECISION, "", "number format of the matmuls").required(),
        Key::new(
            "chips",
            Kind::Int { min: 1, max: 100_000_000 },
            "chips",
            "cluster size, for wall-clock days",
        ),
        num("flops", Check::Positive, "FLOP", "total training FLOPs; overrides 6ND"),
        LAYERS,
        ATTENTION_WIDTH,
        SEQ_LEN,
        ATTENTION,
        Key::new(
            "hidden",
            Kind::Int { min: 1, max: 1_000_000 },
            "",
            "model width (hidden_size): each layer's input, what full recompute keeps per token (min chips' activations); default attention_width, which differs for MLA (DeepSeek-V3: 7168 vs 20480)",
        ),
    ],
};

#[derive(Clone, Debug)]
pub struct Training {
    pub id: String,
    pub name: String,
    pub params_b: Param,
    /// Defaults to `params_b`.
    pub active_params_b: Param,
    pub tokens_t: Param,
    pub precision: Precision,
    pub chips: Option<u64>,
    /// Total training FLOPs, overriding 6·N·D (+ attention).
    pub flops: Option<Param>,
    /// Layers, attention width and sequence length, when the workload gives all three.
    pub attention: Option<AttentionShape>,
    pub prov: Provenance,
}

/// Attention shape of a training run (docs/model.md "Training"): with it, C gains
/// `6 * layers * attention_width * seq_len * D` (causal) or `12 * ...` (full).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionShape {
    pub layers: u64,
    /// Query heads x head dimension.
    pub attention_width: u64,
    /// Training sequence length (tokens).
    pub seq_len: u64,
    /// True (the default): causal attention, half the score and value FLOPs of full attention.
    pub causal: bool,
    /// Model width: each layer's input, what full recompute keeps per token (default
    /// `attention_width`; a training workload's `hidden`).
    pub hidden: u64,
}

impl AttentionShape {
    /// Attention FLOPs per token, forward and backward: `6` (causal) or `12` (full) `* layers *
    /// attention_width * seq_len` (FLOP/token).
    pub fn flops_per_token(&self) -> f64 {
        self.coefficient() * self.layers as f64 * self.attention_width as f64 * self.seq_len as f64
    }

    /// 6 for causal attention, 12 for full.
    pub fn coefficient(&self) -> f64 {
        if self.causal { 6.0 } else { 12.0 }
    }
}

pub(crate) fn read(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Training {
    let mut r = Reader::new(t, origin, "training".into(), &TRAINING, ctx);
    let id = read_id(&mut r, "training", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    let params_b = r.num_req("params_b", ctx);
    params_plausible(&r, params_b, ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let tokens_t = r.num_req("tokens_t", ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or_else(|| {
        if t.get("precision").is_none() {
            r.missing("precision", "e.g. precision = \"bf16\"", ctx);
        }
        Precision::Bf16
    });
    let chips = r.int_opt("chips", ctx).map(|c| c as u64);
    let flops = r.num_opt("flops", ctx);
    let mut attention = attention_shape(&mut r, ctx);
    if let (Some(a), Some(h)) = (attention.as_mut(), r.int_opt("hidden", ctx)) {
        a.hidden = h as u64;
    }
    Training {
        id,
        name,
        params_b,
        active_params_b,
        tokens_t,
        precision,
        chips,
        flops,
        attention,
        prov: r.finish(ctx),
    }
}

/// `layers`, `attention_width`, `seq_len`: all three or none; `attention` (causal or full)
/// with them.
pub(crate) fn attention_shape(r: &mut Reader<'_>, ctx: &mut Ctx) -> Option<AttentionShape> {
    let keys = ["layers", "attention_width", "seq_len"];
    let given: Vec<&str> = keys.iter().copied().filter(|k| r.table.get(k).is_some()).collect();
    let layers = r.int_opt("layers", ctx);
    let width = r.int_opt("attention_width", ctx);
    let seq = r.int_opt("seq_len", ctx);
    let causal = r
        .choice(
            "attention",
            |s| match s {
                "causal" => Some(true),
                "full" => Some(false),
                _ => None,
            },
            ctx,
        )
        .unwrap_or(true);
    if given.is_empty()
        && let Some(n) = r.table.get("attention")
    {
        let origin = n.origin.clone();
        ctx.diags.warn(
            &origin,
            format!(
                "{} gives `attention` but no layers, attention_width, seq_len: attention FLOPs are not counted",
                r.what
            ),
        );
    }
    if !given.is_empty() && given.len() < 3 {
        let missing: Vec<&str> = keys.iter().copied().filter(|k| !given.contains(k)).collect();
        let origin = r.table.get(given[0]).map_or_else(|| r.origin.clone(), |n| n.origin.clone());
        ctx.diags.err(
            &origin,
            format!("{} gives {} but not {}", r.what, given.join(", "), missing.join(", ")),
            "attention FLOPs need all three: layers, attention_width (query heads x head_dim), seq_len",
        );
    }
    let attention_width = width? as u64;
    Some(AttentionShape {
        layers: layers? as u64,
        attention_width,
        seq_len: seq? as u64,
        causal,
        hidden: attention_width,
    })
}

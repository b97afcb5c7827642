//! Workloads (`[[training]]`, `[[inference]]`), benchmarks (`[[measured]]`) and public
//! training runs (`[[calibration]]`).

use super::{Check, Key, Kind, TableDecl, num, text};
use crate::config::{HoursBasis, Precision};

const PRECISION: Kind = Kind::Choice(&Precision::NAMES);

// Keys several lists share, declared once.
const ID: Key = text("id", "lower-case letters, digits and '-'").required();
const NAME: Key = text("name", "display name; default the id");
const PARAMS_B: Key = num("params_b", Check::Positive, "billion parameters", "total parameters").required();
const ACTIVE_PARAMS_B: Key = num(
    "active_params_b",
    Check::Positive,
    "billion parameters",
    "parameters a token uses (MoE); default params_b",
);

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
    ],
};

/// With `attention_width` and `seq_len`: C gains 12 * layers * attention_width * seq_len * D.
const LAYERS: Key = Key::new(
    "layers",
    Kind::Int { min: 1, max: 10_000 },
    "",
    "transformer layers (attention FLOPs, with attention_width and seq_len)",
);
const ATTENTION_WIDTH: Key = Key::new(
    "attention_width",
    Kind::Int { min: 1, max: 10_000_000 },
    "",
    "query heads x head_dim (attention FLOPs)",
);
const SEQ_LEN: Key = Key::new(
    "seq_len",
    Kind::Int { min: 1, max: 100_000_000 },
    "tokens",
    "training sequence length (attention FLOPs)",
);

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
        Key::new("precision", PRECISION, "", "number format of the weights").required(),
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

/// A serving benchmark.
pub static MEASURED: TableDecl = TableDecl {
    name: "measured",
    list: true,
    doc: "A public serving benchmark of one workload on one accelerator: calibrate checks the model against it (it never replaces the model).",
    keys: &[
        Key::new("workload", Kind::Ref("inference"), "", "the [[inference]] workload measured").required(),
        Key::new("accelerator", Kind::Ref("accelerator"), "", "the accelerator measured").required(),
        num(
            "output_tokens_per_s_per_chip",
            Check::Positive,
            "tokens/s/chip",
            "output tokens per second over every chip of the system",
        )
        .required(),
        num(
            "tokens_per_s_per_user",
            Check::Positive,
            "tokens/s per user",
            "1 / mean time per output token, where the source gives it",
        ),
    ],
};

/// A public training run.
pub static CALIBRATION: TableDecl = TableDecl {
    name: "calibration",
    list: true,
    doc: "A public training run, for `accel-cost calibrate`.",
    keys: &[
        ID,
        Key::new("accelerator", Kind::Ref("accelerator"), "", "the accelerator the run used").required(),
        PARAMS_B,
        ACTIVE_PARAMS_B,
        num("tokens_t", Check::Positive, "trillion tokens", "training tokens").required(),
        Key::new("precision", PRECISION, "", "number format of the matmuls; default bf16"),
        num("flops", Check::Positive, "FLOP", "total training FLOPs; overrides 6ND"),
        num("reported_chip_hours", Check::Positive, "chip-hours", "chip-hours the run reported").required(),
        Key::new(
            "hours_basis",
            Kind::Choice(&HoursBasis::NAMES),
            "",
            "all_in (every chip-hour of the run; goodput applies) or steady_state (from a throughput); default all_in",
        ),
        LAYERS,
        ATTENTION_WIDTH,
        SEQ_LEN,
    ],
};

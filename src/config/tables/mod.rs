//! One file per config table: its key declarations, its plain-data struct and its reader side
//! by side (docs/config.md). The generic reading machinery is `config::reader`; rules across
//! tables are `config::rules`. This file holds what several workload tables share.

pub(crate) mod accelerator;
pub(crate) mod calibration;
pub(crate) mod economics;
pub(crate) mod inference;
pub(crate) mod measured;
pub(crate) mod offer;
pub(crate) mod report;
pub(crate) mod training;

use crate::config::param::{Param, Precision};
use crate::config::reader::{Ctx, Reader, show};
use crate::config::schema::{Check, Key, Kind, num, text};
use crate::config::tree::Origin;

pub(crate) const PRECISION: Kind = Kind::Choice(&Precision::NAMES);

// Keys several lists share, declared once.
pub(crate) const ID: Key = text("id", "lower-case letters, digits and '-'").required();
pub(crate) const NAME: Key = text("name", "display name; default the id");
pub(crate) const PARAMS_B: Key = num("params_b", Check::Positive, "billion parameters", "total parameters").required();
pub(crate) const ACTIVE_PARAMS_B: Key = num(
    "active_params_b",
    Check::Positive,
    "billion parameters",
    "parameters a token uses (MoE); default params_b",
);

/// With `attention_width` and `seq_len`: C gains 6 (causal) or 12 (full) * layers *
/// attention_width * seq_len * D.
pub(crate) const LAYERS: Key = Key::new(
    "layers",
    Kind::Int { min: 1, max: 10_000 },
    "",
    "transformer layers (attention FLOPs, with attention_width and seq_len)",
);
pub(crate) const ATTENTION_WIDTH: Key = Key::new(
    "attention_width",
    Kind::Int { min: 1, max: 10_000_000 },
    "",
    "query heads x head_dim (attention FLOPs)",
);
pub(crate) const SEQ_LEN: Key = Key::new(
    "seq_len",
    Kind::Int { min: 1, max: 100_000_000 },
    "tokens",
    "training sequence length (attention FLOPs)",
);
/// Which attention FLOPs count: causal (a decoder's masked half, what FlashAttention-class
/// kernels compute) or full.
pub(crate) const ATTENTION: Key = Key::new(
    "attention",
    Kind::Choice(&["causal", "full"]),
    "",
    "attention FLOPs counted: causal (6 * layers * attention_width * seq_len per token, a decoder's masked half) or full (12 * ...); default causal",
);

/// Warns on a `params_b` above 1e5 (billions): parameters typed in units.
pub(crate) fn params_plausible(r: &Reader<'_>, params_b: Param, ctx: &mut Ctx) {
    let info = ctx.params.info(params_b);
    if info.high > 1e5 && info.high.is_finite() {
        let (x, o) = (info.high, info.origin.clone());
        ctx.diags.warn(
            &o,
            format!(
                "params_b of {} is {}, above 1e5 (100 trillion parameters): given in units, not billions? (70B is params_b = 70)",
                r.what,
                show(x)
            ),
        );
    }
}

pub(crate) fn read_precision(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> Option<Precision> {
    r.choice(key, Precision::parse, ctx)
}

pub(crate) fn active_params(r: &mut Reader<'_>, params_b: Param, ctx: &mut Ctx) -> Param {
    let origin = r.table.get("active_params_b").map(|n| n.origin.clone());
    match r.num_opt("active_params_b", ctx) {
        Some(a) => {
            let (ai, pi) = (ctx.params.info(a), ctx.params.info(params_b));
            if ai.base > pi.base || ai.high > pi.high {
                let msg = if ai.base > pi.base {
                    format!(
                        "active_params_b ({}) is larger than params_b ({}) in {}",
                        show(ai.base),
                        show(pi.base),
                        r.what
                    )
                } else {
                    format!(
                        "active_params_b's high ({}) is larger than params_b's high ({}) in {}",
                        show(ai.high),
                        show(pi.high),
                        r.what
                    )
                };
                ctx.diags.err(
                    &origin.unwrap_or(Origin::Default),
                    msg,
                    "active parameters are the ones a token uses: at most the total",
                );
            }
            a
        }
        None => params_b,
    }
}

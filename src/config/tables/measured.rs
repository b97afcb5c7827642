//! `[[measured]]`: a public serving benchmark of one workload on one chip, which `calibrate`
//! checks the serving model against. Declarations, the validated struct and the reader.

use crate::config::param::{Param, Provenance};
use crate::config::reader::{Ctx, Reader};
use crate::config::schema::{Check, Key, Kind, TableDecl, num};
use crate::config::tree::{Node, Origin, Table, Value};

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
        Key::new(
            "fit",
            Kind::Bool,
            "",
            "whether calibrate --fit fits the serving efficiencies to it; default true. false: checked and printed, not fitted (a run whose conditions carry an estimate, e.g. a speculative decoding acceptance length)",
        ),
    ],
};

#[derive(Clone, Debug)]
pub struct Measured {
    pub workload: String,
    pub accelerator: String,
    pub workload_origin: Origin,
    pub accelerator_origin: Origin,
    pub output_tokens_per_s_per_chip: Param,
    /// 1 / mean time per output token, where the source gives it.
    pub tokens_per_s_per_user: Option<Param>,
    /// Whether `calibrate --fit` fits to it (`fit = false`: checked only).
    pub fit: bool,
    pub prov: Provenance,
}

pub(crate) fn read(t: &Table, origin: Origin, ctx: &mut Ctx) -> Measured {
    let mut r = Reader::new(t, origin, "measured".into(), &MEASURED, ctx);
    let workload_origin = t.get("workload").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let accelerator_origin = t.get("accelerator").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let workload = r.str_req("workload", "the id of an [[inference]] workload", ctx);
    let accelerator = r.str_req("accelerator", "the id of an [[accelerator]]", ctx);
    let or_q = |s: &str| if s.is_empty() { "?".to_string() } else { s.to_string() };
    r.path = format!("measured.{}.{}", or_q(&workload), or_q(&accelerator));
    r.what = format!("[[measured]] {} on {}", or_q(&workload), or_q(&accelerator));
    let output_tokens_per_s_per_chip = r.num_req("output_tokens_per_s_per_chip", ctx);
    let tokens_per_s_per_user = r.num_opt("tokens_per_s_per_user", ctx);
    let fit = match r.node("fit") {
        None => true,
        Some(Node { value: Value::Bool(b), .. }) => *b,
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`fit` in {} must be true or false, found {}", r.what, n.value.type_name()),
                "fit = false keeps a benchmark out of calibrate --fit (it is still checked)",
            );
            true
        }
    };
    Measured {
        workload,
        accelerator,
        workload_origin,
        accelerator_origin,
        output_tokens_per_s_per_chip,
        tokens_per_s_per_user,
        fit,
        prov: r.finish(ctx),
    }
}

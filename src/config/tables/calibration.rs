//! `[[calibration]]`: a public training run, which `calibrate` checks the training model
//! against. Declarations, the validated struct and the reader.

use std::collections::HashMap;

use super::training::{AttentionShape, attention_shape};
use super::{
    ACTIVE_PARAMS_B, ATTENTION, ATTENTION_WIDTH, ID, LAYERS, PARAMS_B, PRECISION, SEQ_LEN, active_params, params_plausible, read_precision,
};
use crate::config::param::{Param, Precision, Provenance};
use crate::config::reader::{Ctx, Reader, read_id};
use crate::config::schema::{Check, Key, Kind, TableDecl, num};
use crate::config::tree::{Origin, Table};

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
        ATTENTION,
    ],
};

/// What a calibration run's reported hours cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursBasis {
    /// Every chip-hour of the run (failures, restarts, evaluation): goodput applies.
    AllIn,
    /// Derived from a steady-state throughput: goodput is 1.
    SteadyState,
}

impl HoursBasis {
    pub const NAMES: [&'static str; 2] = ["all_in", "steady_state"];

    pub fn parse(s: &str) -> Option<HoursBasis> {
        match s {
            "all_in" => Some(HoursBasis::AllIn),
            "steady_state" => Some(HoursBasis::SteadyState),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Clone, Debug)]
pub struct Calibration {
    pub id: String,
    pub accelerator: String,
    pub accelerator_origin: Origin,
    pub params_b: Param,
    pub active_params_b: Param,
    pub tokens_t: Param,
    pub precision: Precision,
    pub flops: Option<Param>,
    pub attention: Option<AttentionShape>,
    pub reported_chip_hours: Param,
    pub hours_basis: HoursBasis,
    pub prov: Provenance,
}

pub(crate) fn read(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Calibration {
    let mut r = Reader::new(t, origin, "calibration".into(), &CALIBRATION, ctx);
    let id = read_id(&mut r, "calibration", seen, ctx);
    let accelerator_origin = t.get("accelerator").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let accelerator = r.str_req("accelerator", "the id of the [[accelerator]] the run used", ctx);
    let params_b = r.num_req("params_b", ctx);
    params_plausible(&r, params_b, ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let tokens_t = r.num_req("tokens_t", ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or(Precision::Bf16);
    let flops = r.num_opt("flops", ctx);
    let reported_chip_hours = r.num_req("reported_chip_hours", ctx);
    let attention = attention_shape(&mut r, ctx);
    let hours_basis = r.choice("hours_basis", HoursBasis::parse, ctx).unwrap_or(HoursBasis::AllIn);
    Calibration {
        id,
        accelerator,
        accelerator_origin,
        params_b,
        active_params_b,
        tokens_t,
        precision,
        flops,
        attention,
        reported_chip_hours,
        hours_basis,
        prov: r.finish(ctx),
    }
}

//! Config numbers and provenance: every number a planner may doubt is a [`Param`], a handle
//! into the [`ParamTable`], which keeps its low/base/high, unit, origin and source for
//! `explain`, Monte Carlo and the tornado chart. Also the number formats ([`Precision`]).

use std::sync::Arc;

use super::tree::Origin;

/// Handle of one number in the [`ParamTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Param(pub usize);

/// Everything known about one config number.
#[derive(Clone, Debug)]
pub struct ParamInfo {
    /// Key path as `--set` takes it, e.g. `accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour`.
    pub path: String,
    pub unit: &'static str,
    pub low: f64,
    pub base: f64,
    pub high: f64,
    /// True when the config gave a `{ low, base, high }` range.
    pub ranged: bool,
    pub origin: Origin,
    pub source: Option<Arc<str>>,
    pub as_of: Option<Arc<str>>,
    /// Listed in its table's `estimates`: not a sourced figure.
    pub estimate: bool,
    /// A note on how the config value was converted (e.g. "from 96 GiB").
    pub conversion: Option<String>,
}

/// All numbers of a config; a value vector indexed by [`Param`] resolves them.
#[derive(Clone, Debug, Default)]
pub struct ParamTable {
    pub infos: Vec<ParamInfo>,
    /// Ranges given with `shared = "<name>"` (docs/model.md "Uncertainty"): every number naming
    /// the same unknown has the same range and Monte Carlo draws it once for all of them.
    pub shared: std::collections::BTreeMap<Param, std::sync::Arc<str>>,
}

impl ParamTable {
    /// What keys the Monte Carlo stream of a number: its `shared` name where it has one, else
    /// its key path.
    pub fn draw_key(&self, p: Param) -> &str {
        self.shared.get(&p).map_or(self.infos[p.0].path.as_str(), |s| s)
    }

    pub fn push(&mut self, info: ParamInfo) -> Param {
        self.infos.push(info);
        Param(self.infos.len() - 1)
    }

    pub fn info(&self, p: Param) -> &ParamInfo {
        &self.infos[p.0]
    }

    /// The point (base) values of every number.
    pub fn base_values(&self) -> Vec<f64> {
        self.infos.iter().map(|i| i.base).collect()
    }

    /// The handles of every ranged number.
    pub fn ranged(&self) -> impl Iterator<Item = Param> + '_ {
        self.infos.iter().enumerate().filter(|(_, i)| i.ranged).map(|(k, _)| Param(k))
    }
}

/// Where a table came from and what it cites.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub origin: Origin,
    pub source: Option<Arc<str>>,
    pub as_of: Option<Arc<str>>,
    pub notes: Option<String>,
}

/// Number formats, with bytes per value (docs/model.md "Units").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    Fp32,
    Tf32,
    Bf16,
    Fp16,
    Fp8,
    Int8,
    Fp4,
    Int4,
    /// OCP MXFP4: 4-bit values plus one 8-bit (E8M0) scale per 32.
    Mxfp4,
}

impl Precision {
    pub const NAMES: [&'static str; 9] = ["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4", "mxfp4"];
    const ALL: [Precision; 9] = [
        Precision::Fp32,
        Precision::Tf32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Fp4,
        Precision::Int4,
        Precision::Mxfp4,
    ];

    pub fn parse(s: &str) -> Option<Precision> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp32 | Precision::Tf32 => 4.0,
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            // NVFP4: 4-bit values plus one fp8 scale per 16 values (docs/model.md "Units").
            Precision::Fp4 => 0.5625,
            Precision::Int4 => 0.5,
            // OCP Microscaling (MX) v1.0: blocks of 32 values share one 8-bit scale.
            Precision::Mxfp4 => 0.53125,
        }
    }
}

//! The validated config: typed, range-checked, references resolved. Nothing downstream
//! re-checks these values. Every number a planner may doubt is a [`Param`]: a handle into the
//! [`ParamTable`], which keeps its low/base/high, unit, origin and source for `explain`,
//! Monte Carlo and the tornado chart.

use std::sync::Arc;

use super::diag::Diag;
use super::tree::Origin;
pub use crate::family::Family;

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
}

impl ParamTable {
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

/// Which market prices every chip (MODEL.md "Price of one chip-hour: offers and the basis").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    OnDemand,
    CapacityBlock,
    Committed1y,
    Committed3y,
    Owned,
}

impl Basis {
    pub const NAMES: [&'static str; 5] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "owned"];
    /// What a config may write: the names and the v1 alias `committed`.
    pub const ACCEPTED: [&'static str; 6] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "owned", "committed"];
    const ALL: [Basis; 5] = [
        Basis::OnDemand,
        Basis::CapacityBlock,
        Basis::Committed1y,
        Basis::Committed3y,
        Basis::Owned,
    ];

    /// Parses a basis name; `committed` (v1) means `committed_1y`.
    pub fn parse(s: &str) -> Option<Basis> {
        if s == "committed" {
            return Some(Basis::Committed1y);
        }
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The offer term a cloud basis reads (`None` for owned).
    pub fn term(self) -> Option<Term> {
        match self {
            Basis::OnDemand => Some(Term::OnDemand),
            Basis::CapacityBlock => Some(Term::CapacityBlock),
            Basis::Committed1y => Some(Term::Committed1y),
            Basis::Committed3y => Some(Term::Committed3y),
            Basis::Owned => None,
        }
    }
}

/// The contract term of an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    OnDemand,
    CapacityBlock,
    Committed1y,
    Committed3y,
    Spot,
}

impl Term {
    pub const NAMES: [&'static str; 5] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "spot"];
    /// What a config may write: the names and the v1 alias `committed`.
    pub const ACCEPTED: [&'static str; 6] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "spot", "committed"];
    const ALL: [Term; 5] = [
        Term::OnDemand,
        Term::CapacityBlock,
        Term::Committed1y,
        Term::Committed3y,
        Term::Spot,
    ];

    pub fn parse(s: &str) -> Option<Term> {
        if s == "committed" {
            return Some(Term::Committed1y);
        }
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Who sells an offer: a hyperscaler (AWS, Google, Azure, Oracle), a neocloud (CoreWeave,
/// Lambda, Nebius, ...) or the planner's own negotiated price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderClass {
    Hyperscaler,
    Neocloud,
    Negotiated,
}

impl ProviderClass {
    pub const NAMES: [&'static str; 3] = ["hyperscaler", "neocloud", "negotiated"];
    const ALL: [ProviderClass; 3] = [ProviderClass::Hyperscaler, ProviderClass::Neocloud, ProviderClass::Negotiated];

    pub fn parse(s: &str) -> Option<ProviderClass> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// `economics.provider_class`: which public market a cloud basis reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    Hyperscaler,
    Neocloud,
    Any,
}

impl Market {
    pub const NAMES: [&'static str; 3] = ["hyperscaler", "neocloud", "any"];
    const ALL: [Market; 3] = [Market::Hyperscaler, Market::Neocloud, Market::Any];

    pub fn parse(s: &str) -> Option<Market> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Whether a public offer of `class` belongs to this market.
    pub fn admits(self, class: ProviderClass) -> bool {
        match self {
            Market::Any => class != ProviderClass::Negotiated,
            Market::Hyperscaler => class == ProviderClass::Hyperscaler,
            Market::Neocloud => class == ProviderClass::Neocloud,
        }
    }
}

/// Number formats, with bytes per value (MODEL.md "Units").
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
}

impl Precision {
    pub const NAMES: [&'static str; 8] = ["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"];
    const ALL: [Precision; 8] = [
        Precision::Fp32,
        Precision::Tf32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Fp4,
        Precision::Int4,
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
            // NVFP4: 4-bit values plus one fp8 scale per 16 values (MODEL.md "Units").
            Precision::Fp4 => 0.5625,
            Precision::Int4 => 0.5,
        }
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

#[derive(Clone, Debug)]
pub struct Economics {
    pub basis: Basis,
    pub basis_origin: Origin,
    /// `economics.provider_class` (default hyperscaler).
    pub market: Market,
    /// `economics.fallback = "any"`: a chip with no offer of the basis is priced from another
    /// market and marked, instead of being skipped.
    pub fallback: bool,
    pub electricity_usd_per_kwh: Param,
    pub pue: Param,
    pub hosting_usd_per_kw_month: Param,
    pub lifetime_years: Param,
    pub cost_of_capital: Param,
    pub maintenance_per_year: Param,
    pub availability: Param,
    pub load_factor: Param,
    pub system_overhead: Param,
    pub system_power_factor: Param,
    pub usable_memory_fraction: Param,
    /// USD to build a datacenter per MW of critical IT load (absent: not configured).
    pub datacenter_capex_usd_per_mw: Option<Param>,
    pub training_bytes_per_param: Param,
    /// Share of paid chip-hours that advance training (failures, restarts, checkpoints,
    /// stragglers): divides training chip-hours (MODEL.md "Training"). Default range
    /// 0.66 / 0.90 / 0.97.
    pub training_goodput: Param,
    pub prov: Provenance,
}

/// One price of one chip: who sells it, on what term, at how much per chip-hour.
#[derive(Clone, Debug)]
pub struct Offer {
    /// `id`, or `<provider>-<term>` lowercased with '-' (how `--set` addresses it:
    /// `accelerator.<chip>.offer.<id>.usd_per_chip_hour`).
    pub id: String,
    pub provider: String,
    pub class: ProviderClass,
    pub term: Term,
    pub instance: Option<String>,
    pub chips_per_instance: Option<u64>,
    /// USD per chip-hour (an instance price is stored divided by its chips).
    pub price: Param,
    /// The base value of `price`: offers are chosen on base values, so a sampled draw never
    /// switches a chip to another market.
    pub base: f64,
    pub region: Option<String>,
    /// `estimate = true`, or the price listed in `estimates`.
    pub estimate: bool,
    /// A newer offer of the same provider, term, instance and region (its id): this one is
    /// history and is not chosen.
    pub superseded_by: Option<String>,
    pub prov: Provenance,
}

impl Offer {
    /// The offer as rows and `explain` show it: "AWS on_demand p5.48xlarge us-east-1 (2026-01)".
    pub fn label(&self) -> String {
        let mut s = format!("{} {}", self.provider, self.term.name());
        for x in [&self.instance, &self.region].into_iter().flatten() {
            s.push(' ');
            s.push_str(x);
        }
        if let Some(a) = &self.prov.as_of {
            s.push_str(&format!(" ({a})"));
        }
        s
    }
}

/// The price an accelerator gets on a basis: an offer (with a note when it is not of the
/// basis's market), or its owned cost; `Missing` when it has none.
#[derive(Clone, Debug)]
pub enum PriceChoice<'a> {
    Offer { offer: &'a Offer, note: Option<String> },
    Owned { note: Option<String> },
    Missing,
}

#[derive(Clone, Debug)]
pub struct Owned {
    pub chip_usd: Param,
    /// Overrides `economics.system_overhead` for this chip.
    pub system_overhead: Option<Param>,
    pub vendor_gross_margin: Option<Param>,
    pub prov: Provenance,
}

/// Steady-state training MFU (attention FLOPs counted): one figure for every precision, or one
/// per precision (`{ bf16 = .., fp8 = .. }`, each of the workload precision's own dense peak).
#[derive(Clone, Debug, PartialEq)]
pub enum TrainingMfu {
    /// A plain number or range: that MFU at every precision (the v1 meaning).
    All(Param),
    /// Per precision, in config order; a precision not listed has no training MFU.
    PerPrecision(Vec<(Precision, Param)>),
}

impl TrainingMfu {
    /// The MFU at `precision`, if the chip gives one.
    pub fn get(&self, precision: Precision) -> Option<Param> {
        match self {
            TrainingMfu::All(p) => Some(*p),
            TrainingMfu::PerPrecision(v) => v.iter().find(|(q, _)| *q == precision).map(|(_, p)| *p),
        }
    }

    /// The bf16 MFU, else the first one given (for charts drawn at bf16 peak).
    pub fn bf16_or_first(&self) -> Option<(Precision, Param)> {
        match self {
            TrainingMfu::All(p) => Some((Precision::Bf16, *p)),
            TrainingMfu::PerPrecision(v) => v.iter().find(|(q, _)| *q == Precision::Bf16).or(v.first()).copied(),
        }
    }
}

/// Attention shape of a training run (MODEL.md "Training"): with it, C gains
/// `12 * layers * attention_width * seq_len * D`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionShape {
    pub layers: u64,
    /// Query heads x head dimension.
    pub attention_width: u64,
    /// Training sequence length (tokens).
    pub seq_len: u64,
}

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
pub struct Efficiency {
    /// Absent for inference-only chips: training pairs are skipped with that reason.
    pub training_mfu: Option<TrainingMfu>,
    /// The serving step model's efficiencies (MODEL.md "Serving").
    pub serving: ServingEfficiency,
    pub prov: Provenance,
}

/// Efficiencies of the serving step model (MODEL.md "Serving"), per accelerator.
#[derive(Clone, Copy, Debug)]
pub struct ServingEfficiency {
    /// Share of dense peak reached in GEMMs and attention (0..1].
    pub serving_mfu: Param,
    /// Share of memory bandwidth reached streaming weights (0..1].
    pub weight_bw_eff: Param,
    /// Share of memory bandwidth reached reading the KV cache (0..1].
    pub kv_bw_eff: Param,
    /// Fixed cost per layer per step, microseconds.
    pub step_overhead_us_per_layer: Param,
    /// Extra cost per layer per step when a replica spans chips, microseconds.
    pub tp_overhead_us_per_layer: Param,
    /// MoE GEMM efficiency relative to dense (0..1].
    pub moe_efficiency: Param,
}

impl ServingEfficiency {
    /// The six params in a fixed order (the fit's parameter vector order).
    pub fn params(&self) -> [Param; 6] {
        [
            self.serving_mfu,
            self.weight_bw_eff,
            self.kv_bw_eff,
            self.step_overhead_us_per_layer,
            self.tp_overhead_us_per_layer,
            self.moe_efficiency,
        ]
    }

    /// Key names, in the order of [`Self::params`].
    pub const KEYS: [&'static str; 6] = [
        "serving_mfu",
        "weight_bw_eff",
        "kv_bw_eff",
        "step_overhead_us_per_layer",
        "tp_overhead_us_per_layer",
        "moe_efficiency",
    ];
}

#[derive(Clone, Debug)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub family: Family,
    pub vendor: String,
    pub year: i32,
    /// Dense peak TFLOPS per precision, in config order.
    pub dense_tflops: Vec<(Precision, Param)>,
    pub memory_gb: Param,
    pub memory_tb_per_s: Param,
    pub power_w: Param,
    /// Chip-to-chip bandwidth per chip, one direction, GB/s (NVLink, ICI, NeuronLink).
    pub interconnect_gb_per_s: Option<Param>,
    /// Every price offer, in config order (`[[accelerator.offer]]` and the v1
    /// `[accelerator.cloud]` keys, one offer each).
    pub offers: Vec<Offer>,
    pub owned: Option<Owned>,
    pub efficiency: Efficiency,
    pub prov: Provenance,
}

impl Accelerator {
    /// The price this chip gets under `econ` (MODEL.md "Price of one chip-hour"): a negotiated
    /// offer of the basis's term wins; else the cheapest current offer of that term in the
    /// market; else, with `fallback = "any"`, the nearest other market, noted; else `Missing`.
    pub fn price_choice(&self, econ: &Economics) -> PriceChoice<'_> {
        self.price_choice_on(econ, econ.basis)
    }

    /// [`Self::price_choice`] on another basis than the config's.
    pub fn price_choice_on(&self, econ: &Economics, basis: Basis) -> PriceChoice<'_> {
        let cheapest = |f: &dyn Fn(&Offer) -> bool| -> Option<&Offer> {
            self.offers
                .iter()
                .filter(|o| o.superseded_by.is_none() && f(o))
                .min_by(|a, b| a.base.total_cmp(&b.base))
        };
        let Some(term) = basis.term() else {
            if self.owned.is_some() {
                return PriceChoice::Owned { note: None };
            }
            if econ.fallback {
                let alt = cheapest(&|o| o.term == Term::OnDemand && econ.market.admits(o.class))
                    .or_else(|| cheapest(&|o| o.term == Term::OnDemand));
                if let Some(o) = alt {
                    let note = format!(
                        "{} has no owned price (chip_usd): priced from {} ({})",
                        self.id,
                        o.label(),
                        o.class.name()
                    );
                    return PriceChoice::Offer {
                        offer: o,
                        note: Some(note),
                    };
                }
            }
            return PriceChoice::Missing;
        };
        if let Some(o) = cheapest(&|o| o.term == term && o.class == ProviderClass::Negotiated) {
            let note = format!("negotiated price: {}", o.label());
            return PriceChoice::Offer {
                offer: o,
                note: Some(note),
            };
        }
        if let Some(o) = cheapest(&|o| o.term == term && econ.market.admits(o.class)) {
            return PriceChoice::Offer { offer: o, note: None };
        }
        if !econ.fallback {
            return PriceChoice::Missing;
        }
        // Stay in the market on the other terms first (a hyperscaler's capacity block is closer
        // to its on-demand list than a neocloud's price is), then any public class.
        let terms = [Term::OnDemand, Term::CapacityBlock, Term::Committed1y, Term::Committed3y];
        let public = |o: &Offer| o.class != ProviderClass::Negotiated;
        let alt = terms
            .iter()
            .filter(|t| **t != term)
            .find_map(|t| cheapest(&|o| o.term == *t && econ.market.admits(o.class)))
            .or_else(|| cheapest(&|o| o.term == term && public(o)))
            .or_else(|| {
                terms
                    .iter()
                    .filter(|t| **t != term)
                    .find_map(|t| cheapest(&|o| o.term == *t && public(o)))
            });
        match alt {
            Some(o) => {
                let note = format!(
                    "{} has no {} {} offer: priced from {} ({})",
                    self.id,
                    market_words(econ.market),
                    term.name(),
                    o.label(),
                    o.class.name()
                );
                PriceChoice::Offer {
                    offer: o,
                    note: Some(note),
                }
            }
            None => PriceChoice::Missing,
        }
    }

    /// The config number that sets this chip's price under `econ`: the chosen offer's price,
    /// or the chip price when owned (the rest of an owned price is economics). `None`: no price.
    pub fn price_param(&self, econ: &Economics) -> Option<Param> {
        match self.price_choice(econ) {
            PriceChoice::Offer { offer, .. } => Some(offer.price),
            PriceChoice::Owned { .. } => self.owned.as_ref().map(|o| o.chip_usd),
            PriceChoice::Missing => None,
        }
    }

    /// True for chips their maker does not sell (the family table's `sold_by_maker`): an
    /// owned `chip_usd` of these is an internal cost estimate, and is labelled so.
    pub fn not_sold(&self) -> bool {
        !self.family.sold_by_maker()
    }

    pub fn tflops(&self, p: Precision) -> Option<Param> {
        self.dense_tflops.iter().find(|(q, _)| *q == p).map(|(_, v)| *v)
    }
}

/// "hyperscaler", "neocloud" or "" (any), as a reason reads: "has no hyperscaler on_demand offer".
pub fn market_words(m: Market) -> &'static str {
    match m {
        Market::Any => "public",
        m => m.name(),
    }
}

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
    pub precision: Precision,
    pub kv_precision: Precision,
    pub kv: KvSize,
    pub input_tokens: Param,
    pub output_tokens: Param,
    /// Layers (from the KV shape, or given with `kv_bytes_per_token`).
    pub layers: Option<u64>,
    /// Query heads: tensor-parallel degrees must divide them.
    pub heads: Option<u64>,
    /// Query heads x head_dim (attention FLOPs).
    pub attention_width: Option<Param>,
    /// Model width (all-reduce size); defaults to `attention_width`.
    pub hidden: Option<Param>,
    /// MoE: routed experts per layer, and routed experts per token.
    pub experts: Option<(u64, u64)>,
    /// MoE: billions of weights every token reads (attention, shared experts).
    pub shared_params_b: Option<Param>,
    /// Running batch per replica; derived (MODEL.md) when absent.
    pub batch: Option<Param>,
    /// Engine cap on running sequences per replica (default 256).
    pub max_batch: Param,
    /// Per-user speed target, tokens/s (1 / TPOT).
    pub min_tokens_per_s_per_user: Option<Param>,
    pub chips_per_replica: Option<u64>,
    pub utilization: Param,
    /// A benchmark's conditions (`benchmark = true`): used by `calibrate` only, never listed
    /// by `compare` or `report`.
    pub benchmark: bool,
    pub prov: Provenance,
}

#[derive(Clone, Debug)]
pub struct Measured {
    pub workload: String,
    pub accelerator: String,
    pub workload_origin: Origin,
    pub accelerator_origin: Origin,
    pub output_tokens_per_s_per_chip: Param,
    /// 1 / mean time per output token, where the source gives it.
    pub tokens_per_s_per_user: Option<Param>,
    pub prov: Provenance,
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

#[derive(Clone, Debug)]
pub struct Report {
    pub title: String,
    /// The accelerators the report shows, in config order (all when the config names none).
    pub accelerators: Vec<String>,
    pub reference: String,
    pub training_sweep_params_b: (f64, f64),
    pub tokens_per_param: f64,
    pub inference_sweep_batch: (f64, f64),
    pub inference_workload: Option<String>,
    pub training_workload: Option<String>,
    pub fleet_budget_usd: f64,
    /// Facility power of the fleet chart's "what this much power holds" (MW).
    pub fleet_power_mw: f64,
    pub samples: u32,
    pub seed: u64,
    pub tornado_accelerator: Option<String>,
    /// Years for GPU price-performance to double (trend line of the price-performance chart).
    pub price_performance_doubling_years: f64,
    /// Largest serving replica (a scale-up domain): the largest tensor-parallel candidate.
    pub max_chips_per_replica: u64,
    /// Names of the charts to draw (`report.charts`); empty: every chart.
    pub charts: Vec<String>,
}

/// A loaded, merged and validated config.
#[derive(Clone, Debug)]
pub struct Config {
    pub params: ParamTable,
    pub economics: Economics,
    pub accelerators: Vec<Accelerator>,
    pub training: Vec<Training>,
    pub inference: Vec<Inference>,
    pub measured: Vec<Measured>,
    pub calibration: Vec<Calibration>,
    pub report: Report,
    /// Files read, in merge order.
    pub files: Vec<String>,
    /// `--set` arguments applied, in order.
    pub overrides: Vec<String>,
    pub warnings: Vec<Diag>,
    /// The latest `as_of` date any table gives.
    pub as_of: Option<String>,
    /// Short fingerprint of the merged config (for chart footers).
    pub hash: String,
}

impl Config {
    pub fn accelerator(&self, id: &str) -> Option<&Accelerator> {
        self.accelerators.iter().find(|a| a.id == id)
    }

    pub fn training(&self, id: &str) -> Option<&Training> {
        self.training.iter().find(|w| w.id == id)
    }

    pub fn inference(&self, id: &str) -> Option<&Inference> {
        self.inference.iter().find(|w| w.id == id)
    }

    /// The inference workloads tables and charts show: every one but the benchmarks'.
    pub fn served(&self) -> impl Iterator<Item = &Inference> {
        self.inference.iter().filter(|w| !w.benchmark)
    }

    pub fn measured(&self, workload: &str, accelerator: &str) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.workload == workload && m.accelerator == accelerator)
    }

    /// The numbers a config file gave without a `source` (a planner's table or patch that
    /// cites none): "key path (file:line)", in config order. Empty for the shipped configs.
    pub fn unsourced(&self) -> Vec<String> {
        self.params
            .infos
            .iter()
            .filter(|i| i.source.is_none() && !i.path.is_empty())
            .filter_map(|i| match &i.origin {
                Origin::File { file, line, .. } => Some(format!("{} ({file}:{line})", i.path)),
                _ => None,
            })
            .collect()
    }

    /// Every distinct source the config cites, in first-seen order.
    pub fn sources(&self) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for s in self.params.infos.iter().filter_map(|i| i.source.clone()) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

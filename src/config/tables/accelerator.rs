//! `[[accelerator]]`: one chip, its specs, owned cost and efficiencies (its offers are
//! `offer.rs`). Declarations, the validated structs and the reader.

use std::collections::HashMap;

use super::offer::{self, CLOUD, OFFER, Offer, ProviderClass, Term};
use crate::config::diag::did_you_mean;
use crate::config::param::{Param, ParamInfo, Precision, Provenance};
use crate::config::reader::{Ctx, Reader, default_param, placeholder, read_id, read_number, show, table_of};
use crate::config::schema::{Check, Key, Kind, TableDecl, num, text};
use crate::config::tree::{Origin, Table, Value};
pub use crate::family::Family;

/// One chip: an `[[accelerator]]` entry.
pub static ACCELERATOR: TableDecl = TableDecl {
    name: "accelerator",
    list: true,
    doc: "One chip (per GPU / per chip, not per server), with its specs, prices and efficiencies.",
    keys: &[
        text(
            "id",
            "lower-case letters, digits and '-', at most 40 characters; used in --set and file names",
        )
        .required(),
        text("name", "display name in charts and tables; default the id"),
        Key::new("family", Kind::Choice(Family::NAMES), "", "chip family: colour group in charts").required(),
        text("vendor", "maker"),
        Key::new("year", Kind::Int { min: 1990, max: 2100 }, "", "first general availability").required(),
        Key::new(
            "era",
            Kind::Choice(Era::NAMES),
            "",
            "current (default): in every table and chart; legacy: an older generation, only in the cost-over-time (decade) charts unless report.accelerators names it; next: announced, not yet rented, only as a labelled estimate in the decade charts",
        ),
        Key::new(
            "dense_tflops",
            Kind::PrecisionMap {
                check: Check::Positive,
                range: true,
            },
            "TFLOPS",
            "dense (not sparse) peak per chip, per precision",
        )
        .required(),
        num("memory_gb", Check::Positive, "GB", "memory per chip, 1e9 bytes (or memory_gib)"),
        num(
            "memory_gib",
            Check::Positive,
            "GiB",
            "memory per chip where the source states GiB; converted to GB",
        )
        .alias_of("memory_gb"),
        num(
            "memory_tb_per_s",
            Check::Positive,
            "TB/s",
            "memory bandwidth per chip, 1e12 bytes/s (or memory_gib_per_s)",
        ),
        num(
            "memory_gib_per_s",
            Check::Positive,
            "GiB/s",
            "memory bandwidth where the source states GiB/s; converted",
        )
        .alias_of("memory_tb_per_s"),
        num("power_w", Check::Positive, "W", "chip power (TDP)").required(),
        num(
            "interconnect_gb_per_s",
            Check::Positive,
            "GB/s",
            "chip-to-chip bandwidth per chip, one direction (NVLink, ICI, NeuronLink): tensor-parallel all-reduces",
        ),
        num(
            "scale_out_gb_per_s",
            Check::Positive,
            "GB/s",
            "scale-out network bandwidth per chip, one direction (InfiniBand, RoCE, EFA NICs between scale-up domains): pipeline stages across domains and the KV transfer of disaggregated serving; default none (no replica spans domains)",
        ),
        Key::new(
            "scale_up_chips",
            Kind::Number {
                check: Check::AtLeastOne,
                range: false,
            },
            "chips",
            "scale-up domain: chips one tensor/expert-parallel serving group may span (HGX 8, NVL72 72, inf2.48xlarge 12); default no limit",
        ),
        Key::new(
            "tp_unit_per_chip",
            Kind::Number {
                check: Check::AtLeastOne,
                range: false,
            },
            "ranks per chip",
            "tensor-parallel ranks per chip in the unit the serving stack counts TP in (NeuronCores on Neuron): heads must divide n x it; default 1",
        ),
        Key::new("cloud", Kind::Table(&CLOUD), "", "v1 cloud prices: each key becomes one offer"),
        Key::new(
            "offer",
            Kind::Tables(&OFFER),
            "",
            "price offers: as many as there are public prices (economics.basis picks one market)",
        ),
        Key::new("owned", Kind::Table(&OWNED), "", "what owning the chip costs"),
        Key::new("efficiency", Kind::Table(&EFFICIENCY), "", "achieved shares of peak"),
    ],
};

/// `[accelerator.owned]`: purchase price and system share.
pub static OWNED: TableDecl = TableDecl {
    name: "accelerator.owned",
    list: false,
    doc: "What owning the chip costs (basis `owned`).",
    keys: &[
        num(
            "chip_usd",
            Check::Positive,
            "USD",
            "price of one chip (for chips their maker does not sell: an internal cost estimate)",
        )
        .required(),
        num(
            "system_overhead",
            Check::NonNegative,
            "share of chip_usd",
            "overrides economics.system_overhead",
        ),
        num(
            "vendor_gross_margin",
            Check::Share,
            "share of chip_usd",
            "the vendor's margin in chip_usd (its own TCO segment)",
        ),
    ],
};

/// `[accelerator.efficiency]`: achieved shares of peak.
pub static EFFICIENCY: TableDecl = TableDecl {
    name: "accelerator.efficiency",
    list: false,
    doc: "Achieved shares of peak compute and bandwidth.",
    keys: &[
        Key::new(
            "training_mfu",
            Kind::NumberOrPrecisionMap { check: Check::Fraction },
            "share of dense peak",
            "steady-state training MFU, attention FLOPs counted: one for every precision, or per precision { bf16 = .., fp8 = .. }; absent: not costed for training",
        ),
        num(
            "serving_mfu",
            Check::Fraction,
            "share of dense peak",
            "serving step model: share of dense peak in GEMMs and attention",
        ),
        num(
            "weight_bw_eff",
            Check::Fraction,
            "share of memory bandwidth",
            "serving step model: share of bandwidth reached streaming weights",
        ),
        num(
            "kv_bw_eff",
            Check::Fraction,
            "share of memory bandwidth",
            "serving step model: share of bandwidth reached reading the KV cache; default weight_bw_eff",
        ),
        num(
            "step_overhead_us_per_layer",
            Check::NonNegative,
            "us per layer",
            "serving step model: fixed cost per layer per step (kernel launches, sync); default 0",
        ),
        num(
            "tp_overhead_us_per_layer",
            Check::NonNegative,
            "us per layer",
            "serving step model: extra cost per layer per step when a replica spans chips; default 0",
        ),
        num(
            "moe_efficiency",
            Check::Fraction,
            "share of dense efficiency",
            "serving step model: MoE GEMM efficiency relative to dense (routing, small GEMMs); default 1",
        ),
        num(
            "serving_heldout_error_pct",
            Check::NonNegative,
            "percent",
            "median |error| of the serving efficiencies held out (5-fold on the chip's own benchmarks; leave-one-chip-out for a chip that borrows a pooled fit), written by `calibrate --fit`; chart notes quote it",
        ),
        num(
            "prefill_mfu",
            Check::Fraction,
            "share of dense peak",
            "v1 key (roofline), still read with a warning",
        )
        .alias_of("serving_mfu"),
        num(
            "decode_mfu",
            Check::Fraction,
            "share of dense peak",
            "v1 key (roofline), read and ignored with a warning",
        )
        .alias_of("serving_mfu"),
        num(
            "decode_mbu",
            Check::Fraction,
            "share of memory bandwidth",
            "v1 key (roofline), still read with a warning",
        )
        .alias_of("weight_bw_eff"),
    ],
};

#[derive(Clone, Debug)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub family: Family,
    pub vendor: String,
    pub year: i32,
    /// `era`: current (every table and chart), legacy or next (the decade charts only, unless
    /// `report.accelerators` names the chip).
    pub era: Era,
    /// Dense peak TFLOPS per precision, in config order.
    pub dense_tflops: Vec<(Precision, Param)>,
    pub memory_gb: Param,
    pub memory_tb_per_s: Param,
    pub power_w: Param,
    /// Chip-to-chip bandwidth per chip, one direction, GB/s (NVLink, ICI, NeuronLink).
    pub interconnect_gb_per_s: Option<Param>,
    /// Chips one tensor/expert-parallel serving group may span (a whole number, no range);
    /// `None`: no limit but `report.max_chips_per_replica`.
    pub scale_up_chips: Option<Param>,
    /// Scale-out bandwidth per chip, one direction, GB/s (the NICs between scale-up domains);
    /// `None`: no replica spans domains.
    pub scale_out_gb_per_s: Option<Param>,
    /// Tensor-parallel ranks per chip in the serving stack's unit (a whole number, no range);
    /// `None`: 1.
    pub tp_unit_per_chip: Option<Param>,
    /// Every price offer, in config order (`[[accelerator.offer]]` and the v1
    /// `[accelerator.cloud]` keys, one offer each).
    pub offers: Vec<Offer>,
    pub owned: Option<Owned>,
    pub efficiency: Efficiency,
    pub prov: Provenance,
}

impl Accelerator {
    /// True for chips their maker does not sell (the family table's `sold_by_maker`): an
    /// owned `chip_usd` of these is an internal cost estimate, and is labelled so.
    pub fn not_sold(&self) -> bool {
        !self.family.sold_by_maker()
    }

    pub fn tflops(&self, p: Precision) -> Option<Param> {
        self.dense_tflops.iter().find(|(q, _)| *q == p).map(|(_, v)| *v)
    }
}

/// A chip's era (`accelerator.era`): which tables and charts show it by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Era {
    /// Rented today: every table and chart.
    #[default]
    Current,
    /// An older generation (K80 ... A100 40 GB, TPU v2/v3): the decade charts only, unless
    /// `report.accelerators` names it.
    Legacy,
    /// Announced, not yet rented at a public price: the decade charts only, as an estimate.
    Next,
}

impl Era {
    pub const NAMES: &'static [&'static str] = &["current", "legacy", "next"];

    pub fn parse(s: &str) -> Option<Era> {
        match s {
            "current" => Some(Era::Current),
            "legacy" => Some(Era::Legacy),
            "next" => Some(Era::Next),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Owned {
    pub chip_usd: Param,
    /// Overrides `economics.system_overhead` for this chip.
    pub system_overhead: Option<Param>,
    pub vendor_gross_margin: Option<Param>,
    pub prov: Provenance,
}

#[derive(Clone, Debug)]
pub struct Efficiency {
    /// Absent for inference-only chips: training pairs are skipped with that reason.
    pub training_mfu: Option<TrainingMfu>,
    /// The serving step model's efficiencies (docs/model.md "Serving").
    pub serving: ServingEfficiency,
    /// Held-out median |error| of the serving efficiencies, percent (`calibrate --fit`).
    pub serving_heldout_error_pct: Option<Param>,
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

/// Efficiencies of the serving step model (docs/model.md "Serving"), per accelerator.
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

/// GiB -> GB.
const GIB: f64 = 1.073_741_824;

/// Memory capacities their vendors state in GiB, by shipped chip id: a `memory_gb` equal to
/// one of these is a GiB figure entered as GB (7% low).
const KNOWN_GIB: [(&str, f64, &str); 7] = [
    ("tpu-v5p", 95.0, "Google Cloud TPU7x doc table: HBM capacity per chip (GiB) 95"),
    ("tpu-v6e", 32.0, "Google Cloud TPU7x doc table: HBM capacity per chip (GiB) 32"),
    ("tpu7x", 192.0, "Google Cloud TPU7x doc table: HBM capacity per chip (GiB) 192"),
    ("tpu-v4", 32.0, "Google Cloud TPU v4 doc: 32 GiB HBM2"),
    ("trn1", 32.0, "AWS Neuron Trainium doc: 32 GiB"),
    ("trn2", 96.0, "AWS Neuron Trainium2 doc: 96 GiB"),
    ("trn3", 144.0, "AWS Neuron Trainium3 doc: 144 GiB"),
];

pub(crate) fn read(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Accelerator {
    let mut r = Reader::new(t, origin.clone(), "accelerator".into(), &ACCELERATOR, ctx);
    let id = read_id(&mut r, "accelerator", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    if t.get("family").is_none() {
        r.missing("family", "add family = \"gpu\" (gpu, trainium, inferentia, tpu or other)", ctx);
    }
    let family = r.choice("family", Family::parse, ctx).unwrap_or(Family::Other);
    let vendor = r.str_opt("vendor", ctx).unwrap_or_default();
    let year = r.int_req("year", ctx) as i32;
    let era = r.choice("era", Era::parse, ctx).unwrap_or(Era::Current);
    let mut dense_tflops = Vec::new();
    match r.node("dense_tflops") {
        Some(n) => {
            if let Some(dt) = table_of(n, "dense_tflops", ctx) {
                let what = r.what.clone();
                value_map_layers(dt, &format!("dense_tflops of {what}"), ctx);
                for e in &dt.entries {
                    match Precision::parse(&e.key) {
                        Some(p) => {
                            if let Some((low, base, high, ranged)) = read_number(&e.node, &e.key, &what, Check::Positive, ctx) {
                                if low < 1.0 {
                                    ctx.diags.warn(
                                        &e.node.origin,
                                        format!(
                                            "dense_tflops.{} of {what} is {}, below 1 TFLOPS: given in PFLOPS? (write TFLOPS: {} PFLOPS = {})",
                                            e.key,
                                            show(low),
                                            show(low),
                                            show(low * 1000.0)
                                        ),
                                    );
                                } else if low < 50.0 && year >= 2020 && !matches!(p, Precision::Fp32 | Precision::Tf32) {
                                    // No shipped accelerator from 2020 on has a 16-bit or narrower
                                    // dense peak under 50 TFLOPS (FP32 peaks can be: trn1's 47.5):
                                    // a PFLOPS figure typed as TFLOPS.
                                    ctx.diags.warn(
                                        &e.node.origin,
                                        format!(
                                            "dense_tflops.{} of {what} is {} TFLOPS, below 50 for a chip from {year}: given in PFLOPS? (write TFLOPS: {} PFLOPS = {})",
                                            e.key,
                                            show(low),
                                            show(low),
                                            show(low * 1000.0)
                                        ),
                                    );
                                }
                                let estimate = r.marks_estimate("dense_tflops", &e.node.origin);
                                let (source, as_of) = r.provenance_for(&e.node.origin);
                                let q = ctx.params.push(ParamInfo {
                                    path: format!("{}.dense_tflops.{}", r.path, e.key),
                                    unit: "TFLOPS",
                                    low,
                                    base,
                                    high,
                                    ranged,
                                    origin: e.node.origin.clone(),
                                    source,
                                    as_of,
                                    estimate,
                                    conversion: None,
                                });
                                crate::config::reader::shared_name(&e.node, &e.key, &what, q, ctx);
                                dense_tflops.push((p, q));
                                r.numbers += 1;
                            }
                        }
                        None => {
                            let hint = match did_you_mean(&e.key, Precision::NAMES) {
                                Some(m) => format!("did you mean `{m}`? precisions: {}", Precision::NAMES.join(", ")),
                                None => format!("precisions: {}", Precision::NAMES.join(", ")),
                            };
                            ctx.diags.err(
                                &e.key_origin,
                                format!("unknown precision `{}` in dense_tflops of {what}", e.key),
                                &hint,
                            );
                        }
                    }
                }
                if dt.entries.is_empty() {
                    ctx.diags.err(
                        &n.origin,
                        format!("dense_tflops of {} is empty", r.what),
                        "e.g. dense_tflops = { bf16 = 989 }",
                    );
                }
            }
        }
        None => r.missing(
            "dense_tflops",
            "e.g. dense_tflops = { bf16 = 989, fp8 = 1979 } (dense, not sparse)",
            ctx,
        ),
    }
    let memory_gb = r.num_either(("memory_gb", "memory_gib"), GIB, ctx);
    let mi = ctx.params.info(memory_gb);
    if let Some((_, gib, src)) = KNOWN_GIB
        .iter()
        .find(|(k, g, _)| *k == id && mi.conversion.is_none() && mi.base == *g)
    {
        let o = mi.origin.clone();
        ctx.diags.warn(
            &o,
            format!(
                "memory_gb of `{id}` is {gib}, the GiB figure of this chip ({src}): write memory_gib = {gib} (= {:.1} GB)",
                gib * GIB
            ),
        );
    }
    let memory_tb_per_s = r.num_either(("memory_tb_per_s", "memory_gib_per_s"), GIB / 1000.0, ctx);
    let power_w = r.num_req("power_w", ctx);
    unit_slips(&id, memory_gb, memory_tb_per_s, power_w, ctx);
    let interconnect_gb_per_s = r.num_opt("interconnect_gb_per_s", ctx);
    let scale_up_chips = whole_opt(&mut r, "scale_up_chips", ctx);
    let scale_out_gb_per_s = r.num_opt("scale_out_gb_per_s", ctx);
    let tp_unit_per_chip = whole_opt(&mut r, "tp_unit_per_chip", ctx);

    let mut offers = Vec::new();
    if let Some(mut c) = r.sub("cloud", ctx) {
        c.what = format!("[accelerator.cloud] of `{id}`");
        let class = c
            .choice("provider_class", ProviderClass::parse, ctx)
            .unwrap_or(ProviderClass::Hyperscaler);
        let provider = c.str_opt("provider", ctx).unwrap_or_else(|| "cloud".into());
        let region = c.str_opt("region", ctx);
        let on_demand = c.num_opt("on_demand_usd_per_chip_hour", ctx);
        let committed = c.num_opt("committed_usd_per_chip_hour", ctx);
        let instance = c.str_opt("instance", ctx);
        if class == ProviderClass::Negotiated {
            c.single_numbers_ok();
        }
        let prov = c.finish(ctx);
        for (p, term, oid) in [
            (on_demand, Term::OnDemand, "cloud-on-demand"),
            (committed, Term::Committed1y, "cloud-committed"),
        ] {
            if let Some(p) = p {
                let info = ctx.params.info(p);
                offers.push(Offer {
                    id: oid.to_string(),
                    provider: provider.clone(),
                    class,
                    term,
                    instance: instance.clone(),
                    chips_per_instance: None,
                    billing_increment_hours: None,
                    price: p,
                    base: info.base,
                    region: region.clone(),
                    estimate: info.estimate,
                    superseded_by: None,
                    valid_from: None,
                    valid_until: None,
                    prov: prov.clone(),
                });
            }
        }
    }
    if let Some(n) = r.node("offer") {
        let mut seen_offers: HashMap<String, Origin> = offers.iter().map(|o| (o.id.clone(), o.prov.origin.clone())).collect();
        match &n.value {
            Value::Array(items) => {
                for item in items {
                    if let Some(t) = table_of(item, "each [[accelerator.offer]]", ctx)
                        && let Some(o) = offer::read(t, item.origin.clone(), &id, &mut seen_offers, ctx)
                    {
                        offers.push(o);
                    }
                }
            }
            v => ctx.diags.err(
                &n.origin,
                format!(
                    "`offer` of `{id}` must be a list of [[accelerator.offer]] tables, found {}",
                    v.type_name()
                ),
                "write each offer under its own [[accelerator.offer]] header",
            ),
        }
    }
    offer::supersede(&mut offers);
    offer::offer_plausibility(&id, &offers, ctx);
    let owned = r.sub("owned", ctx).map(|mut o| {
        o.what = format!("[accelerator.owned] of `{id}`");
        let chip_usd = o.num_req("chip_usd", ctx);
        let ci = ctx.params.info(chip_usd);
        if ci.low < 500.0 && ci.low.is_finite() {
            let (x, origin) = (ci.low, ci.origin.clone());
            ctx.diags.warn(
                &origin,
                format!(
                    "chip_usd of `{id}` is {} USD, below $500 for a data-center accelerator: given in thousands? (write 27500, not 27.5)",
                    show(x)
                ),
            );
        }
        let system_overhead = o.num_opt("system_overhead", ctx);
        let vendor_gross_margin = o.num_opt("vendor_gross_margin", ctx);
        Owned {
            chip_usd,
            system_overhead,
            vendor_gross_margin,
            prov: o.finish(ctx),
        }
    });
    let efficiency = match r.sub("efficiency", ctx) {
        Some(mut e) => {
            e.what = format!("[accelerator.efficiency] of `{id}`");
            let training_mfu = training_mfu(&mut e, ctx);
            let serving = serving_efficiency(&mut e, ctx);
            let serving_heldout_error_pct = e.num_opt("serving_heldout_error_pct", ctx);
            Efficiency {
                training_mfu,
                serving,
                serving_heldout_error_pct,
                prov: e.finish(ctx),
            }
        }
        None => {
            if t.get("efficiency").is_none() {
                r.missing(
                    "[accelerator.efficiency]",
                    "add training_mfu, serving_mfu, weight_bw_eff, kv_bw_eff, step_overhead_us_per_layer, tp_overhead_us_per_layer, moe_efficiency",
                    ctx,
                );
            }
            Efficiency {
                training_mfu: None,
                serving: ServingEfficiency {
                    serving_mfu: placeholder(ctx),
                    weight_bw_eff: placeholder(ctx),
                    kv_bw_eff: placeholder(ctx),
                    step_overhead_us_per_layer: placeholder(ctx),
                    tp_overhead_us_per_layer: placeholder(ctx),
                    moe_efficiency: placeholder(ctx),
                },
                serving_heldout_error_pct: None,
                prov: Provenance::default(),
            }
        }
    };
    let prov = r.finish(ctx);
    Accelerator {
        id,
        name,
        family,
        vendor,
        year,
        era,
        dense_tflops,
        memory_gb,
        memory_tb_per_s,
        power_w,
        interconnect_gb_per_s,
        scale_up_chips,
        scale_out_gb_per_s,
        tp_unit_per_chip,
        offers,
        owned,
        efficiency,
        prov,
    }
}

/// An optional whole count read as a [`Param`] (so the trace shows it with its source): a
/// single number (no range) that is a whole number.
fn whole_opt(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> Option<Param> {
    let p = r.num_opt(key, ctx)?;
    let info = ctx.params.info(p);
    let (ranged, base, origin) = (info.ranged, info.base, info.origin.clone());
    if ranged {
        ctx.diags.err(
            &origin,
            format!("`{key}` of {} is a range; it counts chips or ranks", r.what),
            "give one whole number, e.g. scale_up_chips = 8",
        );
    } else if base.fract() != 0.0 {
        ctx.diags.err(
            &origin,
            format!("`{key}` of {} is {base}, not a whole number", r.what),
            "it counts chips or ranks: give a whole number",
        );
    }
    Some(p)
}

/// Plausibility of a chip's memory and power (docs/config.md "Validation"): a warning naming
/// the key and the likely unit slip when a value is outside what any data-center accelerator
/// has. Bounds, with the shipped extremes they leave room for: memory 1 GB to 4096 GB
/// (shipped: inf1's 8 GiB to mi355x's 288 GB), bandwidth at most 50 TB/s (shipped: at most
/// 8 TB/s), power at least 50 W (shipped: inf1's 75 W base, the smallest).
fn unit_slips(id: &str, memory_gb: Param, memory_tb_per_s: Param, power_w: Param, ctx: &mut Ctx) {
    let mut warn = |p: Param, test: &dyn Fn(f64) -> bool, say: &dyn Fn(&str, f64) -> String| {
        let i = ctx.params.info(p);
        if !i.base.is_finite() || !test(i.base) {
            return;
        }
        let key = i.path.rsplit('.').next().unwrap_or_default().to_string();
        let (origin, msg) = (i.origin.clone(), say(&key, i.base));
        ctx.diags.warn(&origin, msg);
    };
    warn(memory_gb, &|x| x > 4096.0, &|k, x| {
        // Bytes (above 1e9) or MB: say which, with the value converted.
        let (unit, gb) = if x >= 1e9 { ("bytes", x / 1e9) } else { ("MB", x / 1000.0) };
        format!(
            "{k} of `{id}` is {} GB, above 4 TB for one chip: given in {unit}? (write GB: {} {unit} = {})",
            show(x),
            show(x),
            show(gb)
        )
    });
    warn(memory_gb, &|x| x < 1.0, &|k, x| {
        format!(
            "{k} of `{id}` is {} GB, below 1 GB for a data-center accelerator: given in TB? (write GB: 0.192 TB = 192)",
            show(x)
        )
    });
    warn(memory_tb_per_s, &|x| x > 50.0, &|k, x| {
        format!(
            "{k} of `{id}` is {} TB/s, above 50 TB/s: given in GB/s? (write TB/s: 3350 GB/s = 3.35)",
            show(x)
        )
    });
    warn(power_w, &|x| x < 50.0, &|k, x| {
        format!(
            "{k} of `{id}` is {} W, below 50 W for a data-center accelerator: given in kW? (write watts: 0.7 kW = 700)",
            show(x)
        )
    });
}

/// `training_mfu`: a number or range (every precision), or `{ bf16 = .., fp8 = .. }`.
fn training_mfu(r: &mut Reader<'_>, ctx: &mut Ctx) -> Option<TrainingMfu> {
    let n = r.node("training_mfu")?;
    let (check, unit) = (Check::Fraction, "share of dense peak");
    let Value::Table(t) = &n.value else {
        return Some(TrainingMfu::All(r.register("training_mfu", n, check, unit, 1.0, None, ctx)));
    };
    value_map_layers(t, &format!("training_mfu of {}", r.what), ctx);
    let is_range_key = |k: &str| ["low", "base", "high"].contains(&k);
    let precisions: Vec<&str> = t
        .entries
        .iter()
        .map(|e| e.key.as_str())
        .filter(|k| Precision::parse(k).is_some())
        .collect();
    if t.entries.iter().any(|e| is_range_key(&e.key)) && !precisions.is_empty() {
        ctx.diags.err(
            &n.origin,
            format!(
                "training_mfu of {} mixes a range (low, base, high) with precisions ({})",
                r.what,
                precisions.join(", ")
            ),
            "give one form: a number or range for every precision, or one value per precision; `--set` merges into the table, so change the form in a file",
        );
        return Some(TrainingMfu::PerPrecision(Vec::new()));
    }
    if t.entries.is_empty() || t.entries.iter().any(|e| is_range_key(&e.key)) {
        return Some(TrainingMfu::All(r.register("training_mfu", n, check, unit, 1.0, None, ctx)));
    }
    let mut per = Vec::new();
    for e in &t.entries {
        match Precision::parse(&e.key) {
            Some(p) => {
                let key = format!("training_mfu.{}", e.key);
                per.push((p, r.register(&key, &e.node, check, unit, 1.0, None, ctx)));
            }
            None => {
                let names = Precision::NAMES.iter().copied().chain(["low", "base", "high"]);
                let hint = match did_you_mean(&e.key, names) {
                    Some(m) => format!(
                        "did you mean `{m}`? a precision ({}) or low, base, high",
                        Precision::NAMES.join(", ")
                    ),
                    None => format!("a precision ({}) or low, base, high", Precision::NAMES.join(", ")),
                };
                ctx.diags.err(
                    &e.key_origin,
                    format!("unknown key `{}` in training_mfu of {}", e.key, r.what),
                    &hint,
                );
            }
        }
    }
    Some(TrainingMfu::PerPrecision(per))
}

/// A map of values (precision -> number) takes no `source`, `as_of` or `estimates`: the merge
/// of a patch sets them aside as a layer (tree::Layer), so they are reported here, as any other
/// key a map does not know.
fn value_map_layers(t: &Table, what: &str, ctx: &mut Ctx) {
    for l in &t.layers {
        for (key, n) in [("source", &l.source), ("as_of", &l.as_of), ("estimates", &l.estimates)] {
            if let Some(n) = n {
                ctx.diags.err(
                    &n.origin,
                    format!("unknown key `{key}` in {what}"),
                    &format!("give `{key}` in the table that holds the map, not inside it"),
                );
            }
        }
    }
}

/// The serving step model's efficiencies. The v1 roofline keys (`prefill_mfu`, `decode_mfu`,
/// `decode_mbu`) still load with a warning naming their v2 replacements; where a v2 key is
/// absent they stand in for it (`serving_mfu` = prefill_mfu, both bandwidth efficiencies =
/// decode_mbu). Absent overheads are 0 and `moe_efficiency` is 1 (built-in defaults).
fn serving_efficiency(e: &mut Reader<'_>, ctx: &mut Ctx) -> ServingEfficiency {
    let v1_origin = ["prefill_mfu", "decode_mfu", "decode_mbu"]
        .iter()
        .find_map(|k| e.table.get(k).map(|n| n.origin.clone()));
    let prefill = e.num_opt("prefill_mfu", ctx);
    let _decode = e.num_opt("decode_mfu", ctx);
    let mbu = e.num_opt("decode_mbu", ctx);
    if let Some(o) = &v1_origin {
        ctx.diags.warn(
            o,
            format!(
                "{}: prefill_mfu, decode_mfu and decode_mbu are v1 roofline keys; the serving step model reads serving_mfu, weight_bw_eff, kv_bw_eff, step_overhead_us_per_layer, tp_overhead_us_per_layer and moe_efficiency (docs/model.md); where those are absent, serving_mfu = prefill_mfu and weight_bw_eff = kv_bw_eff = decode_mbu",
                e.what
            ),
        );
    }
    let need = |e: &mut Reader<'_>, key: &'static str, v1: Option<Param>, ctx: &mut Ctx| match e.num_opt(key, ctx).or(v1) {
        Some(p) => p,
        None => {
            e.missing(
                key,
                &format!("add {key} = <share> (the serving step model's efficiency; `accel-cost calibrate --fit` fits it)"),
                ctx,
            );
            placeholder(ctx)
        }
    };
    let serving_mfu = need(e, "serving_mfu", prefill, ctx);
    let weight_bw_eff = need(e, "weight_bw_eff", mbu, ctx);
    let kv_bw_eff = match e.num_opt("kv_bw_eff", ctx) {
        Some(p) => p,
        None => mbu.unwrap_or(weight_bw_eff),
    };
    let path = e.path.clone();
    let opt = |e: &mut Reader<'_>, key: &'static str, unit: &'static str, default: f64, ctx: &mut Ctx| {
        e.num_opt(key, ctx)
            .unwrap_or_else(|| default_param(format!("{path}.{key}"), unit, default, "built-in default (no value given)", ctx))
    };
    let step_overhead_us_per_layer = opt(e, "step_overhead_us_per_layer", "us per layer", 0.0, ctx);
    let tp_overhead_us_per_layer = opt(e, "tp_overhead_us_per_layer", "us per layer", 0.0, ctx);
    let moe_efficiency = opt(e, "moe_efficiency", "share of dense efficiency", 1.0, ctx);
    ServingEfficiency {
        serving_mfu,
        weight_bw_eff,
        kv_bw_eff,
        step_overhead_us_per_layer,
        tp_overhead_us_per_layer,
        moe_efficiency,
    }
}

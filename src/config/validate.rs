//! Second stage of loading: the merged raw tree becomes a typed [`Config`]. Every rule of
//! CONFIG.md "Validation" lives here; all problems are collected, not only the first.

use std::collections::HashMap;
use std::sync::Arc;

use super::diag::{did_you_mean, suggest};
use super::reader::{Ctx, Reader, as_f64, check_id, placeholder, read_id, read_number, show, table_of};
use super::schema::{self, Check};
use super::tree::{LIST_KEYS, Node, Origin, Table, Value};
use super::types::*;

fn economics(node: Option<&Node>, ctx: &mut Ctx) -> Economics {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[economics]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut r = Reader::new(table, origin, "economics".into(), &schema::ECONOMICS, ctx);
    let basis_origin = table.get("basis").map_or(Origin::Default, |n| n.origin.clone());
    let basis = r.choice("basis", Basis::parse, ctx).unwrap_or(Basis::OnDemand);
    let market = r.choice("provider_class", Market::parse, ctx).unwrap_or(Market::Hyperscaler);
    let fallback_parse = |s: &str| match s {
        "none" => Some(false),
        "any" => Some(true),
        _ => None,
    };
    let fallback = r.choice("fallback", fallback_parse, ctx).unwrap_or(false);
    let training_goodput = goodput(&mut r, ctx);
    let datacenter_capex_usd_per_mw = r.num_opt("datacenter_capex_usd_per_mw", ctx);
    // Every number of [economics] has a built-in default (the CONFIG.md example).
    let mut num = |key: &'static str, ctx: &mut Ctx| -> Param {
        if let Some(v) = r.num_opt(key, ctx) {
            return v;
        }
        let decl = schema::ECONOMICS.key(key);
        let default = decl.and_then(|k| k.default).unwrap_or(f64::NAN);
        ctx.params.push(ParamInfo {
            path: format!("economics.{key}"),
            unit: decl.map_or("", |k| k.unit),
            low: default,
            base: default,
            high: default,
            ranged: false,
            origin: Origin::Default,
            source: Some(Arc::from("built-in default (CONFIG.md example)")),
            as_of: None,
            estimate: true,
            conversion: None,
        })
    };
    let economics = Economics {
        basis,
        basis_origin,
        market,
        fallback,
        electricity_usd_per_kwh: num("electricity_usd_per_kwh", ctx),
        pue: num("pue", ctx),
        hosting_usd_per_kw_month: num("hosting_usd_per_kw_month", ctx),
        lifetime_years: num("lifetime_years", ctx),
        cost_of_capital: num("cost_of_capital", ctx),
        maintenance_per_year: num("maintenance_per_year", ctx),
        availability: num("availability", ctx),
        load_factor: num("load_factor", ctx),
        system_overhead: num("system_overhead", ctx),
        system_power_factor: num("system_power_factor", ctx),
        usable_memory_fraction: num("usable_memory_fraction", ctx),
        datacenter_capex_usd_per_mw,
        training_bytes_per_param: num("training_bytes_per_param", ctx),
        training_goodput,
        prov: Provenance::default(),
    };
    let elec = ctx.params.info(economics.electricity_usd_per_kwh);
    if elec.high > 1.0 {
        let (x, o) = (elec.high, elec.origin.clone());
        ctx.diags.warn(
            &o,
            format!(
                "economics.electricity_usd_per_kwh is {}, above $1/kWh: a price in cents? (0.08 means 8 cents per kWh)",
                show(x)
            ),
        );
    }
    Economics {
        prov: r.finish(ctx),
        ..economics
    }
}

/// `economics.training_goodput`, or its built-in default range 0.66 / 0.90 / 0.97 (MODEL.md
/// "Training"; a key declaration holds one default, so the range is written here).
fn goodput(r: &mut Reader<'_>, ctx: &mut Ctx) -> Param {
    match r.num_opt("training_goodput", ctx) {
        Some(p) => p,
        None => ctx.params.push(ParamInfo {
            path: "economics.training_goodput".into(),
            unit: "share of paid chip-hours",
            low: 0.66,
            base: 0.90,
            high: 0.97,
            ranged: true,
            origin: Origin::Default,
            source: Some(Arc::from(
                "built-in default (MODEL.md 'Training'): Llama 3 paper (arXiv 2407.21783) '>90% effective training time'; low 0.66 = PaLM 540B's all-in hours vs its 46.2% steady MFU (arXiv 2204.02311)",
            )),
            as_of: None,
            estimate: true,
            conversion: None,
        }),
    }
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

/// `layers`, `attention_width`, `seq_len`: all three or none.
fn attention_shape(r: &mut Reader<'_>, ctx: &mut Ctx) -> Option<AttentionShape> {
    let keys = ["layers", "attention_width", "seq_len"];
    let given: Vec<&str> = keys.iter().copied().filter(|k| r.table.get(k).is_some()).collect();
    let layers = r.int_opt("layers", ctx);
    let width = r.int_opt("attention_width", ctx);
    let seq = r.int_opt("seq_len", ctx);
    if !given.is_empty() && given.len() < 3 {
        let missing: Vec<&str> = keys.iter().copied().filter(|k| !given.contains(k)).collect();
        let origin = r.table.get(given[0]).map_or_else(|| r.origin.clone(), |n| n.origin.clone());
        ctx.diags.err(
            &origin,
            format!("{} gives {} but not {}", r.what, given.join(", "), missing.join(", ")),
            "attention FLOPs need all three: layers, attention_width (query heads x head_dim), seq_len",
        );
    }
    Some(AttentionShape {
        layers: layers? as u64,
        attention_width: width? as u64,
        seq_len: seq? as u64,
    })
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

fn accelerator(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Accelerator {
    let mut r = Reader::new(t, origin.clone(), "accelerator".into(), &schema::ACCELERATOR, ctx);
    let id = read_id(&mut r, "accelerator", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    if t.get("family").is_none() {
        r.missing("family", "add family = \"gpu\" (gpu, trainium, inferentia, tpu or other)", ctx);
    }
    let family = r.choice("family", Family::parse, ctx).unwrap_or(Family::Other);
    let vendor = r.str_opt("vendor", ctx).unwrap_or_default();
    let year = r.int_req("year", ctx) as i32;
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
                                            "dense_tflops.{} of {what} is {}, below 1 TFLOPS: given in PFLOPS? (write TFLOPS: 1.98 PFLOPS = 1979)",
                                            e.key,
                                            show(low)
                                        ),
                                    );
                                }
                                let estimate = r.marks_estimate("dense_tflops", &e.node.origin);
                                let (source, as_of) = r.provenance_for(&e.node.origin);
                                dense_tflops.push((
                                    p,
                                    ctx.params.push(ParamInfo {
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
                                    }),
                                ));
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
    let interconnect_gb_per_s = r.num_opt("interconnect_gb_per_s", ctx);

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
                    price: p,
                    base: info.base,
                    region: region.clone(),
                    estimate: info.estimate,
                    superseded_by: None,
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
                        && let Some(o) = offer(t, item.origin.clone(), &id, &mut seen_offers, ctx)
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
    supersede(&mut offers);
    offer_plausibility(&id, &offers, ctx);
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
            Efficiency {
                training_mfu,
                serving,
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
        dense_tflops,
        memory_gb,
        memory_tb_per_s,
        power_w,
        interconnect_gb_per_s,
        offers,
        owned,
        efficiency,
        prov,
    }
}

/// A built-in default for a key no file gives, recorded like a config number.
fn default_param(path: String, unit: &'static str, value: f64, why: &str, ctx: &mut Ctx) -> Param {
    ctx.params.push(ParamInfo {
        path,
        unit,
        low: value,
        base: value,
        high: value,
        ranged: false,
        origin: Origin::Default,
        source: Some(Arc::from(why)),
        as_of: None,
        estimate: true,
        conversion: None,
    })
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
                "{}: prefill_mfu, decode_mfu and decode_mbu are v1 roofline keys; the serving step model reads serving_mfu, weight_bw_eff, kv_bw_eff, step_overhead_us_per_layer, tp_overhead_us_per_layer and moe_efficiency (MODEL.md); where those are absent, serving_mfu = prefill_mfu and weight_bw_eff = kv_bw_eff = decode_mbu",
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

/// Reads one `[[accelerator.offer]]`.
fn offer(t: &Table, origin: Origin, acc: &str, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Option<Offer> {
    let mut r = Reader::new(t, origin.clone(), format!("accelerator.{acc}.offer"), &schema::OFFER, ctx);
    r.what = format!("[[accelerator.offer]] of `{acc}`");
    let provider = r.str_req("provider", "e.g. provider = \"AWS\"", ctx);
    if t.get("provider_class").is_none() {
        r.missing("provider_class", "hyperscaler, neocloud or negotiated", ctx);
    }
    let class = r.choice("provider_class", ProviderClass::parse, ctx);
    if t.get("term").is_none() {
        r.missing("term", "on_demand, capacity_block, committed_1y, committed_3y or spot", ctx);
    }
    let term = r.choice("term", Term::parse, ctx);
    let id_origin = t.get("id").map_or_else(|| origin.clone(), |n| n.origin.clone());
    let id = match r.str_opt("id", ctx) {
        Some(s) => s,
        None => super::tree::offer_id(t).unwrap_or_default(),
    };
    if !id.is_empty() {
        check_id(&id, &id_origin, "offer", ctx);
        if let Some(first) = seen.get(&id) {
            ctx.diags.err(
                &id_origin,
                format!("two offers of `{acc}` have the id `{id}`; the first is at {first}"),
                "offers are addressed by id (default: <provider>-<term>); give one an `id`, e.g. id = \"aws-on-demand-2025\"",
            );
        } else {
            seen.insert(id.clone(), id_origin);
        }
    }
    r.path = format!("accelerator.{acc}.offer.{id}");
    r.what = if id.is_empty() {
        format!("[[accelerator.offer]] of `{acc}` (provider {provider})")
    } else {
        format!("[[accelerator.offer]] `{id}` of `{acc}`")
    };
    let instance = r.str_opt("instance", ctx);
    let region = r.str_opt("region", ctx);
    let chips = r.int_opt("chips_per_instance", ctx).map(|c| c as u64);
    let flag_origin = t.get("estimate").map(|n| n.origin.clone());
    let flag = match r.node("estimate") {
        None => false,
        Some(Node { value: Value::Bool(b), .. }) => *b,
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`estimate` in {} must be true or false, found {}", r.what, n.value.type_name()),
                "e.g. estimate = true",
            );
            false
        }
    };
    // A later file's or a `--set`'s form replaces the earlier file's other form (a planner
    // cannot remove a key): `--set ...usd_per_chip_hour=2` on an offer priced per instance.
    let (per_chip, per_inst) = (r.node("usd_per_chip_hour"), r.node("usd_per_instance_hour"));
    let (per_chip, per_inst) = r.later_wins(per_chip, per_inst);
    let price = match (per_chip, per_inst, chips) {
        (Some(n), None, _) => Some(r.register("usd_per_chip_hour", n, Check::Positive, "USD/chip-hour", 1.0, None, ctx)),
        (None, Some(n), Some(k)) => {
            let note = format!("usd_per_instance_hour / chips_per_instance ({k})");
            Some(r.register(
                "usd_per_instance_hour",
                n,
                Check::Positive,
                "USD/chip-hour",
                1.0 / k as f64,
                Some(note),
                ctx,
            ))
        }
        (None, Some(n), None) => {
            ctx.diags.err(
                &n.origin,
                format!("{} gives usd_per_instance_hour but no chips_per_instance", r.what),
                "add chips_per_instance = <chips in the instance>, or give usd_per_chip_hour",
            );
            None
        }
        (Some(_), Some(n), _) => {
            ctx.diags.err(
                &n.origin,
                format!("{} gives both usd_per_chip_hour and usd_per_instance_hour", r.what),
                "keep one of them",
            );
            None
        }
        (None, None, _) => {
            r.missing(
                "usd_per_chip_hour",
                "add usd_per_chip_hour = <USD> or usd_per_instance_hour with chips_per_instance",
                ctx,
            );
            None
        }
    };
    if let (Some(p), true, Some(flag_at)) = (price, flag, &flag_origin) {
        // A price from `--set` or a later file's patch is the planner's own: the file's
        // `estimate = true` described the price it replaced.
        let at = &ctx.params.infos[p.0].origin;
        // A planner's own `--set ...estimate=true` marks whatever price the offer has.
        let marks = match (at, flag_at) {
            (Origin::Set(_), _) => flag_at == at,
            (_, Origin::Set(_)) => true,
            _ => t.layer_of(at) == t.layer_of(flag_at),
        };
        if marks {
            ctx.params.infos[p.0].estimate = true;
        }
    }
    if class == Some(ProviderClass::Negotiated) {
        // A planner's own price is a single number by nature: no "give a range" warning.
        r.single_numbers_ok();
    }
    let prov = r.finish(ctx);
    let (class, term, price) = (class?, term?, price?);
    let info = ctx.params.info(price);
    Some(Offer {
        id,
        provider,
        class,
        term,
        instance,
        chips_per_instance: chips,
        price,
        base: info.base,
        region,
        estimate: info.estimate,
        superseded_by: None,
        prov,
    })
}

/// Marks public offers that a newer one of the same provider, term, instance and region
/// replaces (old and new prices both stay in the config; only the newest is chosen).
fn supersede(offers: &mut [Offer]) {
    let key = |o: &Offer| {
        (
            o.provider.to_lowercase(),
            o.term,
            o.instance.clone().unwrap_or_default(),
            o.region.clone().unwrap_or_default(),
        )
    };
    for i in 0..offers.len() {
        if offers[i].class == ProviderClass::Negotiated {
            continue;
        }
        let date = offers[i].prov.as_of.clone().unwrap_or_else(|| Arc::from(""));
        let newer = offers
            .iter()
            .filter(|o| o.class != ProviderClass::Negotiated && key(o) == key(&offers[i]))
            .filter(|o| o.prov.as_of.as_deref().unwrap_or("") > &*date)
            .max_by(|a, b| a.prov.as_of.cmp(&b.prov.as_of))
            .map(|o| o.id.clone());
        offers[i].superseded_by = newer;
    }
}

/// Plausibility of prices (CONFIG.md "Validation"): warnings, each naming the likely slip.
///
/// Besides the fixed bounds, a price is weighed against the chip's other offers (their
/// per-chip base prices: the cheapest `lo`, the dearest `hi`, and `m`, the lower median, which
/// one odd offer cannot drag):
/// - a negotiated per-chip price above `2 hi` whose hundredth lies in `[lo / 2, 3 m]`: a price
///   in cents;
/// - an instance price (`chips_per_instance` k >= 4) whose per-chip price is under `lo / 2`
///   while the instance price as typed lies in `[lo / 2, 3 m]`: the per-chip price typed as the
///   instance price. With k >= 4 the two readings differ at least 4x; the shipped offers
///   (spot at a third of on-demand, k = 2 instances) stay clear of both rules.
///
/// A warning is about the odd value, never about an offer that only looks odd next to another
/// odd one: an offer found odd is weighed again without the other offers found odd, and warned
/// about only if it still is (a planner's price in cents does not make the shipped spot offer
/// look like a per-chip price typed as the instance price).
fn offer_plausibility(acc: &str, offers: &[Offer], ctx: &mut Ctx) {
    let none = vec![false; offers.len()];
    let odd: Vec<bool> = (0..offers.len())
        .map(|n| offer_slip(acc, offers, n, &none, ctx).is_some())
        .collect();
    for n in 0..offers.len() {
        if !odd[n] {
            continue;
        }
        let mut others_odd = odd.clone();
        others_odd[n] = false;
        if let Some((origin, message)) = offer_slip(acc, offers, n, &others_odd, ctx) {
            ctx.diags.warn(&origin, message);
        }
    }
}

/// The likely slip of offer `n` of `offers`, weighed against the offers not `excluded`: where
/// it is and what to say.
fn offer_slip(acc: &str, offers: &[Offer], n: usize, excluded: &[bool], ctx: &Ctx) -> Option<(Origin, String)> {
    let o = &offers[n];
    let info = ctx.params.info(o.price);
    let key = info.path.rsplit('.').next().unwrap_or("usd_per_chip_hour").to_string();
    let mut others: Vec<&Offer> = offers
        .iter()
        .enumerate()
        .filter(|(m, x)| *m != n && !excluded.get(*m).copied().unwrap_or(false) && x.base.is_finite() && x.base > 0.0)
        .map(|(_, x)| x)
        .collect();
    others.sort_by(|a, b| a.base.total_cmp(&b.base));
    let cheapest = others.first().copied();
    let hi = others.last().map_or(f64::NAN, |x| x.base);
    // The lower median: with two others, the cheaper one.
    let median = others.get(others.len().saturating_sub(1) / 2).map_or(f64::NAN, |x| x.base);
    let within = |x: f64, lo: f64| x >= lo / 2.0 && x <= 3.0 * median;
    if let Some(c) = cheapest
        && o.class == ProviderClass::Negotiated
        && info.conversion.is_none()
        && o.base > 2.0 * hi
        && within(o.base / 100.0, c.base)
    {
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of negotiated offer `{}` of `{acc}` is {}, about 100 x the chip's other offers ({} to {} USD per chip-hour): a price in cents? (write {key} = {})",
                o.id,
                show(o.base),
                show(c.base),
                show(hi),
                show(o.base / 100.0)
            ),
        ));
    }
    if let (Some(c), Some(k)) = (cheapest, o.chips_per_instance)
        && info.conversion.is_some()
        && k >= 4
        && o.base < c.base / 2.0
        && within(o.base * k as f64, c.base)
    {
        let typed = o.base * k as f64;
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of offer `{}` of `{acc}` is {} for {k} chips: {} USD per chip-hour, under half the cheapest other offer of this chip (`{}`, {}): the per-chip price typed as the instance price? (write usd_per_chip_hour = {}, or usd_per_instance_hour = {})",
                o.id,
                show(typed),
                show(o.base),
                c.id,
                show(c.base),
                show(typed),
                show(typed * k as f64)
            ),
        ));
    }
    if info.high > 100.0 {
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of offer `{}` of `{acc}` gives {} USD per chip-hour, above $100/h: an instance price typed as a per-chip price? (give usd_per_instance_hour with chips_per_instance)",
                o.id,
                show(info.high)
            ),
        ));
    }
    if info.conversion.is_some() {
        return None;
    }
    for (m, other) in offers.iter().enumerate() {
        if other.id == o.id || excluded.get(m).copied().unwrap_or(false) {
            continue;
        }
        let Some(k) = other.chips_per_instance.filter(|k| *k > 1) else {
            continue;
        };
        let inst = other.base * k as f64;
        if (o.base - inst).abs() <= 1e-3 * inst {
            return Some((
                info.origin.clone(),
                format!(
                    "`{key}` of offer `{}` of `{acc}` is {}, which is {k} x the per-chip price of offer `{}` (its instance price): an instance price typed as a per-chip price?",
                    o.id,
                    show(o.base),
                    other.id
                ),
            ));
        }
    }
    None
}

/// Warns on a `params_b` above 1e5 (billions): parameters typed in units.
fn params_plausible(r: &Reader<'_>, params_b: Param, ctx: &mut Ctx) {
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

fn read_precision(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> Option<Precision> {
    r.choice(key, Precision::parse, ctx)
}

fn active_params(r: &mut Reader<'_>, params_b: Param, ctx: &mut Ctx) -> Param {
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

fn training(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Training {
    let mut r = Reader::new(t, origin, "training".into(), &schema::TRAINING, ctx);
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
    let attention = attention_shape(&mut r, ctx);
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

fn inference(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Inference {
    let mut r = Reader::new(t, origin.clone(), "inference".into(), &schema::INFERENCE, ctx);
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
    let heads = r.int_opt("heads", ctx).map(|h| h as u64);
    let attention_width = r.num_opt("attention_width", ctx);
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
            "built-in default engine cap (MODEL.md: max_batch defaults to 256)",
            ctx,
        ),
    };
    let min_tokens_per_s_per_user = r.num_opt("min_tokens_per_s_per_user", ctx);
    let chips_per_replica = r.int_opt("chips_per_replica", ctx).map(|c| c as u64);
    let utilization = r.num_req("utilization", ctx);
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
        kv_precision,
        kv,
        input_tokens,
        output_tokens,
        layers,
        heads,
        attention_width,
        hidden,
        experts,
        shared_params_b,
        batch,
        max_batch,
        min_tokens_per_s_per_user,
        chips_per_replica,
        utilization,
        benchmark,
        prov: r.finish(ctx),
    }
}

fn measured(t: &Table, origin: Origin, ctx: &mut Ctx) -> Measured {
    let mut r = Reader::new(t, origin, "measured".into(), &schema::MEASURED, ctx);
    let workload_origin = t.get("workload").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let accelerator_origin = t.get("accelerator").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let workload = r.str_req("workload", "the id of an [[inference]] workload", ctx);
    let accelerator = r.str_req("accelerator", "the id of an [[accelerator]]", ctx);
    let or_q = |s: &str| if s.is_empty() { "?".to_string() } else { s.to_string() };
    r.path = format!("measured.{}.{}", or_q(&workload), or_q(&accelerator));
    r.what = format!("[[measured]] {} on {}", or_q(&workload), or_q(&accelerator));
    let output_tokens_per_s_per_chip = r.num_req("output_tokens_per_s_per_chip", ctx);
    let tokens_per_s_per_user = r.num_opt("tokens_per_s_per_user", ctx);
    Measured {
        workload,
        accelerator,
        workload_origin,
        accelerator_origin,
        output_tokens_per_s_per_chip,
        tokens_per_s_per_user,
        prov: r.finish(ctx),
    }
}

fn calibration(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Calibration {
    let mut r = Reader::new(t, origin, "calibration".into(), &schema::CALIBRATION, ctx);
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

/// A plain (not ranged) number of a report setting; its declared default when absent.
fn plain(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> f64 {
    let default = r.decl.key(key).and_then(|k| k.default).unwrap_or(f64::NAN);
    let Some(n) = r.node(key) else { return default };
    let what = r.what.clone();
    match &n.value {
        Value::Table(_) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {what} must be a single number"),
                "report settings take no ranges",
            );
            default
        }
        _ => read_number(n, key, &what, Check::Positive, ctx).map_or(default, |v| v.1),
    }
}

fn pair(r: &mut Reader<'_>, key: &'static str, default: (f64, f64), ctx: &mut Ctx) -> (f64, f64) {
    let Some(n) = r.node(key) else { return default };
    let vals: Option<Vec<f64>> = match &n.value {
        Value::Array(items) => items.iter().map(|i| as_f64(&i.value)).collect(),
        _ => None,
    };
    match vals.as_deref() {
        Some(&[a, b]) if a.is_finite() && b.is_finite() && a > 0.0 && a < b => (a, b),
        _ => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {} must be [from, to] with 0 < from < to", r.what),
                &format!("e.g. {key} = [1, 2000]"),
            );
            default
        }
    }
}

/// `[report]`; `workloads` (training and inference) bound the memory the Monte Carlo takes.
fn report(node: Option<&Node>, workloads: usize, ctx: &mut Ctx) -> (Report, Vec<(String, Origin)>) {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[report]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut refs = Vec::new();
    let mut r = Reader::new(table, origin, "report".into(), &schema::REPORT, ctx);
    let title = r.str_opt("title", ctx).unwrap_or_else(|| "The compute cost revolution".into());
    let mut accelerators = Vec::new();
    if let Some(n) = r.node("accelerators") {
        match &n.value {
            // `[]` would draw every chip, as leaving the key out does: surely not what was meant.
            Value::Array(items) if items.is_empty() => ctx.diags.err(
                &n.origin,
                "report.accelerators is empty: no chip to draw".into(),
                "remove `accelerators` to draw every chip, or name some, e.g. accelerators = [\"h100-sxm\", \"trn2\"]",
            ),
            Value::Array(items) => {
                let mut named: Vec<(&str, &Origin)> = Vec::new();
                for i in items {
                    match &i.value {
                        Value::Str(s) => match named.iter().find(|(a, _)| a == s) {
                            Some((_, first)) => ctx.diags.warn(
                                &i.origin,
                                format!(
                                    "accelerator `{s}` is named twice in report.accelerators; the first is at {first} (it is drawn once)"
                                ),
                            ),
                            None => {
                                named.push((s, &i.origin));
                                accelerators.push(s.clone());
                                refs.push((format!("accelerator:{s}"), i.origin.clone()));
                            }
                        },
                        v => ctx
                            .diags
                            .err(&i.origin, format!("report.accelerators lists ids, found {}", v.type_name()), ""),
                    }
                }
            }
            v => ctx.diags.err(
                &n.origin,
                format!("report.accelerators must be an array of ids, found {}", v.type_name()),
                "e.g. accelerators = [\"h100-sxm\", \"trn2\"]",
            ),
        }
    }
    let mut ref_str = |r: &mut Reader<'_>, key: &'static str, kind: &str, ctx: &mut Ctx| -> Option<String> {
        let origin = r.table.get(key).map(|n| n.origin.clone());
        let s = r.str_opt(key, ctx)?;
        refs.push((format!("{kind}:{s}"), origin.unwrap_or(Origin::Default)));
        Some(s)
    };
    let reference = ref_str(&mut r, "reference", "accelerator", ctx);
    let inference_workload = ref_str(&mut r, "inference_workload", "inference", ctx);
    let training_workload = ref_str(&mut r, "training_workload", "training", ctx);
    let tornado_accelerator = ref_str(&mut r, "tornado_accelerator", "accelerator", ctx);
    let fleet_budget_usd = plain(&mut r, "fleet_budget_usd", ctx);
    let fleet_power_mw = plain(&mut r, "fleet_power_mw", ctx);
    // Epoch AI, "Trends in GPU price-performance": ML GPUs double every 2.07 years.
    let doubling = plain(&mut r, "price_performance_doubling_years", ctx);
    let max_chips_per_replica = r.int_opt("max_chips_per_replica", ctx).unwrap_or(64) as u64;
    if let Some(n) = r.node("use_measured") {
        ctx.diags.warn(
            &n.origin,
            "report.use_measured is deprecated and ignored: benchmarks ([[measured]]) check the model in `calibrate`, they never replace it (MODEL.md v2)".to_string(),
        );
    }
    let charts = r.node("charts").map(|n| report_charts(n, ctx)).unwrap_or_default();
    let (mut params_range, mut tpp, mut batch_range) = ((1.0, 2000.0), 20.0, (1.0, 512.0));
    if let Some(mut s) = r.sub("training_sweep", ctx) {
        params_range = pair(&mut s, "params_b", params_range, ctx);
        tpp = plain(&mut s, "tokens_per_param", ctx);
        s.finish(ctx);
    }
    if let Some(mut s) = r.sub("inference_sweep", ctx) {
        batch_range = pair(&mut s, "batch", batch_range, ctx);
        s.finish(ctx);
    }
    let (mut samples, mut seed) = (2000, 42);
    let mut samples_origin = Origin::Default;
    if let Some(mut s) = r.sub("monte_carlo", ctx) {
        samples = s.int_opt("samples", ctx).unwrap_or(samples as i64) as u32;
        seed = s.int_opt("seed", ctx).unwrap_or(seed as i64) as u64;
        samples_origin = s.table.get("samples").map_or_else(|| s.origin.clone(), |n| n.origin.clone());
        s.finish(ctx);
    }
    // Memory grows with the draws: bounded here, with the key to change, rather than found out
    // as an allocation failure halfway through a report (`model::uncertainty::draw_bytes`).
    let ranged = ctx.params.ranged().count();
    let bytes = crate::model::uncertainty::draw_bytes(u64::from(samples), ranged, workloads);
    let limit = crate::model::uncertainty::MAX_DRAW_BYTES;
    if bytes > limit {
        let fits = limit / crate::model::uncertainty::draw_bytes(1, ranged, workloads).max(1);
        ctx.diags.err(
            &samples_origin,
            format!(
                "report.monte_carlo.samples = {samples} over {ranged} ranged inputs and {workloads} workloads needs about {:.1} GB, above the {} GB this tool allows",
                bytes as f64 / 1e9,
                limit / 1_000_000_000
            ),
            &format!("set report.monte_carlo.samples to at most {fits} (2000 gives P10/P90 within a few percent), or give fewer inputs a range"),
        );
    }
    r.finish(ctx);
    (
        Report {
            title,
            accelerators,
            reference: reference.unwrap_or_default(),
            training_sweep_params_b: params_range,
            tokens_per_param: tpp,
            inference_sweep_batch: batch_range,
            inference_workload,
            training_workload,
            fleet_budget_usd,
            fleet_power_mw,
            samples,
            seed,
            tornado_accelerator,
            price_performance_doubling_years: doubling,
            max_chips_per_replica,
            charts,
        },
        refs,
    )
}

/// The chart each retired chart's figures moved to, if any (a name of `CHARTS`).
const RETIRED_REPLACEMENTS: [(&str, &str); 1] = [("model-size", "headline")];

/// `report.charts`: chart names, each once. An unknown name is an error with the nearest one;
/// `[]` is an error (leave the key out to draw every chart); a retired name is a warning naming
/// the chart that shows its figures, if one does, and a list of retired names only is an error
/// (it would draw every chart); a name given twice is a warning at the second.
fn report_charts(n: &Node, ctx: &mut Ctx) -> Vec<String> {
    let known = crate::report::charts::names();
    let retired = crate::report::charts::RETIRED;
    let replacement = |name: &str| {
        RETIRED_REPLACEMENTS
            .iter()
            .find(|(r, with)| *r == name && known.contains(with))
            .map(|(_, with)| *with)
    };
    let items = match &n.value {
        Value::Array(items) => items,
        v => {
            ctx.diags.err(
                &n.origin,
                format!("report.charts must be an array of chart names, found {}", v.type_name()),
                "e.g. charts = [\"headline\", \"tco\"]",
            );
            return Vec::new();
        }
    };
    if items.is_empty() {
        ctx.diags.err(
            &n.origin,
            "report.charts is empty: no chart to draw".into(),
            &format!("remove `charts` to draw every chart, or name some: {}", known.join(", ")),
        );
        return Vec::new();
    }
    let mut charts: Vec<(String, Origin)> = Vec::new();
    let mut retired_named = Vec::new();
    for i in items {
        match &i.value {
            Value::Str(s) if known.contains(&s.as_str()) => match charts.iter().find(|(c, _)| c == s) {
                Some((_, first)) => ctx.diags.warn(
                    &i.origin,
                    format!("chart `{s}` is named twice in report.charts; the first is at {first} (it is drawn once)"),
                ),
                None => charts.push((s.clone(), i.origin.clone())),
            },
            Value::Str(s) if retired.iter().any(|(r, _)| r == s) => {
                let why = retired.iter().find(|(r, _)| r == s).map_or("", |r| r.1);
                let instead = replacement(s).map(|w| format!("; see `{w}`")).unwrap_or_default();
                ctx.diags
                    .warn(&i.origin, format!("chart `{s}` is retired and not drawn: {why}{instead}"));
                retired_named.push(s.as_str());
            }
            Value::Str(s) => {
                let hint = suggest(s, known.iter().copied(), || format!("charts: {}", known.join(", ")));
                ctx.diags.err(&i.origin, format!("unknown chart `{s}` in report.charts"), &hint);
            }
            v => ctx
                .diags
                .err(&i.origin, format!("report.charts lists chart names, found {}", v.type_name()), ""),
        }
    }
    if charts.is_empty() && !retired_named.is_empty() && !ctx.diags.has_errors() {
        let instead: Vec<&str> = retired_named.iter().filter_map(|r| replacement(r)).collect();
        let hint = if instead.is_empty() {
            format!("name charts to draw ({}), or remove `charts` to draw every chart", known.join(", "))
        } else {
            format!(
                "e.g. charts = [{}]; or remove `charts` to draw every chart",
                instead.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ")
            )
        };
        ctx.diags.err(
            &n.origin,
            format!(
                "report.charts names only retired charts ({}): nothing to draw",
                retired_named.join(", ")
            ),
            &hint,
        );
    }
    charts.into_iter().map(|(c, _)| c).collect()
}

/// Items of one root list, each a table with its origin.
fn list_items<'t>(root: &'t Table, key: &str, ctx: &mut Ctx) -> Vec<(&'t Table, Origin)> {
    match root.get(key) {
        None => Vec::new(),
        Some(Node {
            value: Value::Array(items),
            ..
        }) => items
            .iter()
            .filter_map(|n| table_of(n, &format!("each [[{key}]] entry"), ctx).map(|t| (t, n.origin.clone())))
            .collect(),
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` must be a list of tables, found {}", n.value.type_name()),
                &format!("write each entry under its own [[{key}]] header"),
            );
            Vec::new()
        }
    }
}

/// Reads one list entry with `read`. An entry whose id an earlier one has shows only the
/// duplicate error: its other problems (a missing key, say) would change with the fix (rename
/// it, or make it a patch), so listing them is noise.
fn entry<T>(
    t: &Table,
    origin: Origin,
    seen: &mut HashMap<String, Origin>,
    ctx: &mut Ctx,
    read: fn(&Table, Origin, &mut HashMap<String, Origin>, &mut Ctx) -> T,
) -> T {
    let start = ctx.diags.items.len();
    let repeated = t.id().is_some_and(|id| seen.contains_key(id));
    let value = read(t, origin, seen, ctx);
    if repeated {
        let mut own = ctx.diags.items.split_off(start);
        own.retain(|d| d.message.starts_with("duplicate "));
        ctx.diags.items.extend(own);
    }
    value
}

/// Validates the merged tree. Returns the config, or every error found.
pub(super) fn validate(root: &Table, ctx: &mut Ctx) -> Option<ConfigParts> {
    let known: Vec<&str> = schema::ROOT.iter().map(|t| t.name).collect();
    for e in &root.entries {
        if !known.contains(&e.key.as_str()) {
            let hint = suggest(&e.key, known.iter().copied(), || {
                format!(
                    "top-level keys: [economics], [report], {}",
                    LIST_KEYS.map(|k| format!("[[{k}]]")).join(", ")
                )
            });
            ctx.diags.err(&e.key_origin, format!("unknown top-level key `{}`", e.key), &hint);
        }
    }
    let economics = economics(root.get("economics"), ctx);
    let mut seen = HashMap::new();
    let accelerators: Vec<Accelerator> = list_items(root, "accelerator", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, accelerator))
        .collect();
    let mut seen = HashMap::new();
    let training: Vec<Training> = list_items(root, "training", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, training))
        .collect();
    let mut seen = HashMap::new();
    let inference: Vec<Inference> = list_items(root, "inference", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, inference))
        .collect();
    let measured: Vec<Measured> = list_items(root, "measured", ctx)
        .into_iter()
        .map(|(t, o)| measured(t, o, ctx))
        .collect();
    let mut seen = HashMap::new();
    let calibration: Vec<Calibration> = list_items(root, "calibration", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, calibration))
        .collect();
    let (report, refs) = report(root.get("report"), training.len() + inference.len(), ctx);

    // One benchmark per workload x accelerator: a second one would be ignored in silence.
    let mut first: HashMap<(&str, &str), &Origin> = HashMap::new();
    for m in measured.iter().filter(|m| !m.workload.is_empty() && !m.accelerator.is_empty()) {
        if let Some(prev) = first.insert((m.workload.as_str(), m.accelerator.as_str()), &m.workload_origin) {
            ctx.diags.err(
                &m.workload_origin,
                format!(
                    "a second [[measured]] for `{}` on `{}`; the first is at {prev}",
                    m.workload, m.accelerator
                ),
                "keep one benchmark per workload and accelerator (a spread of results can be a range { low, base, high })",
            );
            first.insert((m.workload.as_str(), m.accelerator.as_str()), prev);
        }
    }

    let mut parts = ConfigParts {
        economics,
        accelerators,
        training,
        inference,
        measured,
        calibration,
        report,
    };
    super::xref::resolve(&mut parts, refs, ctx);
    let accelerators = &parts.accelerators;
    if accelerators.is_empty() && !ctx.diags.has_errors() {
        let origin = match ctx.files.as_slice() {
            [one] => Origin::File {
                file: one.as_str().into(),
                line: 1,
                col: 1,
            },
            _ => Origin::Default,
        };
        ctx.diags.err(
            &origin,
            format!("no [[accelerator]] entries were loaded from {}", ctx.files.join(", ")),
            "point --config at a folder with accelerator files, or run `accel-cost init DIR`",
        );
    }
    if ctx.diags.has_errors() {
        return None;
    }
    Some(parts)
}

pub(super) struct ConfigParts {
    pub economics: Economics,
    pub accelerators: Vec<Accelerator>,
    pub training: Vec<Training>,
    pub inference: Vec<Inference>,
    pub measured: Vec<Measured>,
    pub calibration: Vec<Calibration>,
    pub report: Report,
}

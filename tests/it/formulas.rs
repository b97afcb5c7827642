//! `estimate --json` against an independent computation of docs/model.md: this file reads the TOML
//! with the plain `toml` crate (not the tool's loader) and writes every formula out again, so
//! a slip in either is caught. Agreement is required to a relative 1e-9.

use std::path::Path;

use serde_json::Value as J;
use toml::{Table, Value};

use crate::common::{fixture, root, run, stdout};

/// Every `*.toml` below `dir`, merged as docs/config.md says (lists concatenate, tables merge).
fn merged(dir: &Path) -> Table {
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).expect("fixture folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut root = Table::new();
    for f in files {
        let t: Table = toml::from_str(&std::fs::read_to_string(&f).expect("read")).expect("toml");
        for (k, v) in t {
            match (root.get_mut(&k), v) {
                (Some(Value::Array(a)), Value::Array(b)) => a.extend(b),
                (Some(Value::Table(a)), Value::Table(b)) => a.extend(b),
                (_, v) => {
                    root.insert(k, v);
                }
            }
        }
    }
    root
}

/// A number or the base of a range.
fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Table(t) => num(t.get("base")),
        _ => None,
    }
}

fn list<'a>(root: &'a Table, key: &str) -> Vec<&'a Table> {
    root.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_table).collect())
        .unwrap_or_default()
}

fn bytes(p: &str) -> f64 {
    match p {
        "fp32" | "tf32" => 4.0,
        "bf16" | "fp16" => 2.0,
        "fp8" | "int8" => 1.0,
        "fp4" => 0.5625,
        "mxfp4" => 0.53125,
        _ => 0.5,
    }
}

struct Econ<'a>(&'a Table);

impl Econ<'_> {
    fn get(&self, k: &str, default: f64) -> f64 {
        num(self.0.get(k)).unwrap_or(default)
    }
}

/// `training_mfu` at `prec`: a number or range applies to every precision; a table of
/// precisions gives each its own (docs/config.md).
fn training_mfu(eff: &Table, prec: &str) -> Option<f64> {
    match eff.get("training_mfu")? {
        Value::Table(t) if !t.contains_key("base") => num(t.get(prec)),
        v => num(Some(v)),
    }
}

/// USD per chip-hour by basis, written out from docs/model.md.
fn price(e: &Econ<'_>, acc: &Table) -> Option<f64> {
    let basis = e.0.get("basis").and_then(Value::as_str).unwrap_or("on_demand");
    let sub = |k: &str| acc.get(k).and_then(Value::as_table);
    let basis = if basis == "committed" { "committed_1y" } else { basis };
    match basis {
        "on_demand" | "capacity_block" | "committed_1y" | "committed_3y" => offer_price(e, acc, basis),
        _ => {
            let o = sub("owned")?;
            let so = num(o.get("system_overhead")).unwrap_or(e.get("system_overhead", 0.5));
            let capex = num(o.get("chip_usd"))? * (1.0 + so);
            let r = e.get("cost_of_capital", 0.08);
            let l = e.get("lifetime_years", 5.0);
            let crf = if r == 0.0 { 1.0 / l } else { r / (1.0 - (1.0 + r).powf(-l)) };
            let kw = num(acc.get("power_w"))? * e.get("system_power_factor", 1.4) / 1000.0;
            let fixed = capex * (crf + e.get("maintenance_per_year", 0.03)) + kw * e.get("hosting_usd_per_kw_month", 150.0) * 12.0;
            Some(
                fixed / (8760.0 * e.get("availability", 0.97))
                    + kw * e.get("load_factor", 0.8) * e.get("pue", 1.2) * e.get("electricity_usd_per_kwh", 0.08),
            )
        }
    }
}

/// docs/model.md "offers and the basis", written out: a negotiated offer of the term wins; else the
/// cheapest of the market (hyperscaler by default) among offers no newer offer of the same
/// provider, term, instance and region replaces. (No fallback: the shipped configs set none.)
fn offer_price(e: &Econ<'_>, acc: &Table, term: &str) -> Option<f64> {
    let market = e.0.get("provider_class").and_then(Value::as_str).unwrap_or("hyperscaler");
    let s = |t: &Table, k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut offers: Vec<(String, String, String, String, String, String, f64)> = Vec::new();
    if let Some(c) = acc.get("cloud").and_then(Value::as_table) {
        let class = c.get("provider_class").and_then(Value::as_str).unwrap_or("hyperscaler").to_string();
        for (k, t) in [
            ("on_demand_usd_per_chip_hour", "on_demand"),
            ("committed_usd_per_chip_hour", "committed_1y"),
        ] {
            if let Some(p) = num(c.get(k)) {
                offers.push((
                    s(c, "provider"),
                    class.clone(),
                    t.into(),
                    s(c, "instance"),
                    s(c, "region"),
                    s(c, "as_of"),
                    p,
                ));
            }
        }
    }
    for o in acc
        .get("offer")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_table)
    {
        let p =
            num(o.get("usd_per_chip_hour")).or_else(|| Some(num(o.get("usd_per_instance_hour"))? / num(o.get("chips_per_instance"))?))?;
        let term = s(o, "term");
        let term = if term == "committed" { "committed_1y".into() } else { term };
        offers.push((
            s(o, "provider").to_lowercase(),
            s(o, "provider_class"),
            term,
            s(o, "instance"),
            s(o, "region"),
            s(o, "as_of"),
            p,
        ));
    }
    let current = |o: &&(String, String, String, String, String, String, f64)| {
        o.1 == "negotiated"
            || !offers
                .iter()
                .any(|x| x.1 != "negotiated" && (&x.0, &x.2, &x.3, &x.4) == (&o.0, &o.2, &o.3, &o.4) && x.5 > o.5)
    };
    let min = |f: &dyn Fn(&str) -> bool| {
        offers
            .iter()
            .filter(current)
            .filter(|o| o.2 == term && f(&o.1))
            .map(|o| o.6)
            .reduce(f64::min)
    };
    min(&|c| c == "negotiated").or_else(|| min(&|c| c != "negotiated" && (market == "any" || c == market)))
}

fn memory_gb(acc: &Table) -> f64 {
    num(acc.get("memory_gb")).unwrap_or_else(|| num(acc.get("memory_gib")).unwrap_or(0.0) * 1.073_741_824)
}

fn bandwidth_tb(acc: &Table) -> f64 {
    num(acc.get("memory_tb_per_s")).unwrap_or_else(|| num(acc.get("memory_gib_per_s")).unwrap_or(0.0) * 1.073_741_824 / 1000.0)
}

fn close(got: f64, want: f64, what: &str) {
    let rel = ((got - want) / want).abs();
    assert!(
        rel <= 1e-9 || (got == want),
        "{what}: tool {got} vs independent {want} (rel {rel:e})"
    );
}

fn estimate_json(dir: &Path, workload: &str) -> J {
    // Point figures only: one Monte Carlo draw (no bands) keeps the debug run fast.
    let o = run(&[
        "estimate",
        "-c",
        dir.to_str().expect("utf-8"),
        "--workload",
        workload,
        "--json",
        "--set",
        "report.monte_carlo.samples=1",
        // The independent computation prices from the basis only (no fallback).
        "--set",
        "economics.fallback=none",
    ]);
    assert_eq!(o.status.code(), Some(0), "estimate failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&stdout(&o)).expect("json")
}

fn find<'a>(results: &'a J, id: &str) -> Option<&'a J> {
    results.as_array()?.iter().find(|r| r["accelerator"] == id)
}

/// Checks every training and inference row of every workload in `dir`.
fn check_folder(dir: &Path) -> usize {
    let root = merged(dir);
    let empty = Table::new();
    let e = Econ(root.get("economics").and_then(Value::as_table).unwrap_or(&empty));
    // `estimate` without --accelerator costs today's chips (era current, the default); legacy
    // and next-generation chips are costed only when named.
    let accs: Vec<_> = list(&root, "accelerator")
        .into_iter()
        .filter(|a| a.get("era").and_then(Value::as_str).is_none_or(|e| e == "current"))
        .collect();
    let mut checked = 0;
    for w in list(&root, "training") {
        let id = w["id"].as_str().expect("id");
        let out = estimate_json(dir, id);
        let prec = w["precision"].as_str().expect("precision");
        for acc in &accs {
            let aid = acc["id"].as_str().expect("id");
            let eff = acc["efficiency"].as_table().expect("efficiency");
            let (Some(tf), Some(mfu), Some(usd)) = (num(acc["dense_tflops"].get(prec)), training_mfu(eff, prec), price(&e, acc)) else {
                assert!(find(&out["results"], aid).is_none(), "{id}/{aid} should be skipped");
                continue;
            };
            let row = find(&out["results"], aid).unwrap_or_else(|| panic!("{id}/{aid} missing"));
            let p = num(w.get("params_b")).expect("params") * 1e9;
            let n = num(w.get("active_params_b")).map_or(p, |a| a * 1e9);
            let d = num(w.get("tokens_t")).expect("tokens") * 1e12;
            // docs/model.md "Training": C = 6ND + a * layers * attention_width * seq_len * D,
            // a = 6 causal (default), 12 full.
            let a_coef = if w.get("attention").and_then(Value::as_str) == Some("full") {
                12.0
            } else {
                6.0
            };
            let shape = match (num(w.get("layers")), num(w.get("attention_width")), num(w.get("seq_len"))) {
                (Some(l), Some(a), Some(s)) => Some((l, a, s)),
                _ => None,
            };
            let attn = shape.filter(|_| w.get("flops").is_none()).map(|(l, a, s)| a_coef * l * a * s * d);
            let c = num(w.get("flops")).unwrap_or(6.0 * n * d + attn.unwrap_or(0.0));
            let goodput = e.get("training_goodput", 0.90);
            // A mixture of experts delivers economics.training_moe_efficiency(_fp8) of the dense MFU,
            // scaled by (active / 10e9)^training_moe_active_exponent, at most 1.
            let moe = if n < p {
                let e10 = if prec == "fp8" {
                    e.get("training_moe_efficiency_fp8", 0.359)
                } else {
                    e.get("training_moe_efficiency", 0.506)
                };
                (e10 * (n / 1e10).powf(e.get("training_moe_active_exponent", 0.0))).min(1.0)
            } else {
                1.0
            };
            let chip_hours = c / (tf * 1e12 * mfu * moe) / goodput / 3600.0;
            close(row["flops"].as_f64().unwrap_or(0.0), c, "flops");
            close(row["goodput"].as_f64().unwrap_or(0.0), goodput, "goodput");
            match attn {
                Some(a) => close(row["attention_flops"].as_f64().unwrap_or(0.0), a, "attention_flops"),
                None => assert!(row["attention_flops"].is_null(), "{id}/{aid}: attention_flops should be null"),
            }
            close(row["chip_hours"].as_f64().unwrap_or(0.0), chip_hours, "chip_hours");
            if let Some(chips) = w.get("chips").and_then(Value::as_integer) {
                let wall_h = chip_hours / chips as f64;
                close(row["wall_days"].as_f64().unwrap_or(0.0), wall_h / 24.0, "wall_days");
                // Billed: whole instances, hours up to the increment (at most one day more).
                // (The owned basis bills nothing: no billed figures, cost from used chip-hours.)
                if let (Some(bc), Some(bh)) = (row["billed_chips"].as_f64(), row["billed_hours"].as_f64()) {
                    assert!(
                        bc >= chips as f64 && bh >= wall_h * (1.0 - 1e-9) && bh <= wall_h + 24.0,
                        "{id}/{aid} billed {row}"
                    );
                    close(row["billed_chip_hours"].as_f64().unwrap_or(0.0), bc * bh, "billed_chip_hours");
                    close(row["cost_usd"].as_f64().unwrap_or(0.0), bc * bh * usd, "cost_usd");
                } else {
                    assert_eq!(row["offer"]["term"], "owned", "{id}/{aid}: billed figures missing {row}");
                    close(row["cost_usd"].as_f64().unwrap_or(0.0), chip_hours * usd, "cost_usd");
                }
            } else {
                close(row["cost_usd"].as_f64().unwrap_or(0.0), chip_hours * usd, "cost_usd");
            }
            // Sharded state, plus activations (micro-batch 1, full recompute) and two gathered
            // layers per chip where the shape is known (a MoE's experts expert-parallel: the
            // active parameters' layers).
            let gathered_params = if n < p { n } else { p };
            // Activations are each layer's input: `hidden` wide (default attention_width).
            let room = memory_gb(acc) * 1e9 * e.get("usable_memory_fraction", 0.9)
                - shape.map_or(0.0, |(l, a, s)| {
                    l * s * num(w.get("hidden")).unwrap_or(a) * 2.0 + 2.0 * gathered_params / l * 2.0
                });
            // No room left on one chip: no cluster holds it (the maximum count).
            let min = if room <= 0.0 {
                u64::MAX as f64
            } else {
                (p * e.get("training_bytes_per_param", 16.0) / room).ceil().max(1.0)
            };
            assert_eq!(row["min_chips"].as_f64(), Some(min), "{id}/{aid} min_chips");
            let kw = num(acc.get("power_w")).expect("power") * e.get("system_power_factor", 1.4) / 1000.0;
            close(
                row["energy_kwh"].as_f64().unwrap_or(0.0),
                chip_hours * kw * e.get("load_factor", 0.8) * e.get("pue", 1.2),
                "energy",
            );
            checked += 1;
        }
    }
    let max_chips = root
        .get("report")
        .and_then(|r| r.get("max_chips_per_replica"))
        .and_then(Value::as_integer)
        .unwrap_or(64) as u64;
    for w in list(&root, "inference") {
        if w.get("benchmark").and_then(Value::as_bool) == Some(true) {
            continue; // a benchmark's conditions: checked by `calibrate`, not listed by estimate
        }
        let id = w["id"].as_str().expect("id");
        // Disaggregated pools are checked by hand in the unit tests (src/model/inference/tests.rs).
        assert!(w.get("prefill_chips").is_none(), "{id}: prefill_chips is not re-computed here");
        let out = estimate_json(dir, id);
        for acc in &accs {
            let aid = acc["id"].as_str().expect("id");
            let expected = serve(&e, w, acc, max_chips);
            let Some(x) = expected else {
                assert!(find(&out["results"], aid).is_none(), "{id}/{aid} should be skipped");
                continue;
            };
            let row = find(&out["results"], aid).unwrap_or_else(|| panic!("{id}/{aid} missing"));
            assert_eq!(row["chips_per_replica"].as_f64(), Some(x.n), "{id}/{aid} replica");
            assert_eq!(row["measured"].as_bool(), Some(false), "{id}/{aid}: measured is always false");
            let f = |k: &str| row[k].as_f64().unwrap_or(f64::NAN);
            close(f("batch"), x.b, &format!("{id}/{aid} batch"));
            close(f("weights_gb"), x.w / 1e9, "weights_gb");
            close(f("kv_bytes_per_token"), x.kv, "kv bytes");
            close(f("step_s"), x.t, &format!("{id}/{aid} step"));
            close(f("output_tokens_per_s_per_chip"), x.b * x.a / x.t / x.n, &format!("{id}/{aid} tps"));
            close(f("tokens_per_s_per_user"), x.a / x.t, "per user");
            close(f("ttft_s"), x.ttft, &format!("{id}/{aid} ttft"));
            close(f("usd_per_m_input_tokens"), x.usd_in, &format!("{id}/{aid} usd/M in"));
            close(
                f("usd_per_m_cached_input_tokens"),
                x.usd_cached,
                &format!("{id}/{aid} usd/M cached"),
            );
            close(f("usd_per_m_output_tokens"), x.usd_out, &format!("{id}/{aid} usd/M out"));
            close(f("usd_per_m_tokens"), x.usd_all, &format!("{id}/{aid} usd/M all"));
            // The split adds up to the replica's cost per step: p * in + pc * cached + B * a * out.
            let per_step = x.b * x.a / x.lout;
            close(
                x.usd_in * per_step * x.fresh + x.usd_cached * per_step * x.lc + x.usd_out * x.b * x.a,
                x.usd_s * x.t * 1e6,
                "split adds up",
            );
            checked += 1;
        }
    }
    checked
}

/// One serving row as docs/model.md "Serving" defines it.
struct Served {
    n: f64,
    b: f64,
    w: f64,
    kv: f64,
    t: f64,
    ttft: f64,
    /// Tokens emitted per sequence per step.
    a: f64,
    /// Fresh, cached prompt tokens per request; output tokens per request.
    fresh: f64,
    lc: f64,
    lout: f64,
    usd_s: f64,
    usd_in: f64,
    usd_cached: f64,
    usd_out: f64,
    usd_all: f64,
}

/// docs/model.md "Serving", written out again: the replica candidates (pipelines across
/// scale-up domains too), the batch, the step (prefix caching, speculative decoding), the choice
/// and the prices. `None` where the tool must skip the pair.
fn serve(e: &Econ<'_>, w: &Table, acc: &Table, max_chips: u64) -> Option<Served> {
    let prec = w["precision"].as_str().expect("precision");
    let kvp = w.get("kv_precision").and_then(Value::as_str).unwrap_or(prec);
    let tf = num(acc["dense_tflops"].get(prec))?;
    let usd = price(e, acc)?;
    let eff = acc["efficiency"].as_table().expect("efficiency");
    let ef = |k: &str, v1: &str, d: f64| num(eff.get(k)).or(num(eff.get(v1))).unwrap_or(d);
    let mfu = ef("serving_mfu", "prefill_mfu", f64::NAN);
    let wbe = ef("weight_bw_eff", "decode_mbu", f64::NAN);
    let kvbe = num(eff.get("kv_bw_eff")).or(num(eff.get("decode_mbu"))).unwrap_or(wbe);
    let so = ef("step_overhead_us_per_layer", "", 0.0);
    let to = ef("tp_overhead_us_per_layer", "", 0.0);
    let g = |k: &str| num(w.get(k));
    let (pb, lin, lout, util) = (g("params_b")?, g("input_tokens")?, g("output_tokens")?, g("utilization")?);
    let ab = g("active_params_b").unwrap_or(pb);
    let moe = g("experts").zip(g("experts_per_token"));
    let me = if moe.is_some() || ab < pb {
        ef("moe_efficiency", "", 1.0)
    } else {
        1.0
    };
    // Prefix caching (Lc, Ls) and speculative decoding (k, a, the draft's Nd, Nda, Ld).
    let lc = g("cached_input_tokens").unwrap_or(0.0).min(lin);
    let ls = g("shared_prefix_tokens").unwrap_or(0.0).min(lc);
    let fresh = lin - lc;
    let ks = g("speculative_tokens").unwrap_or(0.0);
    let a = if ks > 0.0 { g("acceptance_length").unwrap_or(1.0) } else { 1.0 };
    let nd = g("draft_params_b").unwrap_or(0.0) * 1e9;
    let nda = g("draft_active_params_b").map_or(nd, |x| x * 1e9).min(nd);
    let ld = g("draft_layers").unwrap_or(1.0);
    let layers = g("layers").unwrap_or(0.0);
    let d = g("attention_width").unwrap_or(0.0);
    // MLA's absorbed decode has its own width (docs/model.md "Serving"); default d.
    let d_dec = g("decode_attention_width").unwrap_or(d);
    let hidden = g("hidden").unwrap_or(d);
    let kv =
        g("kv_bytes_per_token").unwrap_or_else(|| 2.0 * layers * g("kv_heads").unwrap_or(0.0) * g("head_dim").unwrap_or(0.0) * bytes(kvp));
    // Weights are stored as weight_precision (default precision); FLOPs run at precision's peak.
    let wb = bytes(w.get("weight_precision").and_then(Value::as_str).unwrap_or(prec));
    let big_w = pb * 1e9 * wb;
    // The stack's TP unit per chip, the scale-up domain (chips) and the scale-out network.
    let unit = num(acc.get("tp_unit_per_chip")).unwrap_or(1.0);
    let domain = num(acc.get("scale_up_chips")).map_or(u64::MAX, |x| x as u64);
    let scale_out = num(acc.get("scale_out_gb_per_s")).map_or(0.0, |x| x * 1e9);
    let heads = w.get("heads").and_then(Value::as_integer).map(|h| h as u64);
    let divides = |s: u64| heads.is_none_or(|h| h.is_multiple_of(s * unit as u64));
    // (chips per stage, stages): one stage within the domain; beyond it, the largest divisor of
    // n within the domain whose ranks divide the heads, with a scale-out network, layers, hidden.
    let layout = |n: u64| -> Option<(u64, u64)> {
        if n <= domain {
            return Some((n, 1));
        }
        if scale_out <= 0.0 || layers < 1.0 || hidden <= 0.0 {
            return None;
        }
        let s = (1..=domain.min(n)).rev().find(|&s| n.is_multiple_of(s) && divides(s))?;
        ((n / s) as f64 <= layers).then_some((s, n / s))
    };
    let stage_of = |n: f64| layout(n as u64).map_or(n, |(s, _)| s as f64);
    // KV heads (only with the KV shape); attention data-parallel: given, else MoE with expert
    // counts and kv_bytes_per_token (MLA-class).
    let kv_heads = if g("kv_bytes_per_token").is_some() { None } else { g("kv_heads") };
    let dp = w
        .get("attention_data_parallel")
        .and_then(Value::as_bool)
        .unwrap_or(moe.is_some() && g("kv_bytes_per_token").is_some());
    // Each TP rank of a stage holds at least one KV head: max(kv_heads, s * unit) / kv_heads.
    let copies = |s: f64| match kv_heads {
        Some(h) if !dp => (s * unit).max(h) / h,
        _ => 1.0,
    };
    let shared = g("shared_params_b").map(|s| s * 1e9).unwrap_or_else(|| match moe {
        Some((ne, k)) => ((ab * 1e9 - k * pb * 1e9 / ne) / (1.0 - k / ne)).clamp(0.0, ab * 1e9),
        None => 0.0,
    });
    let mem = memory_gb(acc) * 1e9 * e.get("usable_memory_fraction", 0.9);
    let peak = tf * 1e12;
    let bw = bandwidth_tb(acc) * 1e12;
    let ic = num(acc.get("interconnect_gb_per_s")).map_or(0.0, |x| x * 1e9);
    let c = lin + lout / 2.0;
    // One stage's pass (1/m of the layers, weights and KV) on s chips; `ctx`: with the prefill's
    // work over the cached context.
    let stage = |s: f64, m: f64, b: f64, p: f64, ctx: bool| -> f64 {
        let tok = b * (ks + 1.0) + p;
        let (sh_w, all_w) = (shared / m, pb * 1e9 / m);
        let read = match moe {
            Some((ne, k)) => (sh_w * wb + ne * (1.0 - (1.0 - k / ne).powf(tok)) * (all_w - sh_w).max(0.0) * wb / ne).min(big_w / m),
            None => (big_w / m).min(tok * ab * 1e9 / m * wb),
        };
        let gemm = match moe {
            Some((ne, k)) => {
                let pe = (all_w - sh_w).max(0.0) / ne;
                let sh = (2.0 * sh_w * tok / (s * peak * mfu)).max(sh_w * wb / (s * bw * wbe));
                let routed = (2.0 * k * pe * tok / (s * peak * mfu * me)).max((read - sh_w * wb).max(0.0) / (s * bw * wbe));
                sh + routed
            }
            None => (2.0 * ab * 1e9 / m * tok / (s * peak * mfu * me)).max(read / (s * bw * wbe)),
        };
        let l = layers / m;
        let lcc = if ctx { lc } else { 0.0 };
        let requests = if fresh > 0.0 { p / fresh } else { 0.0 };
        let attn = (4.0 * l * (d_dec * b * (ks + 1.0) * c + d * p * (lcc + fresh / 2.0)) / (s * peak * mfu))
            .max((b * c + requests * lcc) * copies(s) * kv / m / (s * bw * kvbe));
        let tp = match moe {
            _ if s <= 1.0 || ic <= 0.0 => 0.0,
            // Data-parallel attention: dispatch and combine all-to-all of k copies of each token.
            Some((_, k)) if dp => 2.0 * l * (tok / s) * k * hidden * 2.0 * (s - 1.0) / s / ic,
            _ => 2.0 * l * tok * hidden * 2.0 * 2.0 * (s - 1.0) / s / ic,
        };
        gemm + attn + tp + l * (so + if s > 1.0 { to } else { 0.0 }) * 1e-6
    };
    // k passes of the draft over b sequences on s chips.
    let draft = |s: f64, b: f64| -> f64 {
        if ks <= 0.0 || nd <= 0.0 || b <= 0.0 {
            return 0.0;
        }
        let kvr = if layers > 0.0 {
            b * c * copies(s) * kv * (ld / layers) / (s * bw * kvbe)
        } else {
            0.0
        };
        ks * ((2.0 * nda * b / (s * peak * mfu)).max((b * nda).min(nd) * wb / (s * bw * wbe))
            + kvr
            + ld * (so + if s > 1.0 { to } else { 0.0 }) * 1e-6)
    };
    let step_ctx = |n: f64, b: f64, p: f64, ctx: bool| -> f64 {
        let (s, m) = layout(n as u64).map_or((n, 1.0), |(s, m)| (s as f64, m as f64));
        if m <= 1.0 {
            return stage(n, 1.0, b, p, ctx) + draft(n, b);
        }
        let mb = m.min(b.max(1.0));
        let tau = stage(s, m, b / mb, p / mb, ctx);
        let x = (b * (ks + 1.0) + p) / mb * hidden * 2.0 / (s * scale_out);
        let dr = draft(s, b / mb);
        (m * (tau + x) + dr).max(mb * (tau + x + dr))
    };
    // Chunked prefill: a prompt rides in one step in chunks of P_c = min(budget, Lin - Lc); with
    // p < P_c a share p / P_c of the steps carries a chunk, the others only decode.
    // P_c shares the token budget of the scheduler the chunk lands on with its decode tokens
    // (one scheduler per attention rank with data-parallel attention).
    let budget = g("prefill_chunk_tokens").unwrap_or(8192.0);
    let scheds = |n: f64| if dp { stage_of(n) * unit } else { 1.0 };
    let blend = |n: f64, b: f64, p: f64, ctx: bool| -> f64 {
        let chunk = (budget - b * (ks + 1.0) / scheds(n)).min(fresh);
        if p <= 0.0 || p >= chunk {
            return step_ctx(n, b, p, ctx);
        }
        let t0 = step_ctx(n, b, 0.0, ctx);
        t0 + p / chunk * (step_ctx(n, b, chunk, ctx) - t0)
    };
    let step = |n: f64, b: f64, p: f64| blend(n, b, p, true);
    let given_b = g("batch");
    let target = g("min_tokens_per_s_per_user");
    let max_batch = g("max_batch").unwrap_or(256.0);
    // The shared prefix stored once per replica (once per attention rank with data-parallel
    // attention), each sequence its own c - Ls tokens.
    let kv_cap = |n: f64| {
        let s = stage_of(n);
        let gp = if dp { s * unit } else { 1.0 };
        // The draft's weights sit beside the model's.
        let held = big_w + if ks > 0.0 { nd * wb } else { 0.0 };
        (n * mem - held - copies(s) * kv * ls * gp) / (copies(s) * kv * (c - ls))
    };
    let ns: Vec<f64> = match w.get("chips_per_replica").and_then(Value::as_integer) {
        Some(n) => {
            if layout(n as u64).is_none()
                || n as f64 * mem <= big_w + if ks > 0.0 { nd * wb } else { 0.0 }
                || given_b.is_some_and(|b| kv_cap(n as f64) < b.min(1.0))
            {
                return None;
            }
            vec![n as f64]
        }
        None => {
            let need = given_b.unwrap_or(1.0);
            let mut out: Vec<f64> = (0..40)
                .map(|k| 1u64 << k)
                .take_while(|n| *n <= max_chips.min(domain))
                .filter(|n| divides(*n))
                .map(|n| n as f64)
                .filter(|n| kv_cap(*n) >= need)
                .collect();
            // Pipelines of the widest power-of-two group the domain holds.
            if let Some(s) = (0..40)
                .map(|k| 1u64 << k)
                .take_while(|s| *s <= domain)
                .filter(|s| divides(*s))
                .last()
            {
                for m in (1..40).map(|k| 1u64 << k) {
                    let n = s.saturating_mul(m);
                    if n > max_chips {
                        break;
                    }
                    if layout(n) == Some((s, m)) && kv_cap(n as f64) >= need {
                        out.push(n as f64);
                    }
                }
            }
            out
        }
    };
    let mut best: Option<(Served, bool)> = None;
    for n in ns {
        let b = match given_b {
            // A given batch above what the KV cache holds is clamped to it.
            Some(b) => b.min(kv_cap(n)),
            None => {
                // max_batch per attention rank of a stage when attention runs data-parallel, and
                // the batch whose decode and prefill tokens fill the token budget(s).
                let per_seq = ks + 1.0 + a * fresh / lout;
                let cap = kv_cap(n).min((max_batch * scheds(n)).min(budget * scheds(n) / per_seq));
                if cap < 1.0 {
                    continue;
                }
                // a tokens per step: the step may take a / target.
                let at = |b: f64| step(n, b, b * a * fresh / lout);
                match target {
                    None => cap,
                    Some(t) if at(1.0) > a / t => 1.0,
                    Some(t) if at(cap) <= a / t => cap,
                    Some(t) => {
                        // Bisection to the last bit: the largest batch with a / t_step >= target.
                        let (mut lo, mut hi) = (1.0f64, cap);
                        for _ in 0..200 {
                            let mid = 0.5 * (lo + hi);
                            if mid <= lo || mid >= hi {
                                break;
                            }
                            if at(mid) <= a / t { lo = mid } else { hi = mid }
                        }
                        lo
                    }
                }
            }
        };
        let p = b * a * fresh / lout;
        let t = step(n, b, p);
        let t0 = step(n, b, 0.0);
        let tnc = blend(n, b, p, false);
        let usd_s = n * usd / 3600.0 / util;
        let share_in = ((tnc - t0) / t).clamp(0.0, 1.0);
        let share_c = ((t - tnc) / t).clamp(0.0, 1.0);
        let pc = b * a * lc / lout;
        let usd_in = if p > 0.0 { usd_s * share_in / (p / t) * 1e6 } else { 0.0 };
        let usd_cached = if lc > 0.0 { usd_s * share_c / (pc / t) * 1e6 } else { 0.0 };
        let usd_out = usd_s * t0 / (b * a) * 1e6;
        let s = Served {
            n,
            b,
            w: big_w,
            kv,
            t,
            ttft: step(n, b, p + fresh),
            a,
            fresh,
            lc,
            lout,
            usd_s,
            usd_in,
            usd_cached,
            usd_out,
            usd_all: (fresh * usd_in + lc * usd_cached + lout * usd_out) / (lin + lout),
        };
        let meets = target.is_none_or(|x| a / t >= x * (1.0 - 1e-9));
        let better = match &best {
            None => true,
            Some((cur, cm)) => match (meets, *cm) {
                (true, false) => true,
                (false, true) => false,
                (true, true) => s.usd_out < cur.usd_out * (1.0 - 1e-9),
                (false, false) => a / s.t > a / cur.t,
            },
        };
        if better {
            best = Some((s, meets));
        }
    }
    best.map(|(s, _)| s)
}

#[test]
fn estimate_json_matches_an_independent_computation_on_unusual_values() {
    let n = check_folder(&fixture("unusual"));
    assert!(n >= 6, "only {n} rows checked");
}

#[test]
fn estimate_json_matches_an_independent_computation_on_the_starter_config() {
    assert!(check_folder(&fixture("good")) >= 4);
}

#[test]
fn estimate_json_matches_an_independent_computation_on_the_shipped_configs() {
    let n = check_folder(&root("configs"));
    assert!(n >= 70, "only {n} rows checked");
}

/// `calibrate --json` on the shipped runs against docs/model.md written out again: C with attention,
/// goodput for all_in hours, implied steady-state MFU, the rule of thumb (40% of bf16 peak,
/// 6ND, no goodput), and leave-one-out (geometric mean of the other runs' implied MFU of the
/// same accelerator and precision, else of the same family and precision).
#[test]
fn calibrate_json_matches_an_independent_computation_on_the_shipped_configs() {
    let dir = root("configs");
    let root_t = merged(&dir);
    let empty = Table::new();
    let e = Econ(root_t.get("economics").and_then(Value::as_table).unwrap_or(&empty));
    let accs = list(&root_t, "accelerator");
    let acc = |id: &str| *accs.iter().find(|a| a["id"].as_str() == Some(id)).expect("accelerator");
    let o = run(&["calibrate", "-c", dir.to_str().expect("utf-8"), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out: J = serde_json::from_str(&stdout(&o)).expect("json");
    struct R {
        acc: String,
        fam: String,
        prec: String,
        implied: f64,
        is_moe: bool,
        active: f64,
        mfu: f64,
    }
    let mut rs = Vec::new();
    for c in list(&root_t, "calibration") {
        let id = c["id"].as_str().expect("id");
        let a = acc(c["accelerator"].as_str().expect("accelerator"));
        let prec = c["precision"].as_str().unwrap_or("bf16");
        let peak = num(a["dense_tflops"].get(prec)).expect("peak") * 1e12;
        let n = num(c.get("active_params_b")).or(num(c.get("params_b"))).expect("params") * 1e9;
        let d = num(c.get("tokens_t")).expect("tokens") * 1e12;
        let a_coef = if c.get("attention").and_then(Value::as_str) == Some("full") {
            12.0
        } else {
            6.0
        };
        let attn = match (num(c.get("layers")), num(c.get("attention_width")), num(c.get("seq_len"))) {
            (Some(l), Some(w), Some(s)) if c.get("flops").is_none() => a_coef * l * w * s * d,
            _ => 0.0,
        };
        let total = num(c.get("params_b")).expect("params") * 1e9;
        let is_moe = n < total;
        let moe = if !is_moe {
            1.0
        } else {
            let e10 = if prec == "fp8" {
                e.get("training_moe_efficiency_fp8", 0.359)
            } else {
                e.get("training_moe_efficiency", 0.506)
            };
            (e10 * (n / 1e10).powf(e.get("training_moe_active_exponent", 0.0))).min(1.0)
        };
        let flops = num(c.get("flops")).unwrap_or(6.0 * n * d + attn);
        let goodput = match c.get("hours_basis").and_then(Value::as_str) {
            Some("steady_state") => 1.0,
            _ => e.get("training_goodput", 0.90),
        };
        let hours = num(c.get("reported_chip_hours")).expect("hours");
        let implied = flops / (hours * 3600.0 * peak * goodput);
        let row = out["runs"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == id))
            .expect("run row");
        close(row["flops"].as_f64().unwrap_or(0.0), flops, "calibration flops");
        close(row["implied_mfu"].as_f64().unwrap_or(0.0), implied, "implied_mfu");
        let mfu = training_mfu(a["efficiency"].as_table().expect("efficiency"), prec).expect("mfu");
        let predicted = flops / (peak * mfu * moe) / goodput / 3600.0;
        close(row["predicted_chip_hours"].as_f64().unwrap_or(0.0), predicted, "predicted");
        let bf16 = num(a["dense_tflops"].get("bf16")).expect("bf16") * 1e12;
        let rot = num(c.get("flops")).unwrap_or(6.0 * n * d) / (bf16 * 0.40) / 3600.0;
        close(row["rule_of_thumb_chip_hours"].as_f64().unwrap_or(0.0), rot, "rule of thumb");
        rs.push(R {
            acc: a["id"].as_str().unwrap_or("").into(),
            fam: a["family"].as_str().unwrap_or("").into(),
            prec: prec.into(),
            implied,
            is_moe,
            mfu,
            active: n,
        });
    }
    let geo = |xs: &[f64]| (xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp();
    let mut loo_abs = Vec::new();
    // Dense runs fit the chip MFU; a MoE run is predicted by its chip's configured MFU times the
    // geometric mean over the other MoE runs of its matmul width of implied / configured MFU.
    let eight = |p: &str| p == "fp8";
    for (i, r) in rs.iter().enumerate() {
        let chip: Vec<f64> = rs
            .iter()
            .enumerate()
            .filter(|(j, q)| *j != i && !q.is_moe && q.acc == r.acc && q.prec == r.prec)
            .map(|(_, q)| q.implied)
            .collect();
        let fam: Vec<f64> = rs
            .iter()
            .enumerate()
            .filter(|(j, q)| *j != i && !q.is_moe && q.fam == r.fam && q.prec == r.prec)
            .map(|(_, q)| q.implied)
            .collect();
        let others = if chip.is_empty() { fam } else { chip };
        let row = &out["runs"][i];
        if others.is_empty() {
            assert!(row["loo_error_pct"].is_null());
            continue;
        }
        let fitted = if r.is_moe {
            // ln(implied / mfu) = a[width] + g * ln(active / 10e9) over the other MoE runs: each
            // width its own intercept, one slope (clamped to [0, 1]); the share at most 1.
            let pts: Vec<(bool, f64, f64)> = rs
                .iter()
                .enumerate()
                .filter(|(j, q)| *j != i && q.is_moe)
                .map(|(_, q)| (eight(&q.prec), (q.active / 1e10).ln(), (q.implied / q.mfu).ln()))
                .collect();
            let mean = |c: bool| {
                let v: Vec<&(bool, f64, f64)> = pts.iter().filter(|p| p.0 == c).collect();
                let k = v.len() as f64;
                (v.iter().map(|p| p.1).sum::<f64>() / k, v.iter().map(|p| p.2).sum::<f64>() / k)
            };
            let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(sxy, sxx), &(c, x, y)| {
                let (mx, my) = mean(c);
                (sxy + (x - mx) * (y - my), sxx + (x - mx) * (x - mx))
            });
            let g = if sxx > 1e-12 { (sxy / sxx).clamp(0.0, 1.0) } else { 0.0 };
            let (mx, my) = mean(eight(&r.prec));
            r.mfu * ((my - g * mx) + g * (r.active / 1e10).ln()).exp().min(1.0)
        } else {
            geo(&others)
        };
        let want = (r.implied / fitted - 1.0) * 100.0;
        close(row["loo_error_pct"].as_f64().unwrap_or(f64::NAN), want, "loo_error_pct");
        loo_abs.push(want.abs());
    }
    loo_abs.sort_by(f64::total_cmp);
    let m = loo_abs.len();
    let median = if m % 2 == 1 {
        loo_abs[m / 2]
    } else {
        (loo_abs[m / 2 - 1] + loo_abs[m / 2]) / 2.0
    };
    close(out["loo_median_abs_error_pct"].as_f64().unwrap_or(0.0), median, "loo median");
}

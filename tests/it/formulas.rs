//! `estimate --json` against an independent computation of MODEL.md: this file reads the TOML
//! with the plain `toml` crate (not the tool's loader) and writes every formula out again, so
//! a slip in either is caught. Agreement is required to a relative 1e-9.

use std::path::Path;

use serde_json::Value as J;
use toml::{Table, Value};

use crate::common::{fixture, root, run, stdout};

/// Every `*.toml` below `dir`, merged as CONFIG.md says (lists concatenate, tables merge).
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
        _ => 0.5,
    }
}

struct Econ<'a>(&'a Table);

impl Econ<'_> {
    fn get(&self, k: &str, default: f64) -> f64 {
        num(self.0.get(k)).unwrap_or(default)
    }
}

/// USD per chip-hour by basis, written out from MODEL.md.
fn price(e: &Econ<'_>, acc: &Table) -> Option<f64> {
    let basis = e.0.get("basis").and_then(Value::as_str).unwrap_or("on_demand");
    let sub = |k: &str| acc.get(k).and_then(Value::as_table);
    match basis {
        "on_demand" => num(sub("cloud")?.get("on_demand_usd_per_chip_hour")),
        "committed" => num(sub("cloud")?.get("committed_usd_per_chip_hour")),
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
    let o = run(&["estimate", "-c", dir.to_str().expect("utf-8"), "--workload", workload, "--json"]);
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
    let accs = list(&root, "accelerator");
    let mut checked = 0;
    for w in list(&root, "training") {
        let id = w["id"].as_str().expect("id");
        let out = estimate_json(dir, id);
        let prec = w["precision"].as_str().expect("precision");
        for acc in &accs {
            let aid = acc["id"].as_str().expect("id");
            let eff = acc["efficiency"].as_table().expect("efficiency");
            let (Some(tf), Some(mfu), Some(usd)) = (num(acc["dense_tflops"].get(prec)), num(eff.get("training_mfu")), price(&e, acc))
            else {
                assert!(find(&out["results"], aid).is_none(), "{id}/{aid} should be skipped");
                continue;
            };
            let row = find(&out["results"], aid).unwrap_or_else(|| panic!("{id}/{aid} missing"));
            let p = num(w.get("params_b")).expect("params") * 1e9;
            let n = num(w.get("active_params_b")).map_or(p, |a| a * 1e9);
            let d = num(w.get("tokens_t")).expect("tokens") * 1e12;
            let c = num(w.get("flops")).unwrap_or(6.0 * n * d);
            let chip_hours = c / (tf * 1e12 * mfu) / 3600.0;
            close(row["flops"].as_f64().unwrap_or(0.0), c, "flops");
            close(row["chip_hours"].as_f64().unwrap_or(0.0), chip_hours, "chip_hours");
            close(row["cost_usd"].as_f64().unwrap_or(0.0), chip_hours * usd, "cost_usd");
            if let Some(chips) = w.get("chips").and_then(Value::as_integer) {
                close(
                    row["wall_days"].as_f64().unwrap_or(0.0),
                    chip_hours / chips as f64 / 24.0,
                    "wall_days",
                );
            }
            let min = (p * e.get("training_bytes_per_param", 16.0) / (memory_gb(acc) * 1e9 * e.get("usable_memory_fraction", 0.9))).ceil();
            assert_eq!(row["min_chips"].as_f64(), Some(min.max(1.0)), "{id}/{aid} min_chips");
            let kw = num(acc.get("power_w")).expect("power") * e.get("system_power_factor", 1.4) / 1000.0;
            close(
                row["energy_kwh"].as_f64().unwrap_or(0.0),
                chip_hours * kw * e.get("load_factor", 0.8) * e.get("pue", 1.2),
                "energy",
            );
            checked += 1;
        }
    }
    for w in list(&root, "inference") {
        let id = w["id"].as_str().expect("id");
        let out = estimate_json(dir, id);
        let prec = w["precision"].as_str().expect("precision");
        let kvp = w.get("kv_precision").and_then(Value::as_str).unwrap_or(prec);
        for acc in &accs {
            let aid = acc["id"].as_str().expect("id");
            let eff = acc["efficiency"].as_table().expect("efficiency");
            let (Some(tf), Some(usd)) = (num(acc["dense_tflops"].get(prec)), price(&e, acc)) else {
                assert!(find(&out["results"], aid).is_none(), "{id}/{aid} should be skipped");
                continue;
            };
            let row = find(&out["results"], aid).unwrap_or_else(|| panic!("{id}/{aid} missing"));
            let g = |k: &str| num(w.get(k)).unwrap_or_else(|| panic!("{id}.{k}"));
            let (pb, b, lin, lout, util) = (g("params_b"), g("batch"), g("input_tokens"), g("output_tokens"), g("utilization"));
            let ab = num(w.get("active_params_b")).unwrap_or(pb);
            let kv = num(w.get("kv_bytes_per_token")).unwrap_or_else(|| 2.0 * g("layers") * g("kv_heads") * g("head_dim") * bytes(kvp));
            let wbytes = pb * 1e9 * bytes(prec);
            let need = wbytes + b * (lin + lout) * kv;
            let usable = memory_gb(acc) * 1e9 * e.get("usable_memory_fraction", 0.9);
            let cpr = w.get("chips_per_replica").and_then(Value::as_integer).unwrap_or(1) as f64;
            let nch = cpr.max((need / usable).ceil());
            let na = ab * 1e9;
            let wread = pb.min(b * ab) * 1e9 * bytes(prec);
            let kvavg = b * (lin + lout / 2.0) * kv;
            let peak = nch * tf * 1e12;
            let t_dec = ((wread + kvavg) / (nch * bandwidth_tb(acc) * 1e12 * num(eff.get("decode_mbu")).expect("mbu")))
                .max(b * 2.0 * na / (peak * num(eff.get("decode_mfu")).expect("mfu")));
            let pmfu = num(eff.get("prefill_mfu")).expect("prefill");
            let t_pre = b * lin * 2.0 * na / (peak * pmfu);
            let total = t_pre + lout * t_dec;
            let measured = list(&root, "measured")
                .into_iter()
                .find(|m| m["workload"].as_str() == Some(id) && m["accelerator"].as_str() == Some(aid));
            let tps = measured.map_or(b * lout / total / nch, |m| {
                num(m.get("output_tokens_per_s_per_chip")).expect("measured")
            });
            assert_eq!(row["chips_per_replica"].as_f64(), Some(nch), "{id}/{aid} replica");
            assert_eq!(row["measured"].as_bool(), Some(measured.is_some()));
            close(row["output_tokens_per_s_per_chip"].as_f64().unwrap_or(0.0), tps, "tps");
            close(row["tokens_per_s_per_user"].as_f64().unwrap_or(0.0), 1.0 / t_dec, "per user");
            close(row["ttft_s"].as_f64().unwrap_or(0.0), lin * 2.0 * na / (peak * pmfu), "ttft");
            close(
                row["usd_per_m_output_tokens"].as_f64().unwrap_or(0.0),
                usd * 1e6 / (tps * 3600.0 * util),
                "usd/M out",
            );
            close(
                row["usd_per_m_tokens"].as_f64().unwrap_or(0.0),
                usd * 1e6 / ((lin + lout) / lout * tps * 3600.0 * util),
                "usd/M all",
            );
            checked += 1;
        }
    }
    checked
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
    assert!(n >= 80, "only {n} rows checked");
}

//! Training model v2 keys (docs/config.md): the attention shape (all three or none), per-precision
//! `training_mfu`, `hours_basis`, and what each does to the figures. Each test copies the good
//! fixture into a temp folder and adds one file.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// The good fixture plus `extra.toml` with `text`, in a temp folder; returns the folder.
fn with_extra(text: &str) -> tempfile::TempDir {
    with_edit(&[], text)
}

/// [`with_extra`], with `(old, new)` replacements in the fixture's accelerators.toml (each
/// `old` must occur).
fn with_edit(edits: &[(&str, &str)], text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in ["accelerators.toml", "economics.toml", "workloads.toml"] {
        let mut body = std::fs::read_to_string(fixture(&format!("good/{f}"))).expect("read");
        if f == "accelerators.toml" {
            for (old, new) in edits {
                assert!(body.contains(old), "fixture lacks {old}");
                body = body.replacen(old, new, 1);
            }
        }
        std::fs::write(dir.path().join(f), body).expect("write");
    }
    std::fs::write(dir.path().join("zz-extra.toml"), text).expect("write");
    dir
}

/// The fixture's h100 and trn2 `training_mfu` lines.
const H100_MFU: &str = "training_mfu = { low = 0.346, base = 0.38, high = 0.43 }";
const TRN2_MFU: &str = "training_mfu = { low = 0.25, base = 0.35, high = 0.45 }";

fn path(d: &Path) -> &str {
    d.to_str().expect("utf-8 path")
}

const SHAPED: &str = r#"
[[training]]
id = "shaped-70b"
params_b = 70
tokens_t = 15
precision = "bf16"
layers = 80
attention_width = 8192
seq_len = 8192
source = "test"
"#;

#[test]
fn a_partial_attention_shape_is_an_error_naming_the_missing_keys() {
    let d = with_extra(&SHAPED.replace("seq_len = 8192\n", ""));
    let o = run(&["validate", "-c", path(d.path())]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("zz-extra.toml:7:") && err.contains("gives layers, attention_width but not seq_len"),
        "{err}"
    );
}

#[test]
fn attention_flops_and_goodput_change_chip_hours_as_model_md_says() {
    let d = with_extra(SHAPED);
    let args = |w: &str| {
        [
            "estimate",
            "-c",
            path(d.path()),
            "--workload",
            w,
            "--accelerator",
            "h100-sxm",
            "--json",
            "--set",
            "economics.training_goodput=0.8",
        ]
        .map(String::from)
    };
    let get = |w: &str| -> Value {
        let a = args(w);
        let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str::<Value>(&stdout(&o)).expect("json")["results"][0].clone()
    };
    let (shaped, plain) = (get("shaped-70b"), get("dense-70b"));
    // Causal: 6 * 80 * 8192 * 8192 * 15e12 = 4.831838208e23 FLOP on top of 6ND = 6.3e24.
    let attn = shaped["attention_flops"].as_f64().unwrap_or(0.0);
    assert!((attn / 4.831_838_208e23 - 1.0).abs() < 1e-12, "{shaped}");
    assert!(plain["attention_flops"].is_null(), "{plain}");
    assert_eq!(shaped["goodput"].as_f64(), Some(0.8));
    // Same chip, MFU and goodput: chip-hours scale with C.
    let ratio = shaped["chip_hours"].as_f64().unwrap_or(0.0) / plain["chip_hours"].as_f64().unwrap_or(1.0);
    assert!((ratio - 6.783_183_820_8 / 6.3).abs() < 1e-9, "ratio {ratio}");
}

#[test]
fn per_precision_mfu_costs_fp8_at_its_own_mfu_and_skips_a_missing_precision() {
    let fp8 = SHAPED.replace("shaped-70b", "fp8-70b").replace("\"bf16\"", "\"fp8\"");
    // trn2 gives training_mfu only for bf16 here: the fp8 workload skips it, with the reason.
    let edits = [
        (H100_MFU, "training_mfu = { bf16 = 0.4, fp8 = 0.3 }"),
        (TRN2_MFU, "training_mfu = { bf16 = 0.3 }"),
    ];
    let d = with_edit(&edits, &fp8);
    let o = run(&["estimate", "-c", path(d.path()), "--workload", "fp8-70b", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let h = v["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["accelerator"] == "h100-sxm"))
        .expect("h100 row");
    // C = 6.3e24 + 4.831838208e23 (causal) = 6.7831838208e24; 1979e12 * 0.3 = 5.937e14 FLOP/s;
    // / goodput 0.9 (built-in default) / 3600.
    let want = 6.783_183_820_8e24 / 5.937e14 / 0.9 / 3600.0;
    assert!((h["chip_hours"].as_f64().unwrap_or(0.0) / want - 1.0).abs() < 1e-9, "{h}");
    let skipped = v["skipped"].to_string();
    assert!(skipped.contains("has no efficiency.training_mfu.fp8"), "{v}");
}

#[test]
fn an_unknown_precision_in_training_mfu_suggests_the_right_one() {
    let d = with_edit(&[(H100_MFU, "training_mfu = { bf16 = 0.4, fb8 = 0.3 }")], "");
    let o = run(&["validate", "-c", path(d.path())]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown key `fb8` in training_mfu") && err.contains("did you mean `fp8`?"),
        "{err}"
    );
}

#[test]
fn a_range_mixed_with_precisions_is_one_clear_error() {
    // `--set` merges a table into the fixture's range: the result mixes both forms.
    let o = run(&[
        "validate",
        "-c",
        fixture("good").to_str().expect("utf-8"),
        "--set",
        "accelerator.h100-sxm.efficiency.training_mfu={ bf16 = 0.4, fp8 = 0.3 }",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("mixes a range (low, base, high) with precisions (bf16, fp8)"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{err}");
}

#[test]
fn hours_basis_is_checked_and_steady_state_runs_have_goodput_one() {
    let run_toml = |basis: &str| {
        format!(
            r#"
[[calibration]]
id = "run-a"
accelerator = "h100-sxm"
params_b = 70
tokens_t = 2
precision = "bf16"
reported_chip_hours = 1000000
hours_basis = "{basis}"
source = "test"
"#
        )
    };
    let d = with_extra(&run_toml("stedy_state"));
    let o = run(&["validate", "-c", path(d.path())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `steady_state`?"), "{}", stderr(&o));
    let d = with_extra(&run_toml("steady_state"));
    let o = run(&["calibrate", "-c", path(d.path()), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let r = &v["runs"][0];
    assert_eq!(
        (r["goodput"].as_f64(), r["hours_basis"].as_str()),
        (Some(1.0), Some("steady_state"))
    );
    // implied = 6 * 70e9 * 2e12 / (1e6 * 3600 * 989e12) = 8.4e23 / 3.5604e24 = 0.235928
    assert!((r["implied_mfu"].as_f64().unwrap_or(0.0) / 0.235_928_547 - 1.0).abs() < 1e-6, "{r}");
    // Rule of thumb: 8.4e23 / (989e12 * 0.4) / 3600 = 589,821.37 chip-h (-41.0%).
    assert!(
        (r["rule_of_thumb_chip_hours"].as_f64().unwrap_or(0.0) / 589_821.368_4 - 1.0).abs() < 1e-9,
        "{r}"
    );
    // One run only: nothing else to fit it on.
    assert!(r["loo_error_pct"].is_null(), "{r}");
}

/// The shipped `training_mfu` of every chip with public runs is the fit's output (three
/// significant digits), so `calibrate --fit` on the shipped configs proposes no change.
#[test]
fn shipped_training_mfu_is_the_fit_output() {
    let v = calibrate_fit();
    let mut shipped = toml::Table::new();
    for f in ["amd.toml", "aws.toml", "google.toml", "nvidia.toml"] {
        let text = std::fs::read_to_string(root(&format!("configs/accelerators/{f}"))).expect("read");
        let t: toml::Table = toml::from_str(&text).expect("toml");
        for a in t["accelerator"].as_array().expect("accelerators") {
            shipped.insert(a["id"].as_str().expect("id").into(), a.clone());
        }
    }
    let sig3 = |x: f64| format!("{:.3}", x);
    let fits = v["training_fit"].as_array().expect("training_fit");
    assert!(fits.len() >= 10);
    for f in fits {
        let (acc, prec) = (f["accelerator"].as_str().expect("acc"), f["precision"].as_str().expect("prec"));
        // A precision set like for like from another (documented in the chip's notes) is listed
        // in its `estimates` and is not the fit's output.
        let est = shipped[acc]["efficiency"].get("estimates").and_then(|e| e.as_array());
        if est.is_some_and(|e| e.iter().any(|x| x.as_str() == Some(&format!("training_mfu.{prec}")))) {
            continue;
        }
        let m = &shipped[acc]["efficiency"]["training_mfu"][prec];
        for (k, j) in [("low", "low"), ("base", "mfu"), ("high", "high")] {
            let got = m[k].as_float().unwrap_or(f64::NAN);
            let want = f[j].as_f64().unwrap_or(f64::NAN);
            assert_eq!(sig3(got), sig3(want), "{acc} {prec} {k}: shipped {got}, fit {want}");
        }
    }
}

/// `estimate --json` of one training workload on the shipped configs, with `extra` added.
fn shipped_estimate(extra: &str, workload: &str, acc: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("extra.toml"), extra).expect("write");
    let o = run(&[
        "estimate",
        "-c",
        "configs",
        "-c",
        path(dir.path()),
        "--workload",
        workload,
        "--accelerator",
        acc,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str::<Value>(&stdout(&o)).expect("json")["results"][0].clone()
}

/// Causal attention (the default): an 8B run at 128K context costs about 2.8x the same run at 8K.
#[test]
fn an_8b_run_at_128k_context_costs_about_2_8x_the_run_at_8k() {
    let run8b = |id: &str, seq: u64| {
        format!(
            "[[training]]\nid = \"{id}\"\nparams_b = 8\ntokens_t = 15\nprecision = \"bf16\"\nlayers = 32\nattention_width = 4096\nseq_len = {seq}\nsource = \"test\"\n"
        )
    };
    let extra = format!("{}{}", run8b("ctx-8k", 8192), run8b("ctx-128k", 131_072));
    let short = shipped_estimate(&extra, "ctx-8k", "h100-sxm");
    let long = shipped_estimate(&extra, "ctx-128k", "h100-sxm");
    // Per token: 6N = 6 * 8e9 = 4.8e10; causal attention 6 * 32 * 4096 * seq:
    //   8K: 6 * 32 * 4096 * 8192 = 6.442e9 -> 5.4442e10 FLOP/token;
    //   128K: 6 * 32 * 4096 * 131072 = 1.03079e11 -> 1.51079e11 FLOP/token;
    //   ratio 1.51079e11 / 5.4442e10 = 2.775 (full attention, 12 *, would give 4.24).
    let (a, b) = (
        short["chip_hours"].as_f64().unwrap_or(0.0),
        long["chip_hours"].as_f64().unwrap_or(0.0),
    );
    assert!((b / a - 2.775).abs() < 0.01, "128K / 8K = {}", b / a);
    // `attention = "full"` doubles the attention term: (4.8e10 + 2 * 1.03079e11) / (4.8e10 + 2 * 6.442e9) = 4.18.
    let full = extra
        .replace("seq_len = 131072\n", "seq_len = 131072\nattention = \"full\"\n")
        .replace("seq_len = 8192\n", "seq_len = 8192\nattention = \"full\"\n");
    let (fa, fb) = (
        shipped_estimate(&full, "ctx-8k", "h100-sxm")["chip_hours"].as_f64().unwrap_or(0.0),
        shipped_estimate(&full, "ctx-128k", "h100-sxm")["chip_hours"]
            .as_f64()
            .unwrap_or(0.0),
    );
    assert!((fb / fa - 4.18).abs() < 0.01, "full: 128K / 8K = {}", fb / fa);
}

/// fp8 over bf16 on H100 and B200, as shipped: within the public like-for-like range 1.1-1.8x;
/// `explain` prints the ratio and warns once it leaves the range.
#[test]
fn fp8_over_bf16_on_h100_and_b200_is_within_the_public_range() {
    let w = "[[training]]\nid = \"w8\"\nparams_b = 70\ntokens_t = 1\nprecision = \"fp8\"\nsource = \"test\"\n[[training]]\nid = \"w16\"\nparams_b = 70\ntokens_t = 1\nprecision = \"bf16\"\nsource = \"test\"\n";
    for acc in ["h100-sxm", "b200"] {
        let h8 = shipped_estimate(w, "w8", acc)["chip_hours"].as_f64().unwrap_or(0.0);
        let h16 = shipped_estimate(w, "w16", acc)["chip_hours"].as_f64().unwrap_or(0.0);
        let r = h16 / h8;
        assert!((1.1..=1.8).contains(&r), "{acc}: fp8 is {r:.2}x bf16");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("extra.toml"), w).expect("write");
    let explain = |set: &[&str]| {
        let mut args = vec![
            "explain",
            "-c",
            "configs",
            "-c",
            path(dir.path()),
            "--workload",
            "w8",
            "--accelerator",
            "h100-sxm",
        ];
        args.extend_from_slice(set);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let out = explain(&[]);
    assert!(out.contains("implied fp8/bf16 training speed-up on h100-sxm: 1.80x"), "{out}");
    assert!(!out.contains("outside the public like-for-like range"), "{out}");
    // fp8 at 0.5: 0.5 * 1979 / (0.4 * 989) = 2.50x -> warned.
    let out = explain(&["--set", "accelerator.h100-sxm.efficiency.training_mfu.fp8=0.5"]);
    assert!(out.contains("2.50x is outside the public like-for-like range 1.1-1.8x"), "{out}");
}

/// A MoE run is costed at the fitted share of the chip's dense MFU, per matmul width.
#[test]
fn a_moe_run_pays_the_fitted_moe_efficiency() {
    let w = "[[training]]\nid = \"dense\"\nparams_b = 37\ntokens_t = 1\nprecision = \"fp8\"\nsource = \"test\"\n[[training]]\nid = \"moe\"\nparams_b = 671\nactive_params_b = 37\ntokens_t = 1\nprecision = \"fp8\"\nsource = \"test\"\n";
    let d = shipped_estimate(w, "dense", "h100-sxm")["chip_hours"].as_f64().unwrap_or(0.0);
    let m = shipped_estimate(w, "moe", "h100-sxm")["chip_hours"].as_f64().unwrap_or(0.0);
    // Same C (6 * 37e9 * 1e12); the MoE run delivers training_moe_efficiency_fp8 0.362 (at 10B
    // active) x (37 / 10)^0.181 (training_moe_active_exponent) = 0.362 x 1.26720 = 0.458726 of
    // the dense MFU.
    assert!((d / m - 0.362 * 3.7f64.powf(0.181)).abs() < 1e-9, "dense / moe = {}", d / m);
    assert!((d / m - 0.458_726).abs() < 1e-6, "dense / moe = {}", d / m);
}

/// Memory: 70B at 8K context on 16 H100s does not fit once activations (micro-batch 1, full
/// recompute) and the gathered layers are counted beside the sharded state.
#[test]
fn a_70b_run_at_8k_context_on_16_h100s_is_not_feasible() {
    let w = SHAPED
        .replace("shaped-70b", "on-16")
        .replace("seq_len = 8192\n", "seq_len = 8192\nchips = 16\n");
    let f = shipped_estimate(&w, "on-16", "h100-sxm");
    // state 70e9 * 16 = 1.12e12 B; usable 80e9 * 0.9 = 72e9 B; activations 80 * 8192 * 8192 * 2
    // = 10.74e9 B; gathered layers 2 * 70e9 / 80 * 2 = 3.5e9 B; 1.12e12 / 57.76e9 = 19.4 -> 20.
    assert_eq!(f["min_chips"].as_u64(), Some(20), "{f}");
    assert_eq!(f["feasible"].as_bool(), Some(false), "{f}");
}

/// What a cloud bills: a 12-chip job of 13 hours bills two 8-GPU instances, 16 chips x 13 h on
/// demand (per second) and 16 x 24 h on a capacity block (whole days).
#[test]
fn a_12_chip_13_hour_job_bills_16_chips_by_the_second_or_by_the_day() {
    // 12 chips * 13 h = 156 chip-h at 989e12 * 0.4 FLOP/s, goodput 1:
    // flops = 156 * 3600 * 3.956e14 = 2.2216896e20.
    let w = "[[training]]\nid = \"job\"\nparams_b = 1\ntokens_t = 1\nprecision = \"bf16\"\nchips = 12\nflops = 2.2216896e20\nsource = \"test\"\n";
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("extra.toml"), w).expect("write");
    let est = |basis: &str| -> Value {
        let b = format!("economics.basis={basis}");
        let o = run(&[
            "estimate",
            "-c",
            "configs",
            "-c",
            path(dir.path()),
            "--workload",
            "job",
            "--accelerator",
            "h100-sxm",
            "--json",
            "--set",
            "economics.training_goodput=1",
            "--set",
            &b,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str::<Value>(&stdout(&o)).expect("json")["results"][0].clone()
    };
    let od = est("on_demand");
    assert!((od["chip_hours"].as_f64().unwrap_or(0.0) - 156.0).abs() < 1e-6, "{od}");
    assert_eq!(od["billed_chips"].as_u64(), Some(16), "{od}");
    assert!((od["billed_hours"].as_f64().unwrap_or(0.0) - 13.0).abs() < 1e-9, "{od}");
    assert!((od["billed_chip_hours"].as_f64().unwrap_or(0.0) - 208.0).abs() < 1e-6, "{od}");
    // The cost is the billed chip-hours at the price.
    let price = od["usd_per_chip_hour"].as_f64().unwrap_or(0.0);
    assert!(
        (od["cost_usd"].as_f64().unwrap_or(0.0) / (208.0 * price) - 1.0).abs() < 1e-9,
        "{od}"
    );
    let cb = est("capacity_block");
    assert_eq!(cb["billed_chips"].as_u64(), Some(16), "{cb}");
    assert!((cb["billed_hours"].as_f64().unwrap_or(0.0) - 24.0).abs() < 1e-9, "{cb}");
    assert!((cb["billed_chip_hours"].as_f64().unwrap_or(0.0) - 384.0).abs() < 1e-6, "{cb}");
}

/// `attention` without the shape counts nothing: a warning says so, at the key.
#[test]
fn attention_without_a_shape_is_warned_about() {
    let w = "[[training]]\nid = \"no-shape\"\nparams_b = 8\ntokens_t = 1\nprecision = \"bf16\"\nattention = \"full\"\nsource = \"test\"\nas_of = \"2026-01\"\n";
    let d = with_extra(w);
    let o = run(&["validate", "-c", path(d.path())]);
    let err = stderr(&o);
    assert!(
        err.contains("zz-extra.toml:6:") && err.contains("gives `attention` but no layers, attention_width, seq_len"),
        "{err}"
    );
}

/// `explain` says whether the run's chips hold it and how far billing exceeds use.
#[test]
fn explain_names_feasibility_and_billed_over_used() {
    let on16 = SHAPED
        .replace("shaped-70b", "on-16")
        .replace("seq_len = 8192\n", "seq_len = 8192\nchips = 16\n");
    // 12 chips x 13 h as in the billing test: 16 x 13 = 208 billed over 156 used = 1.33x.
    let job = "[[training]]\nid = \"job\"\nparams_b = 1\ntokens_t = 1\nprecision = \"bf16\"\nchips = 12\nflops = 2.2216896e20\nsource = \"test\"\n";
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("extra.toml"), format!("{on16}{job}")).expect("write");
    let explain = |w: &str| {
        let o = run(&[
            "explain",
            "-c",
            "configs",
            "-c",
            path(dir.path()),
            "--workload",
            w,
            "--accelerator",
            "h100-sxm",
            "--set",
            "economics.training_goodput=1",
            "--set",
            "economics.basis=on_demand",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let out = explain("on-16");
    assert!(
        out.contains("NOT feasible: the run's 16 chips are fewer than min chips 20"),
        "{out}"
    );
    let out = explain("job");
    assert!(out.contains("feasible: the run's 12 chips hold"), "{out}");
    assert!(out.contains("billed chip-hours are 1.33x the used chip-hours"), "{out}");
}

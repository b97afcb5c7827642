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
    // 12 * 80 * 8192 * 8192 * 15e12 = 9.663676416e23 FLOP on top of 6ND = 6.3e24.
    let attn = shaped["attention_flops"].as_f64().unwrap_or(0.0);
    assert!((attn / 9.663_676_416e23 - 1.0).abs() < 1e-12, "{shaped}");
    assert!(plain["attention_flops"].is_null(), "{plain}");
    assert_eq!(shaped["goodput"].as_f64(), Some(0.8));
    // Same chip, MFU and goodput: chip-hours scale with C.
    let ratio = shaped["chip_hours"].as_f64().unwrap_or(0.0) / plain["chip_hours"].as_f64().unwrap_or(1.0);
    assert!((ratio - 7.266_367_641_6 / 6.3).abs() < 1e-9, "ratio {ratio}");
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
    // C = 7.2663676416e24; 1979e12 * 0.3 = 5.937e14 FLOP/s; / goodput 0.9 (built-in default) / 3600.
    let want = 7.266_367_641_6e24 / 5.937e14 / 0.9 / 3600.0;
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
    for f in ["aws.toml", "google.toml", "nvidia.toml"] {
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
        let m = &shipped[acc]["efficiency"]["training_mfu"][prec];
        for (k, j) in [("low", "low"), ("base", "mfu"), ("high", "high")] {
            let got = m[k].as_float().unwrap_or(f64::NAN);
            let want = f[j].as_f64().unwrap_or(f64::NAN);
            assert_eq!(sig3(got), sig3(want), "{acc} {prec} {k}: shipped {got}, fit {want}");
        }
    }
}

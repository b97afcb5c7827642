//! Each command's output shape, on the starter fixture and the shipped configs.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{fixture, run, stderr, stdout};

fn good() -> String {
    fixture("good").to_string_lossy().into_owned()
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("valid JSON")
}

#[test]
fn estimate_json_has_the_cli_md_training_shape() {
    let v = json(&["estimate", "-c", &good(), "--workload", "dense-70b", "--json"]);
    assert_eq!(v["workload"], "dense-70b");
    assert_eq!(v["kind"], "training");
    assert_eq!(v["basis"], "on_demand");
    let r = &v["results"][0];
    for k in [
        "accelerator",
        "usd_per_chip_hour",
        "flops",
        "chip_hours",
        "cost_usd",
        "wall_days",
        "min_chips",
        "feasible",
        "energy_kwh",
    ] {
        assert!(r.get(k).is_some(), "missing {k} in {r}");
    }
    // The starter's MFU and prices are ranges: P10/P50/P90 keys present and ordered (they are
    // the draws' percentiles; the point figure need not lie between them).
    let (p10, p50, p90) = (r["p10_cost_usd"].as_f64(), r["p50_cost_usd"].as_f64(), r["p90_cost_usd"].as_f64());
    assert!(p10.is_some() && p10 <= p50 && p50 <= p90, "{p10:?} {p50:?} {p90:?}");
}

#[test]
fn estimate_json_has_the_cli_md_inference_shape() {
    let v = json(&[
        "estimate",
        "-c",
        &good(),
        "--workload",
        "chat-70b",
        "--accelerator",
        "trn2",
        "--json",
    ]);
    assert_eq!(v["kind"], "inference");
    let r = &v["results"][0];
    for k in [
        "accelerator",
        "usd_per_chip_hour",
        "chips_per_replica",
        "output_tokens_per_s_per_chip",
        "tokens_per_s_per_user",
        "ttft_s",
        "usd_per_m_output_tokens",
        "usd_per_m_tokens",
        "measured",
    ] {
        assert!(r.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["results"].as_array().map(Vec::len), Some(1));
}

#[test]
fn no_ranges_means_no_percentile_keys() {
    // Pin every ranged input of the h100 training row to a number: the keys disappear.
    let sets = [
        "accelerator.h100-sxm.efficiency.training_mfu=0.4",
        "economics.pue=1.2",
        "economics.load_factor=0.8",
        "economics.system_power_factor=1.4",
        "economics.training_goodput=0.9",
    ];
    let mut args = vec![
        "estimate",
        "-c",
        fixture_str(),
        "--workload",
        "dense-70b",
        "--accelerator",
        "h100-sxm",
        "--json",
    ];
    for s in &sets {
        args.push("--set");
        args.push(s);
    }
    let v = json(&args);
    let r = &v["results"][0];
    assert!(r.get("p10_cost_usd").is_none(), "{r}");
}

fn fixture_str() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/good")
}

#[test]
fn skipped_accelerators_are_listed_with_the_reason() {
    // trn2 has no committed price in the starter config.
    let v = json(&[
        "estimate",
        "-c",
        &good(),
        "--workload",
        "dense-70b",
        "--set",
        "economics.basis=committed",
        "--set",
        "accelerator.h100-sxm.cloud.committed_usd_per_chip_hour=4.9",
        "--json",
    ]);
    let skipped = v["skipped"].as_array().expect("skipped list");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["accelerator"], "trn2");
    assert!(skipped[0]["reason"].as_str().unwrap_or("").contains("committed"), "{skipped:?}");
}

#[test]
fn compare_marks_the_cheapest_and_gives_ratios_in_every_format() {
    let t = stdout(&run(&["compare", "-c", &good()]));
    assert!(t.contains("*  trn2"), "{t}");
    assert!(t.contains("1.00x"), "{t}");
    let md = stdout(&run(&["compare", "-c", &good(), "--format", "markdown"]));
    assert!(md.contains("| **trn2** |"), "{md}");
    let csv = stdout(&run(&["compare", "-c", &good(), "--format", "csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{csv}");
    // Fields (RFC 4180: a quoted field may hold commas).
    let fields = |l: &str| {
        l.chars()
            .fold((1, false), |(n, q), c| match c {
                '"' => (n, !q),
                ',' if !q => (n + 1, q),
                _ => (n, q),
            })
            .0
    };
    let cols = fields(lines[0]);
    assert!(lines.iter().all(|l| fields(l) == cols), "{csv}");
    let v = json(&["compare", "-c", &good(), "--format", "json"]);
    assert_eq!(v["workloads"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["workloads"][0]["results"][1]["cheapest"], true);
}

#[test]
fn break_even_price_really_gives_a_ratio_of_one() {
    let v = json(&["estimate", "-c", &good(), "--workload", "chat-70b", "--json"]);
    let trn2 = v["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["accelerator"] == "trn2"))
        .expect("trn2 row");
    let be = trn2["break_even_usd_per_chip_hour"].as_f64().expect("break-even");
    let set = format!("accelerator.trn2.cloud.on_demand_usd_per_chip_hour={be}");
    let v2 = json(&["estimate", "-c", &good(), "--workload", "chat-70b", "--set", &set, "--json"]);
    let r = v2["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["accelerator"] == "trn2"))
        .expect("trn2 row");
    let ratio = r["ratio_to_reference"].as_f64().expect("ratio");
    assert!((ratio - 1.0).abs() < 1e-9, "ratio at break-even {ratio}");
}

#[test]
fn same_seed_gives_byte_identical_output() {
    let a = stdout(&run(&["compare", "-c", &good(), "--format", "json"]));
    let b = stdout(&run(&["compare", "-c", &good(), "--format", "json"]));
    assert_eq!(a, b);
    let c = stdout(&run(&[
        "compare",
        "-c",
        &good(),
        "--format",
        "json",
        "--set",
        "report.monte_carlo.seed=7",
    ]));
    assert_ne!(a, c);
}

#[test]
fn explain_names_each_input_with_its_file_line_and_source() {
    let o = run(&["explain", "-c", &good(), "--workload", "dense-70b", "--accelerator", "trn2"]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    assert!(t.contains("accelerator.trn2.cloud.on_demand_usd_per_chip_hour at "), "{t}");
    assert!(t.contains("accelerators.toml:"), "{t}");
    assert!(t.contains("source [S1]") && t.contains("Sources:"), "{t}");
    // The fixture's workload gives no attention shape: C is 6ND and a note says so.
    assert!(t.contains("6ND (parameter FLOPs) = 6 * N * D"), "{t}");
    assert!(t.contains("attention FLOPs not counted"), "{t}");
    assert!(t.contains("Result: cost_usd = "), "{t}");
    assert!(t.contains("ESTIMATE"), "{t}");
}

#[test]
fn explain_shows_an_override_as_its_origin() {
    let t = stdout(&run(&[
        "explain",
        "-c",
        &good(),
        "--workload",
        "chat-70b",
        "--accelerator",
        "h100-sxm",
        "--set",
        "accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour=2",
    ]));
    assert!(
        t.contains("at --set accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour=2"),
        "{t}"
    );
}

/// The lines of one input of `explain` (its `[k] label = ...` line and the lines below it).
fn explain_input<'a>(text: &'a str, label: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| !(l.trim_start().starts_with('[') && l.contains(label)));
    let first: Vec<&str> = lines.next().into_iter().collect();
    first.into_iter().chain(lines.take_while(|l| l.starts_with("       "))).collect()
}

#[test]
fn explain_says_a_set_value_came_from_the_command_line_not_the_file_it_replaced() {
    // A plain number and a range over the file's range: both must name the --set, and the
    // source must be the command line, not economics.toml's `source`.
    for (set, shown) in [
        ("economics.pue=1.25", "PUE = 1.25"),
        ("economics.pue={ low = 1.2, base = 1.25, high = 1.3 }", "range 1.2 / 1.25 / 1.3"),
    ] {
        let o = run(&[
            "explain",
            "-c",
            &good(),
            "--workload",
            "dense-70b",
            "--accelerator",
            "trn2",
            "--set",
            "economics.basis=owned",
            "--set",
            set,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let t = stdout(&o);
        let input = explain_input(&t, "PUE = ");
        assert!(input.first().is_some_and(|l| l.contains(shown)), "{input:?}\n{t}");
        let joined = input.join("\n");
        assert!(joined.contains(&format!("economics.pue at --set {set}")), "{joined}");
        assert!(!joined.contains("economics.toml"), "{joined}");
        assert!(!joined.contains("as of"), "a --set has no date: {joined}");
        let s = joined
            .split("source [")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .unwrap_or_default();
        let listed = t
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("[{s}] ")))
            .unwrap_or_default();
        assert!(
            !s.is_empty() && listed.contains("command line") && !listed.contains("EIA"),
            "source [{s}] of the --set value: {listed}\n{t}"
        );
    }
}

#[test]
fn a_set_value_is_not_marked_by_the_files_estimates() {
    // economics.toml lists cost_of_capital in `estimates`: that mark is about the file's
    // range, not about a planner's own --set figure (no ESTIMATE, no "give a range" warning).
    let set = "economics.cost_of_capital=0.07";
    let o = run(&[
        "explain",
        "-c",
        &good(),
        "--workload",
        "dense-70b",
        "--accelerator",
        "trn2",
        "--set",
        "economics.basis=owned",
        "--set",
        set,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    let input = explain_input(&t, "cost of capital = ");
    assert!(
        input.first().is_some_and(|l| l.contains("0.07") && !l.contains("ESTIMATE")),
        "{input:?}\n{t}"
    );
    assert!(!stderr(&o).contains("warning: "), "{}", stderr(&o));
}

#[test]
fn unknown_workload_or_accelerator_is_a_usage_error_with_a_hint() {
    let o = run(&["explain", "-c", &good(), "--workload", "dense70b", "--accelerator", "trn2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `dense-70b`?"), "{}", stderr(&o));
}

#[test]
fn a_closed_pipe_exits_zero() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accel-cost"))
        .args(["compare", "-c", &good()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 1];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("one byte");
    // stdout is dropped here: the pipe is closed with output still pending.
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn init_writes_a_starter_that_validates_and_refuses_a_full_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("starter");
    let t = target.to_string_lossy().into_owned();
    let o = run(&["init", &t]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = run(&["validate", "-c", &t]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    assert!(stderr(&v).is_empty(), "starter gives warnings: {}", stderr(&v));
    let again = run(&["init", &t]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn calibrate_json_has_runs_and_a_median() {
    let v = json(&["calibrate", "--json"]);
    let runs = v["runs"].as_array().expect("runs");
    assert!(runs.len() >= 30);
    for r in runs {
        for k in [
            "id",
            "accelerator",
            "reported_chip_hours",
            "hours_basis",
            "predicted_chip_hours",
            "error_pct",
            "implied_mfu",
            "attention_flops",
            "goodput",
            "rule_of_thumb_error_pct",
            "loo_error_pct",
        ] {
            assert!(r.get(k).is_some(), "missing {k}");
        }
    }
    assert!(v["median_abs_error_pct"].as_f64().is_some());
    // Acceptance (issue 13, on dense runs): the leave-one-out fit scores a median |error| <= 12%
    // on the shipped dense runs; the mixture-of-experts runs (issue 19, 35% before a MoE
    // efficiency) stay <= 25%; the rule of thumb is worse than the leave-one-out fit.
    let loo = v["loo_median_abs_error_pct"].as_f64().unwrap_or(100.0);
    let rot = v["rule_of_thumb_median_abs_error_pct"].as_f64().unwrap_or(0.0);
    let split = v["dense_moe_median_abs_error_pct"].as_array().expect("dense/moe split");
    let (loo_dense, loo_moe) = (split[2].as_f64().unwrap_or(100.0), split[3].as_f64().unwrap_or(100.0));
    assert!(loo_dense <= 12.0, "leave-one-out median, dense runs {loo_dense}");
    assert!(loo_moe <= 25.0, "leave-one-out median, MoE runs {loo_moe}");
    assert!(rot > loo, "rule of thumb {rot} vs leave-one-out {loo}");
    // Without --fit the fit is not in the JSON; DeepSeek-V3 is an fp8, all_in run.
    assert!(v.get("training_fit").is_none());
    let ds = runs.iter().find(|r| r["id"] == "deepseek-v3").expect("deepseek-v3");
    assert_eq!(
        (ds["precision"].as_str(), ds["hours_basis"].as_str()),
        (Some("fp8"), Some("all_in"))
    );
}

#[test]
fn calibrate_fit_prints_the_toml_to_paste_and_every_chip_is_checked_by_other_runs() {
    let v = crate::common::calibrate_fit();
    let fits = v["training_fit"].as_array().expect("training_fit");
    let h100_fp8 = fits
        .iter()
        .find(|f| f["accelerator"] == "h100-sxm" && f["precision"] == "fp8")
        .expect("h100 fp8 fit");
    let mfu = h100_fp8["mfu"].as_f64().unwrap_or(0.0);
    assert!(h100_fp8["low"].as_f64().unwrap_or(1.0) <= mfu && mfu <= h100_fp8["high"].as_f64().unwrap_or(0.0));
    let toml = v["training_fit_toml"].as_str().expect("training_fit_toml");
    assert!(toml.contains("training_mfu = { bf16 = {"), "{toml}");
    assert!(toml.contains("(accel-cost calibrate --fit)"), "{toml}");
    // Every run has a leave-one-out figure: no chip with public runs is left unchecked.
    for r in v["runs"].as_array().expect("runs") {
        assert!(r["loo_error_pct"].as_f64().is_some(), "no leave-one-out for {r}");
    }
    // The text's training half, on the shipped configs but the serving benchmarks (whose fit is
    // checked through `calibrate_fit()` above): 0.1 s instead of 4 s in a debug build.
    let text = stdout(&run(&[
        "calibrate",
        "--fit",
        "-c",
        "configs/accelerators",
        "-c",
        "configs/calibration.toml",
        "-c",
        "configs/economics.toml",
        "-c",
        "configs/workloads.toml",
        "-c",
        "configs/report.toml",
    ]));
    assert!(text.contains("Paste into each accelerator's [accelerator.efficiency]"), "{text}");
    // The TOML to paste is printed one line per line, not with escaped newlines.
    assert!(text.contains("\ntraining_mfu = { "), "{text}");
    assert!(!text.contains("\\ntraining_mfu"), "{text}");
    assert!(text.contains("no public run for:"), "{text}");
    // The training TOML to paste prints as lines, not one line with escaped breaks.
    assert!(!text.contains("\\ntraining_mfu"), "escaped line breaks in the paste block");
    assert!(text.lines().any(|l| l.starts_with("training_mfu = ")), "{text}");
}

#[test]
fn explain_shows_the_attention_term_goodput_and_the_mfu_source() {
    let t = stdout(&run(&["explain", "--workload", "dense-70b", "--accelerator", "h100-sxm"]));
    assert!(
        t.contains("attention FLOPs = causal attention: 6 * layers 80 * attention_width 8192 * seq_len 8192 * D"),
        "{t}"
    );
    assert!(t.contains("training goodput = 0.9"), "{t}");
    assert!(t.contains("chip-hours = C / delivered FLOP/s / goodput / 3600"), "{t}");
    assert!(t.contains("accelerator.h100-sxm.efficiency.training_mfu.bf16 at "), "{t}");
    assert!(t.contains("training_mfu: fit on"), "{t}");
}

#[test]
fn shipped_configs_validate_with_twenty_nine_accelerators_and_no_missing_source() {
    let o = run(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // 20 of today's era and 9 legacy ones (K80 ... TPU v3); the report draws the 20.
    assert!(out.contains("Accelerators (29)"), "{out}");
    assert!(out.contains("20 accelerators"), "{out}");
    for fam in ["gpu (17)", "trainium (3)", "inferentia (2)", "tpu (7)"] {
        assert!(out.contains(fam), "{fam} missing: {out}");
    }
    assert!(!stderr(&o).contains("no `source`"), "{}", stderr(&o));
}

#[test]
fn shipped_bands_are_ordered_percentiles_with_a_probability_of_being_cheaper() {
    let mut rows = 0;
    for w in ["dense-8b", "dense-70b", "dense-405b", "moe-671b", "chat-8b", "chat-70b"] {
        let v = json(&["estimate", "--workload", w, "--json"]);
        let key = if v["kind"] == "training" {
            "cost_usd"
        } else {
            "usd_per_m_output_tokens"
        };
        for r in v["results"].as_array().expect("results") {
            let p = |q: &str| r[format!("{q}_{key}")].as_f64();
            if let (Some(lo), Some(mid), Some(hi)) = (p("p10"), p("p50"), p("p90")) {
                assert!(lo <= mid && mid <= hi, "{w}/{}: {lo} {mid} {hi}", r["accelerator"]);
                rows += 1;
            }
            if let Some(x) = r["p_cheaper_than_reference"].as_f64() {
                assert!((0.0..=1.0).contains(&x), "{w}/{}: {x}", r["accelerator"]);
            }
        }
    }
    assert!(rows > 20, "only {rows} rows had bands");
}

#[test]
fn fewer_than_100_draws_give_no_bands_and_no_percentile_keys() {
    let few = json(&[
        "estimate",
        "--workload",
        "dense-70b",
        "--json",
        "--set",
        "report.monte_carlo.samples=99",
    ]);
    let many = json(&[
        "estimate",
        "--workload",
        "dense-70b",
        "--json",
        "--set",
        "report.monte_carlo.samples=100",
    ]);
    for r in few["results"].as_array().expect("results") {
        let keys: Vec<&String> = r
            .as_object()
            .expect("row")
            .keys()
            .filter(|k| k.starts_with("p10_") || k.starts_with("p90_") || k.starts_with("p_"))
            .collect();
        assert!(keys.is_empty(), "{keys:?}");
    }
    assert!(many["results"][0].get("p10_cost_usd").is_some());
    // The reference against itself: never cheaper.
    let reference = many["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["accelerator"] == "h100-sxm")
        .expect("h100 row");
    assert_eq!(reference["p_cheaper_than_reference"].as_f64(), Some(0.0));
}

#[test]
fn use_measured_is_deprecated_and_benchmarks_never_replace_the_model() {
    let args = ["estimate", "--workload", "chat-70b", "--accelerator", "h100-sxm", "--json"];
    let plain = run(&args);
    let mut with: Vec<&str> = args.to_vec();
    with.extend(["--set", "report.use_measured=true"]);
    let old = run(&with);
    assert_eq!(old.status.code(), Some(0));
    assert!(stderr(&old).contains("use_measured is deprecated"), "{}", stderr(&old));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&stdout(&plain)).unwrap_or_default(),
        serde_json::from_str(&stdout(&old)).unwrap_or_default(),
    );
    assert_eq!(a["results"][0]["measured"], false);
    assert_eq!(a["results"][0], b["results"][0], "the key changes nothing");
}

#[test]
fn an_unpriced_reference_is_a_warning_naming_why_ratios_are_blank() {
    // trn2 has no hyperscaler on-demand offer: as the reference it leaves every ratio blank.
    // (Without fallback: the shipped `fallback = "any"` would price it from its Capacity Block.)
    let o = run(&[
        "compare",
        "--workload",
        "dense-70b",
        "--set",
        "report.reference=trn2",
        "--set",
        "economics.fallback=none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("warning: dense-70b: the reference `trn2` is not costed (has no hyperscaler on_demand offer)"),
        "{e}"
    );
    let ok = run(&["compare", "--workload", "dense-70b"]);
    assert!(!stderr(&ok).contains("is not costed"), "{}", stderr(&ok));
}

#[test]
fn a_set_of_one_price_form_replaces_the_files_other_form() {
    // The shipped AWS H100 offer is priced per instance; a planner's per-chip --set replaces it.
    let v = json(&[
        "estimate",
        "--workload",
        "dense-70b",
        "--accelerator",
        "h100-sxm",
        "--json",
        "--set",
        "accelerator.h100-sxm.offer.aws-on-demand.usd_per_chip_hour=4",
    ]);
    assert_eq!(v["results"][0]["usd_per_chip_hour"].as_f64(), Some(4.0), "{v}");
    // Both forms in one file stay an error asking to keep one.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("a.toml");
    std::fs::write(
        &f,
        "[[accelerator]]\nid = \"x\"\nfamily = \"gpu\"\nyear = 2024\ndense_tflops = { bf16 = 100 }\nmemory_gb = 80\nmemory_gib = 75\npower_w = 700\nsource = \"t\"\nas_of = \"2025-01\"\n",
    )
    .expect("write");
    let o = run(&["validate", "-c", f.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("keep one of them"), "{}", stderr(&o));
}

#[test]
fn validate_summarizes_repeated_defaults_by_key_and_lists_them_with_defaults() {
    // The shipped configs leave max_batch to its default in every inference workload: one line
    // per key, not one entry per workload.
    let o = run(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    let line = t.lines().find(|l| l.contains("max_batch")).unwrap_or_default();
    assert!(
        line.trim_start().starts_with("max_batch: default 256 in ")
            && line.contains(" inference workloads (")
            && line.contains(" benchmarks)"),
        "{t}"
    );
    assert_eq!(t.matches("max_batch").count(), 1, "{t}");
    assert!(t.contains("--defaults"), "the summary says how to see every default:\n{t}");
    // `--defaults` lists each one with its value.
    let o = run(&["validate", "-c", &good(), "--defaults"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("  inference.chat-70b.max_batch = 256"), "{t}");
    assert!(
        t.contains("  economics.training_goodput = 0.66 / 0.9 / 0.97 (low / base / high)"),
        "{t}"
    );
}

#[test]
fn estimate_of_one_chip_has_its_ratio_without_a_contradicting_warning() {
    // The reference is costed (the ratio is there), so no "reference not costed" warning, and a
    // single row is not "cheapest" of anything.
    let o = run(&["estimate", "--workload", "dense-70b", "--accelerator", "trn1", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not costed"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let row = &v["results"][0];
    assert!(row["ratio_to_reference"].as_f64().is_some_and(|r| r > 0.0), "{row}");
    assert_eq!(row["cheapest"], serde_json::Value::Bool(false), "{row}");
    // Nothing costed on the basis: the warning names the bases the chip has prices on.
    let o = run(&[
        "estimate",
        "--workload",
        "dense-70b",
        "--accelerator",
        "trn2",
        "--set",
        "economics.fallback=none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing is costed on basis on_demand") && stderr(&o).contains("--set economics.basis=capacity_block"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_estimated_price_is_marked_in_every_table_format() {
    // No shipped on-demand price of chat-70b is an estimate since the December 2026 audit
    // confirmed MI300X's $6.00: a planner's `estimate = true` marks the Azure offer chosen.
    for format in ["table", "markdown"] {
        let o = run(&[
            "compare",
            "-q",
            "--workload",
            "chat-70b",
            "--format",
            format,
            "--set",
            "accelerator.mi300x.offer.azure-on-demand.estimate=true",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        let row = out.lines().find(|l| l.contains("mi300x")).unwrap_or_else(|| panic!("{out}"));
        assert!(row.contains("(est.)"), "{format}: {row}");
        let h100 = out.lines().find(|l| l.contains("h100-sxm")).unwrap_or_else(|| panic!("{out}"));
        assert!(!h100.contains("(est.)"), "{format}: {h100}");
    }
}

#[test]
fn fleet_of_a_million_tpu7x_draws_about_1_45_gw_with_bands() {
    let o = run(&[
        "fleet",
        "--accelerator",
        "tpu7x",
        "--chips",
        "1000000",
        "--json",
        "--set",
        "report.monte_carlo.samples=200",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let f = &v["figures"];
    let x = |k: &str| f[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    // 1e6 x 800 W x system_power_factor 1.39 x PUE 1.3 = 1445.6 MW
    assert!((x("facility_mw") - 1445.6).abs() < 0.1, "{v}");
    assert!(
        x("facility_mw_p10") < x("facility_mw") && x("facility_mw") < x("facility_mw_p90"),
        "{v}"
    );
    // capex = chips + servers + buildings; tokens per day with a band
    assert!((x("capex_chips_usd") + x("capex_servers_usd") + x("capex_buildings_usd") - x("capex_usd")).abs() < 1.0);
    assert!(x("output_tokens_per_day_p10") < x("output_tokens_per_day_p90"), "{v}");
    assert!(x("usd_per_year_owned") > 0.0 && x("usd_per_year_on_demand") > 0.0, "{v}");
    assert_eq!(v["meets_per_user_target"], true, "{v}");
    // The budget of that capex buys the same million chips; a chip without chip_usd is a usage error.
    let budget = format!("{}", x("capex_usd"));
    let o = run(&[
        "fleet",
        "--accelerator",
        "tpu7x",
        "--budget-usd",
        &budget,
        "--json",
        "--set",
        "report.monte_carlo.samples=1",
    ]);
    let b: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!((b["figures"]["chips"].as_f64().unwrap_or_default() - 1e6).abs() < 1e-3, "{b}");
    // Inferentia2's fastest replica serves 35 tokens/s per user: at a 45 target its tokens are
    // of a slower service, and the fleet says so.
    let o = run(&[
        "fleet",
        "--accelerator",
        "inf2",
        "--power-mw",
        "100",
        "--set",
        "inference.chat-70b.min_tokens_per_s_per_user=45",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("below the workload's per-user target"), "{}", stdout(&o));
    let o = run(&["fleet", "--accelerator", "mi355x", "--power-mw", "1000"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("chip_usd"), "{}", stderr(&o));
}

/// A fleet of no chips, or a budget that buys less than one chip, is an error with a hint about
/// the size, not about owned prices.
#[test]
fn a_fleet_under_one_chip_is_an_error_with_a_size_hint() {
    let o = run(&["fleet", "--accelerator", "h100-sxm", "--chips", "0"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("has 0 chips") && err.contains("e.g. --chips 1000"), "{err}");
    let o = run(&["fleet", "--accelerator", "h100-sxm", "--budget-usd", "10000"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("buys less than one"), "{err}");
    assert!(!err.contains("[accelerator.owned]"), "{err}");
}

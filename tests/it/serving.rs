//! The serving step model on the shipped configs (MODEL.md "Serving"): the behaviours public
//! serving shows and the v1 roofline missed, the benchmark check, and `explain`.

use serde_json::Value;

use crate::common::{run, stderr, stdout};

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("valid JSON")
}

/// The one result row of `estimate --workload W --accelerator A --json --set ...`.
fn row(workload: &str, acc: &str, sets: &[String]) -> Value {
    // One Monte Carlo draw: no bands (these tests read point figures), a fast debug run.
    let mut args = vec![
        "estimate",
        "--workload",
        workload,
        "--accelerator",
        acc,
        "--json",
        "--set",
        "report.monte_carlo.samples=1",
    ];
    for s in sets {
        args.extend(["--set", s.as_str()]);
    }
    let v = json(&args);
    v["results"][0].clone()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn a_moe_batch_of_18_costs_well_under_half_of_batch_1_per_output_token() {
    // DeepSeek-V3 shape: 256 experts, 8 per token. One sequence reads 8 experts per layer, 18
    // read ~111, so weights are not read 18 times over; the cost per token falls far more than 2x.
    let at = |b: u32| row("moe-671b-chat", "h100-sxm", &[format!("inference.moe-671b-chat.batch={b}")]);
    let (one, eighteen) = (at(1), at(18));
    let ratio = f(&eighteen, "usd_per_m_output_tokens") / f(&one, "usd_per_m_output_tokens");
    assert!(ratio < 0.4, "batch 18 / batch 1 cost per output token = {ratio}");
}

#[test]
fn ttft_at_128k_input_is_far_above_128x_the_ttft_at_1k() {
    // Attention FLOPs grow with the square of the prompt.
    let at = |lin: u32| {
        row(
            "chat-8b",
            "h100-sxm",
            &[
                format!("inference.chat-8b.input_tokens={lin}"),
                "inference.chat-8b.batch=1".into(),
                "inference.chat-8b.chips_per_replica=1".into(),
            ],
        )
    };
    let (short, long) = (f(&at(1024), "ttft_s"), f(&at(131_072), "ttft_s"));
    assert!(long > 2.0 * 128.0 * short, "TTFT 128k {long} s vs 1k {short} s");
}

#[test]
fn per_user_speed_on_8_chips_is_well_under_8x_one_chip() {
    // Weights and KV split 8 ways, but per-layer overheads and all-reduces do not shrink.
    let at = |n: u32| {
        row(
            "chat-8b",
            "h100-sxm",
            &[
                "inference.chat-8b.batch=1".into(),
                format!("inference.chat-8b.chips_per_replica={n}"),
            ],
        )
    };
    let ratio = f(&at(8), "tokens_per_s_per_user") / f(&at(1), "tokens_per_s_per_user");
    assert!(ratio > 1.0 && ratio < 4.0, "8 chips / 1 chip per-user speed = {ratio}");
}

#[test]
fn a_70b_bf16_model_on_h100_never_gets_a_3_chip_replica() {
    // 140 GB of weights need 2+ H100s; 64 heads split over 1, 2, 4, 8, ... chips only.
    for target in ["5", "20", "40", "80"] {
        for batch in [None, Some("1"), Some("100")] {
            let mut sets = vec![
                "inference.chat-70b.precision=\"bf16\"".to_string(),
                "inference.chat-70b.kv_precision=\"bf16\"".to_string(),
                format!("inference.chat-70b.min_tokens_per_s_per_user={target}"),
            ];
            if let Some(b) = batch {
                sets.push(format!("inference.chat-70b.batch={b}"));
            }
            let r = row("chat-70b", "h100-sxm", &sets);
            let n = r["chips_per_replica"].as_u64().unwrap_or(0);
            assert!(n >= 2 && n.is_power_of_two() && 64 % n == 0, "{sets:?}: {n} chips");
        }
    }
}

#[test]
fn every_chip_of_chat_70b_is_modelled_and_h200_outserves_h100() {
    let v = json(&[
        "estimate",
        "--workload",
        "chat-70b",
        "--json",
        "--set",
        "report.monte_carlo.samples=1",
        // Chips without a hyperscaler on-demand offer (gb200, trn2, mi325x) borrow another
        // market's price, so every chip with a price at all is modelled.
        "--set",
        "economics.fallback=any",
    ]);
    let rows = v["results"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() >= 12, "{} rows", rows.len());
    for r in &rows {
        assert_eq!(r["measured"], false, "{}", r["accelerator"]);
        // Input and output prices add up to the blended one, weighted by tokens.
        let (b, lin, lout) = (f(r, "batch"), 1000.0, 300.0);
        let p = b * lin / lout;
        let lhs = f(r, "usd_per_m_input_tokens") * p + f(r, "usd_per_m_output_tokens") * b;
        let rhs = f(r, "usd_per_m_tokens") * (b + p);
        assert!((lhs - rhs).abs() <= 1e-9 * rhs, "{}: {lhs} vs {rhs}", r["accelerator"]);
    }
    // Only chips without fp8 are skipped, each with its reason ...
    let skipped: Vec<String> = v["skipped"]
        .as_array()
        .map(|a| a.iter().map(|s| s["reason"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default();
    // ... or have no price anywhere (trn3, mi355x: no public offer).
    assert!(
        skipped.iter().all(|s| s.contains("dense_tflops.fp8") || s.contains("offer")),
        "{skipped:?}"
    );
    let tps = |id: &str| {
        rows.iter()
            .find(|r| r["accelerator"] == id)
            .map(|r| f(r, "output_tokens_per_s_per_chip"))
            .unwrap_or(0.0)
    };
    assert!(tps("h200") > tps("h100-sxm"), "h200 {} vs h100 {}", tps("h200"), tps("h100-sxm"));
}

#[test]
fn benchmarks_never_flood_the_tables() {
    let o = run(&["compare", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("bench-"), "a benchmark workload is listed by compare");
    // But one can still be costed by name.
    let r = row("bench-m41-h100x8-srv", "h100-sxm", &[]);
    assert_eq!(r["chips_per_replica"].as_u64(), Some(2));
    assert_eq!(f(&r, "batch"), 836.0);
}

#[test]
fn calibrate_checks_every_benchmark_within_the_acceptance_errors() {
    let v = crate::common::calibrate_fit();
    let benches = v["benchmarks"].as_array().cloned().unwrap_or_default();
    assert_eq!(benches.len(), 88);
    let median = f(&v, "benchmarks_median_abs_error_pct");
    assert!(median <= 10.0, "median |error| {median}%");
    let fit = &v["serving_fit"];
    let cv = f(fit, "cv_median_abs_error_pct");
    assert!(cv <= 12.0, "5-fold cross-validated median |error| {cv}%");
    // GB300 NVL72 runs (costed as b300) from the gb200 fit, fitted without them.
    let gb300 = fit["cross"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["predicted"] == "b300" && c["with_fit_of"] == "gb200"))
        .cloned()
        .unwrap_or_default();
    let e = f(&gb300, "max_abs_error_pct");
    assert!(e <= 20.0, "b300 from gb200's fit: worst point {e}%");
    // The shipped efficiencies are that fit's output: refitting reproduces the in-sample error.
    let refit = f(fit, "median_abs_error_pct");
    assert!((refit - median).abs() < 0.5, "shipped {median}% vs refit {refit}%");
}

#[test]
fn explain_shows_the_step_terms_the_candidates_and_the_choice() {
    let o = run(&["explain", "--workload", "chat-70b", "--accelerator", "h100-sxm"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for part in [
        "t_gemm",
        "t_attn",
        "t_tp",
        "per-layer overheads",
        "t_step",
        "replica candidates",
        "n = 1",
        "n = 2",
        "chosen: n =",
        "min_tokens_per_s_per_user",
        "B_kv",
        "USD per million input tokens",
        "serving MFU",
    ] {
        assert!(text.contains(part), "explain lacks `{part}`:\n{text}");
    }
}

#[test]
fn v1_efficiency_keys_still_load_with_a_warning_naming_the_v2_keys() {
    // tests/fixtures/unusual gives the `huge` chip prefill_mfu, decode_mfu and decode_mbu only.
    let dir = crate::common::fixture("unusual");
    let o = run(&["validate", "-c", dir.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let w = err
        .lines()
        .find(|l| l.starts_with("warning: ") && l.contains("prefill_mfu"))
        .unwrap_or_else(|| panic!("no v1 warning:\n{err}"));
    for k in ["serving_mfu", "weight_bw_eff", "kv_bw_eff", "moe_efficiency", "all.toml:"] {
        assert!(w.contains(k), "`{k}` missing from: {w}");
    }
}

#[test]
fn calibrate_prints_every_benchmark_and_medians_per_chip_and_per_source() {
    let o = run(&["calibrate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for part in [
        "Serving benchmarks ([[measured]]): step model vs measured",
        "bench-m41-h100x8-srv",
        "Serving benchmarks by chip",
        "Serving benchmarks by source",
        "MLPerf Inference v5.1 closed",
        "TensorRT-LLM",
        "median absolute error (output tokens/s per chip)",
    ] {
        assert!(text.contains(part), "calibrate lacks `{part}`");
    }
}

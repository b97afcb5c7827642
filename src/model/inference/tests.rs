use super::*;
use approx::assert_relative_eq;

/// Llama 70B, fp8 weights and KV (163,840 B/token), 2000 in / 400 out, batch 64 on a given
/// 2-chip H100-like replica: 1979 TFLOPS, 3.35 TB/s, 450 GB/s interconnect; efficiencies MFU
/// 0.5, weights 0.8, KV 0.6, overheads 20 + 10 us per layer.
fn chat70() -> InferenceInputs {
    InferenceInputs {
        params: 70e9,
        active_params: 70e9,
        weight_bytes: 1.0,
        kv_bytes_per_token: 163_840.0,
        input_tokens: 2000.0,
        output_tokens: 400.0,
        layers: 80.0,
        attention_width: 8192.0,
        hidden: 8192.0,
        heads: Some(64),
        experts: None,
        shared_params: 0.0,
        batch: Some(64.0),
        max_batch: 256.0,
        min_tokens_per_s_per_user: None,
        chips_per_replica: Some(2),
        max_chips_per_replica: 64,
        usable_memory: 72e9,
        peak_flops: 1979e12,
        bandwidth: 3.35e12,
        interconnect: 450e9,
        eff: Eff {
            serving_mfu: 0.5,
            weight_bw_eff: 0.8,
            kv_bw_eff: 0.6,
            step_overhead_us: 20.0,
            tp_overhead_us: 10.0,
            moe_efficiency: 0.5,
        },
        usd_per_chip_hour: 6.88,
        utilization: 0.6,
    }
}

#[test]
fn step_terms_by_hand() {
    let i = chat70();
    // p = 64 * 2000 / 400 = 320; T = 384; c = 2000 + 200 = 2200
    let s = step(&i, 2.0, 64.0, 320.0, &mut ());
    // GEMM compute = 2 * 70e9 * 384 / (2 * 1979e12 * 0.5) = 5.376e13 / 1.979e15 = 0.0271652 s
    // GEMM weights = 70e9 / (2 * 3.35e12 * 0.8) = 0.0130597 s -> t_gemm = 0.0271652 (compute)
    assert_relative_eq!(s.gemm, 0.027_165_235, max_relative = 1e-7);
    assert!(!s.memory_bound);
    // attention compute = 4 * 80 * 8192 * (64 * 2200 + 320 * 1000) / 1.979e15 = 6.1039e-4 s
    // KV reads = 64 * 2200 * 163,840 / (2 * 3.35e12 * 0.6) = 2.30687e10 / 4.02e12 = 0.00573848 s
    assert_relative_eq!(s.attn, 0.005_738_476, max_relative = 1e-6);
    // all-reduce = 2 * 80 * 384 * 8192 * 2 bytes * 2 (2 - 1) / 2 / 450e9 = 1.00663e9 / 450e9
    assert_relative_eq!(s.tp, 0.002_236_962, max_relative = 1e-6);
    // overheads = 80 * (20 + 10) us = 2.4 ms
    assert_relative_eq!(s.overhead, 0.0024, max_relative = 1e-12);
    assert_relative_eq!(s.total, 0.037_540_673, max_relative = 1e-7);
}

#[test]
fn figures_and_the_input_output_split_by_hand() {
    let i = chat70();
    let f = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    assert_eq!(f.chips_per_replica, 2);
    // output tokens/s per chip = 64 / 0.0375407 / 2 = 852.41; per user = 1 / 0.0375407 = 26.638
    assert_relative_eq!(f.output_tokens_per_s_per_chip, 852.408_8, max_relative = 1e-6);
    assert_relative_eq!(f.tokens_per_s_per_user, 26.637_78, max_relative = 1e-6);
    // t_step(B, 0) = 0.0130597 (weights) + 0.0057385 (KV) + 3.7283e-4 (all-reduce of 64 tokens)
    // + 0.0024 = 0.0215710 s; share_in = (0.0375407 - 0.0215710) / 0.0375407 = 0.425396
    // usd/s = 2 * 6.88 / 3600 / 0.6 = 0.00637037
    // in  = 0.00637037 * 0.425396 / (320 / 0.0375407) * 1e6 = 0.317915 USD/M
    // out = 0.00637037 * 0.574604 / (64 / 0.0375407) * 1e6 = 2.147114 USD/M
    // all = 0.00637037 / (384 / 0.0375407) * 1e6 = 0.622781 USD/M
    assert_relative_eq!(f.usd_per_m_input_tokens, 0.317_914_7, max_relative = 1e-6);
    assert_relative_eq!(f.usd_per_m_output_tokens, 2.147_113_8, max_relative = 1e-6);
    assert_relative_eq!(f.usd_per_m_tokens, 0.622_781_2, max_relative = 1e-6);
    // The split adds up exactly: 320 * in + 64 * out = 384 * all.
    assert_relative_eq!(
        320.0 * f.usd_per_m_input_tokens + 64.0 * f.usd_per_m_output_tokens,
        384.0 * f.usd_per_m_tokens,
        max_relative = 1e-12
    );
    // TTFT = t_step(64, 320 + 2000) = 0.190677 s (the prompt's GEMMs and attention dominate)
    assert_relative_eq!(f.ttft_s, 0.190_677_1, max_relative = 1e-6);
    assert_relative_eq!(f.weights_gb, 70.0, max_relative = 1e-12);
    assert!(!f.measured);
}

#[test]
fn moe_steps_read_only_the_experts_they_touch() {
    let mut i = chat70();
    i.params = 671e9;
    i.active_params = 37e9;
    i.shared_params = 17e9;
    i.experts = Some((256.0, 8.0));
    // One expert (all layers) = (671 - 17) / 256 = 2.5547e9 weights.
    // T = 1: E_t = 256 * (1 - (248/256)^1) = 8 -> 17e9 + 8 * 2.5547e9 = 37.44e9 bytes
    assert_relative_eq!(weights_read(&i, 1.0), 17e9 + 8.0 * 654e9 / 256.0, max_relative = 1e-12);
    // T = 18: E_t = 256 * (1 - 0.96875^18) = 111.439 -> 17e9 + 111.439 * 2.5547e9 = 301.69e9
    assert_relative_eq!(weights_read(&i, 18.0), 17e9 + 111.439_1 * 654e9 / 256.0, max_relative = 1e-6);
    // T = 1000: every expert, capped at W = 671e9
    assert_relative_eq!(weights_read(&i, 1000.0), 671e9, max_relative = 1e-9);
    // Without expert counts: min(W, T * active bytes) = 2 * 37e9 at T = 2
    i.experts = None;
    assert_relative_eq!(weights_read(&i, 2.0), 74e9, max_relative = 1e-12);
}

#[test]
fn fp4_weights_carry_their_block_scales() {
    // 4 bits + one fp8 scale per 16 values = 0.5 + 1/16 = 0.5625 bytes
    assert_relative_eq!(crate::config::Precision::Fp4.bytes(), 0.5625, max_relative = 1e-12);
}

#[test]
fn candidates_are_powers_of_two_that_hold_the_weights_and_divide_the_heads() {
    let mut i = chat70();
    i.chips_per_replica = None;
    i.batch = None;
    i.weight_bytes = 2.0; // bf16: W = 140 GB; one chip holds 72 GB
    // n = 1: 72 - 140 < 0; n = 2: (144 - 140) / (163,840 * 2200) = 11.1 sequences -> fits
    assert_eq!(candidates(&i), Ok(vec![2, 4, 8, 16, 32, 64]));
    i.heads = Some(40); // 40 = 8 x 5: 16, 32, 64 do not divide it
    assert_eq!(candidates(&i), Ok(vec![2, 4, 8]));
    i.max_chips_per_replica = 1;
    assert_eq!(candidates(&i), Err(Skip::NoReplica(1)));
    // A given replica size is used as is, or skipped when it cannot hold the weights.
    i.chips_per_replica = Some(3);
    assert_eq!(candidates(&i), Ok(vec![3]));
    i.chips_per_replica = Some(1);
    assert_eq!(candidates(&i), Err(Skip::DoesNotFit(1)));
}

#[test]
fn the_batch_meets_the_per_user_target() {
    let mut i = chat70();
    i.batch = None;
    i.min_tokens_per_s_per_user = Some(30.0);
    let f = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    // B_kv on 2 chips = (144e9 - 70e9) / (163,840 * 2200) = 205.3; at that batch a step is far
    // slower than 1/30 s, so the batch shrinks until 1 / t_step = 30 tokens/s.
    assert!(f.batch < 205.0 && f.batch >= 1.0, "batch {}", f.batch);
    assert_relative_eq!(f.tokens_per_s_per_user, 30.0, max_relative = 1e-5);
    assert!(f.meets_target);
    // Without the target the KV cache decides: min(205.3, max_batch 256).
    i.min_tokens_per_s_per_user = None;
    let g = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    assert_relative_eq!(g.batch, 74e9 / (163_840.0 * 2200.0), max_relative = 1e-12);
}

#[test]
fn the_cheapest_candidate_meeting_the_target_is_chosen() {
    let mut i = chat70();
    i.chips_per_replica = None;
    i.batch = None;
    i.min_tokens_per_s_per_user = Some(20.0);
    let chosen = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    for n in candidates(&i).unwrap_or_default() {
        let Some(b) = batch(&i, n as f64) else { continue };
        let f = figures_at(&i, n, b, &mut ());
        if f.meets_target {
            assert!(chosen.usd_per_m_output_tokens <= f.usd_per_m_output_tokens, "n = {n} is cheaper");
        }
    }
    assert!(chosen.meets_target);
}

#[test]
fn the_per_user_batch_is_solved_to_the_target_on_every_replica() {
    // A trn2-like chip (667 TFLOPS bf16... here fp8 1299, 2.9 TB/s, 500 GB/s links) with large
    // per-layer overheads: t_step has kinks where GEMMs turn compute-bound. Wherever B_slo lies
    // strictly inside [1, cap], 1 / t_step(B_slo) must equal the target (to 1e-9).
    let mut i = chat70();
    i.chips_per_replica = None;
    i.batch = None;
    i.input_tokens = 1000.0;
    i.output_tokens = 300.0;
    i.peak_flops = 1299e12;
    i.bandwidth = 2.9e12;
    i.interconnect = 500e9;
    i.eff = Eff {
        serving_mfu: 0.221,
        weight_bw_eff: 0.95,
        kv_bw_eff: 0.598,
        step_overhead_us: 96.4,
        tp_overhead_us: 24.5,
        moe_efficiency: 0.131,
    };
    let mut inside = 0;
    for n in [1.0, 2.0, 4.0, 8.0, 16.0, 32.0] {
        let cap = kv_capacity(&i, n).min(i.max_batch);
        for target in [5.0, 10.0, 20.0, 25.0, 30.0] {
            if let Some(b) = slo_batch(&i, n, cap, target)
                && b > 1.0
                && b < cap
            {
                inside += 1;
                let t = step(&i, n, b, b * 1000.0 / 300.0, &mut ()).total;
                assert_relative_eq!(1.0 / t, target, max_relative = 1e-9);
            }
        }
    }
    assert!(inside >= 10, "only {inside} cases inside the bracket");
}

#[test]
fn moe_gemms_cost_at_least_128_rows_per_touched_expert() {
    let mut i = chat70();
    i.params = 671e9;
    i.active_params = 37e9;
    i.experts = Some((256.0, 8.0));
    i.eff.moe_efficiency = 0.4;
    // T = 4096 touches all 256 experts (1 - 0.96875^4096 = 1 - 2.6e-57):
    // 0.4 * 4096 / (4096 + 128 * 256 / 8) = 0.4 * 4096 / 8192 = 0.2
    assert_relative_eq!(moe_factor(&i, 4096.0), 0.2, max_relative = 1e-12);
    // T = 1 touches 8: 0.4 * 1 / (1 + 128 * 8 / 8) = 0.4 / 129 = 0.0031008
    assert_relative_eq!(moe_factor(&i, 1.0), 0.4 / 129.0, max_relative = 1e-12);
    // T = 32 touches 256 * (1 - 0.96875^32) = 163.316: 0.4 * 32 / (32 + 128 * 163.316 / 8)
    // = 12.8 / 2645.06 = 0.0048392
    assert_relative_eq!(moe_factor(&i, 32.0), 0.004_839_2, max_relative = 1e-4);
    // Without expert counts: moe_efficiency as is; dense: 1.
    i.experts = None;
    assert_relative_eq!(moe_factor(&i, 32.0), 0.4, max_relative = 1e-12);
    i.active_params = i.params;
    assert_relative_eq!(moe_factor(&i, 32.0), 1.0, max_relative = 1e-12);
}

#[test]
fn the_lean_output_cost_is_the_full_figure() {
    // `usd_per_m_output_tokens` (two steps, for the batch curves and their bands) must give
    // exactly what `figures` gives at that batch, on a given and on a chosen replica, dense and
    // MoE, with or without a per-user target on the workload (the curve ignores the target).
    let mut moe = chat70();
    moe.experts = Some((256.0, 8.0));
    moe.active_params = 37e9;
    moe.params = 671e9;
    moe.shared_params = 17e9;
    for (mut i, given) in [(chat70(), true), (chat70(), false), (moe, false)] {
        if !given {
            i.chips_per_replica = None;
        }
        i.min_tokens_per_s_per_user = Some(30.0);
        for b in [1.0, 7.0, 64.0, 200.0] {
            let full = figures(
                &InferenceInputs {
                    batch: Some(b),
                    min_tokens_per_s_per_user: None,
                    ..i
                },
                &mut (),
            )
            .map(|f| f.usd_per_m_output_tokens);
            let lean = usd_per_m_output_tokens(&i, b);
            match (full, lean) {
                (Ok(f), Ok(l)) => assert_eq!(f.to_bits(), l.to_bits(), "batch {b}"),
                (Err(_), Err(_)) => {}
                (f, l) => panic!("batch {b}: full {f:?}, lean {l:?}"),
            }
        }
    }
}

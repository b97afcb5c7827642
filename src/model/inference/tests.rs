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
        decode_attention_width: 8192.0,
        hidden: 8192.0,
        heads: Some(64),
        kv_heads: Some(8.0),
        tp_unit_per_chip: 1,
        scale_up_chips: 64,
        cached_tokens: 0.0,
        shared_prefix: 0.0,
        spec_tokens: 0.0,
        acceptance: 1.0,
        draft_params: 0.0,
        draft_active_params: 0.0,
        draft_layers: 1.0,
        scale_out: 0.0,
        prefill_chips: None,
        attention_dp: false,
        experts: None,
        shared_params: 0.0,
        batch: Some(64.0),
        max_batch: 256.0,
        prefill_chunk_tokens: 8192.0,
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
    let mut i = chat70();
    // An engine budget of 320 tokens: every step carries p = 320 prefill tokens (P_c = 320 <= p),
    // so the step is one pass (the blend is `prefill_chunks_ride_in_a_share_of_the_steps`).
    i.prefill_chunk_tokens = 320.0;
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
fn prefill_chunks_ride_in_a_share_of_the_steps() {
    // Default budget 8192: P_c = min(8192, 2000) = 2000 > p = 320, so r = 320 / 2000 = 0.16 of
    // the steps carry a whole prompt and the rest only decode.
    let i = chat70();
    assert_relative_eq!(prefill_chunk(&i, 2.0, 64.0), 2000.0, max_relative = 1e-12);
    // Decode only (T = 64): weights 70e9 / (2 * 3.35e12 * 0.8) = 0.0130597 (> compute 0.0045275),
    // KV 0.0057385, all-reduce 2 * 80 * 64 * 8192 * 2 * 2 * 0.5 / 450e9 = 3.7283e-4, overheads
    // 0.0024 -> 0.0215710 s.
    let base = step(&i, 2.0, 64.0, 0.0, &mut ()).total;
    assert_relative_eq!(base, 0.021_571_004, max_relative = 1e-7);
    // Chunk step (T = 2064): GEMM compute 2 * 70e9 * 2064 / 1.979e15 = 0.1460131; attention
    // compute 4 * 80 * 8192 * (64 * 2200 + 2000 * 1000) / 1.979e15 = 0.0028358 < KV 0.0057385;
    // all-reduce 2 * 80 * 2064 * 8192 * 2 * 2 * 0.5 / 450e9 = 0.0120237; + 0.0024 -> 0.1661753 s.
    // Blend: 0.0215710 + 0.16 * (0.1661753 - 0.0215710) = 0.0447077 s. One pass of 384 tokens
    // (the folded step) gives 0.0375407: it hides the decode's weight reads under the prompt's
    // compute, which an engine running the chunk in one step in six cannot do.
    let s = step(&i, 2.0, 64.0, 320.0, &mut ());
    assert_relative_eq!(s.total, 0.044_707_689, max_relative = 1e-7);
    assert_relative_eq!(
        s.gemm,
        0.013_059_701_5 + 0.16 * (0.146_013_138 - 0.013_059_701_5),
        max_relative = 1e-7
    );
    // p at or above P_c: every step carries p (one pass), so a budget of 320 gives the fold.
    let folded = step(
        &InferenceInputs {
            prefill_chunk_tokens: 320.0,
            ..i
        },
        2.0,
        64.0,
        320.0,
        &mut (),
    );
    assert_relative_eq!(folded.total, 0.037_540_673, max_relative = 1e-7);
    // An MoE decode step reads only the experts its B tokens touch; the chunk reads them all.
    let moe = InferenceInputs {
        params: 671e9,
        active_params: 37e9,
        shared_params: 17e9,
        experts: Some((256.0, 8.0)),
        ..i
    };
    let (b, p) = (4.0, 4.0 * 2000.0 / 400.0); // p = 20 < P_c = 2000: r = 0.01
    let blended = step(&moe, 2.0, b, p, &mut ()).total;
    let (s0, sc) = (step(&moe, 2.0, b, 0.0, &mut ()).total, step(&moe, 2.0, b, 2000.0, &mut ()).total);
    assert_relative_eq!(blended, s0 + 0.01 * (sc - s0), max_relative = 1e-12);
    // Folding 20 prompt tokens into every step would read E_t(24) = 135.6 experts, not E_t(4) = 31.
    assert!(blended < pass_with(&moe, 2.0, b, p, true, false, &mut ()).total);
}

#[test]
fn the_token_budget_caps_the_batch_and_shares_the_step_with_the_decode() {
    // Budget 512 tokens per step: each sequence adds 1 decode token and 2000 / 400 = 5 prefill
    // tokens per step, so at most 512 / 6 = 85.33 sequences keep up with their arrivals.
    let i = InferenceInputs {
        prefill_chunk_tokens: 512.0,
        ..chat70()
    };
    assert_relative_eq!(batch_cap(&i, 2.0), 512.0 / 6.0, max_relative = 1e-12);
    // At B = 80 a chunk shares the step with 80 decode tokens: P_c = min(512 - 80, 2000) = 432;
    // p = 80 * 5 = 400 < 432, so r = 400 / 432 of the steps carry one.
    assert_relative_eq!(prefill_chunk(&i, 2.0, 80.0), 432.0, max_relative = 1e-12);
    let (s0, sc) = (step(&i, 2.0, 80.0, 0.0, &mut ()).total, step(&i, 2.0, 80.0, 432.0, &mut ()).total);
    assert_relative_eq!(
        step(&i, 2.0, 80.0, 400.0, &mut ()).total,
        s0 + 400.0 / 432.0 * (sc - s0),
        max_relative = 1e-12
    );
    // The default budget (8192) leaves chat70's cap at max_batch: 8192 / 6 = 1365 > 256.
    assert_relative_eq!(batch_cap(&chat70(), 2.0), 256.0, max_relative = 1e-12);
    // Disaggregated (prefill on its own pool): only the decode token counts, 512 / 1.
    let d = InferenceInputs {
        prefill_chips: Some(2),
        ..i
    };
    assert_relative_eq!(batch_cap(&d, 2.0), 256.0, max_relative = 1e-12);
}

#[test]
fn figures_and_the_input_output_split_by_hand() {
    let mut i = chat70();
    i.prefill_chunk_tokens = 320.0; // every step carries its 320 prefill tokens (one pass)
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
    // MXFP4: 4 bits + one 8-bit scale per 32 values = 0.5 + 1/32 = 0.53125 bytes
    assert_relative_eq!(crate::config::Precision::Mxfp4.bytes(), 0.53125, max_relative = 1e-12);
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
fn moe_gemms_cost_the_touched_experts_real_rows() {
    // DeepSeek-V3-like on 8 chips of chat70()'s H100: 671e9 weights, 17e9 shared, 256 experts
    // of (671 - 17) / 256 = 2.5547e9 weights each, 8 per token; fp8 (1 byte per weight).
    let mut i = chat70();
    i.params = 671e9;
    i.active_params = 37e9;
    i.shared_params = 17e9;
    i.experts = Some((256.0, 8.0));
    i.eff.moe_efficiency = 0.4;
    let pe = 654e9 / 256.0;
    let compute = 8.0 * 1979e12 * 0.5; // n * P * serving_mfu = 7.916e15 FLOP/s
    let stream = 8.0 * 3.35e12 * 0.8; // n * BW * weight_bw_eff = 2.144e13 B/s
    // T = 1 touches 8 experts (1 row each): shared compute 2 * 17e9 / 7.916e15 = 4.295e-6 s
    // < shared weights 17e9 / 2.144e13 = 7.929e-4 s; routed compute 2 * 8 * 2.5547e9
    // / (7.916e15 * 0.4) = 1.291e-5 s < 8 experts' weights 8 * 2.5547e9 / 2.144e13 = 9.532e-4 s:
    // t_gemm = 7.929e-4 + 9.532e-4 = 1.7461e-3 s, all weight streaming (the old floor of 128
    // rows per expert charged 0.4 / 129 efficiency on 37e9 weights: 2 * 37e9 / (7.916e15 *
    // 0.0031) = 3.0e-3 s, compute-bound at batch 1).
    let (c1, m1, g1) = gemm_time(&i, 8.0, 1.0);
    assert_relative_eq!(m1, (17e9 + 8.0 * pe) / stream, max_relative = 1e-9);
    assert_relative_eq!(g1, 17e9 / stream + 8.0 * pe / stream, max_relative = 1e-9);
    assert_relative_eq!(g1, 1.746_1e-3, max_relative = 1e-4);
    assert!(c1 < m1);
    // T = 4096 touches all 256 (1 - 0.96875^4096 = 1 - 2.6e-57), 128 rows each:
    // shared compute 2 * 17e9 * 4096 / 7.916e15 = 0.017592 s > its weights 7.929e-4 s;
    // routed compute 2 * 8 * 2.5547e9 * 4096 / (7.916e15 * 0.4) = 0.052882 s > all experts'
    // weights 654e9 / 2.144e13 = 0.030504 s: t_gemm = 0.017592 + 0.052882 = 0.070474 s.
    let (_, _, g) = gemm_time(&i, 8.0, 4096.0);
    assert_relative_eq!(
        g,
        2.0 * 17e9 * 4096.0 / compute + 16.0 * pe * 4096.0 / (compute * 0.4),
        max_relative = 1e-9
    );
    assert_relative_eq!(g, 0.070_474, max_relative = 1e-4);
    // E_t at T = 32: 256 * (1 - 0.96875^32) = 163.314 experts, 32 * 8 / 163.314 = 1.5675 rows each.
    assert_relative_eq!(experts_touched(256.0, 8.0, 32.0), 163.314, max_relative = 1e-5);
    // moe_efficiency applies to the routed GEMMs: more shared weights at the same active
    // count move the step (a Llama 4 Maverick-like model responds to its shared parameters).
    let mut more_shared = i;
    more_shared.shared_params = 30e9;
    assert!(gemm_time(&more_shared, 8.0, 4096.0).2 != g);
    // Without expert counts: moe_efficiency on every GEMM; dense: 1.
    i.experts = None;
    assert_relative_eq!(moe_factor(&i), 0.4, max_relative = 1e-12);
    i.active_params = i.params;
    assert_relative_eq!(moe_factor(&i), 1.0, max_relative = 1e-12);
}

#[test]
fn kv_heads_replicate_beyond_the_tensor_parallel_degree() {
    // Llama 70B at bf16 (W = 140e9 bytes) on 72 GB chips, KV 163,840 B/token, c = 2200 tokens,
    // 8 KV heads. TP8: one head per rank, r = 1: B_kv = (8 * 72e9 - 140e9) / (163,840 * 2200)
    // = 436e9 / 3.6045e8 = 1209.6. TP16: two ranks per head, r = max(8, 16) / 8 = 2:
    // B_kv = (16 * 72e9 - 140e9) / (2 * 3.6045e8) = 1012e9 / 7.2090e8 = 1403.8.
    // TP16 / TP8 = 1403.8 / 1209.6 = 1.1606 (about 1.2x; without copies 1012 / 436 = 2.32x).
    let mut i = chat70();
    i.weight_bytes = 2.0;
    assert_relative_eq!(kv_copies(&i, 8.0), 1.0, max_relative = 1e-12);
    assert_relative_eq!(kv_copies(&i, 16.0), 2.0, max_relative = 1e-12);
    let ratio = kv_capacity(&i, 16.0) / kv_capacity(&i, 8.0);
    assert_relative_eq!(ratio, 1012.0 / 2.0 / 436.0, max_relative = 1e-9);
    assert!((ratio - 1.16).abs() < 0.01, "{ratio}");
    // The unit the stack counts TP in: 4 chips of 2 NeuronCores are TP8 (r = 1), 8 are TP16.
    i.tp_unit_per_chip = 2;
    assert_relative_eq!(kv_copies(&i, 4.0), 1.0, max_relative = 1e-12);
    assert_relative_eq!(kv_copies(&i, 12.0), 3.0, max_relative = 1e-12); // Neuron TP24
    // A copy is read as well as held: at r = 2 the KV reads of a step double.
    let one = step(&i, 4.0, 64.0, 0.0, &mut ()).attn;
    let mut wide = i;
    wide.kv_heads = Some(4.0);
    assert_relative_eq!(step(&wide, 4.0, 64.0, 0.0, &mut ()).attn, 2.0 * one, max_relative = 1e-9);
    // Data-parallel attention keeps one copy per sequence.
    wide.attention_dp = true;
    assert_relative_eq!(kv_copies(&wide, 4.0), 1.0, max_relative = 1e-12);
}

#[test]
fn the_scale_up_domain_and_the_stack_unit_bound_the_candidates() {
    let mut i = chat70();
    i.chips_per_replica = None;
    i.batch = None;
    i.weight_bytes = 2.0;
    // inf2-like: 12 chips per domain, 2 NeuronCores per chip: n = 16 (beyond 12) is out, and
    // n * 2 must divide the 64 heads (2, 4, 8 ranks x 2 = 4, 8, 16: all divide).
    i.scale_up_chips = 12;
    i.tp_unit_per_chip = 2;
    assert_eq!(candidates(&i), Ok(vec![2, 4, 8]));
    // 40 heads: 2 chips = 4 ranks (40 / 4 = 10), 4 chips = 8 ranks (5), 8 chips = 16 ranks: no.
    i.heads = Some(40);
    assert_eq!(candidates(&i), Ok(vec![2, 4]));
    i.scale_up_chips = 1;
    assert_eq!(candidates(&i), Err(Skip::NoReplica(1)));
    // A given replica beyond the domain is refused with both numbers.
    i.chips_per_replica = Some(16);
    i.scale_up_chips = 8;
    assert_eq!(candidates(&i), Err(Skip::BeyondScaleUp(16, 8)));
}

#[test]
fn a_given_batch_above_the_kv_cache_is_clamped() {
    // One 72 GB chip, fp8 70B: B_kv = (72e9 - 70e9) / (163,840 * 2200) = 5.5487 sequences.
    let mut i = chat70();
    i.chips_per_replica = Some(1);
    i.batch = Some(64.0);
    assert_eq!(candidates(&i), Ok(vec![1]));
    assert_relative_eq!(batch(&i, 1.0).unwrap_or(0.0), 2e9 / (163_840.0 * 2200.0), max_relative = 1e-12);
    let f = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    assert_relative_eq!(f.batch, 5.548_7, max_relative = 1e-4);
    // A batch it holds is used as is; one whose KV cache holds no sequence at all is refused.
    i.batch = Some(5.0);
    assert_relative_eq!(batch(&i, 1.0).unwrap_or(0.0), 5.0, max_relative = 1e-12);
    i.usable_memory = 70.1e9; // (70.1e9 - 70e9) / 3.6045e8 = 0.277 sequences
    assert_eq!(
        candidates(&i),
        Err(Skip::BatchAboveKv {
            batch: 5,
            holds: 0,
            chips: 1
        })
    );
}

#[test]
fn data_parallel_attention_caps_the_batch_per_rank() {
    let mut i = chat70();
    i.batch = None;
    i.chips_per_replica = Some(8);
    i.weight_bytes = 0.5; // 35e9 bytes: B_kv = (576e9 - 35e9) / 3.6045e8 = 1500.9
    assert_relative_eq!(batch_cap(&i, 8.0), 256.0, max_relative = 1e-12);
    assert_relative_eq!(batch(&i, 8.0).unwrap_or(0.0), 256.0, max_relative = 1e-12);
    // 8 attention ranks of 256 each: the KV cache decides, 1500.9 > 256.
    i.attention_dp = true;
    i.experts = Some((256.0, 8.0));
    assert_relative_eq!(batch_cap(&i, 8.0), 2048.0, max_relative = 1e-12);
    assert_relative_eq!(batch(&i, 8.0).unwrap_or(0.0), 541e9 / (163_840.0 * 2200.0), max_relative = 1e-9);
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
        // 400 is above what chat70()'s given 2-chip replica holds (205.3): clamped alike.
        for b in [1.0, 7.0, 64.0, 200.0, 400.0] {
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

/// chat70 with a prefix cache: 1,500 of the 2,000 input tokens cached, 1,000 of them shared.
fn chat70_cached() -> InferenceInputs {
    InferenceInputs {
        cached_tokens: 1500.0,
        shared_prefix: 1000.0,
        ..chat70()
    }
}

#[test]
fn a_shared_prefix_is_stored_once_and_frees_kv_for_the_batch() {
    let i = chat70_cached();
    // r = max(8, 2) / 8 = 1, g = 1 (no attention data-parallel), c - Ls = 2200 - 1000 = 1200:
    // B_kv = (2 * 72e9 - 70e9 - 163,840 * 1000) / (163,840 * 1200) = 7.383616e10 / 1.96608e8 = 375.55
    assert_relative_eq!(kv_capacity(&i, 2.0), 375.550_130_2, max_relative = 1e-9);
    // Without the cache: (144e9 - 70e9) / (163,840 * 2200) = 205.3
    assert_relative_eq!(kv_capacity(&chat70(), 2.0), 74e9 / (163_840.0 * 2200.0), max_relative = 1e-12);
    // p = B * a * (Lin - Lc) / Lout = 64 * 1 * 500 / 400 = 80 fresh tokens per step
    assert_relative_eq!(prefill_per_step(&i, 64.0), 80.0, max_relative = 1e-12);
}

#[test]
fn cached_tokens_skip_prefill_compute_but_decode_still_reads_the_whole_context() {
    let mut i = chat70_cached();
    i.prefill_chunk_tokens = 80.0; // every step carries its 80 fresh tokens (one pass)
    let s = step(&i, 2.0, 64.0, 80.0, &mut ());
    // T = 144: GEMM compute 2 * 70e9 * 144 / 1.979e15 = 0.010187 < weights 0.0130597 (bound)
    assert_relative_eq!(s.gemm, 0.013_059_701_5, max_relative = 1e-9);
    // attention compute = 4 * 80 * 8192 * (64 * 2200 + 80 * (1500 + 500 / 2)) / 1.979e15 = 3.72e-4
    // KV reads = (64 * 2200 + (80 / 500) * 1500) * 163,840 / (2 * 3.35e12 * 0.6) = 0.0057483:
    // every sequence's whole context, plus each prefilled request's cached 1,500 once
    assert_relative_eq!(s.attn, 0.005_748_257_1, max_relative = 1e-7);
    // all-reduce of 144 tokens 8.3886e-4 + overheads 2.4e-3 -> 0.0220468 s
    assert_relative_eq!(s.total, 0.022_046_819_4, max_relative = 1e-7);
    // Without the cached context: KV reads 64 * 2200 * 163,840 / 4.02e12 -> 0.0220370 s
    let nc = step_with(&i, 2.0, 64.0, 80.0, false, &mut ()).total;
    assert_relative_eq!(nc, 0.022_037_037_9, max_relative = 1e-7);
    // The public form the workbook traces is that step; without a cache it is the step itself.
    assert_eq!(step_without_cached_context(&i, 2.0, 64.0, 80.0, &mut ()).total, nc);
    let plain = InferenceInputs {
        prefill_chunk_tokens: 80.0,
        ..chat70()
    };
    assert_eq!(
        step_without_cached_context(&plain, 2.0, 64.0, 80.0, &mut ()),
        step(&plain, 2.0, 64.0, 80.0, &mut ())
    );
}

#[test]
fn fresh_cached_and_output_prices_add_up_to_the_replica_cost() {
    let i = chat70_cached();
    let f = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    // Per step: p = 80 fresh, pc = 64 * 1500 / 400 = 240 cached, B = 64 output tokens.
    let usd_per_step = 2.0 * 6.88 / 3600.0 / 0.6 * f.step_s * 1e6;
    let sum = 80.0 * f.usd_per_m_input_tokens + 240.0 * f.usd_per_m_cached_input_tokens + 64.0 * f.usd_per_m_output_tokens;
    assert_relative_eq!(sum, usd_per_step, max_relative = 1e-9);
    // The blended price weights each token at its price: (500 in + 1500 cached + 400 out) / 2400.
    let blended =
        (500.0 * f.usd_per_m_input_tokens + 1500.0 * f.usd_per_m_cached_input_tokens + 400.0 * f.usd_per_m_output_tokens) / 2400.0;
    assert_relative_eq!(f.usd_per_m_tokens, blended, max_relative = 1e-12);
    // A cached token (attention over it, one read of its KV) costs far less than a fresh one.
    assert!(f.usd_per_m_cached_input_tokens > 0.0 && f.usd_per_m_cached_input_tokens < 0.1 * f.usd_per_m_input_tokens);
}

#[test]
fn speculation_verifies_k_plus_1_tokens_reading_the_weights_and_kv_once() {
    let mut i = chat70();
    i.spec_tokens = 1.0;
    i.acceptance = 1.8;
    // Decode only, B = 64: T = 128; GEMM compute 2 * 70e9 * 128 / 1.979e15 = 0.0090551 is below
    // the weights' 0.0130597, so the GEMM term does not grow: weights are read once per step.
    let spec = step(&i, 2.0, 64.0, 0.0, &mut ());
    let plain = step(&chat70(), 2.0, 64.0, 0.0, &mut ());
    assert_relative_eq!(spec.gemm, plain.gemm, max_relative = 1e-12);
    // KV reads are the same (the 2 query tokens share them); attention compute doubles but stays
    // below the reads: 4 * 80 * 8192 * 128 * 2200 / 1.979e15 = 3.73e-4 < 0.0057385.
    assert_relative_eq!(spec.attn, plain.attn, max_relative = 1e-12);
    // Only the all-reduce grows with T: 2 * 80 * 128 * 8192 * 2 * 2 * 0.5 / 450e9 = 7.4565e-4 vs half.
    assert_relative_eq!(spec.tp, 2.0 * plain.tp, max_relative = 1e-12);
    // p = B * a * Lin / Lout = 64 * 1.8 * 5 = 576 tokens (arrivals keep pace with 1.8 tokens/step).
    assert_relative_eq!(prefill_per_step(&i, 64.0), 576.0, max_relative = 1e-12);
    // A draft of 1e9 weights (1 layer): k * (max(2e9 * 64 / 1.979e15, 1e9 / 5.36e12)
    //  + 64 * 2200 * 163,840 * (1 / 80) / 4.02e12 + 30e-6) = 1.86567e-4 + 7.1731e-5 + 3e-5
    i.draft_params = 1e9;
    i.draft_active_params = 1e9;
    assert_relative_eq!(draft_time(&i, 2.0, 64.0), 2.882_981e-4, max_relative = 1e-6);
}

#[test]
fn a_replica_beyond_the_domain_runs_as_pipeline_stages() {
    let mut i = chat70();
    i.scale_up_chips = 8;
    i.scale_out = 50e9;
    i.chips_per_replica = Some(16);
    assert_eq!(layout(&i, 16), Some((8, 2)));
    // 64 heads: 6 ranks do not divide them, 4 do -> 12 = 3 stages of 4
    assert_eq!(layout(&i, 12), Some((4, 3)));
    // B = 64 as 2 micro-batches of 32, each stage 40 layers, 35e9 weights, kv 81,920 B on 8 chips:
    // GEMM max(2 * 35e9 * 32 / 7.916e15, 35e9 / 2.144e13) = 1.63246e-3; KV reads
    // 32 * 2200 * 81,920 / 1.608e13 = 3.5866e-4; all-reduce 2 * 40 * 32 * 8192 * 4 * 7/8 / 450e9
    // = 1.6311e-4; overheads 40 * 30 us = 1.2e-3 -> tau = 3.35423e-3;
    // x = 32 * 8192 * 2 / (8 * 50e9) = 1.31e-6; t_step = 2 * (tau + x) = 6.71108e-3
    let s = step(&i, 16.0, 64.0, 0.0, &mut ());
    assert_relative_eq!(s.total, 0.006_711_079_9, max_relative = 1e-7);
    // One sequence: one micro-batch, the other stage idles: max(2 * (tau + x), tau + x)
    let one = step(&i, 16.0, 1.0, 0.0, &mut ());
    assert_relative_eq!(one.total, 0.005_697_617_7, max_relative = 1e-7);
    // Without a scale-out network, a 16-chip replica cannot run.
    i.scale_out = 0.0;
    assert_eq!(layout(&i, 16), None);
    assert_eq!(candidates(&i), Err(Skip::BeyondScaleUp(16, 8)));
}

#[test]
fn candidates_continue_as_pipelines_where_one_domain_cannot_hold_the_weights() {
    let mut i = chat70();
    i.chips_per_replica = None;
    i.batch = None;
    i.weight_bytes = 2.0; // W = 140 GB: one 72 GB chip cannot hold it
    i.scale_up_chips = 1;
    assert_eq!(candidates(&i), Err(Skip::NoReplica(1)));
    i.scale_out = 50e9;
    i.max_chips_per_replica = 8;
    // Stages of 1 chip: 2, 4, 8 stages (KV of 2 chips: (144 - 140) / (163,840 * 2200) = 11 sequences)
    assert_eq!(candidates(&i), Ok(vec![2, 4, 8]));
}

#[test]
fn disaggregated_pools_price_input_on_the_prefill_pool_and_output_on_the_decode_replica() {
    let mut i = chat70();
    i.prefill_chips = Some(2);
    i.scale_out = 50e9;
    let f = figures(&i, &mut ()).unwrap_or_else(|s| panic!("{s}"));
    // The decode replica only decodes: t_step = t_step(64, 0) = 0.0215710 s (see above), and
    // output = usd/s * t_step / B = 0.00637037 * 0.0215710 / 64 * 1e6 = 2.14710 USD/M.
    assert_relative_eq!(f.step_s, 0.021_571_0, max_relative = 1e-5);
    assert_relative_eq!(f.usd_per_m_output_tokens, 0.006_370_37 * f.step_s / 64.0 * 1e6, max_relative = 1e-5);
    // Prefill: one 2,000-token prompt per step on 2 chips: T = 2000, GEMM compute
    // 2 * 70e9 * 2000 / 1.979e15 = 0.141486; attention 4 * 80 * 8192 * 2000 * 1000 / 1.979e15 =
    // 0.0026493; all-reduce 2 * 80 * 2000 * 8192 * 2 * 2 * 0.5 / 450e9 = 0.0116508; overheads 0.0024
    // -> 0.158186 s; KV out 2000 * 163,840 / (2 * 50e9) = 0.0032768 s (overlapped).
    // input = 0.00637037 * 0.158186 / 2000 * 1e6 = 0.503852 USD/M; TTFT = 0.161463 s
    assert_relative_eq!(f.usd_per_m_input_tokens, 0.503_852, max_relative = 1e-4);
    assert_relative_eq!(f.ttft_s, 0.161_463, max_relative = 1e-4);
    // Chips per decode replica, both pools: 2 + 2 * 0.158186 * (64 / 0.021571 / 400) = 4.3466
    assert_relative_eq!(f.output_tokens_per_s_per_chip, 64.0 / f.step_s / 4.346_6, max_relative = 1e-4);
}

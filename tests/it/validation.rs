//! Validation (docs/config.md "Validation", docs/cli.md exit codes and message format): each rule on a copy
//! of the good config with exactly one thing broken (tests/fixtures/broken/<case>/, rebuilt by
//! tests/fixtures/broken/make_fixtures.py; the changed line ends in `# broken: ...`), `--set`,
//! warnings, and inputs that must never make the tool panic.
//!
//! Errors read `error: <file>:<line>:<col>: <what> (<hint>)` and exit with code 2.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::*;

const A: &str = "accelerators.toml";
const E: &str = "economics.toml";
const W: &str = "workloads.toml";

/// `<tests/fixtures/broken/CASE/FILE>:LINE:COL`, as the tool prints a place.
fn place(case: &str, file: &str, line: u32, col: u32) -> String {
    format!("{}:{line}:{col}", fixture(&format!("broken/{case}/{file}")).display())
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error: ")).collect()
}

fn warning_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("warning: ")).collect()
}

/// No panic (exit 101, or killed by a signal such as a stack overflow's SIGABRT).
#[track_caller]
fn assert_no_panic(code: Option<i32>, stderr: &str) {
    assert!(code.is_some(), "killed by a signal (stack overflow?); stderr:\n{stderr}");
    assert_ne!(code, Some(101), "the tool panicked:\n{stderr}");
    assert!(!stderr.contains("panicked"), "the tool panicked:\n{stderr}");
}

/// Validates broken/CASE and checks: exit code 2 and an error line that starts with
/// `error: FILE:LINE:COL: ` and contains every part. Returns stderr.
#[track_caller]
fn expect_error(case: &str, file: &str, line: u32, col: u32, parts: &[&str]) -> String {
    let (code, err) = validate_fixture(&format!("broken/{case}"));
    assert_no_panic(Some(code), &err);
    assert_eq!(code, 2, "exit code of validate on broken/{case}; stderr:\n{err}");
    let prefix = format!("error: {}: ", place(case, file, line, col));
    assert!(
        error_lines(&err)
            .iter()
            .any(|l| l.starts_with(&prefix) && parts.iter().all(|p| l.contains(p))),
        "no error line starting with\n  {prefix}\ncontaining {parts:?}; stderr:\n{err}"
    );
    err
}

/// [`expect_error`], and it is the only error: the fixture breaks exactly one thing.
#[track_caller]
fn expect_only_error(case: &str, file: &str, line: u32, col: u32, parts: &[&str]) -> String {
    let err = expect_error(case, file, line, col, parts);
    assert_eq!(error_lines(&err).len(), 1, "expected exactly one error; stderr:\n{err}");
    err
}

/// Runs `accel-cost` with arguments that need not be UTF-8.
fn run_os(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accel-cost"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// `validate -c PATH`, for a path outside tests/fixtures (a temp dir).
fn validate_path(path: &Path) -> Output {
    run_os(&[OsStr::new("validate"), OsStr::new("-c"), path.as_os_str()])
}

/// `validate -c <good fixture> --set ARG` for each arg.
fn validate_good_with_sets(sets: &[&str]) -> Output {
    let good = fixture("good");
    let mut args = vec!["validate", "-c", good.to_str().expect("utf-8 path")];
    for s in sets {
        args.extend(["--set", s]);
    }
    run(&args)
}

/// The `validate` stdout line about accelerator `id`.
fn accelerator_line(stdout: &str, id: &str) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no line for {id} in stdout:\n{stdout}"))
        .to_string()
}

fn copy_good_config(to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for f in [A, E, W] {
        std::fs::copy(fixture(&format!("good/{f}")), to.join(f)).expect("copy good fixture");
    }
}

// ---------------------------------------------------------------------------------------------
// Baseline

#[test]
fn good_fixture_validates_without_errors_or_warnings() {
    let (code, err) = validate_fixture("good");
    assert_eq!(code, 0, "stderr:\n{err}");
    assert!(error_lines(&err).is_empty() && warning_lines(&err).is_empty(), "stderr:\n{err}");
}

#[test]
fn every_broken_fixture_is_used_by_a_test() {
    let source = include_str!("validation.rs");
    let dir = fixture("broken");
    for entry in std::fs::read_dir(&dir).expect("read tests/fixtures/broken") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let used = [format!("\"{name}\""), format!("/{name}\""), format!("/{name}/")]
                .iter()
                .any(|s| source.contains(s.as_str()));
            assert!(used, "broken/{name} is used by no test");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Unknown keys: file, line, column of the key, and the nearest valid key

#[test]
fn unknown_key_in_accelerator_names_file_line_and_suggests_key() {
    let err = expect_error(
        "unknown_key_accelerator",
        A,
        13,
        1,
        &[
            "unknown key `memroy_gb` in [[accelerator]] `h100-sxm`",
            "(did you mean `memory_gb`?)",
        ],
    );
    // The typo also leaves `memory_gb` missing; that is reported at the table, and nothing else.
    assert_eq!(error_lines(&err).len(), 2, "stderr:\n{err}");
    let missing = format!("error: {}: missing `memory_gb`", place("unknown_key_accelerator", A, 6, 1));
    assert!(err.contains(&missing), "stderr:\n{err}");
}

#[test]
fn unknown_key_in_cloud_table_names_file_line_and_suggests_key() {
    expect_only_error(
        "unknown_key_cloud",
        A,
        21,
        1,
        &[
            "unknown key `on_demand_usd_per_chip_hr` in [accelerator.cloud] of `h100-sxm`",
            "(did you mean `on_demand_usd_per_chip_hour`?)",
        ],
    );
}

#[test]
fn unknown_key_in_economics_names_file_line_and_suggests_key() {
    expect_only_error(
        "unknown_key_economics",
        E,
        6,
        1,
        &[
            "unknown key `electricity_usd_per_kw` in [economics]",
            "(did you mean `electricity_usd_per_kwh`?)",
        ],
    );
}

#[test]
fn unknown_top_level_table_names_file_line_and_suggests_economics() {
    // `[economic]`: column 2 is the key inside the brackets.
    expect_only_error(
        "unknown_top_level_table",
        E,
        4,
        2,
        &["unknown top-level key `economic`", "(did you mean `economics`?)"],
    );
}

#[test]
fn unknown_key_inside_a_range_names_file_line_and_suggests_base() {
    let err = expect_error(
        "unknown_key_in_range",
        A,
        27,
        27,
        &[
            "unknown key `bse` in range `chip_usd` of [accelerator.owned] of `h100-sxm`",
            "(did you mean `base`?)",
        ],
    );
    let missing = format!("error: {}: range `chip_usd`", place("unknown_key_in_range", A, 27, 12));
    assert!(err.contains(&missing) && err.contains("has no `base`"), "stderr:\n{err}");
    assert_eq!(error_lines(&err).len(), 2, "stderr:\n{err}");
}

// ---------------------------------------------------------------------------------------------
// 2. Wrong types

#[test]
fn string_where_a_number_goes_is_an_error_at_the_value() {
    expect_only_error(
        "string_for_number",
        A,
        15,
        11,
        &["`power_w` in [[accelerator]] `h100-sxm` must be a number, found the string \"700\""],
    );
}

#[test]
fn number_where_a_string_goes_is_an_error_at_the_value() {
    expect_only_error(
        "number_for_string",
        A,
        8,
        8,
        &[
            "`name` in [[accelerator]] `h100-sxm` must be a string, found an integer",
            "(quote it: name = \"...\")",
        ],
    );
}

#[test]
fn bare_word_is_a_toml_syntax_error_with_line_and_column() {
    expect_only_error(
        "bare_word",
        E,
        5,
        9,
        &["invalid TOML", "(text values need quotes, e.g. basis = \"owned\")"],
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Out of range

#[test]
fn negative_price_is_an_error_at_the_value() {
    expect_only_error(
        "negative_price",
        A,
        21,
        31,
        &["`on_demand_usd_per_chip_hour` in [accelerator.cloud] of `h100-sxm` is -6.88: it must be greater than 0"],
    );
}

#[test]
fn zero_memory_is_an_error_at_the_value() {
    expect_only_error(
        "zero_memory",
        A,
        13,
        13,
        &["`memory_gb` in [[accelerator]] `h100-sxm` is 0: it must be greater than 0"],
    );
}

#[test]
fn mfu_of_one_and_a_half_is_an_error_at_the_value() {
    expect_only_error(
        "mfu_above_one",
        A,
        33,
        16,
        &["`training_mfu` in [accelerator.efficiency] of `h100-sxm` is 1.5: it must be a fraction above 0 and at most 1"],
    );
}

#[test]
fn pue_below_one_is_an_error_at_the_value() {
    expect_only_error("pue_below_one", E, 7, 7, &["`pue` in [economics] is 0.9: it must be at least 1"]);
}

#[test]
fn zero_utilization_in_a_range_is_an_error_at_the_range() {
    expect_only_error(
        "zero_utilization",
        W,
        27,
        15,
        &["`utilization` in [[inference]] `chat-70b` is 0: it must be a fraction above 0 and at most 1"],
    );
}

#[test]
fn vendor_gross_margin_of_one_is_an_error_at_the_value() {
    expect_only_error(
        "margin_of_one",
        A,
        28,
        23,
        &["`vendor_gross_margin` in [accelerator.owned] of `h100-sxm` is 1: it must be a share from 0 up to (not including) 1"],
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Non-finite numbers, the edge of f64, negative zero

#[test]
fn nan_is_an_error_at_the_value() {
    expect_only_error(
        "nan",
        A,
        15,
        11,
        &[
            "`power_w` in [[accelerator]] `h100-sxm` is NaN, not a finite number",
            "(numbers must be finite)",
        ],
    );
}

#[test]
fn inf_is_an_error_at_the_value() {
    expect_only_error(
        "inf",
        A,
        14,
        19,
        &["`memory_tb_per_s` in [[accelerator]] `h100-sxm` is inf, not a finite number"],
    );
}

#[test]
fn negative_inf_is_an_error_at_the_value() {
    expect_only_error(
        "negative_inf",
        A,
        60,
        31,
        &["`on_demand_usd_per_chip_hour` in [accelerator.cloud] of `trn2` is -inf, not a finite number"],
    );
}

#[test]
fn number_beyond_f64_is_an_error_at_the_value() {
    expect_only_error("overflowing_float", A, 15, 11, &["number `1e400` is too large to represent"]);
}

/// 1e308 is finite: it must not be called infinite. (The loader now also refuses numbers outside
/// 1e-12..1e15 as implausible, so that no product of config numbers overflows; 1e308 hits that.)
#[test]
fn huge_finite_number_is_refused_as_implausible_not_as_infinite() {
    let err = expect_only_error(
        "huge_finite",
        A,
        15,
        11,
        &["`power_w` in [[accelerator]] `h100-sxm`", "outside the plausible range"],
    );
    assert!(
        !err.contains("not a finite number") && !err.contains("too large to represent"),
        "stderr:\n{err}"
    );
}

#[test]
fn implausible_number_is_printed_compactly_in_its_error() {
    let err = expect_only_error("huge_finite", A, 15, 11, &["`power_w`"]);
    let line = error_lines(&err)[0];
    assert!(
        !line.contains("0000000000") && line.len() < 300,
        "error line is {} chars:\n{line}",
        line.len()
    );
}

#[test]
fn negative_zero_is_not_greater_than_zero() {
    expect_only_error(
        "negative_zero_positive_key",
        A,
        15,
        11,
        &["`power_w` in [[accelerator]] `h100-sxm` is -0: it must be greater than 0"],
    );
}

#[test]
fn negative_zero_is_accepted_where_zero_is_allowed() {
    // economics.system_overhead >= 0; here `low = -0.0`.
    let (code, err) = validate_fixture("broken/negative_zero_non_negative_key");
    assert_eq!(code, 0, "stderr:\n{err}");
    assert!(error_lines(&err).is_empty() && warning_lines(&err).is_empty(), "stderr:\n{err}");
}

// ---------------------------------------------------------------------------------------------
// 5. Ranges

#[test]
fn unordered_range_is_an_error_naming_low_base_and_high() {
    expect_only_error(
        "unordered_range",
        E,
        9,
        18,
        &[
            "range `lifetime_years` in [economics] is not ordered: low 6, base 5, high 6",
            "(a range needs low <= base <= high)",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Ids

#[test]
fn upper_case_id_is_malformed_and_a_well_formed_id_is_suggested() {
    expect_only_error(
        "upper_case_id",
        A,
        7,
        6,
        &["accelerator id `H100_SXM` is not well formed", "e.g. `h100-sxm`"],
    );
}

#[test]
fn id_starting_with_a_dash_is_malformed() {
    expect_only_error("id_starting_with_dash", A, 45, 6, &["accelerator id `-x` is not well formed"]);
}

#[test]
fn id_of_41_characters_is_malformed() {
    expect_only_error(
        "id_too_long",
        A,
        45,
        6,
        &[
            "accelerator id `trn2-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` is not well formed",
            "at most 40 characters",
        ],
    );
}

#[test]
fn hint_for_a_too_long_id_suggests_an_id_of_at_most_40_characters() {
    let err = expect_only_error("id_too_long", A, 45, 6, &["is not well formed"]);
    let line = error_lines(&err)[0];
    let suggestion = line
        .rsplit_once("e.g. `")
        .and_then(|(_, s)| s.split_once('`'))
        .map(|(s, _)| s)
        .unwrap_or_else(|| panic!("no `e.g.` suggestion in:\n{line}"));
    assert!(
        !suggestion.is_empty() && suggestion.len() <= 40,
        "suggested `{suggestion}` ({} chars)",
        suggestion.len()
    );
}

#[test]
fn empty_id_is_malformed() {
    expect_only_error("empty_id", A, 45, 6, &["accelerator id"]);
}

#[test]
fn duplicate_id_across_two_files_names_both_places() {
    let first = place("duplicate_id", A, 45, 6);
    expect_only_error(
        "duplicate_id",
        "more-accelerators.toml",
        4,
        6,
        &["duplicate accelerator id `trn2`", &format!("first defined at {first}")],
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Dangling references

/// The error about a dangling reference in broken/CASE names the workloads file, the id and a hint.
#[track_caller]
fn expect_dangling(case: &str, parts: &[&str]) {
    let (code, err) = validate_fixture(&format!("broken/{case}"));
    assert_eq!(code, 2, "stderr:\n{err}");
    let prefix = format!("error: {}:", fixture(&format!("broken/{case}/{W}")).display());
    let errors = error_lines(&err);
    assert_eq!(errors.len(), 1, "stderr:\n{err}");
    assert!(
        errors[0].starts_with(&prefix) && parts.iter().all(|p| errors[0].contains(p)),
        "stderr:\n{err}"
    );
}

#[test]
fn measured_entry_naming_an_unknown_workload_is_an_error_with_a_suggestion() {
    expect_dangling(
        "measured_unknown_workload",
        &["unknown inference id `chat-7b`", "(did you mean `chat-70b`?)"],
    );
}

#[test]
fn measured_entry_naming_an_unknown_accelerator_is_an_error_with_a_suggestion() {
    expect_dangling(
        "measured_unknown_accelerator",
        &["unknown accelerator id `h100`", "(did you mean `h100-sxm`?)"],
    );
}

#[test]
fn calibration_entry_naming_an_unknown_accelerator_is_an_error() {
    expect_dangling("calibration_unknown_accelerator", &["unknown accelerator id `a100-sxm`"]);
}

#[test]
fn dangling_references_in_measured_and_calibration_point_at_the_value() {
    expect_only_error("measured_unknown_workload", W, 42, 12, &["unknown inference id `chat-7b`"]);
    expect_only_error("measured_unknown_accelerator", W, 43, 15, &["unknown accelerator id `h100`"]);
    expect_only_error("calibration_unknown_accelerator", W, 43, 15, &["unknown accelerator id `a100-sxm`"]);
}

#[test]
fn report_reference_naming_an_unknown_accelerator_is_an_error_at_the_value() {
    expect_only_error(
        "report_unknown_reference",
        W,
        34,
        13,
        &["unknown accelerator id `h100-pcie`", "(known accelerator ids: h100-sxm, trn2)"],
    );
}

#[test]
fn report_accelerators_entry_naming_an_unknown_accelerator_is_an_error_at_the_entry() {
    expect_only_error(
        "report_unknown_accelerator",
        W,
        35,
        29,
        &["unknown accelerator id `trn1`", "(did you mean `trn2`?)"],
    );
}

#[test]
fn report_training_workload_naming_an_unknown_workload_is_an_error_at_the_value() {
    expect_only_error(
        "report_unknown_training_workload",
        W,
        35,
        21,
        &["unknown training id `dense-405b`", "(did you mean `dense-70b`?)"],
    );
}

// ---------------------------------------------------------------------------------------------
// 8-10. Parameters, precisions, `estimates`

#[test]
fn active_params_above_params_is_an_error_at_the_value() {
    expect_only_error(
        "active_params_above_params",
        W,
        8,
        19,
        &["active_params_b (80) is larger than params_b (70) in [[training]] `dense-70b`"],
    );
}

#[test]
fn unknown_precision_in_a_workload_suggests_bf16() {
    expect_only_error(
        "unknown_workload_precision",
        W,
        9,
        13,
        &["unknown precision `bf17` in [[training]] `dense-70b`", "did you mean `bf16`?"],
    );
}

#[test]
fn unknown_precision_in_dense_tflops_suggests_bf16() {
    expect_only_error(
        "unknown_tflops_precision",
        A,
        12,
        42,
        &[
            "unknown precision `bf61` in dense_tflops of [[accelerator]] `h100-sxm`",
            "did you mean `bf16`?",
        ],
    );
}

#[test]
fn estimates_naming_a_key_the_table_does_not_have_is_an_error_at_the_name() {
    expect_only_error(
        "estimates_names_missing_key",
        A,
        57,
        14,
        &["`estimates` in [[accelerator]] `trn2` names `power_watts`, which this table does not give"],
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Every error of a run is reported

#[test]
fn three_errors_in_two_files_are_all_reported() {
    let case = "three_errors";
    let err = expect_error(case, E, 7, 7, &["`pue` in [economics] is 0.9"]);
    expect_error(case, A, 15, 11, &["`power_w` in [[accelerator]] `h100-sxm` must be a number"]);
    expect_error(
        case,
        A,
        48,
        1,
        &["unknown key `vednor` in [[accelerator]] `trn2`", "(did you mean `vendor`?)"],
    );
    assert_eq!(error_lines(&err).len(), 3, "stderr:\n{err}");
}

// ---------------------------------------------------------------------------------------------
// Integers beyond i64

#[test]
fn hex_integer_beyond_i64_is_an_error_at_the_value() {
    expect_only_error("big_hex_integer", A, 15, 11, &["is out of range"]);
}

#[test]
fn decimal_integer_beyond_i64_in_a_whole_number_key_is_an_error_at_the_value() {
    expect_only_error("big_integer", A, 11, 8, &["`year` in [[accelerator]] `h100-sxm`"]);
}

#[test]
fn whole_number_beyond_i64_is_reported_as_out_of_range() {
    expect_only_error(
        "big_integer",
        A,
        11,
        8,
        &["`year` in [[accelerator]] `h100-sxm`", "outside 1990..=2100"],
    );
}

// ---------------------------------------------------------------------------------------------
// 12. --set

#[test]
fn set_economics_basis_owned_changes_the_basis_line() {
    let before = validate_good_with_sets(&[]);
    assert!(stdout(&before).contains("Basis: on_demand"), "stdout:\n{}", stdout(&before));
    let after = validate_good_with_sets(&["economics.basis=owned"]);
    assert_eq!(after.status.code(), Some(0), "stderr:\n{}", stderr(&after));
    let out = stdout(&after);
    assert!(out.contains("Basis: owned (set at --set economics.basis=owned)"), "stdout:\n{out}");
    assert_ne!(accelerator_line(&out, "h100-sxm"), accelerator_line(&stdout(&before), "h100-sxm"));
}

#[test]
fn set_bare_word_and_quoted_string_mean_the_same() {
    let bare = stdout(&validate_good_with_sets(&["economics.basis=owned"]));
    let quoted = validate_good_with_sets(&["economics.basis=\"owned\""]);
    assert_eq!(quoted.status.code(), Some(0), "stderr:\n{}", stderr(&quoted));
    let quoted = stdout(&quoted);
    assert!(quoted.contains("Basis: owned"), "stdout:\n{quoted}");
    for id in ["h100-sxm", "trn2"] {
        assert_eq!(accelerator_line(&bare, id), accelerator_line(&quoted, id));
    }
}

#[test]
fn set_h100_on_demand_price_changes_its_price_line() {
    let before = stdout(&validate_good_with_sets(&[]));
    assert!(accelerator_line(&before, "h100-sxm").contains("$6.880"), "stdout:\n{before}");
    let after = validate_good_with_sets(&["accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour=2"]);
    assert_eq!(after.status.code(), Some(0), "stderr:\n{}", stderr(&after));
    let out = stdout(&after);
    assert!(accelerator_line(&out, "h100-sxm").contains("$2.000"), "stdout:\n{out}");
    assert!(
        accelerator_line(&out, "trn2").contains("$2.235"),
        "other chips keep their price:\n{out}"
    );
}

/// `validate --set ARG` on the good fixture: exit 2 and an error line that starts with
/// `error: --set ARG: ` and contains every part.
#[track_caller]
fn expect_set_error(arg: &str, parts: &[&str]) {
    let o = validate_good_with_sets(&[arg]);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    let prefix = format!("error: --set {arg}: ");
    assert!(
        error_lines(&err)
            .iter()
            .any(|l| l.starts_with(&prefix) && parts.iter().all(|p| l.contains(p))),
        "no error line starting with\n  {prefix}\ncontaining {parts:?}; stderr:\n{err}"
    );
}

#[test]
fn set_with_unknown_accelerator_id_is_an_error_naming_the_path() {
    expect_set_error(
        "accelerator.h100.cloud.on_demand_usd_per_chip_hour=2",
        &[
            "unknown key path `accelerator.h100.cloud.on_demand_usd_per_chip_hour`",
            "(did you mean `h100-sxm`?)",
        ],
    );
}

#[test]
fn set_with_unknown_key_is_an_error_naming_the_path_and_suggesting_the_key() {
    expect_set_error(
        "accelerator.h100-sxm.memroy_gb=1",
        &[
            "unknown key `memroy_gb` in [[accelerator]] `h100-sxm`",
            "(did you mean `memory_gb`?)",
        ],
    );
}

#[test]
fn set_without_equals_sign_is_an_error_naming_the_argument() {
    expect_set_error("economics.basis", &["expected KEY=VALUE"]);
}

#[test]
fn set_with_out_of_range_value_is_an_error_naming_the_set() {
    expect_set_error("economics.pue=0.5", &["`pue` in [economics] is 0.5: it must be at least 1"]);
}

#[test]
fn set_with_empty_key_path_is_an_error() {
    expect_set_error("economics..pue=1.5", &["is not a key path"]);
}

#[test]
fn unknown_key_without_a_close_match_lists_each_known_key_once() {
    let o = validate_good_with_sets(&["economics.zzzzzzzz=1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    let known = err
        .split_once("known keys: ")
        .map(|(_, rest)| rest.trim_end().trim_end_matches(')'))
        .unwrap_or_else(|| panic!("no `known keys:` hint; stderr:\n{err}"));
    let keys: Vec<&str> = known.split(", ").collect();
    for k in &keys {
        assert_eq!(keys.iter().filter(|x| *x == k).count(), 1, "`{k}` listed twice: {known}");
    }
}

// ---------------------------------------------------------------------------------------------
// 13. Nothing panics

#[test]
fn empty_file_is_a_clean_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("empty.toml");
    std::fs::write(&file, "").expect("write");
    let o = validate_path(&file);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains("error: ") && err.contains("no [[accelerator]] entries"),
        "stderr:\n{err}"
    );
}

#[test]
fn empty_file_error_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("empty.toml");
    std::fs::write(&file, "").expect("write");
    let err = stderr(&validate_path(&file));
    assert!(err.contains(&format!("error: {}", file.display())), "stderr:\n{err}");
}

#[test]
fn random_binary_file_is_a_clean_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("random.toml");
    // xorshift: the same bytes on every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&file, bytes).expect("write");
    let o = validate_path(&file);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(err.contains(&format!("error: {}:1:", file.display())), "stderr:\n{err}");
}

#[test]
fn non_utf8_content_is_an_error_at_the_first_bad_byte() {
    // `notes = "co\xfbt of capital ...`: the bad byte is column 12.
    expect_only_error("not_utf8", E, 20, 12, &["not UTF-8"]);
}

#[test]
fn folder_without_toml_files_is_a_clean_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("README.txt"), "not a config").expect("write");
    let o = validate_path(dir.path());
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("error: {}", dir.path().display())) && err.contains("no .toml files"),
        "stderr:\n{err}"
    );
}

#[test]
fn missing_path_is_a_clean_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-configs");
    let o = validate_path(&missing);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("error: {}", missing.display())) && err.contains("cannot read"),
        "stderr:\n{err}"
    );
}

#[test]
fn fifty_megabyte_file_is_refused_quickly_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("huge.toml");
    let line = "# a config is a few kB; this line repeats until the file is 50 MB\n";
    std::fs::write(&file, line.repeat(50 * 1024 * 1024 / line.len() + 1)).expect("write");
    let start = Instant::now();
    let o = validate_path(&file);
    let took = start.elapsed();
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("error: {}", file.display())) && err.contains("MB") && err.contains("refused"),
        "stderr:\n{err}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn ten_thousand_nested_arrays_are_a_clean_syntax_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("nested.toml");
    std::fs::write(&file, format!("a = {}{}\n", "[".repeat(10_000), "]".repeat(10_000))).expect("write");
    let o = validate_path(&file);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("error: {}:1:", file.display())) && err.contains("invalid TOML"),
        "stderr:\n{err}"
    );
}

#[test]
fn ten_thousand_nested_inline_tables_are_a_clean_syntax_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("nested.toml");
    std::fs::write(&file, format!("a = {}1{}\n", "{ b = ".repeat(10_000), " }".repeat(10_000))).expect("write");
    let o = validate_path(&file);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("error: {}:1:", file.display())) && err.contains("invalid TOML"),
        "stderr:\n{err}"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_folder_name_validates_the_config_inside() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join(OsStr::from_bytes(b"configs-\xff"));
    copy_good_config(&folder);
    let o = validate_path(&folder);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    match o.status.code() {
        Some(0) => assert!(stdout(&o).contains("Loaded 3 file(s)"), "stdout:\n{}", stdout(&o)),
        Some(2) => assert!(err.starts_with("error: "), "stderr:\n{err}"),
        other => panic!("exit code {other:?}; stderr:\n{err}"),
    }
}

/// Many small corruptions of the good config (a line dropped or doubled, a value swapped for a
/// nasty one, a stray byte, a cut): each is accepted or refused with exit 2, never a panic.
#[test]
fn corrupted_copies_of_the_good_config_never_panic() {
    const NASTY: [&str; 18] = [
        "-1",
        "0",
        "-0.0",
        "nan",
        "-inf",
        "1e400",
        "1e-400",
        "99999999999999999999",
        "0x7fffffffffffffff",
        "\"\"",
        "\"x\"",
        "true",
        "1979-05-27",
        "[]",
        "[[1]]",
        "{}",
        "{ low = 3, base = 2, high = 1 }",
        "{ low = 1, base = 1e308, high = 1e308 }",
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for round in 0..150 {
        let folder = dir.path().join(format!("r{round}"));
        copy_good_config(&folder);
        let name = [A, E, W][next(3)];
        let text = std::fs::read_to_string(folder.join(name)).expect("read");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let i = next(lines.len());
        let mutated: Vec<u8> = match next(5) {
            0 => {
                lines.remove(i);
                lines.join("\n").into_bytes()
            }
            1 => {
                lines.insert(i, lines[i].clone());
                lines.join("\n").into_bytes()
            }
            2 => {
                if let Some((key, _)) = lines[i].split_once(" = ") {
                    lines[i] = format!("{key} = {}", NASTY[next(NASTY.len())]);
                }
                lines.join("\n").into_bytes()
            }
            3 => {
                const STRAY: &[u8] = b"\"{[]=#\\\0\xff.\n";
                let mut bytes = text.clone().into_bytes();
                bytes.insert(next(bytes.len()), STRAY[next(STRAY.len())]);
                bytes
            }
            _ => text.as_bytes()[..next(text.len())].to_vec(),
        };
        std::fs::write(folder.join(name), &mutated).expect("write");
        let o = validate_path(&folder);
        let err = stderr(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 2)) && !err.contains("panicked"),
            "round {round}: exit {:?} on this {name}:\n{}\n--- stderr:\n{err}",
            o.status.code(),
            String::from_utf8_lossy(&mutated)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 14. Warnings (exit 0)

#[test]
fn table_without_source_warns_with_file_and_line() {
    let (code, err) = validate_fixture("broken/missing_source");
    assert_eq!(code, 0, "stderr:\n{err}");
    let expected = format!(
        "warning: {}: [accelerator.cloud] of `trn2` has no `source`",
        place("missing_source", A, 59, 1)
    );
    assert!(
        err.lines().any(|l| l.starts_with(&expected)),
        "expected\n  {expected}\nstderr:\n{err}"
    );
    assert_eq!(warning_lines(&err).len(), 1, "stderr:\n{err}");
}

#[test]
fn estimate_given_as_a_single_number_warns() {
    let (code, err) = validate_fixture("broken/single_number_estimate");
    assert_eq!(code, 0, "stderr:\n{err}");
    let file = format!("warning: {}:", fixture(&format!("broken/single_number_estimate/{E}")).display());
    let warnings = warning_lines(&err);
    assert_eq!(warnings.len(), 1, "stderr:\n{err}");
    assert!(
        warnings[0].starts_with(&file) && warnings[0].contains("estimate `system_power_factor` is a single number"),
        "stderr:\n{err}"
    );
}

#[test]
fn single_number_estimate_warning_points_at_the_key() {
    let (_, err) = validate_fixture("broken/single_number_estimate");
    let at_key = format!("warning: {}:15:", fixture(&format!("broken/single_number_estimate/{E}")).display());
    assert!(
        err.lines().any(|l| l.starts_with(&at_key)),
        "expected a warning at line 15; stderr:\n{err}"
    );
}

#[test]
fn batch_below_one_is_an_error_at_the_value() {
    expect_only_error(
        "batch_below_one",
        W,
        26,
        9,
        &["`batch` in [[inference]] `chat-70b` is 0.5: it must be at least 1"],
    );
}

#[test]
fn more_experts_per_token_than_experts_is_an_error() {
    expect_only_error(
        "experts_per_token_above_experts",
        W,
        25,
        21,
        &["experts_per_token (16) is larger than experts (8) in [[inference]] `chat-70b`"],
    );
}

// ---------------------------------------------------------------------------------------------
// report.charts edge cases

/// `validate -c <good fixture> -c <temp>/report.toml` with `[report]` holding `charts_line`:
/// (exit code, stderr, the report file's path).
fn validate_charts(charts_line: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.toml");
    std::fs::write(&file, format!("[report]\n{charts_line}\n")).expect("write report.toml");
    let good = fixture("good");
    let o = run_os(&[
        OsStr::new("validate"),
        OsStr::new("-c"),
        good.as_os_str(),
        OsStr::new("-c"),
        file.as_os_str(),
    ]);
    let err = stderr(&o);
    assert_no_panic(o.status.code(), &err);
    (o.status.code(), err, file.display().to_string())
}

#[test]
fn empty_report_charts_is_a_located_error_with_a_hint() {
    let (code, err, f) = validate_charts("charts = []");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(error_lines(&err).len(), 1, "{err}");
    let l = error_lines(&err)[0];
    assert!(l.starts_with(&format!("error: {f}:2:10: report.charts is empty")), "{l}");
    assert!(l.contains("remove `charts` to draw every chart"), "{l}");
}

#[test]
fn a_retired_chart_warns_naming_its_replacement_and_only_retired_ones_are_an_error() {
    let (code, err, f) = validate_charts("charts = [\"model-size\", \"tco\"]");
    assert_eq!(code, Some(0), "{err}");
    let w = warning_lines(&err);
    assert_eq!(w.len(), 1, "{err}");
    assert!(
        w[0].starts_with(&format!("warning: {f}:2:11: chart `model-size` is retired and not drawn")) && w[0].contains("see `headline`"),
        "{err}"
    );
    // Nothing left to draw: an error, not "every chart" in silence.
    let (code, err, f) = validate_charts("charts = [\"utilization\"]");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        error_lines(&err)
            .iter()
            .any(|l| l.starts_with(&format!("error: {f}:2:10: report.charts names only retired charts")) && l.contains("headline")),
        "{err}"
    );
}

#[test]
fn a_chart_named_twice_is_a_warning_at_the_second() {
    let (code, err, f) = validate_charts("charts = [\"tco\", \"headline\", \"tco\"]");
    assert_eq!(code, Some(0), "{err}");
    let w = warning_lines(&err);
    assert_eq!(w.len(), 1, "{err}");
    assert!(
        w[0].starts_with(&format!(
            "warning: {f}:2:30: chart `tco` is named twice in report.charts; the first is at {f}:2:11"
        )),
        "{err}"
    );
}

#[test]
fn an_unknown_chart_in_a_file_stays_a_located_error_with_a_hint() {
    let (code, err, f) = validate_charts("charts = [\"tco\", \"headlin\"]");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        error_lines(&err).iter().any(
            |l| l.starts_with(&format!("error: {f}:2:18: unknown chart `headlin` in report.charts"))
                && l.contains("did you mean `headline`?")
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Unit slips in the shipped configs (issue 21): each warns, naming the key and the likely slip

/// `validate` of the shipped configs with one `--set`: exit 0 and a warning line containing
/// every part.
#[track_caller]
fn slip_warns(set: &str, parts: &[&str]) {
    let o = run(&["validate", "--set", set]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_no_panic(o.status.code(), &err);
    assert_eq!(o.status.code(), Some(0), "a slip warns, it does not fail; stderr:\n{err}");
    assert!(
        warning_lines(&err).iter().any(|l| parts.iter().all(|p| l.contains(p))),
        "no warning containing {parts:?} for --set {set}; stderr:\n{err}"
    );
}

#[test]
fn dense_peak_in_pflops_on_a_recent_chip_warns_naming_the_key() {
    // tpu7x (2025) at 4.6 "TFLOPS": its PFLOPS figure. Under 50, above the < 1 rule.
    slip_warns(
        "accelerator.tpu7x.dense_tflops.bf16=4.6",
        &["dense_tflops.bf16", "tpu7x", "PFLOPS?"],
    );
}

#[test]
fn power_in_kw_warns_naming_the_key() {
    slip_warns("accelerator.h100-sxm.power_w=0.7", &["power_w", "h100-sxm", "kW?"]);
}

#[test]
fn bandwidth_in_gb_per_s_warns_naming_the_key() {
    slip_warns(
        "accelerator.h100-sxm.memory_tb_per_s=3350",
        &["memory_tb_per_s", "h100-sxm", "GB/s?"],
    );
}

#[test]
fn memory_in_mb_or_tb_warns_naming_the_key() {
    slip_warns("accelerator.h100-sxm.memory_gb=80000", &["memory_gb", "h100-sxm", "MB?"]);
    slip_warns("accelerator.h100-sxm.memory_gb=0.08", &["memory_gb", "h100-sxm", "TB?"]);
}

#[test]
fn an_instance_price_in_a_per_chip_key_warns_naming_the_key() {
    // trn1's on-demand trn1.32xlarge is 21.5 USD for 16 chips (1.34 a chip); 20 in the
    // per-chip key of its Capacity Block offer is near 16 x that: an instance price.
    slip_warns(
        "accelerator.trn1.offer.aws-capacity-block-2026-07.usd_per_chip_hour=20",
        &["usd_per_chip_hour", "trn1", "near 16 x", "instance price in a per-chip key?"],
    );
}

#[test]
fn a_chip_price_far_from_its_family_warns_naming_the_key() {
    // An 8-GPU server's price (8 x 27,500 = 220,000) typed as one H100's: 6.3 x the median of
    // the other GPUs' chip_usd (34,722 among a100, h200, b200, b300, gb200, mi300x...).
    slip_warns(
        "accelerator.h100-sxm.owned.chip_usd=220000",
        &["chip_usd", "h100-sxm", "median of the other", "gpu chips", "rack's price?"],
    );
    // A TPU at a tenth of its family's median.
    slip_warns("accelerator.tpu7x.owned.chip_usd=900", &["chip_usd", "tpu7x", "smaller part"]);
}

#[test]
fn the_shipped_configs_raise_no_unit_slip_warning() {
    let o = run(&["validate"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    for slip in [
        "PFLOPS?",
        "kW?",
        "GB/s?",
        "MB?",
        "TB?",
        "per-chip key?",
        "rack's price?",
        "smaller part",
    ] {
        assert!(!err.contains(slip), "shipped configs warn {slip}:\n{err}");
    }
}

/// Plausible slips get a warning whose hint converts the value typed: a PFLOPS figure under 50
/// (1.979 PFLOPS = 1979 TFLOPS), memory in bytes, a PUE of 13 and an MoE size exponent above 1.
#[test]
fn slip_hints_convert_the_value_typed() {
    for (set, want) in [
        ("accelerator.h100-sxm.dense_tflops.fp8=1.979", "(write TFLOPS: 1.979 PFLOPS = 1979)"),
        (
            "accelerator.h100-sxm.memory_gb=80000000000",
            "given in bytes? (write GB: 8e10 bytes = 80)",
        ),
        ("accelerator.h100-sxm.memory_gb=80000", "given in MB? (write GB: 80000 MB = 80)"),
        ("economics.pue=13", "economics.pue is 13, above 3"),
        (
            "economics.training_moe_active_exponent=2",
            "training_moe_active_exponent is 2, above 1",
        ),
    ] {
        let o = crate::common::run(&["validate", "--set", set]);
        let err = crate::common::stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{set}: {err}");
        assert!(err.contains(want), "{set}: {err}");
    }
}

//! Helpers: run the binary, locate fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Path of a file or folder under tests/fixtures/.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Path relative to the project root (e.g. the shipped `configs`).
pub fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `accel-cost` with `args` in the project root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accel-cost"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// `calibrate --json --fit` on the shipped configs, run once for the three tests that read it:
/// the fit is the slowest command in a debug build (seconds), and its output is the same each
/// time (checked by `shipped_training_mfu_is_the_fit_output` against the shipped files).
pub fn calibrate_fit_json() -> &'static Output {
    static OUT: OnceLock<Output> = OnceLock::new();
    OUT.get_or_init(|| run(&["calibrate", "--json", "--fit"]))
}

/// [`calibrate_fit_json`] parsed, after checking it succeeded.
pub fn calibrate_fit() -> serde_json::Value {
    let o = calibrate_fit_json();
    assert_eq!(o.status.code(), Some(0), "calibrate --json --fit: {}", stderr(o));
    serde_json::from_str(&stdout(o)).expect("valid JSON")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `validate -c <fixture>` and returns (exit code, stderr).
pub fn validate_fixture(rel: &str) -> (i32, String) {
    let p = fixture(rel);
    let o = run(&["validate", "-c", p.to_str().expect("utf-8 path")]);
    (o.status.code().unwrap_or(-1), stderr(&o))
}

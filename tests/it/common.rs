//! Helpers: run the binary, locate fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

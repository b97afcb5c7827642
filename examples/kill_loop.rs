//! Kills `accel-cost report` (SIGKILL) while it publishes, again and again, into one folder,
//! and counts mixes (the folder shows files of two runs) and lockouts (a later run refused).
//! The loop is the integration test's (`tests/it/kill_loop.rs`); this runs it longer and
//! against any binary, e.g. an older build, for before/after numbers:
//!
//! ```text
//! cargo run --example kill_loop -- [--bin PATH] [--tries N] [--config DIR]
//! ```
//!
//! Defaults: target/debug/accel-cost, 30 tries, tests/fixtures/good.

use std::path::PathBuf;
use std::time::Duration;

#[path = "../tests/it/kill_loop.rs"]
#[allow(dead_code)]
mod kill_loop;

/// `tempfile` and the fixture helper the shared module's test refers to.
#[allow(dead_code)]
mod common {
    pub fn fixture(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
    }
}

fn main() {
    let mut bin = PathBuf::from("target/debug/accel-cost");
    let mut tries = 30;
    let mut cfg = common::fixture("good");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--bin" => bin = PathBuf::from(v),
            "--tries" => tries = v.parse().unwrap_or(tries),
            "--config" => cfg = PathBuf::from(v),
            _ => {
                eprintln!("usage: kill_loop [--bin PATH] [--tries N] [--config DIR]");
                std::process::exit(2);
            }
        }
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| {
        eprintln!("error: cannot create a temporary folder: {e}");
        std::process::exit(1)
    });
    let out = dir.path().join("out");
    let _ = std::fs::create_dir(&out);
    let t = kill_loop::kill_loop(&bin, &cfg, &out, tries, Duration::from_secs(600));
    println!(
        "{}: {} tries, {} killed while publishing, {} mixes, {} lockouts",
        bin.display(),
        t.tries,
        t.killed_publishing,
        t.mixes,
        t.lockouts
    );
    if let Some(m) = t.lockout_message {
        println!("first failure: {}", m.trim());
    }
}

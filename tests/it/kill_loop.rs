//! A report killed (SIGKILL) at any moment of its publish step leaves the earlier set or the
//! new one, never a mix, and never a folder later reports refuse. The loop is shared with
//! `examples/kill_loop.rs`, which runs it against any binary (before/after numbers).
//!
//! Each try starts `report` into one folder with its own title (so its own config hash, which
//! every SVG footer, report.md and summary.json carry), waits until the run is publishing (a
//! set or staging folder holding report.md appears), kills it soon after, and checks:
//! - a mix: the files the folder shows name more than one config hash;
//! - a lockout: a later run that is not killed fails (the folder is refused).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a kill loop found.
#[derive(Debug, Default)]
pub struct Tally {
    /// Runs started.
    pub tries: usize,
    /// Runs killed while publishing (the others finished before the kill).
    pub killed_publishing: usize,
    /// Times the folder showed files of two runs.
    pub mixes: usize,
    /// Runs not killed that failed, and a final run that failed.
    pub lockouts: usize,
    /// The first failure's stderr, if any.
    pub lockout_message: Option<String>,
}

/// Starts a report titled `title`; with `few`, of two charts only (so names come and go).
fn spawn(bin: &Path, cfg: &Path, out: &Path, title: &str, few: bool) -> Child {
    let mut c = Command::new(bin);
    c.args(["report", "-q", "-o"])
        .arg(out)
        .arg("-c")
        .arg(cfg)
        .args(["--format", "svg", "--set", "report.monte_carlo.samples=20", "--set"])
        .arg(format!("report.title={title}"));
    if few {
        c.args(["--set", "report.charts=[\"headline\", \"tco\"]"]);
    }
    c.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("the binary starts")
}

/// Folders a run writes its new files into before publishing: old-style staging folders in
/// `out`, and set folders in `out/.accel-cost` other than the one on show.
fn publishing(out: &Path) -> bool {
    let shown = fs::read_link(out.join(".accel-cost/current")).ok();
    let candidates = fs::read_dir(out)
        .into_iter()
        .flatten()
        .chain(fs::read_dir(out.join(".accel-cost")).into_iter().flatten())
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            (n.starts_with(".accel-cost-staging-") || n.starts_with("set-")) && shown.as_deref() != Some(Path::new(&n))
        });
    candidates.map(|e| e.path()).any(|p: PathBuf| p.join("report.md").exists())
}

/// The config hashes the files shown in `out` name (dangling links read as absent).
pub fn hashes(out: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for e in fs::read_dir(out).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(text) = fs::read_to_string(e.path()) else { continue };
        let hash = if name.ends_with(".svg") {
            text.split("config ").nth(1).map(|t| t.chars().take(7).collect::<String>())
        } else if name == "report.md" {
            text.split("config `").nth(1).map(|t| t.chars().take(7).collect())
        } else if name == "summary.json" {
            text.split("\"config_hash\": \"").nth(1).map(|t| t.chars().take(7).collect())
        } else {
            None
        };
        found.extend(hash);
    }
    found
}

/// Runs `tries` killed reports (and a final one left to finish) into a fresh folder `out`,
/// stopping early after `budget`. The first run is killed too (into an empty folder); every
/// third draws two charts only, so the next run adds names the folder lacks; the kill lands
/// 0 to 0.5 ms after the run starts publishing (the old per-file swap took about that), every
/// fifth 1 to 5 ms after.
pub fn kill_loop(bin: &Path, cfg: &Path, out: &Path, tries: usize, budget: Duration) -> Tally {
    let start = Instant::now();
    let mut t = Tally::default();
    for i in 1..=tries {
        if start.elapsed() > budget {
            break;
        }
        t.tries += 1;
        let mut child = spawn(bin, cfg, out, &format!("run {i}"), i % 3 == 0);
        let mut finished = false;
        loop {
            if publishing(out) {
                break;
            }
            if child.try_wait().expect("wait").is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        if finished {
            note_failure(&mut t, child);
        } else {
            let delay = if i % 5 == 4 { 1000 + 1000 * (i / 5 % 5) } else { 20 * (i * 7 % 25) };
            std::thread::sleep(Duration::from_micros(delay as u64));
            let _ = child.kill();
            let status = child.wait().expect("wait");
            if status.success() {
                // It finished before the kill landed.
            } else if status.code().is_some() {
                // It failed on its own before the kill landed.
                note_failure(&mut t, child);
            } else {
                t.killed_publishing += 1;
            }
        }
        if hashes(out).len() > 1 {
            t.mixes += 1;
        }
    }
    note_failure(&mut t, spawn(bin, cfg, out, "final", false));
    if hashes(out).len() != 1 {
        t.mixes += 1;
    }
    t
}

/// Waits for `child`; a failure (the folder refused, or any error) counts as a lockout.
fn note_failure(t: &mut Tally, child: Child) {
    let o = child.wait_with_output().expect("wait");
    if !o.status.success() {
        t.lockouts += 1;
        t.lockout_message
            .get_or_insert_with(|| String::from_utf8_lossy(&o.stderr).into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_report_killed_while_publishing_leaves_one_set_and_no_lockout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("README.md"), "not ours").expect("readme");
        let bin = Path::new(env!("CARGO_BIN_EXE_accel-cost"));
        let t = kill_loop(bin, &crate::common::fixture("good"), &out, 12, Duration::from_secs(60));
        assert!(t.killed_publishing > 0, "no run was killed while publishing: {t:?}");
        assert_eq!((t.mixes, t.lockouts), (0, 0), "{t:?}");
        assert_eq!(fs::read_to_string(out.join("README.md")).expect("readme"), "not ours");
        let store: Vec<_> = fs::read_dir(out.join(".accel-cost")).expect("store").flatten().collect();
        assert_eq!(store.len(), 2, "the store holds more than `current` and its set: {store:?}");
    }
}

//! Where each number comes from when a planner layers a file of their own over the shipped
//! configs (`-c configs -c FILE`): every value keeps the source and date of the file that gave
//! it, a planner's own price is marked, dates are real, and the slips of layering are caught.

use std::path::PathBuf;

use crate::common::{run, stderr, stdout};

/// A temporary planner's file holding `text`; keep the folder alive while it is used.
fn ours(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = dir.path().join("ours.toml");
    std::fs::write(&path, text).expect("write ours.toml");
    (dir, path.display().to_string())
}

/// Runs `args` with `-c configs -c file` prepended after the command.
fn layered(cmd: &str, file: &str, args: &[&str]) -> std::process::Output {
    let mut a = vec![cmd, "-c", "configs", "-c", file];
    a.extend_from_slice(args);
    run(&a)
}

fn warnings(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("warning: ")).collect()
}

/// The source line `explain` gives the input at key `path`: the cited source's text (from the
/// Sources list) with its date, or the "no source given" line.
fn source_of(explain: &str, path: &str) -> String {
    let lines: Vec<&str> = explain.lines().collect();
    let Some(at) = lines.iter().position(|l| l.trim_start().starts_with(&format!("{path} at "))) else {
        panic!("no input {path} in:\n{explain}")
    };
    for l in &lines[at + 1..] {
        let l = l.trim();
        if l.starts_with('[') || l.is_empty() {
            break;
        }
        if let Some(rest) = l.strip_prefix("source [") {
            let (tag, date) = rest.split_once(']').unwrap_or((rest, ""));
            let text = lines
                .iter()
                .find_map(|s| s.trim().strip_prefix(&format!("[{tag}] ")))
                .unwrap_or_else(|| panic!("no source {tag} listed"));
            return format!("{text}{date}");
        }
        if l.starts_with("no source given") {
            return l.to_string();
        }
    }
    String::new()
}

#[test]
fn a_patch_source_covers_only_the_keys_it_gives() {
    let (_d, f) =
        ours("[[accelerator]]\nid = \"h100-sxm\"\npatch = true\npower_w = 650\nsource = \"our DCGM measurement\"\nas_of = \"2026-11\"\n");
    let o = layered("explain", &f, &["--workload", "dense-70b", "--accelerator", "h100-sxm"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let power = source_of(&out, "accelerator.h100-sxm.power_w");
    assert!(power.starts_with("our DCGM measurement, as of 2026-11"), "{power}");
    let peak = source_of(&out, "accelerator.h100-sxm.dense_tflops.bf16");
    assert!(!peak.contains("DCGM") && peak.contains("H100"), "{peak}");
}

#[test]
fn a_later_economics_source_covers_only_its_keys() {
    let args = [
        "--workload",
        "dense-70b",
        "--accelerator",
        "h100-sxm",
        "--set",
        "economics.basis=owned",
    ];
    let (_d, f) = ours("[economics]\npue = 1.2\nsource = \"my dc\"\nas_of = \"2026-10\"\n");
    let o = layered("explain", &f, &args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(source_of(&out, "economics.pue").starts_with("my dc, as of 2026-10"), "{out}");
    let elec = source_of(&out, "economics.electricity_usd_per_kwh");
    assert!(!elec.contains("my dc") && !elec.is_empty(), "{elec}");

    // Without a source: the planner's 1.2 is nobody's published figure, and says so.
    let (_d, f) = ours("[economics]\npue = 1.2\n");
    let o = layered("explain", &f, &args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(source_of(&out, "economics.pue"), format!("no source given ({f})"));
    assert!(!source_of(&out, "economics.electricity_usd_per_kwh").starts_with("no source"));
    let err = stderr(&o);
    assert!(
        warnings(&err)
            .iter()
            .any(|w| w.contains(&format!("{f}:1:1")) && w.contains("no `source`")),
        "{err}"
    );
}

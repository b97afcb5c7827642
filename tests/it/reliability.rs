//! Reliability (issue 11): no write outside the output folder, one run's files per folder,
//! strict `--set`, located errors, escaped terminal text, symlinked config folders. Each test
//! failed on the code before the fix. Reports use SVG and few Monte Carlo draws to stay fast.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Parser;

use crate::common::{fixture, run, stderr, stdout};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `report` into `out` on the `good` fixture (or `cfg`), SVG only, 20 draws, plus `extra`.
fn report(out: &Path, cfg: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "report",
        "-o",
        s(out),
        "-c",
        s(cfg),
        "--format",
        "svg",
        "--set",
        "report.monte_carlo.samples=20",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Every file in `dir` with its bytes (folders as `<dir>`).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = if e.path().is_dir() {
                b"<dir>".to_vec()
            } else {
                fs::read(e.path()).expect("read")
            };
            (name, bytes)
        })
        .collect()
}

/// The config folder `good` copied to `dir`, with `edit` applied to each file's text.
fn good_copy(dir: &Path, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let cfg = dir.join("cfg");
    fs::create_dir_all(&cfg).expect("mkdir");
    for name in ["accelerators.toml", "economics.toml", "workloads.toml"] {
        let text = fs::read_to_string(fixture("good").join(name)).expect("fixture");
        fs::write(cfg.join(name), edit(name, text)).expect("write");
    }
    cfg
}

#[cfg(unix)]
#[test]
fn temp_files_never_follow_a_symlink_planted_at_a_predictable_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    fs::create_dir_all(&out).expect("mkdir");
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, b"precious").expect("victim");
    // The temp names the old writer used: `.<name>.tmp-<pid>.<ext>` (this test runs `report`
    // in-process, so <pid> is ours).
    let pid = std::process::id();
    for (name, ext) in [
        ("summary.json", "json"),
        ("report.md", "md"),
        ("tornado.csv", "csv"),
        ("tornado.svg", "svg"),
        (".accel-cost-write-test", "tmp"),
    ] {
        std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.tmp-{pid}.{ext}"))).expect("plant");
    }
    let cli = accel_cost::cli::Cli::try_parse_from([
        "accel-cost",
        "report",
        "-o",
        s(&out),
        "-c",
        s(&fixture("good")),
        "--format",
        "svg",
        "--set",
        "report.monte_carlo.samples=20",
    ])
    .expect("arguments parse");
    let result = accel_cost::app::run(cli);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fs::read(&victim).expect("victim"), b"precious", "a file outside -o was overwritten");
    // Each output is the tool's link to a regular file in the store inside `out`.
    let store = fs::canonicalize(out.join(".accel-cost")).expect("store");
    for name in ["summary.json", "report.md", "tornado.csv", "tornado.svg"] {
        let m = fs::metadata(out.join(name)).expect("output exists");
        assert!(m.is_file(), "{name} is not a regular file");
        let real = fs::canonicalize(out.join(name)).expect("resolves");
        assert!(real.starts_with(&store), "{name} resolves outside the store: {}", real.display());
    }
    // The same for a single atomic write (used by `init`).
    let target = out.join("a.csv");
    std::os::unix::fs::symlink(&victim, out.join(format!(".a.csv.tmp-{pid}.csv"))).expect("plant");
    accel_cost::output::write_atomic(&target, b"new").expect("write");
    assert_eq!(fs::read(&victim).expect("victim"), b"precious");
    assert!(fs::symlink_metadata(&target).expect("a.csv").is_file());
}

#[test]
fn a_failed_run_leaves_the_earlier_set_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let o = report(&out, &fixture("good"), &["--set", "report.title=first"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // One output cannot be replaced (a folder holds its name): the run fails.
    fs::remove_file(out.join("tornado.csv")).expect("rm");
    fs::create_dir(out.join("tornado.csv")).expect("mkdir");
    let before = snapshot(&out);
    let o = report(&out, &fixture("good"), &["--set", "report.title=second"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("tornado.csv"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before, "a failed run changed the earlier outputs");
}

#[test]
fn a_run_drawing_fewer_charts_leaves_no_stale_chart_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let o = report(&out, &fixture("good"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    fs::write(out.join("README.md"), "not ours").expect("readme");
    fs::write(out.join("notes.svg"), "not ours either").expect("user file");
    // The same config without inference workloads: three charts fewer.
    let training_only = good_copy(dir.path(), |name, text| {
        if name != "workloads.toml" {
            return text;
        }
        let (head, tail) = text.split_once("\n[[inference]]").expect("an inference table");
        let rest = &tail[tail.find("[report]").expect("report table")..];
        format!("{head}{}", rest.replace("inference_workload = \"chat-70b\"\n", ""))
    });
    let o = report(&out, &training_only, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("chart `batch` not drawn: no inference workload is loaded"), "{err}");
    let md = fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("Not drawn") && md.contains("`batch`"), "{md}");
    // Every chart in the folder is one report.md embeds; files the tool did not write stay.
    for (name, _) in snapshot(&out) {
        if let Some(stem) = name.strip_suffix(".svg").filter(|n| *n != "notes") {
            assert!(
                md.contains(&format!("]({stem}.svg)")),
                "stale chart {name} left beside the new report"
            );
        }
    }
    assert!(!out.join("inference-cost-vs-batch.csv").exists());
    assert_eq!(fs::read_to_string(out.join("README.md")).expect("readme"), "not ours");
    assert!(out.join("notes.svg").exists());
}

#[test]
fn concurrent_runs_into_one_folder_publish_one_consistent_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let good = fixture("good");
    let children: Vec<_> = (0..6)
        .map(|i| {
            let title = format!("report.title=run {i}");
            Command::new(env!("CARGO_BIN_EXE_accel-cost"))
                .args(["report", "-o", s(&out), "-c", s(&good), "--format", "svg"])
                .args(["--set", "report.monte_carlo.samples=20", "--set", &title])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    // report.md names the config hash of its run; every chart must carry the same one.
    let md = fs::read_to_string(out.join("report.md")).expect("report.md");
    let hash = md
        .split("config `")
        .nth(1)
        .and_then(|t| t.split('`').next())
        .expect("hash in report.md");
    let files = snapshot(&out);
    let mut charts = 0;
    for (name, bytes) in &files {
        assert!(!name.starts_with(".accel-cost-staging"), "staging folder left: {name}");
        if name.ends_with(".svg") {
            charts += 1;
            let text = String::from_utf8_lossy(bytes);
            assert!(
                text.contains(&format!("config {hash}")),
                "{name} is from another run than report.md"
            );
        }
    }
    assert_eq!(charts, 11); // every chart of CHARTS, the waterfall included
    let summary = String::from_utf8_lossy(&files["summary.json"]).into_owned();
    assert!(summary.contains(hash), "summary.json is from another run than report.md");
}

/// The `Built-in defaults used:` line of `validate`.
fn defaults_line(o: &std::process::Output) -> String {
    stdout(o)
        .lines()
        .find(|l| l.starts_with("Built-in defaults used"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn set_of_a_whole_table_merges_key_by_key() {
    let good = fixture("good");
    let plain = run(&["validate", "-c", s(&good), "--set", "economics.basis=owned"]);
    let table = run(&["validate", "-c", s(&good), "--set", "economics={ basis = \"owned\" }"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    assert!(stdout(&table).contains("Basis: owned"), "{}", stdout(&table));
    // No key of [economics] the files give falls back to a default.
    assert_eq!(defaults_line(&table), defaults_line(&plain));
    let c1 = run(&["compare", "-c", s(&good), "--format", "csv", "--set", "economics.basis=owned"]);
    let c2 = run(&[
        "compare",
        "-c",
        s(&good),
        "--format",
        "csv",
        "--set",
        "economics={ basis = \"owned\" }",
    ]);
    assert_eq!(stdout(&c1), stdout(&c2));
}

#[test]
fn two_measured_for_one_workload_and_accelerator_is_an_error_naming_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = good_copy(dir.path(), |name, text| {
        if name != "workloads.toml" {
            return text;
        }
        let m = "\n[[measured]]\nworkload = \"chat-70b\"\naccelerator = \"h100-sxm\"\noutput_tokens_per_s_per_chip = 1500\nsource = \"vendor benchmark\"\n";
        format!("{text}{m}{m}")
    });
    let o = run(&["validate", "-c", s(&cfg)]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    let file = cfg.join("workloads.toml");
    let lines: Vec<usize> = fs::read_to_string(&file)
        .expect("read")
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("workload = \"chat-70b\""))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(lines.len(), 2);
    let f = file.display();
    assert!(err.contains(&format!("error: {f}:{}:", lines[1])), "{err}");
    assert!(err.contains(&format!("the first is at {f}:{}:", lines[0])), "{err}");
}

#[test]
fn errors_name_what_they_are_about() {
    let acc = fixture("good").join("accelerators.toml");
    let econ = fixture("good").join("economics.toml");
    // No workloads: name the files that were read.
    let o = run(&["compare", "-c", s(&acc), "-c", s(&econ)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("accelerators.toml") && stderr(&o).contains("economics.toml"),
        "{}",
        stderr(&o)
    );
    let o = run(&["estimate", "-c", s(&acc), "-c", s(&econ), "--workload", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no [[training]] or [[inference]] workloads are loaded from"),
        "{}",
        stderr(&o)
    );
    // A full disk on stdout says it was stdout.
    if Path::new("/dev/full").exists() {
        let full = fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let o = Command::new(env!("CARGO_BIN_EXE_accel-cost"))
            .args(["validate", "-c", s(&fixture("good"))])
            .stdout(full)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));
    }
    // No Rust debug text in any message.
    for args in [
        vec!["validate", "--set", "economics.basis=[1]"],
        vec!["validate", "--set", "report.title='''a"],
        vec!["report", "-o", "/dev/null/x"],
        vec!["validate", "-c", "/no/such/folder"],
        vec!["explain", "--workload", "nope", "--accelerator", "nope"],
    ] {
        let err = stderr(&run(&args));
        for debug in ["Some(", "None", "Os {", "kind:", "Err(", "Ok("] {
            assert!(!err.contains(debug), "{args:?}: {err}");
        }
    }
}

#[test]
fn control_characters_from_configs_and_set_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = good_copy(dir.path(), |name, text| {
        if name == "accelerators.toml" {
            text.replacen(
                "name = \"NVIDIA H100 SXM5 80GB\"",
                "name = \"H100\\u001b]0;pwned\\u0007\\u001b[31m\\nFAKE LINE\\u009b2J\"",
                1,
            )
        } else {
            text
        }
    });
    let c = s(&cfg);
    let outputs = [
        run(&["validate", "-c", c]),
        run(&["compare", "-c", c]),
        run(&["compare", "-c", c, "--format", "markdown"]),
        run(&["explain", "-c", c, "--workload", "dense-70b", "--accelerator", "h100-sxm"]),
        run(&["validate", "-c", c, "--set", "economics.basis=\"\u{1b}[2J\nowned\""]),
        run(&["validate", "-c", c, "--set", "economics.x\u{1b}[31m=1"]),
    ];
    for o in &outputs {
        for (what, text) in [("stdout", stdout(o)), ("stderr", stderr(o))] {
            assert!(!text.contains(['\u{1b}', '\u{7}', '\u{9b}']), "raw escape on {what}: {text:?}");
            assert!(
                !text.lines().any(|l| l.starts_with("FAKE LINE") || l.starts_with("owned")),
                "{what}: {text}"
            );
        }
    }
    assert!(stdout(&outputs[0]).contains("H100\\u001b]0;pwned"), "{}", stdout(&outputs[0]));
    assert!(stderr(&outputs[4]).contains("\\u001b[2J\\nowned"), "{}", stderr(&outputs[4]));
    // JSON stays parseable.
    let o = run(&["compare", "-c", c, "--format", "json"]);
    assert!(serde_json::from_slice::<serde_json::Value>(&o.stdout).is_ok());
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_folder_is_read_and_a_link_loop_is_harmless() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("cfg");
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir_all(&cfg).expect("mkdir");
    fs::create_dir_all(&elsewhere).expect("mkdir");
    for name in ["accelerators.toml", "economics.toml"] {
        fs::copy(fixture("good").join(name), cfg.join(name)).expect("copy");
    }
    fs::copy(fixture("good").join("workloads.toml"), elsewhere.join("workloads.toml")).expect("copy");
    std::os::unix::fs::symlink(&elsewhere, cfg.join("workloads")).expect("link");
    std::os::unix::fs::symlink(&cfg, cfg.join("loop")).expect("loop");
    let o = run(&["validate", "-c", s(&cfg)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Training workloads (1): dense-70b"), "{}", stdout(&o));
    // A dangling link is named, not skipped.
    std::os::unix::fs::symlink(dir.path().join("gone"), cfg.join("gone")).expect("dangling");
    let o = run(&["validate", "-c", s(&cfg)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gone"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_run_removes_its_staging_folder_and_keeps_the_earlier_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let o = report(&out, &fixture("good"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = snapshot(&out);
    // PNG at scale 4 with every draw: slow enough to be caught while rendering.
    let mut child = Command::new(env!("CARGO_BIN_EXE_accel-cost"))
        .args([
            "report",
            "-o",
            s(&out),
            "-c",
            s(&fixture("good")),
            "--format",
            "png",
            "--scale",
            "4",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // A set folder other than the one on show means the run is writing.
    let store = out.join(".accel-cost");
    let sets = || -> Vec<String> {
        fs::read_dir(&store)
            .expect("store")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("set-"))
            .collect()
    };
    let shown = fs::read_link(store.join("current")).expect("current");
    let staging = || sets().iter().any(|n| Path::new(n) != shown);
    let mut seen = false;
    for _ in 0..2000 {
        if staging() {
            seen = true;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(seen, "the run never started writing");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_eq!(snapshot(&out), before, "an interrupted run changed the folder");
    assert_eq!(sets(), [shown.to_string_lossy().into_owned()], "the interrupted run's set was left");
}

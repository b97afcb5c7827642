//! Safe outputs (issue 21, part 6) on the `hostile` fixture: names, vendors, providers and
//! workload names that begin with `=HYPERLINK(`, `+cmd`, `@SUM`, `-x`, carry `<script>`, raw
//! HTML and control characters. No CSV cell a spreadsheet would run, no raw tag or control
//! character in report.md or `compare --format markdown`, every SVG well-formed XML; and the
//! config that carries them loads (hostile text is data, not an error).

use std::fs;
use std::path::Path;

use crate::common::{fixture, run, stderr, stdout};

/// Characters that make a spreadsheet run a cell as a formula when they come first.
const FORMULA_START: [char; 8] = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

/// A report of the hostile fixture into a temp folder, SVG and PNG, few draws.
fn hostile_report() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = fixture("hostile");
    let o = run(&[
        "report",
        "-q",
        "-o",
        dir.path().to_str().expect("utf-8"),
        "-c",
        cfg.to_str().expect("utf-8"),
        "--format",
        "both",
        "--set",
        "report.monte_carlo.samples=20",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir
}

fn files_with(dir: &Path, ext: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .map(|n| {
            let bytes = fs::read(dir.join(&n)).expect("read");
            (n, bytes)
        })
        .collect();
    v.sort();
    v
}

/// Every cell of `csv_text` that a spreadsheet would run: begins with a formula character and
/// is not a number. Returns (cells checked, offending cells) and whether a neutralised cell
/// (`'=...`) was seen.
fn runnable_cells(csv_text: &str) -> (usize, Vec<String>, bool) {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let (mut n, mut bad, mut neutralised) = (0, Vec::new(), false);
    for rec in rd.records() {
        for cell in rec.expect("CSV parses").iter() {
            n += 1;
            let number = cell.parse::<f64>().is_ok_and(f64::is_finite);
            if cell.starts_with(FORMULA_START) && !number {
                bad.push(cell.to_string());
            }
            neutralised |= cell.starts_with("'=") || cell.starts_with("'+") || cell.starts_with("'@");
        }
    }
    (n, bad, neutralised)
}

#[test]
fn no_report_csv_cell_is_one_a_spreadsheet_would_run() {
    let dir = hostile_report();
    let csvs = files_with(dir.path(), ".csv");
    assert!(csvs.len() >= 5, "{csvs:?}");
    let mut seen_neutralised = false;
    for (name, bytes) in &csvs {
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let (n, bad, neutralised) = runnable_cells(&text);
        assert!(n > 0, "{name} is empty");
        assert!(bad.is_empty(), "{name}: cells a spreadsheet would run: {bad:?}");
        seen_neutralised |= neutralised;
    }
    // The hostile names did reach the CSVs (so the check above could fail), as text.
    assert!(seen_neutralised, "no neutralised cell: did the hostile names reach any CSV?");
}

#[test]
fn compare_csv_neutralises_names_and_lists_skipped_chips_with_their_display_names() {
    let cfg = fixture("hostile");
    let o = run(&["compare", "-q", "-c", cfg.to_str().expect("utf-8"), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let (_, bad, neutralised) = runnable_cells(&text);
    assert!(bad.is_empty(), "cells a spreadsheet would run: {bad:?}");
    assert!(neutralised, "{text}");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().expect("header").iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    let (status, acc, acc_name, w_name, reason) = (
        col("status"),
        col("accelerator"),
        col("accelerator_name"),
        col("workload_name"),
        col("skipped_reason"),
    );
    let records: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("record")).collect();
    // The chip without a price on the basis is a row per workload, with the reason.
    let ghost: Vec<&csv::StringRecord> = records.iter().filter(|r| &r[acc] == "ghost").collect();
    assert_eq!(ghost.len(), 2, "{text}");
    for r in &ghost {
        assert_eq!(&r[status], "skipped");
        assert!(r[reason].starts_with("ghost ") && r[reason].len() > 10, "{:?}", &r[reason]);
        assert!(r[acc_name].starts_with("'-2+3"), "{:?}", &r[acc_name]);
    }
    // Costed rows carry the display names, neutralised.
    let h100 = records
        .iter()
        .find(|r| &r[acc] == "h100-sxm" && &r[status] == "costed")
        .expect("h100 row");
    assert!(h100[acc_name].starts_with("'=HYPERLINK("), "{:?}", &h100[acc_name]);
    assert!(
        h100[w_name].starts_with("'=2*3") || h100[w_name].starts_with("'+chat"),
        "{:?}",
        &h100[w_name]
    );
}

/// Raw HTML a renderer would act on, or a control character (other than the newline).
fn unsafe_markdown(md: &str) -> Vec<String> {
    let lower = md.to_lowercase();
    let mut found: Vec<String> = ["<script", "<img", "<iframe", "<b>", "</script"]
        .iter()
        .filter(|t| lower.contains(*t))
        .map(|t| (*t).to_string())
        .collect();
    found.extend(md.chars().filter(|c| c.is_control() && *c != '\n').map(|c| format!("{c:?}")));
    found
}

#[test]
fn report_md_and_markdown_tables_carry_no_raw_tag_and_no_control_character() {
    let dir = hostile_report();
    let md = fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert_eq!(unsafe_markdown(&md), Vec::<String>::new());
    // The names are there, shown as typed.
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{md}");
    assert!(md.contains("\\u001b[31mred"), "the escape sequence is not shown escaped");
    let cfg = fixture("hostile");
    let o = run(&["compare", "-q", "-c", cfg.to_str().expect("utf-8"), "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(unsafe_markdown(&stdout(&o)), Vec::<String>::new());
}

#[test]
fn every_svg_is_well_formed_xml_whatever_the_names() {
    let dir = hostile_report();
    let svgs = files_with(dir.path(), ".svg");
    assert!(svgs.len() >= 5, "{svgs:?}");
    let mut text_seen = false;
    for (name, bytes) in &svgs {
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        if let Err(e) = roxmltree::Document::parse(&text) {
            panic!("{name} is not well-formed XML: {e}");
        }
        text_seen |= text.contains("&lt;script&gt;");
    }
    assert!(text_seen, "no SVG shows a hostile name: the check above proves nothing");
}

fn load_good(sets: &[&str]) -> Result<accel_cost::config::Config, Vec<accel_cost::config::Diag>> {
    let sets: Vec<String> = sets.iter().map(|s| (*s).to_string()).collect();
    accel_cost::config::load(&[fixture("good")], &sets)
}

#[test]
fn a_seed_above_2_pow_53_is_kept_exactly_and_one_beyond_i64_is_an_error() {
    // 2^53 + 1 has no f64: read through one it became 2^53.
    let cfg = load_good(&["report.monte_carlo.seed=9007199254740993"]).expect("loads");
    assert_eq!(cfg.report.seed, 9_007_199_254_740_993);
    let other = load_good(&["report.monte_carlo.seed=9007199254740992"]).expect("loads");
    assert_ne!(cfg.hash, other.hash, "two seeds, one config hash");
    let top = load_good(&["report.monte_carlo.seed=9223372036854775807"]).expect("i64::MAX loads");
    assert_eq!(top.report.seed, 9_223_372_036_854_775_807);
    // Beyond i64 a TOML integer cannot be held; as a float it would be rounded: an error.
    for beyond in ["9223372036854775808", "1e17"] {
        let e = load_good(&[&format!("report.monte_carlo.seed={beyond}")]).expect_err(beyond);
        let text: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("`seed`") && t.contains("not exact")), "{text:?}");
    }
}

#[cfg(unix)]
#[test]
fn running_out_of_memory_is_a_one_line_error_not_an_abort() {
    // 250 MB of address space: a 4x PNG (6400 x 4000 x 3 bytes per chart) does not fit.
    let dir = tempfile::tempdir().expect("tempdir");
    let script = format!(
        "ulimit -v 250000; exec '{}' report -q -o '{}' -c '{}' --scale 4 --set report.monte_carlo.samples=20",
        env!("CARGO_BIN_EXE_accel-cost"),
        dir.path().join("out").display(),
        fixture("good").display()
    );
    let o = std::process::Command::new("sh").args(["-c", &script]).output().expect("sh");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: out of memory: could not get "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Nothing was published (the unfinished set is cleared by the next run).
    assert!(!dir.path().join("out/.accel-cost/current").exists());
    assert!(!dir.path().join("out/report.md").exists());
}

#[test]
fn a_config_rewritten_while_it_is_read_is_an_error_never_silent_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("cfg");
    fs::create_dir(&cfg).expect("mkdir");
    for name in ["accelerators.toml", "workloads.toml"] {
        fs::copy(fixture("good").join(name), cfg.join(name)).expect("copy");
    }
    // Two complete versions that differ in the basis; the default (on_demand) is neither.
    let good = fs::read_to_string(fixture("good").join("economics.toml")).expect("economics");
    // Both versions have the same length ("owned   " is padded), so the writer can rewrite the
    // file in place without truncating it first: a truncated file that stays empty for longer
    // than the loader's pause (a writer descheduled on a loaded machine) cannot be told from a
    // truly empty one (docs/cli.md), and would make this test flaky rather than prove anything.
    let a = good.replace("basis = \"on_demand\"", "basis = \"owned\"    ");
    let b = good.replace("basis = \"on_demand\"", "basis = \"committed\"");
    assert_eq!(a.len(), b.len());
    let econ = cfg.join("economics.toml");
    fs::write(&econ, &a).expect("write");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, econ) = (stop.clone(), econ.clone());
        // Rewrites the file in place, as a script that overwrites it does.
        std::thread::spawn(move || {
            use std::io::{Seek, Write};
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(mut f) = fs::OpenOptions::new().write(true).open(&econ) {
                    let _ = f.seek(std::io::SeekFrom::Start(0));
                    let _ = f.write_all(if n.is_multiple_of(2) { b.as_bytes() } else { a.as_bytes() });
                }
                n += 1;
            }
        })
    };
    let (mut ok, mut changed, mut silent) = (0, 0, 0);
    let started = std::time::Instant::now();
    while ok + changed + silent < 200 && started.elapsed() < std::time::Duration::from_secs(20) {
        match accel_cost::config::load(std::slice::from_ref(&cfg), &[]) {
            // Either version (owned, committed_1y); on_demand is the default: a silent one.
            Ok(c) if c.economics.basis.name() != "on_demand" => ok += 1,
            Ok(_) => silent += 1,
            Err(e) => {
                let text: Vec<String> = e.iter().map(ToString::to_string).collect();
                assert!(
                    text.len() == 1 && text[0].contains("economics.toml changed while it was being read"),
                    "{text:?}"
                );
                changed += 1;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
    assert_eq!(
        silent, 0,
        "{silent} loads used defaults ({ok} read a whole version, {changed} said it changed)"
    );
    assert!(
        changed > 0,
        "the file never changed during a load: the test proves nothing ({ok} loads)"
    );
}

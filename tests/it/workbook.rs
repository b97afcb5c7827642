//! The report's workbook (accel-cost.xlsx): LibreOffice, made to recalculate on load, gives every
//! formula cell the value the tool stored in it (so the live formulas are the model's); and the
//! layout of the sheets, as a snapshot.

use std::path::{Path, PathBuf};
use std::process::Command;

use accel_cost::config::Config;
use accel_cost::export::xlsx::{self, SHEETS};
use accel_cost::model::compare;

use super::common::{fixture, root};

fn load(dirs: &[PathBuf], sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    accel_cost::config::load(dirs, &sets).unwrap_or_else(|d| panic!("{d:?}"))
}

/// The workbook the report writes for `cfg` (tables without Monte Carlo bands: the formulas do
/// not read them).
fn workbook(cfg: &Config) -> xlsx::Workbook {
    let v = cfg.params.base_values();
    let accs: Vec<_> = cfg.report.accelerators.iter().filter_map(|id| cfg.accelerator(id)).collect();
    let tables = compare::compare(cfg, &accs, &v);
    xlsx::workbook(cfg, &tables).unwrap_or_else(|e| panic!("{e}"))
}

/// `soffice` on the PATH, or `None`: then the test says it skipped, except in CI (`CI` or
/// `ACCEL_COST_REQUIRE_SOFFICE` set, as `.ci/run` sets it), where it fails.
fn soffice() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("soffice")).find(|p| p.is_file()));
    if found.is_none() {
        let ci = std::env::var_os("ACCEL_COST_REQUIRE_SOFFICE").is_some() || std::env::var_os("CI").is_some();
        assert!(
            !ci,
            "soffice not found, and CI must recalculate the workbook: install LibreOffice Calc (Debian: apt-get install -y libreoffice-calc-nogui; .ci/run does)"
        );
        eprintln!("SKIPPED workbook recalculation: soffice not found (Debian: apt-get install -y libreoffice-calc-nogui)");
    }
    found
}

/// A LibreOffice profile that recalculates every formula of an .xlsx on load (the default is
/// to show the stored values, which would make this test compare the file with itself).
fn recalculating_profile(dir: &Path) -> String {
    let user = dir.join("profile/user");
    std::fs::create_dir_all(&user).expect("profile folder");
    let xcu = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#;
    std::fs::write(user.join("registrymodifications.xcu"), xcu).expect("profile written");
    format!("-env:UserInstallation=file://{}", dir.join("profile").display())
}

/// Converts each workbook to one CSV per sheet (`<stem>-<Sheet>.csv` in `out`), recalculated,
/// numbers at full precision (not as shown), in one LibreOffice run.
fn to_csv(soffice: &Path, dir: &Path, books: &[PathBuf]) -> PathBuf {
    let out = dir.join("csv");
    let o = Command::new(soffice)
        .arg(recalculating_profile(dir))
        .args(["--headless", "--norestore", "--convert-to"])
        // UTF-8, every sheet to its own file (-1), cell values not as shown, no formulas.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1")
        .arg("--outdir")
        .arg(&out)
        .args(books)
        .output()
        .expect("soffice runs");
    assert!(o.status.success(), "soffice failed: {}", String::from_utf8_lossy(&o.stderr));
    out
}

fn cell(csv_path: &Path, row: u32, col: u16) -> String {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(csv_path)
        .unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
    let rec = r
        .records()
        .nth(row as usize)
        .unwrap_or_else(|| panic!("{}: no row {row}", csv_path.display()))
        .expect("csv row");
    rec.get(col as usize).unwrap_or_default().to_string()
}

/// Every row of a CSV, as cells.
fn rows(csv_path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(csv_path)
        .unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
    r.records()
        .map(|x| x.expect("csv row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn libreoffice_recomputes_every_formula_cell_to_the_stored_value() {
    let Some(soffice) = soffice() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let configs = root("configs");
    // The default report (dense training, dense serving, owned and offer prices), and the MoE
    // workloads (experts touched per step, shared weights) on the owned basis.
    let default_cfg = load(std::slice::from_ref(&configs), &[]);
    let started = std::time::Instant::now();
    let default_book = workbook(&default_cfg);
    eprintln!(
        "default workbook: {} bytes, {} formula cells, built in {:.0} ms (with its compare tables)",
        default_book.bytes.len(),
        default_book.formulas.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let books = [
        ("default", default_book),
        (
            "moe",
            workbook(&load(
                std::slice::from_ref(&configs),
                &[
                    "report.training_workload=moe-671b",
                    "report.inference_workload=moe-671b-chat",
                    "economics.basis=owned",
                ],
            )),
        ),
        // A run of given chips on Capacity Blocks: whole instances for whole 24-hour increments.
        (
            "billed",
            workbook(&load(
                std::slice::from_ref(&configs),
                &["report.training_workload=dense-405b", "economics.basis=capacity_block"],
            )),
        ),
        // Prefix caching (cached and fresh input tokens priced apart), and speculative decoding
        // with an MTP draft (k + 1 tokens verified, a emitted per step) whose 16-chip H100
        // replica runs as pipeline stages across scale-up domains.
        (
            "agent",
            workbook(&load(
                std::slice::from_ref(&configs),
                &["report.inference_workload=agent-coding-70b"],
            )),
        ),
        (
            "mtp",
            workbook(&load(
                std::slice::from_ref(&configs),
                &["report.inference_workload=reasoning-r1-mtp"],
            )),
        ),
        // Disaggregated prefill (its prices stored, not live), and a dense model given a replica
        // beyond H100's 8-GPU domain (pipeline stages without experts or a draft).
        (
            "disagg",
            workbook(&load(
                std::slice::from_ref(&configs),
                &[
                    "report.inference_workload=agent-coding-70b",
                    "inference.agent-coding-70b.prefill_chips=2",
                ],
            )),
        ),
        (
            "densepipe",
            workbook(&load(std::slice::from_ref(&configs), &["inference.chat-70b.chips_per_replica=16"])),
        ),
        // Names that begin with `=HYPERLINK(`, `+cmd`, `@SUM`, `-x` (tests/it/safe_outputs.rs).
        ("hostile", workbook(&load(&[fixture("hostile")], &[]))),
    ];
    let mut paths = Vec::new();
    for (stem, b) in &books {
        let p = dir.path().join(format!("{stem}.xlsx"));
        std::fs::write(&p, &b.bytes).expect("workbook written");
        paths.push(p);
    }
    // A canary that stores a wrong result: only a recalculation shows 2.
    let mut canary = rust_xlsxwriter::Workbook::new();
    canary
        .add_worksheet()
        .write_formula(0, 0, rust_xlsxwriter::Formula::new("=1+1").set_result("3"))
        .expect("canary");
    let canary_path = dir.path().join("canary.xlsx");
    std::fs::write(&canary_path, canary.save_to_buffer().expect("canary bytes")).expect("canary written");
    paths.push(canary_path);

    let out = to_csv(&soffice, dir.path(), &paths);
    let canary_csv = std::fs::read_dir(&out)
        .expect("csv folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("canary")))
        .expect("canary converted");
    assert_eq!(cell(&canary_csv, 0, 0), "2", "LibreOffice did not recalculate on load");

    // Each book exercises the branches it is here for.
    let has = |stem: &str, step: &str| {
        let b = &books.iter().find(|(s, _)| *s == stem).expect("book").1;
        assert!(b.formulas.iter().any(|f| f.step.starts_with(step)), "{stem}: no `{step}` row");
    };
    has("billed", "billed hours");
    has("moe", "MoE training efficiency");
    has("moe", "decode attention width");
    has("moe", "routed GEMMs, compute");
    has("default", "r (copies of each KV head)");
    has("agent", "USD per million cached input tokens");
    has("agent", "t_step, without the cached context");
    has("mtp", "t_draft");
    has("mtp", "a (acceptance length)");
    has("mtp", "t_step (one pipeline cycle)");
    has("mtp", "x (activations to the next stage)");
    has("densepipe", "t_step (one pipeline cycle)");
    has("disagg", "USD per million output tokens");
    let (mut total, mut worst) = (0usize, 0.0f64);
    for (stem, b) in &books {
        let least = if *stem == "hostile" { 20 } else { 200 };
        assert!(b.formulas.len() > least, "{stem}: only {} formula cells", b.formulas.len());
        let mut checked = 0;
        for sheet in SHEETS {
            let csv_path = out.join(format!("{stem}-{sheet}.csv"));
            let cells = rows(&csv_path);
            for f in b.formulas.iter().filter(|f| f.sheet == sheet) {
                let got = cells
                    .get(f.row as usize)
                    .and_then(|r| r.get(f.col as usize))
                    .unwrap_or_else(|| panic!("{stem} {sheet} row {}: missing", f.row + 1));
                let x: f64 = got
                    .parse()
                    .unwrap_or_else(|_| panic!("{stem} {sheet}!{}: `{got}` for {}", f.row + 1, f.formula));
                let rel = if f.value == 0.0 {
                    x.abs()
                } else {
                    (x - f.value).abs() / f.value.abs()
                };
                assert!(
                    rel <= 1e-9,
                    "{stem} {sheet} row {} ({}: {}): LibreOffice {x}, stored {} ({rel:e} relative)",
                    f.row + 1,
                    f.step,
                    f.formula,
                    f.value,
                );
                worst = worst.max(rel);
                checked += 1;
            }
        }
        assert_eq!(checked, b.formulas.len(), "{stem}: every formula cell checked");
        total += checked;
    }
    // The figure the issue's acceptance quotes (`cargo test --test it workbook -- --nocapture`).
    eprintln!("LibreOffice recalculated {total} formula cells; largest relative difference {worst:e}");

    // No cell of any sheet that a spreadsheet would run: text from the configs that begins with
    // a formula character is neutralised as the CSVs are (a leading single quote).
    let mut neutralised = 0;
    for sheet in SHEETS {
        for row in rows(&out.join(format!("hostile-{sheet}.csv"))) {
            for c in row {
                let number = c.parse::<f64>().is_ok();
                assert!(number || !c.starts_with(FORMULA_START), "hostile {sheet}: runnable cell `{c}`");
                neutralised += usize::from(c.starts_with("'=") || c.starts_with("'+") || c.starts_with("'@"));
            }
        }
    }
    assert!(
        neutralised >= 3,
        "the hostile names are in the workbook, neutralised ({neutralised})"
    );
}

/// Characters that make a spreadsheet run a cell as a formula when they come first.
const FORMULA_START: [char; 8] = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

/// The sheets, each sheet's headers, Compare's tables and rows, every Inputs row, and every
/// formula-sheet row with its step, unit and formula (or fixed value), for a small config: a
/// change to the layout, or to a formula, shows in review.
#[test]
fn workbook_layout_snapshot() {
    let cfg = load(&[fixture("good")], &[]);
    let b = workbook(&cfg);
    let text = format!("sheets: {}\n{}\n", SHEETS.join(", "), b.outline.join("\n"));
    insta::assert_snapshot!(text);
}

/// Every shipped planner's inference workload builds a workbook, with or without LibreOffice: a step
/// label the model stops recording, or a term the Serving sheet does not know, fails here
/// loudly (the workbook refuses to build) rather than writing a sheet that drifts.
#[test]
fn every_shipped_inference_workload_builds_a_workbook() {
    let configs = root("configs");
    let ids: Vec<String> = load(std::slice::from_ref(&configs), &[])
        .inference
        .iter()
        .map(|w| w.id.clone())
        .filter(|id| !id.starts_with("bench-"))
        .collect();
    // The planner's workloads (not the `bench-*` shapes of calibration benchmarks: dozens, each
    // a full compare, minutes in a debug build), each with a live USD per request.
    let mut live = Vec::new();
    for id in &ids {
        let b = workbook(&load(std::slice::from_ref(&configs), &[&format!("report.inference_workload={id}")]));
        if b.formulas.iter().any(|f| f.sheet == "Serving" && f.step == "USD per request") {
            live.push(id.as_str());
        }
    }
    for id in ["chat-8b", "chat-70b", "moe-671b-chat", "agent-coding-70b", "reasoning-r1-mtp"] {
        assert!(live.contains(&id), "{id}: no live USD per request (live: {live:?})");
    }
}

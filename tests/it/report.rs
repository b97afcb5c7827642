//! `report` end to end: every expected file, PNGs that decode at the right size and are not
//! blank, SVGs that parse, report.md with its sections, atomic writes and write failures.

use std::path::Path;

use crate::common::{fixture, run, stderr, stdout};

const CHARTS: [&str; 10] = [
    "inference-cost-vs-batch",
    "inference-cost-vs-interactivity",
    "inference-input-vs-output",
    "cost-over-time-training",
    "cost-over-time-inference",
    "owned-tco-per-chip-hour",
    "fleet-what-the-budget-buys",
    "headline-cost-vs-reference",
    "tornado",
    "break-even-map",
];

/// Decodes a PNG; returns (width, height, number of distinct colours in a sample of pixels).
fn png_info(path: &Path) -> (u32, u32, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(file);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let px = info.color_type.samples();
    let mut colours: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).step_by(97).collect();
    colours.sort();
    colours.dedup();
    (info.width, info.height, colours.len())
}

fn report_into(dir: &Path, extra: &[&str]) -> std::process::Output {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["report", "-o", d.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn report_on_shipped_configs_writes_every_chart_csv_summary_and_markdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Chips left out: one line per reason under one warning line.
    let err = stderr(&o);
    let mut lines = err.lines().skip_while(|l| *l != "warning: left out of the report:").skip(1);
    assert_eq!(
        lines.next(),
        Some("  trn3 (has no hyperscaler on_demand offer, nor any public price on another term or market);"),
        "{err}"
    );
    for c in CHARTS {
        let png = dir.path().join(format!("{c}.png"));
        let (w, h, colours) = png_info(&png);
        // 1600 wide; taller where many bars or notes need it, up to 1800 (7.5 in at the
        // 240 px per inch of half a 16:9 slide's width).
        assert!(w == 1600 && (1000..=1800).contains(&h), "{c}: {w}x{h}");
        assert!(colours > 8, "{c}.png looks blank ({colours} colours)");
        let csv = std::fs::read_to_string(dir.path().join(format!("{c}.csv"))).expect("csv");
        assert!(csv.lines().count() > 2, "{c}.csv is empty");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary")).expect("json");
    assert_eq!(summary["workloads"].as_array().map(Vec::len), Some(9));
    assert!(summary["tornado"]["swings"].as_array().is_some_and(|s| !s.is_empty()));
    // The workbook is published with the set, as every other output.
    let xlsx = dir.path().join("accel-cost.xlsx");
    let link = std::fs::read_link(&xlsx).expect("accel-cost.xlsx is a published link");
    assert_eq!(link, Path::new(".accel-cost/current/accel-cost.xlsx"));
    assert!(std::fs::read(&xlsx).expect("xlsx").starts_with(b"PK\x03\x04"), "a zip");
    let md = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    for section in [
        "# The compute cost revolution",
        "## Findings",
        "## Charts",
        "## Tables",
        "## Calibration",
        "## Sources",
    ] {
        assert!(md.contains(section), "report.md lacks {section}");
    }
    for c in CHARTS {
        assert!(md.contains(&format!("]({c}.png)")), "report.md does not embed {c}");
    }
    // Each finding's cheapest chip is the cheapest by the ratio it quotes: no family's best
    // (like for like, same ratio) is below it.
    for line in md
        .lines()
        .filter(|l| l.contains(": cheapest is ") && l.contains("Best of each family: "))
    {
        let ratio = |t: &str| -> f64 {
            let x = t.trim().trim_end_matches(['.', ')']);
            x.rsplit(' ')
                .next()
                .and_then(|w| w.trim_end_matches('x').parse().ok())
                .unwrap_or(f64::NAN)
        };
        let head = line.split("x the cost on").next().unwrap_or("");
        let cheapest = ratio(head.rsplit(", ").next().unwrap_or(""));
        let families = line
            .split("Best of each family: ")
            .nth(1)
            .unwrap_or("")
            .split(". ")
            .next()
            .unwrap_or("");
        for f in families.split(", ").filter(|f| !f.contains("misses")) {
            assert!(cheapest <= ratio(f) + 1e-9, "{f} is below the cheapest ({cheapest}x) in: {line}");
        }
    }
    // Training workloads whose findings agree (ratios do not depend on model size) are said once.
    assert!(md.contains("respectively (the same ratios for"), "{md}");
    // A chip left off the batch chart names its binding limit: inf2's 12-chip scale-up
    // domain, not report.max_chips_per_replica (64).
    assert!(
        md.contains("inf2 (from batch 512: a replica would need more than 12 chips (its scale-up domain))"),
        "{md}"
    );
    // no temporary files left behind: beside the outputs only the store, holding the link to
    // the set on show and that set
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.') && e.file_name() != ".accel-cost")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read_dir(dir.path().join(".accel-cost")).expect("store").count(), 2);
}

#[test]
fn svg_output_parses_and_scale_two_doubles_the_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        // The headline chart is the one read: the others are drawn by the tests above.
        &[
            "-c",
            fixture("good").to_str().expect("utf-8"),
            "--format",
            "both",
            "--scale",
            "2",
            "--set",
            "report.charts=[\"headline\"]",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(dir.path().join("headline-cost-vs-reference.svg")).expect("svg");
    assert!(svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    let (w, h, _) = png_info(&dir.path().join("headline-cost-vs-reference.png"));
    assert_eq!((w, h), (3200, 2000));
}

#[test]
fn same_seed_gives_byte_identical_report_files() {
    let (a, b) = (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"));
    let good = fixture("good");
    let g = good.to_str().expect("utf-8");
    // The files compared: summary.json and report.md (every table's draws) and the batch chart
    // (its curve bands); the other charts are not drawn.
    let only = "report.charts=[\"batch\"]";
    assert_eq!(report_into(a.path(), &["-c", g, "--set", only]).status.code(), Some(0));
    assert_eq!(report_into(b.path(), &["-c", g, "--set", only]).status.code(), Some(0));
    for f in [
        "summary.json",
        "report.md",
        "inference-cost-vs-batch.csv",
        "inference-cost-vs-batch.png",
        "accel-cost.xlsx",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).ok(),
            std::fs::read(b.path().join(f)).ok(),
            "{f} differs"
        );
    }
}

#[test]
fn an_unwritable_output_folder_is_exit_code_1_and_keeps_earlier_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where the folder should be: cannot be created.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"keep me").expect("write");
    let o = report_into(&blocked, &["-c", fixture("good").to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
    assert_eq!(std::fs::read(&blocked).expect("still there"), b"keep me");
}

#[test]
fn a_config_error_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let o = report_into(
        &out,
        &["-c", fixture("good").to_str().expect("utf-8"), "--set", "economics.pue=0.5"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists(), "output folder created despite a config error");
    assert!(stdout(&o).is_empty());
}

#[test]
fn report_charts_draws_the_named_subset_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Which files are written, not their numbers: one Monte Carlo draw.
    let o = report_into(
        dir.path(),
        &[
            "--set",
            "report.charts=[\"headline\", \"tco\"]",
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut pngs: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs, ["headline-cost-vs-reference.png", "owned-tco-per-chip-hour.png"]);
}

#[test]
fn an_unknown_chart_name_is_a_located_error_with_a_hint() {
    let o = run(&["validate", "--set", "report.charts=[\"headlines\"]"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("unknown chart `headlines`") && e.contains("did you mean `headline`?"),
        "{e}"
    );
}

#[test]
fn a_chart_that_cannot_be_drawn_is_named_with_the_reason() {
    // Accelerators and economics only: no inference workload, so `batch` cannot be drawn.
    let cfg = tempfile::tempdir().expect("tempdir");
    for f in ["accelerators.toml", "economics.toml"] {
        std::fs::copy(fixture("good").join(f), cfg.path().join(f)).expect("copy");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let c = cfg.path().to_string_lossy().into_owned();
    let o = report_into(out.path(), &["-c", &c, "--set", "report.charts=[\"batch\", \"tco\"]"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("warning: chart `batch` not drawn: no inference workload is loaded"),
        "{e}"
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(md.contains("- `batch`: no inference workload is loaded"), "{md}");
    assert!(out.path().join("owned-tco-per-chip-hour.png").exists());
    assert!(!out.path().join("inference-cost-vs-batch.png").exists());
}

#[test]
fn a_subset_report_styles_each_chip_as_the_full_report_does() {
    let summary = |extra: &[&str]| -> serde_json::Value {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = vec!["--set", "report.charts=[\"tco\"]", "--set", "report.monte_carlo.samples=1"];
        args.extend_from_slice(extra);
        let o = report_into(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary")).expect("JSON")
    };
    let full = summary(&[]);
    let subset = summary(&["--set", "report.accelerators=[\"trn2\", \"h200\", \"tpu-v6e\"]"]);
    for id in ["trn2", "h200", "tpu-v6e"] {
        assert_eq!(full["styles"][id], subset["styles"][id], "{id}");
        assert!(full["styles"][id]["colour"].as_str().is_some_and(|c| c.starts_with('#')));
    }
    // Within a family no two chips share a look.
    let styles = full["styles"].as_object().expect("styles");
    let looks: Vec<String> = styles.values().map(|s| s.to_string()).collect();
    let mut unique = looks.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), looks.len());
}

#[test]
fn a_retired_chart_name_warns_and_draws_nothing() {
    let out = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        out.path(),
        &[
            "--set",
            "report.charts=[\"model-size\", \"tco\"]",
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("chart `model-size` is retired and not drawn"), "{}", stderr(&o));
    assert!(out.path().join("owned-tco-per-chip-hour.png").exists());
    assert!(!out.path().join("training-cost-vs-model-size.png").exists());
}

/// The headline's CSV rows: (panel, label, value, p10, p90 as written).
fn headline_rows(extra: &[&str]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["--set", "report.charts=[\"headline\"]"];
    args.extend_from_slice(extra);
    let o = report_into(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("headline-cost-vs-reference.csv")).expect("csv");
    let mut lines = csv.lines();
    // Then the extra figures' columns (p_cheaper_than_reference, with draws), left out here.
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("panel,label,value,p10,p90"), "{header}");
    let extra = header.split(',').count() - 5;
    lines
        .map(|l| {
            // Labels hold no commas; panel titles may: split from the right.
            let mut f: Vec<String> = l.rsplitn(4 + extra, ',').map(str::to_string).collect();
            f.reverse();
            f.truncate(4);
            f
        })
        .collect()
}

#[test]
fn headline_whiskers_are_the_draws_percentiles_and_one_draw_draws_none() {
    let with = headline_rows(&["--set", "report.monte_carlo.samples=200"]);
    let whiskered: Vec<&Vec<String>> = with.iter().filter(|r| !r[2].is_empty()).collect();
    assert!(!whiskered.is_empty(), "{with:?}");
    for r in &whiskered {
        let (p10, p90): (f64, f64) = (r[2].parse().expect("p10"), r[3].parse().expect("p90"));
        assert!(p10 <= p90 && p10 > 0.0, "{r:?}");
    }
    let one = headline_rows(&["--set", "report.monte_carlo.samples=1"]);
    assert!(one.iter().all(|r| r[2].is_empty() && r[3].is_empty()), "{one:?}");
}

#[test]
fn fleet_power_and_datacenter_keys_change_the_fleet_chart() {
    let rows = |extra: &[&str]| -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = vec!["--set", "report.charts=[\"fleet\"]", "--set", "report.monte_carlo.samples=1"];
        args.extend_from_slice(extra);
        let o = report_into(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        std::fs::read_to_string(dir.path().join("fleet-what-the-budget-buys.csv")).expect("csv")
    };
    let value = |csv: &str, panel_starts: &str, label: &str| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(panel_starts) && l.contains(&format!(",{label},")))
            .and_then(|l| l.split(',').nth(2))
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{panel_starts} {label} in {csv}"))
    };
    // A column of the extra figures each bar carries (the first panel's row of `label`).
    let column = |csv: &str, name: &str, label: &str| -> f64 {
        let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
        let k = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {csv}"));
        csv.lines()
            .find(|l| l.starts_with("Chips for") && l.contains(&format!(",{label},")))
            .and_then(|l| l.split(',').nth(k))
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{name} {label} in {csv}"))
    };
    let base = rows(&[]);
    let gw2 = rows(&["--set", "report.fleet_power_mw=2000"]);
    // The tokens for the budget are drawn: chips x tokens per chip, so the panel agrees with
    // the columns (tokens in the power / chips in the power = tokens per chip).
    let per_chip = column(&base, "output_tokens_per_day_in_power", "H100 SXM 80GB") / column(&base, "chips_in_power", "H100 SXM 80GB");
    let drawn = value(&base, "Output tokens/day for", "H100 SXM 80GB");
    assert!((drawn / (per_chip * value(&base, "Chips for", "H100 SXM 80GB")) - 1.0).abs() < 1e-9);
    let dc10 = rows(&["--set", "economics.datacenter_capex_usd_per_mw=10000000"]);
    let dc20 = rows(&["--set", "economics.datacenter_capex_usd_per_mw=20000000"]);
    // Twice the power holds twice the tokens per day.
    let (t1, t2) = (
        column(&base, "output_tokens_per_day_in_power", "H100 SXM 80GB"),
        column(&gw2, "output_tokens_per_day_in_power", "H100 SXM 80GB"),
    );
    assert!((t2 / t1 - 2.0).abs() < 1e-9, "{t1} {t2}");
    // Throughput does not depend on the market: GB200 has no hyperscaler on-demand offer but
    // still serves tokens.
    assert!(column(&base, "output_tokens_per_day_in_power", "GB200 NVL72") > 0.0);
    // Dearer buildings buy fewer chips for the same budget: chips = budget / (capex + IT MW x
    // USD per MW). H100: IT power 700 W x system_power_factor 1.39 = 973 W = 0.000973 MW, so
    // the buildings add $9,730 per chip at $10M/MW and $19,460 at $20M/MW.
    let (c10, c20) = (
        value(&dc10, "Chips for", "H100 SXM 80GB"),
        value(&dc20, "Chips for", "H100 SXM 80GB"),
    );
    let budget = 200e9;
    let capex = budget / c10 - 9_730.0;
    assert!((budget / c20 - capex - 19_460.0).abs() < 1.0, "{c10} {c20}");
    assert!(c20 < c10 && value(&base, "Chips for", "H100 SXM 80GB") > c20);
}

/// Rows of a line chart's CSV as (series, x, y, label); labels hold no commas in these tests.
fn line_rows(chart: &str, stem: &str, extra: &[&str]) -> Vec<(String, f64, f64, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = format!("report.charts=[\"{chart}\"]");
    let mut args = vec!["--set", names.as_str(), "--set", "report.monte_carlo.samples=1"];
    args.extend_from_slice(extra);
    let o = report_into(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join(format!("{stem}.csv"))).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("series,x,y,p10,p90,label"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = f.len();
            (
                f[..n - 5].join(","),
                f[n - 5].parse().expect("x"),
                f[n - 4].parse().expect("y"),
                f[n - 1].to_string(),
            )
        })
        .collect()
}

/// The decade chart's CSV rows: (series, accelerator, precision, not the workload's, year,
/// cost, label).
fn decade_rows(stem: &str) -> Vec<(String, String, String, bool, f64, f64, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &[
            "--set",
            &format!("report.charts=[\"{stem}\"]"),
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join(format!("{stem}.csv"))).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("series,accelerator,precision,not_workload_precision,provider,price_from,year,cost,first_price,label")
    );
    // Labels and providers here have no comma but a fit's ("[2.7, 7.6]"): split off its label.
    lines
        .map(|l| {
            let (head, label) = match l.split_once(",\"") {
                Some((h, lab)) => (h.to_string(), lab.trim_end_matches('"').to_string()),
                None => {
                    let (h, lab) = l.rsplit_once(',').expect("a label column");
                    (h.to_string(), lab.to_string())
                }
            };
            let f: Vec<&str> = head.split(',').collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
                f[3] == "true",
                f[6].parse().expect("year"),
                f[7].parse().expect("cost"),
                label,
            )
        })
        .collect()
}

#[test]
fn cost_over_time_plots_each_h100_price_at_the_start_of_its_span() {
    let rows = decade_rows("cost-over-time-training");
    let h100: Vec<_> = rows.iter().filter(|r| r.0 == "NVIDIA GPU" && r.1 == "h100-sxm").collect();
    // AWS p5 at launch ($98.32/h, valid_from 2023-07-26, seen 2025-03-17) and after the June
    // 2025 cut ($55.04/h, valid_from 2025-06, seen 2026-11-09): the same run costs 98.32 /
    // 55.04 times more at the earlier date. 2023-07-26 = 2023 + 6/12 + 25/365;
    // 2025-06 = 2025 + 5/12 + 14.5/365 (a month is taken at its middle).
    let launch = h100
        .iter()
        .find(|r| (r.4 - (2023.0 + 6.0 / 12.0 + 25.0 / 365.0)).abs() < 1e-9)
        .map(|r| r.5)
        .expect("H100 drawn at its launch");
    let post_x = 2025.0 + 5.0 / 12.0 + 14.5 / 365.0;
    assert!(
        h100.iter()
            .any(|r| (r.4 - post_x).abs() < 1e-9 && (launch / r.5 - 98.32 / 55.04).abs() < 1e-9),
        "no post-cut point at {launch} x 55.04 / 98.32: {h100:?}"
    );
    // The decade: K80 (AWS P2, 2016-09-30) to 2026, costed at fp32 and labelled so in the chart
    // and the CSV; V100 at fp16; H100 at the workload's bf16.
    assert!(rows.iter().any(|r| r.1 == "k80" && r.6 == "K80 fp32" && r.4 < 2017.0), "{rows:?}");
    assert!(rows.iter().filter(|r| r.1 == "k80").all(|r| r.2 == "fp32" && r.3), "{rows:?}");
    assert!(rows.iter().filter(|r| r.1 == "v100").all(|r| r.2 == "fp16" && r.3), "{rows:?}");
    assert!(h100.iter().all(|r| r.2 == "bf16" && !r.3), "{h100:?}");
    // The NVIDIA series has a fitted line whose label gives the interval.
    assert!(
        rows.iter()
            .any(|r| r.0 == "NVIDIA GPU fit" && r.6.starts_with("halves: ") && r.6.contains(" y [")),
        "{rows:?}"
    );
}

#[test]
fn summary_json_gives_each_series_halving_time_with_its_interval_over_the_decade() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &[
            "--set",
            "report.charts=[\"cost-over-time-training\", \"headline\"]",
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary")).expect("JSON");
    let t = &s["cost_over_time"]["training"];
    let series = t["series"].as_array().expect("series");
    for name in ["NVIDIA GPU", "TPU"] {
        let f = series.iter().find(|f| f["series"] == name).expect(name);
        let h = f["halving_years"].as_f64().expect("a halving time");
        let lo = f["halving_ci95_years"][0].as_f64().expect("a shorter end");
        // The interval holds the estimate; its longer end may be open (null).
        assert!(lo > 0.0 && lo <= h, "{f}");
        if let Some(hi) = f["halving_ci95_years"][1].as_f64() {
            assert!(hi >= h, "{f}");
        }
        assert!(f["from_year"].as_f64().expect("from") < 2018.5, "{f}");
        assert!(f["launch_prices_only"]["halving_years"].as_f64().is_some(), "{f}");
    }
    // At least 15 generations, 2016 to 2026; AMD and the neocloud market are series of their own.
    let mut chips: Vec<&str> = series
        .iter()
        .filter(|f| f["series"] != "Neocloud")
        .flat_map(|f| f["chips"].as_array().expect("chips").iter().filter_map(|c| c.as_str()))
        .collect();
    chips.sort_unstable();
    chips.dedup();
    assert!(chips.len() >= 15, "{chips:?}");
    assert!(series.iter().any(|f| f["series"] == "AMD GPU"), "{series:?}");
    assert!(series.iter().any(|f| f["series"] == "Neocloud"), "{series:?}");
    let paths = t["costed_at_another_precision"].as_array().expect("paths");
    assert!(
        paths.iter().any(|p| p["accelerator"] == "k80" && p["precision"] == "fp32"),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p["accelerator"] == "v100" && p["precision"] == "fp16"),
        "{paths:?}"
    );
    // Legacy chips stay out of the headline by default.
    let headline = std::fs::read_to_string(dir.path().join("headline-cost-vs-reference.csv")).expect("headline csv");
    for old in ["K80", "V100", "P100", "TPU v2"] {
        assert!(!headline.contains(old), "{old} in the headline: {headline}");
    }
}

#[test]
fn interactivity_labels_replica_sizes_on_the_frontier() {
    let rows = line_rows("interactivity", "inference-cost-vs-interactivity", &[]);
    let labels: Vec<&str> = rows
        .iter()
        .filter(|r| r.0.starts_with("H100"))
        .map(|r| r.3.as_str())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(labels.iter().any(|l| l.ends_with("chips")), "{labels:?}");
    // Each labelled point lies on its frontier.
    for r in rows.iter().filter(|r| !r.3.is_empty()) {
        assert!(
            rows.iter().any(|p| p.3.is_empty() && p.0 == r.0 && p.1 == r.1 && p.2 == r.2),
            "{r:?}"
        );
    }
}

#[test]
fn input_vs_output_splits_each_request_by_the_rows_token_prices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &[
            "--set",
            "report.charts=[\"input-output\"]",
            "--set",
            "report.monte_carlo.samples=1",
            "--format",
            "svg",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("inference-input-vs-output.csv")).expect("csv");
    // chat-70b: 1,000 input and 300 output tokens per request; the input share of any chip
    // lies strictly between 0 and 1.
    assert!(
        csv.starts_with("category,Input tokens (prefill),Output tokens (decode),total"),
        "{csv}"
    );
    let h100: Vec<f64> = csv
        .lines()
        .find(|l| l.starts_with("H100 SXM 80GB,"))
        .map(|l| l.split(',').skip(1).filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    assert!(h100.len() == 3 && h100[0] > 0.0 && h100[1] > 0.0, "{csv}");
    assert!((h100[0] + h100[1] - h100[2]).abs() < 1e-9 * h100[2], "{csv}");
    let svg = std::fs::read_to_string(dir.path().join("inference-input-vs-output.svg")).expect("svg");
    assert!(
        svg.contains("of a request&apos;s cost") || svg.contains("of a request's cost"),
        "{svg}"
    );
}

#[test]
fn a_subset_headline_draws_each_chip_as_the_full_one() {
    let full = headline_rows(&["--set", "report.monte_carlo.samples=200"]);
    let subset = headline_rows(&[
        "--set",
        "report.monte_carlo.samples=200",
        "--set",
        "report.accelerators=[\"h100-sxm\", \"tpu-v6e\", \"trn1\"]",
    ]);
    // Three chips in both panels; the reference (H100) has no whisker.
    assert_eq!(subset.len(), 6, "{subset:?}");
    assert!(
        subset.iter().filter(|r| r[0].ends_with("H100 SXM 80GB")).all(|r| r[2].is_empty()),
        "{subset:?}"
    );
    for r in &subset {
        assert!(full.contains(r), "{r:?} differs from the full report: {full:?}");
    }
}

#[test]
fn fleet_power_and_datacenter_capex_must_be_positive() {
    for (set, key) in [
        (
            "report.fleet_power_mw=0",
            "`fleet_power_mw` in [report] is 0: it must be greater than 0",
        ),
        (
            "economics.datacenter_capex_usd_per_mw=-5",
            "`datacenter_capex_usd_per_mw` in [economics] is -5: it must be greater than 0",
        ),
    ] {
        let o = run(&["validate", "--set", set]);
        assert_eq!(o.status.code(), Some(2), "{set}");
        assert!(stderr(&o).contains(key), "{}", stderr(&o));
    }
}

#[test]
fn a_report_never_replaces_a_file_it_did_not_write() {
    // A planner's own report.md in the output folder: the run stops before writing anything
    // (exit 2, naming the file), and the file is as it was.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("report.md"), "MY NOTES").expect("mine");
    let o = report_into(
        dir.path(),
        &["--set", "report.charts=[\"tco\"]", "--set", "report.monte_carlo.samples=1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("report.md") && stderr(&o).contains("no earlier accel-cost report wrote"),
        "{}",
        stderr(&o)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.md"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("report.md")).expect("mine"), "MY NOTES");
    // Into an empty folder, then again into the same one: the second run replaces the first's.
    let fresh = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        let o = report_into(
            fresh.path(),
            &["--set", "report.charts=[\"tco\"]", "--set", "report.monte_carlo.samples=1"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}

#[test]
fn a_report_into_a_config_folder_is_refused() {
    // `-o configs` would drop charts among the planner's inputs.
    for out in ["configs", "configs/accelerators"] {
        let o = run(&["report", "-q", "-o", out]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains("holds config files"), "{}", stderr(&o));
    }
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/report.md").exists());
}

#[test]
fn tornado_bars_name_inputs_in_a_planners_words() {
    // "H100 SXM 80GB training MFU (bf16)", not the key path "h100-sxm training_mfu.bf16".
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &["--set", "report.charts=[\"tornado\"]", "--set", "report.monte_carlo.samples=1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("tornado.csv")).expect("csv");
    let inputs: Vec<&str> = csv.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
    assert!(inputs.contains(&"H100 SXM 80GB training MFU (bf16)"), "{inputs:?}");
    assert!(inputs.iter().all(|i| !i.contains('_') && !i.contains("h100-sxm")), "{inputs:?}");
}

#[test]
fn a_headline_without_a_costed_reference_is_not_drawn_and_says_why() {
    // trn2 has no hyperscaler on-demand offer: no bar has a ratio, so no empty panels.
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &[
            "--set",
            "report.reference=trn2",
            "--set",
            "economics.fallback=none",
            "--set",
            "report.charts=[\"headline\"]",
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("chart `headline` not drawn") && stderr(&o).contains("`trn2` is not costed"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("headline-cost-vs-reference.png").exists());
}

#[test]
fn charts_name_a_market_other_than_the_default() {
    // On the neocloud market the headline must say so (it looked like the hyperscaler one).
    let sets = vec![
        "economics.provider_class=neocloud".to_string(),
        "report.charts=[\"headline\"]".to_string(),
        "report.monte_carlo.samples=1".to_string(),
    ];
    let cfg = accel_cost::config::load(&[std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("configs")], &sets)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let data = accel_cost::report::build(&cfg);
    let frame = data.charts[0].chart.frame();
    assert!(
        frame.subtitle.contains("neocloud market") && frame.footer.contains("neocloud market"),
        "{frame:?}"
    );
    // The default market is in the footer only, with the span of the price dates drawn.
    let cfg = accel_cost::config::load(&[std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("configs")], &sets[1..])
        .unwrap_or_else(|e| panic!("{e:?}"));
    let data = accel_cost::report::build(&cfg);
    let frame = data.charts[0].chart.frame();
    assert!(!frame.subtitle.contains("market"), "{frame:?}");
    assert!(frame.footer.contains("basis: on_demand, hyperscaler market"), "{frame:?}");
    // Oldest: Google Cloud's 2025-03-03 TPU list; newest: AWS's 2026-11-09 list.
    assert!(frame.footer.contains("prices as of 2025-03-03 to 2026-11-09"), "{frame:?}");
}

#[test]
fn waterfall_steps_multiply_to_the_end_to_end_ratio_and_each_state_is_traceable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &["--set", "report.charts=[\"waterfall\"]", "--set", "report.monte_carlo.samples=1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary")).expect("JSON");
    let w = &s["waterfall"];
    let states = w["states"].as_array().expect("states");
    let steps = w["steps"].as_array().expect("steps");
    assert_eq!(steps.len() + 1, states.len(), "{w}");
    // From the reference at its launch (AWS p5 $98.32 / 8, valid_from 2023-07-26) in bf16.
    assert_eq!(states[0]["accelerator"], "h100-sxm");
    assert_eq!(states[0]["precision"][0], "bf16");
    assert_eq!(states[0]["from"], "2023-07-26");
    let causes: Vec<&str> = steps.iter().filter_map(|x| x["cause"].as_str()).collect();
    assert!(causes.iter().any(|c| c.starts_with("hardware generation")), "{causes:?}");
    assert!(causes.contains(&"precision bf16 -> fp8"), "{causes:?}");
    assert!(causes.iter().any(|c| c.starts_with("market")), "{causes:?}");
    // The product of the steps is the end-to-end ratio (state N / state 0).
    let product: f64 = steps.iter().map(|x| x["factor"].as_f64().expect("factor")).product();
    let cost = |k: usize| states[k]["usd_per_m_output_tokens"].as_f64().expect("cost");
    let end = w["end_to_end"].as_f64().expect("end_to_end");
    assert!((end - cost(states.len() - 1) / cost(0)).abs() < 1e-15, "{w}");
    assert!((product / end - 1.0).abs() < 1e-12, "{product} vs {end}");
    assert!(end < 1.0, "{w}");
    // Every state is what its explain command gives at today's cheapest offer of its term and
    // market, scaled by the state's price over that offer's (a launch-era price; the price does
    // not change the replica or batch chosen). explain prints prices to 4 digits.
    for st in states {
        let cmd = st["explain"].as_str().expect("explain");
        let args: Vec<&str> = cmd.split(' ').skip(1).collect();
        let e = run(&args);
        assert_eq!(e.status.code(), Some(0), "{}", stderr(&e));
        let out = String::from_utf8_lossy(&e.stdout).into_owned();
        let result: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("Result: usd_per_m_output_tokens = "))
            .and_then(|x| x.split(' ').next()?.parse().ok())
            .expect("a result line");
        let price: f64 = out
            .lines()
            .find(|l| l.trim_start().starts_with("-> "))
            .and_then(|l| l.split('$').nth(1)?.split('/').next()?.parse().ok())
            .expect("the chosen offer's price");
        let want = result * st["usd_per_chip_hour"].as_f64().expect("price") / price;
        let got = st["usd_per_m_output_tokens"].as_f64().expect("cost");
        assert!((got / want - 1.0).abs() < 2e-3, "{st}: explain gives {result} at ${price}/h");
    }
    // The CSV beside the chart gives every state with its factor.
    let csv = std::fs::read_to_string(dir.path().join("cost-decline-waterfall.csv")).expect("csv");
    assert_eq!(csv.lines().count(), states.len() + 1, "{csv}");
    assert!(csv.starts_with("cause,accelerator,precision,"), "{csv}");
}

#[test]
fn the_default_headline_draws_trainium2_marked_and_compares_a_request() {
    let mut rows = headline_rows(&["--set", "report.monte_carlo.samples=1"]);
    // Panel titles with commas are quoted.
    for r in &mut rows {
        r[0] = r[0].trim_start_matches('"').to_string();
    }
    // Ranked like for like: in each panel every † bar (another term or market) comes after
    // every bar priced on the basis, whatever its ratio (MI325X† at a neocloud is 0.22x).
    for panel in ["Training", "Inference"] {
        let marks: Vec<bool> = rows
            .iter()
            .filter(|r| r[0].starts_with(panel))
            .map(|r| r[0].ends_with('†'))
            .collect();
        let first = marks.iter().position(|&m| m).unwrap_or(marks.len());
        assert!(first < marks.len() && marks[first..].iter().all(|&m| m), "{panel}: {rows:?}");
    }
    // Trainium2, priced from its Capacity Block, is in both panels with its † mark.
    for panel in ["Training", "Inference"] {
        assert!(
            rows.iter().any(|r| r[0].starts_with(panel) && r[0].ends_with("Trainium2 (Trn2) †")),
            "{panel}: {rows:?}"
        );
    }
    // The inference panel is the cost of a request (1,000 in + 300 out tokens of chat-70b):
    // TPU7x's bar equals the ratio of Lin x input price + Lout x output price from compare.
    let o = run(&[
        "compare",
        "--workload",
        "chat-70b",
        "--format",
        "json",
        "--set",
        "report.monte_carlo.samples=1",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let request = |id: &str| -> f64 {
        let r = v["workloads"][0]["results"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["accelerator"] == id))
            .unwrap_or_else(|| panic!("{id}"));
        let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        1000.0 * f("usd_per_m_input_tokens") + 300.0 * f("usd_per_m_output_tokens")
    };
    let want = request("tpu7x") / request("h100-sxm");
    let drawn: f64 = rows
        .iter()
        .find(|r| r[0].starts_with("Inference") && r[0].ends_with("TPU7x (Ironwood)"))
        .and_then(|r| r[1].parse().ok())
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert!((drawn / want - 1.0).abs() < 1e-9, "drawn {drawn}, per request {want}");
    // compare states the same ratio as `request_ratio` (column `x ref/request`).
    let stated = v["workloads"][0]["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["accelerator"] == "tpu7x"))
        .and_then(|r| r["request_ratio"].as_f64())
        .unwrap_or(f64::NAN);
    assert!(
        (drawn / stated - 1.0).abs() < 1e-9,
        "drawn {drawn}, compare's request_ratio {stated}"
    );
    assert!(
        rows.iter().any(|r| r[0].contains("per request (1,000 in + 300 out tokens)")),
        "{rows:?}"
    );
}

#[test]
fn a_chip_below_the_per_user_target_is_left_out_of_the_headline_and_named() {
    // At 45 tokens/s per user Inferentia2's fastest replica serves 35: a slower service, so no
    // bar in the inference panel; the notes and stderr say why. Its training bar is unaffected
    // (it has none: inference-only), and the chips that meet 45 keep theirs.
    let dir = tempfile::tempdir().expect("tempdir");
    let o = report_into(
        dir.path(),
        &[
            "--set",
            "report.charts=[\"headline\", \"input-output\"]",
            "--set",
            "inference.chat-70b.min_tokens_per_s_per_user=45",
            "--set",
            "report.monte_carlo.samples=1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: headline: Not drawn in inference: inf2 (best") && l.contains("below the target of 45")),
        "{err}"
    );
    for csv in ["headline-cost-vs-reference.csv", "inference-input-vs-output.csv"] {
        let text = std::fs::read_to_string(dir.path().join(csv)).expect("csv");
        assert!(!text.contains("Inferentia2"), "{csv}:\n{text}");
        assert!(text.contains("TPU7x (Ironwood)"), "{csv}:\n{text}");
    }
}

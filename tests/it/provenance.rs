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

/// report.md of a quick report (one chart, one Monte Carlo sample) with `args`.
fn report_md(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let mut a = vec![
        "report",
        "-o",
        d.as_str(),
        "--set",
        "report.charts=[\"tco\"]",
        "--set",
        "report.monte_carlo.samples=1",
    ];
    a.extend_from_slice(args);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::read_to_string(dir.path().join("report.md")).expect("report.md")
}

/// The "Prices used" row of `acc` in report.md.
fn price_row<'a>(md: &'a str, acc: &str) -> &'a str {
    let prices = md
        .split("## Prices used")
        .nth(1)
        .unwrap_or_else(|| panic!("no Prices used in:\n{md}"));
    prices
        .lines()
        .find(|l| l.starts_with(&format!("| {acc} |")))
        .unwrap_or_else(|| panic!("no {acc} row in Prices used"))
}

#[test]
fn a_set_price_is_marked_as_the_planners_number() {
    let set = "accelerator.h100-sxm.offer.aws-on-demand.usd_per_instance_hour=40";
    let o = run(&[
        "compare",
        "--workload",
        "dense-70b",
        "--set",
        set,
        "--set",
        "report.monte_carlo.samples=1",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = out.lines().find(|l| l.trim_start().starts_with("h100-sxm ")).unwrap_or_default();
    assert!(row.contains('†') && !row.contains("2026-11-09"), "{row}");
    assert!(out.contains("† h100-sxm: h100-sxm price set on the command line"), "{out}");

    let md = report_md(&["--set", set]);
    let row = price_row(&md, "h100-sxm");
    assert!(
        row.contains("price set on the command line") && !row.contains("2026-11-09"),
        "{row}"
    );
    // The shipped prices stay unmarked.
    let md = report_md(&[]);
    let row = price_row(&md, "h100-sxm");
    assert!(
        row.contains("2026-11-09") && !row.contains("your number") && !row.contains("command line"),
        "{row}"
    );
}

#[test]
fn a_patched_offer_price_is_marked_and_replaces_the_other_form() {
    // The shipped AWS on-demand offer of h100-sxm is priced per instance; ours per chip.
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"h100-sxm\"\npatch = true\n[[accelerator.offer]]\nid = \"aws-on-demand\"\npatch = true\nusd_per_chip_hour = 5\nsource = \"our quote\"\nas_of = \"2026-10\"\n",
    );
    let o = layered("compare", &f, &["--workload", "dense-70b"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = out.lines().find(|l| l.trim_start().starts_with("h100-sxm ")).unwrap_or_default();
    assert!(row.contains(" 5.00 ") && row.contains("2026-10 †"), "{row}");
    assert!(
        out.contains(&format!("† h100-sxm: h100-sxm price from {f}:7 (your number)")),
        "{out}"
    );
    let md = report_md(&["-c", "configs", "-c", &f]);
    assert!(price_row(&md, "h100-sxm").contains("(your number)"), "{md}");
}

#[test]
fn a_later_file_form_of_a_value_replaces_the_shipped_other_form() {
    // tpu-v6e ships memory_gib = 32: a planner's memory_gb replaces it.
    let (_d, f) =
        ours("[[accelerator]]\nid = \"tpu-v6e\"\npatch = true\nmemory_gb = 34.4\nsource = \"our measurement\"\nas_of = \"2026-11\"\n");
    let o = layered("validate", &f, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
    // The per-chip form of an offer priced per instance, in a file: its price wins.
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"h100-sxm\"\npatch = true\n[[accelerator.offer]]\nid = \"aws-on-demand\"\npatch = true\nusd_per_chip_hour = 5\nsource = \"our quote\"\nas_of = \"2026-10\"\n",
    );
    let o = layered("validate", &f, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Both forms in one table of one file stay an error, at the second.
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"tpu-v6e\"\npatch = true\nmemory_gb = 34.4\nmemory_gib = 32\nsource = \"our measurement\"\nas_of = \"2026-11\"\n",
    );
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("error: {f}:5:")) && err.contains("gives both `memory_gb` and `memory_gib`"),
        "{err}"
    );
}

#[test]
fn a_patched_price_of_an_estimated_offer_is_not_an_estimate() {
    // a100-sxm's Hyperstack 1-year offer says `estimate = true` (a "reserved from" price); a
    // planner's quote replaces its price, and is not an estimate. The shipped one is.
    let args = [
        "--workload",
        "dense-70b",
        "--accelerator",
        "a100-sxm",
        "--set",
        "economics.basis=committed_1y",
        "--set",
        "economics.provider_class=neocloud",
    ];
    let price_line = |out: &str| {
        out.lines()
            .find(|l| l.contains("price per chip-hour = "))
            .unwrap_or_default()
            .to_string()
    };
    let o = run(&[&["explain"][..], &args].concat());
    let shipped = price_line(&stdout(&o));
    assert!(shipped.contains("= 1.36 ") && shipped.contains("ESTIMATE"), "{shipped}");
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"a100-sxm\"\npatch = true\n[[accelerator.offer]]\nid = \"hyperstack-committed-1y\"\npatch = true\nusd_per_chip_hour = 1.3\nsource = \"our quote\"\nas_of = \"2026-10\"\n",
    );
    let o = layered("explain", &f, &args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let price = price_line(&out);
    assert!(price.contains("= 1.3 ") && !price.contains("ESTIMATE"), "{out}");
}

#[test]
fn an_invalid_as_of_is_an_error_and_a_future_one_a_warning() {
    let patch = |as_of: &str| {
        format!("[[accelerator]]\nid = \"h100-sxm\"\npatch = true\npower_w = 650\nsource = \"our DCGM measurement\"\nas_of = \"{as_of}\"\n")
    };
    for (bad, why) in [("2026-13", "month 13 does not exist"), ("2026-11-31", "2026-11 has days 01 to 30")] {
        let (_d, f) = ours(&patch(bad));
        let o = layered("validate", &f, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains(&format!("error: {f}:6:9: ")) && err.contains(why) && err.contains("YYYY-MM-DD"),
            "{err}"
        );
    }
    let (_d, f) = ours("[economics]\npue = 1.2\nsource = \"my dc\"\nas_of = \"2999-06\"\n");
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let w = warnings(&err);
    assert!(
        w.len() == 1 && w[0].contains(&format!("{f}:4:9:")) && w[0].contains("after today"),
        "{err}"
    );
    // A year alone is a date.
    let (_d, f) = ours(&patch("2025"));
    let o = layered("validate", &f, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
}

#[test]
fn a_planners_odd_offer_warns_about_itself_not_the_shipped_spot_offer() {
    // trn2 ships a Capacity Block offer ($2.235 per chip-hour) and a spot quote ($0.959).
    let offer = |price: &str| {
        format!(
            "[[accelerator]]\nid = \"trn2\"\npatch = true\n[[accelerator.offer]]\nprovider = \"us\"\nprovider_class = \"negotiated\"\nterm = \"committed_3y\"\n{price}\nsource = \"our quote\"\nas_of = \"2026-11\"\n"
        )
    };
    for (price, slip) in [
        ("usd_per_chip_hour = 160", Some("in cents?")),
        ("usd_per_chip_hour = 35.76", Some("its instance price")),
        // 13.4 x the dearest other offer and within 30% of 16 x its per-chip price.
        ("usd_per_chip_hour = 30", Some("instance price in a per-chip key?")),
        // 2.2 x the dearest other offer: a planner's price may be that dear.
        ("usd_per_chip_hour = 5", None),
    ] {
        let (_d, f) = ours(&offer(price));
        let o = layered("validate", &f, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{price}: {err}");
        let w = warnings(&err);
        match slip {
            Some(s) => assert!(
                w.len() == 1 && w[0].contains(&format!("{f}:8:")) && w[0].contains(s),
                "{price}: {err}"
            ),
            None => assert!(w.is_empty(), "{price}: {err}"),
        }
    }
    // The shipped configs with the worked example layered on: no warning.
    let o = run(&["validate", "-c", "configs", "-c", "docs/examples/ours.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
}

#[test]
fn report_accelerators_named_twice_warns_and_empty_is_an_error() {
    let (_d, f) = ours("[report]\naccelerators = [\"h100-sxm\", \"trn2\", \"h100-sxm\"]\n");
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let w = warnings(&err);
    assert!(
        w.len() == 1 && w[0].contains(&format!("{f}:2:37:")) && w[0].contains(&format!("the first is at {f}:2:17")),
        "{err}"
    );
    // Drawn once.
    let o = layered("compare", &f, &["--format", "json", "--workload", "chat-70b"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let rows = v["workloads"][0]["results"].as_array().cloned().unwrap_or_default();
    let h100 = rows.iter().filter(|r| r["accelerator"] == "h100-sxm").count();
    assert_eq!(h100, 1, "{rows:?}");

    let (_d, f) = ours("[report]\naccelerators = []\n");
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("error: {f}:2:16: report.accelerators is empty")) && err.contains("remove `accelerators` to draw every chip"),
        "{err}"
    );
}

#[test]
fn explain_prints_a_notes_line_breaks_as_lines_and_escapes_config_text() {
    let o = run(&[
        "explain",
        "--workload",
        "chat-70b",
        "--accelerator",
        "trn2",
        "--set",
        "economics.basis=capacity_block",
        "--set",
        "accelerator.trn2.offer.aws-capacity-block.provider=\"AWS\\nX\"",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let note = out.lines().find(|l| l.contains("note: replica candidates")).unwrap_or_default();
    assert!(!note.contains("\\n"), "{note}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("n = 4: batch")), "{out}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("chosen: n = ")), "{out}");
    // A provider name with a line break stays one escaped line.
    let price = out.lines().find(|l| l.contains("note: price: ")).unwrap_or_default();
    assert!(price.contains("AWS\\nX capacity_block"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("X capacity_block")), "{out}");
}

#[test]
fn report_sources_list_a_planners_unsourced_figure_as_unsourced() {
    let (_d, f) = ours("[economics]\npue = 1.2\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let o = run(&[
        "report",
        "-o",
        &d,
        "-c",
        "configs",
        "-c",
        &f,
        "--set",
        "report.charts=[\"tco\"]",
        "--set",
        "report.monte_carlo.samples=1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    let sources = md.split("## Sources").nth(1).unwrap_or_default();
    assert!(sources.contains(&format!("- no source given: economics.pue ({f}:2)")), "{sources}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary")).expect("JSON");
    assert_eq!(summary["unsourced"][0], format!("economics.pue ({f}:2)"));
    // The shipped configs have none.
    let md = report_md(&[]);
    assert!(!md.contains("no source given"), "{md}");
}

#[test]
fn patch_slips_inside_a_patch_are_located_errors() {
    // `source` inside a map of values is not a source of the map.
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"h100-sxm\"\npatch = true\ndense_tflops = { bf16 = 1000, source = \"x\" }\nsource = \"ours\"\nas_of = \"2026-11\"\n",
    );
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("error: {f}:4:")) && err.contains("unknown key `source` in dense_tflops"),
        "{err}"
    );
    // A patch of an offer id nobody defined names the ids there are.
    let (_d, f) = ours(
        "[[accelerator]]\nid = \"h100-sxm\"\npatch = true\n[[accelerator.offer]]\nid = \"aws-on-demnd\"\npatch = true\nusd_per_chip_hour = 5\n",
    );
    let o = layered("validate", &f, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("error: {f}:5:6: patch of unknown offer id `aws-on-demnd`")) && err.contains("did you mean `aws-on-demand`?"),
        "{err}"
    );
}

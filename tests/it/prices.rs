//! Prices like for like: offers, the basis, a planner's own file (`patch = true`) and the
//! plausibility warnings (docs/config.md "Layering", "Validation"; docs/model.md "Price of one chip-hour").

use serde_json::Value;

use crate::common::{fixture, run, stderr, stdout};

fn p(rel: &str) -> String {
    fixture(&format!("prices/{rel}")).display().to_string()
}

fn warnings(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("warning: ")).collect()
}

/// `validate -c base.toml -c <slip>`: exit 0 and exactly one warning, which names the file:line
/// and says `parts`.
fn one_warning(slip: &str, line: u32, parts: &[&str]) {
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p(slip)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let w = warnings(&err);
    assert_eq!(w.len(), 1, "{slip}: expected one warning, got:\n{err}");
    let at = format!("{}:{line}:", p(slip));
    assert!(w[0].contains(&at), "{slip}: warning does not name {at}: {}", w[0]);
    for part in parts {
        assert!(w[0].contains(part), "{slip}: warning lacks `{part}`: {}", w[0]);
    }
}

fn compare_json(args: &[&str]) -> Value {
    // One Monte Carlo draw: these tests read prices and point figures, never the bands.
    let mut a = vec!["compare", "--format", "json", "--set", "report.monte_carlo.samples=1"];
    a.extend_from_slice(args);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("compare prints JSON")
}

fn row<'a>(v: &'a Value, workload: &str, acc: &str) -> Option<&'a Value> {
    v["workloads"].as_array()?.iter().find(|w| w["workload"] == workload)?["results"]
        .as_array()?
        .iter()
        .find(|r| r["accelerator"] == acc)
}

#[test]
fn the_price_fixture_gives_no_warning() {
    let o = run(&["validate", "-c", &p("base.toml")]);
    assert_eq!(o.status.code(), Some(0));
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
}

#[test]
fn the_shipped_configs_give_no_warning() {
    let o = run(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
}

#[test]
fn per_chip_price_above_100_is_one_warning() {
    one_warning(
        "slip_price_above_100.toml",
        9,
        &["usd_per_chip_hour", "above $100/h", "instance price"],
    );
}

#[test]
fn per_chip_price_equal_to_an_instance_price_is_one_warning() {
    one_warning(
        "slip_price_equals_instance.toml",
        10,
        &["usd_per_chip_hour", "8 x the per-chip price", "aws-on-demand"],
    );
}

#[test]
fn a_per_chip_price_typed_as_the_instance_price_is_one_warning() {
    one_warning(
        "slip_per_chip_as_instance.toml",
        11,
        &[
            "`usd_per_instance_hour` of offer `google-cloud-on-demand` of `h100-sxm` is 11.06 for 8 chips",
            "1.3825 USD per chip-hour",
            "under half the cheapest other offer",
            "usd_per_chip_hour = 11.06",
            "usd_per_instance_hour = 88.48",
        ],
    );
}

#[test]
fn a_negotiated_price_in_cents_is_one_warning() {
    one_warning(
        "slip_negotiated_cents.toml",
        9,
        &[
            "`usd_per_chip_hour` of negotiated offer `our-cloud-contract-committed-3y` of `h100-sxm` is 210",
            "in cents?",
            "usd_per_chip_hour = 2.1",
        ],
    );
}

#[test]
fn electricity_in_cents_is_one_warning() {
    one_warning("slip_electricity_cents.toml", 2, &["electricity_usd_per_kwh", "cents"]);
}

#[test]
fn params_in_units_is_one_warning() {
    one_warning("slip_params_in_units.toml", 4, &["params_b", "units, not billions"]);
}

#[test]
fn chip_usd_in_thousands_is_one_warning() {
    one_warning("slip_chip_usd_thousands.toml", 6, &["chip_usd", "thousands"]);
}

#[test]
fn tflops_in_pflops_is_one_warning() {
    one_warning("slip_tflops_in_pflops.toml", 4, &["dense_tflops.bf16", "PFLOPS"]);
}

#[test]
fn a_figure_without_as_of_is_one_warning() {
    one_warning("slip_no_as_of.toml", 5, &["as_of"]);
}

#[test]
fn memory_gb_equal_to_the_chips_gib_figure_is_one_warning() {
    let o = run(&["validate", "-c", &p("slip_memory_gib_as_gb.toml")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let w = warnings(&err);
    assert_eq!(w.len(), 1, "{err}");
    assert!(w[0].contains(&format!("{}:9:", p("slip_memory_gib_as_gb.toml"))), "{}", w[0]);
    assert!(w[0].contains("memory_gib = 96"), "{}", w[0]);
}

#[test]
fn a_negotiated_single_number_draws_no_range_warning_and_wins_its_term() {
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p("negotiated.toml")]);
    assert!(warnings(&stderr(&o)).is_empty(), "{}", stderr(&o));
    let v = compare_json(&["-c", &p("base.toml"), "-c", &p("negotiated.toml")]);
    let h = row(&v, "dense-70b", "h100-sxm").expect("h100 row");
    assert_eq!(h["usd_per_chip_hour"], 2.1);
    assert_eq!(h["offer"]["provider_class"], "negotiated");
    assert!(h["price_note"].as_str().is_some_and(|n| n.contains("negotiated")), "{h}");
    // trn2 has no 3-year offer: with fallback = "any" it borrows its capacity-block price, marked.
    let t = row(&v, "dense-70b", "trn2").expect("trn2 row (fallback)");
    assert_eq!(t["offer"]["term"], "capacity_block");
    assert!(
        t["price_note"]
            .as_str()
            .is_some_and(|n| n.contains("has no hyperscaler committed_3y offer")),
        "{t}"
    );
}

#[test]
fn a_chip_without_an_offer_of_the_basis_is_skipped_with_the_reason() {
    let v = compare_json(&["-c", &p("base.toml")]);
    assert!(row(&v, "dense-70b", "trn2").is_none());
    let skipped = v["workloads"][0]["skipped"].to_string();
    assert!(skipped.contains("trn2 has no hyperscaler on_demand offer"), "{skipped}");
    let h = row(&v, "dense-70b", "h100-sxm").expect("h100 row");
    assert_eq!(h["offer"]["provider"], "AWS");
    assert_eq!(h["offer"]["term"], "on_demand");
    assert_eq!(h["price_note"], Value::Null);
    assert!((h["usd_per_chip_hour"].as_f64().unwrap_or(0.0) - 6.88).abs() < 1e-9, "{h}");
}

#[test]
fn the_newest_offer_of_a_provider_and_term_supersedes_the_older() {
    // Capacity blocks: 3.933 (2026-03) is replaced by 5.191 (2026-07-22), though cheaper.
    let v = compare_json(&["-c", &p("base.toml"), "--set", "economics.basis=capacity_block"]);
    let h = row(&v, "dense-70b", "h100-sxm").expect("h100 row");
    assert_eq!(h["usd_per_chip_hour"], 5.191);
    assert_eq!(h["offer"]["as_of"], "2026-07-22");
    let t = row(&v, "dense-70b", "trn2").expect("trn2 row");
    assert!(
        (t["usd_per_chip_hour"].as_f64().unwrap_or(0.0) - 35.7608 / 16.0).abs() < 1e-9,
        "{t}"
    );
}

#[test]
fn neocloud_market_and_committed_alias() {
    let v = compare_json(&["-c", &p("base.toml"), "--set", "economics.provider_class=neocloud"]);
    assert_eq!(
        row(&v, "dense-70b", "h100-sxm").map(|r| r["offer"]["provider"].clone()),
        Some("Lambda".into())
    );
    let o = run(&["validate", "-c", &p("base.toml"), "--set", "economics.basis=committed"]);
    assert!(stdout(&o).contains("Basis: committed_1y"), "{}", stdout(&o));
}

#[test]
fn set_addresses_an_offer_by_id() {
    let v = compare_json(&[
        "-c",
        &p("base.toml"),
        "--set",
        "accelerator.h100-sxm.offer.aws-on-demand.usd_per_instance_hour=40",
    ]);
    assert_eq!(
        row(&v, "dense-70b", "h100-sxm").map(|r| r["usd_per_chip_hour"].clone()),
        Some(5.0.into())
    );
    let o = run(&[
        "validate",
        "-c",
        &p("base.toml"),
        "--set",
        "accelerator.h100-sxm.offer.aws-on-demnd.usd_per_chip_hour=1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `aws-on-demand`?"), "{}", stderr(&o));
}

#[test]
fn a_patch_of_an_unknown_id_is_an_error_naming_it_and_its_place() {
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p("patch_unknown_id.toml")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error: {}:2:6: patch of unknown accelerator id `h100-pcie`",
            p("patch_unknown_id.toml")
        )),
        "{err}"
    );
}

#[test]
fn the_same_id_patched_twice_in_one_file_is_an_error_at_the_second_naming_the_first() {
    let f = p("patch_twice.toml");
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &f]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].starts_with(&format!(
            "error: {f}:8:6: accelerator `h100-sxm` is patched twice in one file; the first patch is at {f}:3:6"
        )),
        "{err}"
    );
    // Patches of one id in two files (layers) stay allowed.
    let o = run(&[
        "validate",
        "-c",
        &p("base.toml"),
        "-c",
        &p("negotiated.toml"),
        "-c",
        &p("slip_price_equals_instance.toml"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_repeated_id_without_patch_is_an_error_naming_both_places() {
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p("repeat_without_patch.toml")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error: {}:2:6: duplicate accelerator id `trn2`",
            p("repeat_without_patch.toml")
        )),
        "{err}"
    );
    assert!(err.contains(&format!("first defined at {}:", p("base.toml"))), "{err}");
    assert!(err.contains("patch = true"), "{err}");
}

#[test]
fn a_repeated_id_is_the_only_error_of_its_entry() {
    // The repeated trn2 lacks [accelerator.efficiency]: no "missing" error on top of the
    // duplicate, whose fix (rename it or patch) changes what it must give.
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p("repeat_without_patch.toml")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error: ") || l.starts_with("warning: "))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("duplicate accelerator id `trn2`"), "{err}");
}

#[test]
fn every_row_of_the_shipped_compare_names_its_offer_from_one_market() {
    for basis in ["on_demand", "capacity_block", "committed_3y"] {
        let v = compare_json(&["--set", &format!("economics.basis={basis}"), "--set", "economics.fallback=none"]);
        for w in v["workloads"].as_array().into_iter().flatten() {
            for r in w["results"].as_array().into_iter().flatten() {
                assert_eq!(r["offer"]["term"], basis, "{r}");
                assert_eq!(r["offer"]["provider_class"], "hyperscaler", "{r}");
                assert_eq!(r["price_note"], Value::Null, "{r}");
            }
        }
    }
}

#[test]
fn the_csv_and_table_carry_the_offer_and_the_note() {
    let args = ["-c", &p("base.toml"), "-c", &p("negotiated.toml")];
    let o = run(&[&["compare", "--format", "csv"][..], &args[..]].concat());
    let csv = stdout(&o);
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.contains(",offer_provider,offer_provider_class,offer_term,") && h.contains(",price_note,")),
        "{csv}"
    );
    assert!(csv.contains("negotiated price: our cloud contract committed_3y"), "{csv}");
    let o = run(&[&["compare"][..], &args[..]].concat());
    let t = stdout(&o);
    // A negotiated offer is marked ‡ as on the charts; another term or market †.
    assert!(t.contains("our cloud contract committed_3y 2026-11 (est.) ‡"), "{t}");
    assert!(t.contains("† trn2: trn2 has no hyperscaler committed_3y offer"), "{t}");
}

#[test]
fn the_readme_worked_example_is_the_shipped_file_and_prices_our_h100_negotiated() {
    let readme = std::fs::read_to_string(crate::common::root("README.md")).unwrap_or_default();
    let ours = std::fs::read_to_string(crate::common::root("docs/examples/ours.toml")).unwrap_or_default();
    assert!(
        !ours.is_empty() && readme.contains(&format!("```toml\n{ours}```")),
        "README's ours.toml differs from docs/examples/ours.toml"
    );
    let v = compare_json(&["-c", "configs", "-c", "docs/examples/ours.toml"]);
    let h = row(&v, "dense-70b", "h100-sxm").expect("h100 row");
    assert_eq!(h["usd_per_chip_hour"], 2.1);
    assert_eq!(h["offer"]["provider_class"], "negotiated");
    let t = row(&v, "dense-70b", "trn2").expect("trn2 priced by fallback");
    assert!(t["price_note"].as_str().is_some_and(|n| n.contains("capacity_block")), "{t}");
}

#[test]
fn malformed_offers_are_located_errors() {
    let o = run(&["validate", "-c", &p("base.toml"), "-c", &p("bad_offers.toml")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let f = p("bad_offers.toml");
    for want in [
        format!("error: {f}:7:18: unknown provider_class `neoclod`"),
        format!("error: {f}:5:1: missing `term` in [[accelerator.offer]] of `h100-sxm`"),
        format!("error: {f}:8:25: [[accelerator.offer]] of `h100-sxm` (provider X) gives usd_per_instance_hour but no chips_per_instance"),
        format!(
            "error: {f}:15:25: [[accelerator.offer]] `y-on-demand` of `h100-sxm` gives both usd_per_chip_hour and usd_per_instance_hour"
        ),
        format!(
            "error: {f}:18:1: two offers of `h100-sxm` have the id `lambda-on-demand`; the first is at {}:",
            p("base.toml")
        ),
    ] {
        assert!(err.contains(&want), "missing `{want}` in:\n{err}");
    }
}

#[test]
fn a_borrowed_price_is_drawn_marked_and_never_cheapest() {
    // Shipped fallback = "any": trn2 (Capacity Blocks only) is costed on on_demand, noted.
    let v = compare_json(&["--workload", "dense-70b"]);
    let trn2 = row(&v, "dense-70b", "trn2").unwrap_or_else(|| panic!("trn2 is costed: {v}"));
    assert_eq!(trn2["offer"]["term"], "capacity_block", "{trn2}");
    assert!(trn2["price_note"].as_str().is_some_and(|n| n.contains("priced from")), "{trn2}");
    // On committed_3y a neocloud or on-demand price may be the lowest cost, but "cheapest" goes
    // only to a row priced on the basis (no price_note).
    for basis in ["on_demand", "committed_3y"] {
        let v = compare_json(&["--set", &format!("economics.basis={basis}")]);
        for w in v["workloads"].as_array().into_iter().flatten() {
            let rows = w["results"].as_array().cloned().unwrap_or_default();
            let best: Vec<&Value> = rows.iter().filter(|r| r["cheapest"] == true).collect();
            assert!(best.len() <= 1, "{w}");
            for b in best {
                assert_eq!(b["price_note"], Value::Null, "{basis}: {b}");
                assert_eq!(b["offer"]["term"], basis, "{basis}: {b}");
            }
        }
    }
}

#[test]
fn explain_shows_each_offers_span_start_and_where_a_superseded_one_ended() {
    let o = run(&["explain", "--workload", "dense-70b", "--accelerator", "h100-sxm"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    // The p5 launch price: seen 2025-03-17, held from the P5 launch (2023-07-26) until the
    // June 2025 cut, where the current list (`aws-on-demand`, valid_from 2025-06) begins.
    let line = t.lines().find(|l| l.contains("aws-on-demand-pre-cut")).unwrap_or_default();
    assert!(line.contains("(2025-03-17)"), "{line}");
    assert!(line.contains("valid from 2023-07-26"), "{line}");
    assert!(line.contains("(superseded by aws-on-demand from 2025-06)"), "{line}");
}

#[test]
fn a_valid_from_after_as_of_or_not_a_date_is_a_located_error() {
    for (value, says) in [("\"2027-01\"", "after its as_of 2026-11-09"), ("\"2023-13\"", "not a date")] {
        let set = format!("accelerator.h100-sxm.offer.aws-on-demand.valid_from={value}");
        let o = run(&["validate", "--set", &set]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        let e = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
        assert!(e.contains("valid_from") && e.contains(says), "{value}: {err}");
    }
    // The same month as the date seen is no error ("2026-11" holds from before 2026-11-09).
    let o = run(&[
        "validate",
        "--set",
        "accelerator.h100-sxm.offer.aws-on-demand.valid_from=\"2026-11\"",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

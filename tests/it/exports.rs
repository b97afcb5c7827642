//! Exporters: one result row serialized four ways. Snapshots (insta) pin each format on the
//! `good` fixture; a property ties CSV to JSON: every scalar of a JSON row is a CSV column
//! with the same value.

use crate::common::{fixture, run, stderr, stdout};

fn compare(format: &str) -> String {
    let cfg = fixture("good");
    let o = run(&["compare", "-q", "-c", cfg.to_str().expect("utf-8"), "--format", format]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn compare_table_snapshot() {
    insta::assert_snapshot!("compare_table", compare("table"));
}

#[test]
fn compare_markdown_snapshot() {
    insta::assert_snapshot!("compare_markdown", compare("markdown"));
}

#[test]
fn compare_csv_snapshot() {
    insta::assert_snapshot!("compare_csv", compare("csv"));
}

#[test]
fn compare_json_snapshot() {
    let mut v: serde_json::Value = serde_json::from_str(&compare("json")).expect("JSON");
    v["tool_version"] = "(version)".into();
    insta::assert_json_snapshot!("compare_json", v);
}

#[test]
fn every_scalar_of_a_json_row_is_a_csv_column_with_the_same_value() {
    for cfg in [fixture("good"), crate::common::root("configs")] {
        let c = cfg.to_str().expect("utf-8");
        let json: serde_json::Value = serde_json::from_str(&stdout(&run(&["compare", "-q", "-c", c, "--format", "json"]))).expect("JSON");
        let csv_text = stdout(&run(&["compare", "-q", "-c", c, "--format", "csv"]));
        let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
        let header: Vec<String> = rd.headers().expect("header").iter().map(String::from).collect();
        let status = header.iter().position(|h| h == "status").expect("status column");
        // Skipped chips are rows too (no figures); the costed ones line up with the JSON results.
        let records: Vec<csv::StringRecord> = rd
            .records()
            .map(|r| r.expect("record"))
            .filter(|r| &r[status] == "costed")
            .collect();
        let mut k = 0;
        let mut checked = 0;
        for w in json["workloads"].as_array().expect("workloads") {
            for row in w["results"].as_array().expect("results") {
                let rec = &records[k];
                k += 1;
                let cell = |name: &str| header.iter().position(|h| h == name).map(|i| rec[i].to_string());
                assert_eq!(cell("workload").as_deref(), w["workload"].as_str());
                // A nested object (the row's `offer`) is flattened into `offer_<key>` columns.
                let mut pairs: Vec<(String, &serde_json::Value)> = Vec::new();
                for (key, value) in row.as_object().expect("row") {
                    match value.as_object() {
                        Some(inner) => pairs.extend(inner.iter().map(|(k, v)| (format!("{key}_{k}"), v))),
                        None => pairs.push((key.clone(), value)),
                    }
                }
                for (key, value) in &pairs {
                    let key = key.as_str();
                    let got = cell(key).unwrap_or_else(|| panic!("JSON key `{key}` has no CSV column"));
                    match value {
                        serde_json::Value::Number(x) => {
                            let a = x.as_f64().expect("f64");
                            let b: f64 = got.parse().unwrap_or_else(|_| panic!("{key}: `{got}` is not a number"));
                            // serde_json parses floats to within an ulp or two; the CSV keeps full precision.
                            assert!(approx::relative_eq!(a, b, max_relative = 1e-15), "{key}: JSON {a} vs CSV {b}");
                        }
                        serde_json::Value::Bool(b) => assert_eq!(got, b.to_string(), "{key}"),
                        // Text a spreadsheet would run carries a leading quote in the CSV.
                        serde_json::Value::String(s) => assert_eq!(got, accel_cost::export::csv_text(s), "{key}"),
                        serde_json::Value::Null => assert_eq!(got, "", "{key}"),
                        _ => {}
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(k, records.len(), "as many CSV records as JSON rows");
        assert!(checked > 100, "checked only {checked} cells");
    }
}

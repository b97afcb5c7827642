//! CSV: one flat file, a row per workload x accelerator, full-precision numbers. The columns are
//! `workload, workload_name, kind, basis` and then every key of the JSON rows (`super::row`),
//! figures before their P10/P50/P90, each in the order they first appear, so every scalar of a
//! JSON row is a CSV column; a row lacking one leaves it empty. The accelerator's display name
//! follows its id (`accelerator_name`), and after each workload's costed rows come its skipped
//! chips (`status` `skipped`, the reason in `skipped_reason`, figures empty).
//!
//! Every text cell goes through [`neutralise`]: config text that a spreadsheet would run as a
//! formula is written as text.

use std::borrow::Cow;

use super::row::{ResultRow, flatten, kind_name};
use super::{CompareView, Exporter};

pub struct CsvExporter;

/// Characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a
/// formula when they come first: OWASP's list (`=`, `+`, `-`, `@`, tab, carriage return) and
/// line feed and NUL, which some importers also let through.
const FORMULA_START: [char; 8] = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

/// A text cell as OWASP's CSV-injection advice writes it: one that begins with a formula
/// character gets a leading single quote (spreadsheets show the text, run nothing); a number
/// (`-3.5`, `1e-9`) and any other text are unchanged.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    let is_number = || s.parse::<f64>().is_ok_and(f64::is_finite);
    if s.starts_with(FORMULA_START) && !is_number() {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A text field for the report's chart CSVs: [`neutralise`]d, then quoted when it needs it
/// (RFC 4180).
pub fn field(s: &str) -> String {
    let s = neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// Every row as `(column, cell)` pairs, in table order; text cells are already neutralised.
fn records(view: &CompareView<'_>) -> Vec<Vec<(String, String)>> {
    let basis = view.cfg.economics.basis.name();
    let text = |k: &str, v: &str| (k.to_string(), neutralise(v).into_owned());
    let mut out = Vec::new();
    for t in view.tables {
        let head = |status: &str| {
            vec![
                text("workload", &t.id),
                text("workload_name", &t.name),
                text("kind", kind_name(t.kind)),
                text("basis", basis),
                text("status", status),
            ]
        };
        for r in &t.rows {
            let mut cells = head("costed");
            let json = serde_json::to_value(ResultRow::of(r)).unwrap_or_default();
            flatten("", &json, &mut cells, &|s| neutralise(s).into_owned());
            // The display name right after the id.
            let at = cells.iter().position(|(k, _)| k == "accelerator").map_or(cells.len(), |i| i + 1);
            cells.insert(at, text("accelerator_name", &r.name));
            out.push(cells);
        }
        for s in &t.skipped {
            let mut cells = head("skipped");
            cells.push(text("accelerator", &s.accelerator));
            let name = view.cfg.accelerator(&s.accelerator).map_or("", |a| a.name.as_str());
            cells.push(text("accelerator_name", name));
            cells.push(text("skipped_reason", &s.reason));
            out.push(cells);
        }
    }
    out
}

impl Exporter for CsvExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let rows = records(view);
        // Figures first, then the P10/P50/P90 columns, each in the order they first appear.
        let is_band = |k: &str| k.starts_with("p10_") || k.starts_with("p50_") || k.starts_with("p90_");
        let mut header: Vec<&str> = Vec::new();
        for band in [false, true] {
            for r in &rows {
                for (k, _) in r {
                    if is_band(k) == band && !header.contains(&k.as_str()) {
                        header.push(k);
                    }
                }
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut ok = w.write_record(&header).is_ok();
        for r in &rows {
            let record = header
                .iter()
                .map(|h| r.iter().find(|(k, _)| k == h).map_or("", |(_, v)| v.as_str()));
            ok &= w.write_record(record).is_ok();
        }
        match (ok, w.into_inner()) {
            (true, Ok(bytes)) => bytes,
            // Writing into memory cannot fail; keep the signature infallible like the others.
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_text_gets_a_quote_and_numbers_stay_numbers() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("-x", "'-x"),
            // Excel reads "-2+3" as a formula (=1): not a number, so quoted.
            ("-2+3", "'-2+3"),
            ("\tTab", "'\tTab"),
            ("\rCR", "'\rCR"),
            // Numbers, negative ones included, are left as they are.
            ("-3.5", "-3.5"),
            ("+2", "+2"),
            ("-1e-9", "-1e-9"),
            // Not finite: text, so quoted.
            ("-inf", "'-inf"),
            ("H100 = fast", "H100 = fast"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn a_chart_csv_field_is_neutralised_then_quoted() {
        assert_eq!(field("=1,2"), "\"'=1,2\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("-0.25"), "-0.25");
    }
}

//! CSV: one flat file, a row per workload x accelerator, full-precision numbers. The columns are
//! `workload, kind, basis` and then every key of the JSON rows (`super::row`), figures before
//! their P10/P50/P90, each in the order they first appear, so every scalar of a JSON row is a CSV column; a row lacking one leaves it empty.

use super::row::{ResultRow, flatten, kind_name};
use super::{CompareView, Exporter};

pub struct CsvExporter;

/// Quotes a field when it needs it (RFC 4180), for the report's chart CSVs.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Every row as `(column, cell)` pairs, in table order.
fn records(view: &CompareView<'_>) -> Vec<Vec<(String, String)>> {
    let basis = view.cfg.economics.basis.name();
    let mut out = Vec::new();
    for t in view.tables {
        for r in &t.rows {
            let mut cells = vec![
                ("workload".to_string(), t.id.clone()),
                ("kind".to_string(), kind_name(t.kind).to_string()),
                ("basis".to_string(), basis.to_string()),
            ];
            let json = serde_json::to_value(ResultRow::of(r)).unwrap_or_default();
            flatten("", &json, &mut cells);
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

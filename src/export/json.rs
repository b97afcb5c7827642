//! JSON in the stable shapes of docs/cli.md.

use serde_json::{Value, json};

use super::row::table_json;
use super::{CompareView, Exporter};

pub struct JsonExporter;

/// The JSON of `compare`: `{ basis, reference, as_of, config_hash, workloads: [...] }`.
pub fn compare_json(view: &CompareView<'_>) -> Value {
    json!({
        "basis": view.cfg.economics.basis.name(),
        "reference": view.cfg.report.reference,
        "as_of": view.cfg.as_of,
        "config_hash": view.cfg.hash,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "workloads": view.tables.iter().map(|t| table_json(t, view.cfg.economics.basis)).collect::<Vec<_>>(),
    })
}

impl Exporter for JsonExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&compare_json(view)).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

//! JSON in the stable shapes of CLI.md.

use serde_json::{Map, Value, json};

use super::{CompareView, Exporter};
use crate::config::Basis;
use crate::model::evaluate::{Figures, Kind, Row, WorkloadTable};

pub struct JsonExporter;

fn n(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// One result row: the figures of CLI.md, then p10/p50/p90 keys where an input is a range.
pub fn row_json(r: &Row) -> Value {
    let mut m = Map::new();
    m.insert("accelerator".into(), json!(r.accelerator));
    m.insert("family".into(), json!(r.family.name()));
    match r.figures {
        Figures::Training(f) => {
            m.insert("usd_per_chip_hour".into(), n(f.usd_per_chip_hour));
            m.insert("flops".into(), n(f.flops));
            m.insert("chip_hours".into(), n(f.chip_hours));
            m.insert("cost_usd".into(), n(f.cost_usd));
            if let Some(w) = f.wall_days {
                m.insert("wall_days".into(), n(w));
            }
            m.insert("min_chips".into(), json!(f.min_chips));
            m.insert("feasible".into(), json!(f.feasible));
            m.insert("energy_kwh".into(), n(f.energy_kwh));
        }
        Figures::Inference(f) => {
            m.insert("usd_per_chip_hour".into(), n(f.usd_per_chip_hour));
            m.insert("chips_per_replica".into(), json!(f.chips_per_replica));
            m.insert("output_tokens_per_s_per_chip".into(), n(f.output_tokens_per_s_per_chip));
            m.insert("tokens_per_s_per_user".into(), n(f.tokens_per_s_per_user));
            m.insert("ttft_s".into(), n(f.ttft_s));
            m.insert("usd_per_m_output_tokens".into(), n(f.usd_per_m_output_tokens));
            m.insert("usd_per_m_tokens".into(), n(f.usd_per_m_tokens));
            m.insert("measured".into(), json!(f.measured));
            m.insert("memory_bound".into(), json!(f.memory_bound));
        }
    }
    if let Some(x) = r.ratio_to_reference {
        m.insert("ratio_to_reference".into(), n(x));
    }
    m.insert("cheapest".into(), json!(r.cheapest));
    if let Some(x) = r.break_even_usd_per_chip_hour {
        m.insert("break_even_usd_per_chip_hour".into(), n(x));
    }
    if let Some(x) = r.break_even_efficiency {
        m.insert("break_even_efficiency".into(), n(x));
    }
    for (k, b) in &r.bands {
        m.insert(format!("p10_{k}"), n(b.p10));
        m.insert(format!("p50_{k}"), n(b.p50));
        m.insert(format!("p90_{k}"), n(b.p90));
    }
    if let Some(b) = r.ratio_band {
        m.insert("p10_ratio_to_reference".into(), n(b.p10));
        m.insert("p90_ratio_to_reference".into(), n(b.p90));
    }
    Value::Object(m)
}

/// One workload: `{ workload, kind, basis, reference, results, skipped }`.
pub fn table_json(t: &WorkloadTable, basis: Basis) -> Value {
    let mut m = Map::new();
    m.insert("workload".into(), json!(t.id));
    m.insert("name".into(), json!(t.name));
    m.insert(
        "kind".into(),
        json!(match t.kind {
            Kind::Training => "training",
            Kind::Inference => "inference",
        }),
    );
    m.insert("basis".into(), json!(basis.name()));
    m.insert("reference".into(), json!(t.reference));
    m.insert("results".into(), Value::Array(t.rows.iter().map(row_json).collect()));
    m.insert("skipped".into(), serde_json::to_value(&t.skipped).unwrap_or(Value::Null));
    Value::Object(m)
}

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

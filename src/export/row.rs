//! The one definition of a result row. JSON (`estimate --json`, `compare --format json`,
//! `summary.json`) is this struct serialized by serde; CSV is the same serialization flattened
//! into columns by the csv crate; the text and Markdown tables read it through one column list
//! per kind (`super::columns`). A new figure is one field of `TrainingFigures` or
//! `InferenceFigures` (the model's own structs, flattened in here): every format then carries it.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Basis;
use crate::model::compare::{Figures, Kind, Row, WorkloadTable};

/// One workload x accelerator as every exporter sees it.
#[derive(Serialize)]
pub struct ResultRow<'a> {
    pub accelerator: &'a str,
    /// Chip family: gpu, trainium, inferentia, tpu, other.
    pub family: &'static str,
    /// The model's figures, flat: training (cost_usd, chip_hours, ...) or inference
    /// (usd_per_m_output_tokens, ...).
    #[serde(flatten)]
    pub figures: &'a Figures,
    /// The offer the price came from (docs/cli.md `offer`: provider, provider_class, term, instance,
    /// region, as_of, estimate, and its id); on the owned basis provider/class/term "owned".
    pub offer: Option<&'a crate::model::price::OfferInfo>,
    /// Why the price is not of the basis's market (a fallback, a negotiated price, an owned
    /// chip price that is an internal cost estimate), else null.
    pub price_note: Option<&'a str>,
    /// Metric / the reference's metric; absent when the reference is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_reference: Option<f64>,
    /// What one unit of the workload costs here over the reference: the training run, or one
    /// request of the workload's shape (input and output tokens; the headline's inference
    /// ratio); absent when the reference is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_ratio: Option<f64>,
    /// Share of Monte Carlo draws in which a request (the run) costs less than on the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_request_cheaper: Option<f64>,
    /// The cheapest row of its workload.
    pub cheapest: bool,
    /// USD per chip-hour at which this chip costs what the reference does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_even_usd_per_chip_hour: Option<f64>,
    /// Factor on this chip's efficiencies at which it costs what the reference does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_even_efficiency: Option<f64>,
    /// Share of Monte Carlo draws in which this row costs less than the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_cheaper_than_reference: Option<f64>,
    /// `p10_<figure>`, `p50_<figure>`, `p90_<figure>` for every figure that depends on a ranged
    /// input, and `p10_/p90_ratio_to_reference`, `p10_/p90_request_ratio`; absent without Monte
    /// Carlo.
    #[serde(flatten)]
    pub bands: Map<String, Value>,
}

fn n(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

impl<'a> ResultRow<'a> {
    /// The row of `r`.
    pub fn of(r: &'a Row) -> Self {
        let mut bands = Map::new();
        for (k, b) in &r.bands {
            bands.insert(format!("p10_{k}"), n(b.p10));
            bands.insert(format!("p50_{k}"), n(b.p50));
            bands.insert(format!("p90_{k}"), n(b.p90));
        }
        if let Some(b) = r.ratio_band {
            bands.insert("p10_ratio_to_reference".into(), n(b.p10));
            bands.insert("p90_ratio_to_reference".into(), n(b.p90));
        }
        if let Some(b) = r.request_ratio_band {
            bands.insert("p10_request_ratio".into(), n(b.p10));
            bands.insert("p90_request_ratio".into(), n(b.p90));
        }
        ResultRow {
            accelerator: &r.accelerator,
            family: r.family.name(),
            figures: &r.figures,
            offer: r.offer.as_ref(),
            price_note: r.price_note.as_deref(),
            ratio_to_reference: r.ratio_to_reference,
            request_ratio: r.request_ratio,
            p_request_cheaper: r.p_request_cheaper,
            cheapest: r.cheapest,
            break_even_usd_per_chip_hour: r.break_even_usd_per_chip_hour,
            break_even_efficiency: r.break_even_efficiency,
            p_cheaper_than_reference: r.p_cheaper_than_reference,
            bands,
        }
    }
}

/// One result row as JSON (docs/cli.md shape). Non-finite numbers become null.
pub fn row_json(r: &Row) -> Value {
    serde_json::to_value(ResultRow::of(r)).unwrap_or(Value::Null)
}

/// One workload: `{ workload, name, kind, basis, reference, results, skipped }`.
pub fn table_json(t: &WorkloadTable, basis: Basis) -> Value {
    let mut m = Map::new();
    m.insert("workload".into(), Value::from(t.id.as_str()));
    m.insert("name".into(), Value::from(t.name.as_str()));
    m.insert("kind".into(), Value::from(kind_name(t.kind)));
    m.insert("basis".into(), Value::from(basis.name()));
    m.insert("reference".into(), Value::from(t.reference.as_str()));
    m.insert("results".into(), Value::Array(t.rows.iter().map(row_json).collect()));
    m.insert("skipped".into(), serde_json::to_value(&t.skipped).unwrap_or(Value::Null));
    Value::Object(m)
}

pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Training => "training",
        Kind::Inference => "inference",
    }
}

/// A JSON row flattened to `(column, cell)` pairs: nested objects become `parent_key`
/// columns, numbers keep full precision, null is empty; every text cell (strings and lists of
/// them, never a number) passes through `text` (the CSV exporter neutralises formulas there).
pub fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>, text: &dyn Fn(&str) -> String) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}_{k}") };
                flatten(&key, x, out, text);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), text(s))),
        Value::Array(items) => out.push((
            prefix.to_string(),
            text(
                &items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), String::from))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

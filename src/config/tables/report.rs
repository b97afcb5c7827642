//! `[report]`: what `accel-cost report` draws, and the names of its charts (the report checks
//! its chart list against [`CHART_NAMES`]). Declarations, the validated struct and the reader.

use crate::config::diag::suggest;
use crate::config::reader::{Ctx, Reader, as_f64, read_number, table_of};
use crate::config::schema::{Check, Key, Kind, TableDecl, text};
use crate::config::tree::{Node, Origin, Table, Value};

const fn plain_key(name: &'static str, unit: &'static str, doc: &'static str) -> Key {
    Key::new(
        name,
        Kind::Number {
            check: Check::Positive,
            range: false,
        },
        unit,
        doc,
    )
}

/// `[report]`.
pub static REPORT: TableDecl = TableDecl {
    name: "report",
    list: false,
    doc: "What `accel-cost report` draws.",
    keys: &[
        text("title", "report title; default \"The compute cost revolution\""),
        Key::new(
            "accelerators",
            Kind::RefList("accelerator"),
            "",
            "subset to draw; default all (leave the key out: `[]` is an error). An id given twice is a warning and drawn once",
        ),
        Key::new(
            "reference",
            Kind::Ref("accelerator"),
            "",
            "baseline for ratios and break-even; default h100-sxm",
        ),
        Key::new(
            "inference_workload",
            Kind::Ref("inference"),
            "",
            "workload behind the inference curves; default the first",
        ),
        Key::new(
            "training_workload",
            Kind::Ref("training"),
            "",
            "workload behind tornado and break-even; default the first",
        ),
        Key::new(
            "tornado_accelerator",
            Kind::Ref("accelerator"),
            "",
            "chip of the tornado chart; default the cheapest non-GPU",
        ),
        plain_key("fleet_budget_usd", "USD", "budget of the fleet chart").default(1e9),
        plain_key("fleet_power_mw", "MW", "facility power of the fleet chart's second question").default(1000.0),
        plain_key(
            "price_performance_doubling_years",
            "years",
            "GPU price-performance doubling time (Epoch AI, 2.07 years); kept for configs that set it, no chart draws it since price-performance was retired",
        )
        .default(2.07),
        Key::new(
            "max_chips_per_replica",
            Kind::Int { min: 1, max: 1_000_000 },
            "chips",
            "largest tensor-parallel replica the serving model considers",
        )
        .default(64.0),
        Key::new(
            "use_measured",
            Kind::Bool,
            "",
            "deprecated and ignored (benchmarks check the model in calibrate, never replace it)",
        ),
        Key::new(
            "charts",
            Kind::StrList,
            "",
            "charts to draw, by name: batch, interactivity, input-output, cost-over-time-training, cost-over-time-inference, tco, fleet, headline, tornado, break-even; default all (leave the key out: `[]` is an error). A name given twice is a warning; a retired name (model-size, utilization) is a warning naming the chart that shows its figures, and a list of retired names only is an error",
        ),
        Key::new(
            "training_sweep",
            Kind::Table(&TRAINING_SWEEP),
            "",
            "x axis of the training-cost curves",
        ),
        Key::new(
            "inference_sweep",
            Kind::Table(&INFERENCE_SWEEP),
            "",
            "x axis of the inference-cost curves",
        ),
        Key::new("monte_carlo", Kind::Table(&MONTE_CARLO), "", "uncertainty bands"),
    ],
};

/// `report.training_sweep`.
pub static TRAINING_SWEEP: TableDecl = TableDecl {
    name: "report.training_sweep",
    list: false,
    doc: "Model sizes of the training-cost curves.",
    keys: &[
        Key::new("params_b", Kind::Pair, "billion parameters", "[from, to]; default [1, 2000]"),
        plain_key("tokens_per_param", "tokens/parameter", "training tokens per parameter").default(20.0),
    ],
};

/// `report.inference_sweep`.
pub static INFERENCE_SWEEP: TableDecl = TableDecl {
    name: "report.inference_sweep",
    list: false,
    doc: "Batch sizes of the inference-cost curves.",
    keys: &[Key::new("batch", Kind::Pair, "sequences", "[from, to]; default [1, 512]")],
};

/// `report.monte_carlo`.
pub static MONTE_CARLO: TableDecl = TableDecl {
    name: "report.monte_carlo",
    list: false,
    doc: "Seeded Monte Carlo over every ranged input.",
    keys: &[
        Key::new("samples", Kind::Int { min: 1, max: 1_000_000 }, "draws", "number of draws").default(2000.0),
        Key::new("seed", Kind::Int { min: 0, max: i64::MAX }, "", "random seed").default(42.0),
    ],
};

/// The charts `report` draws, by the name `report.charts` takes, in report order
/// (`report::charts::CHARTS` has one entry per name, in this order; a test checks it).
pub const CHART_NAMES: &[&str] = &[
    "batch",
    "interactivity",
    "input-output",
    "cost-over-time-training",
    "cost-over-time-inference",
    "tco",
    "fleet",
    "headline",
    "tornado",
    "break-even",
];

/// Charts of earlier versions that said nothing a sentence doesn't, with that sentence:
/// `report.charts` still accepts their names, with a warning, and draws nothing for them.
pub const RETIRED: &[(&str, &str)] = &[
    (
        "model-size",
        "training cost scales with model size alike on every chip (the ratios are the headline's)",
    ),
    ("utilization", "cost per token scales as 1 / utilization alike on every chip"),
];

#[derive(Clone, Debug)]
pub struct Report {
    pub title: String,
    /// The accelerators the report shows, in config order (all when the config names none).
    pub accelerators: Vec<String>,
    pub reference: String,
    pub training_sweep_params_b: (f64, f64),
    pub tokens_per_param: f64,
    pub inference_sweep_batch: (f64, f64),
    pub inference_workload: Option<String>,
    pub training_workload: Option<String>,
    pub fleet_budget_usd: f64,
    /// Facility power of the fleet chart's "what this much power holds" (MW).
    pub fleet_power_mw: f64,
    pub samples: u32,
    pub seed: u64,
    pub tornado_accelerator: Option<String>,
    /// Years for GPU price-performance to double (trend line of the price-performance chart).
    pub price_performance_doubling_years: f64,
    /// Largest serving replica (a scale-up domain): the largest tensor-parallel candidate.
    pub max_chips_per_replica: u64,
    /// Names of the charts to draw (`report.charts`); empty: every chart.
    pub charts: Vec<String>,
}

/// The declared default of a whole-number key of `table` (0 if it declares none: a test checks
/// every key read this way declares one).
fn declared(table: &TableDecl, key: &str) -> i64 {
    table.key(key).and_then(|k| k.default).map_or(0, |d| d as i64)
}

/// A plain (not ranged) number of a report setting; its declared default when absent.
fn plain(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> f64 {
    let default = r.decl.key(key).and_then(|k| k.default).unwrap_or(f64::NAN);
    let Some(n) = r.node(key) else { return default };
    let what = r.what.clone();
    match &n.value {
        Value::Table(_) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {what} must be a single number"),
                "report settings take no ranges",
            );
            default
        }
        _ => read_number(n, key, &what, Check::Positive, ctx).map_or(default, |v| v.1),
    }
}

fn pair(r: &mut Reader<'_>, key: &'static str, default: (f64, f64), ctx: &mut Ctx) -> (f64, f64) {
    let Some(n) = r.node(key) else { return default };
    let vals: Option<Vec<f64>> = match &n.value {
        Value::Array(items) => items.iter().map(|i| as_f64(&i.value)).collect(),
        _ => None,
    };
    match vals.as_deref() {
        Some(&[a, b]) if a.is_finite() && b.is_finite() && a > 0.0 && a < b => (a, b),
        _ => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {} must be [from, to] with 0 < from < to", r.what),
                &format!("e.g. {key} = [1, 2000]"),
            );
            default
        }
    }
}

/// `[report]`.
pub(crate) fn read(node: Option<&Node>, ctx: &mut Ctx) -> (Report, Vec<(String, Origin)>) {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[report]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut refs = Vec::new();
    let mut r = Reader::new(table, origin, "report".into(), &REPORT, ctx);
    let title = r.str_opt("title", ctx).unwrap_or_else(|| "The compute cost revolution".into());
    let mut accelerators = Vec::new();
    if let Some(n) = r.node("accelerators") {
        match &n.value {
            // `[]` would draw every chip, as leaving the key out does: surely not what was meant.
            Value::Array(items) if items.is_empty() => ctx.diags.err(
                &n.origin,
                "report.accelerators is empty: no chip to draw".into(),
                "remove `accelerators` to draw every chip, or name some, e.g. accelerators = [\"h100-sxm\", \"trn2\"]",
            ),
            Value::Array(items) => {
                let mut named: Vec<(&str, &Origin)> = Vec::new();
                for i in items {
                    match &i.value {
                        Value::Str(s) => match named.iter().find(|(a, _)| a == s) {
                            Some((_, first)) => ctx.diags.warn(
                                &i.origin,
                                format!(
                                    "accelerator `{s}` is named twice in report.accelerators; the first is at {first} (it is drawn once)"
                                ),
                            ),
                            None => {
                                named.push((s, &i.origin));
                                accelerators.push(s.clone());
                                refs.push((format!("accelerator:{s}"), i.origin.clone()));
                            }
                        },
                        v => ctx
                            .diags
                            .err(&i.origin, format!("report.accelerators lists ids, found {}", v.type_name()), ""),
                    }
                }
            }
            v => ctx.diags.err(
                &n.origin,
                format!("report.accelerators must be an array of ids, found {}", v.type_name()),
                "e.g. accelerators = [\"h100-sxm\", \"trn2\"]",
            ),
        }
    }
    let mut ref_str = |r: &mut Reader<'_>, key: &'static str, kind: &str, ctx: &mut Ctx| -> Option<String> {
        let origin = r.table.get(key).map(|n| n.origin.clone());
        let s = r.str_opt(key, ctx)?;
        refs.push((format!("{kind}:{s}"), origin.unwrap_or(Origin::Default)));
        Some(s)
    };
    let reference = ref_str(&mut r, "reference", "accelerator", ctx);
    let inference_workload = ref_str(&mut r, "inference_workload", "inference", ctx);
    let training_workload = ref_str(&mut r, "training_workload", "training", ctx);
    let tornado_accelerator = ref_str(&mut r, "tornado_accelerator", "accelerator", ctx);
    let fleet_budget_usd = plain(&mut r, "fleet_budget_usd", ctx);
    let fleet_power_mw = plain(&mut r, "fleet_power_mw", ctx);
    // Epoch AI, "Trends in GPU price-performance": ML GPUs double every 2.07 years.
    let doubling = plain(&mut r, "price_performance_doubling_years", ctx);
    let max_chips_per_replica = r
        .int_opt("max_chips_per_replica", ctx)
        .unwrap_or(declared(&REPORT, "max_chips_per_replica")) as u64;
    if let Some(n) = r.node("use_measured") {
        ctx.diags.warn(
            &n.origin,
            "report.use_measured is deprecated and ignored: benchmarks ([[measured]]) check the model in `calibrate`, they never replace it (docs/model.md 'Serving')".to_string(),
        );
    }
    let charts = r.node("charts").map(|n| report_charts(n, ctx)).unwrap_or_default();
    let (mut params_range, mut tpp, mut batch_range) = ((1.0, 2000.0), 20.0, (1.0, 512.0));
    if let Some(mut s) = r.sub("training_sweep", ctx) {
        params_range = pair(&mut s, "params_b", params_range, ctx);
        tpp = plain(&mut s, "tokens_per_param", ctx);
        s.finish(ctx);
    }
    if let Some(mut s) = r.sub("inference_sweep", ctx) {
        batch_range = pair(&mut s, "batch", batch_range, ctx);
        s.finish(ctx);
    }
    let (mut samples, mut seed) = (declared(&MONTE_CARLO, "samples") as u32, declared(&MONTE_CARLO, "seed") as u64);
    if let Some(mut s) = r.sub("monte_carlo", ctx) {
        samples = s.int_opt("samples", ctx).map_or(samples, |n| n as u32);
        seed = s.int_opt("seed", ctx).map_or(seed, |n| n as u64);
        s.finish(ctx);
    }
    r.finish(ctx);
    (
        Report {
            title,
            accelerators,
            reference: reference.unwrap_or_default(),
            training_sweep_params_b: params_range,
            tokens_per_param: tpp,
            inference_sweep_batch: batch_range,
            inference_workload,
            training_workload,
            fleet_budget_usd,
            fleet_power_mw,
            samples,
            seed,
            tornado_accelerator,
            price_performance_doubling_years: doubling,
            max_chips_per_replica,
            charts,
        },
        refs,
    )
}

/// The chart each retired chart's figures moved to, if any (a name of `CHARTS`).
const RETIRED_REPLACEMENTS: [(&str, &str); 1] = [("model-size", "headline")];

/// `report.charts`: chart names, each once. An unknown name is an error with the nearest one;
/// `[]` is an error (leave the key out to draw every chart); a retired name is a warning naming
/// the chart that shows its figures, if one does, and a list of retired names only is an error
/// (it would draw every chart); a name given twice is a warning at the second.
fn report_charts(n: &Node, ctx: &mut Ctx) -> Vec<String> {
    let known = CHART_NAMES;
    let retired = RETIRED;
    let replacement = |name: &str| {
        RETIRED_REPLACEMENTS
            .iter()
            .find(|(r, with)| *r == name && known.contains(with))
            .map(|(_, with)| *with)
    };
    let items = match &n.value {
        Value::Array(items) => items,
        v => {
            ctx.diags.err(
                &n.origin,
                format!("report.charts must be an array of chart names, found {}", v.type_name()),
                "e.g. charts = [\"headline\", \"tco\"]",
            );
            return Vec::new();
        }
    };
    if items.is_empty() {
        ctx.diags.err(
            &n.origin,
            "report.charts is empty: no chart to draw".into(),
            &format!("remove `charts` to draw every chart, or name some: {}", known.join(", ")),
        );
        return Vec::new();
    }
    let mut charts: Vec<(String, Origin)> = Vec::new();
    let mut retired_named = Vec::new();
    for i in items {
        match &i.value {
            Value::Str(s) if known.contains(&s.as_str()) => match charts.iter().find(|(c, _)| c == s) {
                Some((_, first)) => ctx.diags.warn(
                    &i.origin,
                    format!("chart `{s}` is named twice in report.charts; the first is at {first} (it is drawn once)"),
                ),
                None => charts.push((s.clone(), i.origin.clone())),
            },
            Value::Str(s) if retired.iter().any(|(r, _)| r == s) => {
                let why = retired.iter().find(|(r, _)| r == s).map_or("", |r| r.1);
                let instead = replacement(s).map(|w| format!("; see `{w}`")).unwrap_or_default();
                ctx.diags
                    .warn(&i.origin, format!("chart `{s}` is retired and not drawn: {why}{instead}"));
                retired_named.push(s.as_str());
            }
            Value::Str(s) => {
                let hint = suggest(s, known.iter().copied(), || format!("charts: {}", known.join(", ")));
                ctx.diags.err(&i.origin, format!("unknown chart `{s}` in report.charts"), &hint);
            }
            v => ctx
                .diags
                .err(&i.origin, format!("report.charts lists chart names, found {}", v.type_name()), ""),
        }
    }
    if charts.is_empty() && !retired_named.is_empty() && !ctx.diags.has_errors() {
        let instead: Vec<&str> = retired_named.iter().filter_map(|r| replacement(r)).collect();
        let hint = if instead.is_empty() {
            format!("name charts to draw ({}), or remove `charts` to draw every chart", known.join(", "))
        } else {
            format!(
                "e.g. charts = [{}]; or remove `charts` to draw every chart",
                instead.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ")
            )
        };
        ctx.diags.err(
            &n.origin,
            format!(
                "report.charts names only retired charts ({}): nothing to draw",
                retired_named.join(", ")
            ),
            &hint,
        );
    }
    charts.into_iter().map(|(c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_number_settings_take_their_defaults_from_the_declarations() {
        // The values the key reference documents: 64 chips, 2,000 draws, seed 42.
        assert_eq!(declared(&REPORT, "max_chips_per_replica"), 64);
        assert_eq!(declared(&MONTE_CARLO, "samples"), 2000);
        assert_eq!(declared(&MONTE_CARLO, "seed"), 42);
    }
}

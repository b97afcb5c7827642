//! Rules across tables, applied once every table is read: the top-level keys, one benchmark per
//! workload and chip, every id a table names exists, and the defaults that depend on what was
//! loaded (report subset, reference, workloads of the charts).

use std::collections::HashMap;

use super::diag::{did_you_mean, suggest};
use super::reader::{Ctx, table_of};
use super::schema;
use super::tables::{accelerator, calibration, economics, inference, measured, report, training};
use super::tree::{LIST_KEYS, Node, Origin, Table, Value};
use super::{Accelerator, Calibration, Economics, Family, Inference, Measured, Report, Training};

/// Items of one root list, each a table with its origin.
fn list_items<'t>(root: &'t Table, key: &str, ctx: &mut Ctx) -> Vec<(&'t Table, Origin)> {
    match root.get(key) {
        None => Vec::new(),
        Some(Node {
            value: Value::Array(items),
            ..
        }) => items
            .iter()
            .filter_map(|n| table_of(n, &format!("each [[{key}]] entry"), ctx).map(|t| (t, n.origin.clone())))
            .collect(),
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` must be a list of tables, found {}", n.value.type_name()),
                &format!("write each entry under its own [[{key}]] header"),
            );
            Vec::new()
        }
    }
}

/// Reads one list entry with `read`. An entry whose id an earlier one has shows only the
/// duplicate error: its other problems (a missing key, say) would change with the fix (rename
/// it, or make it a patch), so listing them is noise.
fn entry<T>(
    t: &Table,
    origin: Origin,
    seen: &mut HashMap<String, Origin>,
    ctx: &mut Ctx,
    read: fn(&Table, Origin, &mut HashMap<String, Origin>, &mut Ctx) -> T,
) -> T {
    let start = ctx.diags.items.len();
    let repeated = t.id().is_some_and(|id| seen.contains_key(id));
    let value = read(t, origin, seen, ctx);
    if repeated {
        let mut own = ctx.diags.items.split_off(start);
        own.retain(|d| d.message.starts_with("duplicate "));
        ctx.diags.items.extend(own);
    }
    value
}

/// Validates the merged tree. Returns the config, or every error found.
pub(super) fn validate(root: &Table, ctx: &mut Ctx) -> Option<ConfigParts> {
    let known: Vec<&str> = schema::ROOT.iter().map(|t| t.name).collect();
    for e in &root.entries {
        if !known.contains(&e.key.as_str()) {
            let hint = suggest(&e.key, known.iter().copied(), || {
                format!(
                    "top-level keys: [economics], [report], {}",
                    LIST_KEYS.map(|k| format!("[[{k}]]")).join(", ")
                )
            });
            ctx.diags.err(&e.key_origin, format!("unknown top-level key `{}`", e.key), &hint);
        }
    }
    let economics = economics::read(root.get("economics"), ctx);
    let mut seen = HashMap::new();
    let accelerators: Vec<Accelerator> = list_items(root, "accelerator", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, accelerator::read))
        .collect();
    let mut seen = HashMap::new();
    let training: Vec<Training> = list_items(root, "training", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, training::read))
        .collect();
    let mut seen = HashMap::new();
    let inference: Vec<Inference> = list_items(root, "inference", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, inference::read))
        .collect();
    let measured: Vec<Measured> = list_items(root, "measured", ctx)
        .into_iter()
        .map(|(t, o)| measured::read(t, o, ctx))
        .collect();
    let mut seen = HashMap::new();
    let calibration: Vec<Calibration> = list_items(root, "calibration", ctx)
        .into_iter()
        .map(|(t, o)| entry(t, o, &mut seen, ctx, calibration::read))
        .collect();
    let (report, refs) = report::read(root.get("report"), ctx);

    // One benchmark per workload x accelerator: a second one would be ignored in silence.
    let mut first: HashMap<(&str, &str), &Origin> = HashMap::new();
    for m in measured.iter().filter(|m| !m.workload.is_empty() && !m.accelerator.is_empty()) {
        if let Some(prev) = first.insert((m.workload.as_str(), m.accelerator.as_str()), &m.workload_origin) {
            ctx.diags.err(
                &m.workload_origin,
                format!(
                    "a second [[measured]] for `{}` on `{}`; the first is at {prev}",
                    m.workload, m.accelerator
                ),
                "keep one benchmark per workload and accelerator (a spread of results can be a range { low, base, high })",
            );
            first.insert((m.workload.as_str(), m.accelerator.as_str()), prev);
        }
    }

    let mut parts = ConfigParts {
        economics,
        accelerators,
        training,
        inference,
        measured,
        calibration,
        report,
    };
    resolve(&mut parts, refs, ctx);
    let accelerators = &parts.accelerators;
    if accelerators.is_empty() && !ctx.diags.has_errors() {
        let origin = match ctx.files.as_slice() {
            [one] => Origin::File {
                file: one.as_str().into(),
                line: 1,
                col: 1,
            },
            _ => Origin::Default,
        };
        ctx.diags.err(
            &origin,
            format!("no [[accelerator]] entries were loaded from {}", ctx.files.join(", ")),
            "point --config at a folder with accelerator files, or run `accel-cost init DIR`",
        );
    }
    if ctx.diags.has_errors() {
        return None;
    }
    Some(parts)
}

pub(super) struct ConfigParts {
    pub economics: Economics,
    pub accelerators: Vec<Accelerator>,
    pub training: Vec<Training>,
    pub inference: Vec<Inference>,
    pub measured: Vec<Measured>,
    pub calibration: Vec<Calibration>,
    pub report: Report,
}

/// Checks `refs` (`"kind:id"` with the origin that names it) and every list's references to
/// other lists, then fills the report's defaults.
fn resolve(parts: &mut ConfigParts, mut refs: Vec<(String, Origin)>, ctx: &mut Ctx) {
    // Dangling references.
    for m in &parts.measured {
        refs.push((format!("inference:{}", m.workload), m.workload_origin.clone()));
        refs.push((format!("accelerator:{}", m.accelerator), m.accelerator_origin.clone()));
    }
    for c in &parts.calibration {
        refs.push((format!("accelerator:{}", c.accelerator), c.accelerator_origin.clone()));
    }
    for (r, origin) in refs {
        let Some((kind, id)) = r.split_once(':') else {
            continue;
        };
        let ids: Vec<&str> = match kind {
            "accelerator" => parts.accelerators.iter().map(|a| a.id.as_str()).collect(),
            "training" => parts.training.iter().map(|w| w.id.as_str()).collect(),
            _ => parts.inference.iter().map(|w| w.id.as_str()).collect(),
        };
        if !ids.contains(&id) {
            let hint = match did_you_mean(id, ids.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None if ids.is_empty() => format!("no [[{kind}]] entries are loaded"),
                None => format!("known {kind} ids: {}", ids.join(", ")),
            };
            ctx.diags.err(&origin, format!("unknown {kind} id `{id}`"), &hint);
        }
    }

    // Defaults that depend on what was loaded.
    if parts.report.accelerators.is_empty() {
        parts.report.accelerators = parts.accelerators.iter().map(|a| a.id.clone()).collect();
    }
    if parts.report.reference.is_empty() {
        parts.report.reference = parts
            .accelerators
            .iter()
            .find(|a| a.id == "h100-sxm")
            .or_else(|| parts.accelerators.iter().find(|a| a.family == Family::Gpu))
            .or(parts.accelerators.first())
            .map(|a| a.id.clone())
            .unwrap_or_default();
    }
    if parts.report.training_workload.is_none() {
        parts.report.training_workload = parts.training.first().map(|w| w.id.clone());
    }
    if parts.report.inference_workload.is_none() {
        parts.report.inference_workload = parts.inference.iter().find(|w| !w.benchmark).map(|w| w.id.clone());
    }
}

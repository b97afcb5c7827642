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
    chip_price_far_from_family(&parts.accelerators, ctx);
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

/// How far (a factor either way) an owned `chip_usd` may sit from the median of its family's
/// other chips before it warns. Shipped spread: GPUs from the A100's $16,900 to the B300's
/// $46,667 (0.49x to 1.34x of the GPU median $34,722); a server's price (8 chips) or a rack's
/// (72) lands beyond 5x.
pub(crate) const CHIP_USD_FAMILY_FACTOR: f64 = 5.0;

/// Plausibility of owned chip prices (docs/config.md "Validation"): a `chip_usd` more than
/// [`CHIP_USD_FAMILY_FACTOR`] times above or below the median of at least two other chips of
/// its family warns, naming the key and the likely slip (a server's or rack's price, or the
/// price of a different part).
fn chip_price_far_from_family(accelerators: &[Accelerator], ctx: &mut Ctx) {
    let priced: Vec<(&Accelerator, f64)> = accelerators
        .iter()
        .filter_map(|a| Some((a, ctx.params.info(a.owned.as_ref()?.chip_usd).base)))
        .filter(|(_, x)| x.is_finite() && *x > 0.0)
        .collect();
    for (a, x) in &priced {
        let mut others: Vec<f64> = priced
            .iter()
            .filter(|(b, _)| b.family == a.family && b.id != a.id)
            .map(|(_, y)| *y)
            .collect();
        if others.len() < 2 {
            continue;
        }
        others.sort_by(f64::total_cmp);
        let n = others.len();
        let median = if n % 2 == 1 {
            others[n / 2]
        } else {
            (others[n / 2 - 1] + others[n / 2]) / 2.0
        };
        let factor = x / median;
        if (1.0 / CHIP_USD_FAMILY_FACTOR..=CHIP_USD_FAMILY_FACTOR).contains(&factor) {
            continue;
        }
        let likely = if factor > 1.0 {
            "a server's or rack's price? (write one chip's price: divide by the chips it holds)"
        } else {
            "the price of a smaller part, or in thousands? (write one chip's price in USD)"
        };
        let Some(o) = a.owned.as_ref() else { continue };
        let origin = ctx.params.info(o.chip_usd).origin.clone();
        ctx.diags.warn(
            &origin,
            format!(
                "chip_usd of `{}` is {} USD, {} x the median of the other {} {} chips ({} USD): {likely}",
                a.id,
                super::reader::show(*x),
                super::reader::show((factor * 10.0).round() / 10.0),
                n,
                a.family.name(),
                super::reader::show(median)
            ),
        );
    }
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
        // Every chip of today's era: legacy and next-generation chips are drawn only by the
        // decade charts unless named.
        parts.report.accelerators = parts
            .accelerators
            .iter()
            .filter(|a| a.era == crate::config::Era::Current)
            .map(|a| a.id.clone())
            .collect();
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

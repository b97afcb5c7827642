//! Cross-references between tables, checked after every table is read: each id a table names
//! (`[[measured]] workload`, `report.reference`, ...) must exist; then the defaults that depend
//! on what was loaded (report subset, reference, workloads of the charts).

use super::diag::did_you_mean;
use super::reader::Ctx;
use super::tree::Origin;
use super::types::Family;
use super::validate::ConfigParts;

/// Checks `refs` (`"kind:id"` with the origin that names it) and every list's references to
/// other lists, then fills the report's defaults.
pub(super) fn resolve(parts: &mut ConfigParts, mut refs: Vec<(String, Origin)>, ctx: &mut Ctx) {
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

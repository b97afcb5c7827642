//! Config loading: files and folders, merge, `--set`, validation (docs/config.md).
//!
//! Two stages: [`load`] reads TOML into a raw tree with origins (`tree`), then each table's
//! reader (`tables/<table>.rs`) and the cross-table `rules` turn it into a typed [`Config`]
//! that nothing downstream re-checks.

pub mod diag;
pub mod load;
mod param;
mod reader;
mod rules;
pub(crate) mod schema;
mod tables;
pub mod tree;

use std::path::PathBuf;
use std::sync::Arc;

pub use diag::{Diag, Severity};
pub use param::{Param, ParamInfo, ParamTable, Precision, Provenance};
pub use tables::accelerator::{Accelerator, Efficiency, Era, Family, Owned, ServingEfficiency, TrainingMfu};
pub use tables::calibration::{Calibration, HoursBasis};
pub use tables::economics::{Basis, Economics, Market};
pub use tables::inference::{Inference, KvSize};
pub use tables::measured::Measured;
pub use tables::offer::{Offer, ProviderClass, Term};
pub use tables::report::{CHART_NAMES, RETIRED as RETIRED_CHARTS, Report};
pub use tables::training::{AttentionShape, Training};
pub use tree::Origin;

/// Loads, merges and validates configs. On failure, every error (and warning) found.
pub fn load(paths: &[PathBuf], sets: &[String]) -> Result<Config, Vec<Diag>> {
    let mut diags = diag::Diags::default();
    let (files, root, stamps) = load::merged_tree(paths, sets, &mut diags);
    // A file rewritten while it was read: its errors (or its silent defaults) come from a
    // partial text, so only that is said.
    let changed = |items| {
        let c = load::changed_since_read(&stamps);
        if c.is_empty() { items } else { c }
    };
    if diags.has_errors() {
        return Err(changed(diags.items));
    }
    let mut canon = String::new();
    tree::canonical(&root, &mut canon);
    let hash = format!("{:016x}", tree::fnv1a(&canon))[..7].to_string();
    let mut ctx = reader::Ctx {
        params: ParamTable::default(),
        diags,
        as_of: None,
        files: files.clone(),
    };
    let parts = rules::validate(&root, &mut ctx);
    let late = load::changed_since_read(&stamps);
    if !late.is_empty() {
        return Err(late);
    }
    match parts {
        Some(p) => Ok(Config {
            params: ctx.params,
            economics: p.economics,
            accelerators: p.accelerators,
            training: p.training,
            inference: p.inference,
            measured: p.measured,
            calibration: p.calibration,
            report: p.report,
            files,
            overrides: sets.to_vec(),
            warnings: ctx.diags.items,
            as_of: ctx.as_of,
            hash,
        }),
        None => Err(changed(ctx.diags.items)),
    }
}

/// Loads config text given in memory (through a temporary file, so origins name a file).
pub fn load_str(name: &str, text: &str, sets: &[String]) -> Result<Config, Vec<Diag>> {
    // A folder per call: two threads loading the same text at once (parallel tests) must not
    // share one, or the first to finish removes the other's file.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("accel-cost-{}-{}-{call}", std::process::id(), tree::fnv1a(text)));
    if std::fs::create_dir_all(&dir).is_err() {
        return Err(vec![Diag::error(Origin::Default, "cannot create a temporary folder".into(), "")]);
    }
    let file = dir.join(name);
    let result = match std::fs::write(&file, text) {
        Ok(()) => load(&[file], sets),
        Err(e) => Err(vec![Diag::error(
            Origin::Default,
            format!("cannot write a temporary file: {e}"),
            "",
        )]),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A loaded, merged and validated config.
#[derive(Clone, Debug)]
pub struct Config {
    pub params: ParamTable,
    pub economics: Economics,
    pub accelerators: Vec<Accelerator>,
    pub training: Vec<Training>,
    pub inference: Vec<Inference>,
    pub measured: Vec<Measured>,
    pub calibration: Vec<Calibration>,
    pub report: Report,
    /// Files read, in merge order.
    pub files: Vec<String>,
    /// `--set` arguments applied, in order.
    pub overrides: Vec<String>,
    pub warnings: Vec<Diag>,
    /// The latest `as_of` date any table gives.
    pub as_of: Option<String>,
    /// Short fingerprint of the merged config (for chart footers).
    pub hash: String,
}

impl Config {
    pub fn accelerator(&self, id: &str) -> Option<&Accelerator> {
        self.accelerators.iter().find(|a| a.id == id)
    }

    pub fn training(&self, id: &str) -> Option<&Training> {
        self.training.iter().find(|w| w.id == id)
    }

    pub fn inference(&self, id: &str) -> Option<&Inference> {
        self.inference.iter().find(|w| w.id == id)
    }

    /// The inference workloads tables and charts show: every one but the benchmarks'.
    pub fn served(&self) -> impl Iterator<Item = &Inference> {
        self.inference.iter().filter(|w| !w.benchmark)
    }

    pub fn measured(&self, workload: &str, accelerator: &str) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.workload == workload && m.accelerator == accelerator)
    }

    /// The numbers a config file gave without a `source` (a planner's table or patch that
    /// cites none): "key path (file:line)", in config order. Empty for the shipped configs.
    pub fn unsourced(&self) -> Vec<String> {
        self.params
            .infos
            .iter()
            .filter(|i| i.source.is_none() && !i.path.is_empty())
            .filter_map(|i| match &i.origin {
                Origin::File { file, line, .. } => Some(format!("{} ({file}:{line})", i.path)),
                _ => None,
            })
            .collect()
    }

    /// Every distinct source the config cites, in first-seen order.
    pub fn sources(&self) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for s in self.params.infos.iter().filter_map(|i| i.source.clone()) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

//! Config loading: files and folders, merge, `--set`, validation (CONFIG.md).
//!
//! Two stages: [`load`] reads TOML into a raw tree with origins (`tree`), then `validate` turns
//! it into a typed [`Config`] that nothing downstream re-checks.

pub mod diag;
pub mod load;
mod reader;
pub mod schema;
pub mod tree;
pub mod types;
mod validate;
mod xref;

use std::path::PathBuf;

pub use diag::{Diag, Severity};
pub use tree::Origin;
pub use types::*;

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
    let parts = validate::validate(&root, &mut ctx);
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

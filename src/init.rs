//! `init DIR`: a commented starter config folder that validates and that a planner grows from.

use std::path::Path;

use crate::error::AppError;
use crate::output;

/// The starter files (name, text). Figures are copied, with sources, from the shipped configs.
pub const FILES: [(&str, &str); 3] = [
    ("accelerators.toml", include_str!("init/accelerators.toml")),
    ("economics.toml", include_str!("init/economics.toml")),
    ("workloads.toml", include_str!("init/workloads.toml")),
];

/// The starter config, loaded (for tests that need a small, valid, sourced config).
#[cfg(test)]
pub fn starter_config() -> crate::config::Config {
    let text: String = FILES.iter().map(|(_, t)| *t).collect::<Vec<_>>().join("\n");
    match crate::config::load_str("starter.toml", &text, &[]) {
        Ok(c) => c,
        Err(e) => panic!("starter config invalid: {e:?}"),
    }
}

pub fn init(dir: &Path) -> Result<(), AppError> {
    if !is_free(dir) {
        return Err(AppError::usage(
            format!("{} exists and is not empty", dir.display()),
            "init writes into a new or empty folder; pick another name",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| AppError::Io(format!("cannot create {}: {e}", dir.display())))?;
    for (name, text) in FILES {
        let path = dir.join(name);
        output::write_atomic(&path, text.as_bytes()).map_err(|e| AppError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    let msg = format!(
        "Wrote a starter config to {d}/ ({n} files).\nNext:\n  accel-cost validate -c {d}\n  accel-cost compare -c {d}\n  accel-cost report -c {d} -o {d}-output\n",
        d = dir.display(),
        n = FILES.len()
    );
    output::stdout(msg.as_bytes())?;
    Ok(())
}

/// True when `dir` does not exist or is an empty folder.
fn is_free(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut it) => it.next().is_none(),
        Err(_) => !dir.exists(),
    }
}

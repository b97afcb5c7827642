//! The one gate for messages on stderr other than the final error: warnings and progress.
//! `-q/--quiet` silences them; errors always print (from `main`).

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences warnings and progress for the rest of the process.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q/--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Prints a warning (already formatted as `warning: ...`) unless quiet.
pub fn warn(w: impl Display) {
    if !quiet() {
        // Config text in a message (ids, names) cannot drive the terminal or break the line.
        eprintln!("{}", crate::config::diag::escape(&w.to_string()));
    }
}

/// Prints a progress or note line unless quiet.
pub fn note(line: impl Display) {
    if !quiet() {
        eprintln!("{}", crate::config::diag::escape(&line.to_string()));
    }
}

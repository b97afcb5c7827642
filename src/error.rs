//! The one error type of the commands, and so the exit code (docs/cli.md): 2 for a usage or config
//! error, 1 for an I/O or rendering failure. Its `Display` is what `main` prints, with control
//! characters from config text escaped (`config::diag::escape`).

use std::fmt;

use crate::config::Diag;
use crate::config::diag::escape;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Config errors, each with file:line:col (exit 2); printed one per line.
    #[error("{}", Lines(.0))]
    Config(Vec<Diag>),
    /// A usage error: unknown id, bad folder (exit 2).
    #[error("error: {} ({})", escape(.what), escape(.hint))]
    Usage { what: String, hint: String },
    /// I/O or rendering failure (exit 1).
    #[error("error: {}", escape(.0))]
    Io(String),
}

struct Lines<'a>(&'a [Diag]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl AppError {
    /// The process exit code: 1 for I/O, 2 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Io(_) => 1,
            _ => 2,
        }
    }

    pub fn usage(what: impl Into<String>, hint: impl Into<String>) -> Self {
        AppError::Usage {
            what: what.into(),
            hint: hint.into(),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Io(e.to_string())
    }
}

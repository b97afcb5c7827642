//! accel-cost: thin shell around the library. One exit point; errors as
//! `error: <file>:<line>:<col>: <what> (<hint>)`.

use clap::Parser;

use accel_cost::app::{self, AppError};
use accel_cost::cli::Cli;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = app::run(cli) {
        match &e {
            AppError::Config(diags) => {
                for d in diags {
                    eprintln!("{d}");
                }
            }
            AppError::Usage { what, hint } => eprintln!("error: {what} ({hint})"),
            AppError::Io(msg) => eprintln!("error: {msg}"),
        }
        std::process::exit(e.exit_code());
    }
}

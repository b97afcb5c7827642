//! accel-cost: thin shell around the library. One exit point; errors as
//! `error: <file>:<line>:<col>: <what> (<hint>)`.

use clap::Parser;

use accel_cost::app;
use accel_cost::cli::Cli;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = app::run(cli) {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}

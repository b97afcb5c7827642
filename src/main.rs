//! accel-cost: thin shell around the library. One exit point; errors as
//! `error: <file>:<line>:<col>: <what> (<hint>)`.

use clap::Parser;

use accel_cost::app;
use accel_cost::cli::Cli;

// Out of memory is a one-line error and exit code 1, not an abort (see `accel_cost::oom`).
#[global_allocator]
static ALLOC: accel_cost::oom::ExitOnOom = accel_cost::oom::ExitOnOom;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = app::run(cli) {
        // One write: a file with 100,000 bad keys prints its errors in a blink.
        let text = format!("{e}\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
        std::process::exit(e.exit_code());
    }
}

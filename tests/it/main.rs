//! Integration tests: one binary (link once), a module per concern. Each test runs the real
//! `accel-cost` binary on configs in tests/fixtures/.

mod commands;
mod common;
mod exports;
mod formulas;
mod kill_loop;
mod prices;
mod provenance;
mod reliability;
mod report;
mod safe_outputs;
mod schema;
mod serving;
mod training;
mod validation;
mod workbook;

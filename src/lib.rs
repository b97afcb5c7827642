//! accel-cost: what AI training and inference cost on NVIDIA and AMD GPUs, AWS Trainium and
//! Inferentia, and Google TPUs. The library holds config loading (`config`), the pure cost
//! model (`model`), exporters (`export`), charts (`chart`) and the report; `main.rs` is a thin
//! shell over [`app::run`]. Modules are crate-private unless the integration tests, benches or
//! examples use them, so the compiler reports dead code.

pub mod app;
pub mod chart;
pub mod cli;
pub mod config;
pub(crate) mod error;
pub(crate) mod explain;
pub mod export;
pub(crate) mod family;
pub(crate) mod fmt;
pub(crate) mod init;
pub mod model;
pub(crate) mod msg;
pub mod oom;
pub mod output;
pub(crate) mod par;
pub mod report;

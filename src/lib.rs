//! accel-cost: what AI training and inference cost on NVIDIA GPUs, AWS Trainium and
//! Inferentia, and Google TPUs. The library holds config loading (`config`), the pure cost
//! model (`model`), exporters (`export`), charts (`chart`) and the report; `main.rs` is a thin
//! shell over [`app::run`].

pub mod app;
pub mod chart;
pub mod cli;
pub mod config;
pub mod error;
pub mod explain;
pub mod export;
pub mod fmt;
pub mod init;
pub mod model;
pub mod msg;
pub mod oom;
pub mod output;
pub mod par;
pub mod report;

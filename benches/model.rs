//! Benchmarks recorded in the README: model evaluation, Monte Carlo, and whole-process runs of
//! `compare` and `report` on the shipped configs (release profile).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

use accel_cost::config::{self, Config};
use accel_cost::model::compare::{self, Workload};
use accel_cost::model::training;
use accel_cost::model::uncertainty::Draws;

fn shipped() -> Config {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("configs");
    match config::load(&[dir], &[]) {
        Ok(c) => c,
        Err(e) => panic!("shipped configs do not load: {e:?}"),
    }
}

fn model(c: &mut Criterion) {
    let cfg = shipped();
    let v = cfg.params.base_values();
    let w = &cfg.training[0];
    let acc = cfg.accelerator("h100-sxm").unwrap_or(&cfg.accelerators[0]);
    let inputs = training::inputs(&cfg, &training::Shape::from(w), acc, &v, &mut ()).ok();
    if let Some(i) = inputs {
        c.bench_function("training figures (resolved inputs)", |b| {
            b.iter(|| training::figures(black_box(&i), &mut ()))
        });
    }
    c.bench_function("training estimate (from config)", |b| {
        b.iter(|| training::estimate(&cfg, w, black_box(acc), black_box(&v), &mut ()))
    });
    let accs: Vec<_> = cfg.accelerators.iter().collect();
    c.bench_function("compare tables, point values (all workloads x accelerators)", |b| {
        b.iter(|| compare::compare(&cfg, black_box(&accs), &v))
    });
    c.bench_function("Monte Carlo: draw 2000 samples of every ranged input", |b| {
        b.iter(|| Draws::all(&cfg.params, 2000, 42))
    });
    let mut one = cfg.clone();
    one.report.samples = 1;
    c.bench_function("report data (all charts' numbers), 1 sample", |b| {
        b.iter(|| accel_cost::report::build(black_box(&one)))
    });
    c.bench_function("report data (all charts' numbers), 2000 samples", |b| {
        b.iter(|| accel_cost::report::build(black_box(&cfg)))
    });
    c.bench_function("Monte Carlo 2000 samples: draw + bands on all tables", |b| {
        b.iter(|| {
            let mut tables: Vec<_> = Workload::all(&cfg)
                .into_iter()
                .map(|w| compare::table(&cfg, w, &accs, &v))
                .collect();
            // As `compare` and `report` do: only the inputs the rows read are drawn.
            let used = tables
                .iter()
                .flat_map(|t| t.rows.iter().flat_map(|r| r.ranged_inputs.iter().copied()));
            let samples = Draws::new(&cfg.params, used, 2000, 42);
            for t in &mut tables {
                compare::add_bands(&cfg, t, &samples);
            }
            tables
        })
    });
}

fn process(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_accel-cost");
    let root = env!("CARGO_MANIFEST_DIR");
    let mut g = c.benchmark_group("whole process");
    g.sample_size(20);
    g.bench_function("accel-cost compare", |b| {
        b.iter(|| {
            Command::new(exe)
                .arg("compare")
                .current_dir(root)
                .output()
                .map(|o| o.status.success())
        })
    });
    let out = std::env::temp_dir().join(format!("accel-cost-bench-{}", std::process::id()));
    g.bench_function("accel-cost report", |b| {
        b.iter(|| {
            Command::new(exe)
                .args(["report", "-o"])
                .arg(&out)
                .current_dir(root)
                .output()
                .map(|o| o.status.success())
        })
    });
    g.bench_function("accel-cost report, Monte Carlo off (samples=1)", |b| {
        b.iter(|| {
            Command::new(exe)
                .args(["report", "--set", "report.monte_carlo.samples=1", "-o"])
                .arg(&out)
                .current_dir(root)
                .output()
                .map(|o| o.status.success())
        })
    });
    // The memory target (peak at 50,000 draws within twice the peak at 2,000) is measured with
    // `/usr/bin/time -v`; this times the same run.
    g.sample_size(10);
    g.bench_function("accel-cost report, 50,000 Monte Carlo draws", |b| {
        b.iter(|| {
            Command::new(exe)
                .args(["report", "--set", "report.monte_carlo.samples=50000", "-o"])
                .arg(&out)
                .current_dir(root)
                .output()
                .map(|o| o.status.success())
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, model, process);
criterion_main!(benches);

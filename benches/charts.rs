//! Chart rendering benchmarks recorded in the README: every chart of `report` on the shipped
//! configs drawn to PNG bytes (draw + encode, one thread), drawing alone, and the slowest
//! chart on its own.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

use accel_cost::chart::{self, Canvas, Format};
use accel_cost::config;

fn charts(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("configs");
    let cfg = match config::load(&[dir], &[]) {
        Ok(c) => c,
        Err(e) => panic!("shipped configs do not load: {e:?}"),
    };
    let data = accel_cost::report::build(&cfg);
    let canvas = Canvas::default();
    let mut g = c.benchmark_group("report charts");
    g.sample_size(20);
    g.bench_function(format!("all {} charts to PNG bytes (1 thread)", data.charts.len()), |b| {
        b.iter(|| {
            data.charts
                .iter()
                .map(|f| chart::render_bytes(black_box(&f.chart), canvas, Format::Png).map(|v| v.len()))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("all charts drawn to RGB (no PNG encoding)", |b| {
        b.iter(|| {
            data.charts
                .iter()
                .map(|f| chart::render_rgb(black_box(&f.chart), canvas).map(|v| v.len()))
                .collect::<Vec<_>>()
        })
    });
    for f in data
        .charts
        .iter()
        .filter(|f| f.stem == "inference-cost-vs-batch" || f.stem == "headline-cost-vs-reference")
    {
        g.bench_function(format!("{} to PNG bytes", f.stem), |b| {
            b.iter(|| chart::render_bytes(black_box(&f.chart), canvas, Format::Png))
        });
    }
    g.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);

//! Config loading on large inputs stays linear: a 2 MB array on one line (column lookup) and a
//! table of 100,000 keys (key lookup and merge). Each was quadratic once (9 s and 28 s).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use accel_cost::config::diag::Diags;
use accel_cost::config::load::parse_text;
use accel_cost::config::tree::merge;

fn one_line_array() -> String {
    // About 2 MB: `[report]` then `big = [1.234567,1.234567,...]` on one line.
    let n = 2 * 1024 * 1024 / 9;
    format!("[report]\nbig = [{}]\n", vec!["1.234567"; n].join(","))
}

fn many_keys() -> String {
    (0..100_000).map(|i| format!("k{i} = 1\n")).collect()
}

fn load(name: &str, text: &str) -> usize {
    let mut diags = Diags::default();
    let node = parse_text(Arc::from(name), text.as_bytes(), &mut diags);
    merge(node.into_iter().collect(), &mut diags).entries.len()
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("config parse");
    g.sample_size(10);
    let array = one_line_array();
    g.bench_function("2 MB array on one line", |b| b.iter(|| load("array.toml", black_box(&array))));
    let keys = many_keys();
    g.bench_function("100,000 top-level keys", |b| b.iter(|| load("keys.toml", black_box(&keys))));
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);

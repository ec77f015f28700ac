//! Rule evaluation throughput: Falco's stable rules (../shared/runtime/falco-rules) and
//! Bulwark's built-in runtime rules on the recorded events of tests/data (every one of a type some rule watches, a third benign).
//! `cargo bench -p bulwark-rules --bench eval`; the figure is recorded in docs/BENCHMARKS.md.
#![allow(missing_docs)] // criterion's macros generate undocumented functions

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use bulwark_rules::{Limits, RuleFile, load};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/runtime/falco-rules"
);
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn bench(c: &mut Criterion) {
    let content = std::fs::read(format!("{SHARED}/falco_rules.yaml")).expect("falco_rules.yaml");
    let res = load(
        &[RuleFile {
            name: "falco_rules.yaml",
            content: &content,
        }],
        &Limits::default(),
    );
    let rs = res.ruleset.expect("rules load");
    let events = common::read_events(&format!("{DATA}/falco_rules_replay.jsonl"));

    let mut g = c.benchmark_group("falco_rules.yaml");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("first_match/recorded", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in &events {
                n += usize::from(rs.first_match(black_box(ev)).is_some());
            }
            n
        });
    });
    g.bench_function("all_matches/recorded", |b| {
        let mut out = Vec::with_capacity(8);
        b.iter(|| {
            for ev in &events {
                out.clear();
                rs.all_matches(black_box(ev), &mut out);
            }
            out.len()
        });
    });
    g.finish();

    // Bulwark's built-in runtime rules on the same events.
    let builtin = include_bytes!("../../bulwark-sensor/rules/bulwark_rules.yaml");
    let ours = load(
        &[RuleFile {
            name: "bulwark_rules.yaml",
            content: builtin,
        }],
        &Limits::default(),
    )
    .ruleset
    .expect("the built-in rules load");
    let mut g = c.benchmark_group("bulwark_rules.yaml");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("first_match/recorded", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in &events {
                n += usize::from(ours.first_match(black_box(ev)).is_some());
            }
            n
        });
    });
    g.finish();

    let mut g = c.benchmark_group("load");
    g.throughput(Throughput::Bytes(content.len() as u64));
    g.sample_size(20);
    g.bench_function("falco_rules.yaml", |b| {
        b.iter(|| {
            load(
                &[RuleFile {
                    name: "falco_rules.yaml",
                    content: black_box(&content),
                }],
                &Limits::default(),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

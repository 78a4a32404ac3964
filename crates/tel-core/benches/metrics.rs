//! Benchmarks of tel-core's hot paths: the writer's per-event metrics, deliverable sanitisation and an
//! accuracy report over 100k synthetic events.

use std::hint::black_box;

use criterion::Criterion;
use tel_core::{
    AccuracyAccumulator, EventMetrics, EventView, StopReasonKind, UsageKind, sanitize_deliverables,
};

/// The writer test's 26 deliverables: 25 short paths and one of 257 characters.
fn deliverables() -> Vec<String> {
    let mut items: Vec<String> = (0..25).map(|i| format!("src/file{i}.py")).collect();
    items.push(format!("src/{}.py", "x".repeat(250)));
    items
}

/// Deterministic synthetic events (a small linear congruential generator; no RNG dependency).
fn synthetic_events(n: usize) -> Vec<(EventView, i64)> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    (0..n)
        .map(|_| {
            let ceiling = [4096, 8192, 16384][next(3) as usize];
            let actual = 50 + next(ceiling as u64) as i64;
            let truncated = next(10) < 3;
            let view = EventView {
                predicted: 1 + next(20_000) as i64,
                actual: Some(if truncated { ceiling } else { actual }),
                actual_max_tokens: (next(2) == 0).then_some(ceiling),
                truncated,
                stop_reason_kind: if truncated {
                    StopReasonKind::Truncated
                } else {
                    StopReasonKind::Completed
                },
                usage_kind: Some(UsageKind::Output),
            };
            (view, view.predicted)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    c.bench_function("EventMetrics::compute", |b| {
        b.iter(|| EventMetrics::compute(black_box(5200), black_box(16384)))
    });
    let items = deliverables();
    c.bench_function("sanitize_deliverables (26 items)", |b| {
        b.iter(|| sanitize_deliverables(black_box(&items)))
    });
    let events = synthetic_events(100_000);
    c.bench_function("AccuracyReport over 100k events", |b| {
        b.iter(|| {
            let mut acc = AccuracyAccumulator::default();
            acc.extend(black_box(&events).iter().copied());
            acc.finish()
        })
    });
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}

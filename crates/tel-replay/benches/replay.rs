//! Benchmarks of the replays per event, over 2,000 generated events held in memory (no database): the
//! default censoring-aware replay (stored predictions vs `v2-head`, strata included) and the legacy replay.

use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, Throughput};
use tel_core::estimator::{EmptyWorkspace, Estimator, Profile};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::generate::{GenerateConfig, generate};
use tel_replay::legacy_replay::{LegacySample, replay_legacy};
use tel_replay::replay::{NamedPredictor, Replay, ReplayOptions, stored_prediction};

/// Events per iteration.
const EVENTS: u64 = 2000;

/// The `v2-head` estimator over an empty workspace, as `tel replay` runs it by default.
fn v2_head() -> EstimatorPredictor {
    let profile = Profile::builtin("v2-head").expect("v2-head is built in");
    EstimatorPredictor::new(Estimator::new(profile), Rc::new(EmptyWorkspace))
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let events: Vec<_> = generate(GenerateConfig::new(EVENTS, 1)).collect();
    let mut group = criterion.benchmark_group("replay");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("censoring-aware, stored vs v2-head, 2000 events", |b| {
        b.iter(|| {
            let predictors = vec![
                NamedPredictor {
                    name: "stored".into(),
                    predictor: Box::new(stored_prediction),
                },
                NamedPredictor {
                    name: "v2-head".into(),
                    predictor: Box::new(v2_head()),
                },
            ];
            let mut replay = Replay::new(predictors, ReplayOptions::default());
            for event in black_box(&events) {
                replay.push(event).expect("values stay in memory");
            }
            replay.finish().expect("values stay in memory")
        })
    });
    let samples: Vec<LegacySample> = events.iter().map(LegacySample::from_event).collect();
    group.bench_function("legacy, v2-head, 2000 events", |b| {
        b.iter(|| replay_legacy(black_box(&samples), &mut v2_head()).expect("samples replay"))
    });
    group.finish();
    criterion.final_summary();
}

//! The censoring-aware replay against METRICS.md B11 (the 28-row snapshot, stored and v2-head predictions).

use std::rc::Rc;

use tel_core::TelemetryEvent;
use tel_core::estimator::{EmptyWorkspace, Estimator, Profile};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::generate::{GenerateConfig, generate};
use tel_replay::replay::{
    NamedPredictor, Replay, ReplayCsvWriter, ReplayOptions, render_table, stored_prediction,
};

use crate::spec_predictions::{snapshot_cases, v2_head};
use crate::support::legacy_events;

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("value present");
    assert!(
        ((actual - expected) / expected).abs() < 1e-12,
        "{actual} vs {expected}"
    );
}

/// The snapshot in event_id order, and the spec's v2-head prediction per event (replay order is event_id 28 … 1).
fn snapshot() -> Option<(Vec<TelemetryEvent>, Vec<i64>)> {
    let mut events = legacy_events()?;
    events.sort_by_key(|e| e.event_id);
    let by_replay_position = v2_head(&snapshot_cases());
    Some((events, by_replay_position))
}

fn replay(events: &[TelemetryEvent], v2: Vec<i64>) -> Replay {
    let v2_predictor = move |event: &TelemetryEvent| {
        let id = event.event_id.unwrap_or_default() as usize;
        v2[28 - id]
    };
    let mut replay = Replay::new(
        vec![
            NamedPredictor {
                name: "stored".into(),
                predictor: Box::new(stored_prediction),
            },
            NamedPredictor {
                name: "v2-head".into(),
                predictor: Box::new(v2_predictor),
            },
        ],
        ReplayOptions::default(),
    );
    for event in events {
        replay.push(event).unwrap();
    }
    replay
}

#[test]
fn snapshot_accuracy_matches_the_b11_worked_example() {
    let Some((events, v2)) = snapshot() else {
        return;
    };
    let report = replay(&events, v2).finish().unwrap();
    let stored = &report.estimators[0].overall;
    assert_eq!(
        (stored.eligible, stored.truncated, stored.non_truncated),
        (28, 14, 14)
    );
    close(stored.smape.mean, 61.88380983499239);
    close(stored.smape.median, 49.16095463504738);
    close(stored.waste.median, 1.3027869453617602);
    close(stored.waste.geometric_mean, 1.4206610399113608);
    assert_eq!(
        (
            stored.underestimation.rate.count,
            stored.underestimation.rate.n,
            stored.underestimation.unknown
        ),
        (20, 28, 0)
    );
    let head = &report.estimators[1].overall;
    close(head.smape.mean, 74.79085105729007);
    close(head.smape.median, 39.61306469840281);
    close(head.waste.median, 1.4882461885311051);
    close(head.waste.geometric_mean, 2.4198133163578155);
    assert_eq!(
        (
            head.underestimation.rate.count,
            head.underestimation.rate.n,
            head.underestimation.unknown
        ),
        (11, 23, 5)
    );
    let stratum_events: u64 = report.estimators[1]
        .strata
        .iter()
        .map(|s| s.report.events)
        .sum();
    assert_eq!(stratum_events, 28);
}

#[test]
fn json_table_and_csv_outputs_carry_every_estimator() {
    let Some((events, v2)) = snapshot() else {
        return;
    };
    let mut replay = replay(&events, v2);
    let report = replay.finish().unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["estimators"][1]["name"], "v2-head");
    assert_eq!(json["estimators"][0]["overall"]["smape"]["n"], 14);
    let mut table = Vec::new();
    render_table(&report, &mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("SMAPE mean (0-200)") && table.contains("61.9") && table.contains("74.8"),
        "{table}"
    );
    let mut csv = ReplayCsvWriter::new(Vec::new(), &replay.names()).unwrap();
    csv.write_row(&events[27], &[11445, 37050]).unwrap();
    // Quoted only where Python's csv (QUOTE_MINIMAL) quotes: a comma, a quote (doubled) or a line break.
    let mut odd = events[27].clone();
    odd.category = "we\"ird, cat\nline".to_owned();
    csv.write_row(&odd, &[1, 2]).unwrap();
    let csv = String::from_utf8(csv.finish().unwrap()).unwrap();
    assert!(csv.starts_with("event_id,timestamp,"), "{csv}");
    assert!(csv.contains(",predicted:stored,predicted:v2-head\r\n28,2025-12-24T10:31:46.078894,IMPLEMENT_FEATURE,high,17,9959,,false,completed,,11445,37050\r\n"), "{csv}");
    assert!(csv.ends_with("\r\n28,2025-12-24T10:31:46.078894,\"we\"\"ird, cat\nline\",high,17,9959,,false,completed,,1,2\r\n"), "{csv}");
}

/// A replay of `events` with the stored predictions and the `v2-head` estimator, holding at most `budget`
/// per-event values in memory.
fn generated_replay(events: &[TelemetryEvent], budget: usize) -> Replay {
    let estimator = EstimatorPredictor::new(
        Estimator::new(Profile::builtin("v2-head").unwrap()),
        Rc::new(EmptyWorkspace),
    );
    let mut replay = Replay::new(
        vec![
            NamedPredictor {
                name: "stored".into(),
                predictor: Box::new(stored_prediction),
            },
            NamedPredictor {
                name: "v2-head".into(),
                predictor: Box::new(estimator),
            },
        ],
        ReplayOptions::default(),
    )
    .with_value_budget(budget);
    for event in events {
        replay.push(event).unwrap();
    }
    replay
}

#[test]
fn spilled_replay_reports_the_same_bytes_as_one_held_in_memory() {
    let events: Vec<TelemetryEvent> = generate(GenerateConfig::new(3_000, 17)).collect();
    let mut memory = generated_replay(&events, usize::MAX);
    // 3,000 events give about 15,000 values: a budget of 500 spills about 30 times.
    let mut spilled = generated_replay(&events, 500);
    assert!(!memory.spilled());
    assert!(spilled.spilled());
    let (memory, spilled) = (memory.finish().unwrap(), spilled.finish().unwrap());
    assert!(memory.estimators[1].strata.len() > 10);
    assert!(memory.estimators[1].overall.smape.median.is_some());
    assert_eq!(
        serde_json::to_string_pretty(&spilled).unwrap(),
        serde_json::to_string_pretty(&memory).unwrap()
    );
}

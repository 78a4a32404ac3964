//! The original replay reproduced byte for byte: A2.6 (a) DB mode, (b) log mode, (c) per-profile summaries.

use std::rc::Rc;

use tel_core::estimator::{EmptyWorkspace, Estimator, Profile};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::legacy_log::parse_legacy_line;
use tel_replay::legacy_replay::{
    LegacyReplay, LegacyRow, LegacySample, LegacySummaryAccumulator, SYNTHETIC_WARNING,
    SampleSource, render_legacy, replay_legacy,
};

use crate::spec_predictions::{ProfileCase, log_cases, snapshot_cases, v2_head};
use crate::support::{legacy_events, real_data, sha256};

fn log_samples() -> Option<Vec<LegacySample>> {
    let text =
        std::fs::read_to_string(real_data()?.join("build132_telemetry_samples.log")).unwrap();
    Some(
        text.lines()
            .filter_map(parse_legacy_line)
            .map(|s| LegacySample::from_log(&s))
            .collect(),
    )
}

fn snapshot_samples() -> Option<Vec<LegacySample>> {
    Some(
        legacy_events()?
            .iter()
            .map(LegacySample::from_event)
            .collect(),
    )
}

/// Replays with predictions taken from a list (the estimator's published outputs).
fn replay_with(samples: &[LegacySample], predictions: &[i64]) -> LegacyReplay {
    let mut next = predictions.iter().copied();
    let mut predictor =
        |_: &[String], _: &str, _: &str| next.next().expect("one prediction per sample");
    replay_legacy(samples, &mut predictor).unwrap()
}

fn render(replay: &LegacyReplay, source: SampleSource) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    render_legacy(replay, source, &mut out, &mut err).unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn log_mode_golden_matches_a2_6_b_byte_for_byte() {
    let Some(samples) = log_samples() else { return };
    assert_eq!(samples.len(), 14);
    let replay = replay_with(&samples, &v2_head(&log_cases()));
    let (out, err) = render(&replay, SampleSource::LogFile);
    assert_eq!(out.len(), 2024, "{out}");
    assert_eq!(
        sha256(out.as_bytes()),
        "3ae2b7833b8fd10f0e1a0e61cc795995b07b0a92bb5e2f262424ff08443bb57a",
        "{out}"
    );
    assert_eq!(err, format!("{SYNTHETIC_WARNING}\n"));
}

#[test]
fn db_mode_golden_matches_a2_6_a_byte_for_byte() {
    let Some(samples) = snapshot_samples() else {
        return;
    };
    assert_eq!(samples.len(), 28);
    let replay = replay_with(&samples, &v2_head(&snapshot_cases()));
    let (out, err) = render(&replay, SampleSource::Db);
    assert_eq!(out.len(), 3342, "{out}");
    assert_eq!(
        sha256(out.as_bytes()),
        "c2477970b0266bac84253da371feca257020c470e38b2367f5a28921dee5e116",
        "{out}"
    );
    assert!(err.is_empty(), "sample #1 has deliverables: {err}");
}

fn assert_summaries(samples: &[LegacySample], cases: &[ProfileCase]) {
    for case in cases {
        let s = replay_with(samples, &case.predictions).summary;
        let printed = (
            format!("{:.1}", s.avg_old_smape),
            format!("{:.1}", s.avg_new_smape),
            s.under_old,
            s.under_new,
            format!("{:.2}", s.median_waste_old),
            format!("{:.2}", s.median_waste_new),
        );
        let (ao, an, uo, un, wo, wn) = case.summary;
        assert_eq!(
            printed,
            (ao.into(), an.into(), uo, un, wo.into(), wn.into()),
            "{:?}",
            case.profiles
        );
        if let Some(exact) = case.exact_avg_new {
            assert_eq!(s.avg_new_smape, exact, "{:?}", case.profiles);
        }
    }
}

#[test]
fn per_profile_summaries_match_a2_6_c_on_the_log_fixture() {
    let Some(samples) = log_samples() else { return };
    assert_summaries(&samples, &log_cases());
}

#[test]
fn per_profile_summaries_match_a2_6_c_on_the_snapshot() {
    let Some(samples) = snapshot_samples() else {
        return;
    };
    assert_summaries(&samples, &snapshot_cases());
}

#[test]
fn long_categories_overflow_their_column_without_truncation() {
    let sample = LegacySample {
        category: "IMPLEMENT_FEATURE".into(),
        complexity: "maintenance".into(),
        deliverables: vec!["a.py".into()],
        deliverable_count: 1,
        old_prediction: 100,
        actual: 120,
        old_smape: 18.2,
    };
    let replay = replay_with(&[sample], &[3424]);
    let (out, err) = render(&replay, SampleSource::Db);
    assert!(out.contains("\n1   IMPLEMENT_FEATURE maintenance 1    100       3424      120      18.2       186.5      - -168.3%\n"), "{out}");
    assert!(err.is_empty());
    assert!(
        out.lines()
            .filter(|l| !l.starts_with("#   "))
            .all(|l| !l.ends_with(' '))
    );
}

#[test]
fn empty_input_and_all_zero_actuals_are_errors_not_panics() {
    let mut predictor = |_: &[String], _: &str, _: &str| 1;
    assert!(replay_legacy(&[], &mut predictor).is_err());
    let zero = LegacySample {
        category: "c".into(),
        complexity: "low".into(),
        deliverables: vec![],
        deliverable_count: 0,
        old_prediction: 0,
        actual: 0,
        old_smape: 0.0,
    };
    assert!(replay_legacy(&[zero], &mut predictor).is_err());
}

fn estimator(profile: &str) -> EstimatorPredictor {
    let profile = Profile::builtin(profile).unwrap_or_else(|| panic!("builtin profile {profile}"));
    EstimatorPredictor::new(Estimator::new(profile), Rc::new(EmptyWorkspace))
}

#[test]
fn v2_head_estimator_reproduces_both_goldens() {
    for (samples, source, sha) in [
        (
            log_samples(),
            SampleSource::LogFile,
            "3ae2b7833b8fd10f0e1a0e61cc795995b07b0a92bb5e2f262424ff08443bb57a",
        ),
        (
            snapshot_samples(),
            SampleSource::Db,
            "c2477970b0266bac84253da371feca257020c470e38b2367f5a28921dee5e116",
        ),
    ] {
        let Some(samples) = samples else { return };
        let replay = replay_legacy(&samples, &mut estimator("v2-head")).unwrap();
        let (out, _) = render(&replay, source);
        assert_eq!(sha256(out.as_bytes()), sha, "{out}");
    }
}

#[test]
fn every_historical_profile_predicts_the_published_lists() {
    for (samples, cases) in [
        (log_samples(), log_cases()),
        (snapshot_samples(), snapshot_cases()),
    ] {
        let Some(samples) = samples else { return };
        for case in &cases {
            for profile in case.profiles {
                let replay = replay_legacy(&samples, &mut estimator(profile)).unwrap();
                let predictions: Vec<i64> = replay.rows.iter().map(|r| r.new_prediction).collect();
                assert_eq!(predictions, case.predictions, "{profile}");
            }
        }
    }
}

#[test]
fn legacy_waste_medians_spilled_to_disk_equal_the_in_memory_ones() {
    let rows: Vec<LegacyRow> = (0..2_001i64)
        .map(|i| LegacyRow {
            index: i as usize + 1,
            category: "implementation".into(),
            complexity: "medium".into(),
            deliverable_count: 1,
            old_prediction: 500 + (i * 7_919) % 3_000,
            new_prediction: 300 + (i * 104_729) % 4_000,
            // Every 13th actual is 0: left out of the medians.
            actual: if i % 13 == 0 {
                0
            } else {
                100 + (i * 31) % 2_500
            },
            old_smape: (i % 200) as f64,
            new_smape: ((i * 3) % 200) as f64,
        })
        .collect();
    let mut memory = LegacySummaryAccumulator::default();
    // A budget of 10 ratios spills hundreds of runs.
    let mut spilled = LegacySummaryAccumulator::with_value_budget(10);
    for row in &rows {
        memory.push(row).unwrap();
        spilled.push(row).unwrap();
    }
    let (memory, spilled) = (memory.finish().unwrap(), spilled.finish().unwrap());
    assert_eq!(spilled, memory);
    let mut old: Vec<f64> = rows
        .iter()
        .filter(|r| r.actual > 0)
        .map(|r| r.old_prediction as f64 / r.actual as f64)
        .collect();
    old.sort_by(f64::total_cmp);
    assert_eq!(memory.median_waste_old, old[old.len() / 2]);
}

//! `tel_replay::db`, the library pipelines over a real SQLite file: the legacy replay, the export, one-pass
//! feeding of the analyses, and calibration with its provenance, compared with the same computation on the
//! events read into memory.

use std::rc::Rc;
use tel_core::{TelemetryEvent, Timestamp, ValidityGuard};

use tel_core::estimator::{EmptyWorkspace, Estimator, Profile};
use tel_replay::calibrate::events::Prepared;
use tel_replay::calibrate::{CvConfig, Method};
use tel_replay::db::calibrate::{CalibrationSettings, SourceFilters, calibrate, load_source};
use tel_replay::db::events::feed;
use tel_replay::db::export::export;
use tel_replay::db::replay::{legacy_replay, replay};
use tel_replay::db::{DbError, EventOrder, EventQuery, Progress};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::export::{ExportFormat, ExportWriter};
use tel_replay::generate::{GenerateConfig, generate};
use tel_replay::legacy_replay::{
    LegacyReplayError, LegacySample, SampleSource, render_legacy, replay_legacy,
};
use tel_replay::replay::{NamedPredictor, Replay, ReplayOptions, stored_prediction};
use tel_replay::report::{ReportBuilder, ReportOptions};
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, InsertOptions, MigrateAction, StoreError, connect,
    for_each_event, insert_events, migrate,
};

/// A migrated SQLite file holding `events` generated events (seed 7).
fn database(events: u64) -> (tempfile::TempDir, DbConn) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = DatabaseUrl::SqliteFile(dir.path().join("tel.db"));
    let mut conn = connect(&url, &ConnectOptions::default()).expect("open");
    migrate(&mut conn, MigrateAction::Apply).expect("migrate");
    let generated: Vec<TelemetryEvent> = generate(GenerateConfig::new(events, 7)).collect();
    insert_events(&mut conn, &generated, InsertOptions::RECORDER).expect("insert");
    (dir, conn)
}

fn stored(conn: &mut DbConn, query: &EventQuery) -> Vec<TelemetryEvent> {
    let mut events = Vec::new();
    for_each_event(conn, query, |event| {
        events.push(event);
        Ok::<(), StoreError>(())
    })
    .expect("read");
    events
}

/// The v2-head estimator over the empty workspace.
fn v2_head() -> EstimatorPredictor {
    EstimatorPredictor::new(Estimator::v2_head(), Rc::new(EmptyWorkspace))
}

/// Counts what a pipeline reports.
#[derive(Default)]
struct Counted {
    total: Option<u64>,
    events: u64,
}

impl Progress for Counted {
    fn total(&mut self, events: u64) {
        self.total = Some(events);
    }
    fn event(&mut self) {
        self.events += 1;
    }
}

fn newest_first() -> EventQuery {
    EventQuery {
        order: EventOrder::Descending,
        ..EventQuery::default()
    }
}

#[test]
fn legacy_replay_from_a_database_streams_the_bytes_of_the_in_memory_replay() {
    let (_dir, mut conn) = database(300);
    let samples: Vec<LegacySample> = stored(&mut conn, &newest_first())
        .iter()
        .map(LegacySample::from_event)
        .collect();
    let expected_replay = replay_legacy(&samples, &mut v2_head()).expect("replay in memory");
    let (mut expected, mut expected_warnings) = (Vec::new(), Vec::new());
    render_legacy(
        &expected_replay,
        SampleSource::Db,
        &mut expected,
        &mut expected_warnings,
    )
    .expect("render");

    let (mut out, mut warnings, mut progress) = (Vec::new(), Vec::new(), Counted::default());
    let summary = legacy_replay(
        &mut conn,
        &mut v2_head(),
        &mut out,
        &mut warnings,
        &mut progress,
    )
    .expect("legacy replay from the database");
    assert_eq!(String::from_utf8(out), String::from_utf8(expected));
    assert_eq!(warnings, expected_warnings);
    assert_eq!(summary, expected_replay.summary);
    assert_eq!((progress.total, progress.events), (Some(300), 300));
}

#[test]
fn legacy_replay_of_an_empty_database_is_the_no_samples_error_and_writes_nothing() {
    let (_dir, mut conn) = database(0);
    let mut out = Vec::new();
    let err = legacy_replay(
        &mut conn,
        &mut v2_head(),
        &mut out,
        &mut Vec::new(),
        &mut (),
    )
    .unwrap_err();
    assert!(
        matches!(err, DbError::LegacyReplay(LegacyReplayError::NoSamples)),
        "{err:?}"
    );
    assert!(out.is_empty());
}

#[test]
fn export_counts_then_streams_exactly_the_filtered_events_newest_first() {
    let (_dir, mut conn) = database(200);
    let category = stored(&mut conn, &EventQuery::default())[0]
        .category
        .clone();
    let query = EventQuery {
        category: Some(category.clone()),
        ..newest_first()
    };
    let matching = stored(&mut conn, &query);
    assert!(!matching.is_empty() && matching.len() < 200);
    for format in [ExportFormat::Ndjson, ExportFormat::Csv] {
        let mut expected = ExportWriter::new(Vec::new(), format, true).expect("writer");
        for event in &matching {
            expected.write_event(event).expect("write");
        }
        let expected = expected.finish().expect("finish");
        let (mut out, mut announced, mut progress) = (Vec::new(), None, Counted::default());
        let written = export(
            &mut conn,
            &query,
            format,
            true,
            &mut out,
            |total| announced = Some(total),
            &mut progress,
        )
        .expect("export");
        assert_eq!(written, matching.len() as u64, "{format:?}");
        assert_eq!(announced, Some(written), "{format:?}");
        assert_eq!(progress.total, Some(written), "{format:?}");
        assert_eq!(out, expected, "{format:?}");
    }
}

#[test]
fn one_pass_feeds_the_replay_and_the_report_as_separate_passes_would() {
    let (_dir, mut conn) = database(250);
    let estimators = || {
        Replay::new(
            vec![NamedPredictor {
                name: "stored".into(),
                predictor: Box::new(stored_prediction),
            }],
            ReplayOptions::default(),
        )
    };
    let (mut together, mut builder) = (estimators(), ReportBuilder::new(ReportOptions::default()));
    let read = feed(
        &mut conn,
        &EventQuery::default(),
        &mut [&mut together, &mut builder],
        &mut (),
    )
    .expect("feed");
    assert_eq!(read, 250);
    let alone = replay(&mut conn, &EventQuery::default(), estimators(), &mut ()).expect("replay");
    assert_eq!(together.finish().expect("replay values"), alone);
    let mut again = ReportBuilder::new(ReportOptions::default());
    for event in stored(&mut conn, &EventQuery::default()) {
        again.push(&event);
    }
    assert_eq!(
        serde_json::to_value(builder.finish()).unwrap(),
        serde_json::to_value(again.finish()).unwrap()
    );
}

#[test]
fn calibration_from_a_database_records_its_filters_time_range_and_fit_in_the_provenance() {
    let (_dir, mut conn) = database(400);
    let profile = Profile::builtin("v2-head").expect("builtin");
    let filters = SourceFilters {
        since: Some("2026-01-01 00:00:00".to_owned()),
        success_only: true,
        ..SourceFilters::default()
    };
    let source = load_source(&mut conn, profile.clone(), filters).expect("load");
    let query = EventQuery {
        success: Some(true),
        since: Some(Timestamp::parse("2026-01-01 00:00:00").unwrap()),
        ..EventQuery::default()
    };
    let in_memory = stored(&mut conn, &query);
    assert_eq!(source.events, in_memory.len() as u64);
    let mut prepared = Prepared::default();
    let estimator = Estimator::new(profile.clone());
    for event in &in_memory {
        prepared.push(
            event,
            &estimator,
            ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS,
        );
    }
    assert_eq!(
        source.prepared.observations.len(),
        prepared.observations.len()
    );
    assert!(!source.prepared.observations.is_empty());

    let settings = CalibrationSettings {
        method: Method::CensoredLog,
        cv: CvConfig {
            folds: 5,
            seed: 42,
            min_samples: 5,
        },
        quantile: Some(0.9),
    };
    let calibration = calibrate(&source, &settings).expect("calibrate");
    let provenance = &calibration.provenance;
    assert_eq!(
        provenance.method,
        "tel calibrate --method censored-log from profile v2-head"
    );
    assert_eq!(
        provenance.filters.get("since").and_then(|v| v.as_str()),
        Some("2026-01-01 00:00:00")
    );
    assert_eq!(
        provenance.filters.get("success").and_then(|v| v.as_str()),
        Some("true")
    );
    assert_eq!(provenance.filters.len(), 2);
    let range = provenance.time_range.as_ref().expect("time range");
    assert_eq!(
        (range.from.clone(), range.to.clone()),
        source.time_range.clone().expect("events read")
    );
    assert_eq!(
        provenance.n,
        Some(source.prepared.observations.len() as i64)
    );
    assert_eq!(
        provenance.content_hash,
        Some(calibration.calibrated.content_hash())
    );
    assert_eq!(provenance.fit_metrics.get("quantile"), Some(&0.9));
    assert!(calibration.budgets.is_some());
}

#[test]
fn calibration_names_a_profile_without_overheads_and_a_time_filter_that_is_no_time() {
    let (_dir, mut conn) = database(20);
    let v1 = Profile::builtin("v1").expect("builtin");
    let source = load_source(&mut conn, v1, SourceFilters::default()).expect("load");
    let settings = CalibrationSettings {
        method: Method::CensoredLog,
        cv: CvConfig {
            folds: 5,
            seed: 42,
            min_samples: 5,
        },
        quantile: None,
    };
    let err = calibrate(&source, &settings).unwrap_err();
    assert!(err.to_string().starts_with("profile v1: "), "{err}");
    let bad = SourceFilters {
        until: Some("yesterday".to_owned()),
        ..SourceFilters::default()
    };
    let err = load_source(&mut conn, Profile::builtin("v2-head").unwrap(), bad).unwrap_err();
    assert!(
        matches!(
            err,
            DbError::Filter {
                filter: "until",
                ..
            }
        ),
        "{err:?}"
    );
}

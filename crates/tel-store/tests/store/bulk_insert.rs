//! Bulk inserts on both backends, for what PostgreSQL's COPY path could get wrong: repeated and stored keys
//! skipped and counted, every value (control characters, quotes, backslashes, NULL markers, unicode, NULLs)
//! stored exactly, only missing parents made, and a failed batch rolling the whole import back.

use tel_core::{Complexity, TelemetryEvent, Timestamp, UsageKind};
use tel_store::{InsertOptions, StoreError, count_rows, insert_events};

use crate::fixture::{TestDb, draft, migrated_backends};

/// Text that breaks naive COPY text or CSV encodings: the delimiters, the escape, the NULL markers, quotes,
/// line ends and multi-byte characters.
const AWKWARD: &str =
    "tab\there, comma \"quoted\" 'single' back\\slash \\N \\. \\x41 new\nline cr\r é 😀 \u{202e}";

/// An event of run `run`, phase `phase`, `second` seconds after 2025-12-24 00:00:00.
fn event(run: &str, phase: &str, second: i64) -> TelemetryEvent {
    let start = Timestamp::parse("2025-12-24 00:00:00").unwrap();
    let at = Timestamp::from_unix_micros(start.unix_micros() + second * 1_000_000);
    let mut d = draft(Complexity::Medium, &["src/a.py"], 1000, 700 + second);
    d.run_id = run.to_owned();
    d.phase_id = phase.to_owned();
    d.into_event(at, &Default::default()).unwrap()
}

/// Every stored event with its id cleared, in `(timestamp, event_id)` order.
fn stored(db: &TestDb) -> Vec<TelemetryEvent> {
    let mut events = db.events();
    events.iter_mut().for_each(|e| e.event_id = None);
    events
}

#[test]
fn bulk_insert_keeps_the_first_of_keys_repeated_within_one_batch() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let a = event("run-1", "p1", 1);
        // The same key (created_at is not part of it), a different row.
        let mut a_later = a.clone();
        a_later.created_at = Timestamp::parse("2030-01-01 00:00:00").unwrap();
        let b = event("run-1", "p2", 2);
        let batch = [a.clone(), a_later, b.clone(), a.clone()];
        let summary = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!(
            (summary.inserted, summary.duplicates),
            (2, 2),
            "{:?}",
            db.url
        );
        assert_eq!(stored(&db), [a, b], "{:?}", db.url);
    }
}

#[test]
fn bulk_insert_skips_stored_keys_and_adds_only_the_missing_phase() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let a = event("run-1", "p1", 1);
        insert_events(&mut conn, std::slice::from_ref(&a), InsertOptions::RECORDER).unwrap();
        let mut a_again = a.clone();
        a_again.created_at = Timestamp::parse("2030-01-01 00:00:00").unwrap();
        // A new phase of the stored run, and a new run.
        let c = event("run-1", "p3", 3);
        let d = event("run-2", "p1", 4);
        let batch = [a_again, c.clone(), a.clone(), d.clone()];
        let summary = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!(
            (summary.inserted, summary.duplicates),
            (2, 2),
            "{:?}",
            db.url
        );
        let again = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 4), "{:?}", db.url);
        let counts = count_rows(&mut conn).unwrap();
        assert_eq!(
            (
                counts.token_estimation_v2_events,
                counts.runs,
                counts.phases
            ),
            (3, 2, 3),
            "{:?}",
            db.url
        );
        assert_eq!(stored(&db), [a, c, d], "{:?}", db.url);
    }
}

#[test]
fn bulk_insert_stores_awkward_text_empty_text_extreme_numbers_and_nulls_exactly() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let mut full = event(AWKWARD, AWKWARD, 1);
        full.category = AWKWARD.to_owned();
        full.model = AWKWARD.to_owned();
        full.deliverables_json = serde_json::to_string(&[AWKWARD, "", "\\"]).unwrap();
        full.stop_reason = Some(AWKWARD.to_owned());
        full.timestamp = Timestamp::parse("2025-12-24 00:00:01.000001").unwrap();
        full.created_at = Timestamp::parse("1999-12-31 23:59:59.999999").unwrap();
        full.predicted_output_tokens = i64::MAX;
        full.actual_output_tokens = i64::MIN;
        full.selected_budget = -1;
        full.actual_max_tokens = Some(0);
        full.smape_percent = Some(0.1 + 0.2);
        full.waste_ratio = Some(f64::MIN_POSITIVE);
        full.underestimated = Some(false);
        full.is_truncated_output = true;
        full.doc_features.api_reference_required = Some(true);
        full.doc_features.examples_required = Some(false);
        full.doc_features.research_required = Some(true);
        full.doc_features.usage_guide_required = Some(false);
        // Empty text is not NULL.
        full.doc_features.context_quality = Some(String::new());
        full.sot.is_sot_file = Some(true);
        full.sot.sot_file_name = Some(AWKWARD.to_owned());
        full.sot.sot_entry_count_hint = Some(-7);
        full.estimator_profile = Some("\\N".to_owned());
        full.coefficients_hash = Some("NULL".to_owned());
        full.provider = Some("\"\"".to_owned());
        full.usage_kind = Some(UsageKind::Total);
        full.run_id_inferred = true;
        let mut empty = event("", "", 2);
        empty.category = String::new();
        empty.model = String::new();
        empty.deliverables_json = "[]".to_owned();
        empty.deliverable_count = 0;
        empty.stop_reason = None;
        empty.actual_max_tokens = None;
        empty.smape_percent = None;
        empty.waste_ratio = None;
        empty.underestimated = None;
        empty.doc_features = Default::default();
        empty.sot = Default::default();
        empty.estimator_profile = None;
        empty.coefficients_hash = None;
        empty.provider = None;
        empty.usage_kind = None;
        let batch = [full, empty];
        let summary = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!(summary.inserted, 2, "{:?}", db.url);
        assert_eq!(stored(&db), batch, "{:?}", db.url);
    }
}

#[test]
fn a_failing_batch_rolls_back_every_batch_of_the_transaction() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let good: Vec<TelemetryEvent> = (0..1200)
            .map(|i| event("run-1", &format!("p{i}"), i))
            .collect();
        // EXACT inserts need existing parents: run-2 has none, so its batch fails on the foreign key.
        let orphan = event("run-2", "p1", 5000);
        let result = conn.write_transaction(|conn| -> Result<(), StoreError> {
            insert_events(conn, &good, InsertOptions::RECORDER)?;
            insert_events(
                conn,
                &[event("run-1", "late", 4000), orphan],
                InsertOptions::EXACT,
            )?;
            Ok(())
        });
        let err = result.unwrap_err();
        assert!(
            err.to_string().contains("token_estimation_v2_events"),
            "{:?}: {err}",
            db.url
        );
        let counts = count_rows(&mut conn).unwrap();
        assert_eq!(
            (
                counts.token_estimation_v2_events,
                counts.runs,
                counts.phases
            ),
            (0, 0, 0),
            "{:?}",
            db.url
        );
        // The connection is usable afterwards, and the same rows then go in.
        let summary = insert_events(&mut conn, &good, InsertOptions::RECORDER).unwrap();
        assert_eq!(summary.inserted, 1200, "{:?}", db.url);
    }
}

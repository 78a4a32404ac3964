//! Adoption in place of a PostgreSQL database created by the original's ORM (fixture
//! `original_orm_postgres.sql`): every value kept, the database writable and exactly-once after.

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::Text;
use tel_core::{Complexity, TelemetryEvent, Timestamp};
use tel_store::{
    InsertOptions, MigrateAction, insert_event, insert_events, migrate, migration_state, with_conn,
};

use crate::fixture::{TestDb, draft};

const ORIGINAL_ORM: &str = include_str!("original_orm_postgres.sql");

/// Every telemetry row as JSON text without tel's columns (absent from the original's table).
const ORIGINAL_EVENT_ROWS: &str = "SELECT (to_jsonb(e) - ARRAY['estimator_profile', 'coefficients_hash', \
     'provider', 'usage_kind', 'stop_reason_kind', 'run_id_inferred', 'idempotency_key'])::text AS line \
     FROM token_estimation_v2_events e ORDER BY event_id";

#[derive(QueryableByName, Debug, PartialEq)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn lines(conn: &mut tel_store::DbConn, sql: &str) -> Vec<String> {
    with_conn!(conn, c => diesel::sql_query(sql).load::<Line>(c))
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Every row of the original's tables as JSON text, the telemetry rows without tel's columns.
fn original_rows(conn: &mut tel_store::DbConn) -> Vec<String> {
    let mut rows = lines(conn, ORIGINAL_EVENT_ROWS);
    for sql in [
        "SELECT to_jsonb(t)::text AS line FROM runs t ORDER BY 1",
        "SELECT to_jsonb(t)::text AS line FROM tiers t ORDER BY 1",
        "SELECT to_jsonb(t)::text AS line FROM phases t ORDER BY 1",
    ] {
        rows.extend(lines(conn, sql));
    }
    rows
}

#[test]
fn original_orm_postgres_database_is_adopted_in_place_losslessly() {
    let Some(db) = TestDb::empty_postgres() else {
        return;
    };
    let mut conn = db.connect();
    with_conn!(&mut conn, c => c.batch_execute(ORIGINAL_ORM)).unwrap();
    let before = original_rows(&mut conn);
    assert!(migration_state(&mut conn).unwrap().legacy);

    let dry = migrate(&mut conn, MigrateAction::DryRun).unwrap();
    assert_eq!(
        original_rows(&mut conn),
        before,
        "a dry run changes nothing"
    );
    assert!(
        dry.to_string().contains("would alter the table in place"),
        "{dry}"
    );

    let report = migrate(&mut conn, MigrateAction::Apply).unwrap();
    let text = report.to_string();
    let adoption = report.adoption.as_ref().unwrap();
    assert_eq!(adoption.event_rows, 5);
    assert!(
        adoption
            .rebuild_reason
            .as_deref()
            .unwrap()
            .contains("no complexity CHECK"),
        "{text}"
    );
    assert!(
        adoption.foreign_keys_match,
        "the ORM's cascading keys are tel's"
    );
    assert!(
        text.contains("widened integer to bigint: event_id, deliverable_count"),
        "{text}"
    );
    assert_eq!(
        adoption
            .orphans
            .iter()
            .map(|o| (o.event_id, o.run_id.as_str()))
            .collect::<Vec<_>>(),
        [(4, "unknown"), (5, "unknown")]
    );
    assert_eq!(report.keys.as_ref().map(|k| k.keyed), Some(5));
    assert_eq!(original_rows(&mut conn), before, "every value kept");
    let state = migration_state(&mut conn).unwrap();
    assert!(state.pending.is_empty() && !state.legacy, "{state:?}");
    assert_eq!(
        tel_store::introspect::complexity_check_values(&mut conn)
            .unwrap()
            .unwrap(),
        ["low", "medium", "high", "maintenance"]
    );
    let again = migrate(&mut conn, MigrateAction::Apply).unwrap();
    assert!(again.applied.is_empty() && again.adoption.is_none());

    // tel reads every row with its stored values.
    let stored = db.events();
    assert_eq!(stored.len(), 5);
    assert_eq!(stored[0].timestamp.to_sql_text(), "2025-12-23 15:33:55");
    assert_eq!(
        (stored[0].smape_percent, stored[0].waste_ratio),
        (Some(100.0), Some(0.83))
    );
    assert_eq!(stored[1].actual_max_tokens, Some(16384));
    assert_eq!(stored[1].smape_percent, None);
    assert_eq!(stored[2].sot.sot_file_name.as_deref(), Some("build_log.md"));

    // Writable: a new run (its state a value of the original's enum type), a new phase of the
    // executor's run, and the original's own insert.
    for (run_id, phase_id) in [
        ("tel-new-run", "build"),
        ("build129-p3-week1-telemetry", "tel-new-phase"),
    ] {
        let event = TelemetryEvent {
            run_id: run_id.to_owned(),
            phase_id: phase_id.to_owned(),
            ..draft(Complexity::Low, &["src/a.py"], 1000, 900)
                .into_event(
                    Timestamp::parse("2026-01-02 03:04:05").unwrap(),
                    &Default::default(),
                )
                .unwrap()
        };
        assert!(
            insert_event(&mut conn, &event, InsertOptions::RECORDER)
                .unwrap()
                .is_some()
        );
    }
    let failed_run = [
        "DONE_FAILED_REQUIRES_HUMAN_REVIEW ",
        tel_store::models::parents::CREATED_BY_TEL,
    ]
    .concat();
    assert_eq!(
        lines(
            &mut conn,
            "SELECT state::text || ' ' || COALESCE(failure_reason, '') AS line FROM runs WHERE id = 'tel-new-run'"
        ),
        [failed_run]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT p.state::text || ' ' || t.tier_id || ' ' || t.state::text AS line FROM phases p \
             JOIN tiers t ON t.id = p.tier_id WHERE p.phase_id IN ('build', 'tel-new-phase') ORDER BY 1"
        ),
        [
            "SKIPPED tel-telemetry SKIPPED",
            "SKIPPED tel-telemetry SKIPPED"
        ]
    );
    with_conn!(&mut conn, c => c.batch_execute(
        "INSERT INTO token_estimation_v2_events (run_id, phase_id, \"timestamp\", category, complexity, \
         deliverable_count, deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, \
         success, truncated, model, is_truncated_output, created_at) VALUES ('build129-p3-week1-telemetry', \
         'build129-p3-w1.1-estimator', '2026-01-03 00:00:00', 'implementation', 'low', 0, '[]', 1, 2, 3, TRUE, \
         FALSE, 'claude', FALSE, '2026-01-03 00:00:00')"
    ))
    .unwrap();

    // Exactly once: the rows as an export carries them add nothing, the executor's new row included
    // (keyed by the import path).
    let exported: Vec<TelemetryEvent> = db
        .events()
        .into_iter()
        .map(|e| TelemetryEvent {
            event_id: None,
            ..e
        })
        .collect();
    assert_eq!(exported.len(), 8);
    tel_store::fill_missing_keys(&mut conn).unwrap();
    let options = InsertOptions {
        ensure_parents: true,
        ..InsertOptions::EXACT
    };
    let again = insert_events(&mut conn, &exported, options).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 8));
}

#[test]
fn bulk_insert_into_the_original_orm_tables_creates_runs_before_their_placeholder_tiers_and_phases()
{
    let Some(db) = TestDb::empty_postgres() else {
        return;
    };
    let mut conn = db.connect();
    with_conn!(&mut conn, c => c.batch_execute(ORIGINAL_ORM)).unwrap();
    migrate(&mut conn, MigrateAction::Apply).unwrap();
    // Two phases of a new run and a new phase of the executor's run, in one batch: on PostgreSQL the
    // batch's parents are created together, and its rows are copied into the original's INTEGER columns.
    let batch: Vec<TelemetryEvent> = [
        ("tel-bulk-run", "build"),
        ("tel-bulk-run", "test"),
        ("build129-p3-week1-telemetry", "tel-bulk-phase"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (run_id, phase_id))| TelemetryEvent {
        run_id: (*run_id).to_owned(),
        phase_id: (*phase_id).to_owned(),
        ..draft(Complexity::Low, &["src/a.py"], 1000, 900 + i as i64)
            .into_event(
                Timestamp::parse("2026-01-02 03:04:05").unwrap(),
                &Default::default(),
            )
            .unwrap()
    })
    .collect();
    let summary = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
    assert_eq!((summary.inserted, summary.duplicates), (3, 0));
    assert_eq!(
        lines(
            &mut conn,
            "SELECT p.run_id || ' ' || p.phase_id || ' ' || p.state::text || ' ' || t.tier_id AS line \
             FROM phases p JOIN tiers t ON t.id = p.tier_id \
             WHERE p.phase_id IN ('build', 'test', 'tel-bulk-phase') ORDER BY 1"
        ),
        [
            "build129-p3-week1-telemetry tel-bulk-phase SKIPPED tel-telemetry",
            "tel-bulk-run build SKIPPED tel-telemetry",
            "tel-bulk-run test SKIPPED tel-telemetry"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT state::text AS line FROM runs WHERE id = 'tel-bulk-run'"
        ),
        ["DONE_FAILED_REQUIRES_HUMAN_REVIEW"]
    );
    let mut stored: Vec<TelemetryEvent> = db
        .events()
        .into_iter()
        .filter(|e| e.phase_id == "build" || e.phase_id.starts_with("te"))
        .map(|e| TelemetryEvent {
            event_id: None,
            ..e
        })
        .collect();
    stored.sort_by_key(|e| e.actual_output_tokens);
    assert_eq!(stored, batch);
}

//! An adopted database stays writable and exactly-once: missing runs and phases are created in the
//! original's wide tables, and idempotency keys are computed from stored values at adoption, after
//! an older key version and after a forced `migrate --down`.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use tel_core::{Complexity, TelemetryEvent, Timestamp};
use tel_store::{
    DatabaseUrl, InsertOptions, MigrateAction, RecordOutcome, Recorder, RecorderConfig, Spool,
    insert_event, insert_events, migrate, with_conn,
};

use crate::fixture::{TestDb, draft, migrated_backends};
use crate::legacy::{count, real_snapshot};

/// Every state of the original's run, tier and phase enums (FORMATS.md F4): its ORM cannot load
/// a row holding any other value.
const RUN_STATES: [&str; 13] = [
    "QUEUED",
    "PLAN_BOOTSTRAP",
    "RUN_CREATED",
    "PHASE_QUEUEING",
    "PHASE_EXECUTION",
    "GATE",
    "CI_RUNNING",
    "SNAPSHOT_CREATED",
    "DONE_SUCCESS",
    "DONE_FAILED_BUDGET_EXHAUSTED",
    "DONE_FAILED_POLICY_VIOLATION",
    "DONE_FAILED_REQUIRES_HUMAN_REVIEW",
    "DONE_FAILED_ENVIRONMENT",
];
const TIER_STATES: [&str; 5] = ["PENDING", "IN_PROGRESS", "COMPLETE", "FAILED", "SKIPPED"];
const PHASE_STATES: [&str; 7] = [
    "QUEUED",
    "EXECUTING",
    "GATE",
    "CI_RUNNING",
    "COMPLETE",
    "FAILED",
    "SKIPPED",
];

#[derive(QueryableByName, Debug, PartialEq)]
struct Texts {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Nullable<Text>)]
    b: Option<String>,
}

fn texts(conn: &mut tel_store::DbConn, sql: &str) -> Vec<(String, Option<String>)> {
    with_conn!(conn, c => diesel::sql_query(sql).load::<Texts>(c))
        .unwrap()
        .into_iter()
        .map(|t| (t.a, t.b))
        .collect()
}

/// A recorder with the flag on, writing to `url`, its spool in `db`'s directory.
fn recorder(db: &TestDb, url: DatabaseUrl) -> (Recorder, std::path::PathBuf) {
    let env = |name: &str| (name == "TELEMETRY_DB_ENABLED").then(|| "1".to_owned());
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    config.url = url;
    let spool = db.dir.path().join("spool.ndjson");
    config.spool = Spool::new(spool.clone());
    (Recorder::new(config), spool)
}

/// `(run_id, phase_id)` of events recorded on the adopted snapshot: a phase the executor created,
/// a new phase of an executor's run, and a run the database does not know.
const RECORDED: [(&str, &str); 3] = [
    (
        "lovable-p2-quality-ux",
        "lovable-p2.3-missing-import-autofix",
    ),
    ("lovable-p2-quality-ux", "tel-new-phase"),
    ("tel-new-run", "build"),
];

#[test]
fn adopted_snapshot_stores_events_for_known_and_missing_runs_and_phases() {
    let Some(original) = real_snapshot() else {
        return;
    };
    let db = TestDb::empty_sqlite();
    let path = db.dir.path().join("legacy.db");
    std::fs::copy(&original, &path).unwrap();
    let url = DatabaseUrl::SqliteFile(path.clone());
    migrate(
        &mut tel_store::connect(&url, &Default::default()).unwrap(),
        MigrateAction::Apply,
    )
    .unwrap();

    let (recorder, spool) = recorder(&db, url.clone());
    for (run_id, phase_id) in RECORDED {
        let event = tel_store::EventDraft {
            run_id: run_id.to_owned(),
            phase_id: phase_id.to_owned(),
            ..draft(Complexity::Low, &["src/a.py"], 1000, 900)
        };
        let outcome = recorder.record(event);
        assert!(
            matches!(outcome, RecordOutcome::Stored { event_id: Some(_) }),
            "{run_id}/{phase_id}: {outcome:?}"
        );
    }
    assert_eq!(recorder.write_failures(), 0);
    assert!(!spool.exists(), "nothing spooled because of its parents");

    let mut conn = tel_store::connect(&url, &Default::default()).unwrap();
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM token_estimation_v2_events"
        ),
        31
    );
    // The run tel made up is terminal and says where it came from.
    assert_eq!(
        texts(
            &mut conn,
            "SELECT state AS a, failure_reason AS b FROM runs WHERE id = 'tel-new-run'"
        ),
        [(
            "DONE_FAILED_REQUIRES_HUMAN_REVIEW".to_owned(),
            Some(tel_store::models::parents::CREATED_BY_TEL.to_owned())
        )]
    );
    // Its phases hang off one placeholder tier per run; the executor's phase is untouched.
    assert_eq!(
        texts(
            &mut conn,
            "SELECT p.phase_id || ' ' || p.state || ' ' || p.name AS a, t.tier_id || ' ' || t.state AS b \
             FROM phases p JOIN tiers t ON t.id = p.tier_id \
             WHERE p.phase_id IN ('tel-new-phase', 'build') ORDER BY p.phase_id"
        ),
        [
            (
                "build SKIPPED build".to_owned(),
                Some("tel-telemetry SKIPPED".to_owned())
            ),
            (
                "tel-new-phase SKIPPED tel-new-phase".to_owned(),
                Some("tel-telemetry SKIPPED".to_owned())
            ),
        ]
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM tiers WHERE tier_id = 'tel-telemetry'"
        ),
        2
    );
    // The original's ORM still loads every row: every state is one of its enum values.
    for (table, states) in [
        ("runs", &RUN_STATES[..]),
        ("tiers", &TIER_STATES[..]),
        ("phases", &PHASE_STATES[..]),
    ] {
        let sql = ["SELECT DISTINCT state AS a, NULL AS b FROM ", table].concat();
        for (state, _) in texts(&mut conn, &sql) {
            assert!(states.contains(&state.as_str()), "{table}.state {state}");
        }
    }
    // The original's writer still inserts its own rows (the added columns are nullable).
    tel_store::with_conn!(&mut conn, c => diesel::sql_query(
        "INSERT INTO token_estimation_v2_events (run_id, phase_id, category, complexity, deliverable_count, \
         deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, \
         stop_reason, model, is_truncated_output) VALUES ('lovable-p2-quality-ux', \
         'lovable-p2.3-missing-import-autofix', 'implementation', 'low', 0, '[]', 100, 200, 8192, 1, 0, \
         'end_turn', 'claude-sonnet-4-5', 0)"
    )
    .execute(c))
    .unwrap();
}

/// `n` distinct events of `run_id`/`phase_id`.
fn events(n: usize) -> Vec<TelemetryEvent> {
    (0..n)
        .map(|i| {
            draft(Complexity::Medium, &["src/a.py"], 1000 + i as i64, 900)
                .into_event(
                    Timestamp::parse("2026-01-02 03:04:05.000006").unwrap(),
                    &Default::default(),
                )
                .unwrap()
        })
        .collect()
}

#[test]
fn forced_down_then_migrate_recomputes_idempotency_keys() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let batch = events(20);
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        let refused = migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 3,
                force: false,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(refused.contains("idempotency_key"), "{refused}");
        let down = migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 3,
                force: true,
            },
        )
        .unwrap();
        let text = down.to_string();
        assert!(
            text.contains("lost: reverting 2026-01-01-000007_add_tel_columns drops columns")
                && text.contains("idempotency_key")
                && text.contains("(20 rows)")
                && text.contains("recomputed"),
            "{text}"
        );
        let up = migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert_eq!(up.keys.as_ref().map(|k| k.keyed), Some(20), "{up:?}");
        let again = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 20));
        assert_eq!(db.events().len(), 20);
    }
}

#[test]
fn old_version_keys_are_recomputed_and_collisions_reported_not_dropped() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let batch = events(3);
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        // A database of the tel before key version 2: its migration not applied, a v1 key on
        // event 1, none on event 2 (a row the original wrote after adoption).
        let reverted = migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 1,
                force: false,
            },
        )
        .unwrap();
        assert_eq!(reverted.reverted, ["2026-01-01-000009_idempotency_key_v2"]);
        assert!(reverted.lost.is_empty(), "{reverted}");
        with_conn!(&mut conn, c => diesel::sql_query(
            "UPDATE token_estimation_v2_events SET idempotency_key = CASE event_id \
             WHEN 1 THEN '0123456789abcdef' ELSE NULL END WHERE event_id IN (1, 2)"
        )
        .execute(c))
        .unwrap();
        // Event 1 written again: not recognised under its old key, so stored twice.
        assert_eq!(
            insert_event(&mut conn, &batch[0], InsertOptions::RECORDER).unwrap(),
            Some(4)
        );
        let report = migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert_eq!(report.applied, ["2026-01-01-000009_idempotency_key_v2"]);
        let keys = report.keys.clone().unwrap();
        assert_eq!(keys.keyed, 1, "{keys:?}");
        assert_eq!(
            keys.collisions,
            [tel_store::KeyCollision {
                event_id: 1,
                same_as: 4
            }]
        );
        assert!(
            report
                .to_string()
                .contains("event 1 has the key of event 4 (same content): both kept"),
            "{report}"
        );
        assert_eq!(db.events().len(), 4, "no row dropped");
        let again = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 3));
    }
}

#[test]
fn an_event_with_a_backfilled_run_id_reimports_as_already_present() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let mut owner = events(1).remove(0);
        owner.run_id = "run-a".to_owned();
        owner.phase_id = "build".to_owned();
        insert_event(&mut conn, &owner, InsertOptions::RECORDER).unwrap();
        let mut orphan = events(2).remove(1);
        orphan.run_id = "unknown".to_owned();
        orphan.phase_id = "build".to_owned();
        // The backfill only considers runs created no later than the event (docs/STORE.md, Recorder
        // step 4): a fixed past timestamp would predate run-a, created just now.
        orphan.timestamp = tel_store::now();
        insert_event(&mut conn, &orphan, InsertOptions::RECORDER).unwrap();

        let stored = db.events().into_iter().find(|e| e.run_id_inferred).unwrap();
        assert_eq!(stored.run_id, "run-a");
        // As an export carries it: no event id, no tel-only columns, metrics recomputed.
        let exported = TelemetryEvent {
            event_id: None,
            run_id_inferred: false,
            usage_kind: None,
            smape_percent: Some(1.0),
            waste_ratio: None,
            underestimated: None,
            ..stored
        };
        let options = InsertOptions {
            ensure_parents: true,
            ..InsertOptions::EXACT
        };
        let again = insert_events(&mut conn, &[exported], options).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 1));
    }
}

#[test]
fn reimporting_the_adopted_snapshot_rows_adds_nothing_not_even_parents() {
    let Some(original) = real_snapshot() else {
        return;
    };
    let mut db = TestDb::empty_sqlite();
    let path = db.dir.path().join("legacy.db");
    std::fs::copy(&original, &path).unwrap();
    db.url = DatabaseUrl::SqliteFile(path);
    let db = db.migrated();
    let mut conn = db.connect();
    let runs_before = count(&mut conn, "SELECT COUNT(*) AS n FROM runs");
    let phases_before = count(&mut conn, "SELECT COUNT(*) AS n FROM phases");
    // As the original export carries them: no event id, no column it does not export.
    let exported: Vec<TelemetryEvent> = db
        .events()
        .into_iter()
        .map(|e| TelemetryEvent {
            event_id: None,
            is_truncated_output: false,
            doc_features: Default::default(),
            ..e
        })
        .collect();
    assert_eq!(exported.iter().filter(|e| e.run_id == "unknown").count(), 6);
    let options = InsertOptions {
        ensure_parents: true,
        ..InsertOptions::EXACT
    };
    let again = insert_events(&mut conn, &exported, options).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 28));
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS n FROM runs"),
        runs_before,
        "no run `unknown` made up for rows that are present"
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS n FROM phases"),
        phases_before
    );
}

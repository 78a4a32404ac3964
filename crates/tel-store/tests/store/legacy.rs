//! Legacy adoption: the real 2025-12-24 snapshot and synthetic databases at every stage of the
//! original's schema history (FORMATS.md F4) keep every row and value exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tel_core::Timestamp;
use tel_store::introspect::columns;
use tel_store::{
    DbConn, EventQuery, MigrateAction, StoreError, for_each_event, migrate, migration_state,
};

use crate::fixture::TestDb;

#[derive(QueryableByName, Debug, PartialEq)]
struct Cell {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Names of the explicitly created indexes.
fn index_names(conn: &mut DbConn) -> Vec<String> {
    diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .load::<Name>(sqlite(conn))
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) fn sqlite(conn: &mut DbConn) -> &mut SqliteConnection {
    match conn {
        DbConn::Sqlite(c) => c,
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => unreachable!("these checks read SQLite files"),
    }
}

/// Every value of every telemetry column as `typeof:quote()` (exact for REALs), by column name.
fn telemetry_cells(conn: &mut DbConn) -> BTreeMap<String, Vec<Cell>> {
    let names: Vec<String> = columns(conn, "token_estimation_v2_events")
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    names
        .into_iter()
        .map(|name| {
            let quoted = ["\"", &name, "\""].concat();
            let sql = [
                "SELECT event_id, typeof(",
                &quoted,
                ") || ':' || quote(",
                &quoted,
                ") AS value FROM token_estimation_v2_events ORDER BY event_id",
            ]
            .concat();
            let cells = diesel::sql_query(sql).load(sqlite(conn)).unwrap();
            (name, cells)
        })
        .collect()
}

pub(crate) fn count(conn: &mut DbConn, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(sqlite(conn))
        .unwrap()
        .n
}

/// Adopts the database at `path`; asserts every pre-existing cell is unchanged, every row got an
/// idempotency key of the current version, and every other added column is NULL (or its declared
/// default for `is_truncated_output`).
fn adopt_and_compare(path: &Path) -> tel_store::MigrateReport {
    let url = tel_store::DatabaseUrl::SqliteFile(path.to_owned());
    let mut conn = tel_store::connect(&url, &Default::default()).unwrap();
    let before = telemetry_cells(&mut conn);
    let indexes_before = index_names(&mut conn);
    let dry = migrate(&mut conn, MigrateAction::DryRun).unwrap();
    assert_eq!(
        telemetry_cells(&mut conn),
        before,
        "a dry run changes nothing"
    );
    assert!(dry.adoption.as_ref().unwrap().dry_run);

    let report = migrate(&mut conn, MigrateAction::Apply).unwrap();
    let after = telemetry_cells(&mut conn);
    for (name, cells) in &before {
        assert_eq!(after.get(name), Some(cells), "column {name} changed");
    }
    let keys = &after["idempotency_key"];
    assert!(
        keys.iter().all(|c| c.value.starts_with("text:'v2:")),
        "every legacy row is keyed from its stored values: {keys:?}"
    );
    let distinct: std::collections::BTreeSet<&str> =
        keys.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(distinct.len(), keys.len());
    assert_eq!(
        report.keys.as_ref().map(|k| (k.keyed, k.collisions.len())),
        Some((keys.len() as u64, 0))
    );
    for (name, cells) in after
        .iter()
        .filter(|(name, _)| !before.contains_key(*name) && *name != "idempotency_key")
    {
        let expected = if name == "is_truncated_output" {
            "integer:0"
        } else {
            "null:NULL"
        };
        assert!(
            cells.iter().all(|c| c.value == expected),
            "added column {name}: {cells:?}"
        );
    }
    let indexes_after = index_names(&mut conn);
    let lost: Vec<&String> = indexes_before
        .iter()
        .filter(|i| !indexes_after.contains(i))
        .collect();
    assert!(lost.is_empty(), "legacy indexes lost: {lost:?}");
    let state = migration_state(&mut conn).unwrap();
    assert!(state.pending.is_empty() && !state.legacy, "{state:?}");
    let again = migrate(&mut conn, MigrateAction::Apply).unwrap();
    assert!(
        again.applied.is_empty() && again.adoption.is_none(),
        "{again:?}"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT foreign_keys AS n FROM pragma_foreign_keys"
        ),
        1
    );
    report
}

pub(crate) fn real_snapshot() -> Option<PathBuf> {
    Some(crate::real_data::real_data()?.join("autopack-legacy-2025-12-24.db"))
}

/// Every table of the snapshot except the telemetry table, with its row-count query.
const OTHER_TABLES: [&str; 12] = [
    "SELECT COUNT(*) AS n FROM approval_requests",
    "SELECT COUNT(*) AS n FROM decision_log",
    "SELECT COUNT(*) AS n FROM doctor_usage_stats",
    "SELECT COUNT(*) AS n FROM documents",
    "SELECT COUNT(*) AS n FROM governance_requests",
    "SELECT COUNT(*) AS n FROM llm_usage_events",
    "SELECT COUNT(*) AS n FROM phases",
    "SELECT COUNT(*) AS n FROM plan_changes",
    "SELECT COUNT(*) AS n FROM planning_artifacts",
    "SELECT COUNT(*) AS n FROM runs",
    "SELECT COUNT(*) AS n FROM tiers",
    "SELECT COUNT(*) AS n FROM users",
];

#[test]
fn real_snapshot_is_adopted_with_every_row_kept() {
    let Some(original) = real_snapshot() else {
        return;
    };
    let db = TestDb::empty_sqlite();
    let path = db.dir.path().join("legacy.db");
    std::fs::copy(&original, &path).unwrap();
    let url = tel_store::DatabaseUrl::SqliteFile(path.clone());
    let mut conn = tel_store::connect(&url, &Default::default()).unwrap();
    let counts_before: Vec<i64> = OTHER_TABLES
        .iter()
        .map(|sql| count(&mut conn, sql))
        .collect();
    drop(conn);

    let report = adopt_and_compare(&path);
    let adoption = report.adoption.as_ref().unwrap();
    assert_eq!(adoption.event_rows, 28);
    assert_eq!(
        adoption.rebuild_reason, None,
        "004b CHECK and composite FKs need no rebuild"
    );
    assert_eq!(
        adoption.marked_applied,
        ["2026-01-01-000004_add_feature_columns"]
    );
    let orphan_ids: Vec<i64> = adoption.orphans.iter().map(|o| o.event_id).collect();
    assert_eq!(orphan_ids, [2, 3, 4, 5, 6, 7]);
    assert!(
        adoption
            .orphans
            .iter()
            .all(|o| o.run_id == "unknown" && o.missing_run)
    );
    let text = report.to_string();
    assert!(
        text.contains("28 rows") && text.contains("event 2: run \"unknown\""),
        "{text}"
    );

    let mut conn = tel_store::connect(&url, &Default::default()).unwrap();
    let counts_after: Vec<i64> = OTHER_TABLES
        .iter()
        .map(|sql| count(&mut conn, sql))
        .collect();
    assert_eq!(counts_after, counts_before);
    assert_eq!(counts_before[9], 70, "runs");
    assert_eq!(
        count(
            &mut conn,
            "SELECT seq AS n FROM sqlite_sequence WHERE name = 'token_estimation_v2_events'"
        ),
        28
    );

    let mut events = Vec::new();
    for_each_event::<StoreError>(&mut conn, &EventQuery::default(), |e| {
        events.push(e);
        Ok(())
    })
    .unwrap();
    assert_eq!(events.len(), 28);
    let manual = &events[0];
    assert_eq!(manual.timestamp.to_sql_text(), "2025-12-23 15:33:55");
    assert_eq!(
        (manual.smape_percent, manual.waste_ratio),
        (Some(100.0), Some(0.83))
    );
    assert!(
        events.iter().all(|e| e.actual_max_tokens.is_none()),
        "never backfilled"
    );
    assert_eq!(
        events
            .iter()
            .find(|e| e.event_id == Some(7))
            .map(|e| e.timestamp),
        Some(Timestamp::parse("2025-12-24 01:55:10.435454").unwrap())
    );
}

/// Legacy `runs` / `phases` with the extra NOT NULL columns of the original.
const LEGACY_PARENTS: &str = "
CREATE TABLE runs (id VARCHAR NOT NULL, state VARCHAR(33) NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (id));
CREATE TABLE phases (id INTEGER NOT NULL, phase_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(run_id) REFERENCES runs (id));
INSERT INTO runs VALUES ('r1', 'DONE_SUCCESS', '2025-12-20 10:00:00');
INSERT INTO phases VALUES (1, 'p1', 'r1', 'Phase one');
";
const UNIQUE_PHASES: &str =
    "CREATE UNIQUE INDEX uq_phases_run_id_phase_id ON phases(run_id, phase_id);";

/// The 19 base columns of SQL 002-004 with a given CHECK list and foreign keys.
fn base_table(check: &str, foreign_keys: &str) -> String {
    [
        "CREATE TABLE token_estimation_v2_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, phase_id TEXT NOT NULL,
    timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, category TEXT NOT NULL,
    complexity TEXT NOT NULL CHECK(complexity IN (", check, ")),
    deliverable_count INTEGER NOT NULL, deliverables_json TEXT NOT NULL,
    predicted_output_tokens INTEGER NOT NULL, actual_output_tokens INTEGER NOT NULL, selected_budget INTEGER NOT NULL,
    success BOOLEAN NOT NULL, truncated BOOLEAN NOT NULL DEFAULT 0, stop_reason TEXT, model TEXT NOT NULL,
    smape_percent REAL, waste_ratio REAL, underestimated BOOLEAN,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, ", foreign_keys, ");
CREATE INDEX ix_token_estimation_v2_run_id ON token_estimation_v2_events(run_id);
CREATE INDEX ix_token_estimation_v2_truncated ON token_estimation_v2_events(truncated) WHERE truncated = 1;",
    ]
    .concat()
}

const CHECK_CRITICAL: &str = "'low', 'medium', 'high', 'critical'";
const CHECK_FINAL: &str = "'low', 'medium', 'high', 'maintenance'";
const FK_002: &str = "FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE,
    FOREIGN KEY (phase_id) REFERENCES phases(phase_id) ON DELETE CASCADE";
const FK_COMPOSITE: &str = "FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE,
    FOREIGN KEY (run_id, phase_id) REFERENCES phases(run_id, phase_id) ON DELETE CASCADE";

const P1_FEATURES: &str = "
ALTER TABLE token_estimation_v2_events ADD COLUMN is_truncated_output BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE token_estimation_v2_events ADD COLUMN api_reference_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN examples_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN research_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN usage_guide_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN context_quality VARCHAR;
CREATE INDEX idx_telemetry_truncated ON token_estimation_v2_events(is_truncated_output, category);";
const P2_SOT: &str = "
ALTER TABLE token_estimation_v2_events ADD COLUMN is_sot_file BOOLEAN DEFAULT FALSE;
ALTER TABLE token_estimation_v2_events ADD COLUMN sot_file_name VARCHAR;
ALTER TABLE token_estimation_v2_events ADD COLUMN sot_entry_count_hint INTEGER;";
const P3_CEILING: &str =
    "ALTER TABLE token_estimation_v2_events ADD COLUMN actual_max_tokens INTEGER;";

/// SQL 007: 28 columns, created_at last, is_sot_file NOT NULL.
const SQL_007: &str = "CREATE TABLE token_estimation_v2_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, phase_id TEXT NOT NULL,
    timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, category TEXT NOT NULL,
    complexity TEXT NOT NULL CHECK(complexity IN ('low', 'medium', 'high', 'maintenance')),
    deliverable_count INTEGER NOT NULL, deliverables_json TEXT NOT NULL,
    predicted_output_tokens INTEGER NOT NULL, actual_output_tokens INTEGER NOT NULL, selected_budget INTEGER NOT NULL,
    success BOOLEAN NOT NULL, truncated BOOLEAN NOT NULL DEFAULT 0, stop_reason TEXT, model TEXT NOT NULL,
    smape_percent REAL, waste_ratio REAL, underestimated BOOLEAN,
    is_truncated_output BOOLEAN NOT NULL DEFAULT 0, api_reference_required BOOLEAN, examples_required BOOLEAN,
    research_required BOOLEAN, usage_guide_required BOOLEAN, context_quality TEXT,
    is_sot_file BOOLEAN NOT NULL DEFAULT 0, sot_file_name TEXT, sot_entry_count_hint INTEGER,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE,
    FOREIGN KEY (run_id, phase_id) REFERENCES phases(run_id, phase_id) ON DELETE CASCADE);
CREATE INDEX idx_telemetry_truncated ON token_estimation_v2_events(is_truncated_output, category);";

/// Two rows every shape accepts: a manual row without a timestamp fraction and stored metrics
/// the formula would not give, and an orphan with run_id `unknown`.
const BASE_ROWS: &str = "
INSERT INTO token_estimation_v2_events (event_id, run_id, phase_id, timestamp, category, complexity, deliverable_count,
    deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, stop_reason,
    model, smape_percent, waste_ratio, underestimated, created_at)
VALUES (1, 'r1', 'p1', '2025-12-23 15:33:55', 'implementation', 'low', 1, '[\"src/a.py\"]', 100, 120, 8192, 1, 0,
    'end_turn', 'claude', 100.0, 0.83, 1, '2025-12-23 15:33:55'),
  (5, 'unknown', 'p1', '2025-12-24 01:55:10.435454', 'documentation', 'medium', 0, '[]', 5200, 16384, 8192, 0, 1,
    'max_tokens', 'claude-sonnet-4-5', 103.63232023721277, 0.3173828125, 1, '2025-12-24 01:55:10.435983');";
const FEATURE_ROW: &str = "UPDATE token_estimation_v2_events SET api_reference_required = 1, context_quality = 'some' WHERE event_id = 5;";
const SOT_ROW: &str = "UPDATE token_estimation_v2_events SET is_sot_file = 1, sot_file_name = 'build_log.md', sot_entry_count_hint = 3 WHERE event_id = 1;";
const CEILING_ROW: &str =
    "UPDATE token_estimation_v2_events SET actual_max_tokens = 16384 WHERE event_id = 5;";

struct Stage {
    name: &'static str,
    sql: Vec<String>,
    rebuilt: bool,
    marked: usize,
}

fn stages() -> Vec<Stage> {
    let s = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let with_base = |check: &str, fk: &str, unique: bool, rest: &[&str]| {
        let mut sql = vec![LEGACY_PARENTS.to_owned()];
        if unique {
            sql.push(UNIQUE_PHASES.to_owned());
        }
        sql.push(base_table(check, fk));
        sql.extend(rest.iter().map(|p| (*p).to_owned()));
        sql
    };
    vec![
        Stage {
            name: "002",
            sql: with_base(CHECK_CRITICAL, FK_002, false, &[BASE_ROWS]),
            rebuilt: true,
            marked: 0,
        },
        Stage {
            name: "003",
            sql: with_base(CHECK_CRITICAL, FK_COMPOSITE, true, &[BASE_ROWS]),
            rebuilt: true,
            marked: 0,
        },
        Stage {
            name: "002 + P1 features",
            sql: with_base(
                CHECK_CRITICAL,
                FK_002,
                false,
                &[P1_FEATURES, BASE_ROWS, FEATURE_ROW],
            ),
            rebuilt: true,
            marked: 1,
        },
        Stage {
            name: "004b + P1 + P2 SOT",
            sql: with_base(
                CHECK_FINAL,
                FK_COMPOSITE,
                true,
                &[P1_FEATURES, P2_SOT, BASE_ROWS, FEATURE_ROW, SOT_ROW],
            ),
            rebuilt: false,
            marked: 2,
        },
        Stage {
            name: "004b + P1 + P3 ceiling",
            sql: with_base(
                CHECK_FINAL,
                FK_COMPOSITE,
                true,
                &[P1_FEATURES, P3_CEILING, BASE_ROWS, FEATURE_ROW, CEILING_ROW],
            ),
            rebuilt: false,
            marked: 2,
        },
        Stage {
            name: "007",
            sql: [s(&[
                LEGACY_PARENTS,
                UNIQUE_PHASES,
                SQL_007,
                BASE_ROWS,
                FEATURE_ROW,
                SOT_ROW,
            ])]
            .concat(),
            rebuilt: true,
            marked: 2,
        },
        Stage {
            name: "007 + P3",
            sql: [s(&[
                LEGACY_PARENTS,
                UNIQUE_PHASES,
                SQL_007,
                P3_CEILING,
                BASE_ROWS,
                SOT_ROW,
                CEILING_ROW,
            ])]
            .concat(),
            rebuilt: true,
            marked: 3,
        },
    ]
}

#[test]
fn every_legacy_stage_is_adopted_with_every_value_kept() {
    for stage in stages() {
        let db = TestDb::empty_sqlite();
        let path = db.dir.path().join("legacy.db");
        {
            let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            // The original's engine never enabled foreign keys (the bundled SQLite defaults to on).
            conn.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
            for sql in &stage.sql {
                conn.batch_execute(sql)
                    .unwrap_or_else(|e| panic!("stage {}: {e}", stage.name));
            }
        }
        let report = adopt_and_compare(&path);
        let adoption = report.adoption.as_ref().unwrap();
        assert_eq!(
            adoption.rebuild_reason.is_some(),
            stage.rebuilt,
            "stage {}: {adoption:?}",
            stage.name
        );
        assert_eq!(
            adoption.marked_applied.len(),
            stage.marked,
            "stage {}",
            stage.name
        );
        assert_eq!(
            adoption
                .orphans
                .iter()
                .map(|o| o.event_id)
                .collect::<Vec<_>>(),
            [5],
            "stage {}",
            stage.name
        );

        let mut conn = tel_store::connect(
            &tel_store::DatabaseUrl::SqliteFile(path.clone()),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(
            tel_store::introspect::complexity_check_values(&mut conn)
                .unwrap()
                .unwrap(),
            ["low", "medium", "high", "maintenance"],
            "stage {}",
            stage.name
        );
        // A new event for the known phase is written with foreign keys on.
        let event = crate::fixture::draft(tel_core::Complexity::Maintenance, &["x"], 100, 100)
            .into_event(
                Timestamp::parse("2025-12-30 00:00:00").unwrap(),
                &Default::default(),
            )
            .unwrap();
        let event = tel_core::TelemetryEvent {
            run_id: "r1".into(),
            phase_id: "p1".into(),
            sot: Default::default(),
            ..event
        };
        let id =
            tel_store::insert_event(&mut conn, &event, tel_store::InsertOptions::EXACT).unwrap();
        assert!(id.unwrap() > 5, "stage {}: AUTOINCREMENT kept", stage.name);
    }
}

#[test]
fn critical_rows_block_a_rebuild_instead_of_being_lost() {
    let db = TestDb::empty_sqlite();
    let path = db.dir.path().join("legacy.db");
    {
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        conn.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
        conn.batch_execute(
            &[
                LEGACY_PARENTS,
                UNIQUE_PHASES,
                &base_table(CHECK_CRITICAL, FK_COMPOSITE),
                BASE_ROWS,
            ]
            .concat(),
        )
        .unwrap();
        conn.batch_execute(
            "UPDATE token_estimation_v2_events SET complexity = 'critical' WHERE event_id = 1",
        )
        .unwrap();
    }
    let url = tel_store::DatabaseUrl::SqliteFile(path);
    let mut conn = tel_store::connect(&url, &Default::default()).unwrap();
    let before = telemetry_cells(&mut conn);
    let err = migrate(&mut conn, MigrateAction::Apply)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"critical\" (1 rows)"), "{err}");
    assert_eq!(telemetry_cells(&mut conn), before);
}

//! Migrations on both backends: the committed `schema.rs` matches a migrated database, the CHECK is
//! `Complexity::ALL`, up → down → up is lossless (schema and rows), and down refuses to drop data.

use diesel::prelude::*;
use diesel::query_builder::debug_query;
use diesel::sqlite::Sqlite;
use tel_core::Complexity;
use tel_store::introspect::{columns, complexity_check_values, schema_snapshot};
use tel_store::schema::{phases, runs, token_budget_escalation_events, token_estimation_v2_events};
use tel_store::{MigrateAction, StoreError, migrate, migration_state};

use crate::fixture::{empty_backends, migrated_backends};

/// Column names of a `schema.rs` table, in declaration order.
macro_rules! schema_columns {
    ($table:ident) => {{
        let query = $table::table.select($table::all_columns);
        let sql = debug_query::<Sqlite, _>(&query).to_string();
        let list = sql["SELECT ".len()..]
            .split(" FROM ")
            .next()
            .unwrap()
            .to_owned();
        list.split(", ")
            .map(|c| c.rsplit('.').next().unwrap().trim_matches('`').to_owned())
            .collect::<Vec<String>>()
    }};
}

#[test]
fn committed_schema_rs_matches_a_freshly_migrated_database() {
    let expected = [
        ("runs", schema_columns!(runs)),
        ("phases", schema_columns!(phases)),
        (
            "token_estimation_v2_events",
            schema_columns!(token_estimation_v2_events),
        ),
        (
            "token_budget_escalation_events",
            schema_columns!(token_budget_escalation_events),
        ),
    ];
    for db in migrated_backends() {
        let mut conn = db.connect();
        for (table, declared) in &expected {
            let actual: Vec<String> = columns(&mut conn, table)
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect();
            assert_eq!(&actual, declared, "{table} on {:?}", conn.backend());
        }
        let events = columns(&mut conn, "token_estimation_v2_events").unwrap();
        let nullable: Vec<&str> = events
            .iter()
            .filter(|c| !c.not_null)
            .map(|c| c.name.as_str())
            .collect();
        assert!(nullable.contains(&"is_sot_file") && nullable.contains(&"actual_max_tokens"));
        assert!(!nullable.contains(&"is_truncated_output"));
    }
}

#[test]
fn schema_rs_declares_a_column_for_each_described_event_field() {
    let mut declared = schema_columns!(token_estimation_v2_events);
    declared.sort_unstable();
    let mut described: Vec<String> = tel_core::fields::event_fields()
        .map(|f| f.column.to_owned())
        .chain(["idempotency_key".to_owned()])
        .collect();
    described.sort_unstable();
    assert_eq!(
        declared, described,
        "tel-core's field description and schema.rs disagree: add the column to both (and to the migrations)"
    );
}

#[test]
fn complexity_check_equals_complexity_all() {
    let all: Vec<String> = Complexity::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    for db in migrated_backends() {
        let values = complexity_check_values(&mut db.connect()).unwrap();
        assert_eq!(values.as_ref(), Some(&all), "{}", db.url);
    }
}

#[test]
fn up_down_up_yields_the_same_schema() {
    for db in empty_backends() {
        let mut conn = db.connect();
        let first = migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert_eq!(first.applied.len(), 9);
        let up = schema_snapshot(&mut conn).unwrap();
        let down = migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 9,
                force: false,
            },
        )
        .unwrap();
        assert_eq!(down.reverted.len(), 9);
        assert_eq!(migration_state(&mut conn).unwrap().pending.len(), 9);
        migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert_eq!(schema_snapshot(&mut conn).unwrap(), up, "{}", db.url);
        let again = migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert!(again.applied.is_empty(), "{again:?}");
        assert!(again.to_string().contains("nothing to do"));
    }
}

#[test]
fn status_and_dry_run_change_nothing() {
    for db in empty_backends() {
        let mut conn = db.connect();
        let before = schema_snapshot(&mut conn).unwrap();
        let status = migrate(&mut conn, MigrateAction::Status).unwrap();
        assert_eq!(status.before.pending.len(), 9);
        let dry = migrate(&mut conn, MigrateAction::DryRun).unwrap();
        assert_eq!(dry.applied.len(), 9);
        assert!(
            dry.to_string()
                .contains("would apply: 2026-01-01-000001_create_runs")
        );
        assert_eq!(schema_snapshot(&mut conn).unwrap(), before);
    }
}

#[test]
fn down_refuses_to_drop_rows_unless_forced() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        tel_store::with_conn!(&mut conn, c => diesel::insert_into(runs::table)
            .values(runs::id.eq("r"))
            .execute(c)
            .unwrap());
        // Reverting the eight newer migrations touches empty tables only.
        migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 8,
                force: false,
            },
        )
        .unwrap();
        let refused = migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 1,
                force: false,
            },
        )
        .unwrap_err();
        assert!(matches!(refused, StoreError::Migration(_)));
        let text = refused.to_string();
        assert!(
            text.contains("create_runs") && text.contains("1 rows") && text.contains("--force"),
            "{text}"
        );
        migrate(
            &mut conn,
            MigrateAction::Down {
                steps: 1,
                force: true,
            },
        )
        .unwrap();
        assert_eq!(migration_state(&mut conn).unwrap().applied.len(), 0);
    }
}

#[test]
fn up_down_up_keeps_every_row_and_refuses_to_drop_columns_holding_data() {
    use tel_core::UsageKind;
    use tel_store::{InsertOptions, ValidityGuard, insert_event};
    for db in migrated_backends() {
        let mut conn = db.connect();
        for i in 0..3 {
            let mut d = crate::fixture::draft(Complexity::High, &["src/a.py"], 900 + i, 1000);
            d.phase_id = format!("p{i}");
            d.actual_max_tokens = Some(4096);
            d.extras.estimator_profile = Some("v2-head".into());
            d.extras.coefficients_hash = Some("abc".into());
            d.extras.provider = Some("anthropic".into());
            d.extras.usage_kind = Some(UsageKind::Output);
            let event = d
                .into_event(tel_store::now(), &ValidityGuard::default())
                .unwrap();
            insert_event(&mut conn, &event, InsertOptions::RECORDER).unwrap();
        }
        let before = db.events();
        let down = |conn: &mut tel_store::DbConn, steps, force| {
            migrate(conn, MigrateAction::Down { steps, force })
        };

        // The two newest drop nothing (recomputed keys, an empty table): reverting them and
        // re-applying changes no row.
        down(&mut conn, 2, false).unwrap();
        migrate(&mut conn, MigrateAction::Apply).unwrap();
        assert_eq!(db.events(), before, "{}", db.url);

        // The next one drops columns that hold values: refused, nothing changed.
        let refused = down(&mut conn, 3, false).unwrap_err().to_string();
        assert!(
            refused.contains("add_tel_columns")
                && refused.contains("3 rows")
                && refused.contains("--force"),
            "{refused}"
        );
        assert_eq!(migration_state(&mut conn).unwrap().pending.len(), 0);
        assert_eq!(db.events(), before, "{}", db.url);

        // Forced: the dropped columns come back empty, every other value is kept.
        down(&mut conn, 4, true).unwrap();
        migrate(&mut conn, MigrateAction::Apply).unwrap();
        let mut expected = before.clone();
        for e in &mut expected {
            e.actual_max_tokens = None;
            (e.estimator_profile, e.coefficients_hash, e.provider) = (None, None, None);
            e.usage_kind = None;
        }
        assert_eq!(db.events(), expected, "{}", db.url);
    }
}

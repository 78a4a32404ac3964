//! Adoption of a database created by the original system (FORMATS.md F4): upgraded in place,
//! every row kept exactly, then handed to the normal migrations.
//!
//! Detection: `token_estimation_v2_events` exists and diesel's migrations table does not. Any stage of
//! the original's history is accepted (002/003 with the `critical` CHECK, 004, + feature columns, + SOT
//! columns, + `actual_max_tokens`, the 28-column 007 shape). Steps, in one transaction with foreign
//! keys off (legacy rows with run_id `unknown` violate them; they are reported, not rejected):
//! 1. rebuild the telemetry table only when its CHECK, foreign keys or `is_sot_file` nullability differ
//!    from tel's — copying every column by name, re-creating the legacy indexes and the AUTOINCREMENT
//!    counter;
//! 2. mark as applied the column migrations whose columns are already present;
//! 3. run every other migration (they ADD the missing columns — `actual_max_tokens` stays NULL — and
//!    create missing tables; table migrations are `IF NOT EXISTS`, so legacy tables are kept);
//! 4. key every row from its stored values.
//!
//! A PostgreSQL database of the original's ORM is adopted in place instead of rebuilt: `integer`
//! columns widened to `bigint` (committed first), tel's CHECK added, differing foreign keys replaced
//! by tel's `NOT VALID` ones, then steps 2-4.

use std::collections::BTreeSet;
use std::fmt;

#[cfg(feature = "postgres")]
use diesel::PgConnection;
use diesel::connection::SimpleConnection as _;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::query_builder::debug_query;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel_migrations::MigrationHarness as _;
use tel_core::Complexity;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::introspect::{columns, complexity_check_values, table_exists};
use crate::migrate::{SQLITE_MIGRATIONS, run_pending, version_of};
use crate::models::events::{KeyFill, count_events, fill_missing_keys};
use crate::schema::token_estimation_v2_events;

const EVENTS: &str = "token_estimation_v2_events";
const EVENTS_MIGRATION: &str = "2026-01-01-000003_create_token_estimation_v2_events";

/// The column migrations and the columns each adds (a test checks them against the migrations).
pub(crate) const COLUMN_GROUPS: [(&str, &[&str]); 4] = [
    (
        "2026-01-01-000004_add_feature_columns",
        &[
            "is_truncated_output",
            "api_reference_required",
            "examples_required",
            "research_required",
            "usage_guide_required",
            "context_quality",
        ],
    ),
    (
        "2026-01-01-000005_add_sot_columns",
        &["is_sot_file", "sot_file_name", "sot_entry_count_hint"],
    ),
    (
        "2026-01-01-000006_add_actual_max_tokens",
        &["actual_max_tokens"],
    ),
    (
        "2026-01-01-000007_add_tel_columns",
        &[
            "estimator_profile",
            "coefficients_hash",
            "provider",
            "usage_kind",
            "stop_reason_kind",
            "run_id_inferred",
            "idempotency_key",
        ],
    ),
];

/// A legacy telemetry row whose run or `(run, phase)` parent is missing (kept as it is).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct OrphanEvent {
    /// The row's event id.
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    /// Its run id.
    #[diesel(sql_type = Text)]
    pub run_id: String,
    /// Its phase id.
    #[diesel(sql_type = Text)]
    pub phase_id: String,
    /// No `runs` row has this id.
    #[diesel(sql_type = Bool)]
    pub missing_run: bool,
    /// No `phases` row has this `(run_id, phase_id)`.
    #[diesel(sql_type = Bool)]
    pub missing_phase: bool,
}

/// What adoption found in a legacy database and what it did (or would do, in a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct AdoptionReport {
    /// Columns of the legacy telemetry table, in physical order.
    pub columns: Vec<String>,
    /// Values of its complexity CHECK (`None`: no CHECK).
    pub complexity_check: Option<Vec<String>>,
    /// Its foreign keys are tel's (run → runs, (run, phase) → phases, both cascading).
    pub foreign_keys_match: bool,
    /// `is_sot_file` is declared NOT NULL (the 007 shape).
    pub is_sot_file_not_null: bool,
    /// Telemetry rows (all kept).
    pub event_rows: i64,
    /// Why the table is (or would be) rebuilt (SQLite) or altered in place (PostgreSQL); `None`
    /// when columns are only added.
    pub rebuild_reason: Option<String>,
    /// PostgreSQL: constraints are changed with ALTER TABLE instead of a copy.
    pub in_place: bool,
    /// Column migrations recorded as applied because their columns were present.
    pub marked_applied: Vec<String>,
    /// Migrations run after marking (adding the missing columns and tables).
    pub applied: Vec<String>,
    /// Rows violating the foreign keys, kept and reported.
    pub orphans: Vec<OrphanEvent>,
    /// PostgreSQL: `integer` columns of the telemetry table widened to `bigint` (tel reads 64-bit
    /// integers; the original's ORM declared 32-bit ones).
    pub narrow_integers: Vec<String>,
    /// Nothing was changed.
    pub dry_run: bool,
}

impl fmt::Display for AdoptionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "legacy database: token_estimation_v2_events has {} rows and {} columns",
            self.event_rows,
            self.columns.len()
        )?;
        match &self.complexity_check {
            Some(values) => writeln!(f, "  complexity CHECK: {}", values.join(", "))?,
            None => writeln!(f, "  complexity CHECK: none")?,
        }
        writeln!(
            f,
            "  foreign keys as tel's: {}; is_sot_file NOT NULL: {}",
            yes_no(self.foreign_keys_match),
            yes_no(self.is_sot_file_not_null)
        )?;
        let (rebuild, mark) = if self.dry_run {
            ("would rebuild", "would mark applied")
        } else {
            ("rebuilt", "marked applied")
        };
        match &self.rebuild_reason {
            Some(reason) if self.in_place => writeln!(
                f,
                "  {} ({reason}), every row kept",
                if self.dry_run {
                    "would alter the table in place"
                } else {
                    "altered the table in place"
                }
            )?,
            Some(reason) => writeln!(
                f,
                "  {rebuild} the table ({reason}), copying every column by name"
            )?,
            None => writeln!(f, "  no rebuild needed: missing columns are added")?,
        }
        if !self.narrow_integers.is_empty() {
            writeln!(
                f,
                "  {} integer to bigint: {}",
                if self.dry_run {
                    "would widen"
                } else {
                    "widened"
                },
                self.narrow_integers.join(", ")
            )?;
        }
        for name in &self.marked_applied {
            writeln!(f, "  {mark} (columns present): {name}")?;
        }
        if !self.orphans.is_empty() {
            writeln!(
                f,
                "  {} rows violate the foreign keys and are kept as they are:",
                self.orphans.len()
            )?;
            for orphan in &self.orphans {
                writeln!(
                    f,
                    "    event {}: run {:?}{}, phase {:?}{}",
                    orphan.event_id,
                    orphan.run_id,
                    if orphan.missing_run {
                        " (no such run)"
                    } else {
                        ""
                    },
                    orphan.phase_id,
                    if orphan.missing_phase {
                        " (no such phase in that run)"
                    } else {
                        ""
                    },
                )?;
            }
        }
        Ok(())
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Text)]
    child_column: String,
    #[diesel(sql_type = Nullable<Text>)]
    parent_column: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct ValueCount {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct SqlText {
    #[diesel(sql_type = Text)]
    sql: String,
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Inspects a legacy database and decides what adoption does, changing nothing.
pub(crate) fn plan(conn: &mut DbConn) -> Result<AdoptionReport, StoreError> {
    let declared = columns(conn, EVENTS)?;
    let present: Vec<String> = declared.iter().map(|c| c.name.clone()).collect();
    let is_sot_file_not_null = declared
        .iter()
        .any(|c| c.name == "is_sot_file" && c.not_null);
    let complexity_check = complexity_check_values(conn)?;
    let foreign_keys_match = foreign_keys_match(conn)?;

    let mut marked_applied = Vec::new();
    for (migration, group) in COLUMN_GROUPS {
        let missing: Vec<&str> = group
            .iter()
            .copied()
            .filter(|column| !present.iter().any(|p| p == column))
            .collect();
        if missing.is_empty() {
            marked_applied.push(migration.to_owned());
        } else if missing.len() < group.len() {
            return Err(StoreError::Legacy(format!(
                "token_estimation_v2_events has only part of the columns of {migration}: missing {}",
                missing.join(", ")
            )));
        }
    }

    let allowed: BTreeSet<&str> = Complexity::ALL.iter().map(|c| c.as_str()).collect();
    let mut reasons = Vec::new();
    match &complexity_check {
        Some(values) if values.iter().map(String::as_str).collect::<BTreeSet<_>>() == allowed => {}
        Some(values) => reasons.push(format!(
            "its complexity CHECK allows {} instead of {}",
            values.join(", "),
            allowed.iter().copied().collect::<Vec<_>>().join(", ")
        )),
        None => reasons.push("it has no complexity CHECK".to_owned()),
    }
    if !foreign_keys_match {
        reasons.push(
            "its foreign keys are not run_id → runs and (run_id, phase_id) → phases with ON DELETE CASCADE"
                .to_owned(),
        );
    }
    if is_sot_file_not_null {
        reasons.push("is_sot_file is NOT NULL while tel stores NULL outside SOT phases".to_owned());
    }
    let narrow_integers: Vec<String> = match conn {
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => declared
            .iter()
            .filter(|c| c.declared_type == "integer")
            .map(|c| c.name.clone())
            .collect(),
        DbConn::Sqlite(_) => Vec::new(),
    };
    let rebuild_reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    if rebuild_reason.is_some() {
        check_rebuild_is_lossless(conn, &present, &allowed)?;
    }
    let orphans = if table_exists(conn, "runs")? && table_exists(conn, "phases")? {
        orphans(conn)?
    } else {
        Vec::new()
    };
    Ok(AdoptionReport {
        columns: present,
        complexity_check,
        foreign_keys_match,
        is_sot_file_not_null,
        event_rows: count_events(conn)?,
        rebuild_reason,
        in_place: conn.backend() == crate::url::Backend::Postgres,
        marked_applied,
        applied: Vec::new(),
        orphans,
        narrow_integers,
        dry_run: true,
    })
}

/// A rebuild copies by name into tel's table (SQLite), an in-place ALTER adds tel's CHECK
/// (PostgreSQL): refuse when a legacy column has no place in tel's table or a stored complexity
/// would violate tel's CHECK, instead of losing data.
fn check_rebuild_is_lossless(
    conn: &mut DbConn,
    present: &[String],
    allowed: &BTreeSet<&str>,
) -> Result<(), StoreError> {
    if let DbConn::Sqlite(_) = conn {
        let known = event_table_columns();
        let unknown: Vec<&str> = present
            .iter()
            .filter(|name| !known.contains(name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(StoreError::Legacy(format!(
                "the telemetry table must be rebuilt but has columns tel does not know: {}",
                unknown.join(", ")
            )));
        }
    }
    let values: Vec<ValueCount> = crate::with_conn!(conn, c => diesel::sql_query(
        "SELECT complexity AS value, COUNT(*) AS n FROM token_estimation_v2_events GROUP BY complexity",
    )
    .load(c))
    .context("read the complexity values of token_estimation_v2_events")?;
    let rejected: Vec<String> = values
        .iter()
        .filter(|v| !allowed.contains(v.value.as_str()))
        .map(|v| format!("{:?} ({} rows)", v.value, v.n))
        .collect();
    if !rejected.is_empty() {
        return Err(StoreError::Legacy(format!(
            "rows have complexity values outside {}: {}",
            allowed.iter().copied().collect::<Vec<_>>().join(", "),
            rejected.join(", ")
        )));
    }
    Ok(())
}

/// The columns of `token_estimation_v2_events` as `schema.rs` declares them, in order.
pub fn event_table_columns() -> Vec<String> {
    let query = token_estimation_v2_events::table.select(token_estimation_v2_events::all_columns);
    let sql = debug_query::<Sqlite, _>(&query).to_string();
    let list = sql
        .strip_prefix("SELECT ")
        .and_then(|rest| rest.split(" FROM ").next())
        .unwrap_or_default();
    list.split(", ")
        .filter_map(|qualified| qualified.rsplit('.').next())
        .map(|name| name.trim_matches('`').to_owned())
        .collect()
}

/// The legacy table's foreign keys are exactly tel's two cascading keys.
fn foreign_keys_match(conn: &mut DbConn) -> Result<bool, StoreError> {
    let rows: Vec<ForeignKeyRow> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT id, \"table\" AS parent, \"from\" AS child_column, \"to\" AS parent_column, \
             on_delete FROM pragma_foreign_key_list('token_estimation_v2_events') ORDER BY id, seq",
        )
        .load(c),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT con.oid::bigint AS id, parent.relname::text AS parent, \
             a.attname::text AS child_column, pa.attname::text AS parent_column, \
             CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' \
             WHEN 'r' THEN 'RESTRICT' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END AS on_delete \
             FROM pg_constraint con \
             JOIN pg_class rel ON rel.oid = con.conrelid \
             JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
             JOIN pg_class parent ON parent.oid = con.confrelid \
             CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child, referenced, seq) \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.child \
             JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.referenced \
             WHERE con.contype = 'f' AND rel.relname = 'token_estimation_v2_events' \
             AND nsp.nspname = current_schema() ORDER BY con.oid, k.seq",
        )
        .load(c),
    }
    .context("read the foreign keys of token_estimation_v2_events")?;
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    for id in ids {
        let parts: Vec<&ForeignKeyRow> = rows.iter().filter(|r| r.id == id).collect();
        let columns: Vec<String> = parts
            .iter()
            .map(|r| {
                [
                    r.child_column.as_str(),
                    "->",
                    r.parent_column.as_deref().unwrap_or("?"),
                ]
                .concat()
            })
            .collect();
        keys.insert(
            [
                parts[0].parent.as_str(),
                ":",
                &columns.join(","),
                ":",
                &parts[0].on_delete,
            ]
            .concat(),
        );
    }
    let expected: BTreeSet<String> = [
        "runs:run_id->id:CASCADE",
        "phases:run_id->run_id,phase_id->phase_id:CASCADE",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    Ok(keys == expected)
}

/// Rows whose run or `(run, phase)` does not exist.
fn orphans(conn: &mut DbConn) -> Result<Vec<OrphanEvent>, StoreError> {
    // The cast: the original's PostgreSQL event_id is a 32-bit integer until adoption widens it.
    const ORPHANS: &str = "SELECT CAST(event_id AS BIGINT) AS event_id, run_id, phase_id, \
        NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = e.run_id) AS missing_run, \
        NOT EXISTS (SELECT 1 FROM phases p WHERE p.run_id = e.run_id AND p.phase_id = e.phase_id) AS missing_phase \
        FROM token_estimation_v2_events e \
        WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = e.run_id) \
        OR NOT EXISTS (SELECT 1 FROM phases p WHERE p.run_id = e.run_id AND p.phase_id = e.phase_id) \
        ORDER BY event_id";
    crate::with_conn!(conn, c => diesel::sql_query(ORPHANS).load(c))
        .context("look for telemetry rows without their run or phase")
}

/// Adopts the legacy database behind `conn` (see the module documentation); the legacy rows get
/// their idempotency keys from their stored values in the same transaction.
pub(crate) fn adopt(conn: &mut DbConn) -> Result<(AdoptionReport, KeyFill), StoreError> {
    let mut report = plan(conn)?;
    report.dry_run = false;
    if let DbConn::Sqlite(c) = conn {
        // Both pragmas are no-ops inside a transaction, so they wrap it.
        c.batch_execute("PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;")
            .context("prepare the adoption")?;
    }
    // Committed on its own: the rewrite makes the rows this transaction's own, and PostgreSQL then
    // re-checks the foreign keys of every row the key fill updates — the orphans would fail. The
    // widening alone is lossless and a re-run finds nothing left to widen.
    #[cfg(feature = "postgres")]
    if !report.narrow_integers.is_empty() {
        conn.write_transaction(|conn| widen_integers(conn, &report.narrow_integers))?;
    }
    let result = conn.write_transaction(|conn| {
        if report.rebuild_reason.is_some() {
            match conn {
                DbConn::Sqlite(_) => rebuild_events_table(conn, &report.marked_applied)?,
                #[cfg(feature = "postgres")]
                DbConn::Pg(_) => alter_in_place(conn, &report)?,
            }
        }
        mark_applied(conn, &report.marked_applied)?;
        report.applied = run_pending(conn)?;
        report.orphans = orphans(conn)?;
        report.event_rows = count_events(conn)?;
        fill_missing_keys(conn)
    });
    let restored = match conn {
        DbConn::Sqlite(c) => c
            .batch_execute("PRAGMA legacy_alter_table = OFF; PRAGMA foreign_keys = ON;")
            .context("restore the connection settings after adoption"),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(()),
    };
    let keys = result?;
    restored?;
    Ok((report, keys))
}

#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct ConstraintName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// PostgreSQL: gives the telemetry table tel's constraints without copying it — the complexity
/// CHECK (values checked by [`plan`]), tel's two cascading foreign keys `NOT VALID` (rows the
/// original stored without their parents are kept; new rows are checked), a nullable `is_sot_file`.
#[cfg(feature = "postgres")]
fn alter_in_place(conn: &mut DbConn, report: &AdoptionReport) -> Result<(), StoreError> {
    let DbConn::Pg(c) = conn else {
        return Err(StoreError::Legacy("not a PostgreSQL database".to_owned()));
    };
    let constraints = |c: &mut PgConnection, kind: &str| {
        diesel::sql_query(
            "SELECT con.conname::text AS name FROM pg_constraint con \
             JOIN pg_class rel ON rel.oid = con.conrelid \
             JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
             WHERE rel.relname = 'token_estimation_v2_events' AND nsp.nspname = current_schema() \
             AND con.contype = $1 AND (con.contype = 'f' OR pg_get_constraintdef(con.oid) LIKE '%complexity%')",
        )
        .bind::<Text, _>(kind)
        .load::<ConstraintName>(c)
        .context("read the constraints of token_estimation_v2_events")
    };
    let allowed: BTreeSet<&str> = Complexity::ALL.iter().map(|c| c.as_str()).collect();
    let check_matches = report.complexity_check.as_ref().is_some_and(|values| {
        values.iter().map(String::as_str).collect::<BTreeSet<_>>() == allowed
    });
    if !check_matches {
        for old in constraints(c, "c")? {
            c.batch_execute(&drop_constraint(&old.name))
                .context(&["drop constraint ", old.name.as_str()].concat())?;
        }
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ADD CONSTRAINT ck_token_estimation_v2_complexity \
             CHECK (complexity IN ('low', 'medium', 'high', 'maintenance'))",
        )
        .context("add the complexity CHECK to token_estimation_v2_events")?;
    }
    if !report.foreign_keys_match {
        for old in constraints(c, "f")? {
            c.batch_execute(&drop_constraint(&old.name))
                .context(&["drop constraint ", old.name.as_str()].concat())?;
        }
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ADD CONSTRAINT fk_token_est_v2_run \
             FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE NOT VALID; \
             ALTER TABLE token_estimation_v2_events ADD CONSTRAINT fk_token_est_v2_run_phase \
             FOREIGN KEY (run_id, phase_id) REFERENCES phases (run_id, phase_id) ON DELETE CASCADE NOT VALID",
        )
        .context("add tel's foreign keys to token_estimation_v2_events")?;
    }
    if report.is_sot_file_not_null {
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ALTER COLUMN is_sot_file DROP NOT NULL",
        )
        .context("make token_estimation_v2_events.is_sot_file nullable")?;
    }
    Ok(())
}

/// `ALTER TABLE token_estimation_v2_events DROP CONSTRAINT "name"`; the name comes from the
/// catalog and is quoted (identifiers cannot be bound).
#[cfg(feature = "postgres")]
fn drop_constraint(name: &str) -> String {
    [
        "ALTER TABLE token_estimation_v2_events DROP CONSTRAINT \"",
        &name.replace('"', "\"\""),
        "\"",
    ]
    .concat()
}

/// PostgreSQL: widens the telemetry table's `integer` columns to `bigint` (every value fits).
#[cfg(feature = "postgres")]
fn widen_integers(conn: &mut DbConn, names: &[String]) -> Result<(), StoreError> {
    let DbConn::Pg(c) = conn else {
        return Ok(());
    };
    for name in names {
        let sql = [
            "ALTER TABLE token_estimation_v2_events ALTER COLUMN \"",
            &name.replace('"', "\"\""),
            "\" TYPE bigint",
        ]
        .concat();
        c.batch_execute(&sql).context(
            &[
                "widen token_estimation_v2_events.",
                name.as_str(),
                " to bigint",
            ]
            .concat(),
        )?;
    }
    Ok(())
}

/// Rebuilds the telemetry table as tel's: rename the legacy table away, create tel's table with the
/// column groups the legacy one had, copy every column by name, drop the legacy table, re-create its
/// indexes and triggers, and keep its AUTOINCREMENT counter.
fn rebuild_events_table(conn: &mut DbConn, present_groups: &[String]) -> Result<(), StoreError> {
    let DbConn::Sqlite(c) = conn else {
        return Err(StoreError::Legacy("not an SQLite database".to_owned()));
    };
    let dependents: Vec<SqlText> = diesel::sql_query(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'token_estimation_v2_events' \
         AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
    )
    .load(c)
    .context("read the indexes of token_estimation_v2_events")?;
    let sequence: Option<Seq> = diesel::sql_query(
        "SELECT seq FROM sqlite_sequence WHERE name = 'token_estimation_v2_events'",
    )
    .get_result(c)
    .optional()
    .context("read the AUTOINCREMENT counter of token_estimation_v2_events")?;
    c.batch_execute(
        "ALTER TABLE token_estimation_v2_events RENAME TO token_estimation_v2_events_legacy",
    )
    .context("rename token_estimation_v2_events to token_estimation_v2_events_legacy")?;

    let migrations = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    for migration in &migrations {
        let name = migration.name().to_string();
        if name == EVENTS_MIGRATION || present_groups.contains(&name) {
            migration.run(c).map_err(|e| {
                StoreError::Migration([name.as_str(), ": ", &e.to_string()].concat())
            })?;
        }
    }

    let legacy_columns: Vec<String> = columns(conn, "token_estimation_v2_events_legacy")?
        .into_iter()
        .map(|col| col.name)
        .collect();
    let DbConn::Sqlite(c) = conn else {
        return Err(StoreError::Legacy("not an SQLite database".to_owned()));
    };
    c.batch_execute(&copy_statement(&legacy_columns))
        .context("copy the legacy rows into the rebuilt token_estimation_v2_events")?;
    c.batch_execute("DROP TABLE token_estimation_v2_events_legacy")
        .context("drop token_estimation_v2_events_legacy")?;
    for dependent in &dependents {
        c.batch_execute(&dependent.sql)
            .context(&["re-create ", dependent.sql.as_str()].concat())?;
    }
    if let Some(Seq { seq }) = sequence {
        diesel::sql_query(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'token_estimation_v2_events'",
        )
        .bind::<BigInt, _>(seq)
        .execute(c)
        .context("restore the AUTOINCREMENT counter of token_estimation_v2_events")?;
    }
    Ok(())
}

/// `INSERT INTO token_estimation_v2_events (cols) SELECT cols FROM token_estimation_v2_events_legacy`.
/// Identifiers cannot be bound; these come from the legacy table and were checked against
/// `schema.rs` (see `check_rebuild_is_lossless`), and are quoted.
fn copy_statement(columns: &[String]) -> String {
    let list = columns
        .iter()
        .map(|name| ["\"", &name.replace('"', "\"\""), "\""].concat())
        .collect::<Vec<_>>()
        .join(", ");
    [
        "INSERT INTO token_estimation_v2_events (",
        &list,
        ") SELECT ",
        &list,
        " FROM token_estimation_v2_events_legacy",
    ]
    .concat()
}

/// Records migrations as applied without running them.
fn mark_applied(conn: &mut DbConn, names: &[String]) -> Result<(), StoreError> {
    // Creates diesel's migrations table.
    crate::with_conn!(conn, c => c.applied_migrations().map(drop))
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    for name in names {
        match conn {
            DbConn::Sqlite(c) => {
                diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES (?)")
                    .bind::<Text, _>(version_of(name))
                    .execute(c)
            }
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => {
                diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ($1)")
                    .bind::<Text, _>(version_of(name))
                    .execute(c)
            }
        }
        .context(&["record migration ", name, " as applied"].concat())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_columns_are_read_from_schema_rs() {
        let columns = event_table_columns();
        assert_eq!(columns.len(), 36);
        assert_eq!(columns[0], "event_id");
        assert_eq!(columns[18], "created_at");
        assert_eq!(columns.last().map(String::as_str), Some("idempotency_key"));
    }
}

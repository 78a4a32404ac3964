//! Schema migrations: the embedded migrations of both backends, and the one `migrate` entry point
//! (apply / status / dry-run / down N) used by `tel migrate` and `cargo xtask migrate`.

use std::fmt;

use diesel::migration::{Migration, MigrationSource};
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::conn::DbConn;
use crate::error::QueryContext as _;
use crate::error::StoreError;
use crate::idempotency::KEY_VERSION;
use crate::introspect::{applied_migration_versions, table_exists};
use crate::legacy::{self, AdoptionReport, COLUMN_GROUPS};
use crate::models::escalations::count_escalation_events;
use crate::models::events::count_events;
use crate::models::events::{KeyFill, fill_missing_keys};
use crate::schema;
use crate::url::Backend;
use crate::with_conn;
use diesel::prelude::*;

/// The SQLite migrations (`migrations/sqlite`).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
/// The PostgreSQL migrations (`migrations/postgres`, same directory names).
#[cfg(feature = "postgres")]
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// diesel's record of applied migrations.
pub const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// What [`migrate`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateAction {
    /// Adopt a legacy database if needed, then apply every pending migration (one transaction).
    Apply,
    /// Report applied and pending migrations; change nothing.
    Status,
    /// Report what [`MigrateAction::Apply`] would do; change nothing.
    DryRun,
    /// Revert the last `steps` migrations; refused when one would drop a table holding rows,
    /// unless `force`.
    Down {
        /// How many migrations to revert.
        steps: usize,
        /// Revert even when rows would be dropped.
        force: bool,
    },
}

/// The table a migration creates or changes; its rows are what reverting it would drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touches {
    Runs,
    Phases,
    Events,
    Escalations,
    /// Only values recomputed from the stored ones (idempotency keys): reverting drops nothing.
    Recomputed,
}

/// Every migration and the table it touches (a test checks the list covers the embedded set).
const MIGRATION_TABLES: [(&str, Touches); 9] = [
    ("2026-01-01-000001_create_runs", Touches::Runs),
    ("2026-01-01-000002_create_phases", Touches::Phases),
    (
        "2026-01-01-000003_create_token_estimation_v2_events",
        Touches::Events,
    ),
    ("2026-01-01-000004_add_feature_columns", Touches::Events),
    ("2026-01-01-000005_add_sot_columns", Touches::Events),
    ("2026-01-01-000006_add_actual_max_tokens", Touches::Events),
    ("2026-01-01-000007_add_tel_columns", Touches::Events),
    (
        "2026-01-01-000008_create_token_budget_escalation_events",
        Touches::Escalations,
    ),
    ("2026-01-01-000009_idempotency_key_v2", Touches::Recomputed),
];

impl Touches {
    fn table(self) -> &'static str {
        match self {
            Self::Runs => "runs",
            Self::Phases => "phases",
            Self::Events | Self::Recomputed => "token_estimation_v2_events",
            Self::Escalations => "token_budget_escalation_events",
        }
    }

    /// Rows reverting would drop data of (0 when the table does not exist or nothing is dropped).
    fn rows(self, conn: &mut DbConn) -> Result<i64, StoreError> {
        if !table_exists(conn, self.table())? {
            return Ok(0);
        }
        match self {
            Self::Recomputed => Ok(0),
            Self::Runs => with_conn!(conn, c => schema::runs::table.count().get_result(c))
                .context("count runs"),
            Self::Phases => with_conn!(conn, c => schema::phases::table.count().get_result(c))
                .context("count phases"),
            Self::Events => count_events(conn),
            Self::Escalations => count_escalation_events(conn),
        }
    }
}

/// Applied and pending migrations, by directory name.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct MigrationState {
    /// Applied migrations, oldest first.
    pub applied: Vec<String>,
    /// Pending migrations, oldest first.
    pub pending: Vec<String>,
    /// The database was created by the original system (telemetry table, no migrations table).
    pub legacy: bool,
}

impl MigrationState {
    /// The newest applied migration (the schema version), if any.
    pub fn version(&self) -> Option<&str> {
        self.applied.last().map(String::as_str)
    }
}

/// What [`migrate`] found and did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MigrateReport {
    /// The backend.
    #[serde(serialize_with = "serialize_display")]
    pub backend: Backend,
    /// Nothing was changed (status or dry run).
    pub read_only: bool,
    /// The state before the action.
    pub before: MigrationState,
    /// Migrations applied by this call (or that would be, in a dry run).
    pub applied: Vec<String>,
    /// Migrations reverted by this call.
    pub reverted: Vec<String>,
    /// The legacy adoption that was done (or would be, in a dry run).
    pub adoption: Option<AdoptionReport>,
    /// Idempotency keys computed from stored values by an apply (legacy rows, rows written by the
    /// original, keys of an older version or dropped by a forced `--down`).
    pub keys: Option<KeyFill>,
    /// What a forced `--down` dropped (one line per reverted migration whose table held rows).
    pub lost: Vec<String>,
}

fn serialize_display<S: serde::Serializer>(
    value: &impl fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl fmt::Display for MigrateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "backend: {}", self.backend)?;
        writeln!(
            f,
            "schema version: {}",
            self.before.version().unwrap_or("none")
        )?;
        match &self.adoption {
            Some(adoption) => write!(f, "{adoption}")?,
            None if self.before.legacy => writeln!(
                f,
                "legacy database (telemetry table, no migrations table): `tel migrate --dry-run` shows its adoption"
            )?,
            None => {}
        }
        let verb = if self.read_only {
            "would apply"
        } else {
            "applied"
        };
        if self.reverted.is_empty() && self.applied.is_empty() {
            if self.read_only && !self.before.pending.is_empty() {
                for name in &self.before.pending {
                    writeln!(f, "pending: {name}")?;
                }
            } else {
                writeln!(f, "nothing to do: every migration is applied")?;
            }
        }
        for name in &self.applied {
            writeln!(f, "{verb}: {name}")?;
        }
        for name in &self.reverted {
            writeln!(f, "reverted: {name}")?;
        }
        for loss in &self.lost {
            writeln!(f, "lost: {loss}")?;
        }
        if let Some(keys) = &self.keys {
            if keys.keyed > 0 {
                writeln!(
                    f,
                    "idempotency keys (version {KEY_VERSION}) computed from stored values: {} rows",
                    keys.keyed
                )?;
            }
            for collision in &keys.collisions {
                writeln!(
                    f,
                    "  event {} has the key of event {} (same content): both kept, event {} without a key",
                    collision.event_id, collision.same_as, collision.event_id
                )?;
            }
        }
        Ok(())
    }
}

/// Every embedded migration name of the connection's backend, oldest first.
fn all_migration_names(conn: &DbConn) -> Result<Vec<String>, StoreError> {
    let names = match conn {
        DbConn::Sqlite(_) => names_of::<Sqlite>(&SQLITE_MIGRATIONS),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => names_of::<Pg>(&POSTGRES_MIGRATIONS),
    };
    names.map_err(|e| StoreError::Migration(e.to_string()))
}

fn names_of<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
) -> diesel::migration::Result<Vec<String>>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let mut names: Vec<String> = MigrationSource::<DB>::migrations(source)?
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    names.sort();
    Ok(names)
}

/// The version part (`20260101000001`) of a migration directory name.
pub(crate) fn version_of(name: &str) -> String {
    name.split('_')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Reads the migration state without creating anything.
pub fn migration_state(conn: &mut DbConn) -> Result<MigrationState, StoreError> {
    let names = all_migration_names(conn)?;
    let has_table = table_exists(conn, MIGRATIONS_TABLE)?;
    // A plain SELECT: diesel's `applied_migrations` first runs `CREATE TABLE IF NOT EXISTS`, which
    // a read-only PostgreSQL session refuses even when the table exists.
    let applied_versions: Vec<String> = if has_table {
        applied_migration_versions(conn)?
    } else {
        Vec::new()
    };
    let (applied, pending) = names
        .into_iter()
        .partition(|name| applied_versions.contains(&version_of(name)));
    let legacy = !has_table && table_exists(conn, "token_estimation_v2_events")?;
    Ok(MigrationState {
        applied,
        pending,
        legacy,
    })
}

/// Applies, inspects or reverts the schema (see [`MigrateAction`]). A legacy database (telemetry
/// table present, no migrations table) is adopted in place first; see the `legacy` module.
pub fn migrate(conn: &mut DbConn, action: MigrateAction) -> Result<MigrateReport, StoreError> {
    let before = migration_state(conn)?;
    let mut report = MigrateReport {
        backend: conn.backend(),
        read_only: matches!(action, MigrateAction::Status | MigrateAction::DryRun),
        before: before.clone(),
        applied: Vec::new(),
        reverted: Vec::new(),
        adoption: None,
        keys: None,
        lost: Vec::new(),
    };
    match action {
        MigrateAction::Status => {}
        MigrateAction::DryRun => {
            if before.legacy {
                let plan = legacy::plan(conn)?;
                report.applied = before
                    .pending
                    .iter()
                    .filter(|name| !plan.marked_applied.contains(name))
                    .cloned()
                    .collect();
                report.adoption = Some(plan);
            } else {
                report.applied = before.pending.clone();
            }
        }
        MigrateAction::Apply => {
            let keys = if before.legacy {
                let (adoption, keys) = legacy::adopt(conn)?;
                report.applied = adoption.applied.clone();
                report.adoption = Some(adoption);
                keys
            } else {
                let (applied, keys) = conn.write_transaction(|conn| {
                    let applied = run_pending(conn)?;
                    Ok::<_, StoreError>((applied, fill_missing_keys(conn)?))
                })?;
                report.applied = applied;
                keys
            };
            report.keys = Some(keys);
        }
        MigrateAction::Down { steps, force } => {
            let to_revert: Vec<String> = before.applied.iter().rev().take(steps).cloned().collect();
            let lost = data_loss(conn, &to_revert)?;
            if !force && !lost.is_empty() {
                return Err(StoreError::Migration(
                    [lost.join("; ").as_str(), "; pass --force to revert anyway"].concat(),
                ));
            }
            conn.write_transaction(|conn| {
                for _ in &to_revert {
                    match conn {
                        DbConn::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(drop),
                        #[cfg(feature = "postgres")]
                        DbConn::Pg(c) => c.revert_last_migration(POSTGRES_MIGRATIONS).map(drop),
                    }
                    .map_err(|e| StoreError::Migration(e.to_string()))?;
                }
                Ok::<_, StoreError>(())
            })?;
            report.reverted = to_revert;
            report.lost = lost;
        }
    }
    Ok(report)
}

/// Applies every pending migration; returns their names.
pub(crate) fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    let versions: Vec<String> = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(all_migration_names(conn)?
        .into_iter()
        .filter(|name| versions.contains(&version_of(name)))
        .collect())
}

/// What reverting `names` would drop, one line per migration whose table holds rows.
fn data_loss(conn: &mut DbConn, names: &[String]) -> Result<Vec<String>, StoreError> {
    let mut lost = Vec::new();
    for name in names {
        let touches = MIGRATION_TABLES
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, touches)| *touches)
            .ok_or_else(|| {
                StoreError::Migration(["no data-loss rule for migration ", name].concat())
            })?;
        let rows = touches.rows(conn)?;
        if rows == 0 {
            continue;
        }
        let table = touches.table();
        lost.push(match COLUMN_GROUPS.iter().find(|(group, _)| group == name) {
            Some((_, columns)) => {
                let recomputed = if columns.contains(&"idempotency_key") {
                    " (idempotency keys are recomputed from the stored values by the next `tel migrate`)"
                } else {
                    ""
                };
                format!(
                    "reverting {name} drops columns {} of table {table} ({rows} rows){recomputed}",
                    columns.join(", ")
                )
            }
            None => format!("reverting {name} drops table {table} ({rows} rows)"),
        });
    }
    Ok(lost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_migration_has_a_data_loss_rule() {
        let known: Vec<&str> = MIGRATION_TABLES.iter().map(|(n, _)| *n).collect();
        assert_eq!(names_of::<Sqlite>(&SQLITE_MIGRATIONS).unwrap(), known);
        #[cfg(feature = "postgres")]
        assert_eq!(names_of::<Pg>(&POSTGRES_MIGRATIONS).unwrap(), known);
    }
}

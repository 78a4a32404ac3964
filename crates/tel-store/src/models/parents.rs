//! The run and phase an event belongs to, created when missing — in tel's own `runs`/`phases` and in
//! the original's wider tables of an adopted database alike (docs/STORE.md, "Parents of new events").
//!
//! The original's `runs`, `phases` and `tiers` have NOT NULL columns without defaults (its ORM
//! supplied them). A missing parent row gets, for each such column: the original ORM's default where
//! it had one, a terminal state (so the executor never schedules a row tel made up), the id of a
//! placeholder tier of the run for `phases.tier_id`, else a neutral value of the column's type
//! (0, false, now, ""). Nullable note columns say the row was created by tel. Rows that exist are
//! never changed.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::dsl::{exists, select};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::Sqlite;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::introspect::{ColumnInfo, ForeignKeyColumn, columns, foreign_key_columns};
use crate::schema::{phases, runs};
use crate::sql_timestamp::now;
use crate::url::Backend;

/// The text tel writes in a created row's note column (see `NOTES`).
pub const CREATED_BY_TEL: &str =
    "created by tel: telemetry was recorded for it and this database did not have it";

/// `tiers.tier_id` of the placeholder tier tel creates, once per run, for the phases it creates.
pub const PLACEHOLDER_TIER: &str = "tel-telemetry";

/// A value to insert.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// Values of the original's NOT NULL columns without a database default, by table and column: its
/// ORM's defaults, and terminal states (a run or phase tel creates must never be executed). Other
/// such columns get a neutral value of their type ([`placeholder`]).
const KNOWN: [(&str, &str, Known); 13] = [
    (
        "runs",
        "state",
        Known::Text("DONE_FAILED_REQUIRES_HUMAN_REVIEW"),
    ),
    ("runs", "safety_profile", Known::Text("normal")),
    ("runs", "run_scope", Known::Text("multi_tier")),
    ("runs", "token_cap", Known::Int(5_000_000)),
    ("runs", "max_phases", Known::Int(25)),
    ("runs", "max_duration_minutes", Known::Int(120)),
    ("runs", "promotion_eligible_to_main", Known::Text("false")),
    ("tiers", "name", Known::Text("telemetry recorded by tel")),
    ("tiers", "state", Known::Text("SKIPPED")),
    ("tiers", "cleanliness", Known::Text("clean")),
    ("phases", "name", Known::PhaseId),
    ("phases", "state", Known::Text("SKIPPED")),
    ("phases", "issue_state", Known::Text("no_issues")),
];

/// Nullable columns that carry [`CREATED_BY_TEL`] when present.
const NOTES: [(&str, &str); 3] = [
    ("runs", "failure_reason"),
    ("tiers", "description"),
    ("phases", "description"),
];

#[derive(Debug, Clone, Copy)]
enum Known {
    Text(&'static str),
    Int(i64),
    /// The phase's own id.
    PhaseId,
}

/// Creates run `run_id` and phase `(run_id, phase_id)` unless they exist (see the module
/// documentation). Runs in the caller's transaction.
pub fn ensure_parents(conn: &mut DbConn, run_id: &str, phase_id: &str) -> Result<(), StoreError> {
    let missing = missing_parents(conn, run_id, phase_id)?;
    create_parents(
        conn,
        &mut ParentTables::default(),
        run_id,
        phase_id,
        missing,
    )
}

/// The columns and foreign keys of the parent tables, read once per batch of inserts (on PostgreSQL
/// each read is a catalog query).
#[derive(Debug, Default)]
pub(crate) struct ParentTables {
    columns: HashMap<String, Vec<ColumnInfo>>,
    foreign_keys: HashMap<String, Vec<ForeignKeyColumn>>,
}

impl ParentTables {
    fn columns(&mut self, conn: &mut DbConn, table: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        if let Some(known) = self.columns.get(table) {
            return Ok(known.clone());
        }
        let read = columns(conn, table)?;
        self.columns.insert(table.to_owned(), read.clone());
        Ok(read)
    }

    /// The table that `column` of `table` references, if any.
    fn parent_of(
        &mut self,
        conn: &mut DbConn,
        table: &str,
        column: &str,
    ) -> Result<Option<String>, StoreError> {
        if !self.foreign_keys.contains_key(table) {
            let read = foreign_key_columns(conn, table)?;
            self.foreign_keys.insert(table.to_owned(), read);
        }
        Ok(self.foreign_keys.get(table).and_then(|keys| {
            keys.iter()
                .find(|fk| fk.column == column)
                .map(|fk| fk.parent.clone())
        }))
    }
}

/// Which of an event's parents are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingParents {
    /// No `runs` row.
    pub run: bool,
    /// No `phases` row for `(run_id, phase_id)`.
    pub phase: bool,
}

impl MissingParents {
    /// Nothing is missing.
    pub fn none(self) -> bool {
        !self.run && !self.phase
    }
}

/// Looks up run `run_id` and phase `(run_id, phase_id)`.
pub(crate) fn missing_parents(
    conn: &mut DbConn,
    run_id: &str,
    phase_id: &str,
) -> Result<MissingParents, StoreError> {
    let run = !run_exists(conn, run_id).context(&["look up run ", run_id].concat())?;
    // A missing run has no phases.
    let phase = run
        || !phase_exists(conn, run_id, phase_id)
            .context(&["look up phase ", phase_id, " of run ", run_id].concat())?;
    Ok(MissingParents { run, phase })
}

/// A stored phase: `(run_id, phase_id)`.
pub(crate) type PhaseKey = (String, String);

/// Which of `run_ids` are stored, and which phases of them among `phase_ids` (as `(run_id, phase_id)`):
/// one lookup per chunk of ids for a whole batch of events.
pub(crate) fn existing_parents(
    conn: &mut DbConn,
    run_ids: &BTreeSet<&str>,
    phase_ids: &BTreeSet<&str>,
) -> Result<(HashSet<String>, HashSet<PhaseKey>), StoreError> {
    const CHUNK: usize = 500;
    let run_ids: Vec<&str> = run_ids.iter().copied().collect();
    let phase_ids: Vec<&str> = phase_ids.iter().copied().collect();
    let mut runs = HashSet::new();
    let mut phases = HashSet::new();
    for run_chunk in run_ids.chunks(CHUNK) {
        let found: Vec<String> = crate::with_conn!(conn, c => runs::table
            .select(runs::id)
            .filter(runs::id.eq_any(run_chunk))
            .load(c))
        .context("look up runs")?;
        runs.extend(found);
        for phase_chunk in phase_ids.chunks(CHUNK) {
            let found: Vec<(String, String)> = crate::with_conn!(conn, c => phases::table
                .select((phases::run_id, phases::phase_id))
                .filter(phases::run_id.eq_any(run_chunk))
                .filter(phases::phase_id.eq_any(phase_chunk))
                .load(c))
            .context("look up phases")?;
            phases.extend(found);
        }
    }
    Ok((runs, phases))
}

/// Creates the parents `missing` says are missing.
pub(crate) fn create_parents(
    conn: &mut DbConn,
    tables: &mut ParentTables,
    run_id: &str,
    phase_id: &str,
    missing: MissingParents,
) -> Result<(), StoreError> {
    if missing.run {
        let action = || ["create run ", run_id, " in runs"].concat();
        let plain = match conn {
            DbConn::Sqlite(c) => Some(
                diesel::insert_into(runs::table)
                    .values(runs::id.eq(run_id))
                    .on_conflict_do_nothing()
                    .execute(c),
            ),
            #[cfg(feature = "postgres")]
            DbConn::Pg(_) => None,
        };
        if needs_placeholders(plain).context(&action())? {
            insert_row(
                conn,
                tables,
                "runs",
                vec![("id".to_owned(), Value::Text(run_id.to_owned()))],
                run_id,
                phase_id,
            )
            .map_err(|e| e.within(&action()))?;
        }
    }
    if missing.phase {
        let action = || ["create phase ", phase_id, " of run ", run_id, " in phases"].concat();
        let plain = match conn {
            DbConn::Sqlite(c) => Some(
                diesel::insert_into(phases::table)
                    .values((phases::run_id.eq(run_id), phases::phase_id.eq(phase_id)))
                    .on_conflict_do_nothing()
                    .execute(c),
            ),
            #[cfg(feature = "postgres")]
            DbConn::Pg(_) => None,
        };
        if needs_placeholders(plain).context(&action())? {
            insert_row(
                conn,
                tables,
                "phases",
                vec![
                    ("run_id".to_owned(), Value::Text(run_id.to_owned())),
                    ("phase_id".to_owned(), Value::Text(phase_id.to_owned())),
                ],
                run_id,
                phase_id,
            )
            .map_err(|e| e.within(&action()))?;
        }
    }
    Ok(())
}

/// Whether the id-only insert tried first (SQLite, a cached statement: a failed statement leaves the
/// transaction usable there) must be redone with the introspected placeholders: it was not tried
/// (PostgreSQL, where a failure aborts the transaction) or a NOT NULL column had no default.
fn needs_placeholders(
    plain: Option<Result<usize, diesel::result::Error>>,
) -> Result<bool, diesel::result::Error> {
    match plain {
        None => Ok(true),
        Some(Ok(_)) => Ok(false),
        Some(Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::NotNullViolation,
            _,
        ))) => Ok(true),
        Some(Err(other)) => Err(other),
    }
}

// Through the DSL (cached statements): `runs.id`, `phases.run_id` and `phases.phase_id` exist in
// tel's tables and the original's alike.
fn run_exists(conn: &mut DbConn, run_id: &str) -> Result<bool, diesel::result::Error> {
    crate::with_conn!(conn, c => select(exists(runs::table.filter(runs::id.eq(run_id)))).get_result(c))
}

fn phase_exists(
    conn: &mut DbConn,
    run_id: &str,
    phase_id: &str,
) -> Result<bool, diesel::result::Error> {
    let existing = phases::table
        .filter(phases::run_id.eq(run_id))
        .filter(phases::phase_id.eq(phase_id));
    crate::with_conn!(conn, c => select(exists(existing)).get_result(c))
}

/// Why a parent row could not be made.
#[derive(Debug)]
enum ParentError {
    Store(StoreError),
    Query(diesel::result::Error),
    Unfillable(String),
}

impl From<StoreError> for ParentError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<diesel::result::Error> for ParentError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Query(err)
    }
}

impl ParentError {
    fn within(self, action: &str) -> StoreError {
        match self {
            Self::Store(err) => err,
            Self::Query(cause) => StoreError::Query {
                action: action.to_owned(),
                cause,
            },
            Self::Unfillable(why) => StoreError::Parent {
                action: action.to_owned(),
                reason: why,
            },
        }
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `"name"` with embedded quotes doubled: identifiers cannot be bound; these come from the
/// database's own catalog or from this module's constants.
fn quoted(name: &str) -> String {
    ["\"", &name.replace('"', "\"\""), "\""].concat()
}

/// Whether `table` has a row with these text column values (columns from this module's calls).
fn row_exists(
    conn: &mut DbConn,
    table: &str,
    keys: &[(&str, &str)],
) -> Result<bool, diesel::result::Error> {
    let pg = conn.backend() == Backend::Postgres;
    let mut sql = ["SELECT COUNT(*) AS n FROM ", &quoted(table), " WHERE "].concat();
    for (i, (column, _)) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(" AND ");
        }
        sql.push_str(&quoted(column));
        sql.push_str(" = ");
        sql.push_str(&if pg {
            ["$", &(i + 1).to_string()].concat()
        } else {
            "?".to_owned()
        });
    }
    let found: Found = match conn {
        DbConn::Sqlite(c) => {
            let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for (_, value) in keys {
                query = query.bind::<Text, _>(value.to_string());
            }
            query.get_result(c)?
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            let mut query = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
            for (_, value) in keys {
                query = query.bind::<Text, _>(value.to_string());
            }
            query.get_result(c)?
        }
    };
    Ok(found.n > 0)
}

/// Inserts a row of `table` with `given` values and a value for every other NOT NULL column that
/// has no default; a row a concurrent writer created first (same key) is kept.
fn insert_row(
    conn: &mut DbConn,
    tables: &mut ParentTables,
    table: &str,
    values: Vec<(String, Value)>,
    run_id: &str,
    phase_id: &str,
) -> Result<(), ParentError> {
    let values = complete_row(conn, tables, table, values, run_id, phase_id)?;
    let names: Vec<String> = values.iter().map(|(name, _)| quoted(name)).collect();
    let list = names.join(", ");
    match conn {
        DbConn::Sqlite(c) => {
            let marks = vec!["?"; values.len()].join(", ");
            let sql = [
                "INSERT INTO ",
                &quoted(table),
                " (",
                &list,
                ") VALUES (",
                &marks,
                ") ON CONFLICT DO NOTHING",
            ]
            .concat();
            let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for (_, value) in values {
                query = match value {
                    Value::Text(text) => query.bind::<Text, _>(text),
                    Value::Int(n) => query.bind::<BigInt, _>(n),
                    Value::Bool(b) => query.bind::<Bool, _>(b),
                };
            }
            query.execute(c)?;
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => insert_rows_pg(c, table, vec![values])?,
    }
    Ok(())
}

/// `given` plus a value for every other column of `table` that is NOT NULL without a default or is a
/// note column ([`NOTES`]): the same columns, in the same order, for every row of `table`.
fn complete_row(
    conn: &mut DbConn,
    tables: &mut ParentTables,
    table: &str,
    mut values: Vec<(String, Value)>,
    run_id: &str,
    phase_id: &str,
) -> Result<Vec<(String, Value)>, ParentError> {
    let declared = tables.columns(conn, table)?;
    for column in &declared {
        if values.iter().any(|(name, _)| *name == column.name) {
            continue;
        }
        let note = NOTES.contains(&(table, column.name.as_str()));
        let required = column.not_null && column.default.is_none() && !column.generated;
        if !required && !note {
            continue;
        }
        let value = if note {
            Value::Text(CREATED_BY_TEL.to_owned())
        } else if let Some(parent) = tables.parent_of(conn, table, &column.name)? {
            parent_key(conn, tables, table, column, &parent, run_id)?
        } else {
            placeholder(table, column, phase_id)
        };
        values.push((column.name.clone(), value));
    }
    Ok(values)
}

/// Inserts rows of `table` (each with the same columns, see [`complete_row`]) in one statement; rows
/// a concurrent writer created first (same key) are kept.
#[cfg(feature = "postgres")]
fn insert_rows_pg(
    c: &mut PgConnection,
    table: &str,
    rows: Vec<Vec<(String, Value)>>,
) -> Result<(), diesel::result::Error> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let names: Vec<String> = first.iter().map(|(name, _)| quoted(name)).collect();
    let list = names.join(", ");
    // json_populate_recordset converts each value to the column's own type (enum types of the
    // original's ORM included), which a text bind parameter would not.
    let records: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|values| {
            let record: serde_json::Map<String, serde_json::Value> = values
                .into_iter()
                .map(|(name, value)| {
                    let json = match value {
                        Value::Text(text) => serde_json::Value::from(text),
                        Value::Int(n) => serde_json::Value::from(n),
                        Value::Bool(b) => serde_json::Value::from(b),
                    };
                    (name, json)
                })
                .collect();
            serde_json::Value::Object(record)
        })
        .collect();
    let sql = [
        "INSERT INTO ",
        &quoted(table),
        " (",
        &list,
        ") SELECT ",
        &list,
        " FROM json_populate_recordset(NULL::",
        &quoted(table),
        ", $1::json) ON CONFLICT DO NOTHING",
    ]
    .concat();
    diesel::sql_query(sql)
        .bind::<Text, _>(serde_json::Value::Array(records).to_string())
        .execute(c)?;
    Ok(())
}

/// Creates the missing runs and phases of `pairs` (run id, phase id) on PostgreSQL with two lookups
/// and at most one INSERT per table, instead of a few round trips per pair: the parents of a bulk
/// insert's batch. Runs in the caller's transaction.
#[cfg(feature = "postgres")]
pub(crate) fn create_missing_parents_pg(
    conn: &mut DbConn,
    pairs: &BTreeSet<(&str, &str)>,
) -> Result<(), StoreError> {
    use std::collections::HashSet;

    let DbConn::Pg(c) = conn else {
        return Ok(());
    };
    let run_ids: Vec<&str> = {
        let mut ids: Vec<&str> = pairs.iter().map(|(run, _)| *run).collect();
        ids.dedup();
        ids
    };
    let existing_runs: HashSet<String> = runs::table
        .select(runs::id)
        .filter(runs::id.eq_any(&run_ids))
        .load::<String>(c)
        .context("look up the runs of a batch of events")?
        .into_iter()
        .collect();
    let existing_phases: HashSet<(String, String)> = phases::table
        .select((phases::run_id, phases::phase_id))
        .filter(phases::run_id.eq_any(&run_ids))
        .load::<(String, String)>(c)
        .context("look up the phases of a batch of events")?
        .into_iter()
        .collect();
    let mut tables = ParentTables::default();
    // Runs first: completing a phase of the original's tables creates its run's placeholder tier, which
    // references the run.
    let mut new_runs = Vec::new();
    for (run_id, phase_id) in pairs
        .iter()
        .filter(|(run_id, _)| !existing_runs.contains(*run_id))
    {
        // Pairs are sorted, so one run's pairs are adjacent.
        if new_runs.last().is_some_and(|(id, _)| id == run_id) {
            continue;
        }
        let action = || ["create run ", run_id, " in runs"].concat();
        let given = vec![("id".to_owned(), Value::Text((*run_id).to_owned()))];
        let row = complete_row(conn, &mut tables, "runs", given, run_id, phase_id)
            .map_err(|e| e.within(&action()))?;
        new_runs.push((*run_id, row));
    }
    if let DbConn::Pg(c) = conn {
        insert_rows_pg(
            c,
            "runs",
            new_runs.into_iter().map(|(_, row)| row).collect(),
        )
        .context("create the missing runs of a batch of events")?;
    }
    let mut new_phases = Vec::new();
    for &(run_id, phase_id) in pairs {
        if existing_phases.contains(&(run_id.to_owned(), phase_id.to_owned())) {
            continue;
        }
        let action = || ["create phase ", phase_id, " of run ", run_id, " in phases"].concat();
        let given = vec![
            ("run_id".to_owned(), Value::Text(run_id.to_owned())),
            ("phase_id".to_owned(), Value::Text(phase_id.to_owned())),
        ];
        new_phases.push(
            complete_row(conn, &mut tables, "phases", given, run_id, phase_id)
                .map_err(|e| e.within(&action()))?,
        );
    }
    if let DbConn::Pg(c) = conn {
        insert_rows_pg(c, "phases", new_phases)
            .context("create the missing phases of a batch of events")?;
    }
    Ok(())
}

/// The value of a required column that has no foreign key: the original's value, else a neutral
/// value of its type.
fn placeholder(table: &str, column: &ColumnInfo, phase_id: &str) -> Value {
    let known = KNOWN
        .iter()
        .find(|(t, c, _)| *t == table && *c == column.name)
        .map(|(_, _, known)| *known);
    match known {
        Some(Known::Text(text)) => return Value::Text(text.to_owned()),
        Some(Known::Int(n)) => return Value::Int(n),
        Some(Known::PhaseId) => return Value::Text(phase_id.to_owned()),
        None => {}
    }
    let declared = column.declared_type.to_ascii_uppercase();
    if declared.contains("INT") {
        Value::Int(0)
    } else if declared.contains("BOOL") {
        Value::Bool(false)
    } else if declared.contains("DATE") || declared.contains("TIME") {
        Value::Text(now().to_sql_text())
    } else if declared.contains("REAL")
        || declared.contains("FLOA")
        || declared.contains("DOUB")
        || declared.contains("NUMERIC")
    {
        Value::Int(0)
    } else {
        Value::Text(String::new())
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The value of a required foreign-key column: the run itself for a reference to `runs`, the run's
/// placeholder tier (created once) for a reference to `tiers`.
fn parent_key(
    conn: &mut DbConn,
    tables: &mut ParentTables,
    table: &str,
    column: &ColumnInfo,
    parent: &str,
    run_id: &str,
) -> Result<Value, ParentError> {
    match parent {
        "runs" => Ok(Value::Text(run_id.to_owned())),
        "tiers" => {
            let keys = [("run_id", run_id), ("tier_id", PLACEHOLDER_TIER)];
            if !row_exists(conn, "tiers", &keys)? {
                insert_row(
                    conn,
                    tables,
                    "tiers",
                    vec![
                        ("run_id".to_owned(), Value::Text(run_id.to_owned())),
                        (
                            "tier_id".to_owned(),
                            Value::Text(PLACEHOLDER_TIER.to_owned()),
                        ),
                    ],
                    run_id,
                    "",
                )?;
            }
            let id: Id = match conn {
                DbConn::Sqlite(c) => diesel::sql_query(
                    "SELECT id FROM tiers WHERE run_id = ? AND tier_id = ? ORDER BY id LIMIT 1",
                )
                .bind::<Text, _>(run_id)
                .bind::<Text, _>(PLACEHOLDER_TIER)
                .get_result(c)?,
                #[cfg(feature = "postgres")]
                DbConn::Pg(c) => diesel::sql_query(
                    "SELECT id::bigint AS id FROM tiers WHERE run_id = $1 AND tier_id = $2 ORDER BY id LIMIT 1",
                )
                .bind::<Text, _>(run_id)
                .bind::<Text, _>(PLACEHOLDER_TIER)
                .get_result(c)?,
            };
            Ok(Value::Int(id.id))
        }
        other => Err(ParentError::Unfillable(
            [
                "column ",
                table,
                ".",
                &column.name,
                " is NOT NULL without a default and references ",
                other,
                ", which tel does not fill",
            ]
            .concat(),
        )),
    }
}

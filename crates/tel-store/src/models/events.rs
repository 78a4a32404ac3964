//! `token_estimation_v2_events`: row types and their queries (insert once or in bulk, exactly-once
//! by idempotency key; streaming filtered reads; counts; pruning).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use diesel::dsl::{max, min};
use diesel::prelude::*;
use tel_core::{Complexity, DocFeatures, SotFields, TelemetryEvent, Timestamp, UsageKind};

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::idempotency::idempotency_key;
use crate::models::{parents, phases};
use crate::schema::token_estimation_v2_events;
use crate::schema::token_estimation_v2_events::dsl as ev;
use crate::sql_timestamp::SqlTimestamp;
use crate::with_conn;

/// Rows per multi-row INSERT: 36 bound values each stays far below SQLite's and PostgreSQL's limits.
const INSERT_CHUNK_ROWS: usize = 500;

/// What an insert does besides inserting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertOptions {
    /// Create the `runs` / `phases` rows of events that will be stored when they are missing (foreign
    /// keys are enforced); in the original's wide tables too (see [`crate::ensure_parents`]).
    pub ensure_parents: bool,
    /// Apply the run_id backfill of FORMATS.md F2.5 to events whose run id is empty or `unknown`,
    /// flagging them `run_id_inferred`.
    pub backfill_run_id: bool,
}

impl InsertOptions {
    /// What the recorder and spool replay do: create parents and backfill run ids.
    pub const RECORDER: Self = Self {
        ensure_parents: true,
        backfill_run_id: true,
    };
    /// Rows exactly as given; parents must exist.
    pub const EXACT: Self = Self {
        ensure_parents: false,
        backfill_run_id: false,
    };
}

/// The outcome of a bulk insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsertSummary {
    /// Rows written.
    pub inserted: u64,
    /// Events skipped because a row with the same idempotency key exists.
    pub duplicates: u64,
}

/// Order of a streaming read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventOrder {
    /// `(timestamp, event_id)` ascending.
    #[default]
    Ascending,
    /// `(timestamp, event_id)` descending (the legacy export order, ties broken by event id).
    Descending,
}

/// Filters of a streaming read; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Exact run id.
    pub run_id: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Exact complexity.
    pub complexity: Option<Complexity>,
    /// Exact model.
    pub model: Option<String>,
    /// Builder success flag.
    pub success: Option<bool>,
    /// Truncation flag.
    pub truncated: Option<bool>,
    /// Events at or after this time.
    pub since: Option<Timestamp>,
    /// Events strictly before this time.
    pub until: Option<Timestamp>,
    /// Reading order.
    pub order: EventOrder,
}

/// One stored row: every event column (`stop_reason_kind` is recomputed from `stop_reason` and the
/// idempotency key is write-side only, so neither is read).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = token_estimation_v2_events)]
#[cfg_attr(
    feature = "postgres",
    diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))
)]
#[cfg_attr(
    not(feature = "postgres"),
    diesel(check_for_backend(diesel::sqlite::Sqlite))
)]
struct EventRow {
    event_id: i64,
    run_id: String,
    phase_id: String,
    timestamp: SqlTimestamp,
    category: String,
    complexity: String,
    deliverable_count: i64,
    deliverables_json: String,
    predicted_output_tokens: i64,
    actual_output_tokens: i64,
    selected_budget: i64,
    success: bool,
    truncated: bool,
    stop_reason: Option<String>,
    model: String,
    smape_percent: Option<f64>,
    waste_ratio: Option<f64>,
    underestimated: Option<bool>,
    created_at: SqlTimestamp,
    is_truncated_output: bool,
    api_reference_required: Option<bool>,
    examples_required: Option<bool>,
    research_required: Option<bool>,
    usage_guide_required: Option<bool>,
    context_quality: Option<String>,
    is_sot_file: Option<bool>,
    sot_file_name: Option<String>,
    sot_entry_count_hint: Option<i64>,
    actual_max_tokens: Option<i64>,
    estimator_profile: Option<String>,
    coefficients_hash: Option<String>,
    provider: Option<String>,
    usage_kind: Option<String>,
    run_id_inferred: Option<bool>,
}

impl EventRow {
    fn into_event(self) -> Result<TelemetryEvent, StoreError> {
        let invalid = |column: &'static str, value: &str, expected: &str| StoreError::InvalidRow {
            event_id: self.event_id,
            column,
            value: value.to_owned(),
            expected: expected.to_owned(),
        };
        let complexity = Complexity::parse(&self.complexity)
            .map_err(|e| invalid("complexity", &self.complexity, &e.to_string()))?;
        let usage_kind = match self.usage_kind.as_deref() {
            None => None,
            Some("output") => Some(UsageKind::Output),
            Some("total") => Some(UsageKind::Total),
            Some(other) => return Err(invalid("usage_kind", other, "output or total")),
        };
        Ok(TelemetryEvent {
            event_id: Some(self.event_id),
            run_id: self.run_id,
            phase_id: self.phase_id,
            timestamp: self.timestamp.0,
            category: self.category,
            complexity,
            deliverable_count: self.deliverable_count,
            deliverables_json: self.deliverables_json,
            predicted_output_tokens: self.predicted_output_tokens,
            actual_output_tokens: self.actual_output_tokens,
            selected_budget: self.selected_budget,
            actual_max_tokens: self.actual_max_tokens,
            success: self.success,
            truncated: self.truncated,
            stop_reason: self.stop_reason,
            model: self.model,
            smape_percent: self.smape_percent,
            waste_ratio: self.waste_ratio,
            underestimated: self.underestimated,
            is_truncated_output: self.is_truncated_output,
            doc_features: DocFeatures {
                api_reference_required: self.api_reference_required,
                examples_required: self.examples_required,
                research_required: self.research_required,
                usage_guide_required: self.usage_guide_required,
                context_quality: self.context_quality,
            },
            sot: SotFields {
                is_sot_file: self.is_sot_file,
                sot_file_name: self.sot_file_name,
                sot_entry_count_hint: self.sot_entry_count_hint,
            },
            created_at: self.created_at.0,
            estimator_profile: self.estimator_profile,
            coefficients_hash: self.coefficients_hash,
            provider: self.provider,
            usage_kind,
            run_id_inferred: self.run_id_inferred.unwrap_or(false),
        })
    }
}

/// A row to insert; `event_id` is always assigned by the database.
#[derive(Debug, Insertable)]
#[diesel(table_name = token_estimation_v2_events)]
#[diesel(treat_none_as_default_value = false)]
pub(super) struct NewEventRow<'a> {
    pub(super) run_id: &'a str,
    pub(super) phase_id: &'a str,
    pub(super) timestamp: SqlTimestamp,
    pub(super) category: &'a str,
    pub(super) complexity: &'static str,
    pub(super) deliverable_count: i64,
    pub(super) deliverables_json: &'a str,
    pub(super) predicted_output_tokens: i64,
    pub(super) actual_output_tokens: i64,
    pub(super) selected_budget: i64,
    pub(super) success: bool,
    pub(super) truncated: bool,
    pub(super) stop_reason: Option<&'a str>,
    pub(super) model: &'a str,
    pub(super) smape_percent: Option<f64>,
    pub(super) waste_ratio: Option<f64>,
    pub(super) underestimated: Option<bool>,
    pub(super) created_at: SqlTimestamp,
    pub(super) is_truncated_output: bool,
    pub(super) api_reference_required: Option<bool>,
    pub(super) examples_required: Option<bool>,
    pub(super) research_required: Option<bool>,
    pub(super) usage_guide_required: Option<bool>,
    pub(super) context_quality: Option<&'a str>,
    pub(super) is_sot_file: Option<bool>,
    pub(super) sot_file_name: Option<&'a str>,
    pub(super) sot_entry_count_hint: Option<i64>,
    pub(super) actual_max_tokens: Option<i64>,
    pub(super) estimator_profile: Option<&'a str>,
    pub(super) coefficients_hash: Option<&'a str>,
    pub(super) provider: Option<&'a str>,
    pub(super) usage_kind: Option<&'static str>,
    pub(super) stop_reason_kind: Option<&'static str>,
    pub(super) run_id_inferred: Option<bool>,
    pub(super) idempotency_key: Option<&'a str>,
}

/// An event ready to insert: its possibly backfilled run id and its key (of the stored form).
pub(super) struct Prepared {
    pub(super) event: TelemetryEvent,
    pub(super) key: String,
}

impl Prepared {
    pub(super) fn row(&self) -> NewEventRow<'_> {
        let e = &self.event;
        NewEventRow {
            run_id: &e.run_id,
            phase_id: &e.phase_id,
            timestamp: SqlTimestamp(e.timestamp),
            category: &e.category,
            complexity: e.complexity.as_str(),
            deliverable_count: e.deliverable_count,
            deliverables_json: &e.deliverables_json,
            predicted_output_tokens: e.predicted_output_tokens,
            actual_output_tokens: e.actual_output_tokens,
            selected_budget: e.selected_budget,
            success: e.success,
            truncated: e.truncated,
            stop_reason: e.stop_reason.as_deref(),
            model: &e.model,
            smape_percent: e.smape_percent,
            waste_ratio: e.waste_ratio,
            underestimated: e.underestimated,
            created_at: SqlTimestamp(e.created_at),
            is_truncated_output: e.is_truncated_output,
            api_reference_required: e.doc_features.api_reference_required,
            examples_required: e.doc_features.examples_required,
            research_required: e.doc_features.research_required,
            usage_guide_required: e.doc_features.usage_guide_required,
            context_quality: e.doc_features.context_quality.as_deref(),
            is_sot_file: e.sot.is_sot_file,
            sot_file_name: e.sot.sot_file_name.as_deref(),
            sot_entry_count_hint: e.sot.sot_entry_count_hint,
            actual_max_tokens: e.actual_max_tokens,
            estimator_profile: e.estimator_profile.as_deref(),
            coefficients_hash: e.coefficients_hash.as_deref(),
            provider: e.provider.as_deref(),
            usage_kind: e.usage_kind.map(UsageKind::as_str),
            stop_reason_kind: Some(e.stop_reason_kind().as_str()),
            run_id_inferred: Some(e.run_id_inferred),
            idempotency_key: Some(&self.key),
        }
    }
}

/// Applies the run_id backfill if asked (one lookup per phase id and timestamp), keys every event as
/// it will be stored and creates missing parents if asked. Runs inside the caller's transaction.
fn prepare(
    conn: &mut DbConn,
    events: &[TelemetryEvent],
    options: InsertOptions,
) -> Result<Vec<Prepared>, StoreError> {
    let prepared = key_events(conn, events, options)?;
    if options.ensure_parents {
        ensure_parents_of(conn, &prepared)?;
    }
    Ok(prepared)
}

/// Applies the run_id backfill if asked (one lookup per phase id and timestamp) and keys every event as
/// it will be stored.
fn key_events(
    conn: &mut DbConn,
    events: &[TelemetryEvent],
    options: InsertOptions,
) -> Result<Vec<Prepared>, StoreError> {
    let mut inferred_runs: HashMap<(String, Timestamp), Option<String>> = HashMap::new();
    let mut prepared = Vec::with_capacity(events.len());
    for event in events {
        let mut event = event.clone();
        if options.backfill_run_id && (event.run_id.is_empty() || event.run_id == "unknown") {
            let lookup = (event.phase_id.clone(), event.timestamp);
            let inferred = match inferred_runs.get(&lookup) {
                Some(run) => run.clone(),
                None => {
                    let run = phases::latest_run_for_phase(conn, &event.phase_id, event.timestamp)?;
                    inferred_runs.insert(lookup, run.clone());
                    run
                }
            };
            if let Some(run_id) = inferred.filter(|run| !run.is_empty()) {
                event.run_id = run_id;
                event.run_id_inferred = true;
            }
        }
        // Keyed after the backfill: the stored run id is what every export carries.
        let key = idempotency_key(&event);
        prepared.push(Prepared { event, key });
    }
    Ok(prepared)
}

/// Values per lookup of [`ensure_parents_of`]: far below SQLite's and PostgreSQL's bind limits.
const LOOKUP_CHUNK: usize = 500;

/// Creates the missing runs and phases of the events that will be stored. Parents are made only for
/// events that will be stored: re-importing rows that are present (e.g. the legacy `unknown` rows) adds no
/// run or phase to the database. Three lookups per chunk of [`LOOKUP_CHUNK`] values (runs, phases, stored
/// keys) instead of three per parent: a bulk load of events whose phases are all new (generated data,
/// one phase per event) spent about a sixth of its time on those.
fn ensure_parents_of(conn: &mut DbConn, prepared: &[Prepared]) -> Result<(), StoreError> {
    // The keys of each parent's events, gathered in one pass.
    let mut parents: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for p in prepared {
        parents
            .entry((p.event.run_id.as_str(), p.event.phase_id.as_str()))
            .or_default()
            .push(p.key.as_str());
    }
    let run_ids: BTreeSet<&str> = parents.keys().map(|&(run, _)| run).collect();
    let phase_ids: BTreeSet<&str> = parents.keys().map(|&(_, phase)| phase).collect();
    let (mut runs, phases) = parents::existing_parents(conn, &run_ids, &phase_ids)?;
    let missing = |runs: &HashSet<String>, run: &str, phase: &str| parents::MissingParents {
        run: !runs.contains(run),
        // A missing run has no phases.
        phase: !runs.contains(run) || !phases.contains(&(run.to_owned(), phase.to_owned())),
    };
    let needy: Vec<(&str, &str)> = parents
        .keys()
        .copied()
        .filter(|&(run, phase)| !missing(&runs, run, phase).none())
        .collect();
    if needy.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = needy
        .iter()
        .flat_map(|pair| parents[pair].iter().copied())
        .collect();
    let mut stored: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let found: Vec<Option<String>> = with_conn!(conn, c => ev::token_estimation_v2_events
            .select(ev::idempotency_key)
            .filter(ev::idempotency_key.eq_any(chunk))
            .load(c))
        .context("look up the idempotency keys of token_estimation_v2_events")?;
        stored.extend(found.into_iter().flatten());
    }
    let mut tables = parents::ParentTables::default();
    for (run_id, phase_id) in needy {
        if parents[&(run_id, phase_id)]
            .iter()
            .all(|key| stored.contains(*key))
        {
            continue;
        }
        // Recomputed: an earlier parent of this batch may have created the run.
        let absent = missing(&runs, run_id, phase_id);
        parents::create_parents(conn, &mut tables, run_id, phase_id, absent)?;
        runs.insert(run_id.to_owned());
    }
    Ok(())
}

/// Inserts one event in its own transaction; `Ok(None)` when an event with the same idempotency
/// key is already stored (nothing written), else the new `event_id`.
pub fn insert_event(
    conn: &mut DbConn,
    event: &TelemetryEvent,
    options: InsertOptions,
) -> Result<Option<i64>, StoreError> {
    conn.write_transaction(|conn| {
        let prepared = prepare(conn, std::slice::from_ref(event), options)?;
        let row = prepared[0].row();
        with_conn!(conn, c => diesel::insert_into(token_estimation_v2_events::table)
            .values(&row)
            .on_conflict(ev::idempotency_key)
            .do_nothing()
            .returning(ev::event_id)
            .get_result::<i64>(c)
            .optional())
        .context("insert event into token_estimation_v2_events")
    })
}

/// Inserts events in one transaction, one multi-row INSERT per chunk of `INSERT_CHUNK_ROWS` (500);
/// events whose idempotency key is already stored (or repeated in `events`) are skipped.
///
/// Inside a transaction the caller opened (an import's batches), no savepoint is taken: it would only
/// journal every page the batch touches a second time. On an error the caller's transaction then holds a
/// partial batch, so the caller must roll back, as returning the error from [`DbConn::transaction`] does.
pub fn insert_events(
    conn: &mut DbConn,
    events: &[TelemetryEvent],
    options: InsertOptions,
) -> Result<InsertSummary, StoreError> {
    if conn.in_transaction() {
        insert_prepared(conn, events, options)
    } else {
        conn.write_transaction(|conn| insert_prepared(conn, events, options))
    }
}

/// The body of [`insert_events`], in the transaction it runs in.
fn insert_prepared(
    conn: &mut DbConn,
    events: &[TelemetryEvent],
    options: InsertOptions,
) -> Result<InsertSummary, StoreError> {
    #[cfg(feature = "postgres")]
    if let DbConn::Pg(_) = conn {
        let prepared = key_events(conn, events, options)?;
        let inserted = super::pg_copy::copy_new_events(conn, &prepared, options)?;
        return Ok(InsertSummary {
            inserted,
            duplicates: events.len() as u64 - inserted,
        });
    }
    let prepared = prepare(conn, events, options)?;
    let mut inserted = 0u64;
    for chunk in prepared.chunks(INSERT_CHUNK_ROWS) {
        let rows: Vec<NewEventRow<'_>> = chunk.iter().map(Prepared::row).collect();
        let n = with_conn!(conn, c => diesel::insert_into(token_estimation_v2_events::table)
                .values(&rows)
                .on_conflict(ev::idempotency_key)
                .do_nothing()
                .execute(c))
        .context("insert events into token_estimation_v2_events")?;
        inserted += n as u64;
    }
    Ok(InsertSummary {
        inserted,
        duplicates: events.len() as u64 - inserted,
    })
}

/// A row left without a key because an earlier row has the same key (the same event stored twice,
/// e.g. by the original): both rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyCollision {
    /// The row left without a key.
    pub event_id: i64,
    /// The earlier row holding the key.
    pub same_as: i64,
}

/// What [`fill_missing_keys`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct KeyFill {
    /// Rows given a key of the current version.
    pub keyed: u64,
    /// Rows whose key another row already holds (kept, without a key).
    pub collisions: Vec<KeyCollision>,
}

/// Gives every row without a key (legacy rows, rows the original executor wrote after adoption, keys
/// dropped by `migrate --down` or cleared by the migration of a new key version) the key computed
/// from its stored values, in `event_id` order. A row whose key an earlier row holds keeps no key and
/// is reported, never deleted. Runs in the caller's transaction, if any.
pub fn fill_missing_keys(conn: &mut DbConn) -> Result<KeyFill, StoreError> {
    const ACTION: &str = "compute the idempotency keys of token_estimation_v2_events";
    let rows: Vec<EventRow> = with_conn!(conn, c => ev::token_estimation_v2_events
        .select(EventRow::as_select())
        .filter(ev::idempotency_key.is_null())
        .order_by(ev::event_id.asc())
        .load(c))
    .context(ACTION)?;
    let mut fill = KeyFill::default();
    for row in rows {
        let event_id = row.event_id;
        let key = idempotency_key(&row.into_event()?);
        let holder: Option<i64> = with_conn!(conn, c => ev::token_estimation_v2_events
            .select(ev::event_id)
            .filter(ev::idempotency_key.eq(&key))
            .first(c)
            .optional())
        .context(ACTION)?;
        let stored = match holder {
            Some(same_as) => {
                fill.collisions.push(KeyCollision { event_id, same_as });
                None
            }
            None => {
                fill.keyed += 1;
                Some(key)
            }
        };
        with_conn!(conn, c => diesel::update(ev::token_estimation_v2_events.find(event_id))
            .set(ev::idempotency_key.eq(&stored))
            .execute(c))
        .context(ACTION)?;
    }
    Ok(fill)
}

/// Adds the WHERE clauses of an [`EventQuery`] to a boxed statement over the events table.
macro_rules! with_event_filters {
    ($select:expr, $query:expr) => {{
        let q: &EventQuery = $query;
        let mut select = $select;
        if let Some(run_id) = &q.run_id {
            select = select.filter(ev::run_id.eq(run_id));
        }
        if let Some(category) = &q.category {
            select = select.filter(ev::category.eq(category));
        }
        if let Some(complexity) = q.complexity {
            select = select.filter(ev::complexity.eq(complexity.as_str()));
        }
        if let Some(model) = &q.model {
            select = select.filter(ev::model.eq(model));
        }
        if let Some(success) = q.success {
            select = select.filter(ev::success.eq(success));
        }
        if let Some(truncated) = q.truncated {
            select = select.filter(ev::truncated.eq(truncated));
        }
        if let Some(since) = q.since {
            select = select.filter(ev::timestamp.ge(SqlTimestamp(since)));
        }
        if let Some(until) = q.until {
            select = select.filter(ev::timestamp.lt(SqlTimestamp(until)));
        }
        select
    }};
}

/// Builds the boxed, filtered and ordered SELECT of an [`EventQuery`] for the connection in scope.
macro_rules! filtered_events {
    ($query:expr) => {{
        let q: &EventQuery = $query;
        let select = with_event_filters!(
            ev::token_estimation_v2_events
                .select(EventRow::as_select())
                .into_boxed(),
            q
        );
        match q.order {
            EventOrder::Ascending => select.order_by((ev::timestamp.asc(), ev::event_id.asc())),
            EventOrder::Descending => select.order_by((ev::timestamp.desc(), ev::event_id.desc())),
        }
    }};
}

/// Events per hand-over from the reader thread to the visitor.
const READ_AHEAD_BATCH: usize = 256;
/// Batches in flight between the reader thread and the visitor: memory stays bounded whatever the table size.
const READ_AHEAD_BATCHES: usize = 4;

/// Streams the events matching `query` to `visit`, one row at a time (never the whole table in
/// memory: SQLite steps the statement, PostgreSQL uses row-by-row mode). Rows are read and decoded on a
/// second thread, at most `READ_AHEAD_BATCHES` × `READ_AHEAD_BATCH` events ahead of `visit`, which runs on
/// the calling thread: a visitor doing real work per event (estimating, formatting) overlaps with the reads.
/// Stops at the first error, from the database, an unreadable row, or `visit`. Returns how many events were
/// visited.
pub fn for_each_event<E: From<StoreError>>(
    conn: &mut DbConn,
    query: &EventQuery,
    mut visit: impl FnMut(TelemetryEvent) -> Result<(), E>,
) -> Result<u64, E> {
    let (batches, received) =
        std::sync::mpsc::sync_channel::<Vec<TelemetryEvent>>(READ_AHEAD_BATCHES);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_events(conn, query, batches));
        let mut visited = 0u64;
        // Leaving this loop early drops `received`, which stops the reader at its next hand-over.
        for batch in received {
            for event in batch {
                visited += 1;
                visit(event)?;
            }
        }
        match reader.join() {
            Ok(Ok(())) => Ok(visited),
            Ok(Err(err)) => Err(E::from(err)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Why the reader thread of [`for_each_event`] stopped before the last row.
enum ReadStop {
    /// The database or a row failed.
    Failed(StoreError),
    /// The visitor stopped (with its own error) and dropped the receiver.
    VisitorStopped,
}

impl From<StoreError> for ReadStop {
    fn from(err: StoreError) -> Self {
        Self::Failed(err)
    }
}

/// The reader thread of [`for_each_event`]: sends the matching events in batches until the table or the
/// receiver ends.
fn read_events(
    conn: &mut DbConn,
    query: &EventQuery,
    batches: std::sync::mpsc::SyncSender<Vec<TelemetryEvent>>,
) -> Result<(), StoreError> {
    const ACTION: &str = "read token_estimation_v2_events";
    let mut batch = Vec::with_capacity(READ_AHEAD_BATCH);
    let mut each = |row: QueryResult<EventRow>| -> Result<(), ReadStop> {
        batch.push(row.context(ACTION)?.into_event()?);
        if batch.len() == READ_AHEAD_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_AHEAD_BATCH));
            batches.send(full).map_err(|_| ReadStop::VisitorStopped)?;
        }
        Ok(())
    };
    let read = match conn {
        DbConn::Sqlite(c) => {
            let rows = filtered_events!(query)
                .load_iter::<EventRow, diesel::connection::DefaultLoadingMode>(c)
                .context(ACTION)?;
            rows.into_iter().try_for_each(&mut each)
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            let rows = filtered_events!(query)
                .load_iter::<EventRow, diesel::pg::PgRowByRowLoadingMode>(c)
                .context(ACTION)?;
            rows.into_iter().try_for_each(&mut each)
        }
    };
    match read {
        Err(ReadStop::Failed(err)) => Err(err),
        Err(ReadStop::VisitorStopped) => Ok(()),
        Ok(()) => {
            // The last, partial batch; a visitor gone by now has stopped with its own error.
            let _ = batches.send(batch);
            Ok(())
        }
    }
}

/// Number of telemetry events.
pub fn count_events(conn: &mut DbConn) -> Result<i64, StoreError> {
    with_conn!(conn, c => ev::token_estimation_v2_events.count().get_result(c))
        .context("count token_estimation_v2_events")
}

/// Number of telemetry events matching the filters of `query` (its order is irrelevant).
pub fn count_matching_events(conn: &mut DbConn, query: &EventQuery) -> Result<u64, StoreError> {
    let n: i64 = with_conn!(conn, c => with_event_filters!(
        ev::token_estimation_v2_events.count().into_boxed(),
        query
    )
    .get_result(c))
    .context("count matching token_estimation_v2_events")?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Timestamps of the oldest and newest event (`None` when the table is empty).
pub fn event_time_range(conn: &mut DbConn) -> Result<Option<(Timestamp, Timestamp)>, StoreError> {
    let (oldest, newest): (Option<SqlTimestamp>, Option<SqlTimestamp>) = with_conn!(conn, c =>
        ev::token_estimation_v2_events
            .select((min(ev::timestamp), max(ev::timestamp)))
            .get_result(c))
    .context("read the time range of token_estimation_v2_events")?;
    Ok(oldest.zip(newest).map(|(o, n)| (o.0, n.0)))
}

/// Deletes the events older than `cutoff`; returns how many were deleted.
pub(crate) fn delete_events_before(
    conn: &mut DbConn,
    cutoff: Timestamp,
) -> Result<u64, StoreError> {
    with_conn!(conn, c => diesel::delete(
        ev::token_estimation_v2_events.filter(ev::timestamp.lt(SqlTimestamp(cutoff))),
    )
    .execute(c))
    .map(|n| n as u64)
    .context("prune token_estimation_v2_events")
}

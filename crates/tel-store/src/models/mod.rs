//! One module per table, each with its row types and queries; table-spanning maintenance here.

pub mod escalations;
pub mod events;
pub mod parents;
#[cfg(feature = "postgres")]
mod pg_copy;
pub mod phases;
pub mod runs;

use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use tel_core::Timestamp;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::schema;
use crate::with_conn;

/// Row counts of tel's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct TableCounts {
    /// `runs`.
    pub runs: i64,
    /// `phases`.
    pub phases: i64,
    /// `token_estimation_v2_events`.
    pub token_estimation_v2_events: i64,
    /// `token_budget_escalation_events`.
    pub token_budget_escalation_events: i64,
}

/// Counts the rows of every tel table.
pub fn count_rows(conn: &mut DbConn) -> Result<TableCounts, StoreError> {
    let runs =
        with_conn!(conn, c => schema::runs::table.count().get_result(c)).context("count runs")?;
    let phases = with_conn!(conn, c => schema::phases::table.count().get_result(c))
        .context("count phases")?;
    Ok(TableCounts {
        runs,
        phases,
        token_estimation_v2_events: events::count_events(conn)?,
        token_budget_escalation_events: escalations::count_escalation_events(conn)?,
    })
}

/// What a prune removed, and whether it could compact the file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PruneSummary {
    /// Telemetry events deleted (committed).
    pub events: u64,
    /// Escalation events deleted (committed).
    pub escalation_events: u64,
    /// Why the SQLite VACUUM after the committed deletion failed (e.g. `database or disk is full`:
    /// VACUUM needs room for a copy of the database); `None` when it ran or the backend has none.
    pub vacuum_error: Option<String>,
}

/// Deletes telemetry and escalation events older than `age` before `now` (one transaction), then
/// compacts an SQLite file with VACUUM. Runs and phases are kept. A failed VACUUM is not an error:
/// the deletion is committed by then and the freed pages are reused by later writes, so it is
/// reported in [`PruneSummary::vacuum_error`] beside what was deleted.
pub fn prune_older_than(
    conn: &mut DbConn,
    age: Duration,
    now: Timestamp,
) -> Result<PruneSummary, StoreError> {
    let age_micros = i64::try_from(age.as_micros()).unwrap_or(i64::MAX);
    let cutoff = Timestamp::from_unix_micros(now.unix_micros().saturating_sub(age_micros));
    let mut summary = conn.write_transaction(|conn| {
        Ok::<_, StoreError>(PruneSummary {
            events: events::delete_events_before(conn, cutoff)?,
            escalation_events: escalations::delete_escalations_before(conn, cutoff)?,
            vacuum_error: None,
        })
    })?;
    if let DbConn::Sqlite(c) = conn {
        summary.vacuum_error = c.batch_execute("VACUUM").err().map(|e| e.to_string());
    }
    Ok(summary)
}

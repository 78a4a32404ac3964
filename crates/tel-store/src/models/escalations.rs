//! `token_budget_escalation_events`: the P10 budget escalation record (FORMATS.md F4).

use diesel::prelude::*;
use tel_core::Timestamp;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::schema::token_budget_escalation_events;
use crate::sql_timestamp::SqlTimestamp;
use crate::with_conn;

/// One escalation decision: the retry of a phase gets `retry_max_tokens`.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = token_budget_escalation_events)]
pub struct NewEscalationEvent {
    /// Run id (the run and phase must exist).
    pub run_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Decision time.
    pub timestamp: SqlTimestamp,
    /// Index of the attempt that will use the retry budget.
    pub attempt_index: i64,
    /// `truncation` or `utilization`.
    pub reason: String,
    /// The escalated call was truncated.
    pub was_truncated: bool,
    /// Output utilisation percent (0-100).
    pub output_utilization: Option<f64>,
    /// Factor applied to the base (1.25).
    pub escalation_factor: f64,
    /// The base value.
    pub base_value: i64,
    /// Where the base came from.
    pub base_source: String,
    /// The retry's max_tokens.
    pub retry_max_tokens: i64,
    /// Candidate: the selected budget.
    pub selected_budget: Option<i64>,
    /// Candidate: the actual max tokens.
    pub actual_max_tokens: Option<i64>,
    /// Candidate: tokens used.
    pub tokens_used: Option<i64>,
}

/// Inserts one escalation event; returns its id.
pub fn insert_escalation_event(
    conn: &mut DbConn,
    event: &NewEscalationEvent,
) -> Result<i64, StoreError> {
    with_conn!(conn, c => diesel::insert_into(token_budget_escalation_events::table)
        .values(event)
        .returning(token_budget_escalation_events::event_id)
        .get_result(c))
    .context("insert into token_budget_escalation_events")
}

/// Number of escalation events.
pub fn count_escalation_events(conn: &mut DbConn) -> Result<i64, StoreError> {
    with_conn!(conn, c => token_budget_escalation_events::table.count().get_result(c))
        .context("count token_budget_escalation_events")
}

/// Deletes the escalation events older than `cutoff`; returns how many were deleted.
pub(crate) fn delete_escalations_before(
    conn: &mut DbConn,
    cutoff: Timestamp,
) -> Result<u64, StoreError> {
    with_conn!(conn, c => diesel::delete(
        token_budget_escalation_events::table
            .filter(token_budget_escalation_events::timestamp.lt(SqlTimestamp(cutoff))),
    )
    .execute(c))
    .map(|n| n as u64)
    .context("prune token_budget_escalation_events")
}

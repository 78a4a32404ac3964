//! `runs`: deleting a run with everything recorded under it (creation: [`super::parents`]).

use diesel::prelude::*;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::schema::{phases, runs, token_estimation_v2_events};
use crate::with_conn;

/// Deletes run `run_id`: its phases (their events and escalation events follow by cascade), then the
/// run (events without a phase row follow by cascade). Returns how many telemetry events went with it.
pub fn delete_run(conn: &mut DbConn, run_id: &str) -> Result<u64, StoreError> {
    let action = ["delete run ", run_id].concat();
    conn.write_transaction(|conn| {
        let events: i64 = with_conn!(conn, c => token_estimation_v2_events::table
            .filter(token_estimation_v2_events::run_id.eq(run_id))
            .count()
            .get_result(c))
        .context(&action)?;
        with_conn!(conn, c => diesel::delete(phases::table.filter(phases::run_id.eq(run_id))).execute(c))
            .context(&action)?;
        with_conn!(conn, c => diesel::delete(runs::table.filter(runs::id.eq(run_id))).execute(c))
            .context(&action)?;
        Ok(u64::try_from(events).unwrap_or(0))
    })
}

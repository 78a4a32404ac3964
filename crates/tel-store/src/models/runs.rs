//! `runs`: creating a minimal run on demand and deleting a run with everything recorded under it.

use diesel::dsl::{exists, select};
use diesel::prelude::*;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::schema::{phases, runs, token_estimation_v2_events};
use crate::with_conn;

/// Creates run `run_id` (only its id; other columns take their defaults) unless it exists.
pub(crate) fn ensure_run(conn: &mut DbConn, run_id: &str) -> Result<(), StoreError> {
    let action = || ["create run ", run_id, " in runs"].concat();
    let present: bool = with_conn!(conn, c =>
        select(exists(runs::table.filter(runs::id.eq(run_id)))).get_result(c))
    .context(&action())?;
    if !present {
        with_conn!(conn, c => diesel::insert_into(runs::table)
            .values(runs::id.eq(run_id))
            .on_conflict_do_nothing()
            .execute(c))
        .context(&action())?;
    }
    Ok(())
}

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

//! `phases`: the run_id backfill lookup (telemetry.md §2.5; creation: [`super::parents`]).

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};

#[derive(QueryableByName)]
struct RunIdRow {
    #[diesel(sql_type = Text)]
    run_id: String,
}

/// The run a phase id most likely belongs to: the greatest `run_id` in byte order among the phases
/// with this id (the original's rule — a guess when phase ids repeat across runs).
pub(crate) fn latest_run_for_phase(
    conn: &mut DbConn,
    phase_id: &str,
) -> Result<Option<String>, StoreError> {
    // Byte order on both backends: SQLite's default BINARY collation, PostgreSQL's "C" collation.
    let row: Option<RunIdRow> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT run_id FROM phases WHERE phase_id = ? ORDER BY run_id DESC LIMIT 1",
        )
        .bind::<Text, _>(phase_id)
        .get_result(c)
        .optional(),
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT run_id FROM phases WHERE phase_id = $1 ORDER BY run_id COLLATE \"C\" DESC LIMIT 1",
        )
        .bind::<Text, _>(phase_id)
        .get_result(c)
        .optional(),
    }
    .context(&["look up the run of phase ", phase_id].concat())?;
    Ok(row.map(|r| r.run_id))
}

//! `phases`: the run_id backfill lookup (FORMATS.md F2.5; creation: [`super::parents`]).

use diesel::prelude::*;
use diesel::sql_types::Text;
#[cfg(feature = "postgres")]
use diesel::sql_types::Timestamp as Timestamp_;
use tel_core::Timestamp;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
#[cfg(feature = "postgres")]
use crate::sql_timestamp::SqlTimestamp;

#[derive(QueryableByName)]
struct RunIdRow {
    #[diesel(sql_type = Text)]
    run_id: String,
}

/// The run a phase id most likely belongs to at time `at`: the greatest `run_id` in byte order among
/// the phases with this id (the original's rule — a guess when phase ids repeat across runs), counting
/// only runs created no later than `at` (or of unknown creation time). An event spooled while run-A
/// owned the phase is therefore never given to a run-B that appeared before its replay.
pub(crate) fn latest_run_for_phase(
    conn: &mut DbConn,
    phase_id: &str,
    at: Timestamp,
) -> Result<Option<String>, StoreError> {
    // Byte order on both backends: SQLite's default BINARY collation, PostgreSQL's "C" collation.
    // SQLite compares timestamps as text; legacy rows may use the ISO `T` separator.
    let row: Option<RunIdRow> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT p.run_id FROM phases p LEFT JOIN runs r ON r.id = p.run_id \
             WHERE p.phase_id = ? AND (r.created_at IS NULL OR replace(r.created_at, 'T', ' ') <= ?) \
             ORDER BY p.run_id DESC LIMIT 1",
        )
        .bind::<Text, _>(phase_id)
        .bind::<Text, _>(at.to_sql_text())
        .get_result(c)
        .optional(),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT p.run_id FROM phases p LEFT JOIN runs r ON r.id = p.run_id \
             WHERE p.phase_id = $1 AND (r.created_at IS NULL OR r.created_at <= $2) \
             ORDER BY p.run_id COLLATE \"C\" DESC LIMIT 1",
        )
        .bind::<Text, _>(phase_id)
        .bind::<Timestamp_, _>(SqlTimestamp(at))
        .get_result(c)
        .optional(),
    }
    .context(&["look up the run of phase ", phase_id].concat())?;
    Ok(row.map(|r| r.run_id))
}

//! `phases`: creating a minimal phase on demand and the run_id backfill lookup (FORMATS.md F2.5).

use diesel::dsl::{exists, select};
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::schema::phases;

/// Creates phase `(run_id, phase_id)` unless it exists.
pub(crate) fn ensure_phase(
    conn: &mut DbConn,
    run_id: &str,
    phase_id: &str,
) -> Result<(), StoreError> {
    let action = || ["create phase ", phase_id, " of run ", run_id, " in phases"].concat();
    let existing = phases::table
        .filter(phases::run_id.eq(run_id))
        .filter(phases::phase_id.eq(phase_id));
    let present: bool =
        crate::with_conn!(conn, c => select(exists(existing)).get_result(c)).context(&action())?;
    if !present {
        crate::with_conn!(conn, c => diesel::insert_into(phases::table)
            .values((phases::run_id.eq(run_id), phases::phase_id.eq(phase_id)))
            .on_conflict_do_nothing()
            .execute(c))
        .context(&action())?;
    }
    Ok(())
}

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

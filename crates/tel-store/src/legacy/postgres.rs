//! The PostgreSQL half of legacy adoption: a database of the original's ORM is altered in place
//! (integers widened, tel's CHECK and foreign keys added) instead of rebuilt.

use std::collections::BTreeSet;

use diesel::PgConnection;
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::Text;
use tel_core::Complexity;

use super::AdoptionReport;
use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};

#[derive(QueryableByName)]
struct ConstraintName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// PostgreSQL: gives the telemetry table tel's constraints without copying it — the complexity
/// CHECK (values checked by [`plan`](super::plan)), tel's two cascading foreign keys `NOT VALID` (rows the
/// original stored without their parents are kept; new rows are checked), a nullable `is_sot_file`.
pub(super) fn alter_in_place(conn: &mut DbConn, report: &AdoptionReport) -> Result<(), StoreError> {
    let DbConn::Pg(c) = conn else {
        return Err(StoreError::Legacy("not a PostgreSQL database".to_owned()));
    };
    let constraints = |c: &mut PgConnection, kind: &str| {
        diesel::sql_query(
            "SELECT con.conname::text AS name FROM pg_constraint con \
             JOIN pg_class rel ON rel.oid = con.conrelid \
             JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
             WHERE rel.relname = 'token_estimation_v2_events' AND nsp.nspname = current_schema() \
             AND con.contype = $1 AND (con.contype = 'f' OR pg_get_constraintdef(con.oid) LIKE '%complexity%')",
        )
        .bind::<Text, _>(kind)
        .load::<ConstraintName>(c)
        .context("read the constraints of token_estimation_v2_events")
    };
    let allowed: BTreeSet<&str> = Complexity::ALL.iter().map(|c| c.as_str()).collect();
    let check_matches = report.complexity_check.as_ref().is_some_and(|values| {
        values.iter().map(String::as_str).collect::<BTreeSet<_>>() == allowed
    });
    if !check_matches {
        for old in constraints(c, "c")? {
            c.batch_execute(&drop_constraint(&old.name))
                .context(&["drop constraint ", old.name.as_str()].concat())?;
        }
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ADD CONSTRAINT ck_token_estimation_v2_complexity \
             CHECK (complexity IN ('low', 'medium', 'high', 'maintenance'))",
        )
        .context("add the complexity CHECK to token_estimation_v2_events")?;
    }
    if !report.foreign_keys_match {
        for old in constraints(c, "f")? {
            c.batch_execute(&drop_constraint(&old.name))
                .context(&["drop constraint ", old.name.as_str()].concat())?;
        }
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ADD CONSTRAINT fk_token_est_v2_run \
             FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE NOT VALID; \
             ALTER TABLE token_estimation_v2_events ADD CONSTRAINT fk_token_est_v2_run_phase \
             FOREIGN KEY (run_id, phase_id) REFERENCES phases (run_id, phase_id) ON DELETE CASCADE NOT VALID",
        )
        .context("add tel's foreign keys to token_estimation_v2_events")?;
    }
    if report.is_sot_file_not_null {
        c.batch_execute(
            "ALTER TABLE token_estimation_v2_events ALTER COLUMN is_sot_file DROP NOT NULL",
        )
        .context("make token_estimation_v2_events.is_sot_file nullable")?;
    }
    Ok(())
}

/// `ALTER TABLE token_estimation_v2_events DROP CONSTRAINT "name"`; the name comes from the
/// catalog and is quoted (identifiers cannot be bound).
fn drop_constraint(name: &str) -> String {
    [
        "ALTER TABLE token_estimation_v2_events DROP CONSTRAINT \"",
        &name.replace('"', "\"\""),
        "\"",
    ]
    .concat()
}

/// PostgreSQL: widens the telemetry table's `integer` columns to `bigint` (every value fits).
pub(super) fn widen_integers(conn: &mut DbConn, names: &[String]) -> Result<(), StoreError> {
    let DbConn::Pg(c) = conn else {
        return Ok(());
    };
    for name in names {
        let sql = [
            "ALTER TABLE token_estimation_v2_events ALTER COLUMN \"",
            &name.replace('"', "\"\""),
            "\" TYPE bigint",
        ]
        .concat();
        c.batch_execute(&sql).context(
            &[
                "widen token_estimation_v2_events.",
                name.as_str(),
                " to bigint",
            ]
            .concat(),
        )?;
    }
    Ok(())
}

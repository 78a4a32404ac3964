//! The bulk insert of events on PostgreSQL: the batch's new rows in one `COPY … FROM STDIN` (text format),
//! their missing parents in one INSERT per table (docs/STORE.md, "Bulk inserts on PostgreSQL").

use std::collections::{BTreeSet, HashSet};
use std::io::Write as _;

use diesel::pg::CopyFormat;
use diesel::prelude::*;

use crate::conn::DbConn;
use crate::error::{QueryContext as _, StoreError};
use crate::models::events::{InsertOptions, NewEventRow, Prepared};
use crate::models::parents;
use crate::schema::token_estimation_v2_events;
use crate::schema::token_estimation_v2_events::dsl as ev;
use crate::sql_timestamp::SqlTimestamp;

/// `COPY token_estimation_v2_events (columns…) FROM STDIN` of `rows`, each column named once: the same
/// names give the target's column list and each row's fields, in the same order.
macro_rules! copy_rows {
    ($rows:expr; $($column:ident),+ $(,)?) => {{
        let rows = &$rows;
        diesel::copy_from(token_estimation_v2_events::table)
            .from_raw_data(($(ev::$column,)+), move |out| -> QueryResult<()> {
                let mut line = Vec::with_capacity(1024);
                for row in rows {
                    line.clear();
                    $(
                        CopyText::write(&row.$column, &mut line);
                        line.push(b'\t');
                    )+
                    // The last column's tab becomes the row's end.
                    line.pop();
                    line.push(b'\n');
                    out.write_all(&line)
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                }
                Ok(())
            })
            .with_format(CopyFormat::Text)
    }};
}

/// Writes the events of `prepared` that are not stored yet, the first of each idempotency key only, with
/// their missing parents if `options` asks; returns how many rows were written. Runs in the caller's
/// transaction, as the per-chunk INSERT … ON CONFLICT DO NOTHING of SQLite does.
///
/// COPY has no ON CONFLICT, so the keys are settled before it: repeated keys of the batch and keys already
/// stored are left out, and the unique index still refuses a key that a concurrent transaction commits
/// between the lookup and the COPY (an error, rolled back with the caller's transaction, never a second row).
pub(super) fn copy_new_events(
    conn: &mut DbConn,
    prepared: &[Prepared],
    options: InsertOptions,
) -> Result<u64, StoreError> {
    let DbConn::Pg(c) = conn else {
        unreachable!("copy_new_events is called on PostgreSQL connections only")
    };
    let keys: Vec<&str> = prepared.iter().map(|p| p.key.as_str()).collect();
    let stored: HashSet<String> = ev::token_estimation_v2_events
        .select(ev::idempotency_key.assume_not_null())
        .filter(ev::idempotency_key.eq_any(&keys))
        .load::<String>(c)
        .context("look up the idempotency keys of token_estimation_v2_events")?
        .into_iter()
        .collect();
    let mut seen: HashSet<&str> = HashSet::with_capacity(prepared.len());
    let new: Vec<&Prepared> = prepared
        .iter()
        .filter(|p| !stored.contains(&p.key) && seen.insert(&p.key))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    if options.ensure_parents {
        // Parents only for events that will be stored: re-importing present rows adds no run or phase.
        let pairs: BTreeSet<(&str, &str)> = new
            .iter()
            .map(|p| (p.event.run_id.as_str(), p.event.phase_id.as_str()))
            .collect();
        parents::create_missing_parents_pg(conn, &pairs)?;
    }
    let DbConn::Pg(c) = conn else {
        unreachable!("the connection is still the PostgreSQL one")
    };
    let rows: Vec<NewEventRow<'_>> = new.iter().map(|p| p.row()).collect();
    let written = copy_rows!(
        rows;
        run_id, phase_id, timestamp, category, complexity, deliverable_count, deliverables_json,
        predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, stop_reason,
        model, smape_percent, waste_ratio, underestimated, created_at, is_truncated_output,
        api_reference_required, examples_required, research_required, usage_guide_required,
        context_quality, is_sot_file, sot_file_name, sot_entry_count_hint, actual_max_tokens,
        estimator_profile, coefficients_hash, provider, usage_kind, stop_reason_kind, run_id_inferred,
        idempotency_key
    )
    .execute(c)
    .context("copy events into token_estimation_v2_events")?;
    Ok(written as u64)
}

/// A value in COPY's text format: PostgreSQL parses it with the column's own input function, so columns
/// of the original's tables that are narrower than tel's (INTEGER, VARCHAR) take the same rows.
trait CopyText {
    fn write(&self, line: &mut Vec<u8>);
}

impl CopyText for &str {
    /// Backslash, tab, newline and carriage return escaped; every other character as it is (UTF-8, the
    /// connection's client encoding).
    fn write(&self, line: &mut Vec<u8>) {
        for &byte in self.as_bytes() {
            match byte {
                b'\\' => line.extend_from_slice(b"\\\\"),
                b'\t' => line.extend_from_slice(b"\\t"),
                b'\n' => line.extend_from_slice(b"\\n"),
                b'\r' => line.extend_from_slice(b"\\r"),
                other => line.push(other),
            }
        }
    }
}

impl CopyText for i64 {
    fn write(&self, line: &mut Vec<u8>) {
        let _ = write!(line, "{self}");
    }
}

impl CopyText for f64 {
    /// The shortest text that reads back as the same double; infinities as PostgreSQL spells them.
    fn write(&self, line: &mut Vec<u8>) {
        if self.is_infinite() {
            line.extend_from_slice(if *self > 0.0 {
                b"Infinity"
            } else {
                b"-Infinity"
            });
        } else {
            let _ = write!(line, "{self:?}");
        }
    }
}

impl CopyText for bool {
    fn write(&self, line: &mut Vec<u8>) {
        line.push(if *self { b't' } else { b'f' });
    }
}

impl CopyText for SqlTimestamp {
    fn write(&self, line: &mut Vec<u8>) {
        line.extend_from_slice(self.0.to_sql_text().as_bytes());
    }
}

impl<T: CopyText> CopyText for Option<T> {
    /// `\N`, the text format's NULL (a text value `\N` is written as `\\N`).
    fn write(&self, line: &mut Vec<u8>) {
        match self {
            Some(value) => value.write(line),
            None => line.extend_from_slice(b"\\N"),
        }
    }
}

//! `tel export`'s pipeline: the events matching a query, counted and streamed in one read transaction to
//! the original NDJSON export (byte-exact), its extended form, or CSV.

use std::io::Write;

use tel_store::{DbConn, EventQuery, count_matching_events};

use super::events::visit_events;
use super::{DbError, Progress};
use crate::export::{ExportFormat, ExportWriter};

/// Counts the events matching `query` and hands the count to `on_total` (the original printed it first), then
/// streams them to `out` in `format` (`extended`: every stored field); returns how many were written. One read
/// transaction: the count and the rows see the same data.
pub fn export(
    conn: &mut DbConn,
    query: &EventQuery,
    format: ExportFormat,
    extended: bool,
    out: impl Write,
    on_total: impl FnOnce(u64),
    progress: &mut dyn Progress,
) -> Result<u64, DbError> {
    conn.transaction(|conn| -> Result<u64, DbError> {
        let total = count_matching_events(conn, query)?;
        on_total(total);
        progress.total(total);
        let mut writer = ExportWriter::new(out, format, extended)?;
        visit_events(conn, query, progress, |event| -> Result<(), DbError> {
            writer.write_event(&event)?;
            Ok(())
        })?;
        let written = writer.written();
        writer.finish()?;
        Ok(written)
    })
}

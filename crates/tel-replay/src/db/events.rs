//! Reading stored events for the analyses: one streamed pass that feeds the report, the coverage grid and
//! the censoring-aware replay, alone or together.

use tel_core::TelemetryEvent;
use tel_store::{DbConn, EventQuery, StoreError, for_each_event};

use super::{DbError, Progress};
use crate::replay::Replay;
use crate::report::ReportBuilder;
use crate::report::coverage::CoverageBuilder;

/// An analysis fed one stored event at a time.
pub trait EventSink {
    /// Takes one event into account.
    fn push(&mut self, event: &TelemetryEvent) -> Result<(), DbError>;
}

impl EventSink for ReportBuilder {
    fn push(&mut self, event: &TelemetryEvent) -> Result<(), DbError> {
        ReportBuilder::push(self, event);
        Ok(())
    }
}

impl EventSink for CoverageBuilder {
    fn push(&mut self, event: &TelemetryEvent) -> Result<(), DbError> {
        CoverageBuilder::push(self, event);
        Ok(())
    }
}

impl EventSink for Replay {
    /// Fails only when the per-event values spilled past the memory budget cannot be written.
    fn push(&mut self, event: &TelemetryEvent) -> Result<(), DbError> {
        Replay::push(self, event)?;
        Ok(())
    }
}

/// Streams the events matching `query` to `visit` (rows decoded on a read-ahead thread, never all held),
/// telling `progress` each one; returns how many were read.
pub fn visit_events<E: From<StoreError>>(
    conn: &mut DbConn,
    query: &EventQuery,
    progress: &mut dyn Progress,
    mut visit: impl FnMut(TelemetryEvent) -> Result<(), E>,
) -> Result<u64, E> {
    for_each_event(conn, query, |event| {
        progress.event();
        visit(event)
    })
}

/// Feeds every event matching `query` to each of `sinks` in one pass; returns how many were read.
pub fn feed(
    conn: &mut DbConn,
    query: &EventQuery,
    sinks: &mut [&mut dyn EventSink],
    progress: &mut dyn Progress,
) -> Result<u64, DbError> {
    visit_events(conn, query, progress, |event| {
        for sink in sinks.iter_mut() {
            sink.push(&event)?;
        }
        Ok::<(), DbError>(())
    })
}

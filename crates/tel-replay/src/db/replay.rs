//! The replays from a database: the censoring-aware replay of several estimators (as a report or one CSV
//! row per event) and the original replay tool over every stored event, newest first, byte for byte.

use std::io::Write;

use tel_store::{DbConn, EventOrder, EventQuery, count_events};

use super::events::{feed, visit_events};
use super::{DbError, Progress};
use crate::legacy_replay::{
    LegacyReplayError, LegacySample, LegacySummary, LegacySummaryAccumulator, Predictor,
    SYNTHETIC_WARNING, SampleSource, legacy_row, write_legacy_header, write_legacy_row,
    write_legacy_summary,
};
use crate::replay::{Replay, ReplayCsvWriter, ReplayReport};

/// The censoring-aware replay of `replay`'s estimators over the events matching `query`.
pub fn replay(
    conn: &mut DbConn,
    query: &EventQuery,
    mut replay: Replay,
    progress: &mut dyn Progress,
) -> Result<ReplayReport, DbError> {
    feed(conn, query, &mut [&mut replay], progress)?;
    Ok(replay.finish()?)
}

/// One CSV row per event matching `query` with every estimator's prediction, written to `out` as read.
pub fn replay_csv(
    conn: &mut DbConn,
    query: &EventQuery,
    mut replay: Replay,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<(), DbError> {
    let mut rows = ReplayCsvWriter::new(out, &replay.names())?;
    visit_events(conn, query, progress, |event| -> Result<(), DbError> {
        let predictions = replay.push(&event)?;
        rows.write_row(&event, &predictions)?;
        Ok(())
    })?;
    rows.finish()?;
    Ok(())
}

/// The original replay tool over every stored event, unfiltered, newest first (timestamp then event_id
/// descending, as the original read them), streamed: rows go to `out` as they are predicted and only the two
/// waste-ratio lists of the medians grow with the table. The warning about synthetic deliverables goes to
/// `warnings`. One read transaction: the count in the first line and the rows see the same data.
pub fn legacy_replay(
    conn: &mut DbConn,
    predictor: &mut dyn Predictor,
    out: &mut dyn Write,
    warnings: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<LegacySummary, DbError> {
    let query = EventQuery {
        order: EventOrder::Descending,
        ..EventQuery::default()
    };
    conn.transaction(|conn| -> Result<LegacySummary, DbError> {
        let n = count_events(conn)?;
        if n == 0 {
            return Err(LegacyReplayError::NoSamples.into());
        }
        write_legacy_header(n as usize, SampleSource::Db, out)?;
        progress.total(n as u64);
        let mut summary = LegacySummaryAccumulator::default();
        let mut index = 0;
        visit_events(conn, &query, progress, |event| -> Result<(), DbError> {
            index += 1;
            let (row, synthetic) = legacy_row(index, &LegacySample::from_event(&event), predictor);
            if index == 1 && synthetic {
                writeln!(warnings, "{SYNTHETIC_WARNING}")?;
            }
            summary.push(&row).map_err(LegacyReplayError::from)?;
            write_legacy_row(&row, out)?;
            Ok(())
        })?;
        let summary = summary.finish()?;
        write_legacy_summary(&summary, out)?;
        Ok(summary)
    })
}

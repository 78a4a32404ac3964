//! Feeding the telemetry events of the database named by `--database-url` to reporting commands' analyses.

use anyhow::Context as _;
use tel_replay::db::EventQuery;
use tel_replay::db::events::{EventSink, feed};

use crate::cli::DbArgs;

/// Feeds every stored event (oldest first) to `sinks` in one pass; returns the database as printed (password
/// redacted).
pub fn feed_stored_events(db: &DbArgs, sinks: &mut [&mut dyn EventSink]) -> anyhow::Result<String> {
    let (url, mut conn) = db.open_read_only()?;
    let shown = url.to_string();
    feed(&mut conn, &EventQuery::default(), sinks, &mut ()).with_context(|| {
        format!(
            "cannot read telemetry events from {shown} (a new or legacy database must be migrated first: tel migrate)"
        )
    })?;
    Ok(shown)
}

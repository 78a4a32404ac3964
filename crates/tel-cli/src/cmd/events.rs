//! Streaming the telemetry events of the database named by `--database-url` to a reporting command.

use anyhow::Context as _;
use tel_core::TelemetryEvent;
use tel_store::{EventQuery, StoreError, for_each_event};

use crate::cli::DbArgs;

/// Streams every stored event (oldest first) to `visit`; returns the database as printed (password redacted).
pub fn for_each_stored_event(
    db: &DbArgs,
    mut visit: impl FnMut(TelemetryEvent),
) -> anyhow::Result<String> {
    let (url, mut conn) = db.open_read_only()?;
    let shown = url.to_string();
    for_each_event(&mut conn, &EventQuery::default(), |event| {
        visit(event);
        Ok::<(), StoreError>(())
    })
    .with_context(|| {
        format!(
            "cannot read telemetry events from {shown} (a new or legacy database must be migrated first: tel migrate)"
        )
    })?;
    Ok(shown)
}

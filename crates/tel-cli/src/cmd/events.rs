//! Opening the database named by `--database-url` and streaming its telemetry events to a command.

use anyhow::Context as _;
use tel_core::TelemetryEvent;
use tel_store::{
    ConnectOptions, EventQuery, StoreError, connect, env::process_env, for_each_event,
    resolve_database_url,
};

use crate::cli::DbArgs;

/// Streams every stored event (oldest first) to `visit`; returns the database as printed (password redacted).
pub fn for_each_stored_event(
    db: &DbArgs,
    mut visit: impl FnMut(TelemetryEvent),
) -> anyhow::Result<String> {
    let (url, _) = resolve_database_url(db.database_url.as_deref(), &process_env)?;
    let shown = url.to_string();
    let mut conn = connect(&url, &ConnectOptions::default())
        .with_context(|| format!("cannot open database {shown}"))?;
    for_each_event(&mut conn, &EventQuery::default(), |event| {
        visit(event);
        Ok::<(), StoreError>(())
    })
    .with_context(|| {
        format!("cannot read telemetry events from {shown} (a new or legacy database must be migrated first: tel migrate)")
    })?;
    Ok(shown)
}

//! tel-store: persistence of telemetry events in SQLite (embedded default) or PostgreSQL.
//!
//! - [`connect`] opens a [`DatabaseUrl`] (resolved by [`resolve_database_url`]);
//! - [`migrate`] applies, inspects or reverts the embedded migrations and adopts legacy databases;
//! - [`models`] holds one module per table with its queries (insert, stream, count, delete, prune);
//! - [`Recorder`] is the fail-safe writer of FORMATS.md F2 that spools what it cannot store.

mod checkpoint;
mod conn;
pub mod env;
mod error;
mod idempotency;
pub mod introspect;
mod legacy;
pub mod migrate;
pub mod models;
mod recorder;
pub mod schema;
pub mod spool;
mod sql_timestamp;
mod url;

pub use conn::{ConnectOptions, DbConn, connect};
pub use error::StoreError;
pub use idempotency::idempotency_key;
pub use legacy::{AdoptionReport, OrphanEvent, event_table_columns};
pub use migrate::{MigrateAction, MigrateReport, MigrationState, migrate, migration_state};
pub use models::escalations::{NewEscalationEvent, insert_escalation_event};
pub use models::events::count_matching_events;
pub use models::events::{
    EventOrder, EventQuery, InsertOptions, InsertSummary, count_events, event_time_range,
    for_each_event, insert_event, insert_events,
};
pub use models::runs::delete_run;
pub use models::{PruneSummary, TableCounts, count_rows, prune_older_than};
pub use recorder::{RecordOutcome, Recorder, RecorderConfig, WarningSink, telemetry_enabled};
pub use spool::{ReplaySummary, Spool, SpoolRecord, SpoolSize};
pub use sql_timestamp::{SqlTimestamp, now};
pub use tel_core::{EventDraft, InvalidEvent, TelExtras, ValidityGuard};
pub use url::{
    Backend, DEFAULT_DATABASE_URL, DatabaseUrl, UrlError, UrlSource, redact_url,
    resolve_database_url,
};

//! tel-store: persistence of telemetry events in SQLite (embedded default) or PostgreSQL.
//!
//! - [`connect`] opens a [`DatabaseUrl`] (resolved by [`resolve_database_url`]) for writing,
//!   [`connect_read_only`] for reading without changing the database;
//! - [`migrate`](mod@migrate) applies, inspects or reverts the embedded migrations and adopts legacy databases;
//! - [`ingest`] is the one streaming insert path (import, generate, spool replay);
//! - [`models`] holds one module per table with its queries (insert, stream, count, delete, prune);
//! - [`Recorder`] is the fail-safe writer of FORMATS.md F2 that spools what it cannot store.

// Built without PostgreSQL, `DbConn` has one variant: backend checks written for both become irrefutable.
#![cfg_attr(not(feature = "postgres"), allow(irrefutable_let_patterns))]

mod checkpoint;
pub mod coefficients;
mod conn;
pub mod env;
mod error;
mod idempotency;
pub mod ingest;
pub mod introspect;
mod legacy;
pub mod migrate;
pub mod models;
mod recorder;
pub mod schema;
pub mod spool;
mod sql_timestamp;
mod url;
pub mod workspace_dir;

pub use conn::{ConnectOptions, DbConn, OpenMode, connect, connect_read_only, connect_with_mode};
pub use error::StoreError;
pub use idempotency::{KEY_VERSION, idempotency_key};
pub use ingest::{BATCH_EVENTS, EventWriter, StreamOptions, insert_stream, write_stream};
pub use legacy::{AdoptionReport, OrphanEvent, event_table_columns};
pub use migrate::{MigrateAction, MigrateReport, MigrationState, migrate, migration_state};
pub use models::escalations::{NewEscalationEvent, insert_escalation_event};
pub use models::events::count_matching_events;
pub use models::events::{
    EventOrder, EventQuery, InsertOptions, InsertSummary, KeyCollision, KeyFill, count_events,
    event_time_range, fill_missing_keys, for_each_event, insert_event, insert_events,
};
pub use models::parents::ensure_parents;
pub use models::runs::delete_run;
pub use models::{PruneSummary, TableCounts, count_rows, prune_older_than};
pub use recorder::{
    RecordOutcome, Recorder, RecorderConfig, RecorderTimeouts, WarningSink, telemetry_enabled,
};
pub use spool::{ReplaySummary, SPOOL_FORMAT_VERSION, Spool, SpoolRecord, SpoolSize};
pub use sql_timestamp::{SqlTimestamp, now};
pub use tel_core::{EventDraft, InvalidEvent, TelExtras, ValidityGuard};
pub use url::{
    Backend, DEFAULT_DATABASE_URL, DatabaseUrl, UrlError, UrlSource, redact_url,
    resolve_database_url,
};

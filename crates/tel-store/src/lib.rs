//! tel-store: persistence of telemetry events in SQLite (embedded default) or PostgreSQL.

//! The one place tel-store reads the process environment; everything else takes a lookup function,
//! so URL resolution, the telemetry flag and spool paths are testable without touching the real environment.

/// A way to look an environment variable up (the process environment, or a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads `name` from the process environment; unset and non-UTF-8 values are `None`.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Variable naming the database URL, preferred over [`GENERIC_DATABASE_URL_VAR`].
pub const TEL_DATABASE_URL_VAR: &str = "TEL_DATABASE_URL";
/// Generic database URL variable, used when [`TEL_DATABASE_URL_VAR`] is unset.
pub const GENERIC_DATABASE_URL_VAR: &str = "DATABASE_URL";
/// The telemetry feature flag (see [`crate::telemetry_enabled`]).
pub const TELEMETRY_FLAG_VAR: &str = "TELEMETRY_DB_ENABLED";

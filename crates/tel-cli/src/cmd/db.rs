//! Turning the shared `DbArgs` into a resolved URL and an open connection.

use std::time::Duration;

use anyhow::{Context as _, bail};
use tel_store::env::process_env;
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, MigrateAction, MigrationState, OpenMode, Spool,
    connect_with_mode, migrate, migration_state, resolve_database_url,
};

use crate::cli::DbArgs;

impl DbArgs {
    /// The URL from the option, `TEL_DATABASE_URL`, `DATABASE_URL` or the default.
    pub fn url(&self) -> anyhow::Result<DatabaseUrl> {
        let (url, _) = resolve_database_url(self.database_url.as_deref(), &process_env)?;
        Ok(url)
    }

    /// Connection options from the flags.
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            busy_timeout: self
                .busy_timeout_ms
                .map_or(ConnectOptions::DEFAULT_BUSY_TIMEOUT, Duration::from_millis),
        }
    }

    /// Resolves and opens the database for writing (an SQLite file is created when missing).
    pub fn open(&self) -> anyhow::Result<(DatabaseUrl, DbConn)> {
        self.open_with(OpenMode::ReadWrite)
    }

    /// Resolves and opens the database for a command that only reads: nothing is created or
    /// changed, and a missing SQLite file is an error naming its path.
    pub fn open_read_only(&self) -> anyhow::Result<(DatabaseUrl, DbConn)> {
        self.open_with(OpenMode::ReadOnly)
    }

    /// Resolves and opens the database in `mode`.
    pub fn open_with(&self, mode: OpenMode) -> anyhow::Result<(DatabaseUrl, DbConn)> {
        let url = self.url()?;
        let conn = connect_with_mode(&url, &self.options(), mode)?;
        Ok((url, conn))
    }

    /// The spool: `explicit`, else the database's default spool.
    pub fn spool(&self, explicit: Option<&std::path::Path>) -> anyhow::Result<Spool> {
        Ok(match explicit {
            Some(path) => Spool::new(path),
            None => Spool::default_for(
                &self.url().context("resolve the database URL")?,
                &process_env,
            ),
        })
    }
}

/// Creates the schema of a new, empty database; refuses one that exists but is not migrated, so that
/// a legacy database is never adopted as a side effect of importing or generating data.
pub(crate) fn prepare_schema(conn: &mut DbConn) -> anyhow::Result<()> {
    let state = migration_state(conn)?;
    if state.pending.is_empty() && !state.legacy {
        return Ok(());
    }
    if state.applied.is_empty() && !state.legacy {
        migrate(conn, MigrateAction::Apply)?;
        return Ok(());
    }
    bail!(
        "the schema is not up to date ({}): run `tel migrate` first",
        outdated(&state)
    )
}

/// Fails unless the schema is fully migrated: commands that print a header before streaming rows check
/// this first, so a legacy or unmigrated database gets the error alone, not a header and then the error.
pub(crate) fn require_migrated(conn: &mut DbConn, url: &DatabaseUrl) -> anyhow::Result<()> {
    let state = migration_state(conn)?;
    if state.pending.is_empty() && !state.legacy {
        return Ok(());
    }
    bail!(
        "{url} is not migrated ({}): run `tel migrate --database-url {url}` first",
        outdated(&state)
    )
}

/// `3 pending migrations, legacy database`.
fn outdated(state: &MigrationState) -> String {
    format!(
        "{} pending migrations{}",
        state.pending.len(),
        if state.legacy {
            ", legacy database"
        } else {
            ""
        }
    )
}

//! The errors of tel-store; each names the database (password redacted), file or row concerned.

use std::path::PathBuf;

use crate::url::UrlError;

/// Any failure of a tel-store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is unusable.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The database cannot be opened or connected to.
    #[error("cannot open database {location}: {reason}")]
    Open {
        /// The database, password redacted.
        location: String,
        /// Why, e.g. `directory missing/dir does not exist`.
        reason: String,
    },
    /// A reading command was pointed at an SQLite file that does not exist (it is not created).
    #[error("no database at {}", path.display())]
    Missing {
        /// The path as given.
        path: PathBuf,
    },
    /// The SQLite file a connection writes to is no longer the file at the database's path
    /// (removed, or its directory removed, or replaced), so what it writes would be lost.
    #[error("database {location} was removed or replaced while open")]
    FileReplaced {
        /// The database.
        location: String,
    },
    /// A query failed.
    // The cause is in the message (the recorder's warnings print it alone), so it is not also a
    // `source()`: error chains would print it twice.
    #[error("cannot {action}: {cause}")]
    Query {
        /// What was being done, e.g. `insert event into token_estimation_v2_events`.
        action: String,
        /// The database's error.
        cause: diesel::result::Error,
    },
    /// A missing run, tier or phase row cannot be created (a required column tel cannot fill).
    #[error("cannot {action}: {reason}")]
    Parent {
        /// What was being done, e.g. `create phase build of run r1 in phases`.
        action: String,
        /// Why.
        reason: String,
    },
    /// A migration failed or was refused.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The legacy database cannot be adopted as it is.
    #[error("cannot adopt legacy database: {0}")]
    Legacy(String),
    /// A stored row cannot be turned into an event.
    #[error(
        "invalid value in token_estimation_v2_events row {event_id}, column {column}: {value:?} ({expected})"
    )]
    InvalidRow {
        /// The row's event id.
        event_id: i64,
        /// The column.
        column: &'static str,
        /// The stored text.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// The spool file cannot be read or written.
    #[error("spool {path}: {action}: {cause}")]
    Spool {
        /// The spool file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The I/O error (in the message, like [`StoreError::Query`]'s).
        cause: std::io::Error,
    },
}

/// Adds the action to a diesel error.
pub(crate) trait QueryContext<T> {
    /// Wraps the error as [`StoreError::Query`] naming `action`.
    fn context(self, action: &str) -> Result<T, StoreError>;
}

impl<T> QueryContext<T> for Result<T, diesel::result::Error> {
    fn context(self, action: &str) -> Result<T, StoreError> {
        self.map_err(|cause| StoreError::Query {
            action: action.to_owned(),
            cause,
        })
    }
}

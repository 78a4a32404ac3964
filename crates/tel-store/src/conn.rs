//! Opening a database: one connection type over both backends, SQLite pragmas on every connection.

use std::time::Duration;

#[cfg(feature = "postgres")]
use diesel::PgConnection;
use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, SqliteConnection};

use crate::error::{QueryContext as _, StoreError};
use crate::url::{Backend, DatabaseUrl};
use crate::with_conn;

/// An open connection to either backend. Bulk paths (multi-row INSERT, streaming reads) are written
/// per backend through [`with_conn!`](crate::with_conn), which diesel's `MultiConnection` cannot do.
pub enum DbConn {
    /// SQLite (foreign keys ON, WAL, busy timeout, synchronous NORMAL).
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(PgConnection),
}

impl std::fmt::Debug for DbConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "DbConn::Sqlite",
            #[cfg(feature = "postgres")]
            Self::Pg(_) => "DbConn::Pg",
        })
    }
}

impl DbConn {
    /// Runs `body` in a transaction: committed when it returns `Ok`, rolled back otherwise. Nested
    /// calls become savepoints. For reads: on SQLite it takes no lock until the first write, so a
    /// body that reads and then writes can fail with "database is locked" under concurrent writers
    /// without waiting; writers use [`DbConn::write_transaction`].
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.run_transaction(false, body)
    }

    /// Like [`DbConn::transaction`], for bodies that write: on SQLite the outermost one begins with
    /// `BEGIN IMMEDIATE`, taking the write lock first (waiting up to the busy timeout), so that a
    /// read followed by a write cannot fail on a lock another connection took in between.
    pub fn write_transaction<T, E: From<StoreError>>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.run_transaction(true, body)
    }

    fn run_transaction<T, E: From<StoreError>>(
        &mut self,
        write: bool,
        body: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager as _};
        let begun = match self {
            Self::Sqlite(c) if write => {
                match AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE") {
                    // Already inside a transaction (which holds the write lock or will wait for it).
                    Err(diesel::result::Error::AlreadyInTransaction) => {
                        AnsiTransactionManager::begin_transaction(c)
                    }
                    other => other,
                }
            }
            _ => with_conn!(self, c => AnsiTransactionManager::begin_transaction(c)),
        };
        begun.context("begin a transaction")?;
        match body(self) {
            Ok(value) => {
                with_conn!(self, c => AnsiTransactionManager::commit_transaction(c))
                    .context("commit")?;
                Ok(value)
            }
            Err(err) => {
                // The body's error is the one worth reporting; a failed rollback leaves the
                // connection broken, which its next use reports.
                let _ = with_conn!(self, c => AnsiTransactionManager::rollback_transaction(c));
                Err(err)
            }
        }
    }

    /// Whether a transaction is open on this connection (a broken transaction manager counts as open, so
    /// callers do not start a fresh one on top of it).
    pub fn in_transaction(&mut self) -> bool {
        use diesel::connection::{AnsiTransactionManager, TransactionManager as _};
        with_conn!(self, c => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .map_or(true, |depth| depth.is_some()))
    }

    /// Gives an SQLite connection a 16 MiB page cache (instead of SQLite's 2 MiB) for a bulk load: the
    /// random-keyed indexes (idempotency key) otherwise spill dirty pages to the WAL again and again
    /// within one transaction. Bounded, so memory stays flat at any input size. PostgreSQL: nothing.
    pub fn enlarge_cache_for_bulk_writes(&mut self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(c) => c
                .batch_execute("PRAGMA cache_size = -16384;")
                .context("enlarge the SQLite page cache"),
            #[cfg(feature = "postgres")]
            Self::Pg(_) => Ok(()),
        }
    }

    /// The backend of this connection.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Self::Pg(_) => Backend::Postgres,
        }
    }
}

/// Runs the same body on whichever connection is inside a [`DbConn`]; the body is type-checked
/// once per backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::DbConn::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::DbConn::Pg($c) => $body,
        }
    };
}

/// How connections are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// How long an SQLite write waits for a lock held by another connection before failing.
    pub busy_timeout: Duration,
}

impl ConnectOptions {
    /// The default busy timeout.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Self::DEFAULT_BUSY_TIMEOUT,
        }
    }
}

/// Whether a connection may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Writing commands: an SQLite file is created when missing and switched to WAL.
    ReadWrite,
    /// Reading commands: SQLite opens the file with `mode=ro` (no journal-mode change, never
    /// created: a missing file is [`StoreError::Missing`]); PostgreSQL sessions are
    /// `default_transaction_read_only`.
    ReadOnly,
}

/// Opens `url` for writing. SQLite files are created when missing but their directory must exist;
/// every SQLite connection gets `foreign_keys=ON`, the busy timeout, `journal_mode=WAL` and
/// `synchronous=NORMAL`.
pub fn connect(url: &DatabaseUrl, options: &ConnectOptions) -> Result<DbConn, StoreError> {
    connect_with_mode(url, options, OpenMode::ReadWrite)
}

/// Opens `url` for reading only (see [`OpenMode::ReadOnly`]): an SQLite file keeps its bytes and its
/// journal mode. On a WAL-mode file SQLite still needs `-wal` and `-shm` beside it and creates them
/// when no other connection has (docs/STORE.md, "Read-only commands").
pub fn connect_read_only(
    url: &DatabaseUrl,
    options: &ConnectOptions,
) -> Result<DbConn, StoreError> {
    connect_with_mode(url, options, OpenMode::ReadOnly)
}

/// Opens `url` in `mode` (for a command whose mode depends on its arguments).
pub fn connect_with_mode(
    url: &DatabaseUrl,
    options: &ConnectOptions,
    mode: OpenMode,
) -> Result<DbConn, StoreError> {
    let open_error = |reason: String| StoreError::Open {
        location: url.to_string(),
        reason,
    };
    match url {
        DatabaseUrl::SqliteFile(path) => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(dir) = parent.filter(|dir| !dir.is_dir()) {
                return Err(match mode {
                    OpenMode::ReadOnly => StoreError::Missing { path: path.clone() },
                    OpenMode::ReadWrite => {
                        open_error(format!("directory {} does not exist", dir.display()))
                    }
                });
            }
            if path.is_dir() {
                return Err(open_error(format!("{} is a directory", path.display())));
            }
            if mode == OpenMode::ReadOnly && !path.exists() {
                return Err(StoreError::Missing { path: path.clone() });
            }
            let text = path
                .to_str()
                .ok_or_else(|| open_error("the path is not valid UTF-8".to_owned()))?;
            let mut conn = SqliteConnection::establish(&sqlite_uri(text, mode))
                .map_err(|e| open_error(e.to_string()))?;
            configure_sqlite(&mut conn, options, mode).map_err(|e| open_error(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
        DatabaseUrl::SqliteMemory => {
            let mut conn =
                SqliteConnection::establish(":memory:").map_err(|e| open_error(e.to_string()))?;
            configure_sqlite(&mut conn, options, mode).map_err(|e| open_error(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
        #[cfg(not(feature = "postgres"))]
        DatabaseUrl::Postgres(_) => Err(open_error(
            "this build has no PostgreSQL support (enable the tel-store feature `postgres`)"
                .to_owned(),
        )),
        #[cfg(feature = "postgres")]
        DatabaseUrl::Postgres(text) => {
            let mut conn = PgConnection::establish(text)
                .map_err(|e| open_error(crate::url::redact_url(e.to_string().trim())))?;
            if mode == OpenMode::ReadOnly {
                conn.batch_execute("SET default_transaction_read_only = on;")
                    .map_err(|e| open_error(e.to_string()))?;
            }
            Ok(DbConn::Pg(conn))
        }
    }
}

/// The `file:` URI SQLite opens for `path` in `mode`. diesel always passes `SQLITE_OPEN_URI`, so a
/// bare name would be read as a URI when it starts with `file:`; here every byte outside
/// `A-Za-z0-9-._~/` is percent-encoded, so `?`, `#` and `%` stay part of the file name.
fn sqlite_uri(path: &str, mode: OpenMode) -> String {
    // An absolute path gets an empty authority (`file:///abs`), so `//x` cannot become a host.
    let mut uri = String::from(if path.starts_with('/') {
        "file://"
    } else {
        "file:"
    });
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push('%');
            uri.push(char::from(HEX[usize::from(byte >> 4)]));
            uri.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    uri.push_str(match mode {
        OpenMode::ReadWrite => "?mode=rwc",
        OpenMode::ReadOnly => "?mode=ro",
    });
    uri
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Applies tel's per-connection SQLite settings.
/// Read-only connections leave the journal mode alone: changing it writes the file header.
fn configure_sqlite(
    conn: &mut SqliteConnection,
    options: &ConnectOptions,
    mode: OpenMode,
) -> diesel::QueryResult<()> {
    conn.batch_execute(&busy_timeout_pragma(options.busy_timeout))?;
    conn.batch_execute("PRAGMA foreign_keys = ON;")?;
    match mode {
        OpenMode::ReadWrite => {
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        }
        OpenMode::ReadOnly => Ok(()),
    }
}

/// `PRAGMA busy_timeout = <ms>`: a PRAGMA takes no bound parameters, so the statement carries the
/// number itself (an integer, never user text).
pub(crate) fn busy_timeout_pragma(timeout: Duration) -> String {
    let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
    ["PRAGMA busy_timeout = ", &millis.to_string(), ";"].concat()
}

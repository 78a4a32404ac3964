//! WAL checkpoints off the recorder's path: the builder's call never waits for one.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and with it two
//! fsyncs: one record in ~150 paid several milliseconds (docs/PERFORMANCE.md). The recorder's connection
//! turns it off; a background thread with a connection of its own runs a PASSIVE checkpoint (it never
//! blocks writers) whenever the WAL has grown past SQLite's default threshold. A writer that records
//! without pause can outrun it (the WAL restarts only once every frame is copied back), so past four times
//! that size the recorder tries to restart the WAL itself on its own connection, without waiting (busy
//! timeout 0 for the attempt): the WAL stays bounded unless a reader holds an old snapshot, and then the
//! recorder's write still costs no wait (issue 14, item 3: it used to wait the busy timeout every time).
//! The recorder's connection also truncates the WAL file when the WAL restarts, so the file's size is
//! the WAL's. Other connections (import, replay) keep SQLite's defaults.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use diesel::connection::SimpleConnection as _;

use crate::conn::{ConnectOptions, DbConn, busy_timeout_pragma, connect};
use crate::error::{QueryContext as _, StoreError};
use crate::url::DatabaseUrl;

/// The WAL size that asks for a background checkpoint: SQLite's default (1,000 pages of 4 KiB).
pub(crate) const WAL_CHECKPOINT_BYTES: u64 = 1000 * 4096;

/// The WAL size at which the recorder restarts the WAL itself: the background checkpoint fell behind.
pub(crate) const WAL_BACKSTOP_BYTES: u64 = 4 * WAL_CHECKPOINT_BYTES;

/// Turns off the automatic checkpoint of `conn` (SQLite only), and has the WAL file truncated when the
/// WAL restarts: [`Checkpointer`] takes over.
pub(crate) fn defer_auto_checkpoint(conn: &mut DbConn) -> Result<(), StoreError> {
    match conn {
        DbConn::Sqlite(c) => c
            .batch_execute("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 0;")
            .context("defer automatic WAL checkpoints"),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(()),
    }
}

/// A background thread that checkpoints one SQLite database when asked; it ends with its owner.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    wal: PathBuf,
    requests: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread for an SQLite file; `None` for other databases (or when no thread starts,
    /// in which case the WAL grows until another connection checkpoints it: nothing is lost).
    pub(crate) fn start(url: &DatabaseUrl, options: &ConnectOptions) -> Option<Self> {
        let path = url.sqlite_path()?;
        let (requests, pending) = sync_channel(1);
        let (url, options) = (url.clone(), *options);
        std::thread::Builder::new()
            .name("tel-wal-checkpoint".to_owned())
            .spawn(move || serve(&url, &options, &pending))
            .ok()?;
        Some(Self {
            wal: wal_path(path),
            requests,
        })
    }

    /// After a write on `conn`: past [`WAL_CHECKPOINT_BYTES`] asks the thread for a checkpoint without
    /// blocking (a request already pending covers this one); past [`WAL_BACKSTOP_BYTES`] also tries to
    /// restart the WAL on `conn` (only a writer without pauses gets there), without waiting: a reader
    /// holding an old snapshot makes the attempt return at once instead of after the busy timeout, and
    /// the next write tries again.
    pub(crate) fn after_write(&self, conn: &mut DbConn, options: &ConnectOptions) {
        let wal = std::fs::metadata(&self.wal).map_or(0, |m| m.len());
        if wal >= WAL_BACKSTOP_BYTES {
            let _ = checkpoint_on(
                conn,
                "PRAGMA busy_timeout = 0; PRAGMA wal_checkpoint(RESTART);",
            );
            // Without it the recorder's next write would not wait for a lock at all.
            if let DbConn::Sqlite(c) = conn {
                let _ = c.batch_execute(&busy_timeout_pragma(options.busy_timeout));
            }
        }
        if wal >= WAL_CHECKPOINT_BYTES {
            // Full: a request is pending already. Disconnected: the thread is gone; the backstop
            // still bounds the WAL while no reader holds it.
            let _ = self.requests.try_send(());
        }
    }
}

/// The thread: one PASSIVE checkpoint per request, on a fresh connection (requests are rare).
fn serve(url: &DatabaseUrl, options: &ConnectOptions, pending: &Receiver<()>) {
    while pending.recv().is_ok() {
        // A failed checkpoint is retried at the next request; the recorder's writes do not depend on it.
        let _ = checkpoint(url, options);
    }
}

fn checkpoint(url: &DatabaseUrl, options: &ConnectOptions) -> Result<(), StoreError> {
    checkpoint_on(
        &mut connect(url, options)?,
        "PRAGMA wal_checkpoint(PASSIVE);",
    )
}

/// Runs one of the constant `wal_checkpoint` pragmas on an SQLite connection.
fn checkpoint_on(conn: &mut DbConn, pragma: &'static str) -> Result<(), StoreError> {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(pragma).context("checkpoint the WAL"),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(()),
    }
}

/// `tel.db` → `tel.db-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

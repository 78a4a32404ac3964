//! WAL checkpoints off the recorder's path: the builder's call never waits for one.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and with it two
//! fsyncs: one record in ~150 paid several milliseconds (docs/PERFORMANCE.md). A background thread with
//! a connection of its own runs a PASSIVE checkpoint (it never blocks writers) whenever the WAL has
//! grown past SQLite's default threshold. The recorder's connection keeps an automatic checkpoint only
//! as a backstop, at four times the default: a writer that records without pause can outrun the
//! background checkpoint (the WAL restarts only once every frame is copied back), and the backstop
//! bounds the WAL then. Other connections (import, replay) keep SQLite's defaults.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use diesel::connection::SimpleConnection as _;

use crate::conn::{ConnectOptions, DbConn, connect};
use crate::error::{QueryContext as _, StoreError};
use crate::url::DatabaseUrl;

/// The WAL size that asks for a checkpoint: SQLite's default (1,000 pages of 4 KiB).
pub(crate) const WAL_CHECKPOINT_BYTES: u64 = 1000 * 4096;

/// Raises the automatic checkpoint of `conn` (SQLite only) to the backstop: [`Checkpointer`] runs
/// the regular ones.
pub(crate) fn defer_auto_checkpoint(conn: &mut DbConn) -> Result<(), StoreError> {
    match conn {
        DbConn::Sqlite(c) => c
            .batch_execute("PRAGMA wal_autocheckpoint = 4000;")
            .context("defer automatic WAL checkpoints"),
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

    /// Asks for a checkpoint when the WAL is past [`WAL_CHECKPOINT_BYTES`]; never blocks (a request
    /// already pending covers this one).
    pub(crate) fn request_if_due(&self) {
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() >= WAL_CHECKPOINT_BYTES) {
            // Full: a request is pending already. Disconnected: the thread is gone; other
            // connections' automatic checkpoints and the last close still bound the WAL.
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
    match connect(url, options)? {
        DbConn::Sqlite(mut c) => c
            .batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
            .context("checkpoint the WAL"),
        DbConn::Pg(_) => Ok(()),
    }
}

/// `tel.db` → `tel.db-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

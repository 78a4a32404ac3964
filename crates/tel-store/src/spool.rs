//! The spool: an NDJSON file of events the recorder could not store, replayed exactly once later.
//!
//! One line per event: `{"reason": "...", "event": {...}}` (the event in `TelemetryEvent`'s serde
//! form, as submitted — before the run_id backfill). Appends are locked, flushed and fsync'd; the file
//! is created with mode 0600. Replay inserts every event in one transaction keyed by idempotency key
//! and empties the file only after the commit, keeping unreadable lines for inspection.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tel_core::TelemetryEvent;

use crate::conn::DbConn;
use crate::env::EnvLookup;
use crate::error::StoreError;
use crate::models::events::{InsertOptions, insert_events};
use crate::url::DatabaseUrl;

/// One spooled event and why it was spooled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpoolRecord {
    /// The write error that sent the event here.
    pub reason: String,
    /// The event as submitted.
    pub event: TelemetryEvent,
}

/// Size of a spool file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SpoolSize {
    /// Lines (spooled events, including unreadable lines).
    pub lines: u64,
    /// Bytes.
    pub bytes: u64,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ReplaySummary {
    /// Readable events in the spool.
    pub events: u64,
    /// Events written.
    pub inserted: u64,
    /// Events already stored (same idempotency key), not written again.
    pub duplicates: u64,
    /// Unreadable lines, left in the spool.
    pub kept_unreadable: u64,
}

/// A spool file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// The spool at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The spool of a database when none is configured: `<db path>.spool.ndjson` beside an SQLite
    /// file; otherwise `<data dir>/tel/spool-<16 hex of SHA-256 of the URL's identity>.ndjson` (see
    /// [`DatabaseUrl::identity`]: however the URL is spelled, one database has one spool), the data
    /// dir being `$XDG_DATA_HOME`, else `$HOME/.local/share`, else the current directory.
    pub fn default_for(url: &DatabaseUrl, env: EnvLookup<'_>) -> Self {
        if let Some(path) = url.sqlite_path() {
            let mut name = path.as_os_str().to_owned();
            name.push(".spool.ndjson");
            return Self::new(name);
        }
        let data_dir = env("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|home| Path::new(&home).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        let digest = Sha256::digest(url.identity(env).as_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self::new(
            data_dir
                .join("tel")
                .join(["spool-", &hash, ".ndjson"].concat()),
        )
    }

    /// The spool file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |cause| StoreError::Spool {
            path: self.path.clone(),
            action,
            cause,
        }
    }

    /// Opens the file for reading and writing (creating it, mode 0600) and locks it exclusively.
    fn open_locked(&self) -> Result<File, StoreError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(self.error("create the spool directory"))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(self.error("open"))?;
        file.lock().map_err(self.error("lock"))?;
        Ok(file)
    }

    /// Appends one event with its reason, flushed and fsync'd before returning.
    pub fn append(&self, event: &TelemetryEvent, reason: &str) -> Result<(), StoreError> {
        let record = SpoolRecord {
            reason: reason.to_owned(),
            event: event.clone(),
        };
        let mut line = serde_json::to_string(&record)
            .map_err(|e| self.error("serialise an event")(std::io::Error::other(e)))?;
        line.push('\n');
        let mut file = self.open_locked()?;
        let length = file.metadata().map_err(self.error("stat"))?.len();
        let written = file
            .write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_all());
        if let Err(err) = written {
            // A partial line (disk full, file-size limit) would glue the next append to it and
            // make both unreadable: cut the file back to whole lines.
            let _ = file.set_len(length);
            return Err(self.error("append")(err));
        }
        Ok(())
    }

    /// Lines and bytes in the spool (zero when the file does not exist).
    pub fn size(&self) -> Result<SpoolSize, StoreError> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SpoolSize::default()),
            Err(e) => return Err(self.error("open")(e)),
        };
        let bytes = file.metadata().map_err(self.error("stat"))?.len();
        let mut lines = 0;
        for line in BufReader::new(file).lines() {
            line.map_err(self.error("read"))?;
            lines += 1;
        }
        Ok(SpoolSize { lines, bytes })
    }

    /// Writes every spooled event into `conn` exactly once (idempotency key, with the recorder's
    /// parent creation and run_id backfill) in one transaction, then empties the spool, keeping only
    /// unreadable lines and events tel-core's rules refuse ([`TelemetryEvent::validate`]). On any database error the spool is left untouched.
    pub fn replay(&self, conn: &mut DbConn) -> Result<ReplaySummary, StoreError> {
        if !self.path.exists() {
            return Ok(ReplaySummary::default());
        }
        let mut file = self.open_locked()?;
        let mut events = Vec::new();
        let mut unreadable = Vec::new();
        for line in BufReader::new(&file).lines() {
            let line = line.map_err(self.error("read"))?;
            if line.trim().is_empty() {
                continue;
            }
            // An event the store's rules refuse (spooled by an older tel, e.g. a NUL that PostgreSQL
            // rejects) would fail the whole replay: it is kept like an unreadable line.
            match serde_json::from_str::<SpoolRecord>(&line) {
                Ok(record) if record.event.validate().is_ok() => events.push(record.event),
                _ => unreadable.push(line),
            }
        }
        let summary = insert_events(conn, &events, InsertOptions::RECORDER)?;
        file.set_len(0).map_err(self.error("truncate"))?;
        file.seek(SeekFrom::Start(0))
            .map_err(self.error("rewind"))?;
        for line in &unreadable {
            writeln!(file, "{line}").map_err(self.error("keep an unreadable line"))?;
        }
        file.sync_all().map_err(self.error("fsync"))?;
        Ok(ReplaySummary {
            events: events.len() as u64,
            inserted: summary.inserted,
            duplicates: summary.duplicates,
            kept_unreadable: unreadable.len() as u64,
        })
    }
}

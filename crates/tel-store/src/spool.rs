//! The spool: an NDJSON file of events the recorder could not store, replayed exactly once later.
//!
//! One line per event: `{"version": 1, "reason": "...", "event": {...}}` (the event in
//! `TelemetryEvent`'s serde form, as submitted — before the run_id backfill). A line without `version`
//! is format 0 (same shape) and fields added to the event later decode with their defaults, so older
//! spools replay. Appends are locked, flushed and fsync'd; the file is created with mode 0600; a torn
//! last line (a writer killed mid-append) is closed with a newline before the next append, so it never
//! swallows the next event. Replay writes every event it can and keeps each one it cannot, with its
//! reason, and every unreadable line (invalid UTF-8, torn, unknown format) for inspection. The recorder
//! drains a bounded number of events from the end of the spool after each successful write
//! ([`Spool::drain`]).

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tel_core::{TelemetryEvent, Timestamp};

use crate::conn::DbConn;
use crate::env::EnvLookup;
use crate::error::StoreError;
use crate::ingest::{StreamOptions, insert_stream};
use crate::models::events::{InsertOptions, insert_event};
use crate::url::DatabaseUrl;

/// The spool line format this tel writes; lines of a newer format are kept, not replayed.
pub const SPOOL_FORMAT_VERSION: u32 = 1;

/// Bytes read at a time from the end of the spool when draining.
const TAIL_CHUNK_BYTES: u64 = 64 * 1024;

/// One spooled event and why it was spooled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpoolRecord {
    /// The line format ([`SPOOL_FORMAT_VERSION`]); 0 for lines written before it existed.
    #[serde(default)]
    pub version: u32,
    /// The write error that sent the event here (the last one, after a failed replay).
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
    /// Lines that cannot be decoded (invalid UTF-8, torn, unknown format).
    pub unreadable: u64,
    /// The timestamp of the oldest readable spooled event.
    pub oldest_event: Option<Timestamp>,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ReplaySummary {
    /// Readable events in the spool.
    pub events: u64,
    /// Events written.
    pub inserted: u64,
    /// Events already stored (same idempotency key), not written again.
    pub duplicates: u64,
    /// Events that could not be written, left in the spool with their reason.
    pub kept_failed: u64,
    /// Unreadable lines, left in the spool.
    pub kept_unreadable: u64,
    /// Why each kept event could not be written: `LINE: run RUN phase PHASE: REASON`.
    pub failures: Vec<String>,
}

impl ReplaySummary {
    /// Lines left in the spool.
    pub fn kept(&self) -> u64 {
        self.kept_failed + self.kept_unreadable
    }
}

/// Decodes one line (without its newline); `None` when it is unreadable (invalid UTF-8, torn, not
/// JSON, a newer format).
fn decode(bytes: &[u8]) -> Option<SpoolRecord> {
    serde_json::from_slice::<SpoolRecord>(bytes)
        .ok()
        .filter(|record| record.version <= SPOOL_FORMAT_VERSION)
}

/// The lines of `bytes` with their 1-based number, blank lines skipped; a last line without newline
/// (torn) is a line too.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim_ascii().is_empty())
}

/// The outcome of writing one spooled event.
enum Written {
    Inserted,
    Duplicate,
    Failed(String),
}

/// Writes `records` (recorder semantics: parents, backfill, idempotency) through the one streaming
/// insert path, all in one transaction; when that fails, each event in its own transaction, so that
/// one event that cannot be stored never blocks the others and keeps its own reason.
fn write_all(conn: &mut DbConn, records: &[&SpoolRecord]) -> Vec<Written> {
    let events = records.iter().map(|r| r.event.clone());
    if let Ok(summary) = insert_stream(conn, events, StreamOptions::RECORDER, |_| {}) {
        // All written at once; which ones were duplicates does not matter, only how many.
        let mut written: Vec<Written> = (0..summary.inserted).map(|_| Written::Inserted).collect();
        written.extend((0..summary.duplicates).map(|_| Written::Duplicate));
        return written;
    }
    records
        .iter()
        .map(
            |record| match insert_event(conn, &record.event, InsertOptions::RECORDER) {
                Ok(Some(_)) => Written::Inserted,
                Ok(None) => Written::Duplicate,
                Err(err) => Written::Failed(err.to_string()),
            },
        )
        .collect()
}

/// The decoded lines of a spool region and what writing them did: counts and the lines to keep.
struct Pass {
    summary: ReplaySummary,
    kept: Vec<u8>,
}

/// Writes the readable events among `lines` and collects the lines to keep: unreadable ones as they
/// are, failed events re-encoded with their new reason.
fn replay_lines<'a>(
    conn: &mut DbConn,
    lines: impl Iterator<Item = (usize, &'a [u8])>,
) -> Result<Pass, serde_json::Error> {
    let mut summary = ReplaySummary::default();
    let mut kept = Vec::new();
    let mut records = Vec::new();
    for (number, line) in lines {
        match decode(line) {
            Some(record) => records.push((number, record)),
            None => {
                summary.kept_unreadable += 1;
                kept.extend_from_slice(line);
                kept.push(b'\n');
            }
        }
    }
    summary.events = records.len() as u64;
    // An event the store's rules refuse (spooled by an older tel, e.g. a NUL that PostgreSQL rejects)
    // is kept with the rule it breaks instead of being offered to the database.
    let mut outcomes = Vec::with_capacity(records.len());
    let mut valid = Vec::with_capacity(records.len());
    for (number, record) in &records {
        match record.event.validate() {
            Ok(()) => valid.push((*number, record)),
            Err(rule) => {
                outcomes.push((*number, record, Written::Failed(format!("refused: {rule}"))))
            }
        }
    }
    let refs: Vec<&SpoolRecord> = valid.iter().map(|&(_, record)| record).collect();
    for ((number, record), written) in valid.into_iter().zip(write_all(conn, &refs)) {
        outcomes.push((number, record, written));
    }
    for (number, record, written) in outcomes {
        match written {
            Written::Inserted => summary.inserted += 1,
            Written::Duplicate => summary.duplicates += 1,
            Written::Failed(reason) => {
                summary.kept_failed += 1;
                summary.failures.push(format!(
                    "line {number}: run {} phase {}: {reason}",
                    record.event.run_id, record.event.phase_id
                ));
                let again = SpoolRecord {
                    version: SPOOL_FORMAT_VERSION,
                    reason,
                    event: record.event.clone(),
                };
                kept.extend_from_slice(serde_json::to_string(&again)?.as_bytes());
                kept.push(b'\n');
            }
        }
    }
    Ok(Pass { summary, kept })
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
    /// Not in append mode: replay and drain rewrite regions in place (`pwrite` ignores the offset
    /// under `O_APPEND` on Linux); appends seek to the end under the lock.
    fn open_locked(&self) -> Result<File, StoreError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(self.error("create the spool directory"))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.path)
            .map_err(self.error("open"))?;
        file.lock().map_err(self.error("lock"))?;
        Ok(file)
    }

    /// Appends one event with its reason, flushed and fsync'd before returning.
    pub fn append(&self, event: &TelemetryEvent, reason: &str) -> Result<(), StoreError> {
        let record = SpoolRecord {
            version: SPOOL_FORMAT_VERSION,
            reason: reason.to_owned(),
            event: event.clone(),
        };
        let mut line = serde_json::to_string(&record)
            .map_err(|e| self.error("serialise an event")(std::io::Error::other(e)))?;
        line.push('\n');
        let mut file = self.open_locked()?;
        let length = file.seek(SeekFrom::End(0)).map_err(self.error("seek"))?;
        // A writer killed mid-append left a torn last line: close it, so that it stays one
        // unreadable line instead of swallowing this event.
        let mut last = [0u8; 1];
        if length > 0 {
            file.read_exact_at(&mut last, length - 1)
                .map_err(self.error("read"))?;
            if last[0] != b'\n' {
                line.insert(0, '\n');
            }
        }
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

    /// Lines, bytes, unreadable lines and the oldest event (zero when the file does not exist).
    pub fn size(&self) -> Result<SpoolSize, StoreError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SpoolSize::default()),
            Err(e) => return Err(self.error("open")(e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(self.error("read"))?;
        let mut size = SpoolSize {
            bytes: bytes.len() as u64,
            ..SpoolSize::default()
        };
        for (_, line) in lines(&bytes) {
            size.lines += 1;
            match decode(line) {
                Some(record) => {
                    let at = record.event.timestamp;
                    size.oldest_event = Some(size.oldest_event.map_or(at, |old| old.min(at)));
                }
                None => size.unreadable += 1,
            }
        }
        Ok(size)
    }

    /// Writes every spooled event it can into `conn` exactly once (idempotency key, with the
    /// recorder's parent creation and run_id backfill) and keeps in the spool each event it cannot,
    /// with its new reason, and every unreadable line. Fails only when the spool itself cannot be
    /// read or written.
    pub fn replay(&self, conn: &mut DbConn) -> Result<ReplaySummary, StoreError> {
        if !self.path.exists() {
            return Ok(ReplaySummary::default());
        }
        let mut file = self.open_locked()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(self.error("read"))?;
        let pass = replay_lines(conn, lines(&bytes))
            .map_err(|e| self.error("serialise an event")(std::io::Error::other(e)))?;
        self.keep_from(&file, 0, &pass.kept)?;
        Ok(pass.summary)
    }

    /// Writes up to `limit` events from the end of the spool into `conn` (as [`Spool::replay`] does)
    /// and removes them, keeping what cannot be written. Never waits: when another process holds the
    /// spool, or there is none, it does nothing. Reads only the lines it drains, so its cost is
    /// bounded by `limit`, not by the spool's size. Returns the events written or already stored.
    pub fn drain(&self, conn: &mut DbConn, limit: usize) -> Result<u64, StoreError> {
        if limit == 0 || std::fs::metadata(&self.path).map_or(true, |m| m.len() == 0) {
            return Ok(0);
        }
        let file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(self.error("open")(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(0),
            Err(std::fs::TryLockError::Error(e)) => return Err(self.error("lock")(e)),
        }
        let (start, tail) = self.tail_lines(&file, limit)?;
        if tail.is_empty() {
            return Ok(0);
        }
        let pass = replay_lines(conn, lines(&tail))
            .map_err(|e| self.error("serialise an event")(std::io::Error::other(e)))?;
        self.keep_from(&file, start, &pass.kept)?;
        Ok(pass.summary.inserted + pass.summary.duplicates)
    }

    /// The last `limit` lines of `file` and the offset where they start. A torn last line counts as one
    /// more: its writer is dead (appends hold the lock), so it is kept as an unreadable line.
    fn tail_lines(&self, file: &File, limit: usize) -> Result<(u64, Vec<u8>), StoreError> {
        let length = file.metadata().map_err(self.error("stat"))?.len();
        let mut tail: Vec<u8> = Vec::new();
        let mut from = length;
        loop {
            let newlines = tail.iter().filter(|&&b| b == b'\n').count();
            // One more newline than lines wanted: the one that ends the line before the window.
            if from == 0 || newlines > limit {
                break;
            }
            let chunk = TAIL_CHUNK_BYTES.min(from);
            from -= chunk;
            let mut buf = vec![0u8; usize::try_from(chunk).unwrap_or(usize::MAX)];
            file.read_exact_at(&mut buf, from)
                .map_err(self.error("read"))?;
            buf.extend_from_slice(&tail);
            tail = buf;
        }
        let cut = tail
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, b)| **b == b'\n')
            .nth(limit)
            .map_or(0, |(i, _)| i + 1);
        let window = tail.split_off(cut);
        Ok((from + cut as u64, window))
    }

    /// Replaces everything from `start` to the end of `file` with `kept`, durably. `kept` is written
    /// before the file is cut, so a crash in between leaves every kept line in place (plus, at worst,
    /// lines already written, which replay skips, and one fragment kept as unreadable).
    fn keep_from(&self, file: &File, start: u64, kept: &[u8]) -> Result<(), StoreError> {
        file.write_all_at(kept, start)
            .map_err(self.error("keep the lines not replayed"))?;
        file.sync_data().map_err(self.error("fsync"))?;
        file.set_len(start + kept.len() as u64)
            .map_err(self.error("truncate"))?;
        file.sync_all().map_err(self.error("fsync"))
    }
}

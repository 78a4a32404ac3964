//! The fail-safe telemetry recorder (FORMATS.md F2): flag, validity guard, sanitisation and metrics,
//! run_id backfill, insert — and, unlike the original, no silent loss: every failed write goes to the
//! spool, is counted and is reported as a warning.

use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

#[cfg(feature = "postgres")]
use diesel::RunQueryDsl as _;
use diesel::connection::SimpleConnection as _;
#[cfg(feature = "postgres")]
use diesel::sql_types::Text;

use tel_core::TelemetryEvent;

use crate::checkpoint::{Checkpointer, defer_auto_checkpoint};
use crate::conn::{ConnectOptions, DbConn, connect};
use crate::env::{EnvLookup, TELEMETRY_FLAG_VAR};
use crate::error::{QueryContext as _, StoreError};
use crate::models::events::{InsertOptions, insert_event};
use crate::spool::Spool;
use crate::sql_timestamp::now;
use crate::url::{DatabaseUrl, resolve_database_url};
use tel_core::{EventDraft, RejectedDraft, ValidityGuard};

/// THE parser of `TELEMETRY_DB_ENABLED`: enabled iff the value, trimmed and lower-cased, is `1`,
/// `true` or `yes`; anything else and unset are disabled. (tel's rule; the original did not trim.)
pub fn telemetry_enabled(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// How long the recorder waits, at most, before it spools an event instead (docs/RELIABILITY.md,
/// "Stalls"). The SQLite busy timeout is [`RecorderConfig::connect`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderTimeouts {
    /// PostgreSQL: connecting (TCP, TLS, authentication). Past it the event is spooled and later
    /// events are spooled at once until the attempt, still running in the background, ends.
    pub connect: Duration,
    /// PostgreSQL: waiting for a row or table lock another transaction holds (`lock_timeout`).
    pub lock: Duration,
    /// PostgreSQL: one statement (`statement_timeout`).
    pub statement: Duration,
}

impl RecorderTimeouts {
    /// The recorder's SQLite busy timeout: a commit of another recorder takes a few milliseconds, so
    /// 250 ms rides out dozens of them; a lock held longer is an import or a stuck writer, and the
    /// builder should not wait for it.
    pub const SQLITE_BUSY: Duration = Duration::from_millis(250);
}

impl Default for RecorderTimeouts {
    /// 1 s to connect (a TCP and TLS handshake plus SCRAM authentication take tens of milliseconds on a
    /// LAN), 250 ms for a lock (as SQLite), 1 s for a statement (an insert takes about a millisecond).
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(1),
            lock: Duration::from_millis(250),
            statement: Duration::from_secs(1),
        }
    }
}

/// How a [`Recorder`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// The database.
    pub url: DatabaseUrl,
    /// Connection settings (SQLite busy timeout, [`RecorderTimeouts::SQLITE_BUSY`] by default).
    pub connect: ConnectOptions,
    /// PostgreSQL timeouts.
    pub timeouts: RecorderTimeouts,
    /// Spooled events written back after each successful write, at most (0: never).
    pub drain_limit: usize,
    /// SQLite: commit with `synchronous=FULL` (default), so that a stored event survives a power loss
    /// as a spooled one does; `false` keeps `NORMAL` (faster, but a power loss can undo the last
    /// commits). docs/STORE.md, "Durability".
    pub durable: bool,
    /// Where failed writes go.
    pub spool: Spool,
    /// The telemetry flag; [`Recorder::record_forced`] ignores it.
    pub enabled: bool,
    /// The validity guard.
    pub guard: ValidityGuard,
}

impl RecorderConfig {
    /// Spooled events drained after each successful write by default: one multi-row insert, about a
    /// millisecond, and a spool of thousands still empties within a few hundred writes.
    pub const DRAIN_LIMIT: usize = 64;

    /// The configuration from the environment: URL by [`resolve_database_url`], the flag by
    /// [`telemetry_enabled`], the default spool of the URL.
    pub fn from_env(explicit_url: Option<&str>, env: EnvLookup<'_>) -> Result<Self, StoreError> {
        let (url, _) = resolve_database_url(explicit_url, env)?;
        let spool = Spool::default_for(&url, env);
        Ok(Self {
            enabled: telemetry_enabled(env(TELEMETRY_FLAG_VAR).as_deref()),
            ..Self::new(url, spool)
        })
    }

    /// An enabled recorder of `url` spooling to `spool`, with the default timeouts and drain limit.
    pub fn new(url: DatabaseUrl, spool: Spool) -> Self {
        Self {
            url,
            connect: ConnectOptions {
                busy_timeout: RecorderTimeouts::SQLITE_BUSY,
            },
            timeouts: RecorderTimeouts::default(),
            drain_limit: Self::DRAIN_LIMIT,
            durable: true,
            spool,
            enabled: true,
            guard: ValidityGuard::default(),
        }
    }
}

/// What happened to one recorded event.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    /// The flag is off; nothing was done.
    Disabled,
    /// The validity guard rejected the event (the warning was emitted).
    Skipped {
        /// The original's warning line.
        warning: String,
    },
    /// The event is stored (or was already: same idempotency key).
    Stored {
        /// The new row's id; `None` when an identical event was already stored.
        event_id: Option<i64>,
    },
    /// The write failed; the event is in the spool.
    Spooled {
        /// The write error.
        reason: String,
    },
    /// The write failed and so did the spool; the event was printed in the warning.
    Lost {
        /// The write error and the spool error.
        reason: String,
    },
}

/// A sink for the recorder's warnings (stderr by default).
pub type WarningSink = Box<dyn Fn(&str) + Send + Sync>;

/// The fail-safe writer. Never panics and never returns an error: failures are spooled, counted
/// ([`Recorder::write_failures`]) and reported through the warning sink.
pub struct Recorder {
    config: RecorderConfig,
    conn: Mutex<Slot>,
    /// Started with the first stored event on an SQLite file.
    checkpointer: OnceLock<Option<Checkpointer>>,
    write_failures: AtomicU64,
    spooled: AtomicU64,
    lost: AtomicU64,
    drained: AtomicU64,
    warn: WarningSink,
}

/// The recorder's connection, or a PostgreSQL connection attempt still running in the background.
#[derive(Default)]
struct Slot {
    open: Option<OpenDb>,
    connecting: Option<Receiver<Result<OpenDb, StoreError>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("config", &self.config)
            .field("write_failures", &self.write_failures())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder that connects lazily on its first write and warns on stderr.
    pub fn new(config: RecorderConfig) -> Self {
        Self {
            config,
            conn: Mutex::new(Slot::default()),
            checkpointer: OnceLock::new(),
            write_failures: AtomicU64::new(0),
            spooled: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            drained: AtomicU64::new(0),
            // Not `eprintln!`, which panics when stderr cannot be written (closed, or a file on a
            // full disk): a warning that cannot be shown must not take the recorder down.
            warn: Box::new(|message| {
                let _ = writeln!(std::io::stderr(), "{message}");
            }),
        }
    }

    /// Sends warnings to `sink` instead of stderr.
    pub fn with_warning_sink(mut self, sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.warn = Box::new(sink);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &RecorderConfig {
        &self.config
    }

    /// Writes that failed since this recorder was created (spooled or lost).
    pub fn write_failures(&self) -> u64 {
        self.write_failures.load(Ordering::Relaxed)
    }

    /// Events this recorder spooled.
    pub fn spooled(&self) -> u64 {
        self.spooled.load(Ordering::Relaxed)
    }

    /// Events this recorder could neither store nor spool.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Spooled events this recorder wrote back (or found already stored) after its own writes.
    pub fn drained(&self) -> u64 {
        self.drained.load(Ordering::Relaxed)
    }

    /// Records one builder call if the telemetry flag is on (FORMATS.md F2).
    pub fn record(&self, draft: EventDraft) -> RecordOutcome {
        if !self.config.enabled {
            return RecordOutcome::Disabled;
        }
        self.record_forced(draft)
    }

    /// Records one builder call regardless of the flag.
    pub fn record_forced(&self, draft: EventDraft) -> RecordOutcome {
        let event = match draft.into_event(now(), &self.config.guard) {
            Ok(event) => event,
            Err(invalid) => {
                let warning = invalid.to_string();
                (self.warn)(&warning);
                return RecordOutcome::Skipped { warning };
            }
        };
        self.store(&event)
    }

    /// Stores a finished event (metrics already computed), spooling it on failure. An event tel-core's
    /// rules refuse (docs/STORE.md) is skipped with a warning: it could never be stored, so it is not spooled.
    pub fn store(&self, event: &TelemetryEvent) -> RecordOutcome {
        if let Err(invalid) = event.validate() {
            let warning = RejectedDraft::Invalid(invalid).to_string();
            (self.warn)(&warning);
            return RecordOutcome::Skipped { warning };
        }
        let attempt = catch_unwind(AssertUnwindSafe(|| self.try_store(event)));
        let reason = match attempt {
            Ok(Ok(event_id)) => return RecordOutcome::Stored { event_id },
            Ok(Err(err)) => err.to_string(),
            Err(_) => "the database driver panicked".to_owned(),
        };
        self.write_failures.fetch_add(1, Ordering::Relaxed);
        match self.config.spool.append(event, &reason) {
            Ok(()) => {
                let total = self.spooled.fetch_add(1, Ordering::Relaxed) + 1;
                (self.warn)(&format!(
                    "[TokenEstimationV2] Failed to write DB telemetry: {reason}; event spooled to {} ({total} spooled by this process; `tel spool replay` writes them)",
                    self.config.spool.path().display()
                ));
                RecordOutcome::Spooled { reason }
            }
            Err(spool_err) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                let event_json = serde_json::to_string(event).unwrap_or_default();
                let reason = [reason.as_str(), "; spool failed: ", &spool_err.to_string()].concat();
                (self.warn)(&format!(
                    "[TokenEstimationV2] Failed to write DB telemetry: {reason}; event LOST: {event_json}"
                ));
                RecordOutcome::Lost { reason }
            }
        }
    }

    /// One write attempt; the connection is dropped after a failure and reopened next time. After a
    /// successful write, up to [`RecorderConfig::drain_limit`] spooled events are written back.
    fn try_store(&self, event: &TelemetryEvent) -> Result<Option<i64>, StoreError> {
        let mut slot = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let url = &self.config.url;
        let mut open = match slot.open.take() {
            Some(open) if open.file == file_identity(url) => open,
            // The file went away (or was replaced) since the connection opened it: reconnect to
            // whatever is at the path now, which fails when the directory is gone.
            _ => self.connect(&mut slot)?,
        };
        let event_id = insert_event(&mut open.conn, event, InsertOptions::RECORDER)?;
        // An unlinked SQLite file still takes writes: the event is stored only if the file is
        // still the database. Otherwise it is spooled too (replay skips it if it did land).
        if open.file != file_identity(url) {
            return Err(StoreError::FileReplaced {
                location: url.to_string(),
            });
        }
        let checkpointer = self
            .checkpointer
            .get_or_init(|| Checkpointer::start(url, &self.config.connect));
        if let Some(checkpointer) = checkpointer {
            checkpointer.after_write(&mut open.conn, &self.config.connect);
        }
        // The database takes writes again: bring back what an earlier failure spooled. A failure
        // here costs nothing: the events stay in the spool.
        if let Ok(drained) = self
            .config
            .spool
            .drain(&mut open.conn, self.config.drain_limit)
        {
            self.drained.fetch_add(drained, Ordering::Relaxed);
        }
        slot.open = Some(open);
        Ok(event_id)
    }

    /// Opens the database. PostgreSQL connects on a background thread that the recorder waits for at
    /// most [`RecorderTimeouts::connect`]: a server that accepts TCP and never answers costs the first
    /// event that bound, and later events nothing (spooled at once) until the attempt ends, in
    /// success (the connection is used) or failure (the next event tries again).
    fn connect(&self, slot: &mut Slot) -> Result<OpenDb, StoreError> {
        let url = &self.config.url;
        if !matches!(url, DatabaseUrl::Postgres(_)) {
            return OpenDb::connect(url, &self.config);
        }
        let (attempt, wait) = match slot.connecting.take() {
            Some(attempt) => (attempt, Duration::ZERO),
            None => (self.start_connecting(), self.config.timeouts.connect),
        };
        let timed_out = || StoreError::Open {
            location: url.to_string(),
            reason: format!(
                "no answer within the recorder's connect timeout ({} ms)",
                self.config.timeouts.connect.as_millis()
            ),
        };
        match attempt.recv_timeout(wait) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                slot.connecting = Some(attempt);
                Err(timed_out())
            }
            // The thread could not start or its connect panicked.
            Err(RecvTimeoutError::Disconnected) => Err(StoreError::Open {
                location: url.to_string(),
                reason: "the connection attempt ended without a result".to_owned(),
            }),
        }
    }

    /// Starts connecting on a thread of its own; the receiver gets the outcome.
    fn start_connecting(&self) -> Receiver<Result<OpenDb, StoreError>> {
        let (sender, receiver) = channel();
        let config = self.config.clone();
        // libpq's own timeout (whole seconds, at least 2) ends the thread of a silent server.
        let url = match &config.url {
            DatabaseUrl::Postgres(text) => {
                DatabaseUrl::Postgres(with_libpq_connect_timeout(text, config.timeouts.connect))
            }
            other => other.clone(),
        };
        let _ = std::thread::Builder::new()
            .name("tel-recorder-connect".to_owned())
            .spawn(move || {
                let _ = sender.send(OpenDb::connect(&url, &config));
            });
        receiver
    }
}

/// `url` with libpq's `connect_timeout` (seconds, rounded up, at least 2 as libpq requires) unless it
/// sets one.
fn with_libpq_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    let separator = if url.contains('?') { "&" } else { "?" };
    [
        url,
        separator,
        "connect_timeout=",
        &seconds.max(2).to_string(),
    ]
    .concat()
}

/// A connection and, for an SQLite file, the (device, inode) of the file it opened.
struct OpenDb {
    conn: DbConn,
    file: Option<(u64, u64)>,
}

impl OpenDb {
    fn connect(url: &DatabaseUrl, config: &RecorderConfig) -> Result<Self, StoreError> {
        let mut conn = connect(url, &config.connect)?;
        defer_auto_checkpoint(&mut conn)?;
        configure_session(&mut conn, config)?;
        Ok(Self {
            conn,
            file: file_identity(url),
        })
    }
}

/// The recorder's own session settings. SQLite: `synchronous=FULL` when durable, so that an event
/// reported stored survives a power loss like a spooled one (the WAL is fsync'd at every commit).
/// PostgreSQL: the lock and statement timeouts, bound as parameters of `set_config`.
fn configure_session(conn: &mut DbConn, config: &RecorderConfig) -> Result<(), StoreError> {
    #[cfg(feature = "postgres")]
    let millis = |d: Duration| [d.as_millis().to_string().as_str(), "ms"].concat();
    match conn {
        DbConn::Sqlite(c) if config.durable => c
            .batch_execute("PRAGMA synchronous = FULL;")
            .context("set synchronous=FULL for the recorder"),
        DbConn::Sqlite(_) => Ok(()),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
        )
        .bind::<Text, _>(millis(config.timeouts.lock))
        .bind::<Text, _>(millis(config.timeouts.statement))
        .execute(c)
        .map(|_| ())
        .context("set the recorder's lock and statement timeouts"),
    }
}

/// The (device, inode) of the SQLite file at `url`'s path; `None` for other databases and when
/// no file is there.
fn file_identity(url: &DatabaseUrl) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(url.sqlite_path()?).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_connect_timeout_is_added_in_whole_seconds_unless_given() {
        let ms = Duration::from_millis;
        assert_eq!(
            with_libpq_connect_timeout("postgres://h/db", ms(1000)),
            "postgres://h/db?connect_timeout=2"
        );
        assert_eq!(
            with_libpq_connect_timeout("postgres://h/db?sslmode=disable", ms(3500)),
            "postgres://h/db?sslmode=disable&connect_timeout=4"
        );
        assert_eq!(
            with_libpq_connect_timeout("postgres://h/db?connect_timeout=9", ms(100)),
            "postgres://h/db?connect_timeout=9"
        );
    }

    #[test]
    fn flag_accepts_one_true_yes_in_any_case_with_spaces() {
        for enabled in ["1", "true", "TRUE", "Yes", " 1", "yes\n", " True "] {
            assert!(telemetry_enabled(Some(enabled)), "{enabled:?}");
        }
        for disabled in ["0", "on", "y", "", "false", "1 1", "enabled"] {
            assert!(!telemetry_enabled(Some(disabled)), "{disabled:?}");
        }
        assert!(!telemetry_enabled(None));
    }
}

//! The fail-safe telemetry recorder (FORMATS.md F2): flag, validity guard, sanitisation and metrics,
//! run_id backfill, insert — and, unlike the original, no silent loss: every failed write goes to the
//! spool, is counted and is reported as a warning.

use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tel_core::TelemetryEvent;

use crate::checkpoint::{Checkpointer, defer_auto_checkpoint};
use crate::conn::{ConnectOptions, DbConn, connect};
use crate::env::{EnvLookup, TELEMETRY_FLAG_VAR};
use crate::error::StoreError;
use crate::models::events::{InsertOptions, insert_event};
use crate::spool::Spool;
use crate::sql_timestamp::now;
use crate::url::{DatabaseUrl, resolve_database_url};
use tel_core::{EventDraft, ValidityGuard};

/// THE parser of `TELEMETRY_DB_ENABLED`: enabled iff the value, trimmed and lower-cased, is `1`,
/// `true` or `yes`; anything else and unset are disabled. (tel's rule; the original did not trim.)
pub fn telemetry_enabled(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// How a [`Recorder`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// The database.
    pub url: DatabaseUrl,
    /// Connection settings (SQLite busy timeout).
    pub connect: ConnectOptions,
    /// Where failed writes go.
    pub spool: Spool,
    /// The telemetry flag; [`Recorder::record_forced`] ignores it.
    pub enabled: bool,
    /// The validity guard.
    pub guard: ValidityGuard,
}

impl RecorderConfig {
    /// The configuration from the environment: URL by [`resolve_database_url`], the flag by
    /// [`telemetry_enabled`], the default spool of the URL.
    pub fn from_env(explicit_url: Option<&str>, env: EnvLookup<'_>) -> Result<Self, StoreError> {
        let (url, _) = resolve_database_url(explicit_url, env)?;
        Ok(Self {
            spool: Spool::default_for(&url, env),
            url,
            connect: ConnectOptions::default(),
            enabled: telemetry_enabled(env(TELEMETRY_FLAG_VAR).as_deref()),
            guard: ValidityGuard::default(),
        })
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
    conn: Mutex<Option<OpenDb>>,
    /// Started with the first stored event on an SQLite file.
    checkpointer: OnceLock<Option<Checkpointer>>,
    write_failures: AtomicU64,
    spooled: AtomicU64,
    lost: AtomicU64,
    warn: WarningSink,
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
            conn: Mutex::new(None),
            checkpointer: OnceLock::new(),
            write_failures: AtomicU64::new(0),
            spooled: AtomicU64::new(0),
            lost: AtomicU64::new(0),
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

    /// Stores a finished event (metrics already computed), spooling it on failure.
    pub fn store(&self, event: &TelemetryEvent) -> RecordOutcome {
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

    /// One write attempt; the connection is dropped after a failure and reopened next time.
    fn try_store(&self, event: &TelemetryEvent) -> Result<Option<i64>, StoreError> {
        let mut slot = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let url = &self.config.url;
        let mut open = match slot.take() {
            Some(open) if open.file == file_identity(url) => open,
            // The file went away (or was replaced) since the connection opened it: reconnect to
            // whatever is at the path now, which fails when the directory is gone.
            _ => OpenDb::connect(url, &self.config.connect)?,
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
            checkpointer.after_write(&mut open.conn);
        }
        *slot = Some(open);
        Ok(event_id)
    }
}

/// A connection and, for an SQLite file, the (device, inode) of the file it opened.
struct OpenDb {
    conn: DbConn,
    file: Option<(u64, u64)>,
}

impl OpenDb {
    fn connect(url: &DatabaseUrl, options: &ConnectOptions) -> Result<Self, StoreError> {
        let mut conn = connect(url, options)?;
        defer_auto_checkpoint(&mut conn)?;
        Ok(Self {
            conn,
            file: file_identity(url),
        })
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

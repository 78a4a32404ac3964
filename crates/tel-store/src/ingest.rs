//! The one streaming insert path: `tel import`, `tel generate --format db`, `tel demo` and spool replay
//! (hence the recorder's drain) write a stream of events through [`write_stream`] or [`insert_stream`].
//!
//! One transaction for the whole stream (all or nothing), events handed to the per-chunk primitive
//! ([`crate::insert_events`]) in batches of [`BATCH_EVENTS`] so that memory stays flat however long the
//! stream is, rows stored without a key keyed first when asked (so that they are found as already
//! present), and an SQLite page cache sized for bulk writes once the stream outgrows one batch.

use tel_core::TelemetryEvent;

use crate::conn::DbConn;
use crate::error::StoreError;
use crate::models::events::{InsertOptions, InsertSummary, fill_missing_keys, insert_events};

/// Events per call of the per-chunk primitive: bounds memory however long the stream is.
pub const BATCH_EVENTS: usize = 1000;

/// How a stream is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    /// Parent creation and run id backfill of every batch.
    pub insert: InsertOptions,
    /// Key the rows stored without an idempotency key before the first insert ([`fill_missing_keys`]):
    /// rows the original executor wrote since the last `tel migrate` are then found as already present.
    pub fill_missing_keys: bool,
}

impl StreamOptions {
    /// A bulk load (import, generate): keys filled first, then `insert`.
    pub const fn bulk(insert: InsertOptions) -> Self {
        Self {
            insert,
            fill_missing_keys: true,
        }
    }

    /// The recorder's writes (spool replay and drain): [`InsertOptions::RECORDER`], no key filling, which
    /// the recorder never does either (it runs after every recorded event).
    pub const RECORDER: Self = Self {
        insert: InsertOptions::RECORDER,
        fill_missing_keys: false,
    };
}

/// Writes the events pushed into it in batches, inside the transaction [`write_stream`] opened.
pub struct EventWriter<'c> {
    conn: &'c mut DbConn,
    options: InsertOptions,
    batch: Vec<TelemetryEvent>,
    summary: InsertSummary,
    cache_enlarged: bool,
}

impl EventWriter<'_> {
    /// Queues one event; a full batch is written at once. On an error the transaction holds a partial
    /// batch: return the error from the body of [`write_stream`], which rolls everything back.
    pub fn push(&mut self, event: TelemetryEvent) -> Result<(), StoreError> {
        self.batch.push(event);
        if self.batch.len() == BATCH_EVENTS {
            self.flush()?;
        }
        Ok(())
    }

    /// Events handed to the database so far (inserted or found already present), for progress.
    pub fn written(&self) -> u64 {
        self.summary.inserted + self.summary.duplicates
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        // Only a stream longer than one batch pays for the larger cache: the recorder's drains never do.
        if self.batch.len() == BATCH_EVENTS && !self.cache_enlarged {
            self.conn.enlarge_cache_for_bulk_writes()?;
            self.cache_enlarged = true;
        }
        let done = insert_events(self.conn, &self.batch, self.options)?;
        self.summary.inserted += done.inserted;
        self.summary.duplicates += done.duplicates;
        self.batch.clear();
        Ok(())
    }
}

/// Runs `body` with an [`EventWriter`] inside one write transaction (keys filled first if asked), writes
/// what is still queued when it returns `Ok` and commits; rolls everything back when it returns `Err`.
/// Returns the body's value and what was written.
pub fn write_stream<T, E: From<StoreError>>(
    conn: &mut DbConn,
    options: StreamOptions,
    body: impl FnOnce(&mut EventWriter<'_>) -> Result<T, E>,
) -> Result<(T, InsertSummary), E> {
    conn.write_transaction(|conn| {
        if options.fill_missing_keys {
            fill_missing_keys(conn)?;
        }
        let mut writer = EventWriter {
            conn,
            options: options.insert,
            batch: Vec::with_capacity(BATCH_EVENTS),
            summary: InsertSummary::default(),
            cache_enlarged: false,
        };
        let value = body(&mut writer)?;
        writer.flush()?;
        Ok((value, writer.summary))
    })
}

/// Writes every event of `events` in one transaction (see [`write_stream`]), calling `progress` with the
/// number of events written so far after each batch.
pub fn insert_stream(
    conn: &mut DbConn,
    events: impl IntoIterator<Item = TelemetryEvent>,
    options: StreamOptions,
    mut progress: impl FnMut(u64),
) -> Result<InsertSummary, StoreError> {
    let ((), summary) = write_stream(conn, options, |writer| {
        for event in events {
            let before = writer.written();
            writer.push(event)?;
            if writer.written() != before {
                progress(writer.written());
            }
        }
        Ok::<_, StoreError>(())
    })?;
    progress(summary.inserted + summary.duplicates);
    Ok(summary)
}

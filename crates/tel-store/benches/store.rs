//! Benchmarks of tel-store's bulk paths: a batch insert (1,000 events, rolled back after each iteration so
//! the table never grows) and a streaming read of 5,000 events, on SQLite and, when `TEL_TEST_PG_URL` names
//! a server, on a scratch PostgreSQL database.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection};
use tel_core::{TelemetryEvent, Timestamp};
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, EventQuery, InsertOptions, MigrateAction, StoreError,
    connect, for_each_event, insert_events, migrate,
};

#[path = "support/typical_draft.rs"]
mod typical_draft;
use typical_draft::typical_draft;

/// Events per inserted batch (the import's batch size).
const BATCH: usize = 1000;
/// Events streamed per read.
const READ: usize = 5000;
/// What the import does: parents created, run ids kept.
const OPTIONS: InsertOptions = InsertOptions {
    ensure_parents: true,
    backfill_run_id: false,
};

/// `n` distinct events a minute apart, ten phases per run, five deliverables each; `offset` keeps sets apart.
fn events(n: usize, offset: usize) -> Vec<TelemetryEvent> {
    let start = Timestamp::parse("2026-01-01 00:00:00").expect("valid timestamp");
    (offset..offset + n)
        .map(|i| {
            let draft = typical_draft(i, 10);
            let at = Timestamp::from_unix_micros(start.unix_micros() + i as i64 * 60_000_000);
            draft
                .into_event(at, &Default::default())
                .expect("valid event")
        })
        .collect()
}

/// Why the insert benchmark's transaction ended.
enum Undo {
    /// Rows inserted, then rolled back on purpose.
    Inserted(u64),
    /// The insert failed.
    Failed(StoreError),
}

impl From<StoreError> for Undo {
    fn from(err: StoreError) -> Self {
        Self::Failed(err)
    }
}

/// Inserts `events` in a transaction that is rolled back, so every iteration meets the same table.
fn insert_rolled_back(conn: &mut DbConn, events: &[TelemetryEvent]) -> u64 {
    let attempt = conn.transaction(|c| -> Result<(), Undo> {
        Err(Undo::Inserted(insert_events(c, events, OPTIONS)?.inserted))
    });
    match attempt {
        Err(Undo::Inserted(n)) => n,
        Err(Undo::Failed(err)) => panic!("batch insert failed: {err}"),
        Ok(()) => unreachable!("the transaction always rolls back"),
    }
}

/// The insert and read benchmarks on one migrated database holding the read set.
fn bench_backend(c: &mut Criterion, backend: &str, url: &DatabaseUrl) {
    let mut conn = connect(url, &ConnectOptions::default()).expect("connect");
    migrate(&mut conn, MigrateAction::Apply).expect("migrate");
    insert_events(&mut conn, &events(READ, 0), OPTIONS).expect("insert the read set");
    let batch = events(BATCH, READ);
    let mut group = c.benchmark_group(backend);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("insert_events batch of 1000", |b| {
        b.iter(|| insert_rolled_back(&mut conn, black_box(&batch)))
    });
    group.throughput(Throughput::Elements(READ as u64));
    group.bench_function("for_each_event stream of 5000", |b| {
        b.iter(|| {
            for_each_event::<StoreError>(&mut conn, &EventQuery::default(), |event| {
                black_box(event);
                Ok(())
            })
            .expect("read")
        })
    });
    group.finish();
}

/// A scratch database on the `TEL_TEST_PG_URL` server, dropped on drop.
struct ScratchPg {
    admin: String,
    name: String,
    url: DatabaseUrl,
}

impl ScratchPg {
    fn create() -> Option<Self> {
        if !cfg!(feature = "postgres") {
            eprintln!(
                "PostgreSQL benchmarks skipped: tel-store built without its postgres feature"
            );
            return None;
        }
        let Ok(admin) = std::env::var("TEL_TEST_PG_URL") else {
            eprintln!("PostgreSQL benchmarks skipped: TEL_TEST_PG_URL not set");
            return None;
        };
        let name = ["tel_bench_", &std::process::id().to_string()].concat();
        let mut conn = PgConnection::establish(&admin).expect("TEL_TEST_PG_URL connects");
        conn.batch_execute(&["CREATE DATABASE ", &name].concat())
            .expect("create the scratch database");
        // The server part of the URL, then the scratch database (the xtask URL has no query string).
        let server = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(server, _)| server);
        let url = DatabaseUrl::Postgres([server, "/", &name].concat());
        Some(Self { admin, name, url })
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = conn
                .batch_execute(&["DROP DATABASE IF EXISTS ", &self.name, " WITH (FORCE)"].concat());
        }
    }
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let dir = tempfile::tempdir().expect("temporary directory");
    bench_backend(
        &mut criterion,
        "sqlite",
        &DatabaseUrl::SqliteFile(dir.path().join("bench.db")),
    );
    if let Some(pg) = ScratchPg::create() {
        bench_backend(&mut criterion, "postgres", &pg.url);
    }
    criterion.final_summary();
}

//! The recorder's worst case is bounded (issue 14, items 1-4): a PostgreSQL server that accepts TCP and
//! never answers, a row lock held by another transaction, a long SQLite reader past the WAL backstop
//! and an SQLite lock held by an import each cost at most the configured timeout, then the event is
//! spooled (or stored), never lost and never stuck. Short timeouts keep these tests fast.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection as _;
use tel_core::Complexity;
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, RecordOutcome, Recorder, RecorderConfig, RecorderTimeouts,
    Spool,
};

use crate::fixture::{TestDb, draft};

fn recorder(
    url: DatabaseUrl,
    spool: Spool,
    busy: Duration,
    timeouts: RecorderTimeouts,
) -> Recorder {
    let env = |name: &str| (name == "TELEMETRY_DB_ENABLED").then(|| "1".to_owned());
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    (config.url, config.spool, config.timeouts) = (url, spool, timeouts);
    config.connect = ConnectOptions { busy_timeout: busy };
    Recorder::new(config).with_warning_sink(|_| {})
}

/// Records one event of phase `phase`; returns the outcome and how long the caller waited.
fn timed(rec: &Recorder, run: &str, phase: &str) -> (RecordOutcome, Duration) {
    let mut d = draft(Complexity::Low, &["src/a.py"], 1000, 800);
    (d.run_id, d.phase_id) = (run.to_owned(), phase.to_owned());
    let started = Instant::now();
    let outcome = rec.record(d);
    (outcome, started.elapsed())
}

const SHORT: RecorderTimeouts = RecorderTimeouts {
    connect: Duration::from_millis(200),
    lock: Duration::from_millis(100),
    statement: Duration::from_millis(500),
};

#[test]
fn postgres_that_accepts_tcp_and_never_answers_costs_one_connect_timeout_then_nothing() {
    // Regression: `tel record` against such a server was still waiting after 60 s, nothing spooled.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection, never writing a byte.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path().join("spool.ndjson"));
    let url = DatabaseUrl::Postgres(format!("postgres://tel@127.0.0.1:{port}/tel"));
    let rec = recorder(url, spool.clone(), Duration::from_secs(5), SHORT);

    let (first, waited) = timed(&rec, "r1", "p1");
    assert!(
        matches!(&first, RecordOutcome::Spooled { reason } if reason.contains("connect timeout (200 ms)")),
        "{first:?}"
    );
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
    // The attempt is still running: the next events spool at once.
    for i in 0..5 {
        let (outcome, waited) = timed(&rec, "r1", &format!("q{i}"));
        assert!(
            matches!(outcome, RecordOutcome::Spooled { .. }),
            "{outcome:?}"
        );
        assert!(waited < Duration::from_millis(100), "{waited:?}");
    }
    assert_eq!(spool.size().unwrap().lines, 6);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_row_lock_held_by_another_transaction_costs_at_most_the_lock_timeout() {
    // Regression: a `tel record` for a run an open transaction had inserted waited 39 s.
    let Some(db) = TestDb::empty_postgres().map(TestDb::migrated) else {
        return;
    };
    let DbConn::Pg(mut holder) = db.connect() else {
        unreachable!()
    };
    holder
        .batch_execute("BEGIN; INSERT INTO runs (id) VALUES ('held');")
        .unwrap();
    let spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let rec = recorder(db.url.clone(), spool.clone(), Duration::from_secs(5), SHORT);
    let (outcome, waited) = timed(&rec, "held", "p1");
    assert!(
        matches!(&outcome, RecordOutcome::Spooled { reason } if reason.contains("lock timeout")),
        "{outcome:?}"
    );
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    holder.batch_execute("COMMIT").unwrap();
    // The lock is gone: the next event is stored and brings the spooled one back.
    let (outcome, _) = timed(&rec, "held", "p2");
    assert!(
        matches!(outcome, RecordOutcome::Stored { .. }),
        "{outcome:?}"
    );
    assert_eq!(rec.drained(), 1);
    assert_eq!(db.events().len(), 2);
}

#[test]
fn sqlite_lock_held_by_an_import_costs_the_recorder_its_default_busy_timeout_not_five_seconds() {
    let db = TestDb::empty_sqlite().migrated();
    let DbConn::Sqlite(mut importer) = db.connect() else {
        unreachable!()
    };
    // What `tel import` holds for its whole transaction.
    importer.batch_execute("BEGIN IMMEDIATE").unwrap();
    let spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let env = |name: &str| (name == "TELEMETRY_DB_ENABLED").then(|| "1".to_owned());
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    assert_eq!(config.connect.busy_timeout, RecorderTimeouts::SQLITE_BUSY);
    (config.url, config.spool) = (db.url.clone(), spool.clone());
    let rec = Recorder::new(config).with_warning_sink(|_| {});
    let (outcome, waited) = timed(&rec, "r1", "p1");
    assert!(
        matches!(outcome, RecordOutcome::Spooled { .. }),
        "{outcome:?}"
    );
    assert!(
        waited >= RecorderTimeouts::SQLITE_BUSY && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    importer.batch_execute("COMMIT").unwrap();
    let (outcome, _) = timed(&rec, "r1", "p2");
    assert!(
        matches!(outcome, RecordOutcome::Stored { .. }),
        "{outcome:?}"
    );
    assert_eq!(db.events().len(), 2, "the spooled event was drained");
}

#[test]
fn long_sqlite_reader_past_the_wal_backstop_does_not_make_each_write_wait_the_busy_timeout() {
    // Regression: with a reader holding an old snapshot and the WAL past 16 MiB, every write waited the
    // whole busy timeout in `wal_checkpoint(RESTART)` (5.02 s per event).
    let db = TestDb::empty_sqlite().migrated();
    let spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let busy = Duration::from_secs(2);
    let rec = recorder(db.url.clone(), spool.clone(), busy, SHORT);
    assert!(matches!(
        timed(&rec, "r1", "first").0,
        RecordOutcome::Stored { .. }
    ));

    let DbConn::Sqlite(mut reader) = db.connect() else {
        unreachable!()
    };
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM token_estimation_v2_events;")
        .unwrap();
    // Another writer grows the WAL past the backstop (16 MiB) while the reader holds its snapshot.
    let DbConn::Sqlite(mut writer) = db.connect() else {
        unreachable!()
    };
    writer
        .batch_execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE filler (b BLOB);")
        .unwrap();
    for _ in 0..17 {
        writer
            .batch_execute("INSERT INTO filler VALUES (randomblob(1048576));")
            .unwrap();
    }
    let wal = std::fs::metadata(db.dir.path().join("tel.db-wal"))
        .unwrap()
        .len();
    assert!(wal > 16 * 1024 * 1024, "{wal}");

    for i in 0..5 {
        let (outcome, waited) = timed(&rec, "r1", &format!("p{i}"));
        assert!(
            matches!(outcome, RecordOutcome::Stored { .. }),
            "{outcome:?}"
        );
        assert!(waited < busy / 4, "write {i} waited {waited:?}");
    }
    reader.batch_execute("COMMIT").unwrap();
    assert_eq!(db.events().len(), 6);
}

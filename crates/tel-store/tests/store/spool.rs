//! Real write failures go to the spool, and `spool replay` writes each spooled event exactly once;
//! concurrent writers never spool without a fault.

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use tel_core::Complexity;
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, RecordOutcome, Recorder, RecorderConfig, Spool,
    SpoolRecord, connect,
};

use crate::fixture::{TestDb, draft};

fn recorder(url: DatabaseUrl, spool: Spool, busy: Duration) -> Recorder {
    let env = |name: &str| (name == "TELEMETRY_DB_ENABLED").then(|| "1".to_owned());
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    (config.url, config.spool, config.connect) =
        (url, spool, ConnectOptions { busy_timeout: busy });
    Recorder::new(config).with_warning_sink(|_| {})
}

#[test]
fn missing_directory_spools_beside_the_database_then_replays_once() {
    let db = TestDb::empty_sqlite();
    let path = db.dir.path().join("missing/dir/tel.db");
    let url = DatabaseUrl::SqliteFile(path.clone());
    let err = connect(&url, &ConnectOptions::default())
        .unwrap_err()
        .to_string();
    let dir = db.dir.path().join("missing/dir");
    assert_eq!(
        err,
        format!(
            "cannot open database sqlite://{}: directory {} does not exist",
            path.display(),
            dir.display()
        )
    );
    let spool = Spool::default_for(&url, &|_| None);
    assert_eq!(
        spool.path(),
        db.dir.path().join("missing/dir/tel.db.spool.ndjson")
    );
    let rec = recorder(url.clone(), spool.clone(), Duration::from_secs(5));
    assert!(matches!(
        rec.record(draft(Complexity::Low, &["a"], 100, 120)),
        RecordOutcome::Spooled { .. }
    ));
    let mode = std::fs::metadata(spool.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut conn = connect(&url, &ConnectOptions::default()).unwrap();
    tel_store::migrate(&mut conn, tel_store::MigrateAction::Apply).unwrap();
    let first = spool.replay(&mut conn).unwrap();
    assert_eq!((first.events, first.inserted), (1, 1));
    assert_eq!(spool.size().unwrap().lines, 0);
    let second = spool.replay(&mut conn).unwrap();
    assert_eq!(second.inserted, 0);
    assert_eq!(tel_store::count_events(&mut conn).unwrap(), 1);
}

#[test]
fn locked_database_spools_and_replay_skips_what_was_already_written() {
    let db = TestDb::empty_sqlite().migrated();
    let spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let DbConn::Sqlite(mut locker) = db.connect() else {
        unreachable!()
    };
    locker.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let rec = recorder(db.url.clone(), spool.clone(), Duration::from_millis(100));
    let outcome = rec.record(draft(Complexity::Low, &["a"], 100, 120));
    let RecordOutcome::Spooled { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("locked"), "{reason}");
    locker.batch_execute("COMMIT").unwrap();

    // The same event spooled twice (e.g. a retry) is still written once.
    let line = std::fs::read_to_string(spool.path()).unwrap();
    std::fs::write(
        spool.path(),
        [line.as_str(), line.as_str(), "not json\n"].concat(),
    )
    .unwrap();
    let mut conn = db.connect();
    let summary = spool.replay(&mut conn).unwrap();
    assert_eq!(
        (
            summary.events,
            summary.inserted,
            summary.duplicates,
            summary.kept_unreadable
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(std::fs::read_to_string(spool.path()).unwrap(), "not json\n");
    assert_eq!(db.events().len(), 1);
    assert_eq!(rec.write_failures(), 1);
}

#[test]
fn replay_into_an_unusable_database_keeps_the_spool() {
    let db = TestDb::empty_sqlite();
    let spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let rec = recorder(db.url.clone(), spool.clone(), Duration::from_secs(1));
    // Not migrated: no telemetry table.
    assert!(matches!(
        rec.record(draft(Complexity::Low, &["a"], 100, 120)),
        RecordOutcome::Spooled { .. }
    ));
    let before: SpoolRecord =
        serde_json::from_str(&std::fs::read_to_string(spool.path()).unwrap()).unwrap();
    let summary = spool.replay(&mut db.connect()).unwrap();
    assert_eq!((summary.events, summary.kept_failed), (1, 1), "{summary:?}");
    assert!(summary.failures[0].contains("no such table"), "{summary:?}");
    // Kept with its new reason, the event itself unchanged.
    let after: SpoolRecord =
        serde_json::from_str(&std::fs::read_to_string(spool.path()).unwrap()).unwrap();
    assert_eq!(after.event, before.event);
    assert!(after.reason.contains("no such table"), "{}", after.reason);
}

#[test]
fn default_spool_for_postgres_hides_the_password() {
    let url = DatabaseUrl::Postgres("postgres://tel:secret@db/tel".into());
    let env = |name: &str| (name == "HOME").then(|| "/home/u".to_owned());
    let spool = Spool::default_for(&url, &env);
    let text = spool.path().display().to_string();
    assert!(
        text.starts_with("/home/u/.local/share/tel/spool-") && text.ends_with(".ndjson"),
        "{text}"
    );
    let other = Spool::default_for(
        &DatabaseUrl::Postgres("postgres://tel:other@db/tel".into()),
        &env,
    );
    assert_eq!(spool, other, "the password is not part of the identity");
}

/// Distinct events: phase `{tag}-{i}` of run `run-{i % 7}` (runs shared between writers).
fn distinct_draft(tag: &str, i: usize) -> tel_store::EventDraft {
    let mut d = draft(Complexity::Low, &["src/a.py"], 1000, 800);
    d.run_id = format!("run-{}", i % 7);
    d.phase_id = format!("{tag}-{i}");
    d
}

#[test]
fn read_then_write_transactions_wait_for_the_lock_instead_of_spooling() {
    // Regression: a deferred SQLite transaction read (run and phase lookups) before writing, and
    // the write then failed at once with "database is locked" when another connection had written
    // in between: ~19 % of 4 × 5,000 concurrent recorder writes were spooled with no fault at all.
    const THREADS: usize = 4;
    const PER_THREAD: usize = 250;
    for db in crate::fixture::migrated_backends() {
        let spool = Spool::new(db.dir.path().join("spool.ndjson"));
        let shared = recorder(db.url.clone(), spool.clone(), Duration::from_secs(5));
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                // Half the threads own a recorder (a connection each), half share one.
                let (url, spool, shared) = (db.url.clone(), spool.clone(), &shared);
                scope.spawn(move || {
                    let own = recorder(url, spool, Duration::from_secs(5));
                    let rec = if t % 2 == 0 { &own } else { shared };
                    for i in 0..PER_THREAD {
                        let outcome = rec.record(distinct_draft(&format!("t{t}"), i));
                        assert!(
                            matches!(outcome, RecordOutcome::Stored { event_id: Some(_) }),
                            "thread {t} event {i}: {outcome:?}"
                        );
                    }
                });
            }
        });
        let events = db.events();
        let phases: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.phase_id.as_str()).collect();
        assert_eq!(
            (events.len(), phases.len()),
            (THREADS * PER_THREAD, THREADS * PER_THREAD),
            "{}",
            db.url
        );
        assert_eq!(spool.size().unwrap().lines, 0, "{}", db.url);
    }
}

#[test]
fn database_removed_under_an_open_connection_is_spooled_not_lost() {
    // Regression: SQLite keeps writing to an unlinked file, so once the database's directory was
    // removed every later event was reported stored but written nowhere anyone could read.
    let db = TestDb::empty_sqlite();
    let dir = db.dir.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let url = DatabaseUrl::SqliteFile(dir.join("tel.db"));
    migrate(&url);
    let spool = Spool::default_for(&url, &|_| None);
    let rec = recorder(url.clone(), spool.clone(), Duration::from_secs(5));
    let stored = |outcome: RecordOutcome| matches!(outcome, RecordOutcome::Stored { .. });
    assert!(stored(rec.record(distinct_draft("before", 0))));

    std::fs::remove_dir_all(&dir).unwrap();
    let outcome = rec.record(distinct_draft("removed", 0));
    assert!(
        matches!(&outcome, RecordOutcome::Spooled { reason } if reason.contains("does not exist")),
        "{outcome:?}"
    );
    assert_eq!(
        spool.size().unwrap().lines,
        1,
        "the spool recreates the directory"
    );

    // A new database at the same path is written to, not the removed one.
    std::fs::remove_file(dir.join("tel.db")).ok();
    migrate(&url);
    assert!(stored(rec.record(distinct_draft("replaced", 0))));
    // The successful write drained the spooled event: nothing is left for `tel spool replay`.
    assert_eq!(rec.drained(), 1);
    assert_eq!(spool.size().unwrap().lines, 0);
    let mut conn = connect(&url, &ConnectOptions::default()).unwrap();
    assert_eq!(spool.replay(&mut conn).unwrap().inserted, 0);
    assert_eq!(tel_store::count_events(&mut conn).unwrap(), 2);
}

fn migrate(url: &DatabaseUrl) {
    let mut conn = connect(url, &ConnectOptions::default()).unwrap();
    tel_store::migrate(&mut conn, tel_store::MigrateAction::Apply).unwrap();
}

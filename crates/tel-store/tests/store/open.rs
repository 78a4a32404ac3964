//! Opening modes and URL spellings: read-only connections change no byte of a database, file names
//! are taken literally, and one PostgreSQL database has one spool however its URL is spelled.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, SqliteConnection};
use sha2::{Digest as _, Sha256};
use tel_core::Complexity;
use tel_store::introspect::journal_mode;
use tel_store::{
    ConnectOptions, DatabaseUrl, EventQuery, InsertOptions, MigrateAction, RecordOutcome, Recorder,
    RecorderConfig, Spool, StoreError, ValidityGuard, connect, connect_read_only, count_events,
    delete_run, for_each_event, insert_event, migrate, migration_state,
};

use crate::fixture::{TestDb, draft, migrated_backends};

fn sha256_of(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A rollback-journal (`journal_mode=delete`) database as the original wrote it, made without tel.
fn delete_mode_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("legacy.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute(
        "CREATE TABLE token_estimation_v2_events (id INTEGER PRIMARY KEY, phase_id TEXT);
         INSERT INTO token_estimation_v2_events (phase_id) VALUES ('build');",
    )
    .unwrap();
    path
}

#[test]
fn read_only_connection_leaves_a_rollback_journal_database_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = delete_mode_file(dir.path());
    let before = sha256_of(&path);
    let url = DatabaseUrl::SqliteFile(path.clone());
    let mut conn = connect_read_only(&url, &ConnectOptions::default()).unwrap();
    assert!(migration_state(&mut conn).unwrap().legacy);
    assert_eq!(journal_mode(&mut conn).unwrap().as_deref(), Some("delete"));
    drop(conn);
    assert_eq!(sha256_of(&path), before);
    assert_eq!(
        entries(dir.path()),
        ["legacy.db"],
        "no -wal, -shm or -journal"
    );
}

#[test]
fn read_only_connection_reads_and_refuses_writes_on_both_backends() {
    for db in migrated_backends() {
        let event = draft(Complexity::Low, &["a"], 100, 120)
            .into_event(tel_store::now(), &ValidityGuard::default())
            .unwrap();
        insert_event(&mut db.connect(), &event, InsertOptions::RECORDER).unwrap();
        let mut conn = connect_read_only(&db.url, &ConnectOptions::default()).unwrap();
        assert!(migration_state(&mut conn).unwrap().pending.is_empty());
        let mut read = 0;
        for_each_event(&mut conn, &EventQuery::default(), |_| {
            read += 1;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(
            (read, count_events(&mut conn).unwrap()),
            (1, 1),
            "{}",
            db.url
        );
        let err = delete_run(&mut conn, "any-run").unwrap_err().to_string();
        assert!(
            err.contains("readonly") || err.contains("read-only"),
            "{}: {err}",
            db.url
        );
    }
}

#[test]
fn read_only_open_of_a_missing_sqlite_file_names_it_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        dir.path().join("none.db"),
        dir.path().join("no/dir/none.db"),
    ] {
        let url = DatabaseUrl::SqliteFile(path.clone());
        let err = connect_read_only(&url, &ConnectOptions::default()).unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("no database at {}", path.display())
        );
    }
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn writing_connection_switches_a_rollback_journal_file_to_wal() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::SqliteFile(delete_mode_file(dir.path()));
    let mut conn = connect(&url, &ConnectOptions::default()).unwrap();
    assert_eq!(journal_mode(&mut conn).unwrap().as_deref(), Some("wal"));
}

#[test]
fn sqlite_file_names_with_uri_characters_open_the_file_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let name = "w.db?mode=memory#x%41 é";
    let url = DatabaseUrl::parse(dir.path().join(name).to_str().unwrap()).unwrap();
    migrate(
        &mut connect(&url, &ConnectOptions::default()).unwrap(),
        MigrateAction::Apply,
    )
    .unwrap();
    assert_eq!(entries(dir.path()), [name], "one file, named literally");
    let mut again = connect_read_only(&url, &ConnectOptions::default()).unwrap();
    assert!(
        migration_state(&mut again).unwrap().pending.is_empty(),
        "persisted"
    );
}

/// The spool path of `url` with `env`.
fn spool_of(url: &str, env: &dyn Fn(&str) -> Option<String>) -> std::path::PathBuf {
    Spool::default_for(&DatabaseUrl::parse(url).unwrap(), env)
        .path()
        .to_path_buf()
}

#[test]
fn postgres_spool_name_does_not_depend_on_how_the_url_is_spelled() {
    let env = |name: &str| match name {
        "HOME" => Some("/home/u".to_owned()),
        "USER" => Some("postgres".to_owned()),
        _ => None,
    };
    let reference = spool_of("postgres://postgres@127.0.0.1:55432/tel2", &env);
    for same in [
        "postgresql://postgres@localhost:55432/tel2",
        "postgres://postgres:secret@[::1]:55432/tel2",
        "postgres://127.0.0.1:55432/tel2",
        "postgres://LOCALHOST:55432/tel2?sslmode=disable&connect_timeout=3",
        "postgres://localhost:55432/tel2?connect_timeout=3&sslmode=disable&password=x",
        "postgres://x@localhost:55432/other?user=postgres&dbname=tel2",
        "postgres://%70ostgres@localhost:55432/t%65l2",
        "postgres://localhost/tel2?port=55432",
    ] {
        assert_eq!(spool_of(same, &env), reference, "{same}");
    }
    assert_eq!(
        spool_of("postgres://h/postgres", &env),
        spool_of("postgresql://postgres@h:5432", &env),
        "default port, database defaults to the user"
    );
    for other in [
        "postgres://postgres@127.0.0.1:55433/tel2",
        "postgres://postgres@127.0.0.1:55432/tel3",
        "postgres://tel@127.0.0.1:55432/tel2",
        "postgres://postgres@db.example:55432/tel2",
        "postgres://postgres@127.0.0.1:55432/tel2?options=-csearch_path%3Dx",
    ] {
        assert_ne!(spool_of(other, &env), reference, "{other}");
    }
}

#[test]
fn postgres_event_spooled_under_one_spelling_is_replayed_under_another() {
    let Some(db) = TestDb::empty_postgres() else {
        return;
    };
    let DatabaseUrl::Postgres(recorded) = &db.url else {
        unreachable!("a PostgreSQL test database")
    };
    let replayed = recorded
        .replacen("postgres://", "postgresql://", 1)
        .replacen("127.0.0.1", "localhost", 1);
    assert_ne!(&replayed, recorded);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let env = move |name: &str| match name {
        "TELEMETRY_DB_ENABLED" => Some("1".to_owned()),
        "XDG_DATA_HOME" => Some(data_dir.clone()),
        _ => None,
    };
    // The database has no schema yet: the write fails and the event is spooled.
    let config = RecorderConfig::from_env(Some(recorded), &env).unwrap();
    let recorder = Recorder::new(config).with_warning_sink(|_| {});
    assert!(matches!(
        recorder.record(draft(Complexity::Low, &["a"], 100, 120)),
        RecordOutcome::Spooled { .. }
    ));
    let other = DatabaseUrl::parse(&replayed).unwrap();
    let mut conn = connect(
        &other,
        &ConnectOptions {
            busy_timeout: Duration::from_secs(5),
        },
    )
    .unwrap();
    migrate(&mut conn, MigrateAction::Apply).unwrap();
    let summary = Spool::default_for(&other, &env).replay(&mut conn).unwrap();
    assert_eq!((summary.events, summary.inserted), (1, 1), "{replayed}");
}

//! Runs the example executor against a real, migrated SQLite file and reads back what it recorded.

use std::process::Command;

use tel_store::{ConnectOptions, DatabaseUrl, MigrateAction, connect, count_events, migrate};

#[test]
fn example_executor_estimates_calls_and_records_every_phase_into_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("executor.db");
    let url = DatabaseUrl::SqliteFile(db.clone());
    let mut conn = connect(&url, &ConnectOptions::default()).expect("open");
    migrate(&mut conn, MigrateAction::Apply).expect("migrate");
    drop(conn);

    let out = Command::new(env!("CARGO_BIN_EXE_tel-example-executor"))
        .arg(&db)
        .arg("25")
        .env_remove("TEL_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the example runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "25 phases: 25 stored, 0 not stored\n"
    );

    let mut conn = connect(&url, &ConnectOptions::default()).expect("reopen");
    assert_eq!(count_events(&mut conn).expect("count"), 25);
}

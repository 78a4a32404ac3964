//! Commands that only read change nothing: on a copy of the real legacy snapshot (rollback journal)
//! each leaves the file byte-identical, in `journal_mode=delete`, with no file beside it; on a missing
//! path each fails naming it and creates nothing. `tel migrate` says when it switches a file to WAL.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::support::{real_data, tel_at};

const SNAPSHOT: &str = "autopack-legacy-2025-12-24.db";

pub(crate) fn sha256_of(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The journal mode the file header records: bytes 18 and 19 are 1 for a rollback journal, 2 for WAL
/// (SQLite file format §1.3.3), read without opening the database.
pub(crate) fn header_journal(path: &Path) -> &'static str {
    match &std::fs::read(path).unwrap()[18..20] {
        [1, 1] => "rollback",
        [2, 2] => "wal",
        other => panic!("unexpected header bytes {other:?}"),
    }
}

/// A writable copy of the legacy snapshot as `snap.db` in a fresh directory (a read-only copy would
/// hide a command that writes when the tests do not run as root).
fn snapshot_copy() -> Option<tempfile::TempDir> {
    let source = real_data()?.join(SNAPSHOT);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("snap.db");
    std::fs::copy(source, &db).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    Some(dir)
}

/// Runs `tel ARGS --database-url snap.db` on a copy of the snapshot: it exits with `code` and leaves
/// the file byte-identical, still a rollback-journal database, with nothing created beside it.
fn assert_reads_the_snapshot_only(args: &[&str], code: i32) {
    let Some(dir) = snapshot_copy() else { return };
    let db = dir.path().join("snap.db");
    let before = sha256_of(&db);
    let mut all = args.to_vec();
    all.extend(["--database-url", "snap.db"]);
    let out = tel_at(dir.path(), &all);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
    assert_eq!(sha256_of(&db), before, "{args:?} changed the database");
    assert_eq!(header_journal(&db), "rollback", "{args:?}");
    assert_eq!(entries(dir.path()), ["snap.db"], "{args:?} created a file");
}

/// Runs `tel ARGS --database-url none.db` in an empty directory: exit 1, the path named, nothing created.
fn assert_missing_database_is_an_error(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for path in ["none.db", "no/dir/none.db"] {
        let mut all = args.to_vec();
        all.extend(["--database-url", path]);
        let out = tel_at(dir.path(), &all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr,
            format!("error: no database at {path}\n"),
            "{args:?}"
        );
        assert!(entries(dir.path()).is_empty(), "{args:?} created a file");
    }
}

#[test]
fn status_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["status"], 0);
}

#[test]
fn migrate_status_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["migrate", "--status"], 0);
}

#[test]
fn migrate_dry_run_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["migrate", "--dry-run"], 0);
}

// The reporting commands refuse an unadopted database ("must be migrated first"), without touching it.
#[test]
fn report_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["report"], 1);
}

#[test]
fn coverage_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["coverage"], 1);
}

#[test]
fn replay_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["replay"], 1);
}

#[test]
fn replay_legacy_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["replay", "--legacy"], 1);
}

#[test]
fn export_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["export"], 1);
}

#[test]
fn calibrate_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["calibrate"], 1);
}

#[test]
fn simulate_leaves_the_legacy_snapshot_byte_identical() {
    assert_reads_the_snapshot_only(&["simulate", "--policy", "select-budget:v2-precal"], 1);
}

#[test]
fn status_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["status"]);
}

#[test]
fn migrate_status_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["migrate", "--status"]);
}

#[test]
fn migrate_dry_run_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["migrate", "--dry-run"]);
}

#[test]
fn report_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["report"]);
}

#[test]
fn coverage_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["coverage"]);
}

#[test]
fn replay_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["replay"]);
}

#[test]
fn replay_legacy_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["replay", "--legacy"]);
}

#[test]
fn export_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["export"]);
}

#[test]
fn calibrate_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["calibrate"]);
}

#[test]
fn simulate_of_a_missing_database_names_it_and_creates_nothing() {
    assert_missing_database_is_an_error(&["simulate", "--policy", "select-budget:v2-precal"]);
}

/// On the adopted (WAL) snapshot every reading command succeeds and leaves the database file's bytes
/// alone; what SQLite itself needs beside a WAL database for a reader is at most an empty `-wal` and
/// the `-shm` index (docs/STORE.md, "Read-only commands").
#[test]
fn reading_commands_on_the_adopted_snapshot_change_no_byte_of_the_database() {
    let Some(dir) = snapshot_copy() else { return };
    let db = dir.path().join("snap.db");
    let out = tel_at(dir.path(), &["migrate", "--database-url", "snap.db"]);
    assert!(out.status.success(), "{out:?}");
    let before = sha256_of(&db);
    for args in [
        &["status"][..],
        &["migrate", "--status"],
        &["migrate", "--dry-run"],
        &["report"],
        &["coverage"],
        &["replay"],
        &["replay", "--legacy"],
        &["export"],
        &["calibrate"],
        &["simulate", "--policy", "select-budget:v2-precal"],
    ] {
        let mut all = args.to_vec();
        all.extend(["--database-url", "snap.db"]);
        let out = tel_at(dir.path(), &all);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(sha256_of(&db), before, "{args:?} changed the database");
        let wal = dir.path().join("snap.db-wal");
        assert_eq!(
            std::fs::metadata(&wal).map_or(0, |m| m.len()),
            0,
            "{args:?}"
        );
        for name in entries(dir.path()) {
            assert!(
                ["snap.db", "snap.db-wal", "snap.db-shm"].contains(&name.as_str()),
                "{args:?} created {name}"
            );
        }
    }
}

#[test]
fn migrate_says_when_it_switches_the_legacy_snapshot_to_wal() {
    let Some(dir) = snapshot_copy() else { return };
    let out = tel_at(dir.path(), &["migrate", "--database-url", "snap.db"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("journal mode: switched from delete to wal"),
        "{stdout}"
    );
    assert_eq!(header_journal(&dir.path().join("snap.db")), "wal");
    // Already WAL: nothing to say the second time.
    let again = tel_at(
        dir.path(),
        &["migrate", "--json", "--database-url", "snap.db"],
    );
    let value: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(value.get("journal_mode").is_none(), "{value}");
}

//! `tel migrate`, `status`, `record`, `spool replay` and `prune` as an operator runs them.

use crate::support::tel_in as tel;
use std::process::Output;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const EVENT: &str = r#"{"run_id": "r1", "phase_id": "p1", "category": "implementation", "complexity": "medium", "deliverables": ["src/a.py"], "predicted_output_tokens": 1200, "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "claude-sonnet-4-5"}"#;

#[test]
fn record_spools_on_an_unmigrated_database_and_replay_stores_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = tel(
        dir.path(),
        &["record", "--event", EVENT],
        &[("TELEMETRY_DB_ENABLED", "TRUE")],
    );
    assert_eq!(recorded.status.code(), Some(0));
    assert!(
        stdout(&recorded).contains("spooled to tel.db.spool.ndjson"),
        "{recorded:?}"
    );
    assert!(String::from_utf8_lossy(&recorded.stderr).contains("no such table"));

    assert_eq!(tel(dir.path(), &["migrate"], &[]).status.code(), Some(0));
    let replay = tel(dir.path(), &["spool", "replay", "--json"], &[]);
    assert_eq!(
        stdout(&replay).trim(),
        r#"{"events":1,"inserted":1,"duplicates":0,"kept_failed":0,"kept_unreadable":0,"failures":[]}"#
    );
    let again = tel(dir.path(), &["spool", "replay", "--json"], &[]);
    assert!(stdout(&again).contains(r#""inserted":0"#));
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&tel(dir.path(), &["status", "--json"], &[]))).unwrap();
    assert_eq!(status["row_counts"]["token_estimation_v2_events"], 1);
    assert_eq!(status["spool"]["events"], 0);
}

#[test]
fn record_honours_the_flag_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    tel(dir.path(), &["migrate"], &[]);
    let off = tel(
        dir.path(),
        &["record", "--event", EVENT],
        &[("TELEMETRY_DB_ENABLED", "on")],
    );
    assert_eq!(off.status.code(), Some(0));
    assert!(stdout(&off).is_empty());
    let forced = tel(dir.path(), &["record", "--force", "--event", EVENT], &[]);
    assert_eq!(stdout(&forced).trim(), "stored event 1");
    let bad = tel(
        dir.path(),
        &[
            "record",
            "--force",
            "--event",
            r#"{"run_id": "r1", "typo": 1}"#,
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn passwords_are_redacted_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = tel(
        dir.path(),
        &["status"],
        &[("TEL_DATABASE_URL", "postgres://tel:hunter2@127.0.0.1:1/tel")],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("postgres://tel:***@127.0.0.1:1/tel"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn missing_directory_error_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = tel(
        dir.path(),
        &["migrate", "--database-url", "sqlite://missing/dir/tel.db"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: cannot open database sqlite://missing/dir/tel.db: directory missing/dir does not exist"
    );
}

#[test]
fn store_commands_show_examples_in_help() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["migrate", "--help"][..],
        &["status", "--help"],
        &["record", "--help"],
        &["spool", "replay", "--help"],
        &["prune", "--help"],
    ] {
        let help = stdout(&tel(dir.path(), command, &[]));
        assert!(
            help.contains("Examples:") && help.contains("--database-url"),
            "{command:?}: {help}"
        );
    }
}

#[test]
fn record_batch_records_every_valid_line_and_names_the_invalid_ones() {
    let dir = tempfile::tempdir().unwrap();
    tel(dir.path(), &["migrate"], &[]);
    let second = EVENT.replace("\"p1\"", "\"p2\"");
    let input = [EVENT, "", "{not json", &second, EVENT].join("\n");
    std::fs::write(dir.path().join("events.ndjson"), input).unwrap();
    let output = tel(
        dir.path(),
        &["record", "--batch", "events.ndjson"],
        &[("TELEMETRY_DB_ENABLED", "1")],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "an invalid line fails the run"
    );
    assert_eq!(
        stdout(&output),
        "stored event 1\nstored event 2\nstored event 3\n",
        "a repeated line is a new call (its own timestamp)"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("events.ndjson:3: invalid event JSON"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("record: 4 events: 3 stored, 0 already stored, 0 spooled, 0 lost, 1 invalid"),
        "{stderr}"
    );
}

#[test]
fn migrate_down_refuses_to_drop_stored_values_without_force() {
    let dir = tempfile::tempdir().unwrap();
    tel(dir.path(), &["migrate"], &[]);
    tel(dir.path(), &["record", "--force", "--event", EVENT], &[]);
    let events = |dir: &std::path::Path| -> serde_json::Value {
        let status = stdout(&tel(dir, &["status", "--json"], &[]));
        serde_json::from_str::<serde_json::Value>(&status).unwrap()["row_counts"]
            ["token_estimation_v2_events"]
            .clone()
    };
    // The 3 newest: the key migration and the empty escalation table drop nothing; tel's columns do.
    let refused = tel(dir.path(), &["migrate", "--down", "3"], &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("add_tel_columns") && stderr.contains("--force"),
        "{stderr}"
    );
    let status = stdout(&tel(dir.path(), &["migrate", "--status"], &[]));
    assert!(
        status.contains("nothing to do: every migration is applied"),
        "nothing reverted: {status}"
    );
    let forced = tel(dir.path(), &["migrate", "--down", "3", "--force"], &[]);
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    assert!(
        stdout(&forced).contains("lost: reverting 2026-01-01-000007_add_tel_columns drops columns"),
        "--force says what it drops: {forced:?}"
    );
    let up = tel(dir.path(), &["migrate"], &[]);
    assert_eq!(up.status.code(), Some(0));
    assert!(
        stdout(&up).contains("idempotency keys (version 2) computed from stored values: 1 rows"),
        "{up:?}"
    );
    assert_eq!(
        events(dir.path()),
        1,
        "the row survives, only tel's columns were dropped"
    );
}

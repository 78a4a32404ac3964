//! Hostile input through the binary: a 10 MB line and invalid UTF-8 make `tel import` fail naming FILE:LINE
//! and write nothing; SQL-looking text goes into a real SQLite file and comes back out byte for byte.

use std::path::Path;

use crate::support::tel_db as tel;

const SQL_TEXT: &str = "'); DROP TABLE token_estimation_v2_events;--";

/// A line of the original export, with `{TEXT}` where the hostile text goes.
const LINE: &str = r#"{"run_id": "{TEXT}", "phase_id": "p1", "timestamp": "2025-12-24T10:00:00", "category": "docs", "complexity": "low", "deliverable_count": 1, "deliverables": ["{TEXT}"], "predicted_output_tokens": 900, "actual_output_tokens": 700, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "{TEXT}", "model": "{TEXT}", "smape_percent": 25.0, "waste_ratio": 1.2857142857142858, "underestimated": false}"#;

fn migrated(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("tel.db");
    assert!(tel(&db, &["migrate"]).status.success());
    db
}

#[test]
fn import_of_a_ten_megabyte_line_or_invalid_utf8_fails_naming_file_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());
    let valid = LINE.replace("{TEXT}", "x");
    let huge = LINE.replace("{TEXT}", &"x".repeat(10 << 20));
    let mut bad_utf8 = LINE.replace("{TEXT}", "y").into_bytes();
    bad_utf8.splice(20..20, *b"\xff\xfe");
    for (name, bad, expected) in [
        (
            "huge.ndjson",
            huge.into_bytes(),
            "line longer than 1048576 bytes",
        ),
        (
            "utf8.ndjson",
            bad_utf8,
            "invalid UTF-8 at byte 20 of the line",
        ),
    ] {
        let file = dir.path().join(name);
        let mut bytes = format!("{valid}\n").into_bytes();
        bytes.extend(bad);
        bytes.push(b'\n');
        std::fs::write(&file, bytes).unwrap();
        let file_text = file.to_str().unwrap();
        let out = tel(&db, &["import", file_text]);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{file_text}:2: {expected}")),
            "{name}: {stderr}"
        );
        let export = tel(&db, &["export"]);
        assert!(
            export.status.success() && export.stdout.is_empty(),
            "{name}: {export:?}"
        );
    }
}

#[test]
fn sql_looking_text_is_stored_in_sqlite_and_exported_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());
    let file = dir.path().join("sql.ndjson");
    let input = format!("{}\n", LINE.replace("{TEXT}", SQL_TEXT));
    std::fs::write(&file, &input).unwrap();
    let import = tel(&db, &["import", file.to_str().unwrap()]);
    assert!(import.status.success(), "{import:?}");
    let export = tel(&db, &["export"]);
    assert!(export.status.success(), "{export:?}");
    // The row came back through the events table: nothing was executed.
    assert_eq!(String::from_utf8(export.stdout).unwrap(), input);
}

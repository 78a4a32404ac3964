//! `tel import --format otlp` end to end: import, re-import as 0 new, and the report's truncation.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::tel_db;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/otlp")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn import(db: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let current = fixture("genai-current.jsonl");
    let legacy = fixture("genai-legacy.jsonl");
    let mut args = vec![
        "import",
        "--format",
        "otlp",
        current.as_str(),
        legacy.as_str(),
    ];
    args.extend(extra);
    let out = tel_db(db, &args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn otlp_import_reimports_as_0_new_and_the_report_counts_length_truncation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("otlp.db");
    let (code, stdout, stderr) = import(&db, &["--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let first: Value = serde_json::from_str(&stdout).expect("JSON summary");
    assert_eq!(
        (first["inserted"].as_u64(), first["skipped_lines"].as_u64()),
        (Some(5), Some(3))
    );
    let (_, stdout, _) = import(&db, &["--json"]);
    let again: Value = serde_json::from_str(&stdout).expect("JSON summary");
    assert_eq!(
        (again["inserted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(5))
    );

    let out = tel_db(&db, &["report", "--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report["outcomes"]["truncated"], 3,
        "length, MAX_TOKENS and max_tokens spans"
    );
    assert_eq!(report["outcomes"]["without_prediction"], 4);
    assert_eq!(report["accuracy"]["excluded"]["no_prediction"], 4);
    let text = tel_db(&db, &["report"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("openai / gpt-4o-2024-08-06"), "{text}");
    assert!(
        text.contains("4 of 5 events have no prediction: SMAPE, waste, underestimation"),
        "{text}"
    );
}

#[test]
fn otlp_malformed_file_imports_nothing_and_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("otlp.db");
    let bad = fixture("malformed.jsonl");
    let out = tel_db(&db, &["import", "--format", "otlp", bad.as_str()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed.jsonl:3: resourceSpans[0].scopeSpans[0].spans[0].attributes.gen_ai.usage.output_tokens"), "{stderr}");
    assert!(stderr.contains("nothing imported"), "{stderr}");
}

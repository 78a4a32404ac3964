//! End-to-end runs of `report`, `coverage` and `completions` on a temporary SQLite database.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::tel_db as tel;
use tel_core::{Complexity, EventDraft, TelExtras, Timestamp, ValidityGuard};
use tel_store::{
    ConnectOptions, DatabaseUrl, InsertOptions, MigrateAction, connect, insert_events, migrate,
};

/// A migrated database with 40 events: one truncated docs event in four.
fn seeded_db(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tel.db");
    let mut conn = connect(
        &DatabaseUrl::SqliteFile(path.clone()),
        &ConnectOptions::default(),
    )
    .expect("open");
    migrate(&mut conn, MigrateAction::Apply).expect("migrate");
    let now = Timestamp::parse("2025-12-24 01:55:10").expect("timestamp");
    let events: Vec<_> = (0..40)
        .map(|i| {
            let truncated = i % 4 == 0;
            let draft = EventDraft {
                run_id: "run-1".into(),
                phase_id: format!("P{i}"),
                category: if i % 2 == 0 { "docs" } else { "implementation" }.into(),
                complexity: [Complexity::Low, Complexity::Medium, Complexity::High][i % 3],
                deliverables: (0..(1 + i % 9)).map(|k| format!("src/f{k}.py")).collect(),
                predicted_output_tokens: 1000 + 100 * i as i64,
                actual_output_tokens: if truncated { 4096 } else { 900 + 50 * i as i64 },
                selected_budget: 4096,
                success: !truncated,
                truncated,
                stop_reason: Some(if truncated { "max_tokens" } else { "end_turn" }.into()),
                model: "claude".into(),
                is_truncated_output: None,
                doc_features: Default::default(),
                sot: Default::default(),
                actual_max_tokens: Some(4096),
                extras: TelExtras::default(),
            };
            draft
                .into_event(now, &ValidityGuard::default())
                .expect("valid event")
        })
        .collect();
    insert_events(&mut conn, &events, InsertOptions::RECORDER).expect("insert");
    path
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn report_prints_tables_json_markdown_and_html_with_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path());

    let human = tel(&db, &["report"]);
    assert!(
        human.status.success(),
        "{}",
        String::from_utf8_lossy(&human.stderr)
    );
    let text = stdout(&human);
    assert!(text.contains("Decision: TUNING NEEDED"), "{text}");
    assert!(
        text.contains("│ Truncation      ┆     10 ┆ 40 ┆ 25.0% ┆ ≤ 2.0% ┆    FAIL │"),
        "{text}"
    );

    let json = tel(&db, &["report", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json report");
    assert_eq!(value["schema"], "tel.report/1");
    assert_eq!(value["tier1"]["truncation"]["rate"]["count"], 10);
    assert_eq!(value["decision"]["tuning_needed"], true);

    let loose = tel(
        &db,
        &[
            "report",
            "--json",
            "--max-truncation",
            "30",
            "--max-underestimation",
            "100",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&loose.stdout).expect("json report");
    assert_eq!(value["decision"]["tuning_needed"], false);

    let md = stdout(&tel(&db, &["report", "--markdown"]));
    assert!(
        md.starts_with("# tel report") && md.contains("| Metric | Events | n |"),
        "{md}"
    );

    let html_path = dir.path().join("report.html");
    let html_arg = html_path.to_str().expect("utf-8 path");
    let quiet = tel(&db, &["report", "--quiet", "--html", html_arg]);
    assert!(quiet.status.success() && quiet.stdout.is_empty());
    let page = std::fs::read_to_string(&html_path).expect("html written");
    assert!(page.contains("id=\"fig-pred-actual\"") && !page.contains("<script"));

    let check = tel(&db, &["report", "--check"]);
    assert_eq!(check.status.code(), Some(1));
}

#[test]
fn coverage_reports_cells_and_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path());
    let out = tel(&db, &["coverage"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("VALIDATION INCOMPLETE"), "{text}");
    let json = tel(
        &db,
        &[
            "coverage",
            "--json",
            "--min-total",
            "5",
            "--category",
            "docs",
            "--category",
            "documentation",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json coverage");
    assert_eq!(value["schema"], "tel.coverage/1");
    // One category (docs, given twice) × 4 complexities (maintenance included) × 4 buckets.
    assert_eq!(value["cells"].as_array().map(Vec::len), Some(16));
    let clean: u64 = value["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["clean"].as_u64())
        .sum();
    assert_eq!(value["clean_total"].as_u64(), Some(clean));
    assert_eq!(tel(&db, &["coverage", "--check"]).status.code(), Some(1));
}

#[test]
fn missing_database_directory_is_a_named_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tel(&dir.path().join("missing/dir/tel.db"), &["report"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // A reading command creates nothing: the missing file is named (docs/STORE.md, "Read-only commands").
    assert!(
        err.starts_with("error: no database at ") && err.contains("missing/dir/tel.db"),
        "{err}"
    );
}

#[test]
fn completions_print_a_script_per_shell() {
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef tel"),
        ("fish", "complete -c tel"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tel"))
            .args(["completions", shell])
            .output()
            .expect("tel runs");
        assert!(out.status.success());
        assert!(stdout(&out).contains(marker), "{shell}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_tel"))
        .args(["completions", "tcsh"])
        .output()
        .expect("tel runs");
    assert_eq!(bad.status.code(), Some(2));
}

//! `tel generate`: deterministic NDJSON on stdout or in a file, and the ground truth beside it.

use crate::support::tel_here as tel;

#[test]
fn generate_prints_the_requested_number_of_export_lines_deterministically() {
    let first = tel(&["generate", "--events", "40", "--seed", "3"]);
    assert!(first.status.success(), "{first:?}");
    let text = String::from_utf8(first.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 40);
    for line in text.lines() {
        let object: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(line.starts_with(r#"{"run_id": "run-"#), "{line}");
        assert_eq!(object.as_object().unwrap().len(), 17, "{line}");
    }
    assert_eq!(
        tel(&["generate", "--events", "40", "--seed", "3"]).stdout,
        first.stdout
    );
    assert_ne!(
        tel(&["generate", "--events", "40", "--seed", "4"]).stdout,
        first.stdout
    );
}

#[test]
fn generate_writes_output_and_ground_truth_files() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let truth = dir.path().join("truth.json");
    let run = tel(&[
        "generate",
        "--events",
        "25",
        "--output",
        events.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{run:?}");
    assert!(run.stdout.is_empty(), "events went to the file, not stdout");
    assert_eq!(
        std::fs::read_to_string(&events).unwrap().lines().count(),
        25
    );
    let truth: tel_replay::generate::GroundTruth =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    assert_eq!(truth, tel_replay::generate::GroundTruth::reference());
}

#[test]
fn generate_rejects_an_unknown_format_as_a_usage_error() {
    let run = tel(&["generate", "--format", "xml"]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
}

#[test]
fn generate_into_a_new_database_is_idempotent_per_seed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("synthetic.db").display());
    let insert = |seed: &str| {
        let run = tel(&[
            "generate",
            "--events",
            "300",
            "--seed",
            seed,
            "--format",
            "db",
            "--json",
            "--database-url",
            &url,
        ]);
        assert!(run.status.success(), "{run:?}");
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        (
            report["inserted"].as_u64().unwrap(),
            report["duplicates"].as_u64().unwrap(),
        )
    };
    assert_eq!(insert("5"), (300, 0));
    assert_eq!(
        insert("5"),
        (0, 300),
        "the same seed again stores nothing new"
    );
    assert_eq!(insert("6"), (300, 0));
}

#[test]
fn generate_refuses_an_output_file_with_the_database_format() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let run = tel(&[
        "generate",
        "--format",
        "db",
        "--output",
        "x.ndjson",
        "--database-url",
        &url,
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("--output x.ndjson"));
}

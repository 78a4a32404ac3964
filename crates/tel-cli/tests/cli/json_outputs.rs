//! `--json` snapshots of the outputs operators script against (docs/JSON.md): a renamed, removed or retyped
//! field fails here, on a database generated from a fixed seed.

use crate::support::tel_at as tel;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// The relative database every command reads: relative, so no temporary path reaches a snapshot.
const DB: &str = "tel.db";

/// The analysis commands read one category so the snapshots stay small enough to review.
const CATEGORY: [&str; 2] = ["--category", "backend"];

/// Events in the database of the commands that read one category: enough for `calibrate` to fit strata and
/// `tune` to find rules.
const EVENTS: &str = "400";

/// A database of `events` events from seed 7 (a seed always yields the same events, see GENERATOR.md).
fn generated(events: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--events",
        events,
        "--seed",
        "7",
        "--format",
        "db",
        "--database-url",
        DB,
    ];
    json(dir.path(), &args);
    dir
}

/// `tel ARGS --json` in `dir`: exits 0 and prints one JSON document.
fn json(dir: &Path, args: &[&str]) -> Value {
    let out = tel(dir, &[args, &["--json"]].concat());
    assert!(
        out.status.success(),
        "tel {args:?} --json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints one JSON document")
}

/// `tel COMMAND --database-url tel.db ARGS --json`.
fn on_db(dir: &Path, command: &str, args: &[&str]) -> Value {
    json(dir, &[&[command, "--database-url", DB], args].concat())
}

/// The newest SQLite migration's name: what `status` reports as the schema version of a migrated database.
fn newest_migration() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names.pop().expect("at least one migration")
}

/// Fails unless every top-level field of `value` is named in docs/JSON.md's section on `tel COMMAND --json`,
/// so a field added without documentation does not pass either.
fn assert_documented(command: &str, value: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/JSON.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let heading = format!("## `tel {command} --json`");
    let section = doc
        .split("\n## ")
        .find(|s| format!("## {s}").starts_with(&heading))
        .unwrap_or_else(|| panic!("docs/JSON.md has no section {heading}"));
    for key in value.as_object().expect("a JSON object").keys() {
        assert!(
            section.contains(&format!("`{key}`")) || section.contains(&format!("`{key}.")),
            "docs/JSON.md, {heading}: field {key:?} is not documented"
        );
    }
}

#[test]
fn status_json_snapshot() {
    let dir = generated("60");
    let mut status = on_db(dir.path(), "status", &[]);
    // The version moves with every migration; the snapshot pins the field, this pins its value.
    assert_eq!(status["schema_version"], newest_migration().as_str());
    status["schema_version"] = "[newest migration]".into();
    assert_documented("status", &status);
    insta::assert_json_snapshot!("status", status);
}

#[test]
fn report_json_snapshot() {
    // `report` has no category filter: a smaller database keeps its snapshot reviewable.
    let dir = generated("60");
    let report = on_db(dir.path(), "report", &[]);
    assert_documented("report", &report);
    insta::assert_json_snapshot!("report", report);
}

#[test]
fn replay_json_snapshot() {
    let dir = generated(EVENTS);
    let replay = on_db(dir.path(), "replay", &CATEGORY);
    assert_documented("replay", &replay);
    insta::assert_json_snapshot!("replay", replay);
}

#[test]
fn simulate_json_snapshot() {
    let dir = generated(EVENTS);
    let policies = [
        "--policy",
        "select-budget:v2-head",
        "--policy",
        "select-budget:v2-precal",
    ];
    let simulate = on_db(dir.path(), "simulate", &[&CATEGORY[..], &policies].concat());
    assert_documented("simulate", &simulate);
    insta::assert_json_snapshot!("simulate", simulate);
}

#[test]
fn calibrate_json_snapshot() {
    let dir = generated(EVENTS);
    let calibrate = on_db(dir.path(), "calibrate", &CATEGORY);
    let overheads = calibrate["overheads"].as_array().unwrap();
    assert!(overheads.iter().any(|o| o["fitted"] == true), "{calibrate}");
    assert_documented("calibrate", &calibrate);
    insta::assert_json_snapshot!("calibrate", calibrate);
}

#[test]
fn tune_json_snapshot() {
    let dir = generated(EVENTS);
    // A target this loose gives the category's events rules of their own, so the snapshot pins a rule's fields.
    let target = ["--target-truncation", "20%"];
    let tune = on_db(dir.path(), "tune", &[&CATEGORY[..], &target].concat());
    assert!(!tune["report"]["rules"].as_array().unwrap().is_empty());
    assert_documented("tune", &tune);
    insta::assert_json_snapshot!("tune", tune);
}

#[test]
fn coverage_json_snapshot() {
    let dir = generated(EVENTS);
    let coverage = on_db(dir.path(), "coverage", &CATEGORY);
    assert_documented("coverage", &coverage);
    insta::assert_json_snapshot!("coverage", coverage);
}

#[test]
fn import_json_summary_snapshots_first_and_repeated_import() {
    let dir = tempfile::tempdir().unwrap();
    let export = tel(
        dir.path(),
        &[
            "generate",
            "--events",
            "20",
            "--seed",
            "7",
            "--output",
            "in.ndjson",
        ],
    );
    assert!(export.status.success());
    // A half-written last line is skipped and counted, not imported.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("in.ndjson"))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"run_id\": \"cut").unwrap();
    let import = ["import", "in.ndjson", "--database-url", DB];
    let first = json(dir.path(), &import);
    assert_documented("import", &first);
    insta::assert_json_snapshot!("import_first", first);
    insta::assert_json_snapshot!("import_again", json(dir.path(), &import));
}

//! `tel export`, `tel import` and `tel replay` end to end, on a migrated copy of the real legacy snapshot.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::real_data;
use crate::support::tel_db as tel;
use sha2::{Digest, Sha256};

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    output
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A migrated temporary copy of the 28-row legacy snapshot (the original is read-only).
fn migrated_snapshot(dir: &Path) -> Option<PathBuf> {
    let source = real_data()?.join("autopack-legacy-2025-12-24.db");
    let db = dir.join("snapshot.db");
    std::fs::copy(source, &db).expect("copy the snapshot");
    ok(tel(&db, &["migrate"]));
    Some(db)
}

fn fresh_db(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    ok(tel(&db, &["migrate"]));
    db
}

#[test]
fn export_of_the_snapshot_is_the_original_export_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let export = ok(tel(&db, &["export"]));
    assert_eq!(
        sha256(&export.stdout),
        "b013b3c19347548138d7c0ca0b67fceb946fed15ac5883710828e6425258581d"
    );
    assert_eq!(
        String::from_utf8_lossy(&export.stderr),
        "# TokenEstimationV2 Telemetry Export\n# Total events: 28\n\n"
    );
    let build132 = std::fs::read_to_string(
        real_data()
            .unwrap()
            .join("build132_telemetry_export.ndjson"),
    )
    .unwrap();
    let text = String::from_utf8(export.stdout).unwrap();
    let last7: Vec<&str> = text.lines().skip(28 - 7).collect();
    assert_eq!(last7, build132.lines().collect::<Vec<_>>());
}

#[test]
fn export_filters_apply_to_the_rows_and_the_header_count() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let export = ok(tel(&db, &["export", "--category", "docs"]));
    let text = String::from_utf8(export.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty() && lines.len() < 28);
    assert!(lines.iter().all(|l| l.contains(r#""category": "docs""#)));
    assert!(
        String::from_utf8_lossy(&export.stderr)
            .contains(&format!("# Total events: {}\n", lines.len()))
    );
}

#[cfg(unix)]
#[test]
fn export_output_file_is_written_whole_with_owner_only_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let path = dir.path().join("out.ndjson");
    std::fs::write(&path, "old contents\n").unwrap();
    let path_text = path.to_str().unwrap();
    ok(tel(&db, &["export", "--output", path_text]));
    let stdout = ok(tel(&db, &["export"])).stdout;
    assert_eq!(std::fs::read(&path).unwrap(), stdout);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The read-only export may leave SQLite's empty -wal and -shm beside the WAL database
    // (docs/STORE.md, "Read-only commands"), never a temporary file of its own.
    let mut leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !["snapshot.db-wal", "snapshot.db-shm"].contains(&name.as_str()))
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, ["out.ndjson", "snapshot.db"]);
}

#[test]
fn export_import_export_round_trip_is_identical_and_reimport_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let file = dir.path().join("export.ndjson");
    let original = ok(tel(&db, &["export"])).stdout;
    std::fs::write(&file, &original).unwrap();
    let target = fresh_db(dir.path(), "target.db");
    let file_text = file.to_str().unwrap();
    let first = ok(tel(&target, &["import", file_text]));
    assert!(String::from_utf8_lossy(&first.stdout).starts_with("28 new, 0 already present"));
    let second = ok(tel(&target, &["import", file_text, "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        (summary["inserted"].as_u64(), summary["duplicates"].as_u64()),
        (Some(0), Some(28))
    );
    assert_eq!(ok(tel(&target, &["export"])).stdout, original);
}

#[test]
fn import_with_one_invalid_line_writes_nothing_unless_skip_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let valid = r#"{"run_id": "r1", "phase_id": "p1", "timestamp": "2025-12-24T10:00:00", "category": "docs", "complexity": "low", "deliverable_count": 1, "deliverables": ["README.md"], "predicted_output_tokens": 900, "actual_output_tokens": 700, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "m", "smape_percent": 25.0, "waste_ratio": 1.2857142857142858, "underestimated": false}"#;
    let invalid = valid.replace(r#""complexity": "low""#, r#""complexity": "extreme""#);
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, format!("{valid}\n{invalid}\n")).unwrap();
    let file_text = file.to_str().unwrap();
    let db = fresh_db(dir.path(), "tel.db");

    let refused = tel(&db, &["import", file_text]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("{file_text}:2: complexity")),
        "{stderr}"
    );
    assert!(stderr.contains("nothing imported"), "{stderr}");
    assert!(ok(tel(&db, &["export"])).stdout.is_empty());

    let partial = ok(tel(&db, &["import", file_text, "--skip-invalid", "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&partial.stdout).unwrap();
    assert_eq!(
        (
            summary["inserted"].as_u64(),
            summary["invalid_lines"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn import_without_parent_creation_rolls_back_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let file = dir.path().join("export.ndjson");
    std::fs::write(&file, ok(tel(&db, &["export"])).stdout).unwrap();
    let target = fresh_db(dir.path(), "target.db");
    let refused = tel(
        &target,
        &["import", file.to_str().unwrap(), "--no-create-parents"],
    );
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing was imported"));
    assert!(ok(tel(&target, &["export"])).stdout.is_empty());
}

#[test]
fn legacy_replay_from_the_database_matches_golden_a2_6_a() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let replay = ok(tel(&db, &["replay", "--legacy"]));
    assert_eq!(
        sha256(&replay.stdout),
        "c2477970b0266bac84253da371feca257020c470e38b2367f5a28921dee5e116"
    );
}

#[test]
fn default_replay_json_reproduces_the_b11_figures() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let replay = ok(tel(&db, &["replay", "--json"]));
    let report: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(report["events"], 28);
    let names: Vec<&str> = report["estimators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stored", "v2-head"]);
    let overall = |i: usize| &report["estimators"][i]["overall"];
    let close = |value: &serde_json::Value, expected: f64| {
        let value = value.as_f64().expect("a number");
        assert!(
            ((value - expected) / expected).abs() < 1e-12,
            "{value} vs {expected}"
        );
    };
    assert_eq!(overall(0)["truncated"], 14);
    close(&overall(0)["smape"]["mean"], 61.88380983499239);
    close(&overall(0)["waste"]["geometric_mean"], 1.4206610399113608);
    assert_eq!(overall(0)["underestimation"]["rate"]["count"], 20);
    close(&overall(1)["smape"]["mean"], 74.79085105729007);
    close(&overall(1)["smape"]["median"], 39.61306469840281);
    assert_eq!(
        (
            overall(1)["underestimation"]["rate"]["count"].as_u64(),
            overall(1)["underestimation"]["rate"]["n"].as_u64(),
            overall(1)["underestimation"]["unknown"].as_u64()
        ),
        (Some(11), Some(23), Some(5))
    );
}

#[test]
fn default_replay_filters_and_include_truncated_change_what_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let json = |args: &[&str]| -> serde_json::Value {
        serde_json::from_slice(&ok(tel(&db, args)).stdout).unwrap()
    };
    let docs = json(&[
        "replay",
        "--json",
        "--category",
        "docs",
        "--profile",
        "v2-head",
    ]);
    let exported = ok(tel(&db, &["export", "--category", "docs"])).stdout;
    let docs_rows = exported.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(docs["events"].as_u64(), Some(docs_rows as u64));
    let optimistic = json(&["replay", "--json", "--include-truncated"]);
    let stored = &optimistic["estimators"][0]["overall"]["smape"];
    assert_eq!(stored["n"], 28);
    assert_eq!(stored["optimistic"], true);
}

#[test]
fn default_replay_csv_has_one_row_per_event_and_a_column_per_estimator() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let csv = String::from_utf8(ok(tel(&db, &["replay", "--csv"])).stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",predicted:stored,predicted:v2-head")
    );
    assert_eq!(lines.count(), 28);
}

/// `n` original-format lines, newest first, with distinct timestamps (the export order).
fn generated_export(n: usize) -> String {
    (0..n)
        .map(|i| {
            let age = i as u64;
            let (day, hour, minute) = (1 + age / 1440, (age / 60) % 24, age % 60);
            let category = ["docs", "implementation", "tests"][i % 3];
            let complexity = ["low", "medium", "high"][i % 3];
            format!(
                r#"{{"run_id": "run-{run}", "phase_id": "phase-{i}", "timestamp": "2025-11-{dd:02}T{hh:02}:{mm:02}:00", "category": "{category}", "complexity": "{complexity}", "deliverable_count": 1, "deliverables": ["src/f{i}.py"], "predicted_output_tokens": 1000, "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "m", "smape_percent": 22.22222222222222, "waste_ratio": 1.25, "underestimated": false}}"#,
                run = i % 7,
                dd = 28 - day,
                hh = 23 - hour,
                mm = 59 - minute,
            )
        })
        .map(|line| line + "\n")
        .collect()
}

#[test]
fn import_of_several_batches_round_trips_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let text = generated_export(2500);
    let file = dir.path().join("generated.ndjson");
    std::fs::write(&file, &text).unwrap();
    let db = fresh_db(dir.path(), "tel.db");
    let imported = ok(tel(&db, &["import", file.to_str().unwrap()]));
    assert!(String::from_utf8_lossy(&imported.stdout).starts_with("2500 new, 0 already present"));
    assert_eq!(
        String::from_utf8(ok(tel(&db, &["export"])).stdout).unwrap(),
        text
    );
}

#[test]
fn legacy_replay_refuses_filters_it_never_had() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path(), "tel.db");
    let refused = tel(&db, &["replay", "--legacy", "--category", "docs"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
}

#[test]
fn extended_csv_and_the_build132_log_import_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = migrated_snapshot(dir.path()) else {
        return;
    };
    let csv = dir.path().join("all.csv");
    let csv_text = csv.to_str().unwrap();
    ok(tel(
        &db,
        &["export", "--format", "csv", "--extended", "-o", csv_text],
    ));
    let target = fresh_db(dir.path(), "target.db");
    ok(tel(&target, &["import", csv_text]));
    assert_eq!(
        ok(tel(&target, &["export"])).stdout,
        ok(tel(&db, &["export"])).stdout
    );

    let log = real_data().unwrap().join("build132_telemetry_samples.log");
    let logs_db = fresh_db(dir.path(), "logs.db");
    let imported = ok(tel(&logs_db, &["import", log.to_str().unwrap(), "--json"]));
    let summary: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(summary["inserted"], 14);
}

#[test]
fn import_into_a_new_database_creates_its_schema_and_refuses_an_unmigrated_legacy_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.ndjson");
    let generate = crate::support::tel_at(
        dir.path(),
        &["generate", "--events", "20", "--output", "events.ndjson"],
    );
    assert!(generate.status.success());
    let fresh = dir.path().join("fresh.db");
    let out = tel(&fresh, &["import", input.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("20 new"));
    let Some(real) = real_data() else {
        return;
    };
    let legacy = dir.path().join("legacy.db");
    std::fs::copy(real.join("autopack-legacy-2025-12-24.db"), &legacy).unwrap();
    let out = tel(&legacy, &["import", input.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("legacy database") && stderr.contains("tel migrate"),
        "{stderr}"
    );
    // Not adopted as a side effect; adopted on purpose, it holds its 28 rows alone.
    let status = String::from_utf8_lossy(&tel(&legacy, &["status"]).stdout).into_owned();
    assert!(
        status.contains("legacy database not yet adopted")
            && status.contains("pending migrations: 9"),
        "{status}"
    );
    assert!(tel(&legacy, &["migrate"]).status.success());
    let export = tel(&legacy, &["export"]);
    assert_eq!(String::from_utf8_lossy(&export.stdout).lines().count(), 28);
}

#[test]
fn import_dash_reads_a_pipe_from_export_into_another_database() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let a_text = a.to_str().unwrap();
    ok(tel(&a, &["generate", "--events", "1500", "--format", "db"]));
    let mut export =
        crate::support::tel_command(Path::new("."), &["export", "--database-url", a_text])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    let pipe = export.stdout.take().unwrap();
    let b_text = b.to_str().unwrap();
    let imported = crate::support::tel_command(
        Path::new("."),
        &["import", "--database-url", b_text, "-", "--json"],
    )
    .stdin(pipe)
    .output()
    .unwrap();
    assert!(export.wait().unwrap().success());
    let imported = ok(imported);
    let summary: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(
        (summary["files"].as_u64(), summary["inserted"].as_u64()),
        (Some(1), Some(1500))
    );
    assert_eq!(
        ok(tel(&b, &["export"])).stdout,
        ok(tel(&a, &["export"])).stdout
    );
}

#[test]
fn import_dash_with_a_bad_line_on_stdin_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    ok(tel(&a, &["generate", "--events", "1200", "--format", "db"]));
    let mut lines: Vec<String> = String::from_utf8(ok(tel(&a, &["export"])).stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    // After the first batch: what was already written is rolled back.
    lines[1100] = lines[1100]
        .replace("\"success\": true", "\"success\": \"maybe\"")
        .replace("\"success\": false", "\"success\": \"maybe\"");
    let db = fresh_db(dir.path(), "b.db");
    let mut import = crate::support::tel_command(
        Path::new("."),
        &["import", "--database-url", db.to_str().unwrap(), "-"],
    )
    .stdin(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = import.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, (lines.join("\n") + "\n").as_bytes()).unwrap();
    drop(stdin);
    let refused = import.wait_with_output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("<stdin>:1101: success"), "{stderr}");
    assert!(
        stderr.contains("1 invalid line(s); nothing imported"),
        "{stderr}"
    );
    assert!(ok(tel(&db, &["export"])).stdout.is_empty());
}

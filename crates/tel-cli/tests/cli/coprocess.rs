//! The co-process protocol (docs/INTEGRATION.md): answers per line before stdin closes, errors that
//! name line and field, and the Python client driving 1,000 phases against a real SQLite file.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tel_store::{ConnectOptions, DatabaseUrl, EventQuery, StoreError, connect, for_each_event};

use crate::support::{tel_command, tel_db};

/// Waits for `child` at most `limit`, killing it when it takes longer: a co-process that does not
/// answer must fail the test, not hang the suite.
fn wait_with_limit(mut child: Child, limit: Duration) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().expect("poll the child").is_none() {
        if started.elapsed() > limit {
            child.kill().expect("kill the stuck child");
            panic!("no answer within {limit:?}: the co-process is stuck");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect the output")
}

fn migrated_db(dir: &Path) -> PathBuf {
    let db = dir.join("tel.db");
    let out = tel_db(&db, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

#[test]
fn estimate_batch_on_stdin_answers_each_line_before_the_next_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = tel_command(dir.path(), &["estimate", "--batch", "-", "--protocol", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start tel estimate");
    let mut stdin = child.stdin.take().expect("stdin");
    // Answers are read on a thread, so that one that never comes fails the test instead of hanging it.
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (sender, answers) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        stdout
            .lines()
            .map_while(Result::ok)
            .try_for_each(|l| sender.send(l))
    });
    for (id, category) in [(1, "implementation"), (2, "docs")] {
        writeln!(
            stdin,
            r#"{{"id": {id}, "deliverables": ["src/a.py"], "category": "{category}", "complexity": "low"}}"#
        )
        .expect("write a request");
        stdin.flush().expect("flush the request");
        let Ok(line) = answers.recv_timeout(Duration::from_secs(60)) else {
            child.kill().expect("kill tel");
            panic!("request {id}: no answer while stdin stays open");
        };
        let answer: Value = serde_json::from_str(&line).expect("a JSON answer");
        assert_eq!(answer["protocol"], 1, "{line}");
        assert_eq!(answer["line"], id, "{line}");
        assert_eq!(answer["id"], id, "{line}");
        assert_eq!(answer["ok"], true, "{line}");
        assert!(
            answer["selected_budget"].as_i64().expect("a budget") > 0,
            "{line}"
        );
    }
    drop(stdin);
    assert!(child.wait().expect("tel exits").success());
}

#[test]
fn record_protocol_answers_every_line_and_names_line_and_field_of_bad_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = migrated_db(dir.path());
    let good = r#"{"id": "a", "run_id": "r", "phase_id": "p1", "category": "implementation", "complexity": "low", "predicted_output_tokens": 900, "actual_output_tokens": 800, "success": true, "model": "m"}"#;
    let input = [
        good,
        r#"{"id": "b", "run_id": "r", "phase_id": "p2", "category": "implementation", "complexity": "low", "predicted_output_tokens": "many", "actual_output_tokens": 800, "success": true, "model": "m"}"#,
        r#"{"run_id": "r"}"#,
        "{not json",
        &good.replace("p1", "p2"),
    ]
    .join("\n");
    let mut child = tel_command(
        dir.path(),
        &[
            "record",
            "--batch",
            "-",
            "--protocol",
            "1",
            "--force",
            "--database-url",
        ],
    )
    .arg(&db)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start tel record");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the requests");
    let out = wait_with_limit(child, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "invalid lines make exit 1");
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect();
    assert_eq!(answers.len(), 5, "one answer per request: {answers:?}");
    assert_eq!(
        (&answers[0]["id"], &answers[0]["ok"], &answers[0]["outcome"]),
        (
            &Value::from("a"),
            &Value::from(true),
            &Value::from("stored")
        )
    );
    assert_eq!(answers[1]["id"], "b");
    assert_eq!(answers[1]["field"], "predicted_output_tokens");
    assert!(
        answers[1]["error"]
            .as_str()
            .expect("an error")
            .starts_with("<stdin>:2: predicted_output_tokens: expected a non-negative integer"),
        "{}",
        answers[1]
    );
    assert_eq!(answers[2]["field"], "phase_id", "{}", answers[2]);
    assert_eq!(answers[3]["field"], Value::Null);
    assert_eq!(answers[3]["ok"], false);
    // Processing went on past the bad lines.
    assert_eq!(answers[4]["outcome"], "stored", "{}", answers[4]);
    for (index, answer) in answers.iter().enumerate() {
        assert_eq!(answer["protocol"], 1);
        assert_eq!(answer["line"], index + 1);
    }
}

#[test]
fn python_client_runs_1000_phases_and_every_event_is_stored_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = migrated_db(dir.path());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/python/simulated_executor.py");
    let child = Command::new("python3")
        .arg(&script)
        .args([
            "--tel",
            env!("CARGO_BIN_EXE_tel"),
            "--phases",
            "1000",
            "--database-url",
        ])
        .arg(&db)
        .env_remove("TEL_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the CI installs it)");
    let out = wait_with_limit(child, Duration::from_secs(600));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["outcomes"], serde_json::json!({"stored": 1000}));
    assert_eq!(summary["exit_codes"], serde_json::json!([0, 0]));

    let mut conn = connect(&DatabaseUrl::SqliteFile(db), &ConnectOptions::default()).expect("open");
    let mut per_phase = BTreeMap::<String, u32>::new();
    for_each_event::<StoreError>(&mut conn, &EventQuery::default(), |event| {
        *per_phase.entry(event.phase_id).or_default() += 1;
        Ok(())
    })
    .expect("read the events");
    assert_eq!(per_phase.len(), 1000, "one event per phase");
    assert!(per_phase.values().all(|&n| n == 1), "an event stored twice");
    // The latency figures of docs/PERFORMANCE.md (debug build here).
    eprintln!(
        "co-process round trip, ms: estimate p50 {} p99 {}, record p50 {} p99 {}",
        summary["estimate_ms"]["p50"],
        summary["estimate_ms"]["p99"],
        summary["record_ms"]["p50"],
        summary["record_ms"]["p99"]
    );
}

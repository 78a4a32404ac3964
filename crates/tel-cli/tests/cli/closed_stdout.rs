//! Every command that prints to stdout ends quietly with exit 0 when its reader has gone (`tel … | head`).

use std::process::Stdio;

use crate::support::{tel_at, tel_command};

/// Runs `tel ARGS` in `dir` with stdout a pipe whose reading end is closed before tel writes.
fn run_with_closed_stdout(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = tel_command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tel binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn closed_stdout_is_success_not_a_panic_for_every_printing_command() {
    let dir = tempfile::tempdir().unwrap();
    let generate = [
        "generate",
        "--events",
        "300",
        "--seed",
        "1",
        "--format",
        "db",
        "--database-url",
        "t.db",
    ];
    assert!(tel_at(dir.path(), &generate).status.success());
    let ndjson = [
        "generate",
        "--events",
        "50",
        "--seed",
        "2",
        "--output",
        "more.ndjson",
    ];
    assert!(tel_at(dir.path(), &ndjson).status.success());
    let db = ["--database-url", "t.db"];
    let commands: [&[&str]; 15] = [
        &["import", "more.ndjson"],
        &["status"],
        &["migrate", "--status"],
        &["replay"],
        &["replay", "--legacy"],
        &["report"],
        &["coverage"],
        &["export"],
        &["calibrate", "--quantile", "0.9"],
        &["simulate", "--policy", "buffer:1.2"],
        &["prune", "--older-than", "36500d"],
        &["spool", "replay"],
        &["generate", "--events", "2000"],
        &["profiles"],
        &[
            "estimate",
            "--category",
            "tests",
            "--complexity",
            "low",
            "--deliverable",
            "tests/test_a.py",
        ],
    ];
    for command in commands {
        let needs_db = !matches!(command[0], "generate" | "profiles" | "estimate");
        let args = if needs_db {
            [command, &db[..]].concat()
        } else {
            command.to_vec()
        };
        let (code, stderr) = run_with_closed_stdout(dir.path(), &args);
        assert!(
            code == Some(0) && !stderr.contains("panicked"),
            "tel {}: exit {code:?}\n{stderr}",
            args.join(" ")
        );
    }
}

#[test]
fn record_batch_keeps_recording_after_its_stdout_closes() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..200)
        .map(|i| crate::reliability::event_line("closed", i))
        .collect();
    std::fs::write(dir.path().join("events.ndjson"), lines.join("\n")).unwrap();
    assert!(
        tel_at(dir.path(), &["migrate", "--database-url", "r.db"])
            .status
            .success()
    );
    let record = [
        "record",
        "--force",
        "--batch",
        "events.ndjson",
        "--database-url",
        "r.db",
    ];
    let (code, stderr) = run_with_closed_stdout(dir.path(), &record);
    assert_eq!(code, Some(0), "{stderr}");
    let export = tel_at(dir.path(), &["export", "--database-url", "r.db"]);
    assert_eq!(String::from_utf8_lossy(&export.stdout).lines().count(), 200);
}

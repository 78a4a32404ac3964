//! Silent drops and blocked queues through the `tel` binary (issue 14, items 9, 10 and 13): a line of
//! invalid UTF-8 in a batch or in the spool blocks nothing, and a file-size limit with SIGXFSZ at its
//! default does not kill `tel record`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::reliability::event_line;
use crate::support::{tel_at, tel_command};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Stored events (`tel status --json`).
fn events_in(dir: &Path) -> u64 {
    let status = tel_at(dir, &["status", "--json"]);
    assert!(status.status.success(), "{status:?}");
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    json["row_counts"]["token_estimation_v2_events"]
        .as_u64()
        .unwrap()
}

/// Three batch lines, the second with bytes that are not UTF-8.
fn batch_with_invalid_utf8() -> Vec<u8> {
    [
        event_line("utf8", 0).as_bytes(),
        b"\n{\"run_id\": \"r\xff\xfe\"}\n",
        event_line("utf8", 2).as_bytes(),
        b"\n",
    ]
    .concat()
}

#[test]
fn record_batch_reports_an_invalid_utf8_line_as_file_line_and_keeps_going() {
    // Regression: the batch stopped at the line (no line number); later lines were neither stored
    // nor spooled, also with `--batch -`.
    let dir = tempfile::tempdir().unwrap();
    assert!(tel_at(dir.path(), &["migrate"]).status.success());
    let file = dir.path().join("calls.ndjson");
    std::fs::write(&file, batch_with_invalid_utf8()).unwrap();
    let from_file = tel_at(
        dir.path(),
        &["record", "--force", "--batch", "calls.ndjson"],
    );
    assert_eq!(from_file.status.code(), Some(1), "{from_file:?}");
    let stderr = text(&from_file.stderr);
    assert!(
        stderr.contains("calls.ndjson:2: invalid UTF-8 at byte 14"),
        "{stderr}"
    );
    assert!(stderr.contains("3 events: 2 stored"), "{stderr}");

    let mut child = tel_command(dir.path(), &["record", "--force", "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = String::from_utf8_lossy(&batch_with_invalid_utf8())
        .replace("utf8-", "stdin-")
        .into_bytes();
    // The replacement made the bad line valid UTF-8: put the raw bytes back for stdin.
    let input = [
        &input[..input.iter().position(|&b| b == b'\n').unwrap() + 1],
        b"{\"run_id\": \"r\xff\xfe\"}\n".as_slice(),
        event_line("stdin", 2).as_bytes(),
        b"\n",
    ]
    .concat();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert_eq!(from_stdin.status.code(), Some(1), "{from_stdin:?}");
    assert!(text(&from_stdin.stderr).contains("<stdin>:2: invalid UTF-8"));
    assert_eq!(events_in(dir.path()), 4);
}

#[test]
fn spool_replay_and_status_keep_working_past_an_invalid_utf8_spool_line() {
    // Regression: one such line made both commands exit 1 with the valid events stuck.
    let dir = tempfile::tempdir().unwrap();
    // Unmigrated: the two events are spooled.
    for i in 0..2 {
        let recorded = tel_at(
            dir.path(),
            &["record", "--force", "--event", &event_line("s", i)],
        );
        assert!(
            text(&recorded.stdout).starts_with("spooled"),
            "{recorded:?}"
        );
    }
    let spool = dir.path().join("tel.db.spool.ndjson");
    let mut lines = std::fs::read(&spool).unwrap();
    lines.splice(0..0, b"\xff\xfe not json\n".iter().copied());
    std::fs::write(&spool, &lines).unwrap();
    assert!(tel_at(dir.path(), &["migrate"]).status.success());

    let status = tel_at(dir.path(), &["status"]);
    assert!(status.status.success(), "{status:?}");
    let shown = text(&status.stdout);
    assert!(
        shown.contains("(2 events, 1 unreadable lines, ") && shown.contains(", oldest event 20"),
        "{shown}"
    );

    let replay = tel_at(dir.path(), &["spool", "replay"]);
    assert_eq!(replay.status.code(), Some(3), "lines kept: {replay:?}");
    assert!(
        text(&replay.stdout).contains("2 events replayed into sqlite://tel.db: 2 written, 0 already stored, 0 kept (not written), 1 unreadable lines kept"),
        "{replay:?}"
    );
    assert_eq!(events_in(dir.path()), 2);
    assert_eq!(std::fs::read(&spool).unwrap(), b"\xff\xfe not json\n");
}

#[test]
fn file_size_limit_with_sigxfsz_at_its_default_does_not_kill_tel_record() {
    // Regression: a plain `ulimit -f` killed `tel record --batch` (exit 153) after 22 events, with
    // no warning, no spool and no LOST line.
    const EVENTS: usize = 1500;
    let dir = tempfile::tempdir().unwrap();
    assert!(tel_at(dir.path(), &["migrate"]).status.success());
    let lines: Vec<String> = (0..EVENTS).map(|i| event_line("xfsz", i)).collect();
    std::fs::write(dir.path().join("calls.ndjson"), lines.join("\n")).unwrap();
    // 512 KiB (`ulimit -f` counts 512-byte blocks in sh); stdout and stderr are pipes, not files.
    let output: Output = Command::new("sh")
        .args([
            "-c",
            "ulimit -f 1024; exec \"$0\" record --force --batch calls.ndjson",
            env!("CARGO_BIN_EXE_tel"),
        ])
        .current_dir(dir.path())
        .env_remove("TEL_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    let count = |word: &str| stdout.lines().filter(|l| l.starts_with(word)).count();
    let (stored, spooled, lost) = (count("stored"), count("spooled"), count("lost"));
    assert!(
        output.status.code().is_some(),
        "killed by a signal: {:?}",
        output.status
    );
    assert_eq!(stored + spooled + lost, EVENTS, "every event accounted for");
    assert!(spooled + lost > 0, "the limit was hit");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.matches("; event LOST: ").count(), lost);
    assert!(
        stderr.contains(&format!("record: {EVENTS} events: {stored} stored")),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(if lost > 0 { 1 } else { 0 }));
}

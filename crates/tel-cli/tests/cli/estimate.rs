//! `tel estimate` and `tel profiles` end to end: the spec's worked examples through the binary.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::support::tel_here as tel;

#[test]
fn single_estimate_reproduces_worked_example_o1() {
    let out = tel(&[
        "estimate",
        "--deliverable",
        "Create src/autopack/new_module.py",
        "--category",
        "backend",
        "--complexity",
        "medium",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["estimated_tokens"], 6500);
    assert_eq!(json["selected_budget"], 12288);
    assert_eq!(json["breakdown"]["backend_new"], 2000);
    assert_eq!(json["profile"], "v2-head");
}

#[test]
fn batch_keeps_input_order_reports_bad_lines_and_exits_1() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tel"))
        .args(["estimate", "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"id": "a", "deliverables": ["src/x.py"], "category": "implementation", "complexity": "low", "scope_paths": null, "task_description": ""}
not json
{"id": "c", "deliverables": ["tests/test_foo.py"], "category": "tests", "complexity": "low", "scope_paths": [], "task_description": ""}
"#,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a malformed line fails the batch"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (
            lines[0]["id"].as_str(),
            lines[0]["estimated_tokens"].as_i64()
        ),
        (Some("a"), Some(3424))
    );
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("<stdin>:2: "),
        "{}",
        lines[1]
    );
    assert_eq!(
        (
            lines[2]["id"].as_str(),
            lines[2]["selected_budget"].as_i64()
        ),
        (Some("c"), Some(6144))
    );
}

#[test]
fn profiles_lists_every_builtin_with_a_distinct_hash() {
    let out = tel(&["profiles", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let profiles: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = profiles.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "v2-head",
            "v5v6",
            "v5-step1",
            "v2-adaptive",
            "v2-precal",
            "v2-normalised",
            "v2-docsynth",
            "v2-overhead",
            "v1"
        ]
    );
    let mut hashes: Vec<&str> = profiles
        .iter()
        .map(|p| p["content_hash"].as_str().unwrap())
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), ids.len(), "every profile hashes differently");
}

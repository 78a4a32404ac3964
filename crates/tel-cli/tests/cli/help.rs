//! `--help` snapshots: a change to any command's grammar or text shows up in review.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tel"))
        .args(args)
        .arg("--help")
        .output()
        .expect("tel runs");
    assert!(out.status.success(), "tel {args:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn help_snapshots() {
    for command in [
        &[][..],
        &["demo"],
        &["estimate"],
        &["profiles"],
        &["migrate"],
        &["status"],
        &["record"],
        &["spool", "replay"],
        &["prune"],
        &["import"],
        &["export"],
        &["tune"],
        &["replay"],
        &["report"],
        &["coverage"],
        &["calibrate"],
        &["simulate"],
        &["generate"],
        &["completions"],
        &["man"],
    ] {
        let name = if command.is_empty() {
            "tel".to_owned()
        } else {
            format!("tel-{}", command.join("-"))
        };
        let text = help(command);
        if !command.is_empty() {
            let examples = text.split_once("Examples:\n").map(|(_, rest)| rest);
            assert!(
                examples.is_some_and(|lines| lines.contains("tel ")),
                "{name} has no example"
            );
        }
        insta::assert_snapshot!(name, text);
    }
}

//! `tel demo`: the README's quickstart works from an empty directory and is safe to re-run.

use crate::support::tel_in;

#[test]
fn demo_builds_database_replay_report_and_html_and_reruns_identically() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["demo", "--events", "600", "--seed", "5"];
    let first = tel_in(dir.path(), &args, &[]);
    assert!(first.status.success(), "{first:?}");
    let stdout = String::from_utf8(first.stdout.clone()).unwrap();
    for profile in ["stored", "v2-head", "v5v6", "v1"] {
        assert!(
            stdout.contains(&format!("SMAPE mean, {profile} predictions")),
            "replayed profile {profile} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("tel report"), "{stdout}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("tel-demo/tel.db"), "{stderr}");
    assert!(stdout.contains("tel-demo/report.html"), "{stdout}");

    let html = std::fs::read_to_string(dir.path().join("tel-demo/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(
        html.matches("<svg").count() >= 3,
        "the HTML report has its plots"
    );

    let status = tel_in(
        dir.path(),
        &["status", "--json", "--database-url", "tel-demo/tel.db"],
        &[],
    );
    assert!(status.status.success(), "{status:?}");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(
        status.to_string().contains("600"),
        "600 events stored: {status}"
    );

    let second = tel_in(dir.path(), &args, &[]);
    assert!(second.status.success(), "{second:?}");
    assert_eq!(
        second.stdout, first.stdout,
        "a re-run recreates the same demo"
    );
}

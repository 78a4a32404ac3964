//! What a newcomer trips over (issue 19): global options before the command, an empty database in
//! `tel report`, `migrate -q`, check-first ordering, the demo's summary and the man page.

use std::path::Path;
use std::process::Output;

use crate::support::{real_data, tel_at};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(out: &Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A freshly migrated, empty `tel.db` in `dir`.
fn empty_db(dir: &Path) {
    assert_success(&tel_at(
        dir,
        &["migrate", "--quiet", "--database-url", "tel.db"],
    ));
}

#[test]
fn database_url_and_quiet_are_accepted_before_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = tel_at(dir.path(), &["--database-url", "first.db", "-q", "migrate"]);
    assert_success(&migrate);
    assert!(migrate.stdout.is_empty(), "{}", text(&migrate.stdout));
    assert!(dir.path().join("first.db").is_file());
    for args in [
        &["--database-url", "first.db", "status", "--json"][..],
        &["status", "--json", "--database-url", "first.db"][..],
        &["--quiet", "--database-url", "first.db", "status", "--json"][..],
    ] {
        let out = tel_at(dir.path(), args);
        assert_success(&out);
        assert!(
            text(&out.stdout).contains("first.db"),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    // Given in both places, the one after the command name wins (as the command's own option).
    let both = tel_at(
        dir.path(),
        &[
            "--database-url",
            "other.db",
            "status",
            "--json",
            "--database-url",
            "first.db",
        ],
    );
    assert_success(&both);
    assert!(text(&both.stdout).contains("first.db"));
    assert!(!dir.path().join("other.db").exists());
}

#[test]
fn report_on_an_empty_database_has_no_data_to_judge_and_check_fails() {
    let dir = tempfile::tempdir().unwrap();
    empty_db(dir.path());
    let report = tel_at(dir.path(), &["report", "--database-url", "tel.db"]);
    assert_success(&report);
    let out = text(&report.stdout);
    assert!(out.contains("Decision: NO DATA TO JUDGE"), "{out}");
    assert!(!out.contains("within targets"), "{out}");
    let check = tel_at(
        dir.path(),
        &["report", "--database-url", "tel.db", "--check"],
    );
    assert_eq!(check.status.code(), Some(3), "{}", text(&check.stderr));
    let json = tel_at(
        dir.path(),
        &["report", "--database-url", "tel.db", "--json"],
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["decision"]["no_data"], true);
    assert_eq!(value["decision"]["tuning_needed"], false);
}

#[test]
fn migrate_quiet_prints_nothing_but_status_is_still_data() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = tel_at(dir.path(), &["migrate", "-q", "--database-url", "tel.db"]);
    assert_success(&quiet);
    assert!(quiet.stdout.is_empty(), "{}", text(&quiet.stdout));
    let status = tel_at(
        dir.path(),
        &["migrate", "-q", "--status", "--database-url", "tel.db"],
    );
    assert_success(&status);
    assert!(
        text(&status.stdout).contains("applied"),
        "{}",
        text(&status.stdout)
    );
}

#[test]
fn legacy_replay_and_export_of_an_unmigrated_database_print_nothing_before_failing() {
    let Some(real) = real_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        real.join("autopack-legacy-2025-12-24.db"),
        dir.path().join("legacy.db"),
    )
    .unwrap();
    for args in [
        &["replay", "--legacy", "--database-url", "legacy.db"][..],
        &["export", "--database-url", "legacy.db"][..],
    ] {
        let out = tel_at(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: ")
                && err.contains("is not migrated")
                && err.contains("tel migrate"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("Total events") && !err.contains("Loaded"),
            "{err}"
        );
    }
}

#[test]
fn demo_prints_a_summary_not_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = tel_at(dir.path(), &["demo", "--events", "400", "--seed", "3"]);
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().count() <= 40,
        "{} lines:\n{stdout}",
        stdout.lines().count()
    );
    for part in [
        "Decision: ",
        "underestimation rate",
        "SMAPE mean, v1 predictions",
        "Most truncated strata (5 of",
        "Full report: tel-demo/report.html",
        "tel report --database-url",
    ] {
        assert!(stdout.contains(part), "{part:?} missing:\n{stdout}");
    }
    // The full tables are one command away.
    let full = tel_at(dir.path(), &["report", "--database-url", "tel-demo/tel.db"]);
    assert_success(&full);
    assert!(text(&full.stdout).lines().count() > stdout.lines().count());
}

#[test]
fn man_page_is_generated_from_the_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let page = tel_at(dir.path(), &["man"]);
    assert_success(&page);
    let roff = text(&page.stdout);
    assert!(
        roff.contains(".TH tel 1") && roff.contains("report"),
        "{roff}"
    );
    assert_success(&tel_at(dir.path(), &["man", "--dir", "."]));
    for page in [
        "tel.1",
        "tel-report.1",
        "tel-migrate.1",
        "tel-spool-replay.1",
    ] {
        let body = std::fs::read_to_string(dir.path().join(page)).unwrap_or_default();
        assert!(body.contains(".TH"), "{page} not written");
    }
}

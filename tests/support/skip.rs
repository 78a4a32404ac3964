//! The one rule for a test whose prerequisite (PostgreSQL, the real data, Chromium, sqlite3) is missing: on a
//! developer's machine it prints a skip line and returns; under CI (`CI` set, as `.ci/run` is run) it fails,
//! because CI installs every prerequisite and a skip there would be a check that passes without checking.

/// Reports that `what` is missing: panics under CI, prints `skipped: …` otherwise. `install` says how to get it.
pub fn missing(what: &str, install: &str) {
    if std::env::var_os("CI").is_some() {
        panic!(
            "{what} is missing and CI is set: CI provides it ({install}), so this test must run, not skip"
        );
    }
    eprintln!("skipped: {what} not found ({install})");
}

//! Surprising paths: SQLite URI filenames and `sqlite:` URLs with a query are refused naming the URL
//! and create nothing; `tel export -o` through a symbolic link writes the link's target.

use std::path::Path;

use crate::support::tel_at;

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `tel ARGS --database-url URL` in an empty directory: exit 1, the URL named, nothing created.
fn assert_url_refused(url: &str, args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    let out = tel_at(dir.path(), &all);
    assert_eq!(out.status.code(), Some(1), "{url}: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: unsupported database URL {url:?}")),
        "{stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{url} created a file");
}

#[test]
fn sqlite_uri_filename_with_mode_memory_is_refused_not_silently_kept_in_memory() {
    assert_url_refused("file:x.db?mode=memory", &["migrate"]);
    assert_url_refused(
        "file:x.db?mode=memory",
        &["generate", "--format", "db", "--events", "10"],
    );
}

#[test]
fn sqlite_url_with_a_query_is_refused_instead_of_creating_a_file_named_after_it() {
    assert_url_refused("sqlite://w.db?mode=rwc", &["migrate"]);
    assert_url_refused("sqlite://w.db?mode=rwc", &["status"]);
}

#[test]
fn plain_path_with_a_question_mark_is_a_file_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = tel_at(dir.path(), &["migrate", "--database-url", "w.db?mode=rwc"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(entries(dir.path()), ["w.db?mode=rwc"]);
}

#[test]
fn export_output_through_a_symbolic_link_writes_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let out = tel_at(dir.path(), &["migrate", "--database-url", "t.db"]);
    assert!(out.status.success(), "{out:?}");
    let out = tel_at(
        dir.path(),
        &[
            "record",
            "--force",
            "--predicted",
            "900",
            "--actual",
            "1000",
            "--model",
            "m",
            "--database-url",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::write(dir.path().join("exports/real.ndjson"), "old\n").unwrap();
    std::os::unix::fs::symlink("exports/real.ndjson", dir.path().join("link.ndjson")).unwrap();
    let out = tel_at(
        dir.path(),
        &[
            "export",
            "--extended",
            "-o",
            "link.ndjson",
            "--database-url",
            "t.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let link = std::fs::symlink_metadata(dir.path().join("link.ndjson")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let stdout = tel_at(
        dir.path(),
        &["export", "--extended", "--database-url", "t.db"],
    );
    assert_eq!(
        std::fs::read(dir.path().join("exports/real.ndjson")).unwrap(),
        stdout.stdout,
        "the target holds the export"
    );
}

#[test]
fn export_output_through_a_symbolic_link_loop_is_refused_naming_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let out = tel_at(dir.path(), &["migrate", "--database-url", "t.db"]);
    assert!(out.status.success(), "{out:?}");
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let out = tel_at(dir.path(), &["export", "-o", "a", "--database-url", "t.db"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot follow the symbolic link a: "),
        "{stderr}"
    );
}

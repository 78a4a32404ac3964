//! Security of the `tel` binary: a password in the database URL appears in no output of any
//! database command and in no file tel writes; spool and exported files are 0600.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::support::tel_in;

const PASSWORD: &str = "Pa55w0rdThatMustNotLeak";

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_failing_postgres_password_appears_in_no_output_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let generated = tel_in(
        dir.path(),
        &["generate", "--events", "5", "--output", "in.ndjson"],
        &[],
    );
    assert!(generated.status.success(), "{generated:?}");
    let event = std::fs::read_to_string(dir.path().join("in.ndjson")).unwrap();
    let event = event.lines().next().unwrap().to_owned();
    // Nothing listens on port 1: every command fails to connect.
    let urls = [
        format!("postgres://tel:{PASSWORD}@127.0.0.1:1/tel"),
        format!("postgresql://127.0.0.1:1/tel?user=tel&password={PASSWORD}&sslmode=disable"),
    ];
    let commands: [&[&str]; 12] = [
        &["status"],
        &["status", "--json"],
        &["migrate"],
        &["migrate", "--status"],
        &["record", "--force", "--event", &event],
        &["spool", "replay"],
        &["import", "in.ndjson"],
        &["export"],
        &["replay"],
        &["report"],
        &["prune", "--older-than", "90d"],
        &["coverage"],
    ];
    let home_env = home.to_str().unwrap();
    for url in &urls {
        for command in commands {
            for via_env in [false, true] {
                let mut args = command.to_vec();
                let mut env = vec![("HOME", home_env), ("XDG_DATA_HOME", "")];
                if via_env {
                    env.push(("TEL_DATABASE_URL", url));
                } else {
                    args.extend(["--database-url", url]);
                }
                let output = tel_in(dir.path(), &args, &env);
                let text = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
                let text = String::from_utf8_lossy(&text);
                assert!(
                    !text.contains(PASSWORD),
                    "tel {command:?} (URL in env: {via_env}) printed the password: {text}"
                );
                let spooled = command[0] == "record";
                assert_eq!(
                    output.status.code(),
                    Some(if spooled { 0 } else { 1 }),
                    "tel {command:?}: {text}"
                );
            }
        }
    }
    let written = files_under(dir.path());
    let spools: Vec<_> = written
        .iter()
        .filter(|p| p.to_string_lossy().contains("spool-"))
        .collect();
    // Both URLs name one database (user tel on 127.0.0.1:1, database tel): one spool.
    assert_eq!(spools.len(), 1, "one spool per database: {written:?}");
    for file in &written {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        assert!(
            !text.contains(PASSWORD),
            "{} holds the password",
            file.display()
        );
    }
    for spool in spools {
        let mode = std::fs::metadata(spool).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", spool.display());
    }
}

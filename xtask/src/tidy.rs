//! Tidy checks run by `cargo test`: repository hygiene that no compiler enforces.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// Every `.rs` file under `crates/` and `xtask/`.
    fn rust_files() -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n == "target") {
                        continue;
                    }
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let root = workspace_root();
        let mut files = Vec::new();
        walk(&root.join("crates"), &mut files);
        walk(&root.join("xtask"), &mut files);
        files.sort();
        assert!(
            files.len() > 5,
            "tidy found too few Rust files under {}",
            root.display()
        );
        files
    }

    fn relative(path: &Path) -> String {
        path.strip_prefix(workspace_root())
            .unwrap_or(path)
            .display()
            .to_string()
    }

    #[test]
    fn every_rust_file_starts_with_a_module_doc_line() {
        let offenders: Vec<String> = rust_files()
            .into_iter()
            .filter(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                !text.starts_with("//! ")
            })
            .map(|p| relative(&p))
            .collect();
        assert!(
            offenders.is_empty(),
            "files without a leading `//! ` line: {offenders:#?}"
        );
    }

    #[test]
    fn no_sql_is_assembled_with_format() {
        const SQL_WORDS: [&str; 8] = [
            "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "ALTER ", "DROP ", "PRAGMA ",
        ];
        let mut offenders = Vec::new();
        for path in rust_files() {
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                let formats = line.contains("format!(")
                    || line.contains("write!(")
                    || line.contains("writeln!(");
                if formats
                    && SQL_WORDS
                        .iter()
                        .any(|w| line.to_uppercase().contains(w) && line.contains(w))
                {
                    offenders.push(format!("{}:{}: {}", relative(&path), i + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "SQL assembled with format!/write!: {offenders:#?}"
        );
    }

    #[test]
    fn no_unsafe_code_in_the_workspace() {
        let needle = ["unsafe", " {"].concat();
        let offenders: Vec<String> = rust_files()
            .into_iter()
            .filter(|path| std::fs::read_to_string(path).unwrap().contains(&needle))
            .map(|p| relative(&p))
            .collect();
        assert!(offenders.is_empty(), "unsafe blocks: {offenders:#?}");
    }

    #[test]
    fn the_sqlite_only_executor_path_links_neither_libpq_nor_tel_replay() {
        let tree = |package: &str| {
            let output = std::process::Command::new(env!("CARGO"))
                .args(["tree", "-e", "normal", "--prefix", "none", "-p", package])
                .current_dir(workspace_root())
                .output()
                .expect("cargo tree runs");
            assert!(
                output.status.success(),
                "cargo tree -p {package} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).expect("UTF-8 tree")
        };
        let crates = |tree: &str| -> Vec<String> {
            tree.lines()
                .filter_map(|line| line.split_whitespace().next())
                .map(str::to_owned)
                .collect()
        };
        let executor = crates(&tree("tel-example-executor"));
        assert!(
            executor.iter().any(|c| c == "libsqlite3-sys"),
            "{executor:?}"
        );
        for unwanted in ["pq-sys", "tel-replay"] {
            assert!(
                !executor.iter().any(|c| c == unwanted),
                "the SQLite-only executor depends on {unwanted}"
            );
        }
        // The check can see pq-sys: the tel binary, which asks for PostgreSQL, has it.
        assert!(crates(&tree("tel-cli")).iter().any(|c| c == "pq-sys"));
    }

    #[test]
    fn formatting_is_clean() {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["fmt", "--all", "--", "--check"])
            .current_dir(workspace_root())
            .output()
            .expect("cargo fmt runs");
        assert!(
            output.status.success(),
            "cargo fmt --check failed:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

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

    /// Statements of Rust source: its string literals and its code, split at `;`, `{` and `}` outside
    /// literals and comments (comments are dropped). Char literals are skipped so that `'"'` opens no string.
    #[derive(Default)]
    struct Statement {
        code: String,
        literals: Vec<String>,
        line: usize,
    }

    fn statements(text: &str) -> Vec<Statement> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut current = Statement {
            line: 1,
            ..Statement::default()
        };
        let mut line = 1;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '\n' {
                line += 1;
            }
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '/' && next == Some('*') {
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                i += 2;
                continue;
            }
            if c == '\'' {
                // 'x' or '\x..' is a char literal; anything else ('a in a lifetime) is code.
                if next == Some('\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                    continue;
                }
            }
            let raw_hashes = (c == 'r' && matches!(next, Some('"' | '#')))
                .then(|| chars[i + 1..].iter().take_while(|&&h| h == '#').count())
                .filter(|&n| chars.get(i + 1 + n) == Some(&'"'));
            if c == '"' || raw_hashes.is_some() {
                let hashes = raw_hashes.unwrap_or(0);
                i += if raw_hashes.is_some() { 2 + hashes } else { 1 };
                let mut literal = String::new();
                while i < chars.len() {
                    if raw_hashes.is_none() && chars[i] == '\\' {
                        literal.push(chars[i]);
                        literal.extend(chars.get(i + 1));
                        i += 2;
                        continue;
                    }
                    if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&h| h == '#') {
                        i += 1 + hashes;
                        break;
                    }
                    line += usize::from(chars[i] == '\n');
                    literal.push(chars[i]);
                    i += 1;
                }
                current.literals.push(literal);
                current.code.push_str("\"\"");
                continue;
            }
            if matches!(c, ';' | '{' | '}') {
                out.push(std::mem::take(&mut current));
                current.line = line;
            } else {
                current.code.push(c);
            }
            i += 1;
        }
        out.push(current);
        out
    }

    /// SQL statements that must splice text because SQL cannot bind it (identifiers, PRAGMA values, DDL
    /// variants of test fixtures), each with its reason; `(file, snippet of the literal, reason)`. Anything
    /// else assembled from strings fails `no_sql_is_assembled_from_strings`.
    const SQL_ASSEMBLY_ALLOWED: [(&str, &str, &str); 16] = [
        (
            "xtask/src/bench.rs",
            "SELECT name FROM pragma_table_info('",
            "the bench's sqlite3 command line: one of three fixed table names; the sqlite3 CLI binds nothing",
        ),
        (
            "crates/tel-store/src/legacy.rs",
            "INSERT INTO token_estimation_v2_events (",
            "legacy adoption: column names of the legacy table, checked against schema.rs and quoted",
        ),
        (
            "crates/tel-store/src/legacy.rs",
            ") SELECT ",
            "legacy adoption: the same quoted column list, read side",
        ),
        (
            "crates/tel-store/src/legacy/postgres.rs",
            "ALTER TABLE token_estimation_v2_events DROP CONSTRAINT",
            "PostgreSQL adoption: a constraint name from the catalog, quoted",
        ),
        (
            "crates/tel-store/src/legacy/postgres.rs",
            "ALTER TABLE token_estimation_v2_events ALTER COLUMN",
            "PostgreSQL adoption: a column name of the legacy table from the catalog, quoted",
        ),
        (
            "crates/tel-store/src/models/parents.rs",
            "SELECT COUNT(*) AS n FROM ",
            "parent rows: table and column names from the module's calls, quoted; the values are bound",
        ),
        (
            "crates/tel-store/src/models/parents.rs",
            "INSERT INTO ",
            "parent rows of the original's tables: column names from the catalog, quoted; the values are bound",
        ),
        (
            "crates/tel-store/src/models/parents.rs",
            ") SELECT ",
            "parent rows, PostgreSQL: the same quoted column list, read from json_populate_record",
        ),
        (
            "crates/tel-store/src/conn.rs",
            "PRAGMA busy_timeout = ",
            "an integer PRAGMA value: a PRAGMA takes no bound parameters",
        ),
        (
            "crates/tel-store/tests/store/fixture.rs",
            "DATABASE ",
            "a generated test database name: identifiers cannot be bound",
        ),
        (
            "crates/tel-cli/tests/cli/reliability.rs",
            "DATABASE ",
            "a generated test database name: identifiers cannot be bound",
        ),
        (
            "crates/tel-store/benches/store.rs",
            "DATABASE ",
            "a generated bench database name: identifiers cannot be bound",
        ),
        (
            "crates/tel-store/tests/store/legacy.rs",
            "SELECT event_id, typeof(",
            "column names from PRAGMA table_info, quoted: identifiers cannot be bound",
        ),
        (
            "crates/tel-store/tests/store/legacy.rs",
            "CREATE TABLE token_estimation_v2_events (",
            "legacy schema fixtures: the CHECK list and foreign keys are the variants under test",
        ),
        (
            "crates/tel-store/tests/store/legacy.rs",
            "CREATE INDEX ix_token_estimation_v2_run_id",
            "legacy schema fixtures: the tail of the same CREATE TABLE",
        ),
        (
            "crates/tel-replay/tests/replay/fuzz_inputs.rs",
            "DROP TABLE token_estimation_v2_events;--",
            "hostile input text (an injection attempt) fed to the importer, never run as SQL",
        ),
    ];

    /// Words that start an SQL statement, as written in this workspace (upper case).
    const SQL_WORDS: [&str; 8] = [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "ALTER ", "DROP ", "PRAGMA ",
    ];

    /// The ways Rust joins strings: a statement holding an SQL literal and one of these assembles SQL.
    const ASSEMBLY: [&str; 11] = [
        "format!",
        "format_args!",
        "concat!",
        ".concat()",
        ".join(",
        "push_str(",
        "write!",
        "writeln!",
        " + ",
        "+=",
        ".replace(",
    ];

    /// The SQL assembled from strings in `text`: `(line, literal)` for each SQL literal in a statement that
    /// also joins strings.
    fn assembled_sql(text: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        for statement in statements(text) {
            if !ASSEMBLY.iter().any(|a| statement.code.contains(a)) {
                continue;
            }
            for literal in &statement.literals {
                if SQL_WORDS.iter().any(|w| literal.contains(w)) {
                    found.push((statement.line, literal.clone()));
                }
            }
        }
        found
    }

    #[test]
    fn the_sql_assembly_check_sees_every_spelling() {
        for (spelling, code) in [
            (
                "format!",
                r#"let q = format!("SELECT * FROM t WHERE id = {id}");"#,
            ),
            (
                "concat!",
                r#"const Q: &str = concat!("DELETE FROM ", "t");"#,
            ),
            (".concat()", r#"let q = ["DROP TABLE ", name].concat();"#),
            (
                "push_str",
                r#"let mut q = String::new(); q.push_str("UPDATE t SET x = 1");"#,
            ),
            (
                "+",
                r#"let q = "INSERT INTO t VALUES (".to_owned() + &v + ")";"#,
            ),
            (
                "split lines",
                "diesel::sql_query(\n    format!(\n        \"PRAGMA table_info({})\",\n        t\n    ),\n)\n.load(c);",
            ),
        ] {
            assert_eq!(
                assembled_sql(code).len(),
                1,
                "{spelling} not caught: {code}"
            );
        }
        for fine in [
            r#"diesel::sql_query("SELECT name FROM t WHERE id = ?").bind::<Text, _>(id).load(c);"#,
            r#"let c = '"'; let s = "SELECT 1"; // format!("DROP {x}")"#,
            r#"let msg = format!("{} rows", n); let q = "SELECT 1";"#,
        ] {
            assert!(assembled_sql(fine).is_empty(), "false alarm: {fine}");
        }
    }

    #[test]
    fn no_sql_is_assembled_from_strings() {
        let mut offenders = Vec::new();
        let mut allowed_used = vec![false; SQL_ASSEMBLY_ALLOWED.len()];
        for path in rust_files() {
            let name = relative(&path);
            if name == "xtask/src/tidy.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (line, literal) in assembled_sql(&text) {
                let allowed = SQL_ASSEMBLY_ALLOWED
                    .iter()
                    .position(|(file, snippet, _)| *file == name && literal.contains(snippet));
                match allowed {
                    Some(k) => allowed_used[k] = true,
                    None => offenders.push(format!("{name}:{line}: {literal:?}")),
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "SQL assembled from strings (bind values; splice only what SQL cannot bind, in SQL_ASSEMBLY_ALLOWED): {offenders:#?}"
        );
        let stale: Vec<_> = SQL_ASSEMBLY_ALLOWED
            .iter()
            .zip(allowed_used)
            .filter(|(_, used)| !used)
            .map(|((file, snippet, _), _)| format!("{file}: {snippet:?}"))
            .collect();
        assert!(
            stale.is_empty(),
            "allow-list entries that match nothing: {stale:#?}"
        );
    }

    #[test]
    fn the_installed_release_build_carries_no_debug_info() {
        let manifest: toml::Value =
            toml::from_str(&std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap())
                .unwrap();
        let profiles = &manifest["profile"];
        // `cargo install` builds `release`: line tables there made the installed binary about 50 MB.
        assert_eq!(
            profiles["release"].get("debug"),
            Some(&toml::Value::Boolean(false)),
            "[profile.release] must not carry debug info"
        );
        assert_eq!(profiles["profiling"]["inherits"].as_str(), Some("release"));
        assert_eq!(
            profiles["profiling"]["debug"].as_str(),
            Some("line-tables-only")
        );
    }

    /// The section id at the start of `text`: `F2.3`, `B11`, `A2.6`, `Part B`, `C` (a trailing `.` dropped).
    fn section_id(text: &str) -> String {
        let token = |t: &str| -> String {
            t.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '§'))
                .collect::<String>()
                .trim_end_matches('.')
                .to_owned()
        };
        let first = token(text);
        match text.strip_prefix("Part ") {
            Some(rest) => format!("Part {}", token(rest)),
            None => first,
        }
    }

    /// The sections of `doc` (e.g. `METRICS.md`) that `text` cites as `<doc> <section>`.
    fn cited_sections(text: &str, doc: &str) -> Vec<String> {
        let needle = format!("{doc} ");
        text.match_indices(&needle)
            .map(|(at, _)| section_id(&text[at + needle.len()..]))
            .filter(|section| {
                section
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase() || c == '§')
            })
            .collect()
    }

    #[test]
    fn code_cites_the_repositorys_docs_not_the_external_spec_and_cited_sections_exist() {
        let mut offenders = Vec::new();
        // The original's spec files are not in the repository: code cites the docs that describe them.
        let external = [
            ["telemetry", ".md"].concat(),
            ["analysis", ".md"].concat(),
            ["estimator-v2", ".md"].concat(),
        ];
        let docs: Vec<(&str, Vec<String>)> = ["FORMATS.md", "METRICS.md", "ESTIMATOR.md"]
            .into_iter()
            .map(|doc| {
                let text =
                    std::fs::read_to_string(workspace_root().join("docs").join(doc)).unwrap();
                let headings = text
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| section_id(l.trim_start_matches('#').trim_start()))
                    .collect();
                (doc, headings)
            })
            .collect();
        assert!(docs[0].1.contains(&"F2.3".to_owned()), "{:?}", docs[0].1);
        assert!(docs[1].1.contains(&"Part B".to_owned()), "{:?}", docs[1].1);
        assert!(docs[2].1.contains(&"§9.3".to_owned()), "{:?}", docs[2].1);
        for path in rust_files() {
            let text = std::fs::read_to_string(&path).unwrap();
            for spec in &external {
                if text.contains(spec.as_str()) {
                    offenders.push(format!("{}: cites {spec}", relative(&path)));
                }
            }
            for (doc, headings) in &docs {
                for section in cited_sections(&text, doc) {
                    if !headings.contains(&section) {
                        offenders.push(format!(
                            "{}: {doc} {section} does not exist",
                            relative(&path)
                        ));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
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

    /// A group of tel-replay's modules as its `lib.rs` documents it: name, the groups it may use, its modules
    /// (for `analysis`, in the order in which each may use only those before it).
    struct Group {
        name: String,
        uses: Vec<String>,
        modules: Vec<String>,
    }

    /// The `//! - **group** (uses …): `module`, … — why` lines of tel-replay's `lib.rs`.
    fn tel_replay_groups(lib: &str) -> Vec<Group> {
        let mut items: Vec<String> = Vec::new();
        for line in lib.lines().map_while(|l| l.strip_prefix("//!")) {
            if let Some(item) = line.strip_prefix(" - **") {
                items.push(item.to_owned());
            } else if let (Some(last), Some(more)) = (items.last_mut(), line.strip_prefix("   ")) {
                last.push(' ');
                last.push_str(more);
            }
        }
        let mut groups: Vec<Group> = items
            .iter()
            .map(|item| {
                let (name, rest) = item.split_once("** (uses ").expect("`**group** (uses …)`");
                let (uses, rest) = rest.split_once("): ").expect("`(uses …): `");
                let listed = rest.split(" — ").next().unwrap_or_default();
                Group {
                    name: name.to_owned(),
                    uses: uses
                        .split(", ")
                        .filter(|u| *u != "nothing else")
                        .map(str::to_owned)
                        .collect(),
                    modules: listed
                        .split('`')
                        .skip(1)
                        .step_by(2)
                        .map(str::to_owned)
                        .collect(),
                }
            })
            .collect();
        let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
        for group in &mut groups {
            if group.uses == ["every group"] {
                group.uses = names.clone();
            }
        }
        groups
    }

    /// The module paths (from the crate root) that `text`, the file of module `module`, refers to through
    /// `crate::`, `super::` or one of the child modules it declares.
    fn module_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
        let ident = |s: &str| -> Vec<String> {
            let mut segments = Vec::new();
            let mut rest = s;
            loop {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if end == 0 {
                    break;
                }
                segments.push(rest[..end].to_owned());
                match rest[end..].strip_prefix("::") {
                    Some(more) => rest = more,
                    None => break,
                }
            }
            segments
        };
        let children: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim().strip_prefix("pub ").unwrap_or(l.trim());
                l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
            })
            .collect();
        // `super::` names the parent of the file's module (`a/mod.rs` is module `a`, `a/b.rs` module `a::b`).
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        // Unit tests (inline `mod tests`, where `super::` means the file itself) are not the module's
        // dependencies, and a `pub use` only names a child in the module's facade.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("pub use "))
            .map(|l| format!("{l}\n"))
            .collect();
        let text = code.as_str();
        let mut paths = Vec::new();
        for (i, _) in text.char_indices() {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &text[i..];
            if let Some(path) = rest.strip_prefix("crate::") {
                paths.push(ident(path));
            } else if let Some(path) = rest.strip_prefix("super::") {
                if ident(path).is_empty() {
                    continue;
                }
                let mut full = parent.clone();
                full.extend(ident(path));
                paths.push(full);
            } else {
                let first = ident(rest);
                if first.len() > 1 && children.contains(&first[0]) {
                    let mut full = module.to_vec();
                    full.extend(first);
                    paths.push(full);
                }
            }
        }
        paths
    }

    #[test]
    fn tel_replay_modules_depend_only_in_the_documented_directions() {
        let src = workspace_root().join("crates/tel-replay/src");
        let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        let groups = tel_replay_groups(&lib);
        assert!(groups.len() >= 5, "lib.rs documents too few groups");
        // The listed module a path falls in (the longest listed prefix), with its group and rank.
        let place = |path: &[String]| -> Option<(&Group, usize, usize)> {
            let mut best: Option<(&Group, usize, usize)> = None;
            for group in &groups {
                for (rank, listed) in group.modules.iter().enumerate() {
                    let segments: Vec<&str> = listed.split("::").collect();
                    let matches = path.len() >= segments.len()
                        && segments.iter().zip(path).all(|(a, b)| a == b);
                    if matches && best.is_none_or(|(_, _, len)| segments.len() > len) {
                        best = Some((group, rank, segments.len()));
                    }
                }
            }
            best
        };
        let mut offenders = Vec::new();
        for line in lib.lines() {
            let line = line.strip_prefix("pub ").unwrap_or(line);
            if let Some(name) = line.strip_prefix("mod ").and_then(|l| l.strip_suffix(';'))
                && place(&[name.to_owned()]).is_none()
            {
                offenders.push(format!("lib.rs: module {name} is in no group"));
            }
        }
        for path in rust_files()
            .into_iter()
            .filter(|p| p.starts_with(&src) && !p.ends_with("lib.rs"))
        {
            let text = std::fs::read_to_string(&path).unwrap();
            let relative_path = path.strip_prefix(&src).unwrap();
            let module: Vec<String> = relative_path
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| s != "mod")
                .collect();
            let Some((from, from_rank, _)) = place(&module) else {
                offenders.push(format!("{}: in no group", relative(&path)));
                continue;
            };
            if from.name != "db" && text.contains("tel_store") {
                offenders.push(format!("{}: uses tel_store outside db", relative(&path)));
            }
            for target in module_paths(&text, &module) {
                let Some((to, to_rank, _)) = place(&target) else {
                    continue;
                };
                let allowed = if from.name == to.name {
                    from.name != "analysis" || to_rank <= from_rank
                } else {
                    from.uses.contains(&to.name)
                };
                if !allowed {
                    offenders.push(format!(
                        "{} ({}) uses {} ({})",
                        relative(&path),
                        from.name,
                        target.join("::"),
                        to.name
                    ));
                }
            }
        }
        offenders.sort();
        offenders.dedup();
        assert!(offenders.is_empty(), "{offenders:#?}");
    }

    #[test]
    fn the_module_check_sees_crate_super_and_child_paths() {
        let module = ["calibrate".to_owned(), "events".to_owned()];
        let text = "mod inner;\nuse crate::simulate::SimEvent;\nuse super::model::Stratum;\nfn f() { inner::g(); }";
        let paths = module_paths(text, &module);
        let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
        assert_eq!(
            joined,
            [
                "simulate::SimEvent",
                "calibrate::model::Stratum",
                "calibrate::events::inner::g"
            ]
        );
    }

    /// The workspace's crate-to-crate edges as `cargo tree` sees them: `crate -> dependency`.
    fn workspace_edges() -> std::collections::BTreeSet<String> {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["tree", "-e", "normal", "--workspace", "--depth", "1"])
            .args(["--prefix", "depth", "--no-dedupe"])
            .current_dir(workspace_root())
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "cargo tree failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let root = workspace_root().display().to_string();
        let mut edges = std::collections::BTreeSet::new();
        let mut current = String::new();
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            // Workspace members are the packages with a path under the workspace.
            if !line.contains(&format!("({root}")) {
                continue;
            }
            let name = line[1..].split_whitespace().next().unwrap_or_default();
            match &line[..1] {
                "0" => current = name.to_owned(),
                "1" => {
                    edges.insert(format!("{current} -> {name}"));
                }
                _ => {}
            }
        }
        edges
    }

    #[test]
    fn the_architecture_docs_dependency_graph_is_cargo_trees() {
        let doc = std::fs::read_to_string(workspace_root().join("docs/ARCHITECTURE.md")).unwrap();
        let (_, after) = doc
            .split_once("<!-- crate graph: checked by tidy against cargo tree -->\n```text\n")
            .expect("ARCHITECTURE.md has the marked crate graph");
        let block = after.split("```").next().unwrap_or_default();
        let mut documented = std::collections::BTreeSet::new();
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let (from, to) = line.split_once(" -> ").expect("`crate -> a, b` lines");
            for dep in to.split(", ") {
                documented.insert(format!("{} -> {}", from.trim(), dep.trim()));
            }
        }
        let actual = workspace_edges();
        assert!(actual.len() >= 5, "{actual:?}");
        assert_eq!(documented, actual, "docs/ARCHITECTURE.md's crate graph");
    }

    #[test]
    fn tel_cli_modules_stay_thin() {
        // The binary parses arguments and prints; a module past this size has grown behaviour that belongs
        // in a library, where another crate can call it and a test can reach it without a process.
        const MAX_LINES: usize = 250;
        let cli = workspace_root().join("crates/tel-cli/src");
        let fat: Vec<String> = rust_files()
            .into_iter()
            .filter(|p| p.starts_with(&cli))
            .filter_map(|p| {
                let lines = std::fs::read_to_string(&p).unwrap().lines().count();
                (lines > MAX_LINES).then(|| format!("{}: {lines} lines", relative(&p)))
            })
            .collect();
        assert!(
            fat.is_empty(),
            "tel-cli modules over {MAX_LINES} lines: {fat:#?}"
        );
    }

    #[test]
    fn tel_cli_reads_and_writes_events_only_through_the_libraries() {
        let cli = workspace_root().join("crates/tel-cli/src");
        let offenders: Vec<String> = rust_files()
            .into_iter()
            .filter(|p| p.starts_with(&cli))
            .filter(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                [
                    "for_each_event",
                    "count_events",
                    "count_matching_events",
                    "write_transaction",
                    "insert_events",
                ]
                .iter()
                .any(|call| text.contains(call))
            })
            .map(|p| relative(&p))
            .collect();
        assert!(
            offenders.is_empty(),
            "tel-cli reads or writes events itself: {offenders:#?}"
        );
    }

    #[test]
    fn tel_core_depends_only_on_serde_serde_json_and_thiserror() {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["tree", "-e", "normal", "-p", "tel-core", "--depth", "1"])
            .args(["--prefix", "depth"])
            .current_dir(workspace_root())
            .output()
            .expect("cargo tree runs");
        assert!(output.status.success());
        let direct: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix('1'))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert_eq!(direct, ["serde", "serde_json", "thiserror"]);
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

//! Issue 13's acceptance: the whole day-two story through the `tel` binary, on SQLite (a copy of the
//! real legacy snapshot) and on PostgreSQL (a database built from the original ORM's DDL): reading
//! commands change nothing, `tel migrate`, events for known and unknown runs stored, every export
//! re-imported as 0 new, a spool fault healed by the recorder alone, truncation counted by every
//! provider's spelling.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Instant;

use diesel::connection::SimpleConnection as _;
use diesel::sql_types::Text;
use diesel::{Connection as _, PgConnection, QueryableByName, RunQueryDsl as _, SqliteConnection};

use crate::adopted::{counts, stdout, tel};
use crate::read_only::{entries, header_journal, sha256_of};
use crate::reliability::PgDatabase;
use crate::support::{real_data, tel_here};

/// The original's ORM database, as the store's adoption test builds it.
const ORIGINAL_ORM: &str = include_str!("../../../tel-store/tests/store/original_orm_postgres.sql");

/// Every command that only reads, as `read_only.rs` runs them one by one.
const READING: [&[&str]; 9] = [
    &["status"],
    &["migrate", "--status"],
    &["migrate", "--dry-run"],
    &["report"],
    &["export"],
    &["replay"],
    &["coverage"],
    &["calibrate"],
    &["simulate", "--policy", "select-budget:v2-precal"],
];

/// tel-core's truncation spellings (`stop_reason.rs`), as each provider writes them.
const TRUNCATION_SPELLINGS: [&str; 6] = [
    "max_tokens",                    // Anthropic, Bedrock Converse
    "length",                        // OpenAI Chat Completions, Mistral
    "MAX_TOKENS",                    // Gemini, Vertex AI, Cohere
    "model_context_window_exceeded", // Anthropic, Bedrock Converse
    "max_output_tokens",             // OpenAI Responses
    "model_length",                  // Mistral
];

/// Completion spellings of several providers: never truncated.
const COMPLETION_SPELLINGS: [&str; 4] = ["end_turn", "stop", "STOP", "tool_calls"];

/// What the story needs to know about one backend.
struct Legacy {
    url: String,
    /// The SQLite file, `None` on PostgreSQL.
    file: Option<PathBuf>,
    work: tempfile::TempDir,
    /// A run and phase the original created.
    known: (&'static str, &'static str),
    events: i64,
    /// `tel report --json` on the adopted database: (truncated, non-truncated, excluded as total usage).
    report: (i64, i64, i64),
}

#[derive(QueryableByName)]
struct Digest {
    #[diesel(sql_type = Text)]
    digest: String,
}

/// PostgreSQL: one digest of the schema (columns, constraints with their validation, indexes, enum
/// labels) and of every row of every table, computed by the server.
const PG_DIGEST: &str = "SELECT md5(string_agg(line, E'\\n' ORDER BY line)) AS digest FROM ( \
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
        || ' ' || coalesce(column_default, '') AS line \
      FROM information_schema.columns WHERE table_schema = current_schema() \
    UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' \
        || pg_get_constraintdef(oid) || ' ' || convalidated::text \
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
    UNION ALL SELECT 'enum ' || enumtypid::regtype::text || ' ' || enumlabel FROM pg_enum \
    UNION ALL SELECT 'rows ' || table_name || ' ' || (xpath('/row/d/text()', query_to_xml( \
        'SELECT md5(coalesce(string_agg(t::text, E''\\n'' ORDER BY t::text), '''')) AS d FROM ' \
        || quote_ident(table_name) || ' t', false, true, '')))[1]::text \
      FROM information_schema.tables \
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') lines";

impl Legacy {
    /// What a reading command must leave as it was. SQLite: the file's SHA-256 and the files beside
    /// it (`with_neighbours`: no `-wal`/`-shm`/`-journal` may appear; a WAL database's reader needs
    /// them, docs/STORE.md). PostgreSQL: [`PG_DIGEST`].
    fn fingerprint(&self, with_neighbours: bool) -> String {
        match &self.file {
            Some(file) => {
                let mut print = format!("{:x?}", sha256_of(file));
                if with_neighbours {
                    print.push_str(&entries(self.work.path()).join(","));
                }
                print
            }
            None => {
                let mut conn = PgConnection::establish(&self.url).unwrap();
                diesel::sql_query(PG_DIGEST)
                    .get_result::<Digest>(&mut conn)
                    .unwrap()
                    .digest
            }
        }
    }

    /// Runs every reading command: each exits `code(args)` and leaves the fingerprint alone.
    fn read_everything(&self, with_neighbours: bool, code: impl Fn(&[&str]) -> i32) {
        let before = self.fingerprint(with_neighbours);
        for args in READING {
            let mut all = args.to_vec();
            all.extend(["--database-url", &self.url]);
            let out = tel_here(&all);
            assert_eq!(out.status.code(), Some(code(args)), "{args:?}: {out:?}");
            assert_eq!(
                self.fingerprint(with_neighbours),
                before,
                "{args:?} changed the database"
            );
        }
    }

    /// Another connection holding the lock every write needs, until it is dropped. SQLite: an open
    /// `BEGIN IMMEDIATE` (the write lock); PostgreSQL: the telemetry table locked ACCESS EXCLUSIVE.
    fn hold_write_lock(&self) -> Box<dyn std::any::Any> {
        match &self.file {
            Some(file) => {
                let mut conn = SqliteConnection::establish(file.to_str().unwrap()).unwrap();
                conn.batch_execute("BEGIN IMMEDIATE").unwrap();
                Box::new(conn)
            }
            None => {
                let mut conn = PgConnection::establish(&self.url).unwrap();
                conn.batch_execute(
                    "BEGIN; LOCK TABLE token_estimation_v2_events IN ACCESS EXCLUSIVE MODE",
                )
                .unwrap();
                Box::new(conn)
            }
        }
    }

    fn spool(&self) -> PathBuf {
        self.work.path().join("spool.ndjson")
    }

    /// `tel record --force --event EVENT` with the story's spool: stdout's one line.
    fn record(&self, event: &serde_json::Value) -> String {
        let spool = self.spool();
        stdout(&tel(
            &self.url,
            &[
                "record",
                "--force",
                "--spool",
                spool.to_str().unwrap(),
                "--event",
                &event.to_string(),
            ],
        ))
    }

    fn spool_lines(&self) -> usize {
        std::fs::read_to_string(self.spool()).map_or(0, |text| text.lines().count())
    }
}

/// An event as `tel record --event` takes it. Only the spelling may decide truncation: a truncated
/// one stops below its ceiling, a completed one exactly at it.
fn event(run: &str, phase: &str, stop_reason: &str, truncated: bool) -> serde_json::Value {
    serde_json::json!({
        "run_id": run, "phase_id": phase, "category": "implementation", "complexity": "medium",
        "deliverables": ["src/a.py"], "predicted_output_tokens": 3000,
        "actual_output_tokens": if truncated { 3500 } else { 4096 }, "actual_max_tokens": 4096,
        "selected_budget": 4096, "success": !truncated, "truncated": false,
        "stop_reason": stop_reason, "model": "day-two-model",
    })
}

/// `tel report --json`'s accuracy section.
fn accuracy(url: &str) -> serde_json::Value {
    let report: serde_json::Value =
        serde_json::from_slice(&tel(url, &["report", "--json"]).stdout).unwrap();
    report["accuracy"].clone()
}

/// How many lines of `tel export --extended` hold `needle`.
fn exported_lines_with(url: &str, needle: &str) -> usize {
    stdout(&tel(url, &["export", "--extended"]))
        .lines()
        .filter(|line| line.contains(needle))
        .count()
}

fn day_two(legacy: &Legacy, legacy_keys: &str) {
    let started = Instant::now();
    let url = legacy.url.as_str();

    // 1. Beside the original, reading changes nothing; on the unadopted database only status and
    //    migrate's plan answer, the others ask for `tel migrate` (exit 1).
    let legacy_print = legacy.fingerprint(false);
    legacy.read_everything(true, |args| match args[0] {
        "status" | "migrate" => 0,
        _ => 1,
    });
    if let Some(file) = &legacy.file {
        assert_eq!(header_journal(file), "rollback");
    }

    // 2. Adoption: every legacy row keyed from its stored values.
    let migrated = stdout(&tel(url, &["migrate"]));
    assert!(migrated.contains(legacy_keys), "{migrated}");
    let (runs, phases, events) = counts(url);
    assert_eq!(events, legacy.events);
    let n = |v: &serde_json::Value, key: &str| v[key].as_i64().unwrap();
    let base = accuracy(url);
    assert_eq!(n(&base, "events"), legacy.events);
    let (truncated, non_truncated, total_usage) = legacy.report;
    assert_eq!(
        (
            n(&base, "truncated"),
            n(&base, "non_truncated"),
            n(&base["excluded"], "total_usage")
        ),
        legacy.report,
        "{base}"
    );
    // The fingerprint sees adoption (and below, new rows): its equality means something.
    let adopted = legacy.fingerprint(false);
    assert_ne!(adopted, legacy_print);

    // 3. Events for a run and phase the original made, and for a run and phase it never had: all
    //    stored, none spooled; tel creates the new run and phase once.
    let (run, phase) = legacy.known;
    let spellings = TRUNCATION_SPELLINGS.iter().map(|reason| (reason, true));
    let spellings = spellings.chain(COMPLETION_SPELLINGS.iter().map(|reason| (reason, false)));
    for (i, (reason, truncated)) in spellings.enumerate() {
        let (r, p) = if i % 2 == 0 {
            (run, phase)
        } else {
            ("day-two-run", "day-two-phase")
        };
        let e = event(r, p, reason, truncated);
        let out = legacy.record(&e);
        assert!(out.starts_with("stored event "), "{e}: {out}");
    }
    assert_eq!(legacy.spool_lines(), 0, "nothing spooled");
    let stored = legacy.events + 10;
    assert_eq!(counts(url), (runs + 1, phases + 1, stored));
    assert_ne!(legacy.fingerprint(false), adopted);

    // 4. Every export format re-imports into the same database as 0 new.
    for (name, args) in [
        ("original.ndjson", &["export"][..]),
        ("extended.ndjson", &["export", "--extended"][..]),
        ("original.csv", &["export", "--format", "csv"][..]),
    ] {
        let file = legacy.work.path().join(name);
        let file = file.to_str().unwrap();
        let mut export = args.to_vec();
        export.extend(["--output", file]);
        tel(url, &export);
        let imported = stdout(&tel(url, &["import", file]));
        let expected = format!("0 new, {stored} already present");
        assert!(imported.starts_with(&expected), "{name}: {imported}");
        assert_eq!(counts(url), (runs + 1, phases + 1, stored), "{name}");
    }

    // 5. A write refused for real (another connection holds the lock past the recorder's bound) is
    //    spooled; once the lock is gone the next event is stored and the recorder writes the
    //    spooled one back: no `tel spool replay`.
    let lock = legacy.hold_write_lock();
    let out = legacy.record(&event(run, "day-two-spooled", "end_turn", false));
    assert!(out.starts_with("spooled to "), "{out}");
    assert_eq!(legacy.spool_lines(), 1);
    drop(lock);
    let out = legacy.record(&event(run, "day-two-after", "COMPLETE", false));
    assert!(out.starts_with("stored event "), "{out}");
    assert_eq!(legacy.spool_lines(), 0, "the recorder drained the spool");
    // Exactly once, under the original's run, in two new phases of it.
    assert_eq!(counts(url), (runs + 1, phases + 3, stored + 2));
    for phase in ["day-two-spooled", "day-two-after"] {
        let needle = format!(r#""phase_id": "{phase}""#);
        assert_eq!(exported_lines_with(url, &needle), 1, "{phase} stored once");
    }

    // 6. Truncation by every provider's spelling, the completed spellings not.
    let after = accuracy(url);
    assert_eq!(n(&after, "events"), legacy.events + 12);
    assert_eq!(n(&after, "truncated"), truncated + 6, "{after}");
    assert_eq!(n(&after, "non_truncated"), non_truncated + 6, "{after}");
    assert_eq!(n(&after["excluded"], "total_usage"), total_usage, "{after}");
    assert_eq!(after["truncation_unknown"], base["truncation_unknown"]);
    assert_eq!(after["excluded"], base["excluded"]);

    // 7. And reading the live, adopted database still changes none of its rows.
    legacy.read_everything(false, |_| 0);
    eprintln!(
        "day_two: {} took {:.1} s",
        if legacy.file.is_some() {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn day_two_on_the_real_sqlite_snapshot() {
    let Some(real) = real_data() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("snapshot.db");
    std::fs::copy(real.join("autopack-legacy-2025-12-24.db"), &file).unwrap();
    // A writable copy: a read-only one would hide a command that writes.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let legacy = Legacy {
        url: file.to_str().unwrap().to_owned(),
        file: Some(file),
        work,
        known: ("research-system-v9", "research-testing-polish"),
        events: 28,
        // The 14 rows the original stopped at `max_tokens` (flagged truncated) and 14 `end_turn`.
        report: (14, 14, 0),
    };
    day_two(
        &legacy,
        "idempotency keys (version 2) computed from stored values: 28 rows",
    );
}

#[test]
fn day_two_on_the_original_orm_postgres_database() {
    let Some(db) = PgDatabase::create_named("day_two") else {
        return;
    };
    PgConnection::establish(&db.url)
        .unwrap()
        .batch_execute(ORIGINAL_ORM)
        .unwrap();
    let legacy = Legacy {
        url: db.url.clone(),
        file: None,
        work: tempfile::tempdir().unwrap(),
        known: (
            "build129-p3-week1-telemetry",
            "build129-p3-w1.9-documentation-low-5files",
        ),
        events: 5,
        // Two `max_tokens` rows, two `end_turn`; the original's row without a stop reason is
        // excluded as total usage by the legacy heuristics (tel's own rows never are).
        report: (2, 2, 1),
    };
    day_two(
        &legacy,
        "idempotency keys (version 2) computed from stored values: 5 rows",
    );
}

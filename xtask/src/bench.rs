//! `cargo xtask bench`: tel's import, replay and export timed as whole processes against SQLite's own CLI on
//! the same generated rows (alternating, median of several rounds), plus the recorder's single-event latency;
//! writes the table into docs/PERFORMANCE.md between marker comments.

mod measure;
mod postgres;
mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use clap::Args;

use measure::{GNU_TIME, Job, Sample, median};
use postgres::ScratchPg;
use report::{Comparison, Machine, RecorderLatency, Report};

/// Seed of the generated data: every run of the bench measures the same events.
const SEED: &str = "1";

/// Records timed by the recorder latency example.
const RECORDS: &str = "10000";

/// The sqlite3 anchor of the replays: read every row and column, as tel's replay must.
const SELECT_ALL: &str = "SELECT * FROM token_estimation_v2_events";

/// The sqlite3 anchor of the export: the export's 17 columns, in its order (newest first).
const SELECT_EXPORT: &str = "SELECT run_id, phase_id, timestamp, category, complexity, deliverable_count, \
deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, \
stop_reason, model, smape_percent, waste_ratio, underestimated FROM token_estimation_v2_events \
ORDER BY timestamp DESC, event_id DESC";

/// Arguments of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Event counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    events: Vec<u64>,
    /// Rounds per comparison; the median wall time is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Replace the table between the bench markers of docs/PERFORMANCE.md instead of only printing it.
    #[arg(long)]
    write: bool,
}

/// Runs the bench and prints (or writes) the report.
pub fn run(root: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    if args.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    require_tools()?;
    let workdir = root.join("target/tel-bench");
    fs::create_dir_all(&workdir).with_context(|| format!("cannot create {}", workdir.display()))?;
    // The `profiling` profile: release code generation with line tables, so a slow run can be profiled
    // with the very binary that was timed (the installed release build carries no debug info).
    eprintln!("bench: building tel (profiling profile) and the recorder latency example");
    cargo_release(
        root,
        &[
            "build",
            "--profile",
            "profiling",
            "--quiet",
            "-p",
            "tel-cli",
            "-p",
            "tel-store",
            "--bin",
            "tel",
            "--example",
            "recorder_latency",
        ],
    )?;
    let tel = root.join("target/profiling/tel");
    let bench = Bench {
        tel: tel.clone(),
        dir: workdir.clone(),
        rounds: args.rounds,
        pg: ScratchPg::from_env(),
    };
    let load_before = Machine::load_average();
    let mut comparisons = Vec::new();
    for &n in &args.events {
        comparisons.extend(bench.at(n)?);
    }
    let recorder =
        bench.recorder_latency(&root.join("target/profiling/examples/recorder_latency"))?;
    let command = command_line(args);
    let report = Report {
        machine: Machine::current(load_before),
        command,
        rounds: args.rounds,
        comparisons,
        recorder,
    };
    let markdown = report.markdown();
    print!("{markdown}");
    if args.write {
        let doc = root.join("docs/PERFORMANCE.md");
        report::replace_between_markers(&doc, &markdown)?;
        eprintln!("bench: wrote {}", doc.display());
    }
    Ok(())
}

/// Fails with an installation hint when sqlite3 or GNU time is missing.
fn require_tools() -> anyhow::Result<()> {
    let sqlite3 = Command::new("sqlite3")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    if !sqlite3.is_ok_and(|s| s.success()) {
        bail!(
            "sqlite3 is missing: the bench compares tel with SQLite's own CLI (apt-get install -y sqlite3)"
        );
    }
    if !Path::new(GNU_TIME).is_file() {
        bail!(
            "{GNU_TIME} is missing: it measures CPU time and peak RSS per process (apt-get install -y time)"
        );
    }
    Ok(())
}

/// `cargo <args>` from the workspace root.
fn cargo_release(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed with {status}", args.join(" "));
    }
    Ok(())
}

/// The command that reproduces this report.
fn command_line(args: &BenchArgs) -> String {
    let events: Vec<String> = args.events.iter().map(u64::to_string).collect();
    let mut command = ["cargo xtask bench --events ", &events.join(",")].concat();
    if args.rounds != 3 {
        command.push_str(&[" --rounds ", &args.rounds.to_string()].concat());
    }
    command.push_str(" --write");
    command
}

/// The tel binary, the scratch directory, the number of rounds and the PostgreSQL database, if any.
struct Bench {
    tel: PathBuf,
    dir: PathBuf,
    rounds: usize,
    pg: Option<ScratchPg>,
}

/// What must happen before each timed run of a job.
#[derive(Debug, Clone, Copy)]
enum Fresh<'a> {
    /// Nothing: the job reads.
    Nothing,
    /// This SQLite file is recreated and migrated.
    Sqlite(&'a Path),
    /// The PostgreSQL scratch database is recreated and migrated.
    Postgres,
}

impl Bench {
    /// Every comparison at `n` events.
    fn at(&self, n: u64) -> anyhow::Result<Vec<Comparison>> {
        eprintln!("bench: {n} events: generating and preparing");
        let ndjson = self.file(n, "events.ndjson");
        self.generate(n, &ndjson)?;
        // The read benchmarks' database, imported by tel once; its rows are the anchor's CSV.
        let data = self.file(n, "data.db");
        self.fresh_database(&data)?;
        self.tel_job(&[
            "import",
            "--quiet",
            "--database-url",
            &url(&data),
            &path(&ndjson),
        ])
        .time(&self.file(n, "rusage"))?;
        let tables = self.dump_csv(n, &data)?;
        let script = self.sqlite_import_script(n, &tables)?;

        let import_db = self.file(n, "import.db");
        let tel_import = self.tel_job(&[
            "import",
            "--quiet",
            "--database-url",
            &url(&import_db),
            &path(&ndjson),
        ]);
        let sqlite_import = Job::new("sqlite3", &[&path(&import_db)]).stdin(&script);
        let select_all = Job::new("sqlite3", &[&path(&data), SELECT_ALL]);
        let data_url = url(&data);
        let mut comparisons = vec![self.compare(
            n,
            "import (NDJSON → indexed SQLite)",
            (&tel_import, Fresh::Sqlite(&import_db)),
            "sqlite3 .import (CSV, one transaction)",
            (&sqlite_import, Fresh::Sqlite(&import_db)),
        )?];
        for (task, args) in [
            ("replay --json", vec!["replay", "--json"]),
            ("replay --legacy", vec!["replay", "--legacy"]),
        ] {
            let mut args = args;
            args.extend(["--quiet", "--database-url", &data_url]);
            comparisons.push(self.compare(
                n,
                task,
                (&self.tel_job(&args), Fresh::Nothing),
                "sqlite3 SELECT *",
                (&select_all, Fresh::Nothing),
            )?);
        }
        let export = self.tel_job(&["export", "--quiet", "--database-url", &data_url]);
        let sqlite_json = Job::new("sqlite3", &["-json", &path(&data), SELECT_EXPORT]);
        comparisons.push(self.compare(
            n,
            "export (NDJSON)",
            (&export, Fresh::Nothing),
            "sqlite3 -json SELECT",
            (&sqlite_json, Fresh::Nothing),
        )?);
        if let Some(pg) = &self.pg {
            let copy_script = self.psql_copy_script(n, &tables)?;
            comparisons.extend(self.postgres_at(n, pg, &ndjson, &copy_script, &data_url)?);
        }
        Ok(comparisons)
    }

    /// The same tel commands on PostgreSQL: the import against `psql \\copy` of the same rows (`copy_script`), the
    /// reads each against itself on SQLite.
    fn postgres_at(
        &self,
        n: u64,
        pg: &ScratchPg,
        ndjson: &Path,
        copy_script: &Path,
        sqlite_url: &str,
    ) -> anyhow::Result<Vec<Comparison>> {
        const ON_SQLITE: &str = "the same tel command on SQLite";
        let import = self.tel_job(&[
            "import",
            "--quiet",
            "--database-url",
            &pg.url,
            &path(ndjson),
        ]);
        let psql_copy = Job::new(
            "psql",
            &[
                "--quiet",
                "--no-psqlrc",
                "-d",
                &pg.url,
                "-f",
                &path(copy_script),
            ],
        );
        // Whichever import runs last leaves the rows the read comparisons use: the same rows, keys included.
        let mut comparisons = vec![self.compare(
            n,
            "PostgreSQL: import",
            (&import, Fresh::Postgres),
            "psql \\copy (CSV, one transaction)",
            (&psql_copy, Fresh::Postgres),
        )?];
        for (task, command) in [
            ("PostgreSQL: replay --json", ["replay", "--json"].as_slice()),
            ("PostgreSQL: replay --legacy", &["replay", "--legacy"]),
            ("PostgreSQL: export", &["export"]),
        ] {
            let on = |url: &str| {
                let mut args = command.to_vec();
                args.extend(["--quiet", "--database-url", url]);
                self.tel_job(&args)
            };
            comparisons.push(self.compare(
                n,
                task,
                (&on(&pg.url), Fresh::Nothing),
                ON_SQLITE,
                (&on(sqlite_url), Fresh::Nothing),
            )?);
        }
        Ok(comparisons)
    }

    /// Times `tel` and `anchor` alternately, each after its [`Fresh`] preparation.
    fn compare(
        &self,
        n: u64,
        task: &'static str,
        tel: (&Job, Fresh<'_>),
        anchor_name: &'static str,
        anchor: (&Job, Fresh<'_>),
    ) -> anyhow::Result<Comparison> {
        eprintln!("bench: {n} events: {task}");
        let scratch = self.file(n, "rusage");
        let run = |(job, fresh): (&Job, Fresh<'_>)| -> anyhow::Result<Sample> {
            match fresh {
                Fresh::Nothing => {}
                Fresh::Sqlite(db) => self.fresh_database(db)?,
                Fresh::Postgres => self.fresh_postgres()?,
            }
            job.time(&scratch)
        };
        let (mut tel_samples, mut anchor_samples) = (Vec::new(), Vec::new());
        for round in 0..self.rounds {
            // Alternate who goes first, so neither always meets the other's cache state.
            if round % 2 == 0 {
                tel_samples.push(run(tel)?);
                anchor_samples.push(run(anchor)?);
            } else {
                anchor_samples.push(run(anchor)?);
                tel_samples.push(run(tel)?);
            }
        }
        Ok(Comparison {
            events: n,
            task,
            tel: median(&tel_samples),
            anchor_name,
            anchor: median(&anchor_samples),
        })
    }

    /// `tel generate --events n --seed SEED > file`, once per size.
    fn generate(&self, n: u64, file: &Path) -> anyhow::Result<()> {
        if file.is_file() {
            return Ok(());
        }
        let out =
            fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?;
        let status = Command::new(&self.tel)
            .args([
                "generate",
                "--quiet",
                "--events",
                &n.to_string(),
                "--seed",
                SEED,
            ])
            .stdout(out)
            .status()
            .context("cannot run tel generate")?;
        if !status.success() {
            let _ = fs::remove_file(file);
            bail!("tel generate failed with {status}");
        }
        Ok(())
    }

    /// Dumps `data`'s runs, phases and events as CSV (parents first), each with its column names: the rows both
    /// bulk-load anchors read.
    fn dump_csv(&self, n: u64, data: &Path) -> anyhow::Result<Vec<CsvTable>> {
        let sqlite3 = |query: &str, out: Stdio| -> anyhow::Result<Vec<u8>> {
            let output = Command::new("sqlite3")
                .args(["-csv", &path(data), query])
                .stdout(out)
                .output()
                .context("cannot run sqlite3")?;
            if !output.status.success() {
                bail!("sqlite3 -csv {query} failed with {}", output.status);
            }
            Ok(output.stdout)
        };
        let mut tables = Vec::new();
        for (table, query) in [
            ("runs", "SELECT * FROM runs"),
            ("phases", "SELECT * FROM phases"),
            ("token_estimation_v2_events", SELECT_ALL),
        ] {
            let csv = self.file(n, &[table, ".csv"].concat());
            let out = fs::File::create(&csv)
                .with_context(|| format!("cannot create {}", csv.display()))?;
            sqlite3(query, out.into())?;
            let names = sqlite3(
                &[
                    "SELECT name FROM pragma_table_info('",
                    table,
                    "') ORDER BY cid",
                ]
                .concat(),
                Stdio::piped(),
            )?;
            let columns = String::from_utf8_lossy(&names)
                .lines()
                .map(str::to_owned)
                .collect();
            tables.push(CsvTable {
                table,
                csv,
                columns,
            });
        }
        Ok(tables)
    }

    /// Writes the sqlite3 script importing `tables` into the same schema, in one transaction, with tel's
    /// connection settings (foreign keys, synchronous NORMAL).
    fn sqlite_import_script(&self, n: u64, tables: &[CsvTable]) -> anyhow::Result<PathBuf> {
        let mut script =
            String::from("PRAGMA foreign_keys=ON;\nPRAGMA synchronous=NORMAL;\nBEGIN;\n");
        for t in tables {
            script.push_str(&[".import --csv ", &path(&t.csv), " ", t.table, "\n"].concat());
        }
        script.push_str("COMMIT;\n");
        self.write_script(n, "import.sql", &script)
    }

    /// Writes the psql script loading `tables` into the same schema on PostgreSQL with `\copy` (COPY FROM
    /// STDIN), in one transaction; the CSV's columns are named, PostgreSQL's column order being its own.
    fn psql_copy_script(&self, n: u64, tables: &[CsvTable]) -> anyhow::Result<PathBuf> {
        let mut script = String::from("\\set ON_ERROR_STOP on\nBEGIN;\n");
        for t in tables {
            let columns: Vec<String> = t.columns.iter().map(|c| ["\"", c, "\""].concat()).collect();
            script.push_str(
                &[
                    "\\copy ",
                    t.table,
                    " (",
                    &columns.join(", "),
                    ") FROM '",
                    &path(&t.csv).replace('\'', "''"),
                    "' WITH (FORMAT csv)\n",
                ]
                .concat(),
            );
        }
        script.push_str("COMMIT;\n");
        self.write_script(n, "import.psql", &script)
    }

    /// Writes a scratch script of size `n`.
    fn write_script(&self, n: u64, name: &str, script: &str) -> anyhow::Result<PathBuf> {
        let file = self.file(n, name);
        fs::write(&file, script).with_context(|| format!("cannot write {}", file.display()))?;
        Ok(file)
    }

    /// Deletes `db` (and its WAL files) and creates tel's schema in it.
    fn fresh_database(&self, db: &Path) -> anyhow::Result<()> {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from([path(db), suffix.to_owned()].concat());
            if file.exists() {
                fs::remove_file(&file)
                    .with_context(|| format!("cannot remove {}", file.display()))?;
            }
        }
        self.migrate(&url(db))
    }

    /// Recreates the PostgreSQL scratch database and creates tel's schema in it.
    fn fresh_postgres(&self) -> anyhow::Result<()> {
        let pg = self
            .pg
            .as_ref()
            .context("no PostgreSQL database configured")?;
        pg.recreate()?;
        self.migrate(&pg.url)
    }

    /// `tel migrate` on `url`.
    fn migrate(&self, url: &str) -> anyhow::Result<()> {
        let output = Command::new(&self.tel)
            .args(["migrate", "--quiet", "--database-url", url])
            .output()
            .context("cannot run tel migrate")?;
        if !output.status.success() {
            bail!(
                "tel migrate failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    /// p50/p99 of single-event records through `Recorder::record` on a fresh WAL database.
    fn recorder_latency(&self, example: &Path) -> anyhow::Result<RecorderLatency> {
        eprintln!("bench: recorder latency over {RECORDS} records");
        let db = self.dir.join("recorder.db");
        self.fresh_database(&db)?;
        let output = Command::new(example)
            .args([&path(&db), RECORDS])
            .output()
            .with_context(|| format!("cannot run {}", example.display()))?;
        if !output.status.success() {
            bail!(
                "{} failed: {}",
                example.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        RecorderLatency::parse(&String::from_utf8_lossy(&output.stdout))
    }

    /// A tel job.
    fn tel_job(&self, args: &[&str]) -> Job {
        Job::new(&self.tel, args)
    }

    /// A scratch file of size `n`.
    fn file(&self, n: u64, name: &str) -> PathBuf {
        self.dir.join([&n.to_string(), "-", name].concat())
    }
}

/// One table dumped as CSV for the bulk-load anchors.
struct CsvTable {
    table: &'static str,
    csv: PathBuf,
    /// Its columns in the CSV's order.
    columns: Vec<String>,
}

/// A path as an argument.
fn path(file: &Path) -> String {
    file.display().to_string()
}

/// The SQLite URL of a file.
fn url(file: &Path) -> String {
    ["sqlite://", &path(file)].concat()
}

//! `cargo xtask reliability`: PostgreSQL stopped in the middle of a recording loop and of an import,
//! then restarted — on a private throwaway cluster (`target/tel-pg-reliability`), so the suite's
//! server is never disturbed. Every event must end in the database exactly once. Then the stalls of
//! issue 14: a blackholed PostgreSQL port, a held row lock, a long SQLite reader and a running import,
//! each printing the recorder's p50/p99/max as its caller sees it.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection, SqliteConnection};

use crate::pg::{Cluster, ClusterGuard};

use crate::tel::Tel;

/// Events of the recording loop; PostgreSQL stops after the first third and restarts after the second.
const RECORDED: usize = 900;
/// Events of the interrupted import.
const IMPORTED: u64 = 50_000;

/// Runs both scenarios against a fresh private cluster, removed afterwards.
pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::cargo(&["build", "--quiet", "-p", "tel-cli"])?;
    let tel = Tel(root.join("target/debug/tel"));
    let work = root.join("target/reliability");
    match std::fs::remove_dir_all(&work) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("cannot remove {}", work.display()));
        }
        _ => {}
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let cluster = ClusterGuard(Cluster::locate_named(root, "tel-pg-reliability")?);
    cluster.0.down()?;
    let url = cluster.0.up()?;
    let started = Instant::now();
    recording_loop_survives_a_server_stop(&cluster.0, &tel, &url, &work)
        .context("PostgreSQL stopped during a recording loop")?;
    import_survives_a_server_stop(&cluster.0, &tel, &url, &work)
        .context("PostgreSQL stopped during an import")?;
    stalls(&tel, &url, &work)?;
    eprintln!(
        "xtask: reliability: all scenarios passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One event in `tel record`'s JSON form with a unique phase id.
fn event_line(i: usize) -> String {
    format!(
        r#"{{"run_id": "run-{}", "phase_id": "loop-{i}", "category": "implementation", "complexity": "low", "deliverables": ["src/a.py"], "predicted_output_tokens": {}, "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "claude-sonnet-4-5"}}"#,
        i % 7,
        1000 + i
    )
}

/// A running `tel record --force --batch -` into `url`, spooling to `spool`, its stdin and stdout piped.
fn batch_recorder(tel: &Tel, url: &str, spool: &str) -> anyhow::Result<Child> {
    tel.command(&[
        "record",
        "--force",
        "--batch",
        "-",
        "--database-url",
        url,
        "--spool",
        spool,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .context("cannot start tel record")
}

/// `tel record --batch -` writes events continuously; the server is stopped (`pg_ctl stop -m fast`,
/// cutting the open connection) after a third of them are answered and restarted after two thirds.
fn recording_loop_survives_a_server_stop(
    cluster: &Cluster,
    tel: &Tel,
    url: &str,
    work: &Path,
) -> anyhow::Result<()> {
    tel.run(&["migrate", "--database-url", url])?;
    let spool = work.join("recording.spool.ndjson");
    let spool_arg = spool.to_str().context("work directory is not UTF-8")?;
    let mut child = batch_recorder(tel, url, spool_arg)?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    // Fed from a thread so the recorder never waits for the test while the server goes down.
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        for i in 0..RECORDED {
            writeln!(stdin, "{}", event_line(i))?;
        }
        Ok(())
    });
    let (mut stored, mut spooled) = (0, 0);
    let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
    for (answered, line) in stdout.lines().enumerate() {
        let line = line?;
        match line.split(' ').next() {
            Some("stored") => stored += 1,
            Some("spooled") => spooled += 1,
            _ => bail!("unexpected output of tel record: {line}"),
        }
        if answered + 1 == RECORDED / 3 {
            cluster.stop()?;
        } else if answered + 1 == 2 * RECORDED / 3 {
            cluster.start()?;
        }
    }
    feeder.join().expect("the feeder does not panic")?;
    let status = child.wait()?;
    ensure!(status.success(), "tel record exited with {status}");
    ensure!(
        stored + spooled == RECORDED && spooled > 0,
        "{stored} stored + {spooled} spooled of {RECORDED}"
    );
    let replay = tel.json(&[
        "spool",
        "replay",
        "--database-url",
        url,
        "--spool",
        spool_arg,
    ])?;
    let in_database = tel.events_in(url)?;
    let left = std::fs::read_to_string(&spool)?.lines().count();
    eprintln!(
        "reliability: PostgreSQL stopped during a recording loop: expected {RECORDED}, stored {stored}, spooled {spooled}, lost 0; replay wrote {}, skipped {} already stored; in database {in_database}, left in spool {left}",
        replay["inserted"], replay["duplicates"]
    );
    ensure!(
        in_database == RECORDED as u64 && left == 0,
        "{in_database} events in the database, {left} in the spool; expected {RECORDED} and 0"
    );
    Ok(())
}

/// `tel import` of 50,000 events; the server is stopped while the import's transaction is open.
/// The import fails and leaves nothing; after a restart the same import stores every event, once.
fn import_survives_a_server_stop(
    cluster: &Cluster,
    tel: &Tel,
    admin_url: &str,
    work: &Path,
) -> anyhow::Result<()> {
    const DATABASE: &str = "tel_import";
    cluster.psql(admin_url, "CREATE DATABASE tel_import")?;
    let url = [
        admin_url
            .rsplit_once('/')
            .context("URL without database")?
            .0,
        "/",
        DATABASE,
    ]
    .concat();
    tel.run(&["migrate", "--database-url", &url])?;
    let input = work.join("import.ndjson");
    let input_arg = input.to_str().context("work directory is not UTF-8")?;
    let events = IMPORTED.to_string();
    tel.run(&[
        "generate", "--events", &events, "--seed", "9", "--output", input_arg,
    ])?;

    let mut import = tel
        .command(&["import", "--quiet", input_arg, "--database-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start tel import")?;
    // Wait until the import's transaction is inserting on the server (not the schema check before it),
    // then stop the server.
    let started = Instant::now();
    loop {
        let open = cluster.psql(
            admin_url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tel_import' AND xact_start IS NOT NULL \
             AND query ILIKE 'INSERT%'",
        )?;
        if open != "0" {
            break;
        }
        if let Some(status) = import.try_wait()? {
            bail!("the import ended ({status}) before its transaction was seen");
        }
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "the import's transaction did not start within 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.stop()?;
    let output = import.wait_with_output()?;
    let error = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.code() == Some(1),
        "the interrupted import exited with {}: {error}",
        output.status
    );
    cluster.start()?;
    let after_stop = tel.events_in(&url)?;
    ensure!(
        after_stop == 0,
        "{after_stop} events left by the failed import"
    );

    let first = tel.json(&["import", "--quiet", input_arg, "--database-url", &url])?;
    let second = tel.json(&["import", "--quiet", input_arg, "--database-url", &url])?;
    let in_database = tel.events_in(&url)?;
    eprintln!(
        "reliability: PostgreSQL stopped during an import: expected {IMPORTED}; interrupted import exited 1 ({}), in database 0; re-import wrote {}, again {} (skipped {}); in database {in_database}",
        error.lines().next().unwrap_or_default(),
        first["inserted"],
        second["inserted"],
        second["duplicates"]
    );
    ensure!(
        first["inserted"] == IMPORTED && second["inserted"] == 0 && in_database == IMPORTED,
        "expected {IMPORTED} events once"
    );
    Ok(())
}

/// The recorder's worst case stays bounded in the four stalls of issue 14 (defaults: 250 ms SQLite busy
/// timeout, PostgreSQL 1 s connect, 250 ms lock, 1 s statement timeout).
fn stalls(tel: &Tel, pg_url: &str, work: &Path) -> anyhow::Result<()> {
    blackholed_postgres(tel, work).context("stall: blackholed PostgreSQL port")?;
    held_row_lock(tel, pg_url, work).context("stall: PostgreSQL row lock held")?;
    long_sqlite_reader(tel, work).context("stall: long SQLite reader")?;
    running_import(tel, work).context("stall: SQLite import running")?;
    Ok(())
}

/// One event of run `run`, phase `phase`, in `tel record`'s JSON form.
fn stall_event(run: &str, phase: &str) -> String {
    format!(
        r#"{{"run_id": "{run}", "phase_id": "{phase}", "category": "implementation", "complexity": "low", "deliverables": ["src/a.py"], "predicted_output_tokens": 1000, "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "claude-sonnet-4-5"}}"#
    )
}

/// A `tel record --batch -` fed one event at a time: each event's latency is the time from writing
/// its line to reading its answer, as the executor would see it.
struct Feed {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    latencies: Vec<Duration>,
    stored: usize,
    spooled: usize,
}

impl Feed {
    fn start(tel: &Tel, url: &str, spool: &Path) -> anyhow::Result<Self> {
        let spool = spool.to_str().context("work directory is not UTF-8")?;
        let mut child = batch_recorder(tel, url, spool)?;
        Ok(Self {
            stdin: child.stdin.take().context("no stdin")?,
            stdout: BufReader::new(child.stdout.take().context("no stdout")?),
            child,
            latencies: Vec::new(),
            stored: 0,
            spooled: 0,
        })
    }

    /// Records one event; `measured` adds its latency to the figures.
    fn record(&mut self, line: &str, measured: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer)?;
        let elapsed = started.elapsed();
        match answer.split(' ').next() {
            Some("stored") => self.stored += 1,
            Some("spooled") => self.spooled += 1,
            _ => bail!("unexpected output of tel record: {answer:?}"),
        }
        if measured {
            self.latencies.push(elapsed);
        }
        Ok(())
    }

    /// Ends the process and prints `reliability: stall NAME: …` with p50/p99/max; returns the max.
    fn finish(self, name: &str) -> anyhow::Result<Duration> {
        let Self {
            mut child,
            stdin,
            mut latencies,
            stored,
            spooled,
            ..
        } = self;
        drop(stdin);
        let status = child.wait()?;
        ensure!(status.success(), "tel record exited with {status}");
        ensure!(!latencies.is_empty(), "no event measured");
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "reliability: stall {name}: {} events measured ({stored} stored, {spooled} spooled in all): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            latencies.len(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(at(1.0))
        );
        Ok(at(1.0))
    }
}

/// A port that accepts TCP connections and never says a word.
fn blackholed_postgres(tel: &Tel, work: &Path) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let url = format!("postgres://tel@127.0.0.1:{port}/tel");
    let mut feed = Feed::start(tel, &url, &work.join("blackhole.spool.ndjson"))?;
    for i in 0..50 {
        feed.record(&stall_event("r1", &format!("blackhole-{i}")), true)?;
    }
    ensure!(feed.spooled == 50, "{} of 50 spooled", feed.spooled);
    let max = feed.finish("blackholed PostgreSQL port (accepts, never answers)")?;
    ensure!(max < Duration::from_secs(2), "max {max:?}");
    Ok(())
}

/// Another transaction inserted run `held` and stays open: every event of that run needs its lock.
fn held_row_lock(tel: &Tel, url: &str, work: &Path) -> anyhow::Result<()> {
    let mut holder = PgConnection::establish(url)?;
    holder.batch_execute("BEGIN; INSERT INTO runs (id) VALUES ('held-by-another');")?;
    let mut feed = Feed::start(tel, url, &work.join("rowlock.spool.ndjson"))?;
    for i in 0..20 {
        feed.record(
            &stall_event("held-by-another", &format!("rowlock-{i}")),
            true,
        )?;
    }
    ensure!(feed.spooled == 20, "{} of 20 spooled", feed.spooled);
    holder.batch_execute("COMMIT")?;
    // The lock is gone: this one is stored and writes the 20 spooled events back.
    feed.record(&stall_event("held-by-another", "rowlock-after"), false)?;
    let max = feed.finish("PostgreSQL row lock held by another transaction")?;
    ensure!(max < Duration::from_secs(2), "max {max:?}");
    let stored = tel.events_in(url)?;
    ensure!(stored >= 21, "{stored} events in the database");
    Ok(())
}

/// A reader holds an old snapshot while the recorder writes; figures are of the writes after the WAL
/// passed the 16 MiB backstop (where `wal_checkpoint(RESTART)` used to wait the busy timeout).
fn long_sqlite_reader(tel: &Tel, work: &Path) -> anyhow::Result<()> {
    let db = work.join("reader.db");
    let url = db.to_str().context("work directory is not UTF-8")?;
    tel.run(&["migrate", "--database-url", url])?;
    let mut feed = Feed::start(tel, url, &work.join("reader.spool.ndjson"))?;
    feed.record(&stall_event("r1", "reader-first"), false)?;
    let mut reader = SqliteConnection::establish(url)?;
    reader.batch_execute("BEGIN; SELECT count(*) FROM token_estimation_v2_events;")?;
    let wal = work.join("reader.db-wal");
    let backstop = 16 * 1024 * 1024;
    let mut past = 0;
    for i in 0..20_000 {
        let over = std::fs::metadata(&wal).map_or(0, |m| m.len()) >= backstop;
        feed.record(&stall_event("r1", &format!("reader-{i}")), over)?;
        past += usize::from(over);
        if past == 200 {
            break;
        }
    }
    ensure!(past == 200, "the WAL did not pass 16 MiB");
    reader.batch_execute("COMMIT")?;
    let max = feed.finish("long SQLite reader, WAL past 16 MiB")?;
    ensure!(max < Duration::from_millis(500), "max {max:?}");
    Ok(())
}

/// `tel import` of 200,000 events holds the write lock for its whole transaction.
fn running_import(tel: &Tel, work: &Path) -> anyhow::Result<()> {
    let db = work.join("import.db");
    let url = db.to_str().context("work directory is not UTF-8")?;
    tel.run(&["migrate", "--database-url", url])?;
    let input = work.join("stall-import.ndjson");
    let input_arg = input.to_str().context("work directory is not UTF-8")?;
    tel.run(&[
        "generate", "--events", "200000", "--seed", "3", "--output", input_arg,
    ])?;
    let mut import = tel
        .command(&["import", "--quiet", input_arg, "--database-url", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // The import holds the lock once its transaction writes: its WAL grows.
    let wal = work.join("import.db-wal");
    let started = Instant::now();
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 1024 * 1024 {
        ensure!(import.try_wait()?.is_none(), "the import ended too early");
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "the import did not write"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut feed = Feed::start(tel, url, &work.join("import.spool.ndjson"))?;
    for i in 0..20 {
        feed.record(&stall_event("r1", &format!("import-{i}")), true)?;
    }
    let still_running = import.try_wait()?.is_none();
    ensure!(import.wait()?.success(), "the import failed");
    feed.record(&stall_event("r1", "import-after"), false)?;
    let max = feed.finish("SQLite lock held by a running import")?;
    ensure!(
        still_running,
        "the import ended while the events were recorded"
    );
    ensure!(max < Duration::from_secs(1), "max {max:?}");
    Ok(())
}

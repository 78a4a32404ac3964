//! `cargo xtask slow`: the tests too long for every CI run — `kill -9` of a 1,000,000-event
//! `tel import` at a random point of its insert transaction (the database must stay consistent and
//! the same import must then store exactly the input's events), and the fuzz tests with
//! `TEL_FUZZ_CASES=100000`.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::tel::Tel;

/// Events of the crash test's import.
const EVENTS: u64 = 1_000_000;
/// Events of the timing run that estimates how long the full import takes.
const SAMPLE_EVENTS: u64 = 100_000;
/// Proptest cases per fuzz test.
const FUZZ_CASES: &str = "100000";

/// Runs the crash test (`seed` picks the kill point; default: from the clock) and the fuzz tests.
pub fn run(root: &Path, seed: Option<u64>) -> anyhow::Result<()> {
    crate::cargo(&["build", "--release", "--quiet", "-p", "tel-cli"])?;
    let tel = Tel(root.join("target/release/tel"));
    let work = root.join("target/slow");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot remove {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    kill_during_import(&tel, &work, seed.unwrap_or_else(clock_seed))?;
    eprintln!("xtask: slow: fuzz tests with TEL_FUZZ_CASES={FUZZ_CASES}");
    crate::cargo_with_env(
        &["test", "--release", "--workspace", "fuzz"],
        &[("TEL_FUZZ_CASES", FUZZ_CASES)],
    )
}

fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// `tel import --json` of `input` into `db`: (inserted, duplicates).
fn import(tel: &Tel, input: &str, db: &str) -> anyhow::Result<(u64, u64)> {
    let out = tel.run(&["import", "--quiet", "--json", input, "--database-url", db])?;
    let summary: serde_json::Value = serde_json::from_str(&out)?;
    let field = |name: &str| {
        summary[name]
            .as_u64()
            .context("import summary without counts")
    };
    Ok((field("inserted")?, field("duplicates")?))
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// `PRAGMA integrity_check` and the event count of an SQLite file.
fn check_database(db: &Path) -> anyhow::Result<i64> {
    let url = db.to_str().context("work directory is not UTF-8")?;
    let mut conn = SqliteConnection::establish(url)?;
    let rows: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let verdict: Vec<&str> = rows.iter().map(|r| r.integrity_check.as_str()).collect();
    ensure!(verdict == ["ok"], "integrity_check of {url}: {verdict:?}");
    event_count(&mut conn)
}

fn event_count(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<Count> =
        diesel::sql_query("SELECT count(*) AS n FROM token_estimation_v2_events").load(conn)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

fn kill_during_import(tel: &Tel, work: &Path, seed: u64) -> anyhow::Result<()> {
    let path = |name: &str| -> anyhow::Result<(PathBuf, String)> {
        let path = work.join(name);
        let text = path
            .to_str()
            .context("work directory is not UTF-8")?
            .to_owned();
        Ok((path, text))
    };
    let (_, input) = path("events.ndjson")?;
    let (_, sample) = path("sample.ndjson")?;
    let (sample_db_path, sample_db) = path("sample.db")?;
    let (db_path, db) = path("crash.db")?;

    let started = Instant::now();
    let events = EVENTS.to_string();
    tel.run(&[
        "generate", "--events", &events, "--seed", "1", "--output", &input,
    ])?;
    eprintln!(
        "xtask: slow: generated {EVENTS} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // How long the insert phase (after the validation pass) takes, extrapolated from a tenth.
    let sample_events = SAMPLE_EVENTS.to_string();
    tel.run(&[
        "generate",
        "--events",
        &sample_events,
        "--seed",
        "1",
        "--output",
        &sample,
    ])?;
    tel.run(&["migrate", "--database-url", &sample_db])?;
    let mut timing = spawn_import(tel, &sample, &sample_db)?;
    let writing = wait_for_writes(&sample_db_path, &mut timing)?;
    timing.wait()?;
    let estimate = writing.elapsed() * (EVENTS / SAMPLE_EVENTS) as u32;
    std::fs::remove_file(&sample_db_path).ok();

    tel.run(&["migrate", "--database-url", &db])?;
    let kill_after = Duration::from_nanos(splitmix(seed) % estimate.as_nanos().max(1) as u64);
    eprintln!(
        "xtask: slow: insert phase of {EVENTS} events estimated at {:.1} s; seed {seed}: kill -9 {:.2} s into it",
        estimate.as_secs_f64(),
        kill_after.as_secs_f64()
    );
    let mut child = spawn_import(tel, &input, &db)?;
    wait_for_writes(&db_path, &mut child)?;
    std::thread::sleep(kill_after);
    let finished_first = child.try_wait()?.is_some();
    let uncommitted = wal_bytes(&db_path);
    child.kill().ok(); // SIGKILL
    child.wait()?;
    let after_kill = check_database(&db_path)?;
    ensure!(
        after_kill == 0 || (finished_first && after_kill == EVENTS as i64),
        "after kill -9: {after_kill} events (an import is one transaction: 0 or all)"
    );

    let rerun = Instant::now();
    let (inserted, duplicates) = import(tel, &input, &db)?;
    let rerun_seconds = rerun.elapsed().as_secs_f64();
    let (again, skipped) = import(tel, &input, &db)?;
    let stored = check_database(&db_path)?;
    eprintln!(
        "reliability: kill -9 of tel import ({EVENTS} events, SQLite) {:.2} s into its transaction, WAL {:.0} MB{}: integrity_check ok, {after_kill} events after the kill; re-import wrote {inserted} (skipped {duplicates}) in {rerun_seconds:.1} s, again {again} (skipped {skipped}); in database {stored}",
        kill_after.as_secs_f64(),
        uncommitted as f64 / 1e6,
        if finished_first {
            " (the import had already finished)"
        } else {
            ""
        }
    );
    ensure!(
        stored == EVENTS as i64 && again == 0 && skipped == EVENTS,
        "expected exactly {EVENTS} events once, found {stored}"
    );
    Ok(())
}

/// `tel import --quiet INPUT --database-url DB`, output discarded.
fn spawn_import(tel: &Tel, input: &str, db: &str) -> anyhow::Result<Child> {
    tel.command(&["import", "--quiet", input, "--database-url", db])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start tel import")
}

/// Bytes in the database's write-ahead log (0 when there is none).
fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// Waits until the import writes to the database (its WAL grows: the transaction is open, the
/// validation pass is over) and returns that moment; fails if the import ends first.
fn wait_for_writes(db: &Path, import: &mut Child) -> anyhow::Result<Instant> {
    while wal_bytes(db) == 0 {
        if let Some(status) = import.try_wait()? {
            bail!(
                "tel import ended ({status}) before writing to {}",
                db.display()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(Instant::now())
}

/// SplitMix64: spreads a clock reading or a user's seed over the whole range.
fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

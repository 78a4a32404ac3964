//! `cargo xtask reliability`: PostgreSQL stopped in the middle of a recording loop and of an import,
//! then restarted — on a private throwaway cluster (`target/tel-pg-reliability`), so the suite's
//! server is never disturbed. Every event must end in the database exactly once.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

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
    let mut child = tel
        .command(&[
            "record",
            "--force",
            "--batch",
            "-",
            "--database-url",
            url,
            "--spool",
            spool_arg,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start tel record")?;
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

//! Single-event latency of the fail-safe recorder: `recorder_latency DB N` records N events one at a time
//! through `Recorder::record` into the (migrated) SQLite file DB and prints
//! `records=N p50_us=… p99_us=… max_us=…`. Run by `cargo xtask bench`. A third argument `normal`
//! measures the recorder with `synchronous=NORMAL` instead of its default FULL (docs/STORE.md).

use std::time::{Duration, Instant};

use tel_store::{DatabaseUrl, RecordOutcome, Recorder, RecorderConfig, Spool};

#[path = "../benches/support/typical_draft.rs"]
mod typical_draft;
use typical_draft::typical_draft;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(records)) = (args.next(), args.next()) else {
        return Err("usage: recorder_latency DB RECORDS".to_owned());
    };
    let records: usize = records
        .parse()
        .map_err(|_| format!("bad record count {records:?}"))?;
    let db = std::path::PathBuf::from(db);
    let spool = Spool::new(db.with_extension("spool.ndjson"));
    let mut config = RecorderConfig::new(DatabaseUrl::SqliteFile(db), spool);
    config.durable = args.next().as_deref() != Some("normal");
    let recorder = Recorder::new(config);
    let mut latencies: Vec<Duration> = Vec::with_capacity(records);
    for i in 0..records {
        let draft = typical_draft(i, 20);
        let start = Instant::now();
        let outcome = recorder.record(draft);
        latencies.push(start.elapsed());
        if !matches!(outcome, RecordOutcome::Stored { event_id: Some(_) }) {
            return Err(format!("record {i} was not stored: {outcome:?}"));
        }
    }
    latencies.sort();
    let at =
        |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    println!(
        "records={records} p50_us={:.1} p99_us={:.1} max_us={:.1}",
        at(0.50),
        at(0.99),
        at(1.0)
    );
    Ok(())
}

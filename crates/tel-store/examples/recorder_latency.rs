//! Single-event latency of the fail-safe recorder: `recorder_latency DB N` records N events one at a time
//! through `Recorder::record` into the (migrated) SQLite file DB and prints
//! `records=N p50_us=… p99_us=… max_us=…`. Run by `cargo xtask bench`.

use std::time::{Duration, Instant};

use tel_core::{Complexity, DocFeatures, EventDraft, SotFields, TelExtras};
use tel_store::{
    ConnectOptions, DatabaseUrl, RecordOutcome, Recorder, RecorderConfig, Spool, ValidityGuard,
};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(records)) = (args.next(), args.next()) else {
        return Err("usage: recorder_latency DB RECORDS".to_owned());
    };
    let records: usize = records
        .parse()
        .map_err(|_| format!("bad record count {records:?}"))?;
    let db = std::path::PathBuf::from(db);
    let recorder = Recorder::new(RecorderConfig {
        spool: Spool::new(db.with_extension("spool.ndjson")),
        url: DatabaseUrl::SqliteFile(db),
        connect: ConnectOptions::default(),
        enabled: true,
        guard: ValidityGuard::default(),
    });
    let mut latencies: Vec<Duration> = Vec::with_capacity(records);
    for i in 0..records {
        let draft = draft(i);
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

/// A typical builder call: one run per 20 phases, five deliverables, distinct actuals.
fn draft(i: usize) -> EventDraft {
    EventDraft {
        run_id: ["bench-run-", &(i / 20).to_string()].concat(),
        phase_id: ["p", &(i % 20).to_string(), "-implementation"].concat(),
        category: "implementation".to_owned(),
        complexity: Complexity::Medium,
        deliverables: [
            "src/a.py",
            "src/b.py",
            "tests/test_a.py",
            "docs/A.md",
            "Modify README.md",
        ]
        .map(str::to_owned)
        .to_vec(),
        predicted_output_tokens: 5200,
        actual_output_tokens: 1000 + (i % 4000) as i64,
        selected_budget: 8192,
        success: true,
        truncated: false,
        stop_reason: Some("end_turn".to_owned()),
        model: "claude-sonnet-4-5".to_owned(),
        is_truncated_output: None,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        actual_max_tokens: Some(8192),
        extras: TelExtras::default(),
    }
}

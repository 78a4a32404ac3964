//! `tel record`: one event, as JSON (the NDJSON export keys plus optional extras) or as flags, or a
//! stream of NDJSON events (`--batch`), through the fail-safe recorder — exit 0 once every event is
//! stored or spooled.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use tel_core::{Complexity, DocFeatures, SotFields};
use tel_replay::db::record::{RecordBatch, parse_event, write_outcome};
use tel_store::env::process_env;
use tel_store::{EventDraft, RecordOutcome, Recorder, RecorderConfig, RecorderTimeouts, TelExtras};

use crate::cli::{DbArgs, GlobalArgs};

/// `--help` examples.
pub const EXAMPLES: &str = r#"Examples:
  TELEMETRY_DB_ENABLED=1 tel record --event '{"run_id": "r1", "phase_id": "p1", "category": "implementation",
      "complexity": "medium", "deliverables": ["src/a.py"], "predicted_output_tokens": 1200,
      "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false,
      "stop_reason": "end_turn", "model": "claude-sonnet-4-5"}'
  tel export | head -1 | tel record --force      # one NDJSON export line from stdin
  tel record --force --run-id r1 --phase-id p1 --predicted 1200 --actual 800 --model claude-sonnet-4-5 --success
  tel record --force --batch calls.ndjson       # one event per line, one connection (`-` reads stdin)
  tel record --force --batch - --protocol 1     # a co-process: one JSON answer per line (docs/INTEGRATION.md)

Without --force the event is recorded only when TELEMETRY_DB_ENABLED is 1, true or yes (any case).
Derived export keys (timestamp, deliverable_count, smape_percent, waste_ratio, underestimated) are
accepted and recomputed. With --batch each line is recorded as it arrives (one output line per event);
an invalid line (bad JSON, invalid UTF-8) is reported as FILE:LINE and the others are still recorded
(exit 1 at the end). The recorder waits at most 250 ms for an SQLite lock (--busy-timeout-ms), and on
PostgreSQL 1 s to connect, 250 ms for a lock, 1 s per statement; past that the event is spooled. After
each stored event up to 64 spooled events are written back, so the spool empties by itself."#;

/// Arguments of `tel record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The event as one JSON object (default: read it from stdin unless --predicted is given).
    #[arg(long, value_name = "JSON", conflicts_with = "predicted")]
    event: Option<String>,
    /// Record every line of an NDJSON file (`-` for stdin) as one event, through one connection.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["event", "predicted"])]
    batch: Option<PathBuf>,
    /// With --batch: answer every line with one JSON object in co-process protocol VERSION (1), errors
    /// included (docs/INTEGRATION.md); a request may carry an `id`, echoed in its answer.
    #[arg(long, value_name = "VERSION", requires = "batch",
          value_parser = clap::value_parser!(u32).range(1..=1))]
    protocol: Option<u32>,
    /// Record even when TELEMETRY_DB_ENABLED is off.
    #[arg(long)]
    force: bool,
    /// The spool file [default: beside the SQLite file, or under the data directory].
    #[arg(long, value_name = "PATH")]
    spool: Option<PathBuf>,
    /// PostgreSQL: how long to wait for the server to accept a connection before spooling, in
    /// milliseconds (later events spool at once while that attempt is still running).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    connect_timeout_ms: u64,
    /// PostgreSQL: how long to wait for a lock another transaction holds before spooling, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    lock_timeout_ms: u64,
    /// PostgreSQL: how long one statement may run before spooling, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    statement_timeout_ms: u64,
    /// Run id.
    #[arg(long, default_value = "unknown")]
    run_id: String,
    /// Phase id.
    #[arg(long, default_value = "unknown")]
    phase_id: String,
    /// Category.
    #[arg(long, default_value = "implementation")]
    category: String,
    /// Complexity (low, medium, high, maintenance or a synonym).
    #[arg(long, default_value = "medium", value_parser = Complexity::parse)]
    complexity: Complexity,
    /// A deliverable path (repeat for several).
    #[arg(long = "deliverable", value_name = "PATH")]
    deliverables: Vec<String>,
    /// Predicted output tokens (selects the flag form).
    #[arg(long, requires_all = ["actual", "model"])]
    predicted: Option<i64>,
    /// Actual output tokens.
    #[arg(long)]
    actual: Option<i64>,
    /// Selected budget (0 when none).
    #[arg(long, default_value_t = 0)]
    selected_budget: i64,
    /// The builder succeeded.
    #[arg(long)]
    success: bool,
    /// The output was truncated.
    #[arg(long)]
    truncated: bool,
    /// Provider stop reason.
    #[arg(long)]
    stop_reason: Option<String>,
    /// Model name.
    #[arg(long)]
    model: Option<String>,
}

impl RecordArgs {
    /// The event from --event, the flags, or stdin.
    fn draft(&self) -> anyhow::Result<EventDraft> {
        if let (Some(predicted), Some(actual), Some(model)) =
            (self.predicted, self.actual, &self.model)
        {
            let draft = EventDraft {
                run_id: self.run_id.clone(),
                phase_id: self.phase_id.clone(),
                category: self.category.clone(),
                complexity: self.complexity,
                deliverables: self.deliverables.clone(),
                predicted_output_tokens: predicted,
                actual_output_tokens: actual,
                selected_budget: self.selected_budget,
                success: self.success,
                truncated: self.truncated,
                stop_reason: self.stop_reason.clone(),
                model: model.clone(),
                is_truncated_output: None,
                doc_features: DocFeatures::default(),
                sot: SotFields::default(),
                actual_max_tokens: None,
                extras: TelExtras::default(),
            };
            // Flags are checked by tel-core's rules, as the JSON form is by the import decoder.
            draft.validate().context("invalid event")?;
            return Ok(draft);
        }
        let text = match &self.event {
            Some(text) => text.clone(),
            None => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("read the event from stdin")?;
                text
            }
        };
        if text.trim().is_empty() {
            bail!(
                "no event: pass --event JSON, pipe one JSON object on stdin, or use --predicted/--actual/--model"
            );
        }
        parse_event(&text).map_err(|error| match error.field {
            Some(_) => anyhow!("invalid event: {error}"),
            None => anyhow!("{error}"),
        })
    }
}

/// Runs `tel record`.
pub fn run(args: &RecordArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some(source) = &args.batch else {
        let draft = args.draft()?;
        let recorder = recorder(args)?;
        return Ok(report(
            &recorder,
            &record_one(&recorder, args.force, draft),
        )?);
    };
    run_batch(
        &recorder(args)?,
        args.force,
        source,
        global.quiet,
        args.protocol.is_some(),
    )
}

/// The recorder of the environment and the flags (it connects on its first write).
fn recorder(args: &RecordArgs) -> anyhow::Result<Recorder> {
    let mut config = RecorderConfig::from_env(args.db.database_url.as_deref(), &process_env)?;
    if let Some(busy) = args.db.busy_timeout_ms {
        config.connect.busy_timeout = Duration::from_millis(busy);
    }
    config.timeouts = RecorderTimeouts {
        connect: Duration::from_millis(args.connect_timeout_ms),
        lock: Duration::from_millis(args.lock_timeout_ms),
        statement: Duration::from_millis(args.statement_timeout_ms),
    };
    if let Some(path) = &args.spool {
        config.spool = tel_store::Spool::new(path);
    }
    Ok(Recorder::new(config))
}

fn record_one(recorder: &Recorder, force: bool, draft: EventDraft) -> RecordOutcome {
    if force {
        recorder.record_forced(draft)
    } else {
        recorder.record(draft)
    }
}

/// Prints what happened to one event; the exit code is 1 only when the event is lost.
fn report(recorder: &Recorder, outcome: &RecordOutcome) -> std::io::Result<ExitCode> {
    let spool = recorder.config().spool.path();
    write_outcome(
        outcome,
        spool,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )?;
    Ok(match outcome {
        RecordOutcome::Lost { .. } => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

/// Records every line of `source` as it arrives; invalid lines are reported and skipped.
fn run_batch(
    recorder: &Recorder,
    force: bool,
    source: &Path,
    quiet: bool,
    protocol: bool,
) -> anyhow::Result<ExitCode> {
    let (name, reader) = super::open_batch(source)?;
    let batch = RecordBatch {
        name: &name,
        protocol,
        spool: recorder.config().spool.path(),
    };
    let summary = batch.run(
        reader,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        |draft| record_one(recorder, force, draft),
    )?;
    if !quiet {
        let line = summary.describe(recorder.spooled(), recorder.lost(), recorder.drained());
        // Not `eprintln!`: a stderr that cannot be written (full disk, file-size limit) must not
        // turn a finished batch into a panic.
        let _ = writeln!(std::io::stderr(), "{line}");
    }
    Ok(if summary.invalid + recorder.lost() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

//! `tel record`: one event, as JSON (the NDJSON export keys plus optional extras) or as flags, or a
//! stream of NDJSON events (`--batch`), through the fail-safe recorder — exit 0 once every event is
//! stored or spooled.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::{Map, Value};
use tel_core::{Complexity, DocFeatures, SotFields, UsageKind};
use tel_replay::batch::protocol_header;
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

/// The JSON form: the keys of the NDJSON export (FORMATS.md F5) plus optional extras.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordInput {
    run_id: String,
    phase_id: String,
    category: String,
    complexity: String,
    #[serde(default)]
    deliverables: Vec<String>,
    predicted_output_tokens: i64,
    actual_output_tokens: i64,
    #[serde(default)]
    selected_budget: i64,
    success: bool,
    #[serde(default)]
    truncated: bool,
    #[serde(default)]
    stop_reason: Option<String>,
    model: String,
    // Derived keys of the export: accepted, recomputed by the recorder.
    #[serde(default, rename = "timestamp")]
    _timestamp: serde::de::IgnoredAny,
    #[serde(default, rename = "deliverable_count")]
    _deliverable_count: serde::de::IgnoredAny,
    #[serde(default, rename = "smape_percent")]
    _smape_percent: serde::de::IgnoredAny,
    #[serde(default, rename = "waste_ratio")]
    _waste_ratio: serde::de::IgnoredAny,
    #[serde(default, rename = "underestimated")]
    _underestimated: serde::de::IgnoredAny,
    // Optional extras.
    #[serde(default)]
    actual_max_tokens: Option<i64>,
    #[serde(default)]
    is_truncated_output: Option<bool>,
    #[serde(default)]
    api_reference_required: Option<bool>,
    #[serde(default)]
    examples_required: Option<bool>,
    #[serde(default)]
    research_required: Option<bool>,
    #[serde(default)]
    usage_guide_required: Option<bool>,
    #[serde(default)]
    context_quality: Option<String>,
    #[serde(default)]
    is_sot_file: Option<bool>,
    #[serde(default)]
    sot_file_name: Option<String>,
    #[serde(default)]
    sot_entry_count_hint: Option<i64>,
    #[serde(default)]
    estimator_profile: Option<String>,
    #[serde(default)]
    coefficients_hash: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    usage_kind: Option<UsageKind>,
}

impl RecordInput {
    fn into_draft(self) -> anyhow::Result<EventDraft> {
        let complexity = Complexity::parse(&self.complexity).context("field complexity")?;
        Ok(EventDraft {
            run_id: self.run_id,
            phase_id: self.phase_id,
            category: self.category,
            complexity,
            deliverables: self.deliverables,
            predicted_output_tokens: self.predicted_output_tokens,
            actual_output_tokens: self.actual_output_tokens,
            selected_budget: self.selected_budget,
            success: self.success,
            truncated: self.truncated,
            stop_reason: self.stop_reason,
            model: self.model,
            is_truncated_output: self.is_truncated_output,
            doc_features: DocFeatures {
                api_reference_required: self.api_reference_required,
                examples_required: self.examples_required,
                research_required: self.research_required,
                usage_guide_required: self.usage_guide_required,
                context_quality: self.context_quality,
            },
            sot: SotFields {
                is_sot_file: self.is_sot_file,
                sot_file_name: self.sot_file_name,
                sot_entry_count_hint: self.sot_entry_count_hint,
            },
            actual_max_tokens: self.actual_max_tokens,
            extras: TelExtras::default()
                .with_estimator_profile(self.estimator_profile)
                .with_coefficients_hash(self.coefficients_hash)
                .with_provider(self.provider)
                .with_usage_kind(self.usage_kind),
        })
    }
}

impl RecordArgs {
    /// The event from --event, the flags, or stdin.
    fn draft(&self) -> anyhow::Result<EventDraft> {
        if let (Some(predicted), Some(actual), Some(model)) =
            (self.predicted, self.actual, &self.model)
        {
            return Ok(EventDraft {
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
            });
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
        parse_event(&text)
    }
}

/// One event in the JSON form.
fn parse_event(text: &str) -> anyhow::Result<EventDraft> {
    let input: RecordInput = serde_json::from_str(text.trim()).context("invalid event JSON")?;
    input.into_draft()
}

/// The draft if every value can be stored (tel-core's rules, as `tel import` applies them), so bad
/// input is an error naming the field here rather than only the recorder's warning.
fn checked(draft: EventDraft) -> anyhow::Result<EventDraft> {
    draft.validate().context("invalid event")?;
    Ok(draft)
}

/// Why one protocol request line is not an event: the key to blame (when one is) and what is wrong.
struct RequestError {
    field: Option<String>,
    message: String,
}

/// One protocol request: its `id` (any JSON value, echoed; `null` when absent) and the event, or what
/// is wrong with it and which key is to blame.
fn parse_request(text: &str) -> (Value, Result<EventDraft, RequestError>) {
    let mut object = match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            return (
                Value::Null,
                Err(request_error(None, "expected a JSON object")),
            );
        }
        Err(e) => {
            return (
                Value::Null,
                Err(request_error(None, format!("invalid JSON: {e}"))),
            );
        }
    };
    let id = object.remove("id").unwrap_or(Value::Null);
    // Deserialize key by key, remembering the last key handed out: the one a type error is about.
    let last_key = RefCell::new(None);
    let pairs = object.into_iter().inspect(|(key, _)| {
        last_key.replace(Some(key.clone()));
    });
    let parsed = RecordInput::deserialize(MapDeserializer::<_, serde_json::Error>::new(pairs));
    let draft = match parsed {
        // serde names a missing key in backticks; every other error is about the key being read.
        Err(e) => {
            let message = e.to_string();
            let field = match message.strip_prefix("missing field `") {
                Some(rest) => rest.split('`').next().map(str::to_owned),
                None => last_key.take(),
            };
            Err(RequestError { field, message })
        }
        Ok(input) => input.into_draft().map_err(|e| RequestError {
            field: Some("complexity".to_owned()),
            message: format!("{:#}", e.root_cause()),
        }),
    };
    (id, draft)
}

fn request_error(field: Option<String>, message: impl Into<String>) -> RequestError {
    RequestError {
        field,
        message: message.into(),
    }
}

/// The protocol answer to one recorded event; `ok` is false only when the event is lost.
fn outcome_answer(recorder: &Recorder, outcome: &RecordOutcome) -> (bool, Map<String, Value>) {
    let mut answer = Map::new();
    let name = match outcome {
        RecordOutcome::Disabled => "disabled",
        RecordOutcome::Skipped { warning } => {
            answer.insert("warning".into(), warning.as_str().into());
            "skipped"
        }
        RecordOutcome::Stored { event_id: Some(id) } => {
            answer.insert("event_id".into(), (*id).into());
            "stored"
        }
        RecordOutcome::Stored { event_id: None } => "already_stored",
        RecordOutcome::Spooled { .. } => {
            let spool = recorder.config().spool.path().display().to_string();
            answer.insert("spool".into(), spool.into());
            "spooled"
        }
        RecordOutcome::Lost { .. } => "lost",
    };
    answer.insert("outcome".into(), name.into());
    (!matches!(outcome, RecordOutcome::Lost { .. }), answer)
}

/// Writes one protocol answer; stdout is line-buffered, so it leaves before the next request is read.
fn write_answer(line: u64, ok: bool, id: Value, answer: Map<String, Value>) -> std::io::Result<()> {
    let mut framed = protocol_header(line, ok);
    framed.insert("id".into(), id);
    framed.extend(answer);
    outln!("{}", Value::Object(framed))
}

/// Runs `tel record`.
pub fn run(args: &RecordArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some(source) = &args.batch else {
        let draft = checked(args.draft()?)?;
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
    match outcome {
        RecordOutcome::Disabled => {
            eprintln!("not recorded: TELEMETRY_DB_ENABLED is not 1, true or yes (use --force)");
        }
        RecordOutcome::Skipped { .. } => {}
        RecordOutcome::Stored { event_id: Some(id) } => outln!("stored event {id}")?,
        RecordOutcome::Stored { event_id: None } => outln!("already stored (same event)")?,
        RecordOutcome::Spooled { .. } => {
            outln!("spooled to {}", recorder.config().spool.path().display())?;
        }
        RecordOutcome::Lost { .. } => {
            outln!("lost (see the warning on stderr)")?;
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts of a `--batch` run.
#[derive(Debug, Default)]
struct BatchSummary {
    events: u64,
    stored: u64,
    already_stored: u64,
    invalid: u64,
}

/// Records every line of `source` as it arrives; invalid lines are reported and skipped.
fn run_batch(
    recorder: &Recorder,
    force: bool,
    source: &Path,
    quiet: bool,
    protocol: bool,
) -> anyhow::Result<ExitCode> {
    let stdin = source == Path::new("-");
    let name = if stdin {
        "<stdin>".to_owned()
    } else {
        source.display().to_string()
    };
    let mut reader: Box<dyn BufRead> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(source).with_context(|| format!("cannot open batch file {name}"))?;
        Box::new(BufReader::new(file))
    };
    let mut summary = BatchSummary::default();
    // A reader of the per-event lines that goes away does not stop the recording: only the lines stop.
    let mut stdout_open = true;
    let mut bytes = Vec::new();
    for number in 1_u64.. {
        bytes.clear();
        if reader
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("cannot read {name}"))?
            == 0
        {
            break;
        }
        // One line with bytes that are not UTF-8 is one invalid request, not the end of the batch.
        let (id, draft) = match std::str::from_utf8(&bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) if protocol => parse_request(line),
            Ok(line) => {
                let draft = parse_event(line).map_err(|e| request_error(None, format!("{e:#}")));
                (Value::Null, draft)
            }
            Err(err) => {
                let at = err.valid_up_to() + 1;
                let error = request_error(None, format!("invalid UTF-8 at byte {at}"));
                (Value::Null, Err(error))
            }
        };
        summary.events += 1;
        let draft = draft.and_then(|draft| {
            draft
                .validate()
                .map(|()| draft)
                .map_err(|invalid| request_error(Some(invalid.field.to_owned()), invalid.message))
        });
        let written = match draft {
            Ok(draft) => {
                let outcome = record_one(recorder, force, draft);
                match outcome {
                    RecordOutcome::Stored { event_id: Some(_) } => summary.stored += 1,
                    RecordOutcome::Stored { event_id: None } => summary.already_stored += 1,
                    _ => {}
                }
                match (stdout_open, protocol) {
                    (false, _) => Ok(()),
                    (true, true) => {
                        let (ok, answer) = outcome_answer(recorder, &outcome);
                        write_answer(number, ok, id, answer)
                    }
                    (true, false) => report(recorder, &outcome).map(drop),
                }
            }
            Err(error) => {
                summary.invalid += 1;
                let located = match &error.field {
                    Some(field) => format!("{name}:{number}: {field}: {}", error.message),
                    None => format!("{name}:{number}: {}", error.message),
                };
                if protocol && stdout_open {
                    let mut answer = Map::new();
                    answer.insert("field".into(), error.field.into());
                    answer.insert("error".into(), located.into());
                    write_answer(number, false, id, answer)
                } else {
                    eprintln!("{located}");
                    Ok(())
                }
            }
        };
        if let Err(err) = written {
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(err.into());
            }
            stdout_open = false;
        }
    }
    if !quiet {
        let drained = match recorder.drained() {
            0 => String::new(),
            n => format!("; {n} spooled events written back"),
        };
        // Not `eprintln!`: a stderr that cannot be written (full disk, file-size limit) must not
        // turn a finished batch into a panic.
        let _ = writeln!(
            std::io::stderr(),
            "record: {} events: {} stored, {} already stored, {} spooled, {} lost, {} invalid{drained}",
            summary.events,
            summary.stored,
            summary.already_stored,
            recorder.spooled(),
            recorder.lost(),
            summary.invalid
        );
    }
    Ok(if summary.invalid + recorder.lost() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

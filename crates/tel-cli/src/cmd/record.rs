//! `tel record`: one event, as JSON (the NDJSON export keys plus optional extras) or as flags, or a
//! stream of NDJSON events (`--batch`), through the fail-safe recorder — exit 0 once every event is
//! stored or spooled.

use std::fs::File;
use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Deserialize;
use tel_core::{Complexity, DocFeatures, SotFields, UsageKind};
use tel_store::env::process_env;
use tel_store::{EventDraft, RecordOutcome, Recorder, RecorderConfig, TelExtras};

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

Without --force the event is recorded only when TELEMETRY_DB_ENABLED is 1, true or yes (any case).
Derived export keys (timestamp, deliverable_count, smape_percent, waste_ratio, underestimated) are
accepted and recomputed. With --batch each line is recorded as it arrives (one output line per event);
an invalid line is reported as FILE:LINE and the others are still recorded (exit 1 at the end)."#;

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
    /// Record even when TELEMETRY_DB_ENABLED is off.
    #[arg(long)]
    force: bool,
    /// The spool file [default: beside the SQLite file, or under the data directory].
    #[arg(long, value_name = "PATH")]
    spool: Option<PathBuf>,
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
            extras: TelExtras {
                estimator_profile: self.estimator_profile,
                coefficients_hash: self.coefficients_hash,
                provider: self.provider,
                usage_kind: self.usage_kind,
            },
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
    run_batch(&recorder(args)?, args.force, source, global.quiet)
}

/// The recorder of the environment and the flags (it connects on its first write).
fn recorder(args: &RecordArgs) -> anyhow::Result<Recorder> {
    let mut config = RecorderConfig::from_env(args.db.database_url.as_deref(), &process_env)?;
    config.connect = args.db.options();
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
) -> anyhow::Result<ExitCode> {
    let name = source.display().to_string();
    let reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(source).with_context(|| format!("cannot open batch file {name}"))?;
        Box::new(BufReader::new(file))
    };
    let mut summary = BatchSummary::default();
    // A reader of the per-event lines that goes away does not stop the recording: only the lines stop.
    let mut stdout_open = true;
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {name}"))?;
        if line.trim().is_empty() {
            continue;
        }
        summary.events += 1;
        match parse_event(&line) {
            Ok(draft) => {
                let outcome = record_one(recorder, force, draft);
                if stdout_open && let Err(err) = report(recorder, &outcome) {
                    if err.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(err.into());
                    }
                    stdout_open = false;
                }
                match outcome {
                    RecordOutcome::Stored { event_id: Some(_) } => summary.stored += 1,
                    RecordOutcome::Stored { event_id: None } => summary.already_stored += 1,
                    _ => {}
                }
            }
            Err(err) => {
                summary.invalid += 1;
                eprintln!("{name}:{}: {err:#}", index + 1);
            }
        }
    }
    if !quiet {
        eprintln!(
            "record: {} events: {} stored, {} already stored, {} spooled, {} lost, {} invalid",
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

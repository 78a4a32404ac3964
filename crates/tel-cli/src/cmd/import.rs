//! `tel import`: load NDJSON, CSV, executor logs or OTLP/JSON spans into the store — validated first, then inserted in
//! chunks inside one transaction (all or nothing), skipping events already stored (idempotent).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;
use tel_core::TelemetryEvent;
use tel_replay::import::{EventReader, ImportError, ImportFormat, ImportOptions, Record};
use tel_store::{InsertOptions, InsertSummary, fill_missing_keys, insert_events};

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::db::prepare_schema;
use crate::cmd::progress;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel import telemetry.ndjson                  # an original or extended export; again = \"0 new\"
  tel import exports/*.csv --skip-invalid      # import the valid rows, report the others
  tel import --format log --include-v1 autopack-executor.log
  tel import --format otlp traces.jsonl        # OpenTelemetry GenAI spans; non-GenAI spans are skipped

A new, empty database gets the schema; an existing one must be up to date (tel migrate).";

/// Events per INSERT batch: bounds memory however large the input is.
const BATCH_EVENTS: usize = 1000;

/// Input format of `tel import` (default: detected per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// The original NDJSON export.
    Ndjson,
    /// tel's extended NDJSON export (read like ndjson).
    Extended,
    /// CSV as written by `tel export --format csv`.
    Csv,
    /// Executor log lines.
    Log,
    /// OTLP/JSON trace files (Collector file exporter): GenAI inference spans become events.
    Otlp,
}

/// Arguments of `tel import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Input format of every file [default: detected from the first line, then the extension].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Import the valid events and report the invalid ones instead of importing nothing.
    #[arg(long)]
    skip_invalid: bool,
    /// Import V1 `[TokenEstimation]` log lines instead of skipping them.
    #[arg(long)]
    include_v1: bool,
    /// Fail on events whose run or phase is not stored instead of creating them.
    #[arg(long)]
    no_create_parents: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// What an import did.
#[derive(Debug, Default, Serialize)]
struct ImportSummary {
    files: usize,
    events: u64,
    inserted: u64,
    duplicates: u64,
    skipped_lines: u64,
    invalid_lines: u64,
}

/// Runs `tel import`.
pub fn run(args: &ImportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        include_v1: args.include_v1,
    };
    let inputs = args
        .files
        .iter()
        .map(|path| Ok((path.as_path(), format_of(path, args.format)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Pass 1: parse only, so an atomic import writes nothing when any line is invalid.
    let mut summary = ImportSummary {
        files: inputs.len(),
        ..ImportSummary::default()
    };
    let mut errors = 0u64;
    for &(path, format) in &inputs {
        for record in reader(path, format, options)? {
            match record {
                Ok(Record::Event { .. }) => summary.events += 1,
                Ok(Record::Skipped { line, reason }) => {
                    summary.skipped_lines += 1;
                    if !global.quiet {
                        eprintln!("{}:{line}: skipped: {reason}", path.display());
                    }
                }
                Err(err) => {
                    errors += 1;
                    eprintln!("{err}");
                }
            }
        }
    }
    if errors > 0 && !args.skip_invalid {
        eprintln!(
            "error: {errors} invalid line(s); nothing imported (use --skip-invalid to import the valid events)"
        );
        return Ok(ExitCode::from(1));
    }
    summary.invalid_lines = errors;

    // Pass 2: insert in batches inside one transaction.
    let insert_options = InsertOptions {
        ensure_parents: !args.no_create_parents,
        ..InsertOptions::EXACT
    };
    let (url, mut conn) = args.db.open()?;
    prepare_schema(&mut conn).with_context(|| format!("database {url}"))?;
    conn.enlarge_cache_for_bulk_writes()?;
    let progress = progress::events("import", Some(summary.events), global.quiet);
    let stored = conn
        .write_transaction(|conn| -> anyhow::Result<InsertSummary> {
            // Rows written since the last `tel migrate` by the original executor (no key) or keyed by
            // an older tel get their key first, so that they are found as already present.
            fill_missing_keys(conn)?;
            let mut total = InsertSummary::default();
            let mut batch: Vec<TelemetryEvent> = Vec::with_capacity(BATCH_EVENTS);
            let mut flush = |batch: &mut Vec<TelemetryEvent>| -> anyhow::Result<()> {
                let done = insert_events(conn, batch, insert_options)?;
                total.inserted += done.inserted;
                total.duplicates += done.duplicates;
                progress.inc(batch.len() as u64);
                batch.clear();
                Ok(())
            };
            for &(path, format) in &inputs {
                for record in reader(path, format, options)? {
                    match record {
                        Ok(Record::Event { event, .. }) => batch.push(*event),
                        Ok(Record::Skipped { .. }) => {}
                        Err(err) if args.skip_invalid => drop(err),
                        Err(err) => return Err(changed_since_validation(err)),
                    }
                    if batch.len() == BATCH_EVENTS {
                        flush(&mut batch)?;
                    }
                }
            }
            flush(&mut batch)?;
            Ok(total)
        })
        .with_context(|| format!("cannot import into {url}; nothing was imported"))?;
    summary.inserted = stored.inserted;
    summary.duplicates = stored.duplicates;

    if args.json {
        outln!("{}", serde_json::to_string(&summary)?)?;
    } else if !global.quiet {
        outln!(
            "{} new, {} already present ({} events read from {} file(s); {} invalid, {} skipped lines)",
            summary.inserted,
            summary.duplicates,
            summary.events,
            summary.files,
            summary.invalid_lines,
            summary.skipped_lines
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A line that validated in pass 1 but failed in pass 2: the file changed while importing.
fn changed_since_validation(err: ImportError) -> anyhow::Error {
    anyhow::anyhow!("{err} (the file changed during the import)")
}

/// The format given on the command line, else the detected one.
fn format_of(path: &Path, given: Option<FormatArg>) -> anyhow::Result<ImportFormat> {
    Ok(match given {
        Some(FormatArg::Ndjson | FormatArg::Extended) => ImportFormat::Ndjson,
        Some(FormatArg::Csv) => ImportFormat::Csv,
        Some(FormatArg::Log) => ImportFormat::Log,
        Some(FormatArg::Otlp) => ImportFormat::Otlp,
        None => {
            let mut first = None;
            for line in open(path)?.lines() {
                // An unreadable line is reported by the reader itself, with its line number.
                let Ok(line) = line else { break };
                if !line.trim().is_empty() {
                    first = Some(line);
                    break;
                }
            }
            ImportFormat::detect(path, first.as_deref())
        }
    })
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::new(file))
}

fn reader(
    path: &Path,
    format: ImportFormat,
    options: ImportOptions,
) -> anyhow::Result<EventReader<BufReader<File>>> {
    Ok(EventReader::new(
        open(path)?,
        &path.display().to_string(),
        format,
        options,
    ))
}

//! `tel import`: the arguments and the printing of tel-replay's import pipeline
//! ([`tel_replay::db::import`]), which loads NDJSON, CSV, executor logs or OTLP/JSON spans in one pass and
//! one transaction (all or nothing), skipping events already stored (idempotent).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tel_replay::db::import::{ImportFailure, ImportInput, ImportProgress, ImportSettings, import};
use tel_replay::import::ImportFormat;

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::db::prepare_schema;
use crate::cmd::progress;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel import telemetry.ndjson                  # an original or extended export; again = \"0 new\"
  tel import exports/*.csv --skip-invalid      # import the valid rows, report the others
  tel import --format log --include-v1 autopack-executor.log
  tel import --format otlp traces.jsonl        # OpenTelemetry GenAI spans; non-GenAI spans are skipped
  tel export --database-url A | tel import --database-url B -   # `-` reads stdin (NDJSON unless --format)

A new, empty database gets the schema; an existing one must be up to date (tel migrate).";

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
    /// Files to import; `-` reads standard input (NDJSON unless --format says otherwise).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Input format of every file [default: detected from the first line, then the extension; NDJSON
    /// for standard input].
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

/// Runs `tel import`.
pub fn run(args: &ImportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.map(ImportFormat::from);
    let inputs = args
        .files
        .iter()
        .map(|path| {
            Ok(if path == Path::new("-") {
                let stdin = std::io::stdin().lock();
                ImportInput::reader(STDIN, stdin, format.unwrap_or(ImportFormat::Ndjson))
            } else {
                ImportInput::file(path, format)?
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let settings = ImportSettings {
        skip_invalid: args.skip_invalid,
        include_v1: args.include_v1,
        create_parents: !args.no_create_parents,
    };
    let (url, mut conn) = args.db.open()?;
    prepare_schema(&mut conn).with_context(|| format!("database {url}"))?;
    let bar = progress::events("import", None, global.quiet);
    let imported = import(&mut conn, inputs, settings, |event| match event {
        ImportProgress::Skipped { file, line, reason } if !global.quiet => {
            eprintln!("{file}:{line}: skipped: {reason}");
        }
        ImportProgress::Invalid(err) => eprintln!("{err}"),
        ImportProgress::Written(n) => bar.set_position(n),
        ImportProgress::Skipped { .. } => {}
    });
    bar.finish_and_clear();
    let summary = match imported {
        Ok(summary) => summary,
        Err(ImportFailure::Invalid { lines }) => {
            eprintln!(
                "error: {lines} invalid line(s); nothing imported (use --skip-invalid to import the valid events)"
            );
            return Ok(ExitCode::from(1));
        }
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot import into {url}; nothing was imported"));
        }
    };
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

/// The name of standard input in `FILE:LINE` messages, as in `tel record --batch -`.
const STDIN: &str = "<stdin>";

impl From<FormatArg> for ImportFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Ndjson | FormatArg::Extended => Self::Ndjson,
            FormatArg::Csv => Self::Csv,
            FormatArg::Log => Self::Log,
            FormatArg::Otlp => Self::Otlp,
        }
    }
}

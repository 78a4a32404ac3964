//! `tel generate`: stream deterministic synthetic telemetry as NDJSON in the original export format,
//! or insert it into a database through tel-store's streaming insert path (one transaction).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use tel_replay::export::{ExportFormat, ExportWriter};
use tel_replay::generate::{GenerateConfig, generate};
use tel_store::{InsertOptions, StreamOptions, insert_stream};

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::db::prepare_schema;
use crate::cmd::progress;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel generate --events 1000 --seed 7 > synthetic.ndjson
  tel generate --events 1000000 --seed 1 --output big.ndjson --truth truth.json
  tel generate --events 100000 --format db --database-url sqlite://synthetic.db

--format db creates the schema of a new database; an existing one must be migrated (tel migrate).
Generating the same seed into the same database again inserts nothing (idempotency keys).";

/// Arguments of `tel generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of events to generate.
    #[arg(long, default_value_t = 1000)]
    pub events: u64,
    /// Seed: the same seed always yields the same events.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// With ndjson: write the events to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the ground-truth coefficient set behind the actuals, as JSON, to FILE.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Ceilings so high that no call truncates: the same phases and needs, with the true need observed.
    #[arg(long)]
    pub uncensored: bool,
    /// With db: print the insert summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Output formats of `tel generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line, keys and value formats of the original export tool.
    Ndjson,
    /// Insert into the database of --database-url (one transaction: all or nothing).
    Db,
}

/// How generated events are written (also by `tel demo`): created runs and phases, run ids backfilled as
/// the recorder does.
pub(crate) const GENERATED: StreamOptions = StreamOptions::bulk(InsertOptions::RECORDER);

/// Runs `tel generate`.
pub fn run(args: &GenerateArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let config = GenerateConfig {
        uncensored: args.uncensored,
        ..GenerateConfig::new(args.events, args.seed)
    };
    if let Some(path) = &args.truth {
        let text = serde_json::to_string_pretty(&config.truth)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write the ground truth to {}", path.display()))?;
    }
    let progress = progress::events("generate", Some(args.events), global.quiet);
    match args.format {
        Format::Ndjson => write_ndjson(config, args.output.as_ref(), &progress),
        Format::Db => {
            if let Some(path) = &args.output {
                bail!(
                    "--output {} applies to --format ndjson; --format db writes to --database-url",
                    path.display()
                );
            }
            let (url, mut conn) = args.db.open()?;
            prepare_schema(&mut conn).with_context(|| format!("database {url}"))?;
            let summary = insert_stream(&mut conn, generate(config), GENERATED, |n| {
                progress.set_position(n);
            })
            .with_context(|| format!("insert generated events into {url}"))?;
            if args.json {
                let report = serde_json::json!({
                    "database": url.to_string(),
                    "events": args.events,
                    "inserted": summary.inserted,
                    "duplicates": summary.duplicates,
                });
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                eprintln!(
                    "generated {} events into {url}: {} inserted, {} already stored",
                    args.events, summary.inserted, summary.duplicates
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_ndjson(
    config: GenerateConfig,
    output: Option<&PathBuf>,
    progress: &ProgressBar,
) -> anyhow::Result<ExitCode> {
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = ExportWriter::new(
        BufWriter::with_capacity(1 << 16, sink),
        ExportFormat::Ndjson,
        false,
    )?;
    for event in generate(config) {
        writer.write_event(&event)?;
        progress.inc(1);
    }
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}

//! `tel generate`: stream deterministic synthetic telemetry as NDJSON in the original export format.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tel_replay::export::{ExportFormat, ExportWriter};
use tel_replay::generate::{GenerateConfig, generate};

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel generate --events 1000 --seed 7 > synthetic.ndjson
  tel generate --events 1000000 --seed 1 --output big.ndjson --truth truth.json";

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
    /// Write the events to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the ground-truth coefficient set behind the actuals, as JSON, to FILE.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

/// Output formats of `tel generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line, keys and value formats of the original export tool.
    Ndjson,
}

/// Runs `tel generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let config = GenerateConfig::new(args.events, args.seed);
    if let Some(path) = &args.truth {
        let text = serde_json::to_string_pretty(&config.truth)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write the ground truth to {}", path.display()))?;
    }
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(1 << 16, sink);
    match args.format {
        Format::Ndjson => {
            let mut writer = ExportWriter::new(out, ExportFormat::Ndjson, false)?;
            for event in generate(config) {
                writer.write_event(&event)?;
            }
            writer.finish()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! The command-line grammar of `tel` (clap derive): one variant per command.

use clap::{Parser, Subcommand};

/// tel — LLM output-token estimation telemetry for operators.
#[derive(Debug, Parser)]
#[command(name = "tel", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every `tel` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the estimator profiles tel knows.
    Profiles,
    /// Replay an estimator profile over recorded telemetry.
    Replay(crate::cmd::replay::ReplayArgs),
    /// Generate deterministic synthetic telemetry (NDJSON in the original export format).
    #[command(after_help = crate::cmd::generate::EXAMPLES)]
    Generate(crate::cmd::generate::GenerateArgs),
}

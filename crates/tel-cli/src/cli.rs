//! The command-line grammar of `tel` (clap derive): one variant per command.

use clap::{Args, Parser, Subcommand};

use crate::cmd::completions::CompletionsArgs;
use crate::cmd::coverage::CoverageArgs;
use crate::cmd::report::ReportArgs;

/// tel — LLM output-token estimation telemetry for operators.
#[derive(Debug, Parser)]
#[command(name = "tel", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only data and errors: no summaries, no progress.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The database a command reads or writes.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// Database URL (sqlite://PATH, a plain path, :memory: or postgres://…); default: $TEL_DATABASE_URL,
    /// then $DATABASE_URL, then the embedded SQLite default.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Every `tel` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the estimator profiles tel knows.
    Profiles,
    /// Replay an estimator profile over recorded telemetry.
    Replay(crate::cmd::replay::ReplayArgs),
    /// Report on the database: risk and cost against targets, triage, strata, tuning decision.
    Report(ReportArgs),
    /// Check sample-collection readiness: clean samples per category × complexity × bucket.
    Coverage(CoverageArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

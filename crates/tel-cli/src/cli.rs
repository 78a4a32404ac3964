//! The command-line grammar of `tel` (clap derive): one variant per command.

use clap::{Args, Parser, Subcommand};

use crate::cmd::completions::CompletionsArgs;
use crate::cmd::coverage::CoverageArgs;
use crate::cmd::report::ReportArgs;

/// tel — LLM output-token estimation telemetry for operators.
#[derive(Debug, Parser)]
#[command(name = "tel", version, about, propagate_version = true)]
// `--database-url` before the subcommand (`tel --database-url X status`), as diesel_cli and cargo take
// their global options: clap does not propagate a global argument to a subcommand that defines the same
// id, so the database commands keep their own `DbArgs` definition and receive the value given here.
#[command(arg(clap::Arg::new("database_url")
    .long("database-url")
    .value_name("URL")
    .global(true)
    .help("Database of the commands that use one (also accepted after the subcommand)")))]
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

/// Every `tel` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Quickstart: generate a SQLite database of telemetry, replay, report and write the HTML report.
    #[command(after_help = crate::cmd::demo::EXAMPLES)]
    Demo(crate::cmd::demo::DemoArgs),
    /// Print the estimator profiles tel knows.
    #[command(after_help = crate::cmd::profiles::EXAMPLES)]
    Profiles(crate::cmd::profiles::ProfilesArgs),
    /// Estimate output tokens and select a max_tokens budget for a phase (or a batch of phases).
    #[command(after_help = crate::cmd::estimate::EXAMPLES)]
    Estimate(crate::cmd::estimate::EstimateArgs),
    /// Replay an estimator profile over recorded telemetry.
    Replay(crate::cmd::replay::ReplayArgs),
    /// Generate deterministic synthetic telemetry (NDJSON in the original export format).
    #[command(after_help = crate::cmd::generate::EXAMPLES)]
    Generate(crate::cmd::generate::GenerateArgs),
    /// Report on the database: risk and cost against targets, triage, strata, tuning decision.
    Report(ReportArgs),
    /// Check sample-collection readiness: clean samples per category × complexity × bucket.
    Coverage(CoverageArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Apply, inspect or revert the database schema; adopts a legacy Autopack database in place.
    #[command(after_help = crate::cmd::migrate::EXAMPLES)]
    Migrate(crate::cmd::migrate::MigrateArgs),
    /// Show the database: backend, location, schema version, row counts, event time range, spool.
    #[command(after_help = crate::cmd::status::EXAMPLES)]
    Status(crate::cmd::status::StatusArgs),
    /// Record one telemetry event (JSON or flags) through the fail-safe recorder.
    #[command(after_help = crate::cmd::record::EXAMPLES)]
    Record(Box<crate::cmd::record::RecordArgs>),
    /// Work with the spool of events the recorder could not store.
    #[command(subcommand)]
    Spool(crate::cmd::spool::SpoolCommand),
    /// Delete telemetry older than a given age (then VACUUM on SQLite).
    #[command(after_help = crate::cmd::prune::EXAMPLES)]
    Prune(crate::cmd::prune::PruneArgs),
    /// Fit the estimator's phase overheads and prices to stored events, cross-validated; write a coefficients file.
    #[command(after_help = crate::cmd::calibrate::EXAMPLES)]
    Calibrate(Box<crate::cmd::calibrate::CalibrateArgs>),
    /// Replay budget policies over stored events: truncation (with unknowns), slack, cost, pinball loss.
    #[command(after_help = crate::cmd::simulate::EXAMPLES)]
    Simulate(Box<crate::cmd::simulate::SimulateArgs>),
    /// Tune per-stratum budget rules to a truncation target, cross-validated; write a coefficients file.
    #[command(after_help = crate::cmd::tune::EXAMPLES)]
    Tune(Box<crate::cmd::tune::TuneArgs>),
    /// Print the man page of tel (roff), or write one page per command into a directory.
    Man(crate::cmd::completions::ManArgs),
    /// Export stored events: the original NDJSON (byte-exact), --extended, or CSV.
    #[command(after_help = crate::cmd::export::EXAMPLES)]
    Export(crate::cmd::export::ExportArgs),
    /// Import NDJSON, CSV or executor logs; all or nothing unless --skip-invalid, idempotent.
    #[command(after_help = crate::cmd::import::EXAMPLES)]
    Import(crate::cmd::import::ImportArgs),
}

/// The database options every database command takes.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database: sqlite:///abs/path.db, sqlite://rel.db, a plain path, :memory:, postgres://…
    /// [default: $TEL_DATABASE_URL, else $DATABASE_URL, else sqlite://tel.db]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// How long an SQLite write waits for another writer's lock, in milliseconds [default: 5000;
    /// `tel record`: 250]
    #[arg(long, value_name = "MS")]
    pub busy_timeout_ms: Option<u64>,
}

//! `tel migrate`: apply pending migrations (adopting a legacy database first), show status, dry-run,
//! or revert the last N.

use std::process::ExitCode;

use clap::Args;
use tel_store::{MigrateAction, migrate};

use crate::cli::{DbArgs, GlobalArgs};

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel migrate                                  # create or upgrade ./tel.db
  tel migrate --database-url sqlite:///data/autopack.db --dry-run
                                               # show what adopting a legacy database would do
  tel migrate --status --json
  tel migrate --down 1                         # refused if it would drop rows; add --force";

/// Arguments of `tel migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Show applied and pending migrations; change nothing.
    #[arg(long, conflicts_with_all = ["dry_run", "down"])]
    status: bool,
    /// Show what would be done; change nothing.
    #[arg(long, conflicts_with = "down")]
    dry_run: bool,
    /// Revert the last N migrations.
    #[arg(long, value_name = "N")]
    down: Option<usize>,
    /// With --down: revert even if rows would be dropped.
    #[arg(long, requires = "down")]
    force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tel migrate`; with `--quiet`, applying or reverting prints nothing (errors still go to stderr),
/// while `--status`, `--dry-run` and `--json` are the data asked for and still print.
pub fn run(args: &MigrateArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let action = match (args.status, args.dry_run, args.down) {
        (true, _, _) => MigrateAction::Status,
        (_, true, _) => MigrateAction::DryRun,
        (_, _, Some(steps)) => MigrateAction::Down {
            steps,
            force: args.force,
        },
        _ => MigrateAction::Apply,
    };
    let (url, mut conn) = args.db.open()?;
    let asked_for_output = matches!(action, MigrateAction::Status | MigrateAction::DryRun);
    let report = migrate(&mut conn, action)?;
    if global.quiet && !asked_for_output && !args.json {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["database"] = url.to_string().into();
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        outln!("database: {url}")?;
        out!("{report}")?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `tel spool replay`: write the spooled events exactly once, then empty the spool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::DbArgs;

/// `tel spool` subcommands.
#[derive(Debug, Subcommand)]
pub enum SpoolCommand {
    /// Write every spooled event into the database (exactly once) and empty the spool.
    #[command(after_help = "Examples:
  tel spool replay
  tel spool replay --spool /var/tmp/tel.spool.ndjson --database-url postgres://tel@db/tel")]
    Replay(ReplayArgs),
}

/// Arguments of `tel spool replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The spool file [default: beside the SQLite file, or under the data directory].
    #[arg(long, value_name = "PATH")]
    spool: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `tel spool` subcommand.
pub fn run(command: &SpoolCommand) -> anyhow::Result<ExitCode> {
    let SpoolCommand::Replay(args) = command;
    let spool = args.db.spool(args.spool.as_deref())?;
    let (url, mut conn) = args.db.open()?;
    let summary = spool.replay(&mut conn)?;
    if args.json {
        outln!("{}", serde_json::to_string(&summary)?)?;
    } else {
        outln!(
            "{}: {} events replayed into {url}: {} written, {} already stored",
            spool.path().display(),
            summary.events,
            summary.inserted,
            summary.duplicates
        )?;
    }
    if summary.kept_unreadable > 0 {
        eprintln!(
            "warning: {} unreadable lines kept in {}",
            summary.kept_unreadable,
            spool.path().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! `tel spool replay`: write the spooled events exactly once, then empty the spool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::DbArgs;

/// `tel spool` subcommands.
#[derive(Debug, Subcommand)]
pub enum SpoolCommand {
    /// Write every spooled event it can into the database (exactly once); keep the others with their reason.
    #[command(after_help = "Examples:
  tel spool replay
  tel spool replay --spool /var/tmp/tel.spool.ndjson --database-url postgres://tel@db/tel

One event that cannot be written never blocks the others: it stays in the spool with its new reason
(printed on stderr), as do unreadable lines. Exit status: 0 when the spool is empty afterwards, 3 when
lines were kept, 1 when the replay could not run (spool or database unusable).")]
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

/// Exit code of `tel spool replay` when it wrote what it could but kept some lines (events it could
/// not write, unreadable lines): 0 means the spool is empty, 1 that the replay could not run.
pub const EXIT_KEPT: u8 = 3;

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
            "{}: {} events replayed into {url}: {} written, {} already stored, {} kept (not written), {} unreadable lines kept",
            spool.path().display(),
            summary.events,
            summary.inserted,
            summary.duplicates,
            summary.kept_failed,
            summary.kept_unreadable
        )?;
    }
    for failure in &summary.failures {
        eprintln!("kept: {}: {failure}", spool.path().display());
    }
    if summary.kept_unreadable > 0 {
        eprintln!(
            "warning: {} unreadable lines kept in {}",
            summary.kept_unreadable,
            spool.path().display()
        );
    }
    Ok(if summary.kept() > 0 {
        ExitCode::from(EXIT_KEPT)
    } else {
        ExitCode::SUCCESS
    })
}

//! `tel migrate`: apply pending migrations (adopting a legacy database first), show status, dry-run,
//! or revert the last N.

use std::process::ExitCode;

use clap::Args;
use tel_store::introspect::journal_mode;
use tel_store::{MigrateAction, OpenMode, migrate};

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
    let read_only = matches!(action, MigrateAction::Status | MigrateAction::DryRun);
    // A writing connection switches an existing SQLite file to WAL; its mode before is read first
    // (read-only, nothing changed) so that the switch can be reported. Best effort: a file that
    // cannot be read read-only (a hot journal to roll back) is left to the writing open.
    let journal_before = match args.db.url()?.sqlite_path() {
        Some(path) if !read_only && path.is_file() => args
            .db
            .open_read_only()
            .ok()
            .and_then(|(_, mut conn)| journal_mode(&mut conn).ok().flatten()),
        _ => None,
    };
    let (url, mut conn) = args.db.open_with(if read_only {
        OpenMode::ReadOnly
    } else {
        OpenMode::ReadWrite
    })?;
    let switched = match journal_before {
        Some(before) => journal_mode(&mut conn)?
            .filter(|after| *after != before)
            .map(|after| (before, after)),
        None => None,
    };
    let switch_line = switched.as_ref().map(|(before, after)| {
        format!("journal mode: switched from {before} to {after} (tel's writers need WAL; see docs/STORE.md)")
    });
    let report = match (migrate(&mut conn, action), &switch_line) {
        (Ok(report), _) => report,
        // The switch happened on opening; a failed migration does not undo it, so it is still said.
        (Err(err), Some(line)) => return Err(anyhow::Error::from(err).context(line.clone())),
        (Err(err), None) => return Err(err.into()),
    };
    if global.quiet && !read_only && !args.json {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["database"] = url.to_string().into();
        if let Some((before, after)) = &switched {
            value["journal_mode"] = serde_json::json!({ "before": before, "after": after });
        }
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        outln!("database: {url}")?;
        if let Some(line) = &switch_line {
            outln!("{line}")?;
        }
        out!("{report}")?;
    }
    Ok(ExitCode::SUCCESS)
}

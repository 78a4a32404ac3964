//! `tel status`: what database tel would use and what is in it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use tel_store::{count_rows, event_time_range, migration_state};

use crate::cli::DbArgs;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel status
  TEL_DATABASE_URL=postgres://tel@db/tel tel status --json";

/// Arguments of `tel status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The spool file [default: beside the SQLite file, or under the data directory].
    #[arg(long, value_name = "PATH")]
    spool: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tel status`.
pub fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let (url, mut conn) = args.db.open_read_only()?;
    let state = migration_state(&mut conn)?;
    let migrated = state.pending.is_empty() && !state.legacy;
    // Counts need the current schema; an unmigrated database reports none.
    let counts = if migrated {
        Some(count_rows(&mut conn)?)
    } else {
        None
    };
    let range = if migrated {
        event_time_range(&mut conn)?
    } else {
        None
    };
    let spool = args.db.spool(args.spool.as_deref())?;
    let spool_size = spool.size()?;
    if args.json {
        let value = json!({
            "backend": conn.backend().to_string(),
            "database": url.to_string(),
            "schema_version": state.version(),
            "legacy_unadopted": state.legacy,
            "pending_migrations": state.pending,
            "row_counts": counts,
            "oldest_event": range.map(|(oldest, _)| oldest.to_sql_text()),
            "newest_event": range.map(|(_, newest)| newest.to_sql_text()),
            "spool": {
                "path": spool.path().display().to_string(),
                "events": spool_size.lines - spool_size.unreadable,
                "unreadable_lines": spool_size.unreadable,
                "bytes": spool_size.bytes,
                "oldest_event": spool_size.oldest_event.map(|at| at.to_sql_text()),
            },
        });
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("backend: {}", conn.backend())?;
    outln!("database: {url}")?;
    outln!("schema version: {}", state.version().unwrap_or("none"))?;
    if state.legacy {
        outln!("legacy database not yet adopted: run `tel migrate --dry-run`, then `tel migrate`")?;
    }
    outln!("pending migrations: {}", state.pending.len())?;
    for name in &state.pending {
        outln!("  {name}")?;
    }
    match counts {
        Some(c) => {
            outln!("runs: {}", c.runs)?;
            outln!("phases: {}", c.phases)?;
            outln!(
                "token_estimation_v2_events: {}",
                c.token_estimation_v2_events
            )?;
            outln!(
                "token_budget_escalation_events: {}",
                c.token_budget_escalation_events
            )?;
        }
        None => outln!("row counts: unavailable until `tel migrate` has run")?,
    }
    match range {
        Some((oldest, newest)) => outln!(
            "events from {} to {}",
            oldest.to_sql_text(),
            newest.to_sql_text()
        )?,
        None => outln!("events: none")?,
    }
    outln!(
        "spool: {} ({} events, {} unreadable lines, {} bytes{})",
        spool.path().display(),
        spool_size.lines - spool_size.unreadable,
        spool_size.unreadable,
        spool_size.bytes,
        spool_size
            .oldest_event
            .map(|at| [", oldest event ", &at.to_sql_text()].concat())
            .unwrap_or_default()
    )?;
    Ok(ExitCode::SUCCESS)
}

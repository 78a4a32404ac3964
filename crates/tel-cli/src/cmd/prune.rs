//! `tel prune --older-than 90d`: delete old telemetry and compact the database.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use tel_store::{now, prune_older_than};

use crate::cli::DbArgs;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel prune --older-than 90d
  tel prune --older-than 12h --database-url sqlite:///var/lib/tel/tel.db";

/// Arguments of `tel prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Age of the events to delete: a number with a unit s, m, h, d or w (e.g. 90d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    older_than: Duration,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Parses `90d`, `12h`, `30m`, `45s`, `2w`.
fn parse_age(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let Ok(number) = number.parse::<u64>() else {
        bail!(
            "invalid age {text:?}: expected a whole number followed by s, m, h, d or w (e.g. 90d)"
        );
    };
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => bail!("invalid age {text:?}: expected a unit s, m, h, d or w (e.g. 90d)"),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// Runs `tel prune`.
pub fn run(args: &PruneArgs) -> anyhow::Result<ExitCode> {
    let (url, mut conn) = args.db.open()?;
    let summary = prune_older_than(&mut conn, args.older_than, now())?;
    if args.json {
        outln!("{}", serde_json::to_string(&summary)?)?;
    } else {
        outln!(
            "{url}: deleted {} telemetry events and {} escalation events",
            summary.events,
            summary.escalation_events
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_a_unit_and_reject_anything_else() {
        assert_eq!(parse_age("90d").unwrap(), Duration::from_secs(90 * 86_400));
        assert_eq!(parse_age("2w").unwrap(), Duration::from_secs(14 * 86_400));
        for bad in ["90", "d", "-1d", "1.5d", "3y", ""] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }
}

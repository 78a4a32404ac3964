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

/// Parses `90d`, `12h`, `30m`, `45s`, `2w`; the error names the value.
fn parse_age(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    // The unit is the last character, which may be any UTF-8 character (`9é`).
    let unit_at = text.char_indices().next_back().map_or(0, |(at, _)| at);
    let (number, unit) = text.split_at(unit_at);
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
        _ => {
            bail!("invalid age {text:?}: expected a unit s, m, h, d or w (e.g. 90d), got {unit:?}")
        }
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// Runs `tel prune`: exit 0 once the deletion is committed, even when the VACUUM after it fails
/// (a warning on stderr says so); exit 1 when nothing was deleted because of an error.
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
    if let Some(error) = &summary.vacuum_error {
        eprintln!(
            "warning: {url}: the deletion is committed, but the database could not be compacted (VACUUM: {error}); the freed space is reused by new events, and `tel prune` compacts it when run again with free disk space at least the size of the database"
        );
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

    #[test]
    fn age_with_a_multibyte_unit_is_an_error_naming_it_not_a_panic() {
        for bad in ["9é", "é", "90日", "1d😀"] {
            let message = parse_age(bad).unwrap_err().to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }
}

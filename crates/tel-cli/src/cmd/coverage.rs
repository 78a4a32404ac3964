//! `tel coverage`: is there enough real data to validate the estimator? Clean samples per
//! category × complexity × deliverable bucket against the collection plan, and a verdict.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Args;
use tel_replay::report::coverage::{Coverage, CoverageBuilder, CoverageOptions};
use tel_replay::report::format::{self, count};

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::events::feed_stored_events;

/// Arguments of `tel coverage`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tel coverage --database-url sqlite://tel.db
  tel coverage --min-total 40 --min-per-cell 2 --category docs --category implementation
  tel coverage --json | jq .verdict")]
pub struct CoverageArgs {
    /// The database to read.
    #[command(flatten)]
    pub db: DbArgs,
    /// The verdict needs at least this many clean samples in planned cells.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub min_total: u64,
    /// The collection goal shown beside the total.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub target_total: u64,
    /// A cell with fewer clean samples counts as missing.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_per_cell: u64,
    /// A category of the grid (repeatable); default: every category in the data.
    #[arg(long = "category", value_name = "NAME")]
    pub categories: Vec<String>,
    /// Print the result as JSON (schema tel.coverage/1, see docs/REPORT.md).
    #[arg(long)]
    pub json: bool,
    /// Exit with code 1 unless the verdict is VALIDATED ON REAL DATA.
    #[arg(long)]
    pub check: bool,
}

/// Runs `tel coverage`.
pub fn run(args: &CoverageArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut builder = CoverageBuilder::new();
    let source = feed_stored_events(&args.db, &mut [&mut builder])?;
    let coverage = builder.finish(CoverageOptions {
        min_total: args.min_total,
        target_total: args.target_total,
        min_per_cell: args.min_per_cell,
        categories: args.categories.clone(),
    });
    let text = if args.json {
        serde_json::to_string_pretty(&coverage)? + "\n"
    } else if global.quiet {
        format!("{}\n", coverage.verdict.as_str())
    } else {
        human(&coverage, &source)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    let validated = coverage.reasons.is_empty();
    Ok(if args.check && !validated {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The terminal rendering: the grid, the missing cells, the total and the verdict.
pub fn human(coverage: &Coverage, source: &str) -> String {
    let o = &coverage.options;
    let mut out = format!(
        "tel coverage\n{source}: {} events, {} eligible, {} truncated (not usable), {} clean without deliverables (outside the plan)\n\n",
        count(coverage.events),
        count(coverage.eligible),
        count(coverage.truncated),
        count(coverage.clean_without_deliverables)
    );
    let mut table = format::table(
        [
            "Category",
            "Complexity",
            "1-3",
            "4-7",
            "8-15",
            "16+",
            "Total",
        ],
        2,
    );
    for row in coverage.cells.chunks(4) {
        let Some(first) = row.first() else { continue };
        let mut cells = vec![first.category.clone(), first.complexity.to_string()];
        cells.extend(row.iter().map(|c| {
            let mark = if c.clean < o.min_per_cell { " !" } else { "" };
            format!("{}{mark}", count(c.clean))
        }));
        cells.push(count(row.iter().map(|c| c.clean).sum()));
        table.add_row(cells);
    }
    out.push_str(&table.to_string());
    out.push_str(&format!(
        "\n  Clean samples per cell (! = fewer than {}). Missing cells: {} of {}.\n",
        o.min_per_cell,
        coverage.missing_cells,
        coverage.cells.len()
    ));
    out.push_str(&format!(
        "  Total: {} clean samples (minimum {}, target {}).\n\n{}\n",
        count(coverage.clean_total),
        count(o.min_total),
        count(o.target_total),
        coverage.verdict.as_str()
    ));
    for reason in &coverage.reasons {
        out.push_str(&format!("  - {reason}\n"));
    }
    out
}

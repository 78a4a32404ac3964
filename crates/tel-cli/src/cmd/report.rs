//! `tel report`: the operator report over the database — risk and cost against targets, diagnostics,
//! truncation triage, stratification and the tuning decision — as a table, JSON, markdown or HTML.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use comfy_table::Table;
use tel_core::BucketScheme;
use tel_replay::report::sections::{Section, sections};
use tel_replay::report::{Report, ReportBuilder, ReportOptions, format, html};

use tel_replay::db::calibrate::default_cost_curve;
use tel_replay::tune::CurvePoint;

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::events::feed_stored_events;

/// Arguments of `tel report`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tel report --database-url sqlite://tel.db
  tel report --max-underestimation 10 --max-truncation 5 --markdown > report.md
  tel report --json | jq .decision
  tel report --html target/tel-report.html --quiet")]
pub struct ReportArgs {
    /// The database to read.
    #[command(flatten)]
    pub db: DbArgs,
    /// Tier 1 target: the highest acceptable underestimation rate, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 5.0)]
    pub max_underestimation: f64,
    /// Tier 1 target: the highest acceptable truncation rate, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 2.0)]
    pub max_truncation: f64,
    /// Deliverable buckets for strata and triage: collection, v3, triage, recommended.
    #[arg(long, value_name = "SCHEME", default_value_t = BucketScheme::Collection)]
    pub buckets: BucketScheme,
    /// Triage: list at most this many segments.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub top_segments: usize,
    /// Print the report as JSON (schema tel.report/1, see docs/REPORT.md).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the report as markdown.
    #[arg(long)]
    pub markdown: bool,
    /// Also write the self-contained HTML report (inline SVG plots) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// With --html: also draw the cost curve of `tel tune` (total budget at truncation targets 1, 2, 5 and
    /// 10 %, cross-validated, v2-head predictions); takes a while on large databases.
    #[arg(long, requires = "html")]
    pub cost_curve: bool,
    /// Exit 0 within targets, 1 when tuning is needed (a Tier 1 target fails), 3 when there is no data to
    /// judge (no eligible event).
    #[arg(long)]
    pub check: bool,
}

/// Runs `tel report`.
pub fn run(args: &ReportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let options = ReportOptions {
        max_underestimation_pct: args.max_underestimation,
        max_truncation_pct: args.max_truncation,
        buckets: args.buckets,
        top_segments: args.top_segments,
        ..ReportOptions::default()
    };
    let mut builder = ReportBuilder::new(options);
    let source = feed_stored_events(&args.db, &mut [&mut builder])?;
    let report = builder.finish();
    if let Some(path) = &args.html {
        let curve = if args.cost_curve {
            cost_curve(&args.db, args.buckets)?
        } else {
            Vec::new()
        };
        write_html(&report, &source, &curve, path)?;
        if !global.quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else if args.markdown {
        markdown(&report, &source)
    } else if global.quiet {
        String::new()
    } else {
        human(&report, &source)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(if args.check {
        check_exit_code(&report)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--check`: 0 within targets, 1 tuning needed, 3 no data to judge (2 stays clap's usage error).
fn check_exit_code(report: &Report) -> ExitCode {
    if report.decision.no_data {
        ExitCode::from(3)
    } else if report.decision.tuning_needed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes the HTML report, with the cost curve unless it is empty, to `path`.
pub fn write_html(
    report: &Report,
    source: &str,
    curve: &[CurvePoint],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::write(path, html::render_with_cost_curve(report, source, curve))
        .with_context(|| format!("cannot write the HTML report {}", path.display()))
}

/// `tel tune`'s cross-validated cost curve over every stored event, with its default settings.
fn cost_curve(db: &DbArgs, scheme: BucketScheme) -> anyhow::Result<Vec<CurvePoint>> {
    let (url, mut conn) = db.open_read_only()?;
    default_cost_curve(&mut conn, scheme).with_context(|| format!("database {url}"))
}

/// The decision in words.
pub fn headline(report: &Report) -> &'static str {
    if report.decision.no_data {
        "NO DATA TO JUDGE"
    } else if report.decision.tuning_needed {
        "TUNING NEEDED"
    } else {
        "within targets"
    }
}

fn scope_line(report: &Report, source: &str) -> String {
    let a = &report.accuracy;
    format!(
        "{source}: {} events, {} eligible ({} truncated, {} not truncated, {} truncation unknown); excluded: {} call failed, {} total usage, {} no prediction, {} invalid actual",
        format::count(a.events),
        format::count(a.eligible),
        format::count(a.truncated),
        format::count(a.non_truncated),
        format::count(a.truncation_unknown),
        format::count(a.excluded.call_failed),
        format::count(a.excluded.total_usage),
        format::count(a.excluded.no_prediction),
        format::count(a.excluded.invalid_actual),
    )
}

/// The terminal rendering: one table per section.
pub fn human(report: &Report, source: &str) -> String {
    let mut out = format!(
        "tel report\n{}\n\nDecision: {}\n",
        scope_line(report, source),
        headline(report)
    );
    for reason in &report.decision.reasons {
        out.push_str(&format!("  - {reason}\n"));
    }
    for section in sections(report) {
        out.push_str(&format!("\n{}\n", section.title));
        out.push_str(&table(&section).to_string());
        out.push('\n');
        for note in &section.notes {
            out.push_str(&format!("  {note}\n"));
        }
    }
    out
}

fn table(section: &Section) -> Table {
    let mut table = format::table(section.header.clone(), 1);
    for row in &section.rows {
        table.add_row(row.clone());
    }
    table
}

/// The markdown rendering: the same sections as pipe tables.
pub fn markdown(report: &Report, source: &str) -> String {
    let mut out = format!(
        "# tel report\n\n{}\n\n**Decision: {}**\n\n",
        scope_line(report, source),
        headline(report)
    );
    for reason in &report.decision.reasons {
        out.push_str(&format!("- {reason}\n"));
    }
    for section in sections(report) {
        out.push_str(&format!("\n## {}\n\n", section.title));
        let cell = |text: &str| text.replace('|', "\\|");
        out.push_str(&format!("| {} |\n", section.header.join(" | ")));
        let align: Vec<&str> = (0..section.header.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        out.push_str(&format!("| {} |\n", align.join(" | ")));
        for row in &section.rows {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        for note in &section.notes {
            out.push_str(&format!("\n{note}\n"));
        }
    }
    out
}

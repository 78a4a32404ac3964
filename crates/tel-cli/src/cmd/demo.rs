//! `tel demo`: the quickstart — a fresh SQLite database of generated telemetry, replayed, reported and drawn;
//! the terminal gets a summary, the HTML report and `tel report` the full tables.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::Context as _;
use clap::Args;
use tel_core::estimator::{EmptyWorkspace, Estimator, Profile};
use tel_replay::db::EventQuery;
use tel_replay::db::events::feed;
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::generate::{GenerateConfig, generate};
use tel_replay::replay::{NamedPredictor, Replay, ReplayOptions, ReplayReport, stored_prediction};
use tel_replay::report::{Report, ReportBuilder, ReportOptions, StratumRow, format};
use tel_store::{ConnectOptions, DatabaseUrl, MigrateAction, connect, insert_stream, migrate};

use crate::cli::GlobalArgs;
use crate::cmd::generate::GENERATED;
use crate::cmd::{progress, report};

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel demo
  tel demo --dir /tmp/tel-demo --events 20000 --seed 7

Re-running is safe: the demo database in DIR is recreated from the same seed each time.";

/// Arguments of `tel demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo database and the HTML report (created if missing).
    #[arg(long, value_name = "DIR", default_value = "tel-demo")]
    pub dir: PathBuf,
    /// Number of generated events.
    #[arg(long, default_value_t = 5000)]
    pub events: u64,
    /// Generator seed: the same seed always yields the same database.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Historical profiles replayed next to the stored (v2-head) predictions.
const REPLAYED_PROFILES: [&str; 3] = ["v2-head", "v5v6", "v1"];

/// Runs `tel demo`.
pub fn run(args: &DemoArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the demo directory {}", args.dir.display()))?;
    let db_path = args.dir.join("tel.db");
    remove_database(&db_path)?;
    let url = DatabaseUrl::SqliteFile(db_path.clone());
    let mut conn = connect(&url, &ConnectOptions::default())?;
    migrate(&mut conn, MigrateAction::Apply).with_context(|| format!("migrate {url}"))?;
    let progress = progress::events("generate", Some(args.events), global.quiet);
    let summary = insert_stream(
        &mut conn,
        generate(GenerateConfig::new(args.events, args.seed)),
        GENERATED,
        |n| progress.set_position(n),
    )
    .with_context(|| format!("insert generated events into {url}"))?;
    let say = |text: String| {
        if !global.quiet {
            eprintln!("{text}");
        }
    };
    say(format!(
        "demo: generated {} events (seed {}) into {url}",
        summary.inserted, args.seed
    ));

    // One pass over the database feeds both the replay and the report.
    let mut replay = Replay::new(predictors()?, ReplayOptions::default());
    let mut builder = ReportBuilder::new(ReportOptions::default());
    feed(
        &mut conn,
        &EventQuery::default(),
        &mut [&mut replay, &mut builder],
        &mut (),
    )?;
    let report = builder.finish();
    let replay = replay.finish()?;
    let source = url.to_string();
    let html_path = args.dir.join("report.html");
    report::write_html(&report, &source, &[], &html_path)?;
    std::io::stdout()
        .lock()
        .write_all(first_run_summary(&report, &replay, &html_path, &url).as_bytes())?;
    say(format!("demo: done, database {}", db_path.display()));
    Ok(ExitCode::SUCCESS)
}

/// Strata shown in the summary (the full tables are one `tel report` away).
const SUMMARY_STRATA: usize = 5;

/// The first run's screen: the decision, the headline numbers, the worst strata by truncation and where
/// the full report is — about 25 lines instead of every stratum of every table.
fn first_run_summary(
    report: &Report,
    replay: &ReplayReport,
    html: &Path,
    url: &DatabaseUrl,
) -> String {
    let mut out = format!("Decision: {}\n", report::headline(report));
    for reason in &report.decision.reasons {
        out.push_str(&format!("  - {reason}\n"));
    }
    let mut headline = format::table(["headline", "value", "target"], 1);
    for (name, check) in [
        ("underestimation", &report.tier1.underestimation),
        ("truncation", &report.tier1.truncation),
    ] {
        headline.add_row(vec![
            format!("{name} rate"),
            format::rate(check.rate.count, check.rate.n),
            format!("≤ {}", format::percent(Some(check.target_pct))),
        ]);
    }
    headline.add_row(vec![
        "waste median (prediction ÷ actual)".to_owned(),
        format::ratio(report.tier2.waste_median),
        String::new(),
    ]);
    for estimator in &replay.estimators {
        headline.add_row(vec![
            format!("SMAPE mean, {} predictions", estimator.name),
            format::percent(estimator.overall.smape.mean),
            String::new(),
        ]);
    }
    out.push_str(&format!("\n{headline}\n"));
    let mut worst: Vec<&StratumRow> = report.strata.iter().collect();
    // Most truncated events first (a one-event stratum at 100 % says little), then the higher rate.
    worst.sort_by(|a, b| {
        let pct = |row: &StratumRow| row.truncation_pct.unwrap_or(0.0);
        (b.truncation.count.cmp(&a.truncation.count)).then(pct(b).total_cmp(&pct(a)))
    });
    let mut strata = format::table(
        [
            "category / complexity / deliverables",
            "events",
            "truncated",
        ],
        1,
    );
    for row in worst.iter().take(SUMMARY_STRATA) {
        strata.add_row(vec![
            format!(
                "{} / {} / {}",
                row.category, row.complexity, row.deliverables
            ),
            format::count(row.events),
            format::rate(row.truncation.count, row.truncation.n),
        ]);
    }
    out.push_str(&format!(
        "\nMost truncated strata ({} of {}):\n{strata}\n",
        worst.len().min(SUMMARY_STRATA),
        format::count(worst.len() as u64)
    ));
    out.push_str(&format!(
        "\nFull report: {}\n  tel report --database-url {url}                 # every table\n  tel replay --database-url {url} --profile v1     # replay a profile\n  tel export --database-url {url} | head\n",
        html.display()
    ));
    out
}

/// The stored predictions and [`REPLAYED_PROFILES`] (empty workspace), side by side.
fn predictors() -> anyhow::Result<Vec<NamedPredictor>> {
    let mut predictors = vec![NamedPredictor {
        name: "stored".to_owned(),
        predictor: Box::new(stored_prediction),
    }];
    for name in REPLAYED_PROFILES {
        let profile = Profile::builtin(name).context("builtin profile")?;
        predictors.push(NamedPredictor {
            name: name.to_owned(),
            predictor: Box::new(EstimatorPredictor::new(
                Estimator::new(profile),
                Rc::new(EmptyWorkspace),
            )),
        });
    }
    Ok(predictors)
}

/// Removes a previous demo database with its WAL files, so re-runs start from the same state.
fn remove_database(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err).with_context(|| format!("cannot remove {}", file.display()));
            }
        }
    }
    Ok(())
}

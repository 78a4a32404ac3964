//! `tel tune`: per stratum, the cheapest budget rule that keeps truncation under a target, censoring-aware
//! and cross-validated; writes it as a deployable coefficients file (docs/CALIBRATION.md).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tel_core::BucketScheme;
use tel_core::estimator::Estimator;
use tel_replay::db::calibrate::{EventSource, tune_provenance};
use tel_replay::report::format;
use tel_replay::tune::table::{curve_table, strata_table};
use tel_replay::tune::{
    CURVE_TARGETS, CurvePoint, TuneConfig, TuneReport, confidence_z, cost_curve, tune, tune_events,
};
use tel_store::coefficients::render_coefficients;

use super::export::write_atomically;
use super::source::SourceArgs;

/// Examples shown by `tel tune --help`.
pub const EXAMPLES: &str = "Examples:
  tel tune --target-truncation 2% --output budgets.toml
  tel tune --database-url telemetry.db --coefficients calibrated.toml --target-truncation 5% --json
  tel estimate --coefficients budgets.toml --category tests --complexity low --deliverable tests/test_a.py
  tel simulate --database-url later.db --policy file:budgets.toml --policy buffer:2

The truncation interval's upper bound counts every truncated event: the target is reported met only on it";

/// Arguments of `tel tune`.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// Events; `--profile`/`--coefficients` give the prediction the rules scale, and the written profile.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Truncation target per stratum, e.g. 2% or 0.02.
    #[arg(long, value_parser = parse_share, default_value = "2%")]
    pub target_truncation: f64,
    /// Write the profile with the tuned budget rules (coefficients file, version 2) to FILE.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Confidence of the one-sided bound each stratum's rule must meet the target at: 0.9, 0.95, 0.99 or 0.999.
    #[arg(long, default_value_t = 0.99, value_parser = parse_confidence)]
    pub confidence: f64,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    pub folds: u64,
    /// Seed of the fold shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Deliverable bucket scheme of the finest strata.
    #[arg(long, default_value = "collection")]
    pub scheme: BucketScheme,
    /// Print the report and the cost curve as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A share written as `2%` or `0.02`, strictly between 0 and 1.
fn parse_share(text: &str) -> Result<f64, String> {
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("expected a share such as 2% or 0.02, found {text:?}"))?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "expected a share strictly between 0% and 100%, found {text:?}"
        ))
    }
}

fn parse_confidence(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|c| confidence_z(*c).is_some())
        .ok_or_else(|| format!("expected one of 0.9, 0.95, 0.99, 0.999, found {text:?}"))
}

/// Runs `tel tune`.
pub fn run(args: &TuneArgs) -> anyhow::Result<ExitCode> {
    let source = args.source.load()?;
    let estimator = Estimator::new(source.profile.clone());
    let events = tune_events(&source.prepared, &estimator);
    let config = TuneConfig {
        target: args.target_truncation,
        z: confidence_z(args.confidence).context("--confidence")?,
        folds: args.folds as usize,
        seed: args.seed,
        scheme: args.scheme,
        cap: source.profile.budget.cap,
    };
    let report = tune(&events, &config);
    let mut targets = CURVE_TARGETS.to_vec();
    if !targets.contains(&config.target) {
        targets.push(config.target);
        targets.sort_by(f64::total_cmp);
    }
    let curve = cost_curve(&events, &config, &targets);
    if let Some(path) = &args.output {
        let mut tuned = source.profile.clone();
        tuned.budget_rules = report.budget_rules.clone();
        let provenance = tune_provenance(&source, &report, &tuned);
        write_atomically(path, |out| {
            out.write_all(render_coefficients(&tuned, Some(&provenance)).as_bytes())
                .with_context(|| format!("{}: cannot write coefficients file", path.display()))
        })?;
        eprintln!(
            "wrote {} ({} rules, content hash {})",
            path.display(),
            report.rules.len(),
            tuned.content_hash()
        );
    }
    if args.json {
        let out = json!({
            "profile": source.profile.id,
            "events": source.events,
            "tuned_events": events.len(),
            "skipped": source.prepared.skipped,
            "time_range": source.time_range,
            "report": report,
            "curve": curve,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        print_report(&source, events.len(), &report, &curve)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(
    source: &EventSource,
    tuned_events: usize,
    report: &TuneReport,
    curve: &[CurvePoint],
) -> std::io::Result<()> {
    let target = report.config.target;
    let skipped = &source.prepared.skipped;
    outln!(
        "tune: {} events read, {} tuned (p from profile {}), {} ineligible, {} truncation unknown; target {} per stratum, {}-fold cross-validated",
        source.events,
        tuned_events,
        source.profile.id,
        skipped.ineligible,
        skipped.truncation_unknown,
        format::share(target),
        report.config.folds,
    )?;
    outln!(
        "a rule must meet the target on a one-sided Wilson bound (z = {:.3}); a stratum needs {} completed events for a rule of its own; thinner strata use the rule of a coarser one (category/complexity, category, all)",
        report.config.z,
        report.events_needed
    )?;
    outln!(
        "trunc interval: held-out [certain, certain + unknown]; unknown = truncated originally and given more than its old ceiling, never guessed; est = Kaplan-Meier estimate"
    )?;
    outln!()?;
    outln!("{}", strata_table(report))?;
    let overall = &report.overall;
    if !overall.met && overall.score.censored > 0 {
        outln!(
            "not provable on this data: {} truncated events count in the upper bound under any larger budget; check the rules on events recorded under them (tel simulate --policy file:…)",
            overall.score.censored
        )?;
    }
    outln!()?;
    outln!("cost curve (cross-validated)")?;
    outln!("{}", curve_table(curve))?;
    Ok(())
}

//! `tel tune`: per stratum, the cheapest budget rule that keeps truncation under a target, censoring-aware
//! and cross-validated; writes it as a deployable coefficients file (docs/CALIBRATION.md).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tel_core::BucketScheme;
use tel_core::estimator::{BudgetRule, Estimator, Profile};
use tel_replay::report::format;
use tel_replay::tune::{
    CURVE_TARGETS, CurvePoint, HeldOut, TuneConfig, TuneReport, confidence_z, cost_curve, tune,
    tune_events,
};
use tel_store::coefficients::{Provenance, TimeRange, render_coefficients};

use super::calibrate::{EventSource, SourceArgs};
use super::export::write_atomically;

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
    let source = EventSource::load(&args.source)?;
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
        let provenance = provenance(&source, &report, &tuned);
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

fn provenance(source: &EventSource, report: &TuneReport, tuned: &Profile) -> Provenance {
    let overall = &report.overall;
    let fit_metrics = BTreeMap::from([
        ("target_truncation".to_owned(), report.config.target),
        (
            "cv_truncation_lower".to_owned(),
            overall.score.truncation_rate[0],
        ),
        (
            "cv_truncation_upper".to_owned(),
            overall.score.truncation_rate[1],
        ),
        (
            "cv_truncation_estimated".to_owned(),
            overall.estimated_truncation,
        ),
        (
            "cv_total_budget".to_owned(),
            overall.score.total_budget as f64,
        ),
        ("events".to_owned(), overall.score.n as f64),
        ("truncated".to_owned(), overall.score.censored as f64),
        ("confidence_z".to_owned(), report.config.z),
        ("folds".to_owned(), report.config.folds as f64),
        ("seed".to_owned(), report.config.seed as f64),
    ]);
    Provenance {
        method: format!(
            "tel tune --target-truncation {} from profile {} ({} buckets)",
            percent(report.config.target),
            source.profile.id,
            report.config.scheme
        ),
        filters: source.filters_table(),
        time_range: source.time_range.as_ref().map(|(from, to)| TimeRange {
            from: from.clone(),
            to: to.clone(),
        }),
        n: Some(overall.score.n as i64),
        fit_metrics,
        content_hash: Some(tuned.content_hash()),
        tel_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

fn percent(x: f64) -> String {
    let text = format!("{:.2}", x * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

fn interval(h: &HeldOut) -> String {
    let [lo, hi] = h.score.truncation_rate;
    format!("[{}, {}]", percent(lo), percent(hi))
}

fn rule_text(rule: &BudgetRule) -> String {
    match (rule.multiplier > 0.0, rule.floor > 0) {
        (true, true) => format!("max({}, p × {})", rule.floor, rule.multiplier),
        (true, false) => format!("p × {}", rule.multiplier),
        _ => format!("{}", rule.floor),
    }
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
        percent(target),
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
    let mut table = format::table(
        [
            "stratum",
            "done",
            "trunc",
            "rule",
            "from",
            "CV trunc interval",
            "CV est",
            "CV Σ budget",
            "met",
            "more done",
        ],
        1,
    );
    for s in &report.strata {
        table.add_row(vec![
            s.stratum.to_string(),
            s.observed.to_string(),
            s.censored.to_string(),
            s.rule
                .as_ref()
                .map_or_else(|| "profile's own".to_owned(), rule_text),
            s.rule_from
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            interval(&s.cv),
            percent(s.cv.estimated_truncation),
            s.cv.score.total_budget.to_string(),
            yes_no(s.cv.met),
            s.more_events_needed
                .map_or_else(|| "tail unknown".to_owned(), |n| n.to_string()),
        ]);
    }
    let overall = &report.overall;
    table.add_row(vec![
        "all".to_owned(),
        (overall.score.n - overall.score.censored).to_string(),
        overall.score.censored.to_string(),
        format!("{} rules", report.rules.len()),
        String::new(),
        interval(overall),
        percent(overall.estimated_truncation),
        overall.score.total_budget.to_string(),
        yes_no(overall.met),
        if report.rules.iter().any(|r| r.rule.specificity() == 0) {
            "0".to_owned()
        } else {
            let done = overall.score.n - overall.score.censored;
            report.events_needed.saturating_sub(done).to_string()
        },
    ]);
    outln!("{table}")?;
    if !overall.met && overall.score.censored > 0 {
        outln!(
            "not provable on this data: {} truncated events count in the upper bound under any larger budget; check the rules on events recorded under them (tel simulate --policy file:…)",
            overall.score.censored
        )?;
    }
    outln!()?;
    outln!("cost curve (cross-validated)")?;
    let mut table = format::table(
        [
            "target",
            "Σ budget",
            "trunc interval",
            "est",
            "met",
            "thin strata",
        ],
        1,
    );
    for point in curve {
        table.add_row(vec![
            percent(point.target),
            point.overall.score.total_budget.to_string(),
            interval(&point.overall),
            percent(point.overall.estimated_truncation),
            yes_no(point.overall.met),
            format!("{} (< {} done)", point.thin_strata, point.events_needed),
        ]);
    }
    outln!("{table}")?;
    Ok(())
}

fn yes_no(met: bool) -> String {
    if met { "yes" } else { "no" }.to_owned()
}

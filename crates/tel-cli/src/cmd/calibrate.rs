//! `tel calibrate`: fit the overhead model's coefficients to stored events, cross-validated, and write a coefficients file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tel_core::estimator::{Estimator, Profile};
use tel_core::{Complexity, Timestamp};
use tel_replay::calibrate::events::{Prepared, apply_model, read_source};
use tel_store::EventQuery;
use tel_store::coefficients::load_coefficients;

use crate::cli::DbArgs;
use tel_replay::calibrate::events::prior_model;
use tel_replay::calibrate::{
    CvConfig, CvReport, Fit, GroupScore, Method, Stratum, StratumBudget, budget_multipliers,
    cross_validate,
};
use tel_replay::report::format;
use tel_store::coefficients::{Provenance, TimeRange, render_coefficients};

/// Where events come from, which are used, and the starting profile (shared with `tel simulate`).
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Starting estimator profile (builtin name).
    #[arg(long, default_value = "v2-head")]
    pub profile: String,
    /// Starting coefficients file instead of a builtin profile.
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    pub coefficients: Option<PathBuf>,
    /// Only events of this run.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Only events with this exact (raw) category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only events with this complexity.
    #[arg(long)]
    pub complexity: Option<Complexity>,
    /// Only events at or after this time (e.g. 2025-12-24 or 2025-12-24 10:00:00).
    #[arg(long)]
    pub since: Option<String>,
    /// Only events strictly before this time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only events whose builder succeeded (the original calibration's filter; B1 does not require it).
    #[arg(long)]
    pub success_only: bool,
}

/// Events read and prepared under the starting profile.
pub struct EventSource {
    /// The starting profile.
    pub profile: Profile,
    /// Events read.
    pub events: u64,
    /// Prepared observations and simulation events.
    pub prepared: Prepared,
    /// First and last event time.
    pub time_range: Option<(String, String)>,
    filters: toml::Table,
}

impl EventSource {
    /// Opens the database and reads the filtered events.
    pub fn load(args: &SourceArgs) -> anyhow::Result<Self> {
        let profile = match &args.coefficients {
            Some(path) => load_coefficients(path)?,
            None => Profile::builtin(&args.profile).with_context(|| {
                format!(
                    "--profile {}: unknown profile, expected one of {}",
                    args.profile,
                    Profile::builtin_names().join(", ")
                )
            })?,
        };
        let timestamp = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
            text.as_deref()
                .map(|t| Timestamp::parse(t).with_context(|| format!("--{flag} {t:?}")))
                .transpose()
        };
        let query = EventQuery {
            run_id: args.run_id.clone(),
            category: args.category.clone(),
            complexity: args.complexity,
            success: args.success_only.then_some(true),
            since: timestamp("since", &args.since)?,
            until: timestamp("until", &args.until)?,
            ..EventQuery::default()
        };
        let (_, mut conn) = args.db.open_read_only()?;
        let source = read_source(&mut conn, &query, &Estimator::new(profile.clone()))?;
        let mut filters = toml::Table::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                filters.insert(key.to_owned(), toml::Value::String(v));
            }
        };
        put("run_id", args.run_id.clone());
        put("category", args.category.clone());
        put("complexity", args.complexity.map(|c| c.as_str().to_owned()));
        put("since", args.since.clone());
        put("until", args.until.clone());
        put("success", args.success_only.then(|| "true".to_owned()));
        Ok(Self {
            profile,
            events: source.events,
            prepared: source.prepared,
            time_range: source
                .time_range
                .map(|(a, b)| (a.to_sql_text(), b.to_sql_text())),
            filters,
        })
    }

    /// The filters as a provenance table.
    pub fn filters_table(&self) -> toml::Table {
        self.filters.clone()
    }
}

/// Examples shown by `tel calibrate --help`.
pub const EXAMPLES: &str = "Examples:
  tel calibrate --database-url telemetry.db --output calibrated.toml
  tel calibrate --method legacy-sqrt-median --min-samples 8 --json
  tel calibrate --since 2025-12-25 --quantile 0.95 --folds 10 --seed 7
  tel estimate --coefficients calibrated.toml --category implementation --complexity low --deliverable src/a.py

Methods, assumptions and how to read the report: docs/CALIBRATION.md";

/// Arguments of `tel calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Events and starting profile.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Fitting method: censored-log (least squares on log tokens, truncated events as lower bounds) or
    /// legacy-sqrt-median (the original's old × sqrt(median(a/p)) rule).
    #[arg(long, default_value = "censored-log", value_parser = parse_method)]
    pub method: Method,
    /// Also report per-stratum budget multipliers at this target quantile (conformal).
    #[arg(long)]
    pub quantile: Option<f64>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    pub folds: u64,
    /// Seed of the fold shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Minimum non-truncated events for a coefficient to be fitted; smaller strata keep the prior.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_samples: u64,
    /// Write the calibrated coefficients file (TOML, version 1, with provenance) here.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_method(text: &str) -> Result<Method, String> {
    text.parse()
        .map_err(|e: tel_replay::calibrate::CalibrateError| e.to_string())
}

/// Runs `tel calibrate`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    if let Some(q) = args.quantile.filter(|q| !(*q > 0.0 && *q < 1.0)) {
        anyhow::bail!("--quantile {q}: expected a number strictly between 0 and 1");
    }
    let source = EventSource::load(&args.source)?;
    let profile = source.profile.clone();
    let prior = prior_model(&profile).with_context(|| {
        format!("profile {}: calibration needs the overhead model (phase overheads), this profile has none", profile.id)
    })?;
    let observations = &source.prepared.observations;
    let config = CvConfig {
        folds: args.folds as usize,
        seed: args.seed,
        min_samples: args.min_samples as usize,
    };
    let fit = args.method.fit(&prior, observations, config.min_samples)?;
    let cv = cross_validate(args.method, &prior, observations, &config)?;
    let budgets = args
        .quantile
        .map(|q| budget_multipliers(&fit.model, observations, q));
    let calibrated = apply_model(&profile, &fit.model);
    let worse = cv.worse_than_prior();
    if !worse.is_empty() {
        eprintln!(
            "warning: out of sample (cross-validated) the refit does worse than the prior profile {}: {}; with {} observations, keep the prior{}",
            profile.id,
            worse.join(", "),
            observations.len(),
            if args.output.is_some() {
                " rather than the written file"
            } else {
                ""
            }
        );
    }
    let provenance = provenance(args, &source, &cv, budgets.as_ref(), &calibrated);
    if let Some(path) = &args.output {
        std::fs::write(path, render_coefficients(&calibrated, Some(&provenance)))
            .with_context(|| format!("{}: cannot write coefficients file", path.display()))?;
        eprintln!(
            "wrote {} (content hash {})",
            path.display(),
            calibrated.content_hash()
        );
    }
    if args.json {
        let report = json!({
            "method": args.method.name(),
            "profile": profile.id,
            "events": source.events,
            "observations": observations.len(),
            "skipped": source.prepared.skipped,
            "folds": cv.folds,
            "seed": cv.seed,
            "min_samples": config.min_samples,
            "overheads": fit.overheads,
            "prices": fit.prices,
            "cross_validation": cv,
            "worse_than_prior": worse,
            "quantile": args.quantile,
            "budget_multipliers": budgets.map(|b| b.into_iter().map(|(s, v)| (s.to_string(), v)).collect::<BTreeMap<_, _>>()),
            "content_hash": calibrated.content_hash(),
        });
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_report(args, &source, &fit, &cv, budgets.as_ref())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn provenance(
    args: &CalibrateArgs,
    source: &EventSource,
    cv: &CvReport,
    budgets: Option<&BTreeMap<Stratum, StratumBudget>>,
    calibrated: &Profile,
) -> Provenance {
    let mut fit_metrics = BTreeMap::new();
    let mut metric = |name: String, value: Option<f64>| {
        if let Some(v) = value {
            fit_metrics.insert(name, v);
        }
    };
    let overall = &cv.overall;
    metric("cv_smape_before".into(), overall.before.smape.mean);
    metric("cv_smape_after".into(), overall.after.smape.mean);
    metric(
        "cv_underestimation_before".into(),
        overall.before.underestimation.rate.fraction(),
    );
    metric(
        "cv_underestimation_after".into(),
        overall.after.underestimation.rate.fraction(),
    );
    metric("observations".into(), Some(overall.counts.observed as f64));
    metric("truncated".into(), Some(overall.counts.censored as f64));
    metric("folds".into(), Some(cv.folds as f64));
    metric("seed".into(), Some(cv.seed as f64));
    metric("min_samples".into(), Some(args.min_samples as f64));
    if let (Some(q), Some(budgets)) = (args.quantile, budgets) {
        metric("quantile".into(), Some(q));
        for (stratum, budget) in budgets {
            metric(format!("budget_multiplier.{stratum}"), budget.multiplier);
        }
    }
    Provenance {
        method: format!(
            "tel calibrate --method {} from profile {}",
            args.method, source.profile.id
        ),
        filters: source.filters_table(),
        time_range: source.time_range.as_ref().map(|(from, to)| TimeRange {
            from: from.clone(),
            to: to.clone(),
        }),
        n: Some(source.prepared.observations.len() as i64),
        fit_metrics,
        content_hash: Some(calibrated.content_hash()),
        tel_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

fn fmt_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

/// `2 of 8`, plus `(1 unknown)` when some truncated events cannot be judged.
fn fmt_under(score: &tel_core::AccuracyReport) -> String {
    let u = &score.underestimation;
    let unknown = if u.unknown > 0 {
        format!(" ({} unknown)", u.unknown)
    } else {
        String::new()
    };
    format!("{} of {}{unknown}", u.rate.count, u.rate.n)
}

fn group_row(label: String, status: String, score: &GroupScore) -> Vec<String> {
    vec![
        label,
        score.counts.observed.to_string(),
        score.counts.censored.to_string(),
        status,
        fmt_opt(score.before.smape.mean),
        fmt_opt(score.after.smape.mean),
        fmt_under(&score.before),
        fmt_under(&score.after),
    ]
}

/// Why a coefficient has the value it has, in words: `fitted`, or why the prior value was kept.
fn status(fitted: bool, observed: usize, min_samples: u64, method: Method) -> String {
    if fitted {
        "fitted".to_owned()
    } else if (observed as u64) < min_samples {
        format!("prior kept: {observed} non-truncated, {min_samples} needed")
    } else {
        format!("prior kept: {method} does not fit it")
    }
}

fn print_report(
    args: &CalibrateArgs,
    source: &EventSource,
    fit: &Fit,
    cv: &CvReport,
    budgets: Option<&BTreeMap<Stratum, StratumBudget>>,
) -> std::io::Result<()> {
    let skipped = &source.prepared.skipped;
    outln!(
        "calibrate: method {}, starting profile {}, {} events read: {} observations fitted, {} outside the overhead model (no deliverables, SOT or DOC_SYNTHESIS phases: simulated, not fitted), {} ineligible, {} truncation unknown",
        args.method,
        source.profile.id,
        source.events,
        source.prepared.observations.len(),
        skipped.other_model,
        skipped.ineligible,
        skipped.truncation_unknown,
    )?;
    outln!(
        "cross-validation: {} folds, seed {}; coefficients need >= {} non-truncated events (else the prior is kept)",
        cv.folds,
        cv.seed,
        args.min_samples
    )?;
    if source.prepared.observations.is_empty() {
        outln!(
            "nothing to fit: no event went through the overhead model (events without deliverables, SOT and DOC_SYNTHESIS phases are not fitted); every coefficient keeps its prior"
        )?;
        return Ok(());
    }
    let mut strata = format::table(
        [
            "stratum",
            "non-truncated",
            "truncated",
            "status",
            "SMAPE before",
            "SMAPE after (cv)",
            "underestimated before",
            "underestimated after (cv)",
        ],
        1,
    );
    for (stratum, score) in &cv.strata {
        let fitted = fit
            .overheads
            .iter()
            .any(|o| &o.stratum == stratum && o.fitted);
        strata.add_row(group_row(
            stratum.to_string(),
            status(fitted, score.counts.observed, args.min_samples, args.method),
            score,
        ));
    }
    strata.add_row(group_row("all".to_owned(), String::new(), &cv.overall));
    outln!("{strata}")?;
    let mut overheads = format::table(["overhead key", "stratum", "before", "after", "status"], 2);
    for o in &fit.overheads {
        overheads.add_row(vec![
            o.key.to_string(),
            o.stratum.to_string(),
            o.before.to_string(),
            o.after.to_string(),
            status(o.fitted, o.counts.observed, args.min_samples, args.method),
        ]);
    }
    outln!("{overheads}")?;
    let mut prices = format::table(
        [
            "price kind",
            "non-truncated",
            "truncated",
            "before",
            "after",
            "status",
        ],
        1,
    );
    for p in &fit.prices {
        prices.add_row(vec![
            p.kind.clone(),
            p.counts.observed.to_string(),
            p.counts.censored.to_string(),
            p.before.to_string(),
            p.after.to_string(),
            status(p.fitted, p.counts.observed, args.min_samples, args.method),
        ]);
    }
    outln!("{prices}")?;
    if let (Some(q), Some(budgets)) = (args.quantile, budgets) {
        outln!()?;
        outln!("budget multipliers at q = {q} (conformal quantile of a/p, non-truncated events):")?;
        let mut table = format::table(["stratum", "n", "multiplier", "trunc above"], 1);
        for (stratum, b) in budgets {
            let m = b.multiplier.map_or_else(
                || "-".to_owned(),
                |m| format!("{m:.3}{}", if b.saturated { "*" } else { "" }),
            );
            table.add_row(vec![
                stratum.to_string(),
                b.n.to_string(),
                m,
                b.censored_above.to_string(),
            ]);
        }
        outln!("{table}")?;
        outln!(
            "(* sample too small for q: the maximum ratio; 'trunc above' = truncated events proving the multiplier too small)"
        )?;
    }
    Ok(())
}

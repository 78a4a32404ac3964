//! `tel simulate`: replay budget policies over stored events, side by side (METRICS.md B9).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tel_core::accuracy::PinballTau;
use tel_core::estimator::{Estimator, Profile};
use tel_replay::calibrate::CvConfig;
use tel_replay::report::format;
use tel_replay::simulate::{
    Grouping, Policy, PolicyScore, SimEvent, SimReport, by_provider_model, simulate, uncategorised,
};
use tel_store::coefficients::load_coefficients;

use super::source::SourceArgs;
use tel_replay::db::calibrate::EventSource;

/// Examples shown by `tel simulate --help`.
pub const EXAMPLES: &str = "Examples:
  tel simulate --policy select-budget:v2-head --policy buffer:1.2 --policy fixed:16384 --policy quantile:0.95
  tel simulate --database-url telemetry.db --policy select-budget:v2-precal --policy select-budget:v2-head --json
  tel simulate --database-url later.db --policy file:budgets.toml --policy buffer:2.5

A truncated event given more than its old ceiling is counted as unknown, never guessed (docs/CALIBRATION.md)";

/// Arguments of `tel simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Events; `--profile` also gives the prediction p that buffer and quantile policies scale.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Budget rule: select-budget:<profile>, file:<coefficients.toml> (tuned rules), buffer:<x>,
    /// fixed:<tokens> or quantile:<q> (repeatable).
    #[arg(long = "policy", required = true)]
    pub policies: Vec<Policy>,
    /// Target quantile of the pinball loss.
    #[arg(long, default_value_t = 0.95)]
    pub quantile: f64,
    /// Cross-validation folds of quantile policies.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    pub folds: u64,
    /// Seed of the fold shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Minimum non-truncated training events of a stratum for its own quantile (else pooled).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_samples: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `tel simulate`.
pub fn run(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let tau =
        PinballTau::new(args.quantile).with_context(|| format!("--quantile {}", args.quantile))?;
    let source = args.source.load()?;
    let prepared = &source.prepared;
    let grouping = Grouping::of(&prepared.sim_events);
    let regrouped;
    let events = match grouping {
        Grouping::CategoryComplexity => &prepared.sim_events,
        Grouping::ProviderModel => {
            regrouped = by_provider_model(&prepared.sim_events, &prepared.provider_models);
            &regrouped
        }
    };
    let cv = CvConfig {
        folds: args.folds as usize,
        seed: args.seed,
        min_samples: args.min_samples as usize,
    };
    let mut reports = Vec::new();
    let mut not_computable = Vec::new();
    for policy in &args.policies {
        let profile = match policy {
            Policy::SelectBudget(name) => Some(Profile::builtin(name).with_context(|| {
                format!(
                    "--policy {policy}: unknown profile, expected one of {}",
                    Profile::builtin_names().join(", ")
                )
            })?),
            Policy::File(path) => {
                Some(load_coefficients(path).with_context(|| format!("--policy {policy}"))?)
            }
            _ => None,
        };
        let budgets = match (grouping, profile) {
            (Grouping::ProviderModel, _) => match policy.budgets_without_predictions(events, &cv) {
                Ok(budgets) => budgets,
                Err(reason) => {
                    not_computable.push((policy.to_string(), reason));
                    continue;
                }
            },
            (_, Some(profile)) => {
                let estimator = Estimator::new(profile);
                source
                    .prepared
                    .inputs
                    .iter()
                    .map(|input| input.select_budget(&estimator))
                    .collect()
            }
            (_, None) => policy
                .budgets_from_predictions(events, &cv)
                .with_context(|| format!("--policy {policy}: no budgets computed"))?,
        };
        reports.push((policy.to_string(), simulate(events, &budgets, tau)));
    }
    let notes = notes(grouping, &prepared.sim_events);
    if args.json {
        let mut out = json!({
            "profile": source.profile.id,
            "events": source.events,
            "simulated": events.len(),
            "skipped": source.prepared.skipped,
            "tau": args.quantile,
            "policies": reports.iter().map(|(name, r)| json!({"policy": name, "report": r})).collect::<Vec<_>>(),
        });
        // Only data without categories, or with uncategorised events, gets the fields: today's keep their shape.
        if grouping == Grouping::ProviderModel {
            out["grouping"] = json!(grouping);
            out["not_computable"] = not_computable
                .iter()
                .map(|(policy, reason)| json!({"policy": policy, "reason": reason}))
                .collect();
        }
        if !notes.is_empty() {
            out["notes"] = json!(notes);
        }
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        print_reports(&source, &reports, args.quantile, grouping, &notes)?;
        for (policy, reason) in &not_computable {
            outln!()?;
            outln!("policy {policy}: not computed: {reason}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the reader must know about the events' predictions, in words.
fn notes(grouping: Grouping, events: &[SimEvent]) -> Vec<String> {
    match grouping {
        Grouping::ProviderModel => vec![
            "no event has a category (e.g. OTLP spans without tel.category): rows are provider / model, and p is not a prediction".to_owned(),
            "fixed:<n> and quantile:<q> need no prediction: quantile:<q> budgets the conformal q-quantile of the observed output tokens of the provider / model (other folds); buffer, select-budget and file policies are not computed".to_owned(),
        ],
        Grouping::CategoryComplexity => {
            let n = uncategorised(events);
            (n > 0)
                .then(|| format!("{n} of {} events have no category (rows unknown/…): the profile predicts their p from nothing, so the buffer, quantile, select-budget and file figures of those rows rest on no prediction; fixed:<n> needs none", events.len()))
                .into_iter()
                .collect()
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn row(label: String, s: &PolicyScore) -> Vec<String> {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
    vec![
        label,
        s.n.to_string(),
        s.would_truncate.to_string(),
        s.safe.to_string(),
        s.unknown.to_string(),
        format!(
            "[{}, {}]",
            pct(s.truncation_rate[0]),
            pct(s.truncation_rate[1])
        ),
        opt(s.mean_slack),
        opt(s.median_slack),
        s.total_budget.to_string(),
        s.pinball
            .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}")),
    ]
}

fn print_reports(
    source: &EventSource,
    reports: &[(String, SimReport)],
    tau: f64,
    grouping: Grouping,
    notes: &[String],
) -> std::io::Result<()> {
    let skipped = &source.prepared.skipped;
    let p = match grouping {
        Grouping::CategoryComplexity => format!("p from profile {}", source.profile.id),
        Grouping::ProviderModel => "no prediction, by provider / model".to_owned(),
    };
    outln!(
        "simulate: {} events read, {} simulated ({p}), {} ineligible, {} truncation unknown",
        source.events,
        source.prepared.sim_events.len(),
        skipped.ineligible,
        skipped.truncation_unknown
    )?;
    outln!(
        "unknown = truncated originally, given more than its old ceiling: never guessed; pinball at tau {tau} over non-truncated events"
    )?;
    for note in notes {
        outln!("note: {note}")?;
    }
    let group = match grouping {
        Grouping::CategoryComplexity => "stratum",
        Grouping::ProviderModel => "provider/model",
    };
    for (name, report) in reports {
        outln!()?;
        outln!("policy {name}")?;
        let mut table = format::table(
            [
                group,
                "n",
                "trunc",
                "safe",
                "unknown",
                "trunc rate",
                "mean slack",
                "median slack",
                "Σ budget",
                "pinball",
            ],
            1,
        );
        let strata: BTreeMap<String, &PolicyScore> = report
            .strata
            .iter()
            .map(|(s, v)| (s.to_string(), v))
            .collect();
        for (label, score) in strata {
            table.add_row(row(label, score));
        }
        table.add_row(row("all".to_owned(), &report.overall));
        outln!("{table}")?;
    }
    Ok(())
}

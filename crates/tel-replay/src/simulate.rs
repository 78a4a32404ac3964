//! Budget-policy simulation (METRICS.md B9): replays a budget rule `b′` over stored events and counts
//! what would have been truncated, never guessing the outcome of a truncated event under a larger budget.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use tel_core::accuracy::PinballTau;
use tel_core::stats::{mean_exact_int, median_true};

pub use crate::calibrate::SimEvent;
use crate::calibrate::{CvConfig, Outcome, Stratum, assign_folds, conformal_quantile};

/// What a simulation's per-stratum rows are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grouping {
    /// Normalised category / complexity: the events carry the estimator's inputs.
    #[serde(rename = "category/complexity")]
    CategoryComplexity,
    /// Provider / model: no event has a category (e.g. OTLP spans without `tel.category`), so the
    /// profile has nothing to predict from and `p` is not a prediction.
    #[serde(rename = "provider/model")]
    ProviderModel,
}

/// Events without a category: normalised category `unknown` or empty, what the importers store when the
/// source names none.
pub fn uncategorised(events: &[SimEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.stratum.category.as_str(), "" | "unknown"))
        .count()
}

impl Grouping {
    /// [`Grouping::ProviderModel`] when there are events and none has a category ([`uncategorised`]).
    pub fn of(events: &[SimEvent]) -> Self {
        if !events.is_empty() && uncategorised(events) == events.len() {
            Self::ProviderModel
        } else {
            Self::CategoryComplexity
        }
    }
}

/// `events` keyed by `provider_models` (same order) with `p = 1`, so that `quantile:q` budgets the
/// conformal `q`-quantile of the observed need `a` of the group itself and `fixed:` is unchanged.
pub fn by_provider_model(events: &[SimEvent], provider_models: &[Stratum]) -> Vec<SimEvent> {
    events
        .iter()
        .zip(provider_models)
        .map(|(event, key)| SimEvent {
            stratum: key.clone(),
            predicted: 1,
            outcome: event.outcome,
        })
        .collect()
}

/// A budget rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "rule", content = "value")]
pub enum Policy {
    /// `select_budget` of an estimator profile (ESTIMATOR.md §10), computed by the caller.
    SelectBudget(String),
    /// `select_budget` of the profile of a coefficients file (tuned budget rules included),
    /// computed by the caller.
    File(PathBuf),
    /// `b′ = trunc(p × x)`.
    Buffer(f64),
    /// The same ceiling for every event.
    Fixed(i64),
    /// Per stratum, `trunc(p × m)` with `m` the conformal `q`-quantile of `a / p` over non-truncated
    /// events of the OTHER folds (pooled over all strata when the stratum has too few).
    Quantile(f64),
}

/// A policy that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid policy {text:?}: {reason}; expected select-budget:<profile>, file:<coefficients.toml>, buffer:<x>, fixed:<tokens> or quantile:<q>"
)]
pub struct InvalidPolicy {
    /// The rejected text.
    pub text: String,
    /// What was wrong.
    pub reason: &'static str,
}

impl FromStr for Policy {
    type Err = InvalidPolicy;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| InvalidPolicy {
            text: text.to_owned(),
            reason,
        };
        let (rule, value) = text.split_once(':').ok_or_else(|| invalid("missing ':'"))?;
        match rule {
            "select-budget" if !value.is_empty() => Ok(Self::SelectBudget(value.to_owned())),
            "select-budget" => Err(invalid("missing profile name")),
            "file" if !value.is_empty() => Ok(Self::File(PathBuf::from(value))),
            "file" => Err(invalid("missing file name")),
            "buffer" => match value.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => Ok(Self::Buffer(x)),
                _ => Err(invalid("the buffer must be a positive number")),
            },
            "fixed" => match value.parse::<i64>() {
                Ok(n) if n > 0 => Ok(Self::Fixed(n)),
                _ => Err(invalid("the ceiling must be a positive integer")),
            },
            "quantile" => match value.parse::<f64>() {
                Ok(q) if q > 0.0 && q < 1.0 => Ok(Self::Quantile(q)),
                _ => Err(invalid("the quantile must lie strictly between 0 and 1")),
            },
            _ => Err(invalid("unknown rule")),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SelectBudget(profile) => write!(f, "select-budget:{profile}"),
            Self::File(path) => write!(f, "file:{}", path.display()),
            Self::Buffer(x) => write!(f, "buffer:{x}"),
            Self::Fixed(n) => write!(f, "fixed:{n}"),
            Self::Quantile(q) => write!(f, "quantile:{q}"),
        }
    }
}

impl Policy {
    /// The budget of every event for rules computable from predictions alone; `None` for
    /// `select-budget` and `file`, which need the estimator.
    pub fn budgets_from_predictions(&self, events: &[SimEvent], cv: &CvConfig) -> Option<Vec<i64>> {
        match self {
            Self::SelectBudget(_) | Self::File(_) => None,
            Self::Buffer(x) => Some(
                events
                    .iter()
                    .map(|e| (e.predicted as f64 * x) as i64)
                    .collect(),
            ),
            Self::Fixed(n) => Some(vec![*n; events.len()]),
            // No usable training event at all: m = 1, the prediction itself.
            Self::Quantile(q) => Some(
                quantile_budgets(events, *q, cv)
                    .into_iter()
                    .zip(events)
                    .map(|(budget, e)| budget.unwrap_or(e.predicted))
                    .collect(),
            ),
        }
    }

    /// The budget of every event of a run without predictions ([`Grouping::ProviderModel`], events of
    /// [`by_provider_model`]): `fixed:` as always, `quantile:` from the observed need alone; otherwise
    /// why the rule cannot be computed there.
    pub fn budgets_without_predictions(
        &self,
        events: &[SimEvent],
        cv: &CvConfig,
    ) -> Result<Vec<i64>, &'static str> {
        match self {
            Self::Buffer(_) => Err("buffer:<x> multiplies the prediction p, and these events have none"),
            Self::SelectBudget(_) | Self::File(_) => Err(
                "select_budget scales the profile's estimate, which needs each event's category, complexity and deliverables",
            ),
            Self::Fixed(n) => Ok(vec![*n; events.len()]),
            // Without a prediction to fall back on, an event whose other folds hold no completed event
            // has no budget at all; better no figures than a made-up one.
            Self::Quantile(q) => quantile_budgets(events, *q, cv)
                .into_iter()
                .collect::<Option<Vec<i64>>>()
                .ok_or("quantile:<q> learns the observed need from completed events of the other folds, and a fold has none there"),
        }
    }
}

/// Cross-validated conformal budgets: each event's multiplier comes from the other folds only.
/// A stratum with fewer than `min_samples` usable training events borrows the pooled training
/// multiplier; with no usable training event at all the budget is `None` (the caller decides).
fn quantile_budgets(events: &[SimEvent], q: f64, cv: &CvConfig) -> Vec<Option<i64>> {
    let fold_of = assign_folds(events.len(), cv.folds, cv.seed);
    let folds = fold_of.iter().max().map_or(0, |f| f + 1);
    let mut budgets = vec![None; events.len()];
    for fold in 0..folds {
        let mut by_stratum: BTreeMap<&Stratum, Vec<f64>> = BTreeMap::new();
        let mut pooled = Vec::new();
        for (event, _) in events.iter().zip(&fold_of).filter(|(_, f)| **f != fold) {
            if let (Outcome::Observed { actual }, true) = (event.outcome, event.predicted > 0) {
                let ratio = actual as f64 / event.predicted as f64;
                by_stratum.entry(&event.stratum).or_default().push(ratio);
                pooled.push(ratio);
            }
        }
        let pooled_multiplier = conformal_quantile(&pooled, q).map(|c| c.value);
        for (i, event) in events
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of[*i] == fold)
        {
            let multiplier = by_stratum
                .get(&event.stratum)
                .filter(|ratios| ratios.len() >= cv.min_samples.max(1))
                .and_then(|ratios| conformal_quantile(ratios, q))
                .map(|c| c.value)
                .or(pooled_multiplier);
            budgets[i] = multiplier.map(|m| (event.predicted as f64 * m) as i64);
        }
    }
    budgets
}

/// What a policy would have done to a group of events (METRICS.md B7-B9).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyScore {
    /// Events.
    pub n: usize,
    /// Events truncated under `b′` for certain.
    pub would_truncate: usize,
    /// Events completing under `b′` for certain.
    pub safe: usize,
    /// Originally truncated events given more than their old ceiling: outcome unknown.
    pub unknown: usize,
    /// Truncation-rate interval `[would_truncate / n, (would_truncate + unknown) / n]`.
    pub truncation_rate: [f64; 2],
    /// Coverage interval `1 − truncation rate` (METRICS.md B7).
    pub coverage: [f64; 2],
    /// Mean `b′ − a` over safe events; `None` without any.
    pub mean_slack: Option<f64>,
    /// MED-T of `b′ − a` over safe events.
    pub median_slack: Option<f64>,
    /// Σ b′ over all events.
    pub total_budget: i64,
    /// Mean pinball loss at `tau` over non-truncated events (truncated ones excluded, see `censored`).
    pub pinball: Option<f64>,
    /// Originally truncated events, excluded from the pinball loss.
    pub censored: usize,
}

/// A policy's score overall and per stratum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// Target quantile of the pinball loss.
    pub tau: PinballTau,
    /// All events.
    pub overall: PolicyScore,
    /// Per stratum.
    #[serde(serialize_with = "crate::calibrate::serialize_by_stratum")]
    pub strata: BTreeMap<Stratum, PolicyScore>,
}

#[derive(Default)]
struct Tally {
    would_truncate: usize,
    safe: usize,
    unknown: usize,
    slack: Vec<i64>,
    total_budget: i64,
    pinball_sum: f64,
    observed: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome, budget: i64, tau: PinballTau) {
        self.total_budget += budget;
        match outcome {
            Outcome::Observed { actual } => {
                self.observed += 1;
                self.pinball_sum += tau.loss(actual, budget);
                if actual > budget {
                    self.would_truncate += 1;
                } else {
                    self.safe += 1;
                    self.slack.push(budget - actual);
                }
            }
            Outcome::Censored { ceiling, .. } if budget <= ceiling => self.would_truncate += 1,
            Outcome::Censored { .. } => self.unknown += 1,
        }
    }

    fn score(self) -> PolicyScore {
        let n = self.would_truncate + self.safe + self.unknown;
        let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        let rate = [
            share(self.would_truncate),
            share(self.would_truncate + self.unknown),
        ];
        PolicyScore {
            n,
            would_truncate: self.would_truncate,
            safe: self.safe,
            unknown: self.unknown,
            truncation_rate: rate,
            coverage: [1.0 - rate[1], 1.0 - rate[0]],
            mean_slack: mean_exact_int(&self.slack),
            median_slack: median_true(&self.slack),
            total_budget: self.total_budget,
            pinball: (self.observed > 0).then(|| self.pinball_sum / self.observed as f64),
            censored: n - self.observed,
        }
    }
}

/// Scores `budgets` (one per event, same order) over `events` with pinball loss at `tau`.
pub fn simulate(events: &[SimEvent], budgets: &[i64], tau: PinballTau) -> SimReport {
    let mut overall = Tally::default();
    let mut strata: BTreeMap<Stratum, Tally> = BTreeMap::new();
    for (event, budget) in events.iter().zip(budgets) {
        overall.add(event.outcome, *budget, tau);
        strata
            .entry(event.stratum.clone())
            .or_default()
            .add(event.outcome, *budget, tau);
    }
    SimReport {
        tau,
        overall: overall.score(),
        strata: strata.into_iter().map(|(s, t)| (s, t.score())).collect(),
    }
}

//! Budget tuning (`tel tune`): per stratum, the cheapest budget rule that keeps truncation under a
//! target, censoring-aware and cross-validated, deployable as the profile's `budget_rules`.
//!
//! Pure computation on [`TuneEvent`]s. See docs/CALIBRATION.md ("Tuning budgets").

mod km;
mod search;
pub mod table;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use tel_core::accuracy::PinballTau;
use tel_core::estimator::{BudgetRule, BudgetRules, Estimator};
use tel_core::{BucketScheme, normalise_category};

use crate::calibrate::events::Prepared;
use crate::calibrate::{Outcome, Stratum, assign_folds};
use crate::simulate::{PolicyScore, SimEvent, simulate};
use search::{Found, Sample};

pub use km::Survival;
pub use search::{CONFIDENCE_LEVELS, confidence_z, wilson_upper};

/// The targets of the cost curve (besides the tuned one).
pub const CURVE_TARGETS: [f64; 4] = [0.01, 0.02, 0.05, 0.10];

/// One stored event as tuning sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneEvent {
    /// Normalised effective category (the estimate's).
    pub category: String,
    /// Complexity as `select_budget` receives it.
    pub complexity: String,
    /// Deliverable count of the estimate.
    pub deliverable_count: i64,
    /// The profile's prediction `p`.
    pub predicted: i64,
    /// The profile's own budget (`select_budget`), kept where no rule can be tuned.
    pub default_budget: i64,
    /// What happened under the original ceiling.
    pub outcome: Outcome,
}

/// Tuning settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TuneConfig {
    /// Truncation target, a share in (0, 1).
    pub target: f64,
    /// Normal quantile of the one-sided confidence bound a rule must meet the target at
    /// ([`confidence_z`] of 0.99 by default in `tel tune`).
    pub z: f64,
    /// Cross-validation folds (clamped to the number of events).
    pub folds: usize,
    /// Shuffle seed of the folds.
    pub seed: u64,
    /// Deliverable bucket scheme of the finest strata.
    pub scheme: BucketScheme,
    /// The profile's budget cap: no rule gives more.
    pub cap: i64,
}

/// A stratum at one of four levels; `None` fields are "any" (category × complexity × bucket, then
/// category × complexity, then category, then everything).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    /// Normalised category.
    pub category: Option<String>,
    /// Complexity.
    pub complexity: Option<String>,
    /// Deliverable bucket label.
    pub deliverables: Option<String>,
}

impl fmt::Display for RuleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |v: &Option<String>| v.clone().unwrap_or_else(|| "*".to_owned());
        write!(
            f,
            "{}/{}/{}",
            part(&self.category),
            part(&self.complexity),
            part(&self.deliverables)
        )
    }
}

impl RuleKey {
    /// This stratum and the coarser ones it falls back to, finest first.
    pub fn lineage(&self) -> Vec<RuleKey> {
        let mut out = vec![self.clone()];
        let mut key = self.clone();
        loop {
            if key.deliverables.take().is_none()
                && key.complexity.take().is_none()
                && key.category.take().is_none()
            {
                return out;
            }
            out.push(key.clone());
        }
    }
}

impl Serialize for RuleKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl TuneEvent {
    /// The event's strata from the finest to the catch-all.
    pub fn keys(&self, scheme: BucketScheme) -> [RuleKey; 4] {
        let category = Some(self.category.clone());
        let complexity = Some(self.complexity.clone());
        let bucket = Some(scheme.bucket(self.deliverable_count).label().to_owned());
        [
            RuleKey {
                category: category.clone(),
                complexity: complexity.clone(),
                deliverables: bucket,
            },
            RuleKey {
                category: category.clone(),
                complexity,
                deliverables: None,
            },
            RuleKey {
                category,
                complexity: None,
                deliverables: None,
            },
            RuleKey {
                category: None,
                complexity: None,
                deliverables: None,
            },
        ]
    }

    fn sample(&self) -> Sample {
        Sample {
            predicted: self.predicted.max(1),
            outcome: self.outcome,
        }
    }

    fn sim_event(&self) -> SimEvent {
        SimEvent {
            stratum: Stratum::new(&self.category, &self.complexity),
            predicted: self.predicted,
            outcome: self.outcome,
        }
    }
}

/// The tuning events of prepared events, re-estimated by `estimator` (the profile the rules scale).
pub fn tune_events(prepared: &Prepared, estimator: &Estimator) -> Vec<TuneEvent> {
    prepared
        .sim_events
        .iter()
        .zip(&prepared.inputs)
        .map(|(sim, input)| {
            let (estimate, default_budget) = input.estimate_and_budget(estimator);
            TuneEvent {
                // The key select_budget looks rules up by, so tuning and deployment agree.
                category: normalise_category(&estimate.category),
                complexity: input.complexity().to_owned(),
                deliverable_count: estimate.deliverable_count,
                predicted: sim.predicted,
                default_budget,
                outcome: sim.outcome,
            }
        })
        .collect()
}

/// Completed events a stratum needs before any rule can promise `target`: the smallest `n` whose
/// Wilson upper bound with no truncation at all, `z² / (n + z²)`, is within the target (266 for 2 %
/// at 99 % confidence).
pub fn events_needed(target: f64, z: f64) -> usize {
    let z2 = z * z;
    (z2 * (1.0 - target) / target - 1e-9).ceil().max(1.0) as usize
}

/// A stratum's events and what tuning made of them.
#[derive(Debug, Clone)]
struct Node {
    observed: usize,
    censored: usize,
    found: Option<Found>,
    /// The stratum and its coarser ones, whose survivals estimate the unknown outcomes.
    tails: Vec<RuleKey>,
}

/// Rules tuned on one set of events.
#[derive(Debug, Clone)]
struct Fitted {
    nodes: BTreeMap<RuleKey, Node>,
    survivals: BTreeMap<RuleKey, Survival>,
    scheme: BucketScheme,
    cap: i64,
}

impl Fitted {
    fn fit(events: &[&TuneEvent], config: &TuneConfig, target: f64) -> Self {
        let mut groups: BTreeMap<RuleKey, Vec<Sample>> = BTreeMap::new();
        for event in events {
            for key in event.keys(config.scheme) {
                groups.entry(key).or_default().push(event.sample());
            }
        }
        let needed = events_needed(target, config.z);
        let survivals: BTreeMap<RuleKey, Survival> = groups
            .iter()
            .map(|(key, samples)| (key.clone(), search::survival(samples)))
            .collect();
        let nodes = groups
            .into_iter()
            .map(|(key, samples)| {
                let tails: Vec<&Survival> = key
                    .lineage()
                    .iter()
                    .filter_map(|k| survivals.get(k))
                    .collect();
                let censored = samples.iter().filter(|s| s.outcome.is_censored()).count();
                let observed = samples.len() - censored;
                let found = (observed >= needed)
                    .then(|| search::best_rule(&samples, &tails, (target, config.z), config.cap))
                    .flatten();
                let node = Node {
                    observed,
                    censored,
                    found,
                    tails: key.lineage(),
                };
                (key, node)
            })
            .collect();
        Self {
            nodes,
            survivals,
            scheme: config.scheme,
            cap: config.cap,
        }
    }

    /// The finest tuned stratum of `event`, with its node.
    fn rule_for(&self, event: &TuneEvent) -> Option<(RuleKey, &Node, Found)> {
        event.keys(self.scheme).into_iter().find_map(|key| {
            let node = self.nodes.get(&key)?;
            let found = node.found?;
            Some((key, node, found))
        })
    }

    /// The event's budget and its truncation chance (censoring-aware; a truncation given more than
    /// its ceiling without a tuned rule counts as truncated).
    fn budget(&self, event: &TuneEvent) -> (i64, f64) {
        let sample = event.sample();
        match self.rule_for(event) {
            Some((_, node, found)) => {
                let budget = found.budget(sample.predicted, self.cap);
                let tails: Vec<&Survival> = node
                    .tails
                    .iter()
                    .filter_map(|k| self.survivals.get(k))
                    .collect();
                (budget, sample.truncation_chance(budget, &tails))
            }
            None => {
                let budget = event.default_budget;
                let chance = match event.outcome {
                    Outcome::Observed { actual } => f64::from(u8::from(actual > budget)),
                    Outcome::Censored { .. } => 1.0,
                };
                (budget, chance)
            }
        }
    }

    fn rules(&self) -> BudgetRules {
        BudgetRules {
            scheme: self.scheme,
            rules: self
                .nodes
                .iter()
                .filter_map(|(key, node)| node.found.map(|found| search::rule_of(&found, key)))
                .collect(),
        }
    }
}

/// Held-out results of one group of events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOut {
    /// What the held-out budgets would have done, as `tel simulate` scores a policy (the upper
    /// truncation bound counts every truncated event given more than its ceiling).
    pub score: PolicyScore,
    /// Censoring-aware point estimate of the truncation rate (Kaplan-Meier for the unknown outcomes).
    pub estimated_truncation: f64,
    /// The target is met on the upper bound of the truncation interval.
    pub met: bool,
}

/// One finest stratum in the tuning report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumResult {
    /// `category/complexity/bucket`.
    pub stratum: RuleKey,
    /// Completed events.
    pub observed: usize,
    /// Truncated events.
    pub censored: usize,
    /// The stratum whose rule applies to it when tuned on all events (itself or a coarser one);
    /// `None`: no rule, the profile's own budget is kept.
    pub rule_from: Option<RuleKey>,
    /// The applied rule.
    pub rule: Option<BudgetRule>,
    /// Cross-validated result.
    pub cv: HeldOut,
    /// More completed events the stratum needs for a rule of its own (0 once it has one; `None`
    /// when it has enough but truncations above every completion leave the tail unknown).
    pub more_events_needed: Option<usize>,
}

/// A tuned rule with the events behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// The stratum.
    pub stratum: RuleKey,
    /// The rule.
    pub rule: BudgetRule,
    /// Completed events.
    pub observed: usize,
    /// Truncated events.
    pub censored: usize,
    /// Censoring-aware truncation estimate on the events it was tuned on (not cross-validated).
    pub training_estimate: f64,
}

/// `tel tune`'s result at one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneReport {
    /// Settings.
    pub config: TuneConfig,
    /// Completed events needed per stratum at this target.
    pub events_needed: usize,
    /// All events, cross-validated.
    pub overall: HeldOut,
    /// Finest strata, cross-validated.
    pub strata: Vec<StratumResult>,
    /// The rules tuned on all events (what the coefficients file deploys).
    pub rules: Vec<RuleRow>,
    /// The same rules as the profile table.
    #[serde(skip)]
    pub budget_rules: BudgetRules,
}

#[derive(Default)]
struct Group {
    events: Vec<SimEvent>,
    budgets: Vec<i64>,
    chance: f64,
}

impl Group {
    fn push(&mut self, event: &TuneEvent, budget: i64, chance: f64) {
        self.events.push(event.sim_event());
        self.budgets.push(budget);
        self.chance += chance;
    }

    fn held_out(&self, target: f64) -> HeldOut {
        let tau = PinballTau::new(1.0 - target).unwrap_or_default();
        let score = simulate(&self.events, &self.budgets, tau).overall;
        let n = self.events.len().max(1) as f64;
        HeldOut {
            met: !self.events.is_empty() && score.truncation_rate[1] <= target,
            estimated_truncation: self.chance / n,
            score,
        }
    }
}

/// Cross-validated budgets: every event gets the budget of rules tuned on the other folds.
fn cross_validated(
    events: &[TuneEvent],
    config: &TuneConfig,
    target: f64,
) -> (Group, BTreeMap<RuleKey, Group>) {
    let fold_of = assign_folds(events.len(), config.folds, config.seed);
    let folds = fold_of.iter().max().map_or(0, |f| f + 1);
    let mut per_event = vec![(0, 0.0); events.len()];
    for fold in 0..folds {
        let training: Vec<&TuneEvent> = events
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| e)
            .collect();
        let fitted = Fitted::fit(&training, config, target);
        for (i, event) in events
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of[*i] == fold)
        {
            per_event[i] = fitted.budget(event);
        }
    }
    let mut overall = Group::default();
    let mut strata: BTreeMap<RuleKey, Group> = BTreeMap::new();
    for (event, (budget, chance)) in events.iter().zip(per_event) {
        overall.push(event, budget, chance);
        let [finest, ..] = event.keys(config.scheme);
        strata
            .entry(finest)
            .or_default()
            .push(event, budget, chance);
    }
    (overall, strata)
}

/// Tunes rules for `config.target` on all events and cross-validates them.
pub fn tune(events: &[TuneEvent], config: &TuneConfig) -> TuneReport {
    let target = config.target;
    let all: Vec<&TuneEvent> = events.iter().collect();
    let fitted = Fitted::fit(&all, config, target);
    let (overall, strata) = cross_validated(events, config, target);
    let needed = events_needed(target, config.z);
    let strata = strata
        .into_iter()
        .map(|(key, group)| {
            let node = &fitted.nodes[&key];
            let representative = events
                .iter()
                .find(|e| e.keys(config.scheme)[0] == key)
                .and_then(|e| fitted.rule_for(e));
            StratumResult {
                observed: node.observed,
                censored: node.censored,
                rule_from: representative.as_ref().map(|(k, _, _)| k.clone()),
                rule: representative.map(|(k, _, found)| search::rule_of(&found, &k)),
                cv: group.held_out(target),
                more_events_needed: match node.found {
                    Some(_) => Some(0),
                    None if node.observed < needed => Some(needed - node.observed),
                    None => None,
                },
                stratum: key,
            }
        })
        .collect();
    let rules = fitted
        .nodes
        .iter()
        .filter_map(|(key, node)| {
            let found = node.found?;
            Some(RuleRow {
                stratum: key.clone(),
                rule: search::rule_of(&found, key),
                observed: node.observed,
                censored: node.censored,
                training_estimate: found.estimate,
            })
        })
        .collect();
    TuneReport {
        config: *config,
        events_needed: needed,
        overall: overall.held_out(target),
        strata,
        rules,
        budget_rules: fitted.rules(),
    }
}

/// One target of the cost curve, cross-validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    /// The truncation target.
    pub target: f64,
    /// Completed events a stratum needs for its own rule at this target.
    pub events_needed: usize,
    /// All events.
    pub overall: HeldOut,
    /// Finest strata with too few completed events for their own rule at this target.
    pub thin_strata: usize,
    /// Per finest stratum.
    pub strata: BTreeMap<String, HeldOut>,
}

/// The cost curve: cross-validated total budget and truncation at each target.
pub fn cost_curve(events: &[TuneEvent], config: &TuneConfig, targets: &[f64]) -> Vec<CurvePoint> {
    targets
        .iter()
        .map(|&target| {
            let (overall, strata) = cross_validated(events, config, target);
            let needed = events_needed(target, config.z);
            let thin_strata = strata
                .values()
                .filter(|g| g.events.iter().filter(|e| !e.outcome.is_censored()).count() < needed)
                .count();
            CurvePoint {
                target,
                events_needed: needed,
                overall: overall.held_out(target),
                thin_strata,
                strata: strata
                    .into_iter()
                    .map(|(k, g)| (k.to_string(), g.held_out(target)))
                    .collect(),
            }
        })
        .collect()
}

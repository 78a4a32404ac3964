//! From stored events and an estimator profile to calibration observations and simulation events.

use tel_core::accuracy::{EventClass, Truncation};
use tel_core::estimator::{
    Combination, EmptyWorkspace, EstimateInput, Estimator, OverheadTerms, PricingClass, Profile,
    TokenEstimate,
};
use tel_core::{Complexity, EventView, TelemetryEvent, normalise_category};

use serde::Serialize;

use super::model::{Observation, Outcome, OverheadModel, PricedDeliverable, SimEvent, Stratum};
use crate::report::outcomes::provider_model;

/// Why an event was not used, counted in every report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Excluded by METRICS.md B1 (no usage, input+output totals, no prediction, actual below the guard).
    pub ineligible: usize,
    /// Eligible, but neither stop reason nor ceiling says whether it was truncated (B2).
    pub truncation_unknown: usize,
    /// Estimated by another model than the overhead model (empty fallback, SOT, DOC_SYNTHESIS):
    /// simulated, but not a calibration observation.
    pub other_model: usize,
}

/// Events prepared for calibration and simulation under one starting profile.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Overhead-model events with their outcome.
    pub observations: Vec<Observation>,
    /// Every eligible event with known truncation, with its re-prediction.
    pub sim_events: Vec<SimEvent>,
    /// Estimates behind `sim_events`, same order (for `select-budget` policies).
    pub inputs: Vec<EventInput>,
    /// Provider / model of `sim_events`, same order (their group when none has a category).
    pub provider_models: Vec<Stratum>,
    /// Events left out, by reason.
    pub skipped: Skipped,
}

/// What the estimator needs to re-predict a stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInput {
    deliverables: serde_json::Value,
    category: String,
    complexity: Complexity,
}

impl EventInput {
    /// The estimator input of `event`: its stored deliverables, category and complexity; no scope paths
    /// or task description (not stored), and the empty workspace.
    pub fn of(event: &TelemetryEvent) -> Self {
        Self {
            deliverables: serde_json::Value::from(event.deliverables()),
            category: event.category.clone(),
            complexity: event.complexity,
        }
    }

    fn as_input(&self) -> EstimateInput<'_> {
        EstimateInput::new(&self.deliverables, &self.category, self.complexity)
    }

    /// `select_budget` of `estimator`'s own estimate (ESTIMATOR.md §10).
    pub fn select_budget(&self, estimator: &Estimator) -> i64 {
        self.estimate_and_budget(estimator).1
    }

    /// `estimator`'s estimate (empty workspace) and its `select_budget`.
    pub fn estimate_and_budget(&self, estimator: &Estimator) -> (TokenEstimate, i64) {
        let estimate = estimator.estimate(&self.as_input(), &EmptyWorkspace);
        let budget = estimator.select_budget(&estimate, self.complexity);
        (estimate, budget)
    }

    /// The complexity as stored (the raw argument of `select_budget`).
    pub fn complexity(&self) -> &str {
        self.complexity.as_str()
    }
}

/// The price kind of a pricing class and new/modify column, e.g. `backend.new`.
pub fn kind_name(class: PricingClass, is_new: bool) -> String {
    format!("{}.{}", class.name(), if is_new { "new" } else { "modify" })
}

/// The overhead model of `profile`, or `None` when its estimates do not use phase overheads (`v1`).
pub fn prior_model(profile: &Profile) -> Option<OverheadModel> {
    if profile.switches.combination != Combination::Overhead {
        return None;
    }
    let overhead = profile
        .phase_overhead
        .by_category
        .iter()
        .flat_map(|(category, row)| {
            row.iter()
                .map(move |(complexity, v)| (Stratum::new(category, complexity), *v))
        })
        .collect();
    let prices = PricingClass::ALL
        .iter()
        .flat_map(|class| {
            let price = profile.weights.get(*class);
            [
                (kind_name(*class, true), price.new),
                (kind_name(*class, false), price.modify),
            ]
        })
        .collect();
    Some(OverheadModel {
        safety_margin: profile.safety_margin,
        overhead,
        default_overhead: profile.phase_overhead.default,
        prices,
    })
}

/// `profile` with the overheads and prices of `model` (every other table unchanged).
pub fn apply_model(profile: &Profile, model: &OverheadModel) -> Profile {
    let mut out = profile.clone();
    for (key, value) in &model.overhead {
        out.phase_overhead
            .by_category
            .entry(key.category.clone())
            .or_default()
            .insert(key.complexity.clone(), *value);
    }
    for class in PricingClass::ALL {
        let price = out.weights.get_mut(class);
        if let Some(v) = model.prices.get(&kind_name(class, true)) {
            price.new = *v;
        }
        if let Some(v) = model.prices.get(&kind_name(class, false)) {
            price.modify = *v;
        }
    }
    out
}

/// The calibration stratum of an effective category and complexity.
pub fn stratum_of(category: &str, complexity: &str) -> Stratum {
    Stratum::new(normalise_category(category), complexity)
}

impl Prepared {
    /// Adds one stored event, re-predicted by `estimator` with the empty workspace.
    pub fn push(&mut self, event: &TelemetryEvent, estimator: &Estimator, min_actual: i64) {
        let input = EventInput::of(event);
        let estimate = estimator.estimate(&input.as_input(), &EmptyWorkspace);
        let view = EventView::from(event);
        let (truncation, actual) = match view.classify(estimate.estimated_tokens, min_actual) {
            EventClass::Excluded(_) => {
                self.skipped.ineligible += 1;
                return;
            }
            EventClass::Eligible { truncation, actual } => (truncation, actual),
        };
        let outcome = match truncation {
            Truncation::Unknown => {
                self.skipped.truncation_unknown += 1;
                return;
            }
            Truncation::Complete => Outcome::Observed { actual },
            Truncation::Truncated => Outcome::Censored {
                observed: actual,
                ceiling: view.ceiling(truncation, actual).unwrap_or(actual),
            },
        };
        let complexity = event.complexity.as_str();
        let stratum = stratum_of(&estimate.category, complexity);
        match estimator.overhead_terms(&input.as_input(), &EmptyWorkspace) {
            Some(terms) => self
                .observations
                .push(observation(&terms, stratum, complexity, outcome)),
            None => self.skipped.other_model += 1,
        }
        // Simulation reports by the stored category, normalised as replay, report and coverage do
        // (`docs/low`); the fit above groups by the estimator's effective category, the overhead table's key.
        self.sim_events.push(SimEvent {
            stratum: stratum_of(&event.category, complexity),
            predicted: estimate.estimated_tokens,
            outcome,
        });
        self.inputs.push(input);
        let (provider, model) = provider_model(event);
        self.provider_models.push(Stratum::new(provider, model));
    }
}

fn observation(
    terms: &OverheadTerms,
    stratum: Stratum,
    complexity: &str,
    outcome: Outcome,
) -> Observation {
    let deliverables = terms
        .deliverables
        .iter()
        .map(|d| PricedDeliverable {
            kind: kind_name(d.class, d.is_new),
            multiplier: d.multiplier,
        })
        .collect();
    Observation {
        overhead_key: Stratum::new(&terms.category, complexity),
        stratum,
        deliverables,
        outcome,
    }
}

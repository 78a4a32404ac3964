//! What needs no prediction: truncation and budget slack over every event, by provider and model, and the
//! events without a prediction (imported OTLP spans, other tools' logs) that accuracy cannot score.

use std::collections::BTreeMap;

use serde::Serialize;
use tel_core::accuracy::Truncation;
use tel_core::stats::{Rate, median_true, p90_quantiles};
use tel_core::{EventView, TelemetryEvent};

/// Provider or model of an event that does not name one.
const UNKNOWN: &str = "unknown";

/// The provider (`unknown` when not recorded) and model of `event`: the group of data without categories.
pub fn provider_model(event: &TelemetryEvent) -> (String, String) {
    let provider = event.provider.as_deref().unwrap_or(UNKNOWN).to_owned();
    (provider, event.model.clone())
}

/// Truncation and slack of a set of events, predicted or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes {
    /// Events in the set.
    pub events: u64,
    /// Of them, events without a prediction (`predicted_output_tokens ≤ 0`).
    pub without_prediction: u64,
    /// Events with no usable outcome (call failed, input+output usage, actual below the guard).
    pub no_outcome: u64,
    /// Truncated events.
    pub truncated: u64,
    /// Events that finished below their ceiling.
    pub non_truncated: u64,
    /// Events whose truncation neither the stop reason nor the ceiling tells.
    pub truncation_unknown: u64,
    /// Truncated over events with known truncation.
    pub truncation: Rate,
    /// The same as a percentage.
    pub truncation_pct: Option<f64>,
    /// Non-truncated events with a recorded ceiling (the slack's n).
    pub slack_n: u64,
    /// Median of `(ceiling − actual) / ceiling` over them.
    pub slack_median: Option<f64>,
    /// P90 of the same.
    pub slack_p90: Option<f64>,
}

/// One provider × model group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderModelRow {
    /// Provider (`unknown` when not recorded).
    pub provider: String,
    /// Model.
    pub model: String,
    /// The group's figures.
    #[serde(flatten)]
    pub outcomes: Outcomes,
}

/// Streaming accumulator of [`Outcomes`].
#[derive(Debug, Clone, Default)]
pub struct OutcomeAccumulator {
    events: u64,
    without_prediction: u64,
    no_outcome: u64,
    truncated: u64,
    non_truncated: u64,
    truncation_unknown: u64,
    slack: Vec<f64>,
}

impl OutcomeAccumulator {
    /// Adds one event; `min_actual` is the validity guard's minimum.
    pub fn push(&mut self, event: &TelemetryEvent, min_actual: i64) {
        self.events += 1;
        if event.predicted_output_tokens <= 0 {
            self.without_prediction += 1;
        }
        let view = EventView::from(event);
        match view.outcome(min_actual) {
            Err(_) => self.no_outcome += 1,
            Ok((Truncation::Unknown, _)) => self.truncation_unknown += 1,
            Ok((Truncation::Truncated, _)) => self.truncated += 1,
            Ok((Truncation::Complete, actual)) => {
                self.non_truncated += 1;
                if let Some(ceiling) = view.actual_max_tokens.filter(|&b| b > 0) {
                    self.slack
                        .push(ceiling.saturating_sub(actual) as f64 / ceiling as f64);
                }
            }
        }
    }

    /// The figures over everything pushed.
    pub fn finish(&self) -> Outcomes {
        let truncation = Rate {
            count: self.truncated,
            n: self.truncated + self.non_truncated,
        };
        Outcomes {
            events: self.events,
            without_prediction: self.without_prediction,
            no_outcome: self.no_outcome,
            truncated: self.truncated,
            non_truncated: self.non_truncated,
            truncation_unknown: self.truncation_unknown,
            truncation,
            truncation_pct: truncation.percent(),
            slack_n: self.slack.len() as u64,
            slack_median: median_true(&self.slack),
            slack_p90: p90_quantiles(&self.slack),
        }
    }
}

/// Outcomes overall and by provider × model.
#[derive(Debug, Clone, Default)]
pub struct OutcomeGroups {
    overall: OutcomeAccumulator,
    by_provider_model: BTreeMap<(String, String), OutcomeAccumulator>,
}

impl OutcomeGroups {
    /// Adds one event to the overall figures and to its provider × model group.
    pub fn push(&mut self, event: &TelemetryEvent, min_actual: i64) {
        self.overall.push(event, min_actual);
        self.by_provider_model
            .entry(provider_model(event))
            .or_default()
            .push(event, min_actual);
    }

    /// The overall figures and one row per group, in provider, model order.
    pub fn finish(&self) -> (Outcomes, Vec<ProviderModelRow>) {
        let rows = self
            .by_provider_model
            .iter()
            .map(|((provider, model), acc)| ProviderModelRow {
                provider: provider.clone(),
                model: model.clone(),
                outcomes: acc.finish(),
            })
            .collect();
        (self.overall.finish(), rows)
    }
}

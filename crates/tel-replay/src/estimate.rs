//! Adapters that let tel-core's `Estimator` drive both replays: legacy samples and stored events.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;
use tel_core::TelemetryEvent;
use tel_core::estimator::{ComplexityInput, EstimateInput, Estimator, Workspace};

use crate::legacy_replay::Predictor;
use crate::replay::EventPredictor;

/// Distinct inputs remembered by [`EstimatorPredictor::with_input_cache`] before the cache starts over:
/// a few MB at most, whatever the table size.
const INPUT_CACHE_ENTRIES: usize = 16_384;

/// Estimates by stored deliverables JSON, then by category and complexity (looked up without allocating).
type InputCache = HashMap<String, Vec<(String, &'static str, i64)>>;

/// An estimator with its workspace; called without scope paths or task description, as the original replay did.
pub struct EstimatorPredictor {
    estimator: Estimator,
    workspace: Rc<dyn Workspace>,
    cache: Option<InputCache>,
}

impl EstimatorPredictor {
    /// Pairs `estimator` with `workspace` (use `EmptyWorkspace` for reproducible replays).
    pub fn new(estimator: Estimator, workspace: Rc<dyn Workspace>) -> Self {
        Self {
            estimator,
            workspace,
            cache: None,
        }
    }

    /// This predictor, remembering the estimate of each stored input (category, complexity, deliverables
    /// JSON) it saw. Exact only where the estimate is a pure function of that input, i.e. with a workspace
    /// whose answers never change (the empty workspace of a reproducible replay): a directory workspace
    /// must not be cached, as its files may change between two events.
    pub fn with_input_cache(mut self) -> Self {
        self.cache = Some(HashMap::new());
        self
    }

    fn estimate(&self, deliverables: &[String], category: &str, complexity: &str) -> i64 {
        let deliverables = Value::Array(deliverables.iter().cloned().map(Value::String).collect());
        let input = EstimateInput::new(&deliverables, category, ComplexityInput::raw(complexity));
        self.estimator
            .estimate(&input, self.workspace.as_ref())
            .estimated_tokens
    }
}

impl Predictor for EstimatorPredictor {
    fn predict(&mut self, deliverables: &[String], category: &str, complexity: &str) -> i64 {
        self.estimate(deliverables, category, complexity)
    }
}

impl EventPredictor for EstimatorPredictor {
    /// The stored deliverables, category and complexity (no synthetic deliverables outside legacy mode).
    fn predict(&mut self, event: &TelemetryEvent) -> i64 {
        let estimate = |this: &Self| {
            this.estimate(
                &event.deliverables(),
                &event.category,
                event.complexity.as_str(),
            )
        };
        let Some(cache) = &self.cache else {
            return estimate(self);
        };
        let complexity = event.complexity.as_str();
        let cached = cache
            .get(event.deliverables_json.as_str())
            .and_then(|same_deliverables| {
                same_deliverables
                    .iter()
                    .find(|(category, c, _)| *category == event.category && *c == complexity)
            });
        if let Some(&(_, _, estimated)) = cached {
            return estimated;
        }
        let estimated = estimate(self);
        let cache = self.cache.get_or_insert_with(HashMap::new);
        if cache.len() >= INPUT_CACHE_ENTRIES {
            cache.clear();
        }
        cache
            .entry(event.deliverables_json.clone())
            .or_default()
            .push((event.category.clone(), complexity, estimated));
        estimated
    }
}

#[cfg(test)]
mod tests {
    use tel_core::estimator::{EmptyWorkspace, Profile};

    use super::*;
    use crate::generate::{GenerateConfig, generate};

    #[test]
    fn input_cache_returns_the_estimates_of_an_uncached_predictor() {
        let predictor = || {
            EstimatorPredictor::new(
                Estimator::new(Profile::builtin("v2-head").expect("builtin profile")),
                Rc::new(EmptyWorkspace),
            )
        };
        let (mut plain, mut cached) = (predictor(), predictor().with_input_cache());
        let events: Vec<TelemetryEvent> = generate(GenerateConfig::new(1_500, 5)).collect();
        // Each input twice, the second time from the cache; the same deliverables in another category too.
        let mut moved = events[0].clone();
        moved.category = "docs".into();
        for event in events.iter().chain(&events).chain([&moved]) {
            assert_eq!(
                EventPredictor::predict(&mut cached, event),
                EventPredictor::predict(&mut plain, event),
                "event {:?}",
                event.event_id
            );
        }
        let remembered: usize = cached
            .cache
            .as_ref()
            .map_or(0, |c| c.values().map(Vec::len).sum());
        assert!(remembered > 1_000, "{remembered} inputs remembered");
    }
}

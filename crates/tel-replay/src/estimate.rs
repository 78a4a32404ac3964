//! Adapters that let tel-core's `Estimator` drive both replays: legacy samples and stored events.

use std::rc::Rc;

use serde_json::Value;
use tel_core::TelemetryEvent;
use tel_core::estimator::{ComplexityInput, EstimateInput, Estimator, Workspace};

use crate::legacy_replay::Predictor;
use crate::replay::EventPredictor;

/// An estimator with its workspace; called without scope paths or task description, as the original replay did.
pub struct EstimatorPredictor {
    estimator: Estimator,
    workspace: Rc<dyn Workspace>,
}

impl EstimatorPredictor {
    /// Pairs `estimator` with `workspace` (use `EmptyWorkspace` for reproducible replays).
    pub fn new(estimator: Estimator, workspace: Rc<dyn Workspace>) -> Self {
        Self {
            estimator,
            workspace,
        }
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
        self.estimate(
            &event.deliverables(),
            &event.category,
            event.complexity.as_str(),
        )
    }
}

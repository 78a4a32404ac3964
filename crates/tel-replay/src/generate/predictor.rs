//! Who predicts a synthetic phase: the estimator under test, or an oracle that knows the ground truth.

use serde_json::Value;
use tel_core::estimator::{EmptyWorkspace, EstimateInput, Estimator};
use tel_core::{DocFeatures, SotFields};

use super::phase::Phase;
use super::truth::GroundTruth;

/// What an estimator said about one phase before the call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prediction {
    /// Predicted output tokens.
    pub predicted_output_tokens: i64,
    /// Intended budget (`select_budget`); 0 when none was selected.
    pub selected_budget: i64,
    /// Category the estimator decided (recorded as the event's category).
    pub category: String,
    /// DOC_SYNTHESIS features the estimator derived.
    pub doc_features: DocFeatures,
    /// SOT fields the estimator derived.
    pub sot: SotFields,
}

/// Predicts phases for the generator. Must be deterministic: the generated stream depends on it.
pub trait Predictor {
    /// The estimator profile id recorded with each event, if any.
    fn profile(&self) -> Option<&str>;
    /// The prediction and budget for one phase.
    fn predict(&self, phase: &Phase) -> Prediction;
}

/// An estimator profile with an empty workspace (generated files do not exist, so every deliverable is
/// priced as new), recording what the original call site recorded (FORMATS.md F2.7).
#[derive(Debug, Clone, Default)]
pub struct EstimatorPredictor {
    estimator: Estimator,
}

impl EstimatorPredictor {
    /// Predicts with `estimator`.
    pub fn new(estimator: Estimator) -> Self {
        Self { estimator }
    }
}

impl Predictor for EstimatorPredictor {
    fn profile(&self) -> Option<&str> {
        Some(&self.estimator.profile().id)
    }

    fn predict(&self, phase: &Phase) -> Prediction {
        let deliverables = Value::Array(
            phase
                .deliverables
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        );
        let complexity = phase.complexity;
        let input = EstimateInput::new(&deliverables, phase.category, complexity)
            .with_scope_paths(Some(&phase.scope_paths))
            .with_task_description(&phase.task_description);
        let estimate = self.estimator.estimate(&input, &EmptyWorkspace);
        Prediction {
            predicted_output_tokens: estimate.estimated_tokens,
            selected_budget: self.estimator.select_budget(&estimate, complexity),
            doc_features: DocFeatures::from_estimate(&estimate),
            sot: SotFields::from_estimate(&estimate),
            category: estimate.category,
        }
    }
}

/// Predicts the ground truth's median need, scaled by `bias`, with budget `max(8192, ⌊1.5 × prediction⌋)`
/// capped at 64,000. A perfect-median reference for calibration and simulation tests.
#[derive(Debug, Clone)]
pub struct OraclePredictor {
    /// The truth the generator samples from.
    pub truth: GroundTruth,
    /// Multiplies every prediction (1.0 = unbiased median).
    pub bias: f64,
}

impl Predictor for OraclePredictor {
    fn profile(&self) -> Option<&str> {
        Some("oracle")
    }

    fn predict(&self, phase: &Phase) -> Prediction {
        let median = self.truth.median_need(
            phase.category,
            phase.complexity,
            phase.kinds.iter().copied(),
        );
        let predicted = (median * self.bias) as i64;
        Prediction {
            predicted_output_tokens: predicted,
            selected_budget: (predicted as f64 * 1.5).clamp(8192.0, 64_000.0) as i64,
            category: phase.category.to_owned(),
            ..Prediction::default()
        }
    }
}

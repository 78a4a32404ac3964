//! Temporary stand-in for tel-core's writer input (`EventDraft`), metrics (`EventMetrics`,
//! `ValidityGuard`) and deliverable sanitisation, which land in tel-core in a parallel change; at merge
//! this module is deleted and the names are imported from tel-core (same names, same fields).

use tel_core::pytext::json_string_list;
use tel_core::{Complexity, DocFeatures, SotFields, TelemetryEvent, Timestamp, UsageKind};

/// The writer's stored metrics (telemetry.md §2.3): defined only when `actual > 0` and `predicted > 0`.
fn event_metrics(predicted: i64, actual: i64) -> (Option<f64>, Option<f64>, Option<bool>) {
    if actual > 0 && predicted > 0 {
        let (a, p) = (actual as f64, predicted as f64);
        let denom = (a.abs() + p.abs()) / 2.0;
        let smape = ((a - p).abs() / denom.max(1.0)) * 100.0;
        (Some(smape), Some(p / a), Some(actual > predicted))
    } else {
        (None, None, None)
    }
}

/// Deliverable sanitisation (telemetry.md §2.4): the JSON text of the first 20 items, each at most
/// 200 code points, and the full count.
fn sanitize_deliverables(deliverables: &[String]) -> (String, i64) {
    let stored: Vec<String> = deliverables
        .iter()
        .take(20)
        .map(|item| {
            if item.chars().count() > 200 {
                item.chars().take(197).chain("...".chars()).collect()
            } else {
                item.clone()
            }
        })
        .collect();
    let count = i64::try_from(deliverables.len()).unwrap_or(i64::MAX);
    (json_string_list(&stored), count)
}

/// The writer's validity guard (telemetry.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityGuard {
    /// Events with `actual_output_tokens` below this value are rejected.
    pub min_actual_output_tokens: i64,
}

impl Default for ValidityGuard {
    fn default() -> Self {
        Self {
            min_actual_output_tokens: 50,
        }
    }
}

/// An event the guard rejected; its message is the original's warning line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[TELEMETRY] Skipping invalid event for {phase_id}: actual_output_tokens={actual_output_tokens} < {min_actual_output_tokens} (likely error)"
)]
pub struct InvalidEvent {
    /// Phase id of the rejected event.
    pub phase_id: String,
    /// The rejected actual output.
    pub actual_output_tokens: i64,
    /// The guard's threshold.
    pub min_actual_output_tokens: i64,
}

/// tel's additive event fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelExtras {
    /// Estimator profile id.
    pub estimator_profile: Option<String>,
    /// Coefficient-set hash.
    pub coefficients_hash: Option<String>,
    /// Provider name.
    pub provider: Option<String>,
    /// Output-only or input+output actual.
    pub usage_kind: Option<UsageKind>,
}

/// One builder call as the executor reports it (the original writer's arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    /// Run id (`"unknown"` or empty when the phase had none).
    pub run_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Category as recorded.
    pub category: String,
    /// Normalised complexity.
    pub complexity: Complexity,
    /// The full deliverables list.
    pub deliverables: Vec<String>,
    /// Predicted output tokens.
    pub predicted_output_tokens: i64,
    /// Actual output tokens of the first call.
    pub actual_output_tokens: i64,
    /// Intended budget; 0 when none was selected.
    pub selected_budget: i64,
    /// Builder success flag.
    pub success: bool,
    /// Stop reason was a truncation.
    pub truncated: bool,
    /// Raw provider stop reason.
    pub stop_reason: Option<String>,
    /// Model name.
    pub model: String,
    /// Actual is a lower bound; `None` means "same as `truncated`".
    pub is_truncated_output: Option<bool>,
    /// DOC_SYNTHESIS features.
    pub doc_features: DocFeatures,
    /// SOT fields.
    pub sot: SotFields,
    /// The ceiling actually sent.
    pub actual_max_tokens: Option<i64>,
    /// tel's additive fields.
    pub extras: TelExtras,
}

impl EventDraft {
    /// The event to store, or the guard's rejection (checked before anything else is computed).
    pub fn into_event(
        self,
        now: Timestamp,
        guard: &ValidityGuard,
    ) -> Result<TelemetryEvent, InvalidEvent> {
        if self.actual_output_tokens < guard.min_actual_output_tokens {
            return Err(InvalidEvent {
                phase_id: self.phase_id,
                actual_output_tokens: self.actual_output_tokens,
                min_actual_output_tokens: guard.min_actual_output_tokens,
            });
        }
        let (deliverables_json, deliverable_count) = sanitize_deliverables(&self.deliverables);
        let (smape_percent, waste_ratio, underestimated) =
            event_metrics(self.predicted_output_tokens, self.actual_output_tokens);
        Ok(TelemetryEvent {
            event_id: None,
            run_id: self.run_id,
            phase_id: self.phase_id,
            timestamp: now,
            category: self.category,
            complexity: self.complexity,
            deliverable_count,
            deliverables_json,
            predicted_output_tokens: self.predicted_output_tokens,
            actual_output_tokens: self.actual_output_tokens,
            selected_budget: self.selected_budget,
            actual_max_tokens: self.actual_max_tokens,
            success: self.success,
            truncated: self.truncated,
            stop_reason: self.stop_reason,
            model: self.model,
            smape_percent,
            waste_ratio,
            underestimated,
            is_truncated_output: self.is_truncated_output.unwrap_or(self.truncated),
            doc_features: self.doc_features,
            sot: self.sot,
            created_at: now,
            estimator_profile: self.extras.estimator_profile,
            coefficients_hash: self.extras.coefficients_hash,
            provider: self.extras.provider,
            usage_kind: self.extras.usage_kind,
            run_id_inferred: false,
        })
    }
}

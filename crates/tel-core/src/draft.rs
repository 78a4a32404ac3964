//! The writer's input: the original writer's arguments (FORMATS.md F2) plus tel's additive fields,
//! turned into a [`TelemetryEvent`] by applying the validity guard, sanitisation and the stored metrics.

use crate::estimator::TokenEstimate;
use crate::metrics::{EventMetrics, InvalidEvent, ValidityGuard};
use crate::sanitize::sanitize_deliverables;
use crate::validate::InvalidField;
use crate::{Complexity, DocFeatures, SotFields, TelemetryEvent, Timestamp, UsageKind};

/// tel's additive, nullable event fields (FORMATS.md F1, tel's additions); all `None` by default.
///
/// New fields of tel arrive here (the rest of [`EventDraft`] is the original writer's fixed argument
/// list), so it cannot be written as a literal outside tel-core: start from [`TelExtras::default`] and
/// set what is known with the `with_` methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TelExtras {
    /// Estimator profile id that produced the prediction.
    pub estimator_profile: Option<String>,
    /// Content hash of the coefficient set behind the prediction.
    pub coefficients_hash: Option<String>,
    /// Provider name (`anthropic`, `openai`, `gemini`, …).
    pub provider: Option<String>,
    /// Whether the actual counts output tokens or an input+output total; `None` stores `output`, so
    /// every event tel writes carries a usage kind (a NULL one marks a row from the original).
    pub usage_kind: Option<UsageKind>,
}

impl TelExtras {
    /// With this estimator profile id.
    pub fn with_estimator_profile(mut self, estimator_profile: Option<String>) -> Self {
        self.estimator_profile = estimator_profile;
        self
    }

    /// With this coefficient-set hash.
    pub fn with_coefficients_hash(mut self, coefficients_hash: Option<String>) -> Self {
        self.coefficients_hash = coefficients_hash;
        self
    }

    /// With this provider name.
    pub fn with_provider(mut self, provider: Option<String>) -> Self {
        self.provider = provider;
        self
    }

    /// With this usage kind.
    pub fn with_usage_kind(mut self, usage_kind: Option<UsageKind>) -> Self {
        self.usage_kind = usage_kind;
        self
    }
}

impl DocFeatures {
    /// The DOC_SYNTHESIS fields the writer stores for `estimate`: set only when the estimator derived them.
    pub fn from_estimate(estimate: &TokenEstimate) -> Self {
        let Some(features) = estimate.doc_features else {
            return Self::default();
        };
        Self {
            api_reference_required: Some(features.api_reference_required),
            examples_required: Some(features.examples_required),
            research_required: Some(features.research_required),
            usage_guide_required: Some(features.usage_guide_required),
            context_quality: estimate.context_quality.map(|q| q.as_str().to_owned()),
        }
    }
}

impl SotFields {
    /// The SOT fields the writer stores for `estimate`: set for `doc_sot_update` estimates, `None` otherwise.
    pub fn from_estimate(estimate: &TokenEstimate) -> Self {
        if estimate.category != "doc_sot_update" {
            return Self::default();
        }
        Self {
            is_sot_file: Some(true),
            sot_file_name: estimate.sot_file_name.clone(),
            sot_entry_count_hint: Some(estimate.deliverable_count),
        }
    }
}

/// Why [`EventDraft::into_event`] made no event; the message is the recorder's warning line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectedDraft {
    /// The validity guard rejected the actual (the original's warning).
    #[error(transparent)]
    Guard(#[from] InvalidEvent),
    /// A value cannot be stored (docs/STORE.md "What an event may hold").
    #[error("[TELEMETRY] Skipping invalid event: {0}")]
    Invalid(InvalidField),
}

/// One builder call as the executor reports it to the writer, before the guard and the metrics.
///
/// Field names follow the original writer's keyword arguments; the run id is passed as given
/// (`"unknown"` included) — the store's recorder applies the `run_id` backfill of FORMATS.md F2.5.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    /// Run id (`"unknown"` or empty when the phase had none).
    pub run_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Category as recorded (estimator's category, else the raw task category, else `implementation`).
    pub category: String,
    /// The call site's normalised complexity.
    pub complexity: Complexity,
    /// The full deliverables list (sanitised on conversion).
    pub deliverables: Vec<String>,
    /// The prediction of output tokens.
    pub predicted_output_tokens: i64,
    /// Provider-reported output tokens of the first call.
    pub actual_output_tokens: i64,
    /// The estimator's intended budget; 0 when none was selected.
    pub selected_budget: i64,
    /// The builder's parse/apply success flag.
    pub success: bool,
    /// The stop reason was a truncation.
    pub truncated: bool,
    /// Raw provider stop reason.
    pub stop_reason: Option<String>,
    /// Model name.
    pub model: String,
    /// Marks the actual as a lower bound; `None` means "same as `truncated`".
    pub is_truncated_output: Option<bool>,
    /// DOC_SYNTHESIS features.
    pub doc_features: DocFeatures,
    /// SOT fields.
    pub sot: SotFields,
    /// The ceiling actually sent, when a budget was selected.
    pub actual_max_tokens: Option<i64>,
    /// tel's additive fields.
    pub extras: TelExtras,
}

impl EventDraft {
    /// Builds the event to store: rejects it through `guard` first (the original's rule and
    /// warning), then through [`EventDraft::validate`] (nothing else is computed then), sanitises the
    /// deliverables, computes the stored metrics and stamps `timestamp` and `created_at` with `now`.
    /// The event has no id yet, its run id is not inferred, and its usage kind defaults to `output`.
    pub fn into_event(
        self,
        now: Timestamp,
        guard: &ValidityGuard,
    ) -> Result<TelemetryEvent, RejectedDraft> {
        guard.check(&self.phase_id, self.actual_output_tokens)?;
        self.validate().map_err(RejectedDraft::Invalid)?;
        let deliverables = sanitize_deliverables(&self.deliverables);
        let metrics =
            EventMetrics::compute(self.predicted_output_tokens, self.actual_output_tokens);
        Ok(TelemetryEvent {
            event_id: None,
            run_id: self.run_id,
            phase_id: self.phase_id,
            timestamp: now,
            category: self.category,
            complexity: self.complexity,
            deliverable_count: deliverables.count,
            deliverables_json: deliverables.json,
            predicted_output_tokens: self.predicted_output_tokens,
            actual_output_tokens: self.actual_output_tokens,
            selected_budget: self.selected_budget,
            actual_max_tokens: self.actual_max_tokens,
            success: self.success,
            truncated: self.truncated,
            stop_reason: self.stop_reason,
            model: self.model,
            smape_percent: metrics.smape_percent,
            waste_ratio: metrics.waste_ratio,
            underestimated: metrics.underestimated,
            is_truncated_output: self.is_truncated_output.unwrap_or(self.truncated),
            doc_features: self.doc_features,
            sot: self.sot,
            created_at: now,
            estimator_profile: self.extras.estimator_profile,
            coefficients_hash: self.extras.coefficients_hash,
            provider: self.extras.provider,
            usage_kind: Some(self.extras.usage_kind.unwrap_or(UsageKind::Output)),
            run_id_inferred: false,
        })
    }
}

impl TelemetryEvent {
    /// The stored metrics of this event, as a value.
    pub fn metrics(&self) -> EventMetrics {
        EventMetrics {
            smape_percent: self.smape_percent,
            waste_ratio: self.waste_ratio,
            underestimated: self.underestimated,
        }
    }

    /// The run id is missing (empty or exactly `"unknown"`), so the store's backfill (FORMATS.md F2.5) applies.
    pub fn needs_run_id_backfill(&self) -> bool {
        self.run_id.is_empty() || self.run_id == "unknown"
    }
}

//! The telemetry event: one builder LLM call with its prediction, budget, outcome and stored metrics.

use serde::{Deserialize, Serialize};

use crate::{Complexity, StopReasonKind, Timestamp};

/// Whether `actual_output_tokens` counts output tokens, or input + output (the original's fallback rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum UsageKind {
    /// Provider-reported output tokens of the call (comparable with predictions).
    Output,
    /// Input + output total (not comparable with predictions).
    Total,
}

impl UsageKind {
    /// The stored text of this value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Output => "output",
            Self::Total => "total",
        }
    }
}

/// DOC_SYNTHESIS features the estimator derived (FORMATS.md F1, the documentation features); all `None` outside documentation phases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocFeatures {
    /// API reference documentation was required.
    pub api_reference_required: Option<bool>,
    /// Examples were required.
    pub examples_required: Option<bool>,
    /// Research (writing from scratch) was required.
    pub research_required: Option<bool>,
    /// A usage guide was required.
    pub usage_guide_required: Option<bool>,
    /// `none` / `some` / `strong`, from the number of scope paths.
    pub context_quality: Option<String>,
}

/// Source-of-truth file update fields (FORMATS.md F1, the SOT fields); `None` outside `doc_sot_update` phases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SotFields {
    /// True for `doc_sot_update` phases. tel stores NULL for other phases (one nullability, schema and writer alike).
    pub is_sot_file: Option<bool>,
    /// Lower-cased basename of the first SOT deliverable, e.g. `build_log.md`.
    pub sot_file_name: Option<String>,
    /// Number of deliverables of the SOT phase.
    pub sot_entry_count_hint: Option<i64>,
}

/// One `token_estimation_v2_events` row: every field of FORMATS.md F1 plus tel's additive fields.
/// Fields added after the first stored form decode with their defaults when missing (spool lines
/// written by an older tel).
///
/// Stored metrics (`smape_percent`, `waste_ratio`, `underestimated`) are kept exactly as stored;
/// they are never recomputed when reading (legacy row 1 stores values the formula does not give).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetryEvent {
    /// Surrogate key; `None` before the event is stored.
    pub event_id: Option<i64>,
    /// Run id (`unknown` when the executor had none).
    pub run_id: String,
    /// Phase id, unique only within its run.
    pub phase_id: String,
    /// Insert time (naive UTC).
    pub timestamp: Timestamp,
    /// Category as recorded (estimator's category, else the raw task category).
    pub category: String,
    /// Complexity as recorded.
    pub complexity: Complexity,
    /// Full number of deliverables (not capped at 20).
    pub deliverable_count: i64,
    /// The stored JSON array text of the first 20 sanitised deliverables, kept byte for byte.
    pub deliverables_json: String,
    /// The estimator's prediction of output tokens.
    pub predicted_output_tokens: i64,
    /// Observed output tokens (a lower bound when truncated).
    pub actual_output_tokens: i64,
    /// The estimator's intended budget; 0 when none was selected.
    pub selected_budget: i64,
    /// The ceiling actually sent; `None` when unknown (never backfilled from `selected_budget`).
    pub actual_max_tokens: Option<i64>,
    /// The builder's parse/apply success flag (not the API call's success).
    pub success: bool,
    /// The stop reason was a truncation (authoritative for legacy rows).
    pub truncated: bool,
    /// Raw provider stop reason.
    pub stop_reason: Option<String>,
    /// Model name.
    pub model: String,
    /// Stored SMAPE percent (FORMATS.md F2.3).
    pub smape_percent: Option<f64>,
    /// Stored waste ratio predicted / actual.
    pub waste_ratio: Option<f64>,
    /// Stored underestimation flag (actual > predicted).
    pub underestimated: Option<bool>,
    /// Marks the actual as a lower bound (legacy rows may carry 0 although truncated).
    #[serde(default)]
    pub is_truncated_output: bool,
    /// DOC_SYNTHESIS features.
    #[serde(default)]
    pub doc_features: DocFeatures,
    /// SOT fields.
    #[serde(default)]
    pub sot: SotFields,
    /// Row creation time (naive UTC).
    pub created_at: Timestamp,
    /// tel: estimator profile id that produced the prediction, when known.
    pub estimator_profile: Option<String>,
    /// tel: content hash of the coefficient set behind the prediction, when known.
    pub coefficients_hash: Option<String>,
    /// tel: provider name (`anthropic`, `openai`, `gemini`, …), when known.
    pub provider: Option<String>,
    /// tel: whether `actual_output_tokens` is output-only or an input+output total. `None` exactly for
    /// rows from the original (adopted, or imported from its NDJSON export): every writer of tel sets it,
    /// so it is how the analysis tells the original's rows (legacy rules) from tel's (docs/REPORT.md).
    pub usage_kind: Option<UsageKind>,
    /// tel: the run id was inferred by the `run_id` backfill rule rather than given.
    #[serde(default)]
    pub run_id_inferred: bool,
}

impl TelemetryEvent {
    /// The normalised meaning of the raw stop reason.
    pub fn stop_reason_kind(&self) -> StopReasonKind {
        StopReasonKind::classify(self.stop_reason.as_deref())
    }

    /// The stored deliverables, parsed from `deliverables_json`; `[]` when the text is empty or not an
    /// array of strings (as the original export and replay did). Non-string items are skipped.
    pub fn deliverables(&self) -> Vec<String> {
        match serde_json::from_str::<serde_json::Value>(&self.deliverables_json) {
            Ok(serde_json::Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| match item {
                    serde_json::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

//! Test-only events for the report modules: a compact constructor over the many event fields.

use tel_core::{Complexity, TelemetryEvent, Timestamp, UsageKind};

/// A new-style event (output usage, stop reason set from `truncated`, ceiling recorded).
pub fn event(
    category: &str,
    complexity: Complexity,
    deliverables: i64,
    predicted: i64,
    actual: i64,
    ceiling: i64,
    truncated: bool,
) -> TelemetryEvent {
    let ts = Timestamp::parse("2025-12-24 01:55:10").expect("fixture timestamp");
    TelemetryEvent {
        event_id: None,
        run_id: "run".into(),
        phase_id: "P".into(),
        timestamp: ts,
        category: category.into(),
        complexity,
        deliverable_count: deliverables,
        deliverables_json: "[]".into(),
        predicted_output_tokens: predicted,
        actual_output_tokens: actual,
        selected_budget: ceiling,
        actual_max_tokens: Some(ceiling),
        success: !truncated,
        truncated,
        stop_reason: Some(if truncated { "max_tokens" } else { "end_turn" }.into()),
        model: "m".into(),
        smape_percent: None,
        waste_ratio: None,
        underestimated: None,
        is_truncated_output: truncated,
        doc_features: Default::default(),
        sot: Default::default(),
        created_at: ts,
        estimator_profile: None,
        coefficients_hash: None,
        provider: None,
        usage_kind: Some(UsageKind::Output),
        run_id_inferred: false,
    }
}

//! The content-derived idempotency key of an event: the same event written twice (a re-import, a spool
//! replay after a write that did commit) is stored once.

use sha2::{Digest, Sha256};
use tel_core::TelemetryEvent;

/// Prefix of the canonical form, so a future change of the form cannot collide with this one.
const KEY_FORMAT: &str = "tel-event-key-v1";

/// SHA-256 hex of a canonical JSON array of every event field except `event_id` and `created_at`
/// (the store assigns the first; the second is insert time). Computed on the event as submitted,
/// before the store's run_id backfill, so a spooled copy and a live write share the key.
pub fn idempotency_key(event: &TelemetryEvent) -> String {
    let canonical = serde_json::json!([
        KEY_FORMAT,
        event.run_id,
        event.phase_id,
        event.timestamp.to_sql_text(),
        event.category,
        event.complexity.as_str(),
        event.deliverable_count,
        event.deliverables_json,
        event.predicted_output_tokens,
        event.actual_output_tokens,
        event.selected_budget,
        event.actual_max_tokens,
        event.success,
        event.truncated,
        event.stop_reason,
        event.model,
        event.smape_percent,
        event.waste_ratio,
        event.underestimated,
        event.is_truncated_output,
        event.doc_features.api_reference_required,
        event.doc_features.examples_required,
        event.doc_features.research_required,
        event.doc_features.usage_guide_required,
        event.doc_features.context_quality,
        event.sot.is_sot_file,
        event.sot.sot_file_name,
        event.sot.sot_entry_count_hint,
        event.estimator_profile,
        event.coefficients_hash,
        event.provider,
        event.usage_kind.map(|kind| kind.as_str()),
        event.run_id_inferred,
    ]);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

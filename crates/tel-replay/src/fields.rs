//! The exported field set: key order of the original export (FORMATS.md F5) and tel's extended keys, with values.

use tel_core::TelemetryEvent;

/// How a field's value is written and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text (JSON string).
    Text,
    /// Signed integer.
    Int,
    /// Float (`repr(float)` text).
    Float,
    /// `true` / `false`.
    Bool,
    /// Naive UTC timestamp in the `T` form.
    Timestamp,
    /// The deliverables JSON array.
    Deliverables,
}

/// The 17 keys of the original NDJSON export, in its order.
pub const ORIGINAL_FIELDS: [(&str, FieldKind); 17] = [
    ("run_id", FieldKind::Text),
    ("phase_id", FieldKind::Text),
    ("timestamp", FieldKind::Timestamp),
    ("category", FieldKind::Text),
    ("complexity", FieldKind::Text),
    ("deliverable_count", FieldKind::Int),
    ("deliverables", FieldKind::Deliverables),
    ("predicted_output_tokens", FieldKind::Int),
    ("actual_output_tokens", FieldKind::Int),
    ("selected_budget", FieldKind::Int),
    ("success", FieldKind::Bool),
    ("truncated", FieldKind::Bool),
    ("stop_reason", FieldKind::Text),
    ("model", FieldKind::Text),
    ("smape_percent", FieldKind::Float),
    ("waste_ratio", FieldKind::Float),
    ("underestimated", FieldKind::Bool),
];

/// tel's additional keys of the extended forms, appended after [`ORIGINAL_FIELDS`] in this order.
pub const EXTENDED_FIELDS: [(&str, FieldKind); 18] = [
    ("event_id", FieldKind::Int),
    ("actual_max_tokens", FieldKind::Int),
    ("is_truncated_output", FieldKind::Bool),
    ("api_reference_required", FieldKind::Bool),
    ("examples_required", FieldKind::Bool),
    ("research_required", FieldKind::Bool),
    ("usage_guide_required", FieldKind::Bool),
    ("context_quality", FieldKind::Text),
    ("is_sot_file", FieldKind::Bool),
    ("sot_file_name", FieldKind::Text),
    ("sot_entry_count_hint", FieldKind::Int),
    ("created_at", FieldKind::Timestamp),
    ("estimator_profile", FieldKind::Text),
    ("coefficients_hash", FieldKind::Text),
    ("provider", FieldKind::Text),
    ("usage_kind", FieldKind::Text),
    ("stop_reason_kind", FieldKind::Text),
    ("run_id_inferred", FieldKind::Bool),
];

/// The kind of a known key, `None` for an unknown key.
pub fn kind_of(key: &str) -> Option<FieldKind> {
    ORIGINAL_FIELDS
        .iter()
        .chain(EXTENDED_FIELDS.iter())
        .find(|(name, _)| *name == key)
        .map(|(_, kind)| *kind)
}

/// One exported value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// SQL NULL / JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// Raw `deliverables_json`, re-serialised by the writer.
    Deliverables(&'a str),
}

impl<'a> FieldValue<'a> {
    fn opt<T>(value: Option<T>, wrap: impl FnOnce(T) -> Self) -> Self {
        value.map_or(Self::Null, wrap)
    }
}

/// The event's values in export order: the 17 original keys, then (when `extended`) tel's keys.
pub fn field_values(event: &TelemetryEvent, extended: bool) -> Vec<(&'static str, FieldValue<'_>)> {
    use FieldValue as V;
    let text = |s: &Option<String>| V::opt(s.clone(), V::Text);
    let mut values = vec![
        ("run_id", V::Text(event.run_id.clone())),
        ("phase_id", V::Text(event.phase_id.clone())),
        ("timestamp", V::Text(event.timestamp.to_iso_text())),
        ("category", V::Text(event.category.clone())),
        ("complexity", V::Text(event.complexity.as_str().to_owned())),
        ("deliverable_count", V::Int(event.deliverable_count)),
        ("deliverables", V::Deliverables(&event.deliverables_json)),
        (
            "predicted_output_tokens",
            V::Int(event.predicted_output_tokens),
        ),
        ("actual_output_tokens", V::Int(event.actual_output_tokens)),
        ("selected_budget", V::Int(event.selected_budget)),
        ("success", V::Bool(event.success)),
        ("truncated", V::Bool(event.truncated)),
        ("stop_reason", text(&event.stop_reason)),
        ("model", V::Text(event.model.clone())),
        ("smape_percent", V::opt(event.smape_percent, V::Float)),
        ("waste_ratio", V::opt(event.waste_ratio, V::Float)),
        ("underestimated", V::opt(event.underestimated, V::Bool)),
    ];
    if extended {
        let doc = &event.doc_features;
        values.extend([
            ("event_id", V::opt(event.event_id, V::Int)),
            ("actual_max_tokens", V::opt(event.actual_max_tokens, V::Int)),
            ("is_truncated_output", V::Bool(event.is_truncated_output)),
            (
                "api_reference_required",
                V::opt(doc.api_reference_required, V::Bool),
            ),
            ("examples_required", V::opt(doc.examples_required, V::Bool)),
            ("research_required", V::opt(doc.research_required, V::Bool)),
            (
                "usage_guide_required",
                V::opt(doc.usage_guide_required, V::Bool),
            ),
            ("context_quality", text(&doc.context_quality)),
            ("is_sot_file", V::opt(event.sot.is_sot_file, V::Bool)),
            ("sot_file_name", text(&event.sot.sot_file_name)),
            (
                "sot_entry_count_hint",
                V::opt(event.sot.sot_entry_count_hint, V::Int),
            ),
            ("created_at", V::Text(event.created_at.to_iso_text())),
            ("estimator_profile", text(&event.estimator_profile)),
            ("coefficients_hash", text(&event.coefficients_hash)),
            ("provider", text(&event.provider)),
            (
                "usage_kind",
                V::opt(event.usage_kind, |k| V::Text(k.as_str().to_owned())),
            ),
            (
                "stop_reason_kind",
                V::Text(event.stop_reason_kind().as_str().to_owned()),
            ),
            ("run_id_inferred", V::Bool(event.run_id_inferred)),
        ]);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_tables_have_unique_keys() {
        let mut keys: Vec<&str> = ORIGINAL_FIELDS
            .iter()
            .chain(EXTENDED_FIELDS.iter())
            .map(|(k, _)| *k)
            .collect();
        let total = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), total);
    }
}

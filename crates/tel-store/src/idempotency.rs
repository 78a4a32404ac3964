//! The content-derived idempotency key of an event: the same event written twice (a re-import of any
//! export format, a spool replay after a write that did commit) is stored once.
//!
//! The key is computed from the event as it is stored (after the run_id backfill), over the fields
//! that every export format carries — the original NDJSON export is the smallest (FORMATS.md F5) —
//! minus the metrics derived from them. Everything tel adds or infers (`usage_kind`, `provider`,
//! `run_id_inferred`, `actual_max_tokens`, …) stays out, so an event keeps its key whichever format
//! it travelled through. Stored keys carry their version (`v2:<sha-256 hex>`); the migration of a new
//! version clears the older keys and `tel migrate` recomputes missing keys from the stored values
//! ([`crate::models::events::fill_missing_keys`]).

use sha2::{Digest, Sha256};
use tel_core::TelemetryEvent;

/// Version of the key's definition: bump it whenever [`KEY_FIELDS`] or their encoding changes, and
/// add a migration that clears the keys of the older version (as `2026-01-01-000009_idempotency_key_v2`
/// does), so that `tel migrate` recomputes them (a test pins the fields to this version).
pub const KEY_VERSION: u32 = 2;

/// One field of the key, in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    /// `run_id` as stored (after the backfill).
    RunId,
    /// `phase_id`.
    PhaseId,
    /// `timestamp`, to the microsecond.
    Timestamp,
    /// `category`.
    Category,
    /// `complexity`.
    Complexity,
    /// `deliverable_count`.
    DeliverableCount,
    /// The deliverables array parsed from `deliverables_json` (`[]` when unparsable, as the original
    /// export writes it), so its spacing and escaping do not matter.
    Deliverables,
    /// `predicted_output_tokens`.
    PredictedOutputTokens,
    /// `actual_output_tokens`.
    ActualOutputTokens,
    /// `selected_budget`.
    SelectedBudget,
    /// `success`.
    Success,
    /// `truncated`.
    Truncated,
    /// `stop_reason`.
    StopReason,
    /// `model`.
    Model,
}

/// The fields of the key, in order: the original export's keys without the metrics derived from
/// them (`smape_percent`, `waste_ratio`, `underestimated`: recomputed by some paths, stored
/// differently by the original's manual row 1).
pub const KEY_FIELDS: [KeyField; 14] = [
    KeyField::RunId,
    KeyField::PhaseId,
    KeyField::Timestamp,
    KeyField::Category,
    KeyField::Complexity,
    KeyField::DeliverableCount,
    KeyField::Deliverables,
    KeyField::PredictedOutputTokens,
    KeyField::ActualOutputTokens,
    KeyField::SelectedBudget,
    KeyField::Success,
    KeyField::Truncated,
    KeyField::StopReason,
    KeyField::Model,
];

impl KeyField {
    /// The export key of the field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::RunId => "run_id",
            Self::PhaseId => "phase_id",
            Self::Timestamp => "timestamp",
            Self::Category => "category",
            Self::Complexity => "complexity",
            Self::DeliverableCount => "deliverable_count",
            Self::Deliverables => "deliverables",
            Self::PredictedOutputTokens => "predicted_output_tokens",
            Self::ActualOutputTokens => "actual_output_tokens",
            Self::SelectedBudget => "selected_budget",
            Self::Success => "success",
            Self::Truncated => "truncated",
            Self::StopReason => "stop_reason",
            Self::Model => "model",
        }
    }

    fn value(self, event: &TelemetryEvent) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::RunId => Value::from(event.run_id.as_str()),
            Self::PhaseId => Value::from(event.phase_id.as_str()),
            Self::Timestamp => Value::from(event.timestamp.to_sql_text()),
            Self::Category => Value::from(event.category.as_str()),
            Self::Complexity => Value::from(event.complexity.as_str()),
            Self::DeliverableCount => Value::from(event.deliverable_count),
            Self::Deliverables => match serde_json::from_str::<Value>(&event.deliverables_json) {
                Ok(array @ Value::Array(_)) => array,
                _ => Value::Array(Vec::new()),
            },
            Self::PredictedOutputTokens => Value::from(event.predicted_output_tokens),
            Self::ActualOutputTokens => Value::from(event.actual_output_tokens),
            Self::SelectedBudget => Value::from(event.selected_budget),
            Self::Success => Value::from(event.success),
            Self::Truncated => Value::from(event.truncated),
            Self::StopReason => event
                .stop_reason
                .as_deref()
                .map_or(Value::Null, Value::from),
            Self::Model => Value::from(event.model.as_str()),
        }
    }
}

/// The prefix of every key of the current version (`v2:`).
fn key_prefix() -> String {
    ["v", &KEY_VERSION.to_string(), ":"].concat()
}

/// `v2:` + SHA-256 hex of the canonical JSON array of [`KEY_FIELDS`] of `event` as stored.
pub fn idempotency_key(event: &TelemetryEvent) -> String {
    let canonical =
        serde_json::Value::Array(KEY_FIELDS.iter().map(|field| field.value(event)).collect());
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    let mut key = key_prefix();
    for byte in digest {
        key.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        key.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use tel_core::{Complexity, DocFeatures, SotFields, Timestamp, UsageKind};

    fn event() -> TelemetryEvent {
        TelemetryEvent {
            event_id: None,
            run_id: "run-a".to_owned(),
            phase_id: "build".to_owned(),
            timestamp: Timestamp::parse("2025-12-24 01:55:10.435454").unwrap(),
            category: "documentation".to_owned(),
            complexity: Complexity::Low,
            deliverable_count: 1,
            deliverables_json: "[\"docs/a.md\"]".to_owned(),
            predicted_output_tokens: 5200,
            actual_output_tokens: 16384,
            selected_budget: 8192,
            actual_max_tokens: None,
            success: false,
            truncated: true,
            stop_reason: Some("max_tokens".to_owned()),
            model: "claude-sonnet-4-5".to_owned(),
            smape_percent: Some(103.6),
            waste_ratio: Some(0.31),
            underestimated: Some(true),
            is_truncated_output: false,
            doc_features: DocFeatures::default(),
            sot: SotFields::default(),
            created_at: Timestamp::parse("2025-12-24 01:55:10.435460").unwrap(),
            estimator_profile: None,
            coefficients_hash: None,
            provider: None,
            usage_kind: None,
            run_id_inferred: false,
        }
    }

    #[test]
    fn key_fields_change_only_with_a_version_bump() {
        let names: Vec<&str> = KEY_FIELDS.iter().map(|f| f.name()).collect();
        assert_eq!(
            (KEY_VERSION, names.join(",")),
            (
                2,
                "run_id,phase_id,timestamp,category,complexity,deliverable_count,deliverables,\
                 predicted_output_tokens,actual_output_tokens,selected_budget,success,truncated,\
                 stop_reason,model"
                    .to_owned()
            ),
            "the key's fields changed: bump KEY_VERSION (stored keys are then recomputed by tel migrate)"
        );
        // The encoding too (compact JSON array, SHA-256; checked against Python's json.dumps with
        // separators (",", ":")): a changed canonical form changes this digest.
        assert_eq!(
            idempotency_key(&event()),
            "v2:78a5637be5d7f89f9dcd4b945a280b8b2e3c2c1472d1ffc4f9dac49efc0bd672",
            "the key's encoding changed: bump KEY_VERSION"
        );
    }

    #[test]
    fn the_migration_of_this_version_keeps_exactly_its_keys() {
        let kept = ["NOT LIKE '", &key_prefix(), "%'"].concat();
        for up in [
            include_str!("../../../migrations/sqlite/2026-01-01-000009_idempotency_key_v2/up.sql"),
            include_str!(
                "../../../migrations/postgres/2026-01-01-000009_idempotency_key_v2/up.sql"
            ),
        ] {
            assert!(up.contains(&kept), "{up}");
        }
    }

    #[test]
    fn derived_and_tel_only_fields_do_not_change_the_key() {
        let key = idempotency_key(&event());
        let mut other = event();
        other.smape_percent = Some(18.18);
        other.waste_ratio = None;
        other.underestimated = None;
        other.usage_kind = Some(UsageKind::Output);
        other.provider = Some("anthropic".to_owned());
        other.run_id_inferred = true;
        other.actual_max_tokens = Some(16384);
        other.is_truncated_output = true;
        other.created_at = Timestamp::parse("2026-01-01 00:00:00").unwrap();
        other.event_id = Some(7);
        other.deliverables_json = "[ \"docs/a.md\" ]".to_owned();
        assert_eq!(idempotency_key(&other), key);
        let mut moved = event();
        moved.run_id = "run-b".to_owned();
        assert_ne!(idempotency_key(&moved), key);
    }
}

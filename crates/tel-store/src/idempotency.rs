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

use serde_json::Value;
use sha2::{Digest, Sha256};
use tel_core::TelemetryEvent;
use tel_core::fields::{FieldValue, key_fields};

/// Version of the key's definition: bump it whenever the key's fields (the fields of
/// [`tel_core::fields`] marked `in_key`) or their encoding change, pin the new field list in this
/// module's tests, and add a migration that clears the keys of the older version (as
/// `2026-01-01-000009_idempotency_key_v2` does), so that `tel migrate` recomputes them.
pub const KEY_VERSION: u32 = 2;

/// The field's value in the key's canonical JSON.
fn key_value(value: FieldValue<'_>) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => Value::from(b),
        FieldValue::Int(n) => Value::from(n),
        FieldValue::Float(x) => Value::from(x),
        FieldValue::Text(text) => Value::from(text),
        // To the microsecond, in the stored text form.
        FieldValue::Timestamp(t) => Value::from(t.to_sql_text()),
        // The parsed array (`[]` when unparsable, as the original export writes it), so its
        // spacing and escaping do not matter.
        FieldValue::Deliverables(json) => match serde_json::from_str::<Value>(json) {
            Ok(array @ Value::Array(_)) => array,
            _ => Value::Array(Vec::new()),
        },
    }
}

/// The prefix of every key of the current version (`v2:`).
fn key_prefix() -> String {
    ["v", &KEY_VERSION.to_string(), ":"].concat()
}

/// `v2:` + SHA-256 hex of the canonical JSON array of the key's fields of `event` as stored.
pub fn idempotency_key(event: &TelemetryEvent) -> String {
    let canonical = Value::Array(
        key_fields()
            .map(|field| key_value((field.value)(event)))
            .collect(),
    );
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

    /// The key's fields of every version, pinned: a field marked `in_key` (or unmarked) in
    /// tel-core's field table without a new version here and a new [`KEY_VERSION`] fails the test.
    /// (Keys before version 2 are cleared by its migration and never read, so they are not pinned.)
    const PINNED_KEY_FIELDS: [(u32, &str); 1] = [(
        2,
        "run_id,phase_id,timestamp,category,complexity,deliverable_count,deliverables,\
             predicted_output_tokens,actual_output_tokens,selected_budget,success,truncated,\
             stop_reason,model",
    )];

    #[test]
    fn key_fields_change_only_with_a_version_bump() {
        let names: Vec<&str> = key_fields().map(|f| f.name).collect();
        let pinned = PINNED_KEY_FIELDS
            .iter()
            .find(|(version, _)| *version == KEY_VERSION)
            .map(|(_, fields)| *fields);
        assert_eq!(
            Some(names.join(",").as_str()),
            pinned,
            "the key's fields changed: bump KEY_VERSION, pin its fields here and add the migration \
             that clears the older keys (tel migrate then recomputes them)"
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

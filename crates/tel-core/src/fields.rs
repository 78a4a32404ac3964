//! The one description of the event's fields: for each exported key its name, stored column, value
//! kind, who writes it and whether the idempotency key covers it. Export and CSV columns, the import
//! decoder's key checks, `tel record`'s accepted keys and the idempotency key are derived from it
//! (docs/ARCHITECTURE.md, "Adding a column").

use crate::{Complexity, StopReasonKind, TelemetryEvent, Timestamp, UsageKind};

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
    /// Naive UTC timestamp.
    Timestamp,
    /// The deliverables JSON array.
    Deliverables,
}

/// Who gives a field its value when an event is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The caller (the executor, `tel record`'s JSON): an input of [`crate::EventDraft`].
    Caller,
    /// The writer derives it from the inputs and the clock (metrics, timestamps, counts).
    Writer,
    /// The store assigns it (`event_id`) or infers it (`run_id_inferred`).
    Store,
}

/// One field of the event as the export formats carry it.
#[derive(Debug, Clone, Copy)]
pub struct EventField {
    /// The export key (NDJSON key, CSV column header).
    pub name: &'static str,
    /// The column of `token_estimation_v2_events` that stores it.
    pub column: &'static str,
    /// How the value is written and read back.
    pub kind: FieldKind,
    /// Who gives it its value.
    pub source: Source,
    /// Part of the idempotency key (a change needs a new key version: tel-store's `KEY_VERSION`).
    pub in_key: bool,
    /// The field's value in `event`.
    pub value: for<'a> fn(&'a TelemetryEvent) -> FieldValue<'a>,
}

/// The value of one field of an event.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    Text(&'a str),
    /// A timestamp (each format writes its own text form).
    Timestamp(Timestamp),
    /// Raw `deliverables_json`.
    Deliverables(&'a str),
}

impl<'a> From<&'a String> for FieldValue<'a> {
    fn from(text: &'a String) -> Self {
        Self::Text(text)
    }
}

impl<'a> From<&'a Option<String>> for FieldValue<'a> {
    fn from(text: &'a Option<String>) -> Self {
        text.as_deref().map_or(Self::Null, Self::Text)
    }
}

impl From<i64> for FieldValue<'_> {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<bool> for FieldValue<'_> {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<f64> for FieldValue<'_> {
    fn from(x: f64) -> Self {
        Self::Float(x)
    }
}

impl From<Timestamp> for FieldValue<'_> {
    fn from(t: Timestamp) -> Self {
        Self::Timestamp(t)
    }
}

impl From<Complexity> for FieldValue<'_> {
    fn from(c: Complexity) -> Self {
        Self::Text(c.as_str())
    }
}

impl From<UsageKind> for FieldValue<'_> {
    fn from(k: UsageKind) -> Self {
        Self::Text(k.as_str())
    }
}

impl From<StopReasonKind> for FieldValue<'_> {
    fn from(k: StopReasonKind) -> Self {
        Self::Text(k.as_str())
    }
}

impl<'a, T: Into<FieldValue<'a>>> From<Option<T>> for FieldValue<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// A field stored in the column of its name.
const fn field(
    name: &'static str,
    kind: FieldKind,
    source: Source,
    in_key: bool,
    value: for<'a> fn(&'a TelemetryEvent) -> FieldValue<'a>,
) -> EventField {
    EventField {
        name,
        column: name,
        kind,
        source,
        in_key,
        value,
    }
}

use FieldKind::{Bool, Deliverables, Float, Int, Text};
use Source::{Caller, Store, Writer};

/// In the idempotency key.
const KEY: bool = true;
/// Not in the idempotency key.
const NO_KEY: bool = false;

/// The 17 keys of the original NDJSON export, in its order (FORMATS.md F5). The key covers the
/// fields every export format carries, minus the metrics derived from them (recomputed by some
/// paths, stored differently by the original's manual row 1).
pub const ORIGINAL_FIELDS: [EventField; 17] = [
    field("run_id", Text, Caller, KEY, |e| (&e.run_id).into()),
    field("phase_id", Text, Caller, KEY, |e| (&e.phase_id).into()),
    field("timestamp", FieldKind::Timestamp, Writer, KEY, |e| {
        e.timestamp.into()
    }),
    field("category", Text, Caller, KEY, |e| (&e.category).into()),
    field("complexity", Text, Caller, KEY, |e| e.complexity.into()),
    field("deliverable_count", Int, Writer, KEY, |e| {
        e.deliverable_count.into()
    }),
    EventField {
        column: "deliverables_json",
        ..field("deliverables", Deliverables, Caller, KEY, |e| {
            FieldValue::Deliverables(&e.deliverables_json)
        })
    },
    field("predicted_output_tokens", Int, Caller, KEY, |e| {
        e.predicted_output_tokens.into()
    }),
    field("actual_output_tokens", Int, Caller, KEY, |e| {
        e.actual_output_tokens.into()
    }),
    field("selected_budget", Int, Caller, KEY, |e| {
        e.selected_budget.into()
    }),
    field("success", Bool, Caller, KEY, |e| e.success.into()),
    field("truncated", Bool, Caller, KEY, |e| e.truncated.into()),
    field("stop_reason", Text, Caller, KEY, |e| {
        (&e.stop_reason).into()
    }),
    field("model", Text, Caller, KEY, |e| (&e.model).into()),
    field("smape_percent", Float, Writer, NO_KEY, |e| {
        e.smape_percent.into()
    }),
    field("waste_ratio", Float, Writer, NO_KEY, |e| {
        e.waste_ratio.into()
    }),
    field("underestimated", Bool, Writer, NO_KEY, |e| {
        e.underestimated.into()
    }),
];

/// tel's additional keys of the extended forms, appended after [`ORIGINAL_FIELDS`] in this order.
/// Nothing tel adds or infers is in the idempotency key, so an event keeps its key whichever
/// format it travelled through.
pub const EXTENDED_FIELDS: [EventField; 18] = [
    field("event_id", Int, Store, NO_KEY, |e| e.event_id.into()),
    field("actual_max_tokens", Int, Caller, NO_KEY, |e| {
        e.actual_max_tokens.into()
    }),
    field("is_truncated_output", Bool, Caller, NO_KEY, |e| {
        e.is_truncated_output.into()
    }),
    field("api_reference_required", Bool, Caller, NO_KEY, |e| {
        e.doc_features.api_reference_required.into()
    }),
    field("examples_required", Bool, Caller, NO_KEY, |e| {
        e.doc_features.examples_required.into()
    }),
    field("research_required", Bool, Caller, NO_KEY, |e| {
        e.doc_features.research_required.into()
    }),
    field("usage_guide_required", Bool, Caller, NO_KEY, |e| {
        e.doc_features.usage_guide_required.into()
    }),
    field("context_quality", Text, Caller, NO_KEY, |e| {
        (&e.doc_features.context_quality).into()
    }),
    field("is_sot_file", Bool, Caller, NO_KEY, |e| {
        e.sot.is_sot_file.into()
    }),
    field("sot_file_name", Text, Caller, NO_KEY, |e| {
        (&e.sot.sot_file_name).into()
    }),
    field("sot_entry_count_hint", Int, Caller, NO_KEY, |e| {
        e.sot.sot_entry_count_hint.into()
    }),
    field("created_at", FieldKind::Timestamp, Writer, NO_KEY, |e| {
        e.created_at.into()
    }),
    field("estimator_profile", Text, Caller, NO_KEY, |e| {
        (&e.estimator_profile).into()
    }),
    field("coefficients_hash", Text, Caller, NO_KEY, |e| {
        (&e.coefficients_hash).into()
    }),
    field("provider", Text, Caller, NO_KEY, |e| (&e.provider).into()),
    field("usage_kind", Text, Caller, NO_KEY, |e| e.usage_kind.into()),
    field("stop_reason_kind", Text, Writer, NO_KEY, |e| {
        e.stop_reason_kind().into()
    }),
    field("run_id_inferred", Bool, Store, NO_KEY, |e| {
        e.run_id_inferred.into()
    }),
];

/// Every field: [`ORIGINAL_FIELDS`] then [`EXTENDED_FIELDS`].
pub fn event_fields() -> impl Iterator<Item = &'static EventField> {
    ORIGINAL_FIELDS.iter().chain(EXTENDED_FIELDS.iter())
}

/// The field exported under `name`, `None` for an unknown key.
pub fn field_named(name: &str) -> Option<&'static EventField> {
    event_fields().find(|field| field.name == name)
}

/// The fields of the idempotency key, in key order.
pub fn key_fields() -> impl Iterator<Item = &'static EventField> {
    event_fields().filter(|field| field.in_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_and_columns_are_unique() {
        for names in [
            event_fields().map(|f| f.name).collect::<Vec<_>>(),
            event_fields().map(|f| f.column).collect(),
        ] {
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{names:?}");
        }
    }

    #[test]
    fn only_caller_and_writer_fields_of_the_original_export_are_in_the_key() {
        assert!(EXTENDED_FIELDS.iter().all(|f| !f.in_key));
        assert!(key_fields().all(|f| f.source != Store && f.kind != Float));
    }
}

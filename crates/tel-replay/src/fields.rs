//! The exported field set, as the export writers use it: the keys and their order come from
//! tel-core's description of the event's fields ([`tel_core::fields`]), the values in their export form.

use tel_core::TelemetryEvent;
pub use tel_core::fields::{EXTENDED_FIELDS, FieldKind, ORIGINAL_FIELDS};
use tel_core::fields::{EventField, FieldValue as CoreValue};

/// The kind of a known key, `None` for an unknown key.
pub fn kind_of(key: &str) -> Option<FieldKind> {
    tel_core::fields::field_named(key).map(|field| field.kind)
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

impl<'a> From<CoreValue<'a>> for FieldValue<'a> {
    fn from(value: CoreValue<'a>) -> Self {
        match value {
            CoreValue::Null => Self::Null,
            CoreValue::Bool(b) => Self::Bool(b),
            CoreValue::Int(n) => Self::Int(n),
            CoreValue::Float(x) => Self::Float(x),
            CoreValue::Text(text) => Self::Text(text.to_owned()),
            // Both export formats write timestamps in the `T` form.
            CoreValue::Timestamp(t) => Self::Text(t.to_iso_text()),
            CoreValue::Deliverables(json) => Self::Deliverables(json),
        }
    }
}

/// The exported fields in export order: the 17 original keys, then (when `extended`) tel's keys.
pub fn export_fields(extended: bool) -> impl Iterator<Item = &'static EventField> {
    let extra: &[EventField] = if extended { &EXTENDED_FIELDS } else { &[] };
    ORIGINAL_FIELDS.iter().chain(extra)
}

/// The event's values in export order (see [`export_fields`]).
pub fn field_values(event: &TelemetryEvent, extended: bool) -> Vec<(&'static str, FieldValue<'_>)> {
    export_fields(extended)
        .map(|field| (field.name, (field.value)(event).into()))
        .collect()
}

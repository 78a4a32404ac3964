//! NDJSON lines: the original export's exact bytes (FORMATS.md F5) and tel's extended form.

use tel_core::TelemetryEvent;
use tel_core::pytext::{push_json_string, push_py_float};

use crate::fields::{FieldValue, field_values};
use crate::pyjson::push_py_deliverables;

/// Appends the event's NDJSON object (without the newline), keys in export order, Python separators.
pub fn push_ndjson_line(out: &mut String, event: &TelemetryEvent, extended: bool) {
    out.push('{');
    for (i, (key, value)) in field_values(event, extended).iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_string(out, key);
        out.push_str(": ");
        match value {
            FieldValue::Null => out.push_str("null"),
            FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            FieldValue::Int(n) => out.push_str(&n.to_string()),
            FieldValue::Float(x) => push_py_float(out, *x),
            FieldValue::Text(s) => push_json_string(out, s),
            FieldValue::Deliverables(json) => push_py_deliverables(out, json),
        }
    }
    out.push('}');
}

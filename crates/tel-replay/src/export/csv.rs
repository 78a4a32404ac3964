//! CSV rows (RFC 4180): a header of export keys, then one row per event; NULL is an empty field, `""` an empty text.

use tel_core::TelemetryEvent;
use tel_core::pytext::py_float;

use crate::fields::{FieldValue, export_fields, field_values};
use crate::pyjson::push_py_deliverables;

/// The header line (without the line break) for the original or extended column set.
pub fn csv_header(extended: bool) -> String {
    export_fields(extended)
        .map(|field| field.name)
        .collect::<Vec<_>>()
        .join(",")
}

/// Appends the event's CSV row (without the line break).
pub fn push_csv_row(out: &mut String, event: &TelemetryEvent, extended: bool) {
    for (i, (_, value)) in field_values(event, extended).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match value {
            FieldValue::Null => {}
            FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            FieldValue::Int(n) => out.push_str(&n.to_string()),
            FieldValue::Float(x) => out.push_str(&py_float(*x)),
            FieldValue::Text(s) => push_quoted(out, s),
            FieldValue::Deliverables(json) => {
                let mut array = String::new();
                push_py_deliverables(&mut array, json);
                push_quoted(out, &array);
            }
        }
    }
}

/// Text is always quoted so that an empty text (`""`) stays distinct from NULL (empty field).
fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

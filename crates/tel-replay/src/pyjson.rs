//! Python `json.dumps` (default separators, ASCII escaping) of an arbitrary JSON value, for byte-exact exports.

use serde_json::Value;
use tel_core::pytext::{push_json_string, push_py_float};

/// Appends `value` as Python's `json.dumps(value)` writes it: `", "` between items, `": "` after keys,
/// ASCII-only strings, floats as `repr(float)`, object keys in their parsed order.
pub fn push_py_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (None, Some(u), _) => out.push_str(&u.to_string()),
            (None, None, Some(f)) => push_py_float(out, f),
            (None, None, None) => out.push_str(&n.to_string()),
        },
        Value::String(s) => push_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_py_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_json_string(out, key);
                out.push_str(": ");
                push_py_json(out, item);
            }
            out.push('}');
        }
    }
}

/// The original export's `deliverables` value: `deliverables_json` parsed and re-serialised, `[]` when
/// the text is empty or not JSON.
pub fn push_py_deliverables(out: &mut String, deliverables_json: &str) {
    match serde_json::from_str::<Value>(deliverables_json) {
        Ok(value) => push_py_json(out, &value),
        Err(_) => out.push_str("[]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(text: &str) -> String {
        let mut out = String::new();
        push_py_deliverables(&mut out, text);
        out
    }

    #[test]
    fn python_separators_and_escapes_are_reproduced() {
        assert_eq!(dumps(r#"["a","b\u00e9"]"#), r#"["a", "b\u00e9"]"#);
        assert_eq!(
            dumps(r#"{"k":[1,2.5,null,true]}"#),
            r#"{"k": [1, 2.5, null, true]}"#
        );
        assert_eq!(dumps("1e-7"), "1e-07");
    }

    #[test]
    fn unparsable_or_empty_deliverables_export_as_empty_list() {
        assert_eq!(dumps(""), "[]");
        assert_eq!(dumps("[\"unterminated"), "[]");
    }
}

//! Deliverable normalisation (ESTIMATOR.md §2, switch N): from any JSON value to a list of strings.

use std::borrow::Cow;

use serde_json::Value;

use super::pystr::py_strip;
use crate::pytext::py_float;

/// §2 (N on): a bare string is kept exactly; anything else is flattened recursively (object values in
/// insertion order, array elements in order), each string stripped and kept when non-empty.
pub fn normalize(deliverables: &Value) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    match deliverables {
        Value::Null => {}
        Value::String(s) => out.push(Cow::Borrowed(s.as_str())),
        other => flatten_into(other, &mut out),
    }
    out
}

fn flatten_into<'a>(value: &'a Value, out: &mut Vec<Cow<'a, str>>) {
    match value {
        Value::Null => {}
        Value::String(s) => {
            let t = py_strip(s);
            if !t.is_empty() {
                out.push(Cow::Borrowed(t));
            }
        }
        Value::Array(items) => items.iter().for_each(|item| flatten_into(item, out)),
        Value::Object(map) => map.values().for_each(|item| flatten_into(item, out)),
        scalar => {
            let text = scalar_text(scalar);
            let t = py_strip(&text);
            if !t.is_empty() {
                out.push(Cow::Owned(t.to_owned()));
            }
        }
    }
}

/// §13.1 N off: the deliverables exactly as given — no flattening, no stripping, empty strings kept.
/// A string is one deliverable, null none; the elements of a top-level array (or the values of a
/// top-level object) are taken one by one, non-strings as their Python text (nested containers as JSON).
pub fn as_given(deliverables: &Value) -> Vec<Cow<'_, str>> {
    fn element(item: &Value) -> Cow<'_, str> {
        match item {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            Value::Array(_) | Value::Object(_) => Cow::Owned(item.to_string()),
            scalar => Cow::Owned(scalar_text(scalar)),
        }
    }
    match deliverables {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(element).collect(),
        Value::Object(map) => map.values().map(element).collect(),
        single => vec![element(single)],
    }
}

/// The text Python's `str()` gives a JSON scalar: `5`, `1.5`, `1.0`, `True`, `False`, `None`.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) if n.is_f64() => py_float(n.as_f64().unwrap_or(f64::NAN)),
        Value::Number(n) => n.to_string(),
        Value::Null => "None".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strings(list: Vec<Cow<'_, str>>) -> Vec<String> {
        list.into_iter().map(Cow::into_owned).collect()
    }

    #[test]
    fn flattening_follows_the_spec_example() {
        let x = json!({"code": ["  a.py ", ""], "tests": ["t.py", null, 5, 1.5, true], "docs": {"x": "d.md"}});
        assert_eq!(
            strings(normalize(&x)),
            ["a.py", "t.py", "5", "1.5", "True", "d.md"]
        );
        assert_eq!(strings(normalize(&json!([1.0, false]))), ["1.0", "False"]);
        assert!(normalize(&json!([""])).is_empty());
        assert_eq!(strings(normalize(&json!("  "))), ["  "]);
        assert!(normalize(&Value::Null).is_empty());
    }

    #[test]
    fn as_given_keeps_elements_unchanged() {
        let x = json!([" a.py ", "", 5, ["b.py"]]);
        assert_eq!(strings(as_given(&x)), [" a.py ", "", "5", "[\"b.py\"]"]);
        assert_eq!(strings(as_given(&json!("x.py"))), ["x.py"]);
    }
}

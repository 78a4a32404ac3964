//! `tel estimate --batch`: one JSON estimate request per line in, one JSON result or `FILE:LINE:` error per line out.

use std::fmt;
use std::io::{self, BufRead, Write};

use serde_json::{Map, Value};
use tel_core::estimator::{ComplexityInput, EstimateInput, Estimator, TokenEstimate, Workspace};

use crate::import::lines::{LineProblem, Lines};

/// The result object of one estimate, keys in the documented order (`id` first when given).
pub fn estimate_object(
    id: Option<Value>,
    estimate: &TokenEstimate,
    selected_budget: i64,
) -> Map<String, Value> {
    let mut object = Map::new();
    if let Some(id) = id {
        object.insert("id".into(), id);
    }
    object.insert("estimated_tokens".into(), estimate.estimated_tokens.into());
    object.insert("category".into(), estimate.category.as_str().into());
    object.insert(
        "deliverable_count".into(),
        estimate.deliverable_count.into(),
    );
    object.insert("confidence".into(), estimate.confidence.into());
    object.insert("breakdown".into(), estimate.breakdown_json());
    object.insert("selected_budget".into(), selected_budget.into());
    object
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Non-blank request lines read.
    pub requests: u64,
    /// Lines answered with an error object.
    pub failed: u64,
}

/// Why one request line produced no estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RequestError {
    /// The offending request key, when one is to blame.
    field: Option<&'static str>,
    /// What was wrong (no trailing period).
    message: String,
}

impl RequestError {
    fn line(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }

    fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The version of the co-process protocol (docs/INTEGRATION.md) that `--protocol` selects.
pub const PROTOCOL_VERSION: u32 = 1;

/// How a batch writes its answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// Protocol responses (docs/INTEGRATION.md): every line also carries `protocol`, `line`, `ok`
    /// and, on an error, `field`.
    pub protocol: bool,
    /// Flush `out` after every answer, so that a co-process gets it before it writes the next request.
    pub flush_each_line: bool,
}

/// Streams requests from `reader` to results on `out`, line by line in constant memory (lines are
/// bounded by [`crate::import::MAX_LINE_BYTES`]). A bad line yields `{"id": <id or null>, "error":
/// "FILE:LINE: field: what"}` and processing continues; `file` names the input in errors.
pub fn run_batch(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    reader: impl BufRead,
    file: &str,
    out: &mut impl Write,
    options: BatchOptions,
) -> io::Result<BatchSummary> {
    let mut summary = BatchSummary::default();
    for (number, line) in Lines::new(reader) {
        let result = match line {
            Err(LineProblem::Io(err)) => return Err(err),
            Err(problem) => Err((Value::Null, RequestError::line(problem.describe()))),
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Err(e) => Err((
                    Value::Null,
                    RequestError::line(format!("invalid JSON: {e}")),
                )),
                Ok(request) => estimate_request(estimator, workspace, request),
            },
        };
        summary.requests += 1;
        let ok = result.is_ok();
        let object = result.unwrap_or_else(|(id, error)| {
            summary.failed += 1;
            let mut object = Map::new();
            object.insert("id".into(), id);
            object.insert("error".into(), format!("{file}:{number}: {error}").into());
            if options.protocol {
                object.insert("field".into(), error.field.into());
            }
            object
        });
        if options.protocol {
            let mut framed = protocol_header(number, ok);
            framed.extend(object);
            writeln!(out, "{}", Value::Object(framed))?;
        } else {
            writeln!(out, "{}", Value::Object(object))?;
        }
        if options.flush_each_line {
            out.flush()?;
        }
    }
    Ok(summary)
}

/// The keys that open every protocol response: `{"protocol": 1, "line": N, "ok": bool}`.
pub fn protocol_header(line: u64, ok: bool) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("protocol".into(), PROTOCOL_VERSION.into());
    header.insert("line".into(), line.into());
    header.insert("ok".into(), ok.into());
    header
}

/// A required (or optional) string key of a request.
fn string_field<'a>(
    request: &'a Map<String, Value>,
    name: &'static str,
    required: bool,
) -> Result<Option<&'a str>, RequestError> {
    match request.get(name) {
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        None | Some(Value::Null) if !required => Ok(None),
        None => Err(RequestError::field(name, "missing (expected a string)")),
        Some(other) => Err(RequestError::field(
            name,
            format!("expected a string, found {other}"),
        )),
    }
}

fn scope_paths(request: &Map<String, Value>) -> Result<Option<Vec<String>>, RequestError> {
    const KEY: &str = "scope_paths";
    let expected = "expected an array of strings or null";
    match request.get(KEY) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| RequestError::field(KEY, expected)),
        Some(other) => Err(RequestError::field(
            KEY,
            format!("{expected}, found {other}"),
        )),
    }
}

/// One request to its result object, or (id, what is wrong). Complexity is raw text, as in the
/// original: an unknown value takes the default budget base (ESTIMATOR.md, defect E12), it is not an error.
fn estimate_request(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    request: Value,
) -> Result<Map<String, Value>, (Value, RequestError)> {
    let Value::Object(mut request) = request else {
        return Err((Value::Null, RequestError::line("expected a JSON object")));
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    let parsed = (|| {
        let category = string_field(&request, "category", true)?.unwrap_or_default();
        let complexity = string_field(&request, "complexity", true)?.unwrap_or_default();
        let task = string_field(&request, "task_description", false)?.unwrap_or_default();
        let deliverables = request
            .get("deliverables")
            .ok_or_else(|| RequestError::field("deliverables", "missing (any JSON value)"))?;
        Ok((
            category,
            complexity,
            task,
            deliverables,
            scope_paths(&request)?,
        ))
    })();
    let (category, complexity, task, deliverables, scope_paths) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return Err((id, error)),
    };
    let complexity = ComplexityInput::raw(complexity);
    let input = EstimateInput::new(deliverables, category, complexity)
        .with_scope_paths(scope_paths.as_deref())
        .with_task_description(task);
    let estimate = estimator.estimate(&input, workspace);
    let budget = estimator.select_budget(&estimate, complexity);
    Ok(estimate_object(Some(id), &estimate, budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tel_core::estimator::EmptyWorkspace;

    fn batch(input: &str) -> (BatchSummary, Vec<String>) {
        let mut out = Vec::new();
        let summary = run_batch(
            &Estimator::v2_head(),
            &EmptyWorkspace,
            input.as_bytes(),
            "req.ndjson",
            &mut out,
            BatchOptions::default(),
        )
        .expect("runs");
        (
            summary,
            String::from_utf8(out)
                .expect("utf-8")
                .lines()
                .map(str::to_owned)
                .collect(),
        )
    }

    #[test]
    fn batch_results_keep_input_order_and_key_order() {
        let (summary, lines) = batch(concat!(
            r#"{"id": "a", "deliverables": ["Create src/autopack/new_module.py"], "category": "backend", "complexity": "medium"}"#,
            "\n\n",
            r#"{"id": 2, "deliverables": {"docs": ["BUILD_LOG.md"]}, "category": "docs", "complexity": "low", "scope_paths": ["a"], "task_description": null}"#,
            "\n",
        ));
        assert_eq!(
            summary,
            BatchSummary {
                requests: 2,
                failed: 0
            }
        );
        assert_eq!(
            lines,
            [
                r#"{"id":"a","estimated_tokens":6500,"category":"backend","deliverable_count":1,"confidence":1.0,"breakdown":{"backend_new":2000},"selected_budget":12288}"#,
                r#"{"id":2,"estimated_tokens":4205,"category":"doc_sot_update","deliverable_count":1,"confidence":0.7,"breakdown":{"sot_context_reconstruction":2200,"sot_write_entries":900,"sot_consistency_overhead":135},"selected_budget":9251}"#,
            ]
        );
    }

    #[test]
    fn malformed_lines_report_file_line_and_field_and_processing_continues() {
        let (summary, lines) = batch(concat!(
            "{not json\n",
            r#"{"id": 7, "deliverables": [], "complexity": "low"}"#,
            "\n",
            r#"{"id": 8, "deliverables": [], "category": "x", "complexity": "low", "scope_paths": [1]}"#,
            "\n[1]\n",
            r#"{"deliverables": null, "category": "backend", "complexity": "high"}"#,
        ));
        assert_eq!(
            summary,
            BatchSummary {
                requests: 5,
                failed: 4
            }
        );
        assert!(
            lines[0].starts_with(r#"{"id":null,"error":"req.ndjson:1: invalid JSON"#),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[1],
            r#"{"id":7,"error":"req.ndjson:2: category: missing (expected a string)"}"#
        );
        assert!(
            lines[2].starts_with(r#"{"id":8,"error":"req.ndjson:3: scope_paths: expected"#),
            "{}",
            lines[2]
        );
        assert_eq!(
            lines[3],
            r#"{"id":null,"error":"req.ndjson:4: expected a JSON object"}"#
        );
        assert!(
            lines[4].starts_with(r#"{"id":null,"estimated_tokens":16384,"#),
            "{}",
            lines[4]
        );
    }
}

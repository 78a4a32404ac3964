//! OTLP/JSON import: OpenTelemetry GenAI inference spans as events, one `{"resourceSpans": [...]}` per
//! line as the Collector's file exporter writes them. Mapping and rules: docs/INTEGRATION.md.

use std::collections::VecDeque;
use std::io::BufRead;

use serde_json::{Map, Value};
use tel_core::{
    Complexity, DocFeatures, EventMetrics, SotFields, StopReasonKind, TelemetryEvent, Timestamp,
    UsageKind, sanitize_deliverables,
};

use super::decode::{FieldError, storable_text};
use super::lines::Lines;
use super::{ImportError, NextLine, Record, next_line};

/// `gen_ai.operation.name` values of an inference call (the other operations: embeddings, agents, tools).
const INFERENCE_OPERATIONS: [&str; 3] = ["chat", "text_completion", "generate_content"];

/// Category and complexity of a span that does not carry `tel.category` / `tel.complexity`.
const UNKNOWN: &str = "unknown";

/// Iterates the events of an OTLP/JSON file: every GenAI inference span is an event, every other
/// span a [`Record::Skipped`] of its line.
pub struct OtlpReader<R> {
    lines: Lines<R>,
    file: String,
    pending: VecDeque<Result<Record, ImportError>>,
}

impl<R: BufRead> OtlpReader<R> {
    /// Reads `reader`; `file` names it in errors.
    pub fn new(reader: R, file: &str) -> Self {
        Self {
            lines: Lines::new(reader),
            file: file.to_owned(),
            pending: VecDeque::new(),
        }
    }

    /// The file as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The records of one line; an error in any span rejects the whole line.
    fn parse(&self, line_no: u64, text: &str) -> Vec<Result<Record, ImportError>> {
        let line_error =
            |message: String| vec![Err(ImportError::line(&self.file, line_no, message))];
        let document = match serde_json::from_str::<Map<String, Value>>(text) {
            Ok(document) => document,
            Err(e) => return line_error(format!("not a JSON object: {e}")),
        };
        match spans_of_document(&document) {
            Ok(spans) => spans
                .into_iter()
                .map(|(path, span)| match span_record(&path, span) {
                    Ok(SpanRecord::Event(event)) => Ok(Record::Event {
                        line: line_no,
                        event,
                    }),
                    Ok(SpanRecord::Skipped(reason)) => Ok(Record::Skipped {
                        line: line_no,
                        reason,
                    }),
                    Err(e) => Err(ImportError::field(&self.file, line_no, e)),
                })
                .collect(),
            Err(e) => vec![Err(ImportError::field(&self.file, line_no, e))],
        }
    }
}

impl<R: BufRead> Iterator for OtlpReader<R> {
    type Item = Result<Record, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                return Some(record);
            }
            match next_line(&mut self.lines, &self.file)? {
                NextLine::Text(line_no, text) => self.pending.extend(self.parse(line_no, &text)),
                NextLine::Decided(record) => return Some(record),
            }
        }
    }
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The items of an array key, `[]` when absent.
fn array<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a [Value], FieldError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(err(
            &format!("{path}{key}"),
            format!("expected an array, got {other}"),
        )),
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, FieldError> {
    value
        .as_object()
        .ok_or_else(|| err(path, format!("expected an object, got {value}")))
}

/// A span and its path (`resourceSpans[0].scopeSpans[1].spans[2]`).
type SpanAt<'a> = (String, &'a Map<String, Value>);

/// Every span of one document with its path.
fn spans_of_document(document: &Map<String, Value>) -> Result<Vec<SpanAt<'_>>, FieldError> {
    if !document.contains_key("resourceSpans") {
        return Err(err(
            "resourceSpans",
            "missing (expected an OTLP/JSON trace export line)",
        ));
    }
    let mut spans = Vec::new();
    for (r, resource) in array(document, "resourceSpans", "")?.iter().enumerate() {
        let path = format!("resourceSpans[{r}]");
        let resource = object(resource, &path)?;
        for (s, scope) in array(resource, "scopeSpans", &format!("{path}."))?
            .iter()
            .enumerate()
        {
            let path = format!("{path}.scopeSpans[{s}]");
            let scope = object(scope, &path)?;
            for (i, span) in array(scope, "spans", &format!("{path}."))?
                .iter()
                .enumerate()
            {
                let path = format!("{path}.spans[{i}]");
                spans.push((path.clone(), object(span, &path)?));
            }
        }
    }
    Ok(spans)
}

/// What one span becomes.
enum SpanRecord {
    Event(Box<TelemetryEvent>),
    Skipped(String),
}

/// One OTLP `AnyValue`, decoded.
#[derive(Debug, Clone, PartialEq)]
enum AnyValue {
    String(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Array(Vec<AnyValue>),
    Other,
}

fn any_value(value: &Value, field: &str) -> Result<AnyValue, FieldError> {
    let value = object(value, field)?;
    let Some((kind, inner)) = value.iter().next() else {
        return Ok(AnyValue::Other);
    };
    Ok(match (kind.as_str(), inner) {
        ("stringValue", Value::String(s)) => AnyValue::String(s.clone()),
        // The protobuf JSON mapping writes 64-bit integers as strings; numbers are accepted too.
        ("intValue", Value::String(s)) => AnyValue::Int(s.parse().map_err(|_| {
            err(
                field,
                format!("intValue: expected a 64-bit integer, got {s:?}"),
            )
        })?),
        ("intValue", Value::Number(n)) => AnyValue::Int(n.as_i64().ok_or_else(|| {
            err(
                field,
                format!("intValue: expected a 64-bit integer, got {n}"),
            )
        })?),
        ("doubleValue", Value::Number(n)) => AnyValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        ("boolValue", Value::Bool(b)) => AnyValue::Bool(*b),
        ("arrayValue", Value::Object(array)) => AnyValue::Array(
            self::array(array, "values", &format!("{field}.arrayValue."))?
                .iter()
                .map(|item| any_value(item, field))
                .collect::<Result<_, _>>()?,
        ),
        ("bytesValue" | "kvlistValue", _) => AnyValue::Other,
        (kind, inner) => {
            return Err(err(
                field,
                format!(
                    "{kind}: expected stringValue, intValue, doubleValue, boolValue or arrayValue, got {inner}"
                ),
            ));
        }
    })
}

/// A span's attributes by key; the path of a key is `<span>.attributes.<key>` in errors.
struct Attributes {
    path: String,
    values: Map<String, Value>,
}

impl Attributes {
    fn of(span: &Map<String, Value>, path: &str) -> Result<Self, FieldError> {
        let mut values = Map::new();
        for (i, attribute) in array(span, "attributes", &format!("{path}."))?
            .iter()
            .enumerate()
        {
            let field = format!("{path}.attributes[{i}]");
            let attribute = object(attribute, &field)?;
            let Some(Value::String(key)) = attribute.get("key") else {
                return Err(err(&format!("{field}.key"), "missing (expected a string)"));
            };
            values.insert(
                key.clone(),
                attribute.get("value").cloned().unwrap_or(Value::Null),
            );
        }
        Ok(Self {
            path: format!("{path}.attributes"),
            values,
        })
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn get(&self, key: &str) -> Result<Option<AnyValue>, FieldError> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => any_value(value, &self.field(key)).map(Some),
        }
    }

    /// The first of `keys` that is present (newer attribute generation first).
    fn first(&self, keys: &[&str]) -> Result<Option<(String, AnyValue)>, FieldError> {
        for key in keys {
            if let Some(value) = self.get(key)? {
                return Ok(Some(((*key).to_owned(), value)));
            }
        }
        Ok(None)
    }

    fn string(&self, keys: &[&str]) -> Result<Option<String>, FieldError> {
        match self.first(keys)? {
            None => Ok(None),
            Some((_, AnyValue::String(s))) => Ok(Some(s)),
            Some((key, other)) => Err(err(
                &self.field(&key),
                format!("expected a string, got {other:?}"),
            )),
        }
    }

    /// A token count: a non-negative integer (a whole `doubleValue` is accepted).
    fn count(&self, keys: &[&str]) -> Result<Option<i64>, FieldError> {
        match self.first(keys)? {
            None => Ok(None),
            Some((_, AnyValue::Int(n))) if n >= 0 => Ok(Some(n)),
            Some((_, AnyValue::Double(x))) if x >= 0.0 && x.fract() == 0.0 && x < 9e15 => {
                Ok(Some(x as i64))
            }
            Some((key, other)) => Err(err(
                &self.field(&key),
                format!("expected a non-negative integer, got {other:?}"),
            )),
        }
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, FieldError> {
        let expected = || err(&self.field(key), "expected an array of strings");
        match self.get(key)? {
            None => Ok(None),
            Some(AnyValue::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    AnyValue::String(s) => storable_text(&self.field(key), &s),
                    _ => Err(expected()),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(expected()),
        }
    }
}

/// A lowercase hex id of `digits` digits (OTLP/JSON writes trace and span ids as hex, not base64).
fn hex_id(
    span: &Map<String, Value>,
    key: &str,
    digits: usize,
    path: &str,
) -> Result<String, FieldError> {
    let field = format!("{path}.{key}");
    match span.get(key) {
        Some(Value::String(id))
            if id.len() == digits && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(id.to_ascii_lowercase())
        }
        Some(other) => Err(err(
            &field,
            format!("expected {digits} hex digits, got {other}"),
        )),
        None => Err(err(
            &field,
            format!("missing (expected {digits} hex digits)"),
        )),
    }
}

/// `startTimeUnixNano` (a string of digits, or a number) as a timestamp.
fn start_time(span: &Map<String, Value>, path: &str) -> Result<Timestamp, FieldError> {
    const KEY: &str = "startTimeUnixNano";
    let field = format!("{path}.{KEY}");
    let nanos = match span.get(KEY) {
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        None => return Err(err(&field, "missing (expected nanoseconds since 1970)")),
        Some(_) => None,
    };
    let nanos = nanos.ok_or_else(|| {
        err(
            &field,
            format!("expected nanoseconds since 1970, got {}", span[KEY]),
        )
    })?;
    // u64 nanoseconds / 1000 always fits i64 microseconds.
    Ok(Timestamp::from_unix_micros((nanos / 1000) as i64))
}

/// One span to an event, or why it is skipped.
fn span_record(path: &str, span: &Map<String, Value>) -> Result<SpanRecord, FieldError> {
    let attributes = Attributes::of(span, path)?;
    let span_id = hex_id(span, "spanId", 16, path)?;
    let operation = attributes.string(&["gen_ai.operation.name"])?;
    let provider = attributes.string(&["gen_ai.provider.name", "gen_ai.system"])?;
    let actual = attributes.count(&[
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
    ])?;
    match (&operation, &provider) {
        (Some(op), _) if !INFERENCE_OPERATIONS.contains(&op.as_str()) => {
            return Ok(SpanRecord::Skipped(format!(
                "span {span_id}: gen_ai.operation.name {op} is not an inference"
            )));
        }
        // The older generation has no operation name: a provider is what marks a GenAI span.
        (None, None) => {
            return Ok(SpanRecord::Skipped(format!(
                "span {span_id}: not a GenAI span"
            )));
        }
        _ => {}
    }
    let Some(actual) = actual else {
        return Ok(SpanRecord::Skipped(format!(
            "span {span_id}: GenAI span without gen_ai.usage.output_tokens"
        )));
    };
    let trace_id = hex_id(span, "traceId", 32, path)?;
    let timestamp = start_time(span, path)?;
    let max_tokens = attributes.count(&["gen_ai.request.max_tokens"])?;
    let stop_reason = attributes
        .strings("gen_ai.response.finish_reasons")?
        .and_then(|reasons| reasons.into_iter().next());
    let truncated = StopReasonKind::classify(stop_reason.as_deref()) == StopReasonKind::Truncated;
    let model = attributes
        .string(&["gen_ai.response.model", "gen_ai.request.model"])?
        .unwrap_or_else(|| UNKNOWN.to_owned());
    let predicted = attributes
        .count(&["tel.predicted_output_tokens"])?
        .unwrap_or(0);
    let category = attributes
        .string(&["tel.category"])?
        .unwrap_or_else(|| UNKNOWN.to_owned());
    let complexity = match attributes.string(&["tel.complexity"])? {
        None => Complexity::Medium,
        Some(raw) => Complexity::parse(&raw)
            .map_err(|e| err(&attributes.field("tel.complexity"), e.to_string()))?,
    };
    let deliverables = attributes.strings("tel.deliverables")?.unwrap_or_default();
    // OTLP status code 2 is ERROR (an enum: a number, or its name in some writers).
    let failed = span
        .get("status")
        .and_then(|status| status.get("code"))
        .is_some_and(|code| code == 2 || code == "STATUS_CODE_ERROR");
    let metrics = EventMetrics::compute(predicted, actual);
    Ok(SpanRecord::Event(Box::new(TelemetryEvent {
        event_id: None,
        run_id: trace_id,
        phase_id: span_id,
        timestamp,
        category,
        complexity,
        deliverable_count: deliverables.len() as i64,
        deliverables_json: sanitize_deliverables(&deliverables).json,
        predicted_output_tokens: predicted,
        actual_output_tokens: actual,
        selected_budget: max_tokens.unwrap_or(0),
        actual_max_tokens: max_tokens,
        success: !failed,
        truncated,
        stop_reason,
        model,
        smape_percent: metrics.smape_percent,
        waste_ratio: metrics.waste_ratio,
        underestimated: metrics.underestimated,
        is_truncated_output: truncated,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        created_at: timestamp,
        estimator_profile: None,
        coefficients_hash: None,
        provider,
        usage_kind: Some(UsageKind::Output),
        run_id_inferred: false,
    })))
}

//! Executor-log import: `[TokenEstimationV2]` primary and fallback lines (FORMATS.md F6), V1 lines on request.

use std::io::BufRead;

use tel_core::{
    Complexity, DocFeatures, EventMetrics, SotFields, TelemetryEvent, Timestamp, UsageKind,
};

use super::decode::{FieldError, parse_complexity, storable_text};
use super::lines::Lines;
use super::{ImportError, NextLine, Record, next_line};

const V2_MARKER: &str = "[TokenEstimationV2]";
const V1_MARKER: &str = "[TokenEstimation]";
/// Logs carry no run or phase id.
const UNKNOWN: &str = "unknown";

const PRIMARY_KEYS: [&str; 11] = [
    "predicted_output",
    "actual_output",
    "smape",
    "selected_budget",
    "category",
    "complexity",
    "deliverables",
    "success",
    "stop_reason",
    "truncated",
    "model",
];
const FALLBACK_KEYS: [&str; 8] = [
    "predicted_output",
    "actual_total",
    "selected_budget",
    "category",
    "complexity",
    "deliverables",
    "success",
    "model",
];

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Iterates the telemetry lines of an executor log; other lines are ignored.
pub struct LogReader<R> {
    lines: Lines<R>,
    file: String,
    include_v1: bool,
}

impl<R: BufRead> LogReader<R> {
    /// Reads `reader`; `file` names it in errors; V1 lines become events only with `include_v1`.
    pub fn new(reader: R, file: &str, include_v1: bool) -> Self {
        Self {
            lines: Lines::new(reader),
            file: file.to_owned(),
            include_v1,
        }
    }

    /// The file as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    fn parse(&self, line_no: u64, line: &str) -> Option<Result<Record, ImportError>> {
        let (marker, is_v2) = match (line.find(V2_MARKER), line.find(V1_MARKER)) {
            (Some(at), _) => (at + V2_MARKER.len(), true),
            (None, Some(at)) => (at + V1_MARKER.len(), false),
            (None, None) => return None,
        };
        if !is_v2 && !self.include_v1 {
            return Some(Ok(Record::Skipped {
                line: line_no,
                reason: "V1 [TokenEstimation] line (pass --include-v1 to import it)".to_owned(),
            }));
        }
        let fields = &line[marker..];
        let event = leading_timestamp(line).and_then(|timestamp| {
            if is_v2 {
                parse_v2(fields, timestamp)
            } else {
                parse_v1(fields, timestamp)
            }
        });
        Some(
            event
                .map(|event| Record::Event {
                    line: line_no,
                    event: Box::new(event),
                })
                .map_err(|e| ImportError::field(&self.file, line_no, e)),
        )
    }
}

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = Result<Record, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match next_line(&mut self.lines, &self.file)? {
                NextLine::Text(line_no, text) => {
                    if let Some(record) = self.parse(line_no, &text) {
                        return Some(record);
                    }
                }
                NextLine::Decided(record) => return Some(record),
            }
        }
    }
}

/// The timestamp at the start of the line, optionally inside `[...]`: `YYYY-MM-DD HH:MM:SS[.ffffff]` (or `T`).
fn leading_timestamp(line: &str) -> Result<Timestamp, FieldError> {
    let text = line.strip_prefix('[').unwrap_or(line);
    let end = text
        .char_indices()
        .skip(19)
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(text.len(), |(i, _)| i);
    text.get(..end)
        .filter(|_| end >= 19)
        .and_then(|candidate| Timestamp::parse(candidate).ok())
        .ok_or_else(|| {
            err(
                "timestamp",
                "the line does not start with a YYYY-MM-DD HH:MM:SS timestamp",
            )
        })
}

/// `key=value` tokens in the given order (whitespace-separated; trailing text ignored).
fn key_values<'a>(fields: &'a str, keys: &[&'static str]) -> Result<Vec<&'a str>, FieldError> {
    let mut tokens = fields.split_whitespace();
    keys.iter()
        .map(|key| {
            let token = tokens.next().ok_or_else(|| err(key, "missing"))?;
            token
                .strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
                .ok_or_else(|| err(key, format!("expected {key}=<value>, got {token:?}")))
        })
        .collect()
}

fn count(key: &str, text: &str) -> Result<i64, FieldError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(key, format!("expected digits, got {text:?}")));
    }
    text.parse()
        .map_err(|_| err(key, format!("{text} is larger than {}", i64::MAX)))
}

fn py_bool(key: &str, text: &str) -> Result<Option<bool>, FieldError> {
    match text {
        "True" => Ok(Some(true)),
        "False" => Ok(Some(false)),
        "None" => Ok(None),
        _ => Err(err(
            key,
            format!("expected True, False or None, got {text:?}"),
        )),
    }
}

fn py_optional(text: &str) -> Option<String> {
    (text != "None").then(|| text.to_owned())
}

/// A V2 primary or fallback line (after the marker).
fn parse_v2(fields: &str, timestamp: Timestamp) -> Result<TelemetryEvent, FieldError> {
    let fallback = fields
        .split_whitespace()
        .nth(1)
        .is_some_and(|t| t.starts_with("actual_total="));
    let keys: &[&'static str] = if fallback {
        &FALLBACK_KEYS
    } else {
        &PRIMARY_KEYS
    };
    let values = key_values(fields, keys)?;
    let get = |key: &str| {
        keys.iter()
            .position(|k| *k == key)
            .map_or("", |i| values[i])
    };
    let actual_key = if fallback {
        "actual_total"
    } else {
        "actual_output"
    };
    if !fallback {
        let smape = get("smape");
        let digits = smape.strip_suffix('%').unwrap_or("");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(err(
                "smape",
                format!("expected digits and dots followed by %, got {smape:?}"),
            ));
        }
    }
    let stop_reason = if fallback {
        None
    } else {
        py_optional(&storable_text("stop_reason", get("stop_reason"))?)
    };
    let truncated = if fallback {
        false
    } else {
        py_bool("truncated", get("truncated"))?
            .unwrap_or(stop_reason.as_deref() == Some("max_tokens"))
    };
    let budget = match get("selected_budget") {
        "None" => 0,
        text => count("selected_budget", text)?,
    };
    Ok(log_event(LogValues {
        timestamp,
        category: storable_text("category", get("category"))?,
        complexity: parse_complexity("complexity", get("complexity"))?,
        deliverable_count: count("deliverables", get("deliverables"))?,
        predicted: count("predicted_output", get("predicted_output"))?,
        actual: count(actual_key, get(actual_key))?,
        selected_budget: budget,
        success: py_bool("success", get("success"))?.unwrap_or(false),
        truncated,
        stop_reason,
        model: storable_text("model", get("model"))?,
        usage_kind: if fallback {
            UsageKind::Total
        } else {
            UsageKind::Output
        },
    }))
}

/// A V1 line: `Predicted: <p> output tokens, Actual: <a> output tokens, Error: <e>%` (no category, complexity or model).
fn parse_v1(fields: &str, timestamp: Timestamp) -> Result<TelemetryEvent, FieldError> {
    let tokens: Vec<&str> = fields.split_whitespace().collect();
    let expect = |i: usize, literal: &str, field: &str| -> Result<(), FieldError> {
        match tokens.get(i) {
            Some(t) if *t == literal => Ok(()),
            other => Err(err(field, format!("expected {literal:?}, got {other:?}"))),
        }
    };
    expect(0, "Predicted:", "predicted")?;
    let predicted = count("predicted", tokens.get(1).copied().unwrap_or(""))?;
    expect(2, "output", "predicted")?;
    expect(3, "tokens,", "predicted")?;
    expect(4, "Actual:", "actual")?;
    let actual = count("actual", tokens.get(5).copied().unwrap_or(""))?;
    expect(6, "output", "actual")?;
    expect(7, "tokens,", "actual")?;
    expect(8, "Error:", "error")?;
    Ok(log_event(LogValues {
        timestamp,
        category: UNKNOWN.to_owned(),
        complexity: Complexity::Medium,
        deliverable_count: 0,
        predicted,
        actual,
        selected_budget: 0,
        success: false,
        truncated: false,
        stop_reason: None,
        model: UNKNOWN.to_owned(),
        usage_kind: UsageKind::Output,
    }))
}

/// What a log line says about one call.
struct LogValues {
    timestamp: Timestamp,
    category: String,
    complexity: Complexity,
    deliverable_count: i64,
    predicted: i64,
    actual: i64,
    selected_budget: i64,
    success: bool,
    truncated: bool,
    stop_reason: Option<String>,
    model: String,
    usage_kind: UsageKind,
}

/// The event the writer would have stored for the call (metrics recomputed by the writer's formula).
fn log_event(v: LogValues) -> TelemetryEvent {
    let metrics = EventMetrics::compute(v.predicted, v.actual);
    TelemetryEvent {
        event_id: None,
        run_id: UNKNOWN.to_owned(),
        phase_id: UNKNOWN.to_owned(),
        timestamp: v.timestamp,
        category: v.category,
        complexity: v.complexity,
        deliverable_count: v.deliverable_count,
        deliverables_json: "[]".to_owned(),
        predicted_output_tokens: v.predicted,
        actual_output_tokens: v.actual,
        selected_budget: v.selected_budget,
        actual_max_tokens: None,
        success: v.success,
        truncated: v.truncated,
        stop_reason: v.stop_reason,
        model: v.model,
        smape_percent: metrics.smape_percent,
        waste_ratio: metrics.waste_ratio,
        underestimated: metrics.underestimated,
        is_truncated_output: v.truncated,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        created_at: v.timestamp,
        estimator_profile: None,
        coefficients_hash: None,
        provider: None,
        usage_kind: Some(v.usage_kind),
        run_id_inferred: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE_LINE: &str = "[2025-12-23 22:09:15] INFO: [TokenEstimationV2] predicted_output=462 actual_output=742 smape=46.5% selected_budget=8192 category=configuration complexity=low deliverables=2 success=False stop_reason=end_turn truncated=False model=claude-sonnet-4-5";

    /// The records of `line` as a complete (terminated) line.
    fn parse(line: &str, include_v1: bool) -> Vec<Result<Record, ImportError>> {
        LogReader::new(format!("{line}\n").as_bytes(), "x.log", include_v1).collect()
    }

    #[test]
    fn primary_line_becomes_an_output_usage_event() {
        let records = parse(FIXTURE_LINE, false);
        let Some(Ok(Record::Event { line: 1, event })) = records.first() else {
            panic!("{records:?}");
        };
        assert_eq!(event.timestamp.to_iso_text(), "2025-12-23T22:09:15");
        assert_eq!(
            (event.predicted_output_tokens, event.actual_output_tokens),
            (462, 742)
        );
        assert_eq!((event.selected_budget, event.deliverable_count), (8192, 2));
        assert_eq!(event.complexity, Complexity::Low);
        assert_eq!(event.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(event.usage_kind, Some(UsageKind::Output));
        assert_eq!(event.underestimated, Some(true));
    }

    #[test]
    fn fallback_line_is_total_usage_without_stop_reason() {
        let line = "2025-12-30T10:00:00 [TokenEstimationV2] predicted_output=900 actual_total=5000 selected_budget=None category=docs complexity=low deliverables=1 success=True model=m";
        let records = parse(line, false);
        let Some(Ok(Record::Event { event, .. })) = records.first() else {
            panic!("{records:?}");
        };
        assert_eq!(event.usage_kind, Some(UsageKind::Total));
        assert_eq!(
            (event.actual_output_tokens, event.selected_budget),
            (5000, 0)
        );
        assert_eq!(event.stop_reason, None);
    }

    #[test]
    fn v1_lines_are_skipped_unless_requested() {
        let line = "2025-12-23 10:00:00 INFO [TokenEstimation] Predicted: 500 output tokens, Actual: 114 output tokens, Error: 77.2%";
        assert!(matches!(
            parse(line, false)[0],
            Ok(Record::Skipped { line: 1, .. })
        ));
        let Ok(Record::Event { event, .. }) = &parse(line, true)[0] else {
            panic!("V1 line not imported");
        };
        assert_eq!(
            (event.predicted_output_tokens, event.actual_output_tokens),
            (500, 114)
        );
    }

    #[test]
    fn bad_fields_name_the_field_and_value() {
        for (line, expected) in [
            (
                FIXTURE_LINE.replace("complexity=low", "complexity=critical"),
                "x.log:1: complexity: unknown complexity \"critical\"",
            ),
            (
                FIXTURE_LINE.replace("actual_output=742", "actual_output=-742"),
                "x.log:1: actual_output: expected digits, got \"-742\"",
            ),
            (
                FIXTURE_LINE.replace("actual_output=742", "actual_output=99999999999999999999"),
                "x.log:1: actual_output: 99999999999999999999 is larger than",
            ),
            (
                FIXTURE_LINE.replace("smape=46.5%", "smape=NaN%"),
                "x.log:1: smape: expected digits and dots",
            ),
            (
                FIXTURE_LINE.replace("[2025-12-23 22:09:15]", "[yesterday]"),
                "x.log:1: timestamp: the line does not start",
            ),
        ] {
            let records = parse(&line, false);
            let text = records[0].as_ref().unwrap_err().to_string();
            assert!(text.starts_with(expected), "{text}");
        }
    }

    #[test]
    fn other_log_lines_are_ignored() {
        assert!(
            parse(
                "[2025-12-23 22:09:15] INFO: building phase\n# comment\n",
                false
            )
            .is_empty()
        );
    }
}

//! OTLP/JSON import of GenAI spans from the fixtures in tests/otlp (both attribute generations,
//! malformed lines), and the report figures that need no prediction.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use tel_core::TelemetryEvent;
use tel_replay::import::{EventReader, ImportError, ImportFormat, ImportOptions, Record};
use tel_replay::report::{ReportBuilder, ReportOptions};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/otlp")
        .join(name)
}

/// Every record of a fixture, read as OTLP.
pub fn read(name: &str) -> Vec<Result<Record, ImportError>> {
    let file = File::open(fixture(name)).expect("fixture");
    EventReader::new(
        BufReader::new(file),
        name,
        ImportFormat::Otlp,
        ImportOptions::default(),
    )
    .collect()
}

/// The events among `records`.
pub fn events(records: &[Result<Record, ImportError>]) -> Vec<TelemetryEvent> {
    records
        .iter()
        .filter_map(|r| match r {
            Ok(Record::Event { event, .. }) => Some((**event).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn otlp_current_conventions_map_inference_spans_and_skip_the_others() {
    let records = read("genai-current.jsonl");
    let skipped: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Ok(Record::Skipped { line, reason }) => Some((*line, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped.len(),
        3,
        "tool, HTTP and embeddings spans: {skipped:?}"
    );
    assert!(skipped.iter().any(|(_, r)| r.contains("execute_tool")));
    assert!(skipped.iter().any(|(_, r)| r.contains("not a GenAI span")));
    let events = events(&records);
    assert_eq!(events.len(), 3);
    let length = &events[0];
    assert_eq!(length.run_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!(length.phase_id, "eee19b7ec3c1b174");
    assert_eq!(length.provider.as_deref(), Some("openai"));
    assert_eq!(length.model, "gpt-4o-2024-08-06", "the response model wins");
    assert_eq!(length.stop_reason.as_deref(), Some("length"));
    assert!(length.truncated && length.is_truncated_output);
    assert_eq!(
        (length.actual_output_tokens, length.actual_max_tokens),
        (1024, Some(1024))
    );
    assert_eq!(
        length.predicted_output_tokens, 0,
        "no tel.predicted_output_tokens"
    );
    assert_eq!(length.category, "unknown");
    assert_eq!(length.timestamp.to_sql_text(), "2025-12-04 00:00:00");
    let predicted = &events[1];
    assert_eq!(predicted.predicted_output_tokens, 700);
    assert_eq!(predicted.category, "implementation");
    assert_eq!(predicted.deliverable_count, 2);
    assert!(predicted.smape_percent.is_some());
    assert!(!predicted.truncated);
    let gemini = &events[2];
    assert_eq!(gemini.stop_reason.as_deref(), Some("MAX_TOKENS"));
    assert!(gemini.truncated, "Gemini's MAX_TOKENS is a truncation");
    assert_eq!(
        gemini.actual_max_tokens,
        Some(512),
        "an intValue written as a number"
    );
}

#[test]
fn otlp_older_conventions_gen_ai_system_and_completion_tokens_are_read() {
    let events = events(&read("genai-legacy.jsonl"));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].provider.as_deref(), Some("Anthropic"));
    assert_eq!(events[0].actual_output_tokens, 4096);
    assert!(events[0].truncated, "max_tokens");
    assert_eq!(events[1].actual_output_tokens, 1830);
    assert!(!events[1].success, "status code 2 is an error");
}

#[test]
fn otlp_malformed_lines_are_reported_with_file_line_and_attribute_path() {
    let errors: Vec<String> = read("malformed.jsonl")
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(
        errors[0].starts_with("malformed.jsonl:2: not a JSON object"),
        "{}",
        errors[0]
    );
    assert_eq!(
        errors[1],
        "malformed.jsonl:3: resourceSpans[0].scopeSpans[0].spans[0].attributes.gen_ai.usage.output_tokens: intValue: expected a 64-bit integer, got \"12x\""
    );
    assert!(errors[2].starts_with("malformed.jsonl:4: resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits"), "{}", errors[2]);
    assert!(
        errors[3].starts_with("malformed.jsonl:5: resourceSpans: missing"),
        "{}",
        errors[3]
    );
}

#[test]
fn report_counts_truncation_of_spans_without_prediction_and_groups_by_provider_and_model() {
    let mut builder = ReportBuilder::new(ReportOptions::default());
    for name in ["genai-current.jsonl", "genai-legacy.jsonl"] {
        events(&read(name)).iter().for_each(|e| builder.push(e));
    }
    let report = builder.finish();
    assert_eq!(
        report.accuracy.excluded.no_prediction, 4,
        "accuracy leaves them out"
    );
    assert_eq!(report.outcomes.events, 5);
    assert_eq!(report.outcomes.without_prediction, 4);
    assert_eq!(
        report.outcomes.truncated, 3,
        "length, MAX_TOKENS, max_tokens"
    );
    assert_eq!(report.outcomes.non_truncated, 2);
    assert_eq!(report.by_provider_model.len(), 5);
    let anthropic = &report.by_provider_model[0];
    assert_eq!(
        (anthropic.provider.as_str(), anthropic.model.as_str()),
        ("Anthropic", "claude-3-5-sonnet")
    );
    assert_eq!(
        anthropic.outcomes.slack_median,
        Some((4096.0 - 1830.0) / 4096.0)
    );
}

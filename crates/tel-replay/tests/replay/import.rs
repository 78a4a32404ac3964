//! Import: round trips through every export form, format detection, and precise errors on bad input.

use std::path::Path;

use tel_core::TelemetryEvent;
use tel_replay::export::ExportFormat;
use tel_replay::import::{EventReader, ImportError, ImportFormat, ImportOptions, Record};

use crate::export::export_bytes;
use crate::support::{legacy_events, real_data, rich_event};

fn import(bytes: &[u8], format: ImportFormat) -> Vec<Result<Record, ImportError>> {
    EventReader::new(bytes, "in.txt", format, ImportOptions::default()).collect()
}

fn events(bytes: &[u8], format: ImportFormat) -> Vec<TelemetryEvent> {
    import(bytes, format)
        .into_iter()
        .map(|r| match r {
            Ok(Record::Event { event, .. }) => *event,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn first_error(bytes: &[u8], format: ImportFormat) -> String {
    import(bytes, format)
        .into_iter()
        .find_map(Result::err)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn original_export_reimports_to_identical_bytes() {
    let Some(legacy) = legacy_events() else {
        return;
    };
    for format in [ExportFormat::Ndjson, ExportFormat::Csv] {
        let import_format = if format == ExportFormat::Csv {
            ImportFormat::Csv
        } else {
            ImportFormat::Ndjson
        };
        let first = export_bytes(&legacy, format, false);
        let again = export_bytes(&events(&first, import_format), format, false);
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(first).unwrap(),
            "{format:?}"
        );
    }
}

#[test]
fn original_ndjson_import_fills_created_at_and_is_truncated_output() {
    let Some(dir) = real_data() else { return };
    let bytes = std::fs::read(dir.join("build132_telemetry_export.ndjson")).unwrap();
    let imported = events(&bytes, ImportFormat::Ndjson);
    assert_eq!(imported.len(), 7);
    let event7 = &imported[0];
    assert_eq!(event7.created_at, event7.timestamp);
    assert!(event7.truncated && event7.is_truncated_output);
    assert_eq!(event7.event_id, None);
    assert_eq!(event7.smape_percent, Some(103.63232023721277));
}

#[test]
fn extended_forms_round_trip_every_field() {
    let event = rich_event();
    for (format, import_format) in [
        (ExportFormat::Ndjson, ImportFormat::Ndjson),
        (ExportFormat::Csv, ImportFormat::Csv),
    ] {
        let bytes = export_bytes(std::slice::from_ref(&event), format, true);
        assert_eq!(
            events(&bytes, import_format),
            vec![event.clone()],
            "{format:?}"
        );
    }
}

#[test]
fn format_is_detected_from_content_then_extension() {
    let detect = ImportFormat::detect;
    assert_eq!(
        detect(Path::new("a.txt"), Some("{\"run_id\": 1}")),
        ImportFormat::Ndjson
    );
    assert_eq!(
        detect(Path::new("a.txt"), Some("run_id,phase_id,timestamp")),
        ImportFormat::Csv
    );
    assert_eq!(detect(Path::new("a.csv"), None), ImportFormat::Csv);
    assert_eq!(
        detect(Path::new("a.jsonl"), Some("# header")),
        ImportFormat::Ndjson
    );
    assert_eq!(
        detect(Path::new("a.log"), Some("# BUILD-132 samples")),
        ImportFormat::Log
    );
}

const GOOD: &str = r#"{"run_id": "r", "phase_id": "p", "timestamp": "2025-12-24T01:55:10.435454", "category": "docs", "complexity": "low", "deliverable_count": 1, "deliverables": ["a.md"], "predicted_output_tokens": 5200, "actual_output_tokens": 16384, "selected_budget": 8192, "success": false, "truncated": true, "stop_reason": "max_tokens", "model": "m", "smape_percent": 103.6, "waste_ratio": 0.3, "underestimated": true}"#;

#[test]
fn bad_ndjson_values_are_reported_with_file_line_and_field() {
    for (from, to, expected) in [
        (
            r#""deliverable_count": 1"#,
            r#""deliverable_count": 1.5"#,
            "in.txt:2: deliverable_count: expected a non-negative integer, got 1.5",
        ),
        (
            r#""complexity": "low""#,
            r#""complexity": "critical""#,
            "in.txt:2: complexity: unknown complexity \"critical\": expected one of low, medium, high, maintenance",
        ),
        (
            r#""actual_output_tokens": 16384"#,
            r#""actual_output_tokens": -5"#,
            "in.txt:2: actual_output_tokens: must not be negative, got -5",
        ),
        (
            r#""actual_output_tokens": 16384"#,
            r#""actual_output_tokens": 99999999999999999999"#,
            "in.txt:2: actual_output_tokens: 1e+20 is larger than 9223372036854775807",
        ),
        (
            r#""selected_budget": 8192"#,
            r#""selected_budget": 9223372036854775808"#,
            "in.txt:2: selected_budget: 9223372036854775808 is larger than 9223372036854775807",
        ),
        (
            r#""smape_percent": 103.6"#,
            r#""smape_percent": NaN"#,
            "in.txt:2: not a JSON object",
        ),
        (
            r#""timestamp": "2025-12-24T01:55:10.435454""#,
            r#""timestamp": "yesterday""#,
            "in.txt:2: timestamp: invalid timestamp \"yesterday\"",
        ),
        (
            r#""model": "m""#,
            r#""model": null"#,
            "in.txt:2: model: must not be null",
        ),
        (r#""model": "m", "#, "", "in.txt:2: model: missing"),
        (
            r#""model": "m""#,
            r#""model": "m", "colour": "red""#,
            "in.txt:2: colour: unknown key",
        ),
        (
            r#""deliverables": ["a.md"]"#,
            r#""deliverables": ["a.md", 3]"#,
            "in.txt:2: deliverables: item 2 is not a string: 3",
        ),
        (
            r#""success": false"#,
            r#""success": "no""#,
            "in.txt:2: success: expected true or false, got \"no\"",
        ),
    ] {
        let input = format!("\n{}\n", GOOD.replace(from, to));
        let error = first_error(input.as_bytes(), ImportFormat::Ndjson);
        assert!(error.starts_with(expected), "{to}: {error}");
    }
}

#[test]
fn invalid_utf8_and_huge_lines_are_errors_and_later_lines_still_read() {
    let mut input = b"\xff\xfe\n".to_vec();
    input.extend(std::iter::repeat_n(
        b'{',
        tel_replay::import::MAX_LINE_BYTES + 1,
    ));
    input.push(b'\n');
    input.extend(GOOD.as_bytes());
    input.push(b'\n');
    let results = import(&input, ImportFormat::Ndjson);
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().unwrap_err().to_string(),
        "in.txt:1: invalid UTF-8 at byte 0 of the line"
    );
    assert!(
        results[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .starts_with("in.txt:2: line longer than")
    );
    assert!(matches!(results[2], Ok(Record::Event { line: 3, .. })));
}

#[test]
fn oversized_deliverable_lists_are_sanitised_like_the_writer() {
    let many: Vec<String> = (0..26).map(|i| format!("\"f{i}.py\"")).collect();
    let line = GOOD.replace(r#"["a.md"]"#, &format!("[{}]", many.join(", ")));
    let event = &events(format!("{line}\n").as_bytes(), ImportFormat::Ndjson)[0];
    assert_eq!(event.deliverables().len(), 20);
    assert_eq!(event.deliverable_count, 1, "the stated count is kept");
}

#[test]
fn csv_header_and_cell_errors_are_precise() {
    let header = "run_id,phase_id,timestamp\r\n";
    assert!(
        first_error(header.as_bytes(), ImportFormat::Csv)
            .starts_with("in.txt:1: header: missing column \"category\"")
    );
    let csv = String::from_utf8(export_bytes(&[rich_event()], ExportFormat::Csv, false)).unwrap();
    let broken = csv.replace(",5000,7000,", ",5000,NaN,");
    assert_eq!(
        first_error(broken.as_bytes(), ImportFormat::Csv),
        "in.txt:2: actual_output_tokens: cannot read \"NaN\" as a value of this column"
    );
}

#[test]
fn the_log_fixture_imports_fourteen_events() {
    let Some(dir) = real_data() else { return };
    let bytes = std::fs::read(dir.join("build132_telemetry_samples.log")).unwrap();
    let imported = events(&bytes, ImportFormat::Log);
    assert_eq!(imported.len(), 14);
    assert!(
        imported
            .iter()
            .all(|e| e.usage_kind == Some(tel_core::UsageKind::Output))
    );
    assert_eq!(imported[13].phase_id, "unknown");
}

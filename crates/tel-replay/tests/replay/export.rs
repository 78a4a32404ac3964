//! Export goldens: the original NDJSON bytes of the legacy snapshot (FORMATS.md F5) and the stderr header.

use tel_replay::export::{ExportFormat, ExportWriter, export_header};

use crate::support::{legacy_events, real_data, rich_event, sha256};

pub fn export_bytes(
    events: &[tel_core::TelemetryEvent],
    format: ExportFormat,
    extended: bool,
) -> Vec<u8> {
    let mut writer = ExportWriter::new(Vec::new(), format, extended).unwrap();
    for event in events {
        writer.write_event(event).unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn snapshot_export_matches_the_original_golden() {
    let Some(events) = legacy_events() else {
        return;
    };
    let bytes = export_bytes(&events, ExportFormat::Ndjson, false);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(text.lines().count(), 28);
    assert_eq!(bytes.len(), 16_922);
    assert_eq!(
        sha256(&bytes),
        "b013b3c19347548138d7c0ca0b67fceb946fed15ac5883710828e6425258581d"
    );
    let historical = std::fs::read_to_string(
        real_data()
            .unwrap()
            .join("build132_telemetry_export.ndjson"),
    )
    .unwrap();
    let last_seven: Vec<&str> = text.lines().skip(21).collect();
    assert_eq!(last_seven, historical.lines().collect::<Vec<_>>());
}

#[test]
fn stderr_header_is_the_three_original_lines() {
    assert_eq!(
        export_header(28),
        "# TokenEstimationV2 Telemetry Export\n# Total events: 28\n\n"
    );
}

#[test]
fn extended_line_appends_tel_fields_after_the_original_keys() {
    let event = rich_event();
    let original = String::from_utf8(export_bytes(
        std::slice::from_ref(&event),
        ExportFormat::Ndjson,
        false,
    ))
    .unwrap();
    let extended = String::from_utf8(export_bytes(
        std::slice::from_ref(&event),
        ExportFormat::Ndjson,
        true,
    ))
    .unwrap();
    assert_eq!(
        &extended[..original.len() - 2],
        &original[..original.len() - 2]
    );
    assert!(
        extended.contains(
            r#""event_id": 42, "actual_max_tokens": 16384, "is_truncated_output": false"#
        ),
        "{extended}"
    );
    assert!(
        extended.contains(r#""created_at": "2026-01-02T03:04:05.500000""#),
        "{extended}"
    );
    assert!(extended.ends_with("\"usage_kind\": \"output\", \"stop_reason_kind\": \"unknown\", \"run_id_inferred\": true}\n"), "{extended}");
    assert!(original.contains(r#""waste_ratio": 1e-05"#), "{original}");
    assert!(
        original.contains(r#""deliverables": ["docs/BUILD_LOG.md", "docs/\u00e9\ud83d\ude00.md"]"#),
        "{original}"
    );
    assert!(original.is_ascii());
}

#[test]
fn csv_quotes_text_and_leaves_nulls_empty() {
    let event = rich_event();
    let csv = String::from_utf8(export_bytes(
        std::slice::from_ref(&event),
        ExportFormat::Csv,
        true,
    ))
    .unwrap();
    let (header, row) = csv.split_once("\r\n").unwrap();
    assert!(header.starts_with("run_id,phase_id,timestamp,"), "{header}");
    assert!(
        header.ends_with(",stop_reason_kind,run_id_inferred"),
        "{header}"
    );
    assert!(
        row.starts_with(
            "\"run,\"\"quoted\"\"\",\"phase\nwith newline\",\"2026-01-02T03:04:05.000006\""
        ),
        "{row}"
    );
    assert!(
        row.contains(",true,false,,true,\"some\","),
        "research_required is NULL: {row}"
    );
    assert!(
        row.contains(",\"\",\"claude-sonnet-4-5\","),
        "empty stop reason is quoted: {row}"
    );
}

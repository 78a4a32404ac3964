//! Files still being written (issue 14 item 5) and where an imported row came from (issue 13 item 5):
//! an unterminated last line is never imported, and `usage_kind` tells tel's rows from the original's.

use tel_core::{TelemetryEvent, UsageKind};
use tel_replay::export::ExportFormat;
use tel_replay::import::{EventReader, INCOMPLETE_LAST_LINE, ImportFormat, ImportOptions, Record};

use crate::export::export_bytes;
use crate::support::rich_event;

const LOG_LINE: &str = "[2025-12-23 22:09:15] INFO: [TokenEstimationV2] predicted_output=5000 actual_output=7000 smape=33.3% selected_budget=8192 category=configuration complexity=maintenance deliverables=2 success=True stop_reason=end_turn truncated=False model=claude-sonnet-4-5\n";

/// What reading `bytes` gave: the events, the skipped lines' `(line, reason)`, the errors.
fn read(
    bytes: &[u8],
    format: ImportFormat,
) -> (Vec<TelemetryEvent>, Vec<(u64, String)>, Vec<String>) {
    let (mut events, mut skipped, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for record in EventReader::new(bytes, "in", format, ImportOptions::default()) {
        match record {
            Ok(Record::Event { event, .. }) => events.push(*event),
            Ok(Record::Skipped { line, reason }) => skipped.push((line, reason)),
            Err(err) => errors.push(err.to_string()),
        }
    }
    (events, skipped, errors)
}

/// Two complete events in each line-based format (the CSV with its header), each line terminated.
fn two_event_files() -> Vec<(&'static str, ImportFormat, Vec<u8>)> {
    let mut first = rich_event();
    first.phase_id = "phase-1".to_owned();
    let mut second = first.clone();
    second.phase_id = "phase-2".to_owned();
    let events = [first, second];
    let export = |format, extended| export_bytes(&events, format, extended);
    vec![
        (
            "original NDJSON",
            ImportFormat::Ndjson,
            export(ExportFormat::Ndjson, false),
        ),
        (
            "extended NDJSON",
            ImportFormat::Ndjson,
            export(ExportFormat::Ndjson, true),
        ),
        ("CSV", ImportFormat::Csv, export(ExportFormat::Csv, false)),
        (
            "extended CSV",
            ImportFormat::Csv,
            export(ExportFormat::Csv, true),
        ),
        (
            "log",
            ImportFormat::Log,
            [LOG_LINE, &LOG_LINE.replace("5000", "5001")]
                .concat()
                .into_bytes(),
        ),
    ]
}

#[test]
fn a_last_line_cut_at_any_byte_is_never_imported_in_any_format() {
    for (name, format, bytes) in two_event_files() {
        let (complete, _, errors) = read(&bytes, format);
        assert_eq!((complete.len(), errors.len()), (2, 0), "{name}: {errors:?}");
        let last_start = bytes[..bytes.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap()
            + 1;
        // Every prefix that ends inside the last line, its CR included: a writer that has not yet
        // written the line break.
        for cut in last_start + 1..bytes.len() {
            let (events, skipped, errors) = read(&bytes[..cut], format);
            assert_eq!(events, complete[..1], "{name} cut at byte {cut}");
            assert!(errors.is_empty(), "{name} cut at byte {cut}: {errors:?}");
            assert_eq!(
                skipped.last().map(|(_, reason)| reason.as_str()),
                Some(INCOMPLETE_LAST_LINE),
                "{name} cut at byte {cut}"
            );
        }
    }
}

#[test]
fn csv_row_cut_after_its_last_comma_is_skipped_then_imports_once_complete() {
    let mut event = rich_event();
    event.phase_id = "phase".to_owned();
    let csv = export_bytes(&[event], ExportFormat::Csv, false);
    let text = String::from_utf8(csv).unwrap();
    let cut = text.trim_end().rfind(',').unwrap() + 1;
    let (events, skipped, errors) = read(&text.as_bytes()[..cut], ImportFormat::Csv);
    assert!(
        events.is_empty() && errors.is_empty(),
        "{events:?} {errors:?}"
    );
    assert_eq!(skipped, [(2, INCOMPLETE_LAST_LINE.to_owned())]);
    let (events, _, _) = read(text.as_bytes(), ImportFormat::Csv);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].underestimated,
        Some(true),
        "the whole row, not the cut one"
    );
}

#[test]
fn log_line_cut_in_its_model_name_is_skipped() {
    let cut = LOG_LINE.find("model=claude").unwrap() + "model=clau".len();
    let (events, skipped, errors) = read(&LOG_LINE.as_bytes()[..cut], ImportFormat::Log);
    assert!(
        events.is_empty() && errors.is_empty(),
        "{events:?} {errors:?}"
    );
    assert_eq!(skipped, [(1, INCOMPLETE_LAST_LINE.to_owned())]);
}

#[test]
fn a_file_ending_in_blank_space_without_line_break_reports_nothing() {
    for (name, format, mut bytes) in two_event_files() {
        bytes.extend_from_slice(b"  ");
        let (events, skipped, errors) = read(&bytes, format);
        assert_eq!((events.len(), errors.len()), (2, 0), "{name}");
        assert!(skipped.is_empty(), "{name}: {skipped:?}");
    }
}

/// The usage kind of the single event in `bytes`.
fn usage_kind_of(bytes: &[u8], format: ImportFormat) -> Option<UsageKind> {
    let (events, _, errors) = read(bytes, format);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 1);
    events[0].usage_kind
}

#[test]
fn only_the_original_export_and_stated_nulls_import_without_usage_kind() {
    let mut event = rich_event();
    event.phase_id = "phase".to_owned();
    let original = export_bytes(std::slice::from_ref(&event), ExportFormat::Ndjson, false);
    assert_eq!(
        usage_kind_of(&original, ImportFormat::Ndjson),
        None,
        "the original's export"
    );
    let line = String::from_utf8(original).unwrap();
    let with_provider = line.replace("}\n", ", \"provider\": \"openai\"}\n");
    assert_eq!(
        usage_kind_of(with_provider.as_bytes(), ImportFormat::Ndjson),
        Some(UsageKind::Output),
        "a record with tel's keys is tel's"
    );
    let csv = export_bytes(std::slice::from_ref(&event), ExportFormat::Csv, false);
    assert_eq!(
        usage_kind_of(&csv, ImportFormat::Csv),
        Some(UsageKind::Output),
        "CSV is tel's"
    );
    // tel's export of a row from the original states the NULL, which survives the round trip.
    event.usage_kind = None;
    for format in [ExportFormat::Ndjson, ExportFormat::Csv] {
        let bytes = export_bytes(std::slice::from_ref(&event), format, true);
        let import_format = match format {
            ExportFormat::Csv => ImportFormat::Csv,
            ExportFormat::Ndjson => ImportFormat::Ndjson,
        };
        assert_eq!(usage_kind_of(&bytes, import_format), None, "{format:?}");
    }
}

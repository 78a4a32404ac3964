//! The named hostile inputs of the reliability issue, deterministic, through every reader: a 10 MB line,
//! invalid UTF-8, NaN, negative and overflowing token counts, complexity `critical`, SQL-looking text.

use tel_replay::export::ExportFormat;
use tel_replay::import::{EventReader, ImportFormat, ImportOptions, Record};

use crate::export::export_bytes;
use crate::hostile::{ALLOWED_COMPLEXITIES, SQL_TEXT};
use crate::support::rich_event;

/// One valid line (CSV: header and row) of each format, with the text the cases below replace.
fn valid_inputs() -> [(ImportFormat, String); 3] {
    let mut event = rich_event();
    event.phase_id = "phase".to_owned();
    let csv = String::from_utf8(export_bytes(&[event.clone()], ExportFormat::Csv, false)).unwrap();
    let ndjson = String::from_utf8(export_bytes(&[event], ExportFormat::Ndjson, false)).unwrap();
    let log = "[2025-12-23 22:09:15] INFO: [TokenEstimationV2] predicted_output=5000 actual_output=7000 smape=33.3% selected_budget=8192 category=configuration complexity=maintenance deliverables=2 success=True stop_reason=end_turn truncated=False model=m\n";
    [
        (ImportFormat::Ndjson, ndjson),
        (ImportFormat::Csv, csv),
        (ImportFormat::Log, log.to_owned()),
    ]
}

/// The errors of reading `bytes`, rendered.
fn errors(bytes: &[u8], format: ImportFormat) -> Vec<String> {
    EventReader::new(bytes, "in.dat", format, ImportOptions::default())
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect()
}

/// Replaces the first `from` (which must occur) in `input` with `to`.
fn replace_in_record(input: &str, from: &str, to: &str) -> String {
    assert!(input.contains(from), "{from:?} not in {input:?}");
    input.replacen(from, to, 1)
}

#[test]
fn ten_megabyte_line_is_rejected_with_file_line_and_the_next_line_still_reads() {
    let huge = "x".repeat(10 << 20);
    for (format, valid) in valid_inputs() {
        let (header, record) = match format {
            ImportFormat::Csv => valid.split_once("\r\n").unwrap(),
            _ => ("", valid.as_str()),
        };
        let long = match format {
            ImportFormat::Log => replace_in_record(record, "model=m", &format!("model={huge}")),
            _ => replace_in_record(record, "claude-sonnet-4-5", &huge),
        };
        let input = format!("{header}\n{}\n{record}", long.trim_end());
        let mut results =
            EventReader::new(input.as_bytes(), "in.dat", format, ImportOptions::default());
        let error = results.next().unwrap().unwrap_err().to_string();
        assert!(
            error.starts_with("in.dat:2: line longer than 1048576 bytes"),
            "{format:?}: {error}"
        );
        assert!(
            matches!(results.next(), Some(Ok(Record::Event { line: 3, .. }))),
            "{format:?}: the line after the long one is read"
        );
    }
}

#[test]
fn invalid_utf8_is_rejected_with_file_line_and_byte_in_every_format() {
    for (format, valid) in valid_inputs() {
        let mut bytes = valid.into_bytes();
        let at = bytes.len() - 3;
        bytes.splice(at..at, *b"\xc3\x28");
        let errors = errors(&bytes, format);
        let line = if format == ImportFormat::Csv { 2 } else { 1 };
        assert_eq!(errors.len(), 1, "{format:?}: {errors:?}");
        assert!(
            errors[0].starts_with(&format!("in.dat:{line}: invalid UTF-8 at byte ")),
            "{format:?}: {}",
            errors[0]
        );
    }
}

#[test]
fn nan_negative_and_overflowing_token_counts_are_rejected_in_every_format() {
    let cases: [(ImportFormat, &str, &str, &str); 9] = [
        (
            ImportFormat::Ndjson,
            "7000",
            "NaN",
            "in.dat:1: not a JSON object",
        ),
        (
            ImportFormat::Ndjson,
            "7000",
            "-7000",
            "in.dat:1: actual_output_tokens: must not be negative, got -7000",
        ),
        (
            ImportFormat::Ndjson,
            "7000",
            "18446744073709551616",
            "in.dat:1: actual_output_tokens: 1.8446744073709552e+19 is larger than 9223372036854775807",
        ),
        (
            ImportFormat::Csv,
            ",7000,",
            ",NaN,",
            "in.dat:2: actual_output_tokens: cannot read \"NaN\"",
        ),
        (
            ImportFormat::Csv,
            ",7000,",
            ",-7000,",
            "in.dat:2: actual_output_tokens: must not be negative, got -7000",
        ),
        (
            ImportFormat::Csv,
            ",7000,",
            ",9223372036854775808,",
            "in.dat:2: actual_output_tokens: 9223372036854775808 is larger than 9223372036854775807",
        ),
        (
            ImportFormat::Log,
            "actual_output=7000",
            "actual_output=NaN",
            "in.dat:1: actual_output: expected digits, got \"NaN\"",
        ),
        (
            ImportFormat::Log,
            "actual_output=7000",
            "actual_output=-7000",
            "in.dat:1: actual_output: expected digits, got \"-7000\"",
        ),
        (
            ImportFormat::Log,
            "actual_output=7000",
            "actual_output=9223372036854775808",
            "in.dat:1: actual_output: 9223372036854775808 is larger than 9223372036854775807",
        ),
    ];
    let inputs = valid_inputs();
    for (format, from, to, expected) in cases {
        let valid = &inputs.iter().find(|(f, _)| *f == format).unwrap().1;
        let errors = errors(replace_in_record(valid, from, to).as_bytes(), format);
        assert!(
            errors.first().is_some_and(|e| e.starts_with(expected)),
            "{format:?} {to}: {errors:?}"
        );
    }
}

#[test]
fn complexity_critical_is_rejected_with_the_allowed_values_in_every_format() {
    for (format, valid) in valid_inputs() {
        let from = match format {
            ImportFormat::Log => "complexity=maintenance",
            ImportFormat::Csv => "\"maintenance\"",
            ImportFormat::Ndjson => "\"maintenance\"",
            ImportFormat::Otlp => unreachable!("valid_inputs has no OTLP line"),
        };
        let to = from.replace("maintenance", "critical");
        let errors = errors(replace_in_record(&valid, from, &to).as_bytes(), format);
        let line = if format == ImportFormat::Csv { 2 } else { 1 };
        let expected = format!(
            "in.dat:{line}: complexity: unknown complexity \"critical\": expected one of {ALLOWED_COMPLEXITIES}"
        );
        assert_eq!(errors, [expected], "{format:?}");
    }
}

#[test]
fn sql_looking_text_is_read_verbatim_in_every_format() {
    let mut event = rich_event();
    event.model = SQL_TEXT.to_owned();
    event.run_id = SQL_TEXT.to_owned();
    event.stop_reason = Some(SQL_TEXT.to_owned());
    event.deliverables_json = serde_json::to_string(&[SQL_TEXT]).unwrap();
    for (format, import_format) in [
        (ExportFormat::Ndjson, ImportFormat::Ndjson),
        (ExportFormat::Csv, ImportFormat::Csv),
    ] {
        let bytes = export_bytes(std::slice::from_ref(&event), format, true);
        let back: Vec<_> = EventReader::new(
            bytes.as_slice(),
            "in",
            import_format,
            ImportOptions::default(),
        )
        .collect();
        let Some(Ok(Record::Event { event: read, .. })) = back.first() else {
            panic!("{format:?}: {back:?}");
        };
        assert_eq!(read.as_ref(), &event, "{format:?}");
    }
}

#[test]
fn csv_open_quote_over_a_million_lines_is_read_in_linear_time() {
    let header = valid_inputs()[1].1.split_once("\r\n").unwrap().0.to_owned();
    let mut input = format!("{header}\r\n\"");
    input.push_str(&"\n".repeat(1_000_000));
    let started = std::time::Instant::now();
    let errors = errors(input.as_bytes(), ImportFormat::Csv);
    assert_eq!(errors, ["in.dat:2: unterminated quoted field"]);
    println!("1,000,000-line open quote read in {:?}", started.elapsed());
}

#[test]
fn batch_requests_with_hostile_lines_get_located_errors_and_critical_takes_the_default_base() {
    use tel_core::estimator::{EmptyWorkspace, Estimator};
    let request =
        r#"{"id": 1, "deliverables": ["src/a.py"], "category": "backend", "complexity": "low"}"#;
    let mut input = format!("{request}\n").into_bytes();
    input.extend(b"{\"id\": 2, \xff}\n");
    input.extend(request.replace("src/a.py", &"x".repeat(10 << 20)).bytes());
    input.push(b'\n');
    input.extend(request.replace("\"low\"", "NaN").bytes());
    input.push(b'\n');
    input.extend(request.replace("\"low\"", "-1").bytes());
    input.push(b'\n');
    input.extend(request.replace("\"low\"", "\"critical\"").bytes());
    input.push(b'\n');
    input.extend(request.replace("src/a.py", SQL_TEXT).bytes());
    let mut out = Vec::new();
    let summary = tel_replay::batch::run_batch(
        &Estimator::v2_head(),
        &EmptyWorkspace,
        input.as_slice(),
        "req.ndjson",
        &mut out,
        tel_replay::batch::BatchOptions::default(),
    )
    .unwrap();
    assert_eq!((summary.requests, summary.failed), (7, 4));
    let answers: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let error = |i: usize| answers[i]["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error(1).starts_with("req.ndjson:2: invalid UTF-8 at byte 10 of the line"),
        "{}",
        error(1)
    );
    assert!(
        error(2).starts_with("req.ndjson:3: line longer than 1048576 bytes"),
        "{}",
        error(2)
    );
    assert!(
        error(3).starts_with("req.ndjson:4: invalid JSON"),
        "{}",
        error(3)
    );
    assert_eq!(
        error(4),
        "req.ndjson:5: complexity: expected a string, found -1"
    );
    // The estimator takes complexity as raw text (ESTIMATOR.md, defect E12): unknown means the default base.
    assert_eq!(answers[5]["selected_budget"], 8192, "{}", answers[5]);
    assert_eq!(
        answers[6]["estimated_tokens"],
        answers[0]["estimated_tokens"]
    );
}

#[test]
fn nul_character_in_text_is_rejected_with_file_line_in_every_format() {
    for (format, valid) in valid_inputs() {
        let (from, to, value) = match format {
            ImportFormat::Log => ("model=m", "model=m\0x", "m\0x"),
            ImportFormat::Csv => ("claude-sonnet-4-5", "claude\0x", "claude\0x"),
            ImportFormat::Ndjson => ("claude-sonnet-4-5", "claude\\u0000x", "claude\0x"),
            ImportFormat::Otlp => unreachable!("valid_inputs has no OTLP line"),
        };
        let errors = errors(replace_in_record(&valid, from, to).as_bytes(), format);
        let line = if format == ImportFormat::Csv { 2 } else { 1 };
        assert_eq!(
            errors,
            [format!(
                "in.dat:{line}: model: {value:?} contains a NUL character (U+0000), which PostgreSQL text cannot store"
            )],
            "{format:?}"
        );
    }
}

#[test]
fn text_too_long_to_re_import_after_export_is_rejected_and_the_longest_allowed_round_trips() {
    // 4096 bytes of astral characters: 12 bytes each once the export escapes them as surrogate pairs.
    let longest = "\u{10000}".repeat(1024);
    let mut event = rich_event();
    for text in [
        &mut event.run_id,
        &mut event.phase_id,
        &mut event.category,
        &mut event.model,
    ] {
        text.clone_from(&longest);
    }
    for text in [
        &mut event.stop_reason,
        &mut event.doc_features.context_quality,
        &mut event.sot.sot_file_name,
        &mut event.estimator_profile,
        &mut event.coefficients_hash,
        &mut event.provider,
    ] {
        *text = Some(longest.clone());
    }
    let bytes = export_bytes(std::slice::from_ref(&event), ExportFormat::Ndjson, true);
    let back: Vec<_> = EventReader::new(
        bytes.as_slice(),
        "in",
        ImportFormat::Ndjson,
        ImportOptions::default(),
    )
    .collect();
    assert!(
        matches!(&back[..], [Ok(Record::Event { event: read, .. })] if **read == event),
        "{back:?}"
    );
    let log = &valid_inputs()[2].1;
    let too_long = replace_in_record(log, "model=m", &format!("model={longest}x"));
    assert_eq!(
        errors(too_long.as_bytes(), ImportFormat::Log),
        [format!(
            "in.dat:1: model: 4097 bytes of text (\"{}\"…), more than the 4096 a value may have",
            "\u{10000}".repeat(40)
        )]
    );
}

//! Hostile-input building blocks of the fuzz tests: hostile values, byte mutations, and the checks every
//! reader result must pass (rejections name `FILE:LINE` and a reason; accepted events are valid and round-trip).

use proptest::prelude::*;
use proptest::sample::Index;
use tel_core::TelemetryEvent;
use tel_replay::export::ExportFormat;
use tel_replay::import::{EventReader, ImportError, ImportFormat, ImportOptions, MAX_LINE_BYTES};

use crate::export::export_bytes;

/// SQL-looking text that must be stored and exported verbatim, never executed.
pub const SQL_TEXT: &str = "'); DROP TABLE token_estimation_v2_events;--";

/// The allowed complexities, as every complexity error must list them.
pub const ALLOWED_COMPLEXITIES: &str = "low, medium, high, maintenance";

/// Hostile scalars as bare text (a CSV cell, a log value, a TOML or JSON literal before quoting).
pub const HOSTILE_WORDS: &[&str] = &[
    "NaN",
    "-NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "-inf",
    "-1",
    "-0",
    "0",
    "1.5",
    "1e400",
    "-1e400",
    "1e19",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "0x10",
    "critical",
    "CRITICAL",
    "Low",
    "simple",
    "None",
    "True",
    "null",
    "true",
    "",
    " ",
    SQL_TEXT,
    "Robert'); DROP TABLE runs;--",
    "1; DELETE FROM phases",
    "é😀\u{202e}\u{0}",
    "\u{feff}",
    "\t\r",
    "2025-13-45T25:61:61",
    "0000-00-00 00:00:00",
    "9999-12-31T23:59:59.999999",
    "2025-12-24T01:55:10.4354549999",
    "%",
    "=",
    "\"",
    ",",
];

/// A hostile scalar: a fixed one, arbitrary text, a number at the edges, or a long run of one character
/// (up to just over the line limit, so some records hit it).
pub fn hostile_word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(HOSTILE_WORDS).prop_map(str::to_owned),
        2 => any::<String>(),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| x.to_string()),
        1 => (prop::sample::select(vec![255usize, 65_536, MAX_LINE_BYTES + 1]), any::<char>())
            .prop_map(|(n, c)| c.to_string().repeat(n / c.len_utf8().max(1))),
    ]
}

/// A hostile JSON literal: the words above as strings and, where they are JSON-like, raw (so `NaN`,
/// `1e400` and `18446744073709551616` reach the parser unquoted), plus wrong-typed containers.
pub fn hostile_json() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => hostile_word().prop_map(|w| serde_json::to_string(&w).expect("strings serialise")),
        3 => hostile_word(),
        1 => prop::sample::select(vec![
            "[]", "{}", "[1, \"a\"]", "{\"a\": null}", "\"\\ud800\"", "\"\\u0000\"", "[[[[[[[[]]]]]]]]",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A byte-level mutation of a whole input.
#[derive(Debug, Clone)]
pub enum ByteMutation {
    /// Cut the input at a position.
    Truncate(Index),
    /// Insert bytes (invalid UTF-8, line breaks, quotes, NUL...) at a position.
    Insert(Index, Vec<u8>),
    /// Remove up to this many bytes from a position.
    Delete(Index, usize),
    /// Repeat up to this many bytes from a position.
    Duplicate(Index, usize),
}

/// Bytes that break parsers: invalid UTF-8 sequences, line breaks and delimiters.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            b"\xff".to_vec(),
            b"\xc3".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            b"\xf4\x90\x80\x80".to_vec(),
            b"\n".to_vec(),
            b"\r\n".to_vec(),
            b"\r".to_vec(),
            b"\0".to_vec(),
            b"\"".to_vec(),
            b",".to_vec(),
            b"{".to_vec(),
            b"}".to_vec(),
            b" ".to_vec(),
            b"=".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 1..8),
    ]
}

/// Zero to three byte mutations.
pub fn byte_mutations() -> impl Strategy<Value = Vec<ByteMutation>> {
    let one = prop_oneof![
        any::<Index>().prop_map(ByteMutation::Truncate),
        (any::<Index>(), hostile_bytes()).prop_map(|(at, bytes)| ByteMutation::Insert(at, bytes)),
        (any::<Index>(), 1usize..64).prop_map(|(at, n)| ByteMutation::Delete(at, n)),
        (any::<Index>(), 1usize..64).prop_map(|(at, n)| ByteMutation::Duplicate(at, n)),
    ];
    prop::collection::vec(one, 0..3)
}

/// Applies `mutations` in order.
pub fn mutate_bytes(mut bytes: Vec<u8>, mutations: &[ByteMutation]) -> Vec<u8> {
    for mutation in mutations {
        let at = |index: &Index| index.index(bytes.len() + 1);
        match mutation {
            ByteMutation::Truncate(i) => bytes.truncate(at(i)),
            ByteMutation::Insert(i, inserted) => {
                let at = at(i);
                bytes.splice(at..at, inserted.iter().copied());
            }
            ByteMutation::Delete(i, n) => {
                let at = at(i);
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            ByteMutation::Duplicate(i, n) => {
                let at = at(i);
                let end = (at + n).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    bytes
}

/// Physical lines of `bytes` as the readers number them.
pub fn line_count(bytes: &[u8]) -> u64 {
    let breaks = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    breaks + u64::from(!bytes.ends_with(b"\n"))
}

/// A rejection names the file, a line of the input and a reason; a complexity value error lists the allowed values.
pub fn check_rejection(error: &ImportError, file: &str, lines: u64) -> Result<(), TestCaseError> {
    let text = error.to_string();
    prop_assert_eq!(&error.file, file);
    prop_assert!(
        (1..=lines).contains(&error.line),
        "line out of range: {}",
        text
    );
    prop_assert!(
        text.starts_with(&format!("{file}:{}: ", error.line)),
        "{}",
        text
    );
    prop_assert!(!error.message.trim().is_empty(), "no reason: {}", text);
    let bad_complexity_value =
        error.message.contains("unknown complexity") || error.message.contains("synonym");
    if error.field.as_deref() == Some("complexity") && bad_complexity_value {
        prop_assert!(error.message.contains(ALLOWED_COMPLEXITIES), "{}", text);
    }
    Ok(())
}

/// An accepted event is valid (non-negative counts) and survives extended NDJSON and CSV round trips.
pub fn check_accepted(event: &TelemetryEvent) -> Result<(), TestCaseError> {
    for count in [
        event.deliverable_count,
        event.predicted_output_tokens,
        event.actual_output_tokens,
        event.selected_budget,
        event.actual_max_tokens.unwrap_or(0),
        event.sot.sot_entry_count_hint.unwrap_or(0),
    ] {
        prop_assert!(count >= 0, "negative count in {:?}", event);
    }
    for (format, import_format) in [
        (ExportFormat::Ndjson, ImportFormat::Ndjson),
        (ExportFormat::Csv, ImportFormat::Csv),
    ] {
        let bytes = export_bytes(std::slice::from_ref(event), format, true);
        let back: Vec<_> = EventReader::new(
            bytes.as_slice(),
            "round-trip",
            import_format,
            ImportOptions::default(),
        )
        .collect();
        prop_assert_eq!(back.len(), 1, "{:?}", back);
        match &back[0] {
            Ok(tel_replay::import::Record::Event { event: again, .. }) => {
                prop_assert_eq!(again.as_ref(), event, "{:?} round trip", format)
            }
            other => prop_assert!(false, "{:?} round trip failed: {:?}", format, other),
        }
    }
    Ok(())
}

/// Reads `bytes` as `format` and checks every result.
pub fn check_reader(bytes: &[u8], file: &str, format: ImportFormat) -> Result<(), TestCaseError> {
    let lines = line_count(bytes);
    let options = ImportOptions { include_v1: true };
    for record in EventReader::new(bytes, file, format, options) {
        match record {
            Err(error) => check_rejection(&error, file, lines)?,
            Ok(tel_replay::import::Record::Event { line, event }) => {
                prop_assert!((1..=lines).contains(&line));
                check_accepted(&event)?;
            }
            Ok(tel_replay::import::Record::Skipped { line, .. }) => {
                prop_assert!((1..=lines).contains(&line));
            }
        }
    }
    Ok(())
}

//! Import of telemetry files into `TelemetryEvent`s: NDJSON (original and extended), CSV, executor logs
//! and OTLP/JSON GenAI spans.
//!
//! Every reader streams line by line in constant memory and reports errors as `FILE:LINE: field: what`.

mod csv;
mod decode;
pub(crate) mod lines;
mod log;
mod ndjson;
mod otlp;

use std::fmt;
use std::io::BufRead;
use std::path::Path;

use tel_core::TelemetryEvent;

pub use decode::{FieldError, decode_draft};
use lines::Lines;
pub use lines::MAX_LINE_BYTES;

use crate::fields::ORIGINAL_FIELDS;

/// The format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object per line: the original export or tel's extended export.
    Ndjson,
    /// CSV as written by `tel export --format csv` (original or extended columns).
    Csv,
    /// Executor log lines (`[TokenEstimationV2]`, optionally V1 lines).
    Log,
    /// OTLP/JSON traces (one `{"resourceSpans": [...]}` per line): GenAI inference spans.
    Otlp,
}

impl ImportFormat {
    /// Guesses the format from the first non-empty line, then the file extension; logs are the fallback
    /// because a log may start with any text.
    pub fn detect(path: &Path, first_non_empty_line: Option<&str>) -> Self {
        let first = first_non_empty_line.map(str::trim_start);
        if first.is_some_and(|l| l.starts_with(r#"{"resourceSpans""#)) {
            return Self::Otlp;
        }
        if first.is_some_and(|l| l.starts_with('{')) {
            return Self::Ndjson;
        }
        let csv_header_start = format!("{},{},", ORIGINAL_FIELDS[0].name, ORIGINAL_FIELDS[1].name);
        if first.is_some_and(|l| l.starts_with(&csv_header_start)) {
            return Self::Csv;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("ndjson" | "jsonl" | "json") => Self::Ndjson,
            Some("csv") => Self::Csv,
            _ => Self::Log,
        }
    }
}

/// One result of reading an input line.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// An event, with the 1-based line it started on.
    Event {
        /// Line number.
        line: u64,
        /// The event (without `event_id` unless the file carried one).
        event: Box<TelemetryEvent>,
    },
    /// A recognised line that is deliberately not imported (e.g. a V1 log line).
    Skipped {
        /// Line number.
        line: u64,
        /// Why it was skipped.
        reason: String,
    },
}

/// The reason given for a last line without its line break. A file still being written ends in a half
/// line (a cut model name, a CSV row cut after a comma); importing it would store an event that differs
/// from the complete line, which a later import then adds as a second event. Never imported, so the
/// complete line imports once, later.
pub const INCOMPLETE_LAST_LINE: &str = "incomplete last line, not imported";

impl Record {
    /// The record of an unterminated last line that starts on `line`.
    fn incomplete_last_line(line: u64) -> Self {
        Self::Skipped {
            line,
            reason: INCOMPLETE_LAST_LINE.to_owned(),
        }
    }
}

/// What a reader of one record per line does with the next physical line.
enum NextLine {
    /// A line with text to parse: `(line number, text)`.
    Text(u64, String),
    /// A record decided without parsing: the skip of an unterminated last line, or the error of a
    /// line that cannot be read.
    Decided(Result<Record, ImportError>),
}

/// The next non-blank line of `lines` for the readers of one record per line (NDJSON, logs, OTLP):
/// an unterminated last line becomes its skip record and an unreadable line its `FILE:LINE` error.
fn next_line<R: BufRead>(lines: &mut Lines<R>, file: &str) -> Option<NextLine> {
    loop {
        let (line_no, line) = lines.next()?;
        if lines.last_line_unterminated() {
            return Some(NextLine::Decided(Ok(Record::incomplete_last_line(line_no))));
        }
        match line {
            Err(problem) => {
                let error = ImportError::line(file, line_no, problem.describe());
                return Some(NextLine::Decided(Err(error)));
            }
            Ok(text) if text.trim().is_empty() => {}
            Ok(text) => return Some(NextLine::Text(line_no, text)),
        }
    }
}

/// A line that could not be imported: `FILE:LINE: field: what was wrong`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The file as named by the caller.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    /// What was wrong (no trailing period).
    pub message: String,
}

impl ImportError {
    fn line(file: &str, line: u64, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            field: None,
            message: message.into(),
        }
    }

    fn field(file: &str, line: u64, error: FieldError) -> Self {
        Self {
            file: file.to_owned(),
            line,
            field: Some(error.field),
            message: error.message,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}:{}: {field}: {}", self.file, self.line, self.message),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.message),
        }
    }
}

/// Options of the log reader.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import V1 `[TokenEstimation]` lines (category `unknown`, complexity `medium`) instead of skipping them.
    pub include_v1: bool,
}

/// Streams the records of one input in the given format.
pub enum EventReader<R> {
    /// NDJSON input.
    Ndjson(ndjson::NdjsonReader<R>),
    /// CSV input.
    Csv(csv::CsvReader<R>),
    /// Log input.
    Log(log::LogReader<R>),
    /// OTLP/JSON input.
    Otlp(otlp::OtlpReader<R>),
}

impl<R: BufRead> EventReader<R> {
    /// Reads `reader` as `format`; `file` is the name used in errors.
    pub fn new(reader: R, file: &str, format: ImportFormat, options: ImportOptions) -> Self {
        match format {
            ImportFormat::Ndjson => Self::Ndjson(ndjson::NdjsonReader::new(reader, file)),
            ImportFormat::Csv => Self::Csv(csv::CsvReader::new(reader, file)),
            ImportFormat::Log => Self::Log(log::LogReader::new(reader, file, options.include_v1)),
            ImportFormat::Otlp => Self::Otlp(otlp::OtlpReader::new(reader, file)),
        }
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Record, ImportError>;

    /// Every event also passes tel-core's storable-value rules ([`TelemetryEvent::validate`]), the
    /// ones the recorder, spool replay and the generator apply.
    fn next(&mut self) -> Option<Self::Item> {
        let (record, file) = match self {
            Self::Ndjson(reader) => (reader.next()?, reader.file()),
            Self::Csv(reader) => (reader.next()?, reader.file()),
            Self::Log(reader) => (reader.next()?, reader.file()),
            Self::Otlp(reader) => (reader.next()?, reader.file()),
        };
        Some(record.and_then(|record| match &record {
            Record::Event { line, event } => match event.validate() {
                Ok(()) => Ok(record),
                Err(invalid) => Err(ImportError::field(
                    file,
                    *line,
                    FieldError {
                        field: invalid.field.to_owned(),
                        message: invalid.message,
                    },
                )),
            },
            Record::Skipped { .. } => Ok(record),
        }))
    }
}

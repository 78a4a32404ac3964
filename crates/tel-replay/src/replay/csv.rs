//! `tel replay --csv`: one row per event with the actual outcome and every estimator's prediction.

use std::io::{self, Write};

use tel_core::TelemetryEvent;

/// The event facts before the `predicted:<name>` columns.
const EVENT_COLUMNS: [&str; 10] = [
    "event_id",
    "timestamp",
    "category",
    "complexity",
    "deliverable_count",
    "actual_output_tokens",
    "actual_max_tokens",
    "truncated",
    "stop_reason_kind",
    "usage_kind",
];

/// Writes the per-event rows of a replay: RFC 4180, CRLF, a field quoted only when it holds a comma, quote or
/// line break (Python `csv`'s QUOTE_MINIMAL).
pub struct ReplayCsvWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> ReplayCsvWriter<W> {
    /// Writes the header: event facts, then `predicted:<name>` per estimator.
    pub fn new(out: W, estimator_names: &[String]) -> io::Result<Self> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let predicted = estimator_names
            .iter()
            .map(|name| format!("predicted:{name}"));
        out.write_record(
            EVENT_COLUMNS
                .iter()
                .map(|c| (*c).to_owned())
                .chain(predicted),
        )?;
        Ok(Self { out })
    }

    /// Writes one event's row.
    pub fn write_row(&mut self, event: &TelemetryEvent, predictions: &[i64]) -> io::Result<()> {
        let optional = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let facts = [
            optional(event.event_id),
            event.timestamp.to_iso_text(),
            event.category.clone(),
            event.complexity.as_str().to_owned(),
            event.deliverable_count.to_string(),
            event.actual_output_tokens.to_string(),
            optional(event.actual_max_tokens),
            event.truncated.to_string(),
            event.stop_reason_kind().as_str().to_owned(),
            event.usage_kind.map_or("", |k| k.as_str()).to_owned(),
        ];
        let predictions = predictions.iter().map(i64::to_string);
        self.out
            .write_record(facts.into_iter().chain(predictions))?;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|err| err.into_error())
    }
}

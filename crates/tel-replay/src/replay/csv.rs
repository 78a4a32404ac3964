//! `tel replay --csv`: one row per event with the actual outcome and every estimator's prediction.

use std::io::{self, Write};

use tel_core::TelemetryEvent;

/// Writes the per-event rows of a replay.
pub struct ReplayCsvWriter<W: Write> {
    out: W,
}

impl<W: Write> ReplayCsvWriter<W> {
    /// Writes the header: event facts, then `predicted:<name>` per estimator.
    pub fn new(mut out: W, estimator_names: &[String]) -> io::Result<Self> {
        let mut header = String::from(
            "event_id,timestamp,category,complexity,deliverable_count,actual_output_tokens,actual_max_tokens,truncated,stop_reason_kind,usage_kind",
        );
        for name in estimator_names {
            header.push(',');
            push_field(&mut header, &format!("predicted:{name}"));
        }
        header.push_str("\r\n");
        out.write_all(header.as_bytes())?;
        Ok(Self { out })
    }

    /// Writes one event's row.
    pub fn write_row(&mut self, event: &TelemetryEvent, predictions: &[i64]) -> io::Result<()> {
        let optional = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
        let mut row = String::new();
        row.push_str(&optional(event.event_id));
        row.push(',');
        row.push_str(&event.timestamp.to_iso_text());
        row.push(',');
        push_field(&mut row, &event.category);
        for cell in [
            event.complexity.as_str().to_owned(),
            event.deliverable_count.to_string(),
            event.actual_output_tokens.to_string(),
            optional(event.actual_max_tokens),
            event.truncated.to_string(),
            event.stop_reason_kind().as_str().to_owned(),
            event.usage_kind.map_or("", |k| k.as_str()).to_owned(),
        ] {
            row.push(',');
            row.push_str(&cell);
        }
        for prediction in predictions {
            row.push(',');
            row.push_str(&prediction.to_string());
        }
        row.push_str("\r\n");
        self.out.write_all(row.as_bytes())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// RFC 4180: quote when the text holds a comma, quote or line break.
fn push_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

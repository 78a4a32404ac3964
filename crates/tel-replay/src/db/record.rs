//! `tel record`'s input: one event in its JSON form (decoded by the import decoder), and the `--batch`
//! loop that records one NDJSON line after another and answers each, in plain text or in the
//! co-process protocol (docs/INTEGRATION.md). The caller does the recording (the recorder's write).

use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::Path;

use serde_json::{Map, Value};
use tel_core::EventDraft;
use tel_store::RecordOutcome;

use crate::batch::protocol_header;
use crate::import::decode_draft;

/// Why one input is not an event: the key to blame (when one is) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The offending key.
    pub field: Option<String>,
    /// What was wrong (no trailing period).
    pub message: String,
}

impl RequestError {
    fn line(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The draft of a JSON object in `tel record`'s form, if every value can be stored (tel-core's rules,
/// as `tel import` applies them).
fn checked_draft(object: &Map<String, Value>) -> Result<EventDraft, RequestError> {
    let draft = decode_draft(object).map_err(|e| RequestError {
        field: Some(e.field),
        message: e.message,
    })?;
    draft.validate().map_err(|invalid| RequestError {
        field: Some(invalid.field.to_owned()),
        message: invalid.message,
    })?;
    Ok(draft)
}

/// One event in `tel record`'s JSON form (the NDJSON export keys plus the extras a caller gives).
pub fn parse_event(text: &str) -> Result<EventDraft, RequestError> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(object)) => checked_draft(&object),
        Ok(_) => Err(RequestError::line(
            "invalid event JSON: expected a JSON object",
        )),
        Err(e) => Err(RequestError::line(format!("invalid event JSON: {e}"))),
    }
}

/// One protocol request: its `id` (any JSON value, echoed; `null` when absent) and the event.
fn parse_request(text: &str) -> (Value, Result<EventDraft, RequestError>) {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(mut object)) => {
            let id = object.remove("id").unwrap_or(Value::Null);
            (id, checked_draft(&object))
        }
        Ok(_) => (
            Value::Null,
            Err(RequestError::line("expected a JSON object")),
        ),
        Err(e) => (
            Value::Null,
            Err(RequestError::line(format!("invalid JSON: {e}"))),
        ),
    }
}

/// Writes the plain-text line of one recorded event: on `out`, except for a disabled recorder (on `err`).
pub fn write_outcome(
    outcome: &RecordOutcome,
    spool: &Path,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<()> {
    match outcome {
        RecordOutcome::Disabled => writeln!(
            err,
            "not recorded: TELEMETRY_DB_ENABLED is not 1, true or yes (use --force)"
        ),
        RecordOutcome::Skipped { .. } => Ok(()),
        RecordOutcome::Stored { event_id: Some(id) } => writeln!(out, "stored event {id}"),
        RecordOutcome::Stored { event_id: None } => writeln!(out, "already stored (same event)"),
        RecordOutcome::Spooled { .. } => writeln!(out, "spooled to {}", spool.display()),
        RecordOutcome::Lost { .. } => writeln!(out, "lost (see the warning on stderr)"),
    }
}

/// The protocol answer to one recorded event; `ok` is false only when the event is lost.
fn outcome_answer(outcome: &RecordOutcome, spool: &Path) -> (bool, Map<String, Value>) {
    let mut answer = Map::new();
    let name = match outcome {
        RecordOutcome::Disabled => "disabled",
        RecordOutcome::Skipped { warning } => {
            answer.insert("warning".into(), warning.as_str().into());
            "skipped"
        }
        RecordOutcome::Stored { event_id: Some(id) } => {
            answer.insert("event_id".into(), (*id).into());
            "stored"
        }
        RecordOutcome::Stored { event_id: None } => "already_stored",
        RecordOutcome::Spooled { .. } => {
            answer.insert("spool".into(), spool.display().to_string().into());
            "spooled"
        }
        RecordOutcome::Lost { .. } => "lost",
    };
    answer.insert("outcome".into(), name.into());
    (!matches!(outcome, RecordOutcome::Lost { .. }), answer)
}

/// Writes one protocol answer and flushes it, so it leaves before the next request is read.
fn write_answer(
    out: &mut impl Write,
    line: u64,
    ok: bool,
    id: Value,
    answer: Map<String, Value>,
) -> io::Result<()> {
    let mut framed = protocol_header(line, ok);
    framed.insert("id".into(), id);
    framed.extend(answer);
    writeln!(out, "{}", Value::Object(framed))?;
    out.flush()
}

/// Counts of a `--batch` run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordBatchSummary {
    /// Non-blank lines read.
    pub events: u64,
    /// Events stored as new rows.
    pub stored: u64,
    /// Events whose identical event was already stored.
    pub already_stored: u64,
    /// Lines that were not a valid event.
    pub invalid: u64,
}

impl RecordBatchSummary {
    /// The summary line, with the recorder's counts of spooled, lost and drained (spooled events
    /// written back) events.
    pub fn describe(&self, spooled: u64, lost: u64, drained: u64) -> String {
        let drained = match drained {
            0 => String::new(),
            n => format!("; {n} spooled events written back"),
        };
        format!(
            "record: {} events: {} stored, {} already stored, {spooled} spooled, {lost} lost, {} invalid{drained}",
            self.events, self.stored, self.already_stored, self.invalid
        )
    }
}

/// Why a `--batch` run stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum RecordBatchError {
    /// The input could not be read.
    #[error("cannot read {name}")]
    Read {
        /// The input's name.
        name: String,
        /// The read error.
        #[source]
        source: io::Error,
    },
    /// An answer could not be written (other than to a closed pipe).
    #[error(transparent)]
    Write(#[from] io::Error),
}

/// A `--batch` run: where its input comes from and how it answers.
#[derive(Debug, Clone, Copy)]
pub struct RecordBatch<'a> {
    /// The input's name in error messages (`<stdin>` or the file).
    pub name: &'a str,
    /// Answer every line with one JSON object in the co-process protocol, errors included.
    pub protocol: bool,
    /// The recorder's spool file, named in the answers of spooled events.
    pub spool: &'a Path,
}

impl RecordBatch<'_> {
    /// Records every line of `reader` as it arrives through `record`, and answers it on `out`; an
    /// invalid line (bad JSON, invalid UTF-8, a value that cannot be stored) is answered with
    /// `NAME:LINE: field: what` (on `err` in plain mode) and skipped. A reader of the answers that
    /// goes away (a closed pipe) does not stop the recording: only the answers stop.
    pub fn run(
        &self,
        mut reader: impl BufRead,
        out: &mut impl Write,
        err: &mut impl Write,
        mut record: impl FnMut(EventDraft) -> RecordOutcome,
    ) -> Result<RecordBatchSummary, RecordBatchError> {
        let mut summary = RecordBatchSummary::default();
        let mut out_open = true;
        let mut bytes = Vec::new();
        for number in 1_u64.. {
            bytes.clear();
            let read =
                reader
                    .read_until(b'\n', &mut bytes)
                    .map_err(|source| RecordBatchError::Read {
                        name: self.name.to_owned(),
                        source,
                    })?;
            if read == 0 {
                break;
            }
            // A line with bytes that are not UTF-8 is one invalid request, not the end of the batch.
            let (id, draft) = match std::str::from_utf8(&bytes) {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) if self.protocol => parse_request(line),
                Ok(line) => (Value::Null, parse_event(line)),
                Err(e) => {
                    let at = e.valid_up_to() + 1;
                    let error = RequestError::line(format!("invalid UTF-8 at byte {at}"));
                    (Value::Null, Err(error))
                }
            };
            summary.events += 1;
            let written = match draft {
                Ok(draft) => {
                    let outcome = record(draft);
                    match outcome {
                        RecordOutcome::Stored { event_id: Some(_) } => summary.stored += 1,
                        RecordOutcome::Stored { event_id: None } => summary.already_stored += 1,
                        _ => {}
                    }
                    match (out_open, self.protocol) {
                        (false, _) => Ok(()),
                        (true, true) => {
                            let (ok, answer) = outcome_answer(&outcome, self.spool);
                            write_answer(out, number, ok, id, answer)
                        }
                        (true, false) => write_outcome(&outcome, self.spool, out, err),
                    }
                }
                Err(error) => {
                    summary.invalid += 1;
                    let located = format!("{}:{number}: {error}", self.name);
                    if self.protocol && out_open {
                        let mut answer = Map::new();
                        answer.insert("field".into(), error.field.into());
                        answer.insert("error".into(), located.into());
                        write_answer(out, number, false, id, answer)
                    } else {
                        // Not fatal: a stderr that cannot be written must not stop the recording.
                        let _ = writeln!(err, "{located}");
                        Ok(())
                    }
                }
            };
            if let Err(e) = written {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
                out_open = false;
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a batch whose recorder stores every event under the next id; returns the summary, the
    /// answers on stdout, stderr and the recorded drafts.
    fn run(input: &[u8], protocol: bool) -> (RecordBatchSummary, String, String, Vec<EventDraft>) {
        let (mut out, mut err, mut recorded) = (Vec::new(), Vec::new(), Vec::new());
        let batch = RecordBatch {
            name: "calls.ndjson",
            protocol,
            spool: Path::new("spool.ndjson"),
        };
        let summary = batch
            .run(input, &mut out, &mut err, |draft| {
                recorded.push(draft);
                RecordOutcome::Stored {
                    event_id: Some(recorded.len() as i64),
                }
            })
            .expect("the batch runs");
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
        (summary, text(out), text(err), recorded)
    }

    const GOOD: &str = r#"{"run_id": "r", "phase_id": "p1", "category": "implementation", "complexity": "simple", "predicted_output_tokens": 900, "actual_output_tokens": 800, "success": true, "model": "m", "timestamp": "ignored", "smape_percent": "ignored too"}"#;

    #[test]
    fn record_batch_records_valid_lines_and_names_file_line_and_field_of_the_others() {
        let input = [
            GOOD,
            "",
            r#"{"run_id": "r", "phase_id": "p", "category": "c", "complexity": "low", "predicted_output_tokens": -1, "actual_output_tokens": 1, "success": true, "model": "m"}"#,
            r#"{"event_id": 3}"#,
            "{not json",
        ]
        .join("\n");
        let mut bytes = input.into_bytes();
        bytes.extend(b"\n\xff\n");
        let (summary, out, err, recorded) = run(&bytes, false);
        assert_eq!(
            summary,
            RecordBatchSummary {
                events: 5,
                stored: 1,
                already_stored: 0,
                invalid: 4
            }
        );
        assert_eq!(out, "stored event 1\n");
        assert_eq!(
            err.lines().collect::<Vec<_>>(),
            [
                "calls.ndjson:3: predicted_output_tokens: must not be negative, got -1",
                "calls.ndjson:4: event_id: unknown key: expected the export keys of docs/FORMATS.md F5 or the extended keys a caller gives",
                "calls.ndjson:5: invalid event JSON: key must be a string at line 1 column 2",
                "calls.ndjson:6: invalid UTF-8 at byte 1",
            ]
        );
        // Complexity synonyms are accepted as the executor's writer accepts them; derived keys are ignored.
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].complexity, tel_core::Complexity::Low);
        assert_eq!(
            (recorded[0].selected_budget, recorded[0].truncated),
            (0, false)
        );
    }

    #[test]
    fn record_batch_protocol_answers_every_line_with_its_id() {
        let input = [
            GOOD.replace("{\"run_id\"", "{\"id\": 7, \"run_id\""),
            r#"{"id": "b", "run_id": "r"}"#.to_owned(),
        ]
        .join("\n");
        let (summary, out, err, _) = run(input.as_bytes(), true);
        assert_eq!((summary.stored, summary.invalid), (1, 1));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                r#"{"protocol":1,"line":1,"ok":true,"id":7,"event_id":1,"outcome":"stored"}"#,
                r#"{"protocol":1,"line":2,"ok":false,"id":"b","field":"phase_id","error":"calls.ndjson:2: phase_id: missing"}"#,
            ]
        );
        assert_eq!(err, "");
    }
}

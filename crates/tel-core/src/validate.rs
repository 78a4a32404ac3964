//! The storable-value rules every way into the store applies (record, import, spool replay, generate):
//! counts are non-negative, text fits a column on both backends and round-trips through every export.
//!
//! Pure rules only: callers decide what a rejection means (an error naming the file and line, a
//! recorder warning, a spool line kept). docs/STORE.md "What an event may hold" lists them.

use std::fmt;

use crate::fields::{FieldValue, event_fields};
use crate::{EventDraft, TelemetryEvent};

/// The longest text value stored, in UTF-8 bytes. The export escapes every non-ASCII or control
/// character (up to 6 output bytes per input byte), so any stored value exports to a line well under
/// the importer's 1 MiB line limit and re-imports; real values are identifiers of under 100 bytes.
pub const MAX_TEXT_BYTES: usize = 4096;

/// How much of a rejected text value an error quotes.
const QUOTED_CHARS: usize = 40;

/// A field whose value cannot be stored: `field: what was wrong` (the message names the value and what
/// was expected, and ends without a period).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
#[non_exhaustive]
pub struct InvalidField {
    /// The field (the export key).
    pub field: &'static str,
    /// What was wrong, with the value.
    pub message: String,
}

/// What is wrong with a count or token number, if anything: it must not be negative.
pub fn count_problem(value: i64) -> Option<String> {
    (value < 0).then(|| format!("must not be negative, got {value}"))
}

/// What is wrong with a text value, if anything: more than [`MAX_TEXT_BYTES`] bytes, or a NUL
/// character, which PostgreSQL text cannot store (SQLite can, so without this rule the backends
/// would disagree).
pub fn text_problem(text: &str) -> Option<String> {
    if text.len() > MAX_TEXT_BYTES {
        Some(format!(
            "{} bytes of text ({}), more than the {MAX_TEXT_BYTES} a value may have",
            text.len(),
            Quoted(text)
        ))
    } else if text.contains('\0') {
        Some(format!(
            "{} contains a NUL character (U+0000), which PostgreSQL text cannot store",
            Quoted(text)
        ))
    } else {
        None
    }
}

/// What is wrong with a stored float, if anything: NaN and infinities have no portable column value.
pub fn float_problem(value: f64) -> Option<String> {
    (!value.is_finite()).then(|| format!("expected a finite number, got {value}"))
}

/// A text value as an error quotes it: escaped, and cut after [`QUOTED_CHARS`] characters.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(QUOTED_CHARS) {
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

/// The first failing rule over named counts, texts and floats, in that order.
fn first_invalid<'a>(
    counts: impl IntoIterator<Item = (&'static str, Option<i64>)>,
    texts: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
    floats: impl IntoIterator<Item = (&'static str, Option<f64>)>,
) -> Result<(), InvalidField> {
    let mut problems = counts
        .into_iter()
        .filter_map(|(field, v)| Some((field, count_problem(v?)?)))
        .chain(
            texts
                .into_iter()
                .filter_map(|(field, v)| Some((field, text_problem(v?)?))),
        )
        .chain(
            floats
                .into_iter()
                .filter_map(|(field, v)| Some((field, float_problem(v?)?))),
        );
    match problems.next() {
        Some((field, message)) => Err(InvalidField { field, message }),
        None => Ok(()),
    }
}

impl TelemetryEvent {
    /// Checks every stored value against the rules above, over the fields of
    /// [`crate::fields`]; the error names the first bad count, else the first bad text, else the
    /// first bad float. `deliverables_json` is exempt: the writer's sanitisation bounds it and escapes
    /// every control character, and legacy rows hold it longer than [`MAX_TEXT_BYTES`].
    pub fn validate(&self) -> Result<(), InvalidField> {
        let (mut text, mut float) = (None, None);
        for field in event_fields() {
            match (field.value)(self) {
                FieldValue::Int(n) => {
                    if let Some(message) = count_problem(n) {
                        return Err(InvalidField {
                            field: field.name,
                            message,
                        });
                    }
                }
                FieldValue::Text(t) if text.is_none() => {
                    text = text_problem(t).map(|message| (field.name, message));
                }
                FieldValue::Float(x) if float.is_none() => {
                    float = float_problem(x).map(|message| (field.name, message));
                }
                _ => {}
            }
        }
        match text.or(float) {
            Some((field, message)) => Err(InvalidField { field, message }),
            None => Ok(()),
        }
    }
}

impl EventDraft {
    /// Checks the writer's input before anything is computed from it: the rules of
    /// [`TelemetryEvent::validate`] on the fields a caller gives (the deliverables are sanitised on
    /// conversion, which cuts and escapes them).
    pub fn validate(&self) -> Result<(), InvalidField> {
        first_invalid(
            [
                (
                    "predicted_output_tokens",
                    Some(self.predicted_output_tokens),
                ),
                ("actual_output_tokens", Some(self.actual_output_tokens)),
                ("selected_budget", Some(self.selected_budget)),
                ("actual_max_tokens", self.actual_max_tokens),
                ("sot_entry_count_hint", self.sot.sot_entry_count_hint),
            ],
            [
                ("run_id", Some(self.run_id.as_str())),
                ("phase_id", Some(self.phase_id.as_str())),
                ("category", Some(self.category.as_str())),
                ("stop_reason", self.stop_reason.as_deref()),
                ("model", Some(self.model.as_str())),
                (
                    "context_quality",
                    self.doc_features.context_quality.as_deref(),
                ),
                ("sot_file_name", self.sot.sot_file_name.as_deref()),
                (
                    "estimator_profile",
                    self.extras.estimator_profile.as_deref(),
                ),
                (
                    "coefficients_hash",
                    self.extras.coefficients_hash.as_deref(),
                ),
                ("provider", self.extras.provider.as_deref()),
            ],
            [],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_counts_are_rejected_naming_field_and_value() {
        assert_eq!(count_problem(0), None);
        assert_eq!(
            count_problem(i64::MIN).as_deref(),
            Some("must not be negative, got -9223372036854775808")
        );
    }

    #[test]
    fn text_with_nul_or_over_the_limit_is_rejected_quoting_its_start() {
        assert_eq!(text_problem(&"m".repeat(MAX_TEXT_BYTES)), None);
        assert_eq!(
            text_problem("gpt\0x").as_deref(),
            Some(
                r#""gpt\0x" contains a NUL character (U+0000), which PostgreSQL text cannot store"#
            )
        );
        assert_eq!(
            text_problem(&"é".repeat(2500)),
            Some(format!(
                "5000 bytes of text (\"{}\"…), more than the 4096 a value may have",
                "é".repeat(QUOTED_CHARS)
            ))
        );
    }

    #[test]
    fn non_finite_floats_are_rejected() {
        assert_eq!(float_problem(1.5), None);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(float_problem(bad).is_some(), "{bad}");
        }
    }
}

//! Decoding of one exported record (a key → JSON value map, from NDJSON or CSV) into a `TelemetryEvent`,
//! and of `tel record`'s JSON form into the writer's inputs: both read the caller's fields in one place
//! ([`decode_inputs`]) and check keys against tel-core's description of the fields.

use serde_json::{Map, Value};
use tel_core::fields::{Source, field_named};
use tel_core::{
    Complexity, DocFeatures, EventDraft, SotFields, StopReasonKind, TelExtras, TelemetryEvent,
    Timestamp, UsageKind, sanitize_deliverables,
};

use crate::fields::{ORIGINAL_FIELDS, kind_of};

/// Who wrote a record's format, which decides what an absent `usage_kind` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// NDJSON: a record with only the original export's keys is the original's (no usage kind, so the
    /// legacy rules apply); a record with any of tel's extended keys is tel's.
    Ndjson,
    /// CSV is tel's own format.
    Csv,
}

/// A field that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The key.
    pub field: String,
    /// What was wrong (no trailing period).
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Reads typed values out of a record, naming the key in every error.
struct Record<'a> {
    map: &'a Map<String, Value>,
}

impl Record<'_> {
    fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required<'v>(&self, key: &str, value: Option<&'v Value>) -> Result<&'v Value, FieldError> {
        match (self.map.contains_key(key), value) {
            (_, Some(v)) => Ok(v),
            (true, None) => Err(err(key, "must not be null")),
            (false, None) => Err(err(key, "missing")),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>, FieldError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => storable_text(key, s).map(Some),
            Some(other) => Err(err(key, format!("expected a string, got {other}"))),
        }
    }

    fn req_text(&self, key: &str) -> Result<String, FieldError> {
        self.required(key, self.value(key))?;
        Ok(self.text(key)?.unwrap_or_default())
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, FieldError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(err(key, format!("expected true or false, got {other}"))),
        }
    }

    fn req_bool(&self, key: &str) -> Result<bool, FieldError> {
        self.required(key, self.value(key))?;
        Ok(self.bool(key)?.unwrap_or_default())
    }

    /// A count or token number: a non-negative integer that fits in 64 bits.
    fn count(&self, key: &str) -> Result<Option<i64>, FieldError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        let Value::Number(n) = value else {
            return Err(err(
                key,
                format!("expected a non-negative integer, got {value}"),
            ));
        };
        if let Some(i) = n.as_i64() {
            return match tel_core::validate::count_problem(i) {
                Some(problem) => Err(err(key, problem)),
                None => Ok(Some(i)),
            };
        }
        let too_large = n.is_u64() || n.as_f64().is_some_and(|x| x.fract() == 0.0 && x > 0.0);
        if too_large {
            return Err(err(key, format!("{n} is larger than {}", i64::MAX)));
        }
        Err(err(
            key,
            format!("expected a non-negative integer, got {n}"),
        ))
    }

    fn req_count(&self, key: &str) -> Result<i64, FieldError> {
        self.required(key, self.value(key))?;
        Ok(self.count(key)?.unwrap_or_default())
    }

    fn float(&self, key: &str) -> Result<Option<f64>, FieldError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(err(key, format!("expected a finite number, got {n}"))),
            },
            Some(other) => Err(err(key, format!("expected a number, got {other}"))),
        }
    }

    fn timestamp(&self, key: &str) -> Result<Option<Timestamp>, FieldError> {
        self.text(key)?
            .map(|text| Timestamp::parse(&text).map_err(|e| err(key, e.to_string())))
            .transpose()
    }
}

/// Text as a column stores it, refused here with the file and line when it could not be stored or
/// round-trip (tel-core's [`tel_core::validate::text_problem`]: too long, or a NUL character).
pub fn storable_text(field: &str, text: &str) -> Result<String, FieldError> {
    match tel_core::validate::text_problem(text) {
        Some(problem) => Err(err(field, problem)),
        None => Ok(text.to_owned()),
    }
}

/// Parses a stored complexity: only the canonical values are accepted (synonyms would change the bytes),
/// so the error lists only those.
pub fn parse_complexity(field: &str, raw: &str) -> Result<Complexity, FieldError> {
    match Complexity::parse(raw) {
        Ok(c) if c.as_str() == raw => Ok(c),
        Ok(c) => Err(err(
            field,
            format!("{raw:?} is a synonym of {c}: expected one of low, medium, high, maintenance"),
        )),
        Err(_) => Err(err(
            field,
            format!("unknown complexity {raw:?}: expected one of low, medium, high, maintenance"),
        )),
    }
}

fn decode_deliverables(value: &Value) -> Result<Vec<String>, FieldError> {
    const KEY: &str = "deliverables";
    let Value::Array(items) = value else {
        return Err(err(
            KEY,
            format!("expected an array of strings, got {value}"),
        ));
    };
    let strings = items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(err(KEY, format!("item {} is not a string: {other}", i + 1))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(strings)
}

/// Which form of the caller's fields is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// An exported record: every original key is present, complexity is canonical.
    Export,
    /// `tel record`'s JSON: `deliverables`, `selected_budget` and `truncated` may be left out
    /// (`[]`, 0, false) and complexity may be a synonym, as the executor's writer accepts.
    Record,
}

/// The caller's fields of a record (those tel-core's description gives [`Source::Caller`]), as
/// the writer's inputs. A stated `usage_kind` (not null) is kept; otherwise it is `None`.
fn decode_inputs(r: &Record<'_>, form: Form) -> Result<EventDraft, FieldError> {
    let left_out = |key: &str| form == Form::Record && !r.map.contains_key(key);
    // In the export's key order, so the first bad key is the one named.
    let run_id = r.req_text("run_id")?;
    let phase_id = r.req_text("phase_id")?;
    let category = r.req_text("category")?;
    let complexity_text = r.req_text("complexity")?;
    let complexity = match form {
        Form::Export => parse_complexity("complexity", &complexity_text)?,
        Form::Record => {
            Complexity::parse(&complexity_text).map_err(|e| err("complexity", e.to_string()))?
        }
    };
    let deliverables = match left_out("deliverables") {
        true => Vec::new(),
        false => decode_deliverables(r.required("deliverables", r.value("deliverables"))?)?,
    };
    let usage_kind = match r.text("usage_kind")?.as_deref() {
        None => None,
        Some("output") => Some(UsageKind::Output),
        Some("total") => Some(UsageKind::Total),
        Some(other) => {
            return Err(err(
                "usage_kind",
                format!("{other:?}: expected output or total"),
            ));
        }
    };
    Ok(EventDraft {
        run_id,
        phase_id,
        category,
        complexity,
        deliverables,
        predicted_output_tokens: r.req_count("predicted_output_tokens")?,
        actual_output_tokens: r.req_count("actual_output_tokens")?,
        selected_budget: match left_out("selected_budget") {
            true => 0,
            false => r.req_count("selected_budget")?,
        },
        success: r.req_bool("success")?,
        truncated: match left_out("truncated") {
            true => false,
            false => r.req_bool("truncated")?,
        },
        stop_reason: r.text("stop_reason")?,
        model: r.req_text("model")?,
        is_truncated_output: r.bool("is_truncated_output")?,
        doc_features: DocFeatures {
            api_reference_required: r.bool("api_reference_required")?,
            examples_required: r.bool("examples_required")?,
            research_required: r.bool("research_required")?,
            usage_guide_required: r.bool("usage_guide_required")?,
            context_quality: r.text("context_quality")?,
        },
        sot: SotFields {
            is_sot_file: r.bool("is_sot_file")?,
            sot_file_name: r.text("sot_file_name")?,
            sot_entry_count_hint: r.count("sot_entry_count_hint")?,
        },
        actual_max_tokens: r.count("actual_max_tokens")?,
        extras: TelExtras::default()
            .with_estimator_profile(r.text("estimator_profile")?)
            .with_coefficients_hash(r.text("coefficients_hash")?)
            .with_provider(r.text("provider")?)
            .with_usage_kind(usage_kind),
    })
}

/// Decodes `tel record`'s JSON form (docs/INTEGRATION.md): the original export's keys and tel's
/// extended keys the caller gives. Of the original keys, those the writer derives (`timestamp`,
/// `deliverable_count` and the metrics) are accepted and ignored: the recorder computes them. tel's
/// other extended keys (`event_id`, `created_at`, `stop_reason_kind`, `run_id_inferred`) are refused.
pub fn decode_draft(map: &Map<String, Value>) -> Result<EventDraft, FieldError> {
    let accepted = |key: &str| {
        field_named(key).is_some_and(|field| {
            field.source == Source::Caller || ORIGINAL_FIELDS.iter().any(|f| f.name == key)
        })
    };
    if let Some(key) = map.keys().find(|k| !accepted(k)) {
        return Err(err(
            key,
            "unknown key: expected the export keys of docs/FORMATS.md F5 or the extended keys a caller gives",
        ));
    }
    decode_inputs(&Record { map }, Form::Record)
}

/// Decodes a record with the 17 original export keys (deliverables sanitised as the writer does, which keeps
/// lists of ≤ 20 items of ≤ 200 code points unchanged) and, optionally, tel's extended keys.
///
/// Absent extended keys take the values the original writer implied: `created_at` = `timestamp`,
/// `is_truncated_output` = `truncated`, everything else NULL / false — except `usage_kind`: a stated
/// value (NULL included, which is how tel exports the original's rows) is kept; an absent one is
/// `output` in tel's formats and NULL in the original export (see [`Writer`]).
pub fn decode_event(
    map: &Map<String, Value>,
    writer: Writer,
) -> Result<TelemetryEvent, FieldError> {
    if let Some(key) = map.keys().find(|k| kind_of(k).is_none()) {
        return Err(err(
            key,
            "unknown key: expected the export keys of docs/FORMATS.md F5 or tel's extended keys",
        ));
    }
    if let Some(field) = ORIGINAL_FIELDS.iter().find(|f| !map.contains_key(f.name)) {
        return Err(err(field.name, "missing"));
    }
    let r = Record { map };
    let timestamp = r
        .timestamp("timestamp")?
        .ok_or_else(|| err("timestamp", "must not be null"))?;
    let input = decode_inputs(&r, Form::Export)?;
    let from_tel = match writer {
        Writer::Csv => true,
        Writer::Ndjson => map.len() > ORIGINAL_FIELDS.len(),
    };
    let usage_kind = match input.extras.usage_kind {
        None if !map.contains_key("usage_kind") && from_tel => Some(UsageKind::Output),
        stated => stated,
    };
    let event_id = r.count("event_id")?;
    if event_id == Some(0) {
        return Err(err("event_id", "must be positive, got 0"));
    }
    let event = TelemetryEvent {
        event_id,
        run_id: input.run_id,
        phase_id: input.phase_id,
        timestamp,
        category: input.category,
        complexity: input.complexity,
        deliverable_count: r.req_count("deliverable_count")?,
        deliverables_json: sanitize_deliverables(&input.deliverables).json,
        predicted_output_tokens: input.predicted_output_tokens,
        actual_output_tokens: input.actual_output_tokens,
        selected_budget: input.selected_budget,
        actual_max_tokens: input.actual_max_tokens,
        success: input.success,
        truncated: input.truncated,
        stop_reason: input.stop_reason,
        model: input.model,
        smape_percent: r.float("smape_percent")?,
        waste_ratio: r.float("waste_ratio")?,
        underestimated: r.bool("underestimated")?,
        is_truncated_output: input.is_truncated_output.unwrap_or(input.truncated),
        doc_features: input.doc_features,
        sot: input.sot,
        created_at: r.timestamp("created_at")?.unwrap_or(timestamp),
        estimator_profile: input.extras.estimator_profile,
        coefficients_hash: input.extras.coefficients_hash,
        provider: input.extras.provider,
        usage_kind,
        run_id_inferred: r.bool("run_id_inferred")?.unwrap_or(false),
    };
    check_stop_reason_kind(&r, &event)?;
    Ok(event)
}

/// `stop_reason_kind` is derived; a stated value must agree with the raw stop reason.
fn check_stop_reason_kind(r: &Record<'_>, event: &TelemetryEvent) -> Result<(), FieldError> {
    let derived: StopReasonKind = event.stop_reason_kind();
    match r.text("stop_reason_kind")? {
        Some(stated) if stated != derived.as_str() => Err(err(
            "stop_reason_kind",
            format!(
                "{stated:?} contradicts stop_reason {:?} (which means {})",
                event.stop_reason,
                derived.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complexity_synonyms_and_unknown_values_are_rejected_with_allowed_set() {
        assert_eq!(parse_complexity("complexity", "high"), Ok(Complexity::High));
        let synonym = parse_complexity("complexity", "simple").unwrap_err();
        assert!(
            synonym.message.contains("low, medium, high, maintenance"),
            "{synonym:?}"
        );
        let unknown = parse_complexity("complexity", "critical").unwrap_err();
        assert!(unknown.message.contains("\"critical\""), "{unknown:?}");
    }
}

//! Fuzz tests of the import readers (NDJSON, CSV, executor logs) and the legacy replay's log grammar:
//! valid records from the real formats with fields replaced by hostile values, then byte mutations.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};
use tel_replay::export::ExportFormat;
use tel_replay::import::ImportFormat;
use tel_replay::legacy_log::parse_legacy_line;

use crate::export::export_bytes;
use crate::fuzz::fuzz_config;
use crate::hostile::{byte_mutations, check_reader, hostile_json, hostile_word, mutate_bytes};
use crate::support::rich_event;

/// A record as `(key, value text)` pairs, in order.
type Fields = Vec<(String, String)>;

/// A structural mutation of a record: keys and values of NDJSON, columns and cells of CSV, tokens of a log line.
#[derive(Debug, Clone)]
enum FieldMutation {
    Replace(Index, String),
    Remove(Index),
    Duplicate(Index, String),
    Add(String, String),
    Swap(Index, Index),
}

fn field_mutations(value: BoxedStrategy<String>) -> impl Strategy<Value = Vec<FieldMutation>> {
    let one = prop_oneof![
        6 => (any::<Index>(), value.clone()).prop_map(|(i, v)| FieldMutation::Replace(i, v)),
        1 => any::<Index>().prop_map(FieldMutation::Remove),
        1 => (any::<Index>(), value.clone()).prop_map(|(i, v)| FieldMutation::Duplicate(i, v)),
        1 => (hostile_word(), value).prop_map(|(k, v)| FieldMutation::Add(k, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| FieldMutation::Swap(a, b)),
    ];
    prop::collection::vec(one, 1..4)
}

fn mutate_fields(mut fields: Fields, mutations: &[FieldMutation]) -> Fields {
    for mutation in mutations {
        if fields.is_empty() {
            break;
        }
        let n = fields.len();
        match mutation {
            FieldMutation::Replace(i, value) => fields[i.index(n)].1.clone_from(value),
            FieldMutation::Remove(i) => drop(fields.remove(i.index(n))),
            FieldMutation::Duplicate(i, value) => {
                let key = fields[i.index(n)].0.clone();
                fields.push((key, value.clone()));
            }
            FieldMutation::Add(key, value) => fields.push((key.clone(), value.clone())),
            FieldMutation::Swap(a, b) => fields.swap(a.index(n), b.index(n)),
        }
    }
    fields
}

/// The export's records (original and extended forms) as key / value-text pairs.
fn exported_records() -> Vec<Map<String, Value>> {
    [false, true]
        .into_iter()
        .map(|extended| {
            let bytes = export_bytes(&[rich_event()], ExportFormat::Ndjson, extended);
            serde_json::from_slice(&bytes).expect("an export line is a JSON object")
        })
        .collect()
}

fn json_fields(record: &Map<String, Value>) -> Fields {
    record
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

fn render_ndjson(fields: &Fields) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}: {v}", Value::from(k.as_str())))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// CSV cells as the exporter writes them: text kinds bare, the rest as JSON literals.
fn csv_fields(record: &Map<String, Value>) -> Fields {
    record
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.is_empty() {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn render_csv(header: &Fields, row: &Fields) -> String {
    let line = |cells: Vec<String>| cells.join(",");
    format!(
        "{}\r\n{}\r\n",
        line(header.iter().map(|(k, _)| csv_cell(k)).collect()),
        line(row.iter().map(|(_, v)| csv_cell(v)).collect())
    )
}

const LOG_LINES: [&str; 3] = [
    "[2025-12-23 22:09:15] INFO: [TokenEstimationV2] predicted_output=462 actual_output=742 smape=46.5% selected_budget=8192 category=configuration complexity=low deliverables=2 success=False stop_reason=end_turn truncated=False model=claude-sonnet-4-5",
    "2025-12-30T10:00:00 [TokenEstimationV2] predicted_output=900 actual_total=5000 selected_budget=None category=docs complexity=low deliverables=1 success=True model=m",
    "2025-12-23 10:00:00 INFO [TokenEstimation] Predicted: 500 output tokens, Actual: 114 output tokens, Error: 77.2%",
];

/// A log line's whitespace-separated tokens; `key=value` tokens split at the first `=`.
fn log_fields(line: &str) -> Fields {
    line.split(' ')
        .map(|token| match token.split_once('=') {
            Some((k, v)) => (format!("{k}="), v.to_owned()),
            None => (token.to_owned(), String::new()),
        })
        .collect()
}

fn render_log(fields: &Fields) -> String {
    let tokens: Vec<String> = fields.iter().map(|(k, v)| format!("{k}{v}")).collect();
    tokens.join(" ")
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_ndjson_import_rejects_with_file_line_or_round_trips(
        records in prop::collection::vec(
            (0usize..2, field_mutations(hostile_json().boxed())), 1..3),
        bytes in byte_mutations(),
    ) {
        let bases = exported_records();
        let lines: Vec<String> = records
            .iter()
            .map(|(base, mutations)| render_ndjson(&mutate_fields(json_fields(&bases[*base]), mutations)))
            .collect();
        let input = mutate_bytes(lines.join("\n").into_bytes(), &bytes);
        check_reader(&input, "fuzz.ndjson", ImportFormat::Ndjson)?;
    }

    #[test]
    fn fuzz_csv_import_rejects_with_file_line_or_round_trips(
        base in 0usize..2,
        header_mutations in prop::collection::vec(
            field_mutations(Just(String::new()).boxed()), 0..2),
        row_mutations in field_mutations(hostile_word().boxed()),
        bytes in byte_mutations(),
    ) {
        let record = &exported_records()[base];
        let fields = csv_fields(record);
        let header = header_mutations
            .iter()
            .fold(fields.clone(), |h, m| mutate_fields(h, m));
        let row = mutate_fields(fields, &row_mutations);
        let input = mutate_bytes(render_csv(&header, &row).into_bytes(), &bytes);
        check_reader(&input, "fuzz.csv", ImportFormat::Csv)?;
    }

    #[test]
    fn fuzz_log_import_and_legacy_grammar_reject_with_file_line_or_round_trip(
        base in 0usize..LOG_LINES.len(),
        mutations in field_mutations(hostile_word().boxed()),
        bytes in byte_mutations(),
    ) {
        let line = render_log(&mutate_fields(log_fields(LOG_LINES[base]), &mutations));
        let input = mutate_bytes(format!("{}\n{line}\n", LOG_LINES[0]).into_bytes(), &bytes);
        check_reader(&input, "fuzz.log", ImportFormat::Log)?;
        for text in String::from_utf8_lossy(&input).lines() {
            if let Some(sample) = parse_legacy_line(text) {
                prop_assert!(sample.predicted >= 0 && sample.actual >= 0);
                prop_assert!(sample.selected_budget >= 0 && sample.deliverables >= 0);
                prop_assert!(sample.smape.is_finite() && sample.smape >= 0.0);
                prop_assert!(
                    sample.complexity.chars().all(|c| c.is_alphanumeric() || c == '_'),
                    "{:?}",
                    sample
                );
            }
        }
    }
}

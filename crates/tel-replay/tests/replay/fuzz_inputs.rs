//! Fuzz tests of `tel estimate --batch` requests and coefficients files: documented examples with keys
//! replaced by hostile values, then byte (or line) mutations.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use tel_core::estimator::{ComplexityInput, EmptyWorkspace, EstimateInput, Estimator, Profile};
use tel_replay::batch::{BatchOptions, run_batch};
use tel_store::coefficients::{parse_coefficients, render_coefficients};

use crate::fuzz::fuzz_config;
use crate::hostile::{HOSTILE_WORDS, byte_mutations, hostile_json, line_count, mutate_bytes};

const REQUESTS: [&str; 2] = [
    r#"{"id": "a", "deliverables": ["Create src/autopack/new_module.py"], "category": "backend", "complexity": "medium"}"#,
    r#"{"id": 2, "deliverables": {"docs": ["BUILD_LOG.md"]}, "category": "docs", "complexity": "low", "scope_paths": ["a"], "task_description": "Create comprehensive documentation from scratch"}"#,
];
const REQUEST_KEYS: [&str; 7] = [
    "id",
    "deliverables",
    "category",
    "complexity",
    "scope_paths",
    "task_description",
    "unknown",
];

/// Sets (or, for `None`, removes) request keys, then renders the request with raw value text.
fn hostile_request(base: &str, changes: &[(Index, Option<String>)]) -> String {
    let object: serde_json::Map<String, Value> = serde_json::from_str(base).expect("example");
    let mut fields: Vec<(String, String)> = object
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    for (key, value) in changes {
        let key = REQUEST_KEYS[key.index(REQUEST_KEYS.len())];
        fields.retain(|(k, _)| k != key);
        if let Some(value) = value {
            fields.push((key.to_owned(), value.clone()));
        }
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}: {v}", Value::from(k.as_str())))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// Hostile deliverables as well: deep, wide and odd JSON.
fn request_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => hostile_json(),
        1 => prop::collection::vec(hostile_json(), 0..30).prop_map(|items| format!("[{}]", items.join(","))),
        1 => (1usize..300).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        1 => prop::collection::vec((hostile_json(), hostile_json()), 0..5).prop_map(|pairs| {
            let body: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: [{v}]", Value::from(k.as_str())))
                .collect();
            format!("{{{}}}", body.join(","))
        }),
    ]
}

/// TOML literals that coefficient values must reject or survive.
fn hostile_toml() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "nan", "+nan", "-nan", "inf", "-inf", "-1", "-0", "0", "1.5", "1e400", "-1e308",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616",
            "0x7fffffffffffffff", "\"critical\"", "\"\"", "'''); DROP TABLE token_estimation_v2_events;--'''",
            "[]", "{}", "[1, \"a\"]", "true", "1979-05-27T07:32:00Z", "{ low = 1 }",
        ])
        .prop_map(str::to_owned),
        1 => prop::sample::select(HOSTILE_WORDS).prop_map(|w| toml::Value::from(w).to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| format!("{x:?}")),
    ]
}

#[derive(Debug, Clone)]
enum LineMutation {
    /// Replace the value of the n-th `key = value` line.
    Value(Index, String),
    Remove(Index),
    Duplicate(Index),
    Insert(Index, String),
}

fn line_mutations() -> impl Strategy<Value = Vec<LineMutation>> {
    let one = prop_oneof![
        6 => (any::<Index>(), hostile_toml()).prop_map(|(i, v)| LineMutation::Value(i, v)),
        1 => any::<Index>().prop_map(LineMutation::Remove),
        1 => any::<Index>().prop_map(LineMutation::Duplicate),
        1 => (any::<Index>(), prop::sample::select(vec![
            "[budget]", "[weights]", "[[buffer]]", "version = 1", "base = \"v2-head\"", "id = \"x\"",
            "[provenance]\nmethod = \"m\"\nn = -1", "[phase_overhead.by_category.critical]\ncritical = -5",
        ])).prop_map(|(i, v)| LineMutation::Insert(i, v.to_owned())),
    ];
    prop::collection::vec(one, 1..4)
}

fn mutate_lines(text: &str, mutations: &[LineMutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for mutation in mutations {
        let n = lines.len();
        match mutation {
            LineMutation::Value(i, value) => {
                let assignments: Vec<usize> =
                    (0..n).filter(|&j| lines[j].contains(" = ")).collect();
                if let Some(&j) = assignments.get(i.index(assignments.len().max(1))) {
                    let key = lines[j].split(" = ").next().unwrap_or("").to_owned();
                    lines[j] = format!("{key} = {value}");
                }
            }
            LineMutation::Remove(i) if n > 0 => drop(lines.remove(i.index(n))),
            LineMutation::Duplicate(i) if n > 0 => {
                let j = i.index(n);
                lines.insert(j, lines[j].clone());
            }
            LineMutation::Insert(i, line) => lines.insert(i.index(n + 1), line.clone()),
            _ => {}
        }
    }
    lines.join("\n")
}

/// The inputs every accepted profile is exercised with.
fn exercise(profile: Profile) {
    let estimator = Estimator::new(profile);
    for (deliverables, category, complexity) in [
        (
            r#"["Create src/autopack/new_module.py"]"#,
            "backend",
            "medium",
        ),
        (r#"["docs/BUILD_LOG.md", "tests/test_x.py"]"#, "docs", "low"),
        ("[]", "implementation", "critical"),
    ] {
        let deliverables: Value = serde_json::from_str(deliverables).expect("json");
        let complexity = ComplexityInput::raw(complexity);
        let input = EstimateInput::new(&deliverables, category, complexity)
            .with_task_description("Create comprehensive documentation from scratch");
        let estimate = estimator.estimate(&input, &EmptyWorkspace);
        estimator.select_budget(&estimate, complexity);
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_batch_requests_answer_every_line_with_a_result_or_a_located_error(
        requests in prop::collection::vec(
            (0usize..REQUESTS.len(), prop::collection::vec(
                (any::<Index>(), prop::option::weighted(0.85, request_value())), 1..4)),
            1..4),
        bytes in byte_mutations(),
    ) {
        let lines: Vec<String> = requests
            .iter()
            .map(|(base, changes)| hostile_request(REQUESTS[*base], changes))
            .collect();
        let input = mutate_bytes(lines.join("\n").into_bytes(), &bytes);
        let mut out = Vec::new();
        let summary = run_batch(&Estimator::v2_head(), &EmptyWorkspace, input.as_slice(), "req.ndjson", &mut out, BatchOptions::default())
            .expect("in-memory batches do not fail to read or write");
        let physical = line_count(&input);
        let answers: Vec<&str> = std::str::from_utf8(&out).expect("UTF-8 output").lines().collect();
        prop_assert_eq!(answers.len() as u64, summary.requests);
        prop_assert!(summary.requests <= physical);
        let mut failed = 0;
        for answer in answers {
            let object: serde_json::Map<String, Value> = serde_json::from_str(answer).expect("a JSON object per line");
            match object.get("error") {
                Some(Value::String(error)) => {
                    failed += 1;
                    let (line, reason) = error
                        .strip_prefix("req.ndjson:")
                        .and_then(|rest| rest.split_once(": "))
                        .expect("FILE:LINE: prefix");
                    let line: u64 = line.parse().expect("a line number");
                    prop_assert!((1..=physical).contains(&line), "{}", error);
                    prop_assert!(!reason.trim().is_empty(), "{}", error);
                }
                _ => {
                    prop_assert!(object["estimated_tokens"].is_i64(), "{}", answer);
                    let budget = object["selected_budget"].as_i64().expect("budget");
                    prop_assert!((1..=64_000).contains(&budget), "{}", answer);
                }
            }
        }
        prop_assert_eq!(failed, summary.failed);
    }

    #[test]
    fn fuzz_coefficients_reject_with_file_and_place_or_round_trip(
        base in prop::sample::select(Profile::builtin_names()),
        override_file in any::<bool>(),
        mutations in line_mutations(),
        bytes in byte_mutations(),
    ) {
        let text = if override_file {
            format!("version = 1\nbase = \"{base}\"\nid = \"fit\"\nsafety_margin = 1.35\n[buffer]\nbase = 1.25\n[phase_overhead.by_category.tests]\nlow = 900\n")
        } else {
            render_coefficients(&Profile::builtin(base).expect("builtin"), None)
        };
        let mutated = mutate_bytes(mutate_lines(&text, &mutations).into_bytes(), &bytes);
        let text = String::from_utf8_lossy(&mutated);
        match parse_coefficients(&text, "fuzz.toml") {
            Err(error) => {
                let message = error.to_string();
                let reason = message.strip_prefix("fuzz.toml: ").expect("names the file");
                prop_assert!(!reason.trim().is_empty(), "{}", message);
                prop_assert!(
                    reason.starts_with("line ") || reason.contains('`') || reason.contains("missing"),
                    "names no place: {}",
                    message
                );
            }
            Ok(profile) => {
                let again = parse_coefficients(&render_coefficients(&profile, None), "rendered")
                    .expect("a rendered profile parses");
                prop_assert_eq!(&again, &profile);
                prop_assert_eq!(again.content_hash(), profile.content_hash());
                exercise(profile);
            }
        }
    }
}

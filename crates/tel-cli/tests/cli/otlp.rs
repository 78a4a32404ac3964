//! `tel import --format otlp` end to end: import, re-import as 0 new, the report's truncation, and `tel simulate` by provider / model.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::tel_db;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/otlp")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn import(db: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let current = fixture("genai-current.jsonl");
    let legacy = fixture("genai-legacy.jsonl");
    let mut args = vec![
        "import",
        "--format",
        "otlp",
        current.as_str(),
        legacy.as_str(),
    ];
    args.extend(extra);
    let out = tel_db(db, &args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn otlp_import_reimports_as_0_new_and_the_report_counts_length_truncation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("otlp.db");
    let (code, stdout, stderr) = import(&db, &["--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let first: Value = serde_json::from_str(&stdout).expect("JSON summary");
    assert_eq!(
        (first["inserted"].as_u64(), first["skipped_lines"].as_u64()),
        (Some(5), Some(3))
    );
    let (_, stdout, _) = import(&db, &["--json"]);
    let again: Value = serde_json::from_str(&stdout).expect("JSON summary");
    assert_eq!(
        (again["inserted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(5))
    );

    let out = tel_db(&db, &["report", "--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report["outcomes"]["truncated"], 3,
        "length, MAX_TOKENS and max_tokens spans"
    );
    assert_eq!(report["outcomes"]["without_prediction"], 4);
    assert_eq!(report["accuracy"]["excluded"]["no_prediction"], 4);
    let text = tel_db(&db, &["report"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("openai / gpt-4o-2024-08-06"), "{text}");
    assert!(
        text.contains("4 of 5 events have no prediction: SMAPE, waste, underestimation"),
        "{text}"
    );
}

#[test]
fn otlp_malformed_file_imports_nothing_and_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("otlp.db");
    let bad = fixture("malformed.jsonl");
    let out = tel_db(&db, &["import", "--format", "otlp", bad.as_str()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed.jsonl:3: resourceSpans[0].scopeSpans[0].spans[0].attributes.gen_ai.usage.output_tokens"), "{stderr}");
    assert!(stderr.contains("nothing imported"), "{stderr}");
}

#[test]
fn otlp_spans_without_categories_simulate_by_provider_model_and_name_what_needs_a_prediction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("otlp.db");
    let legacy = fixture("genai-legacy.jsonl");
    let out = tel_db(&db, &["import", "--format", "otlp", legacy.as_str()]);
    assert_eq!(out.status.code(), Some(0));
    let policies = [
        "simulate",
        "--policy",
        "fixed:2000",
        "--policy",
        "buffer:1.2",
        "--policy",
        "select-budget:v2-head",
    ];
    let out = tel_db(&db, &[&policies[..], &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sim: Value = serde_json::from_slice(&out.stdout).expect("JSON simulation");
    assert_eq!(sim["grouping"], "provider/model");
    let computed = sim["policies"].as_array().expect("policies");
    assert_eq!(
        computed.len(),
        1,
        "only fixed:2000 is computed: {computed:?}"
    );
    assert_eq!(computed[0]["policy"], "fixed:2000");
    let strata = &computed[0]["report"]["strata"];
    assert_eq!(strata["Anthropic/claude-3-5-sonnet"]["safe"], 1);
    assert_eq!(
        strata["Anthropic/claude-3-5-sonnet-20241022"]["would_truncate"],
        1
    );
    let refused: Vec<&str> = sim["not_computable"]
        .as_array()
        .expect("not_computable")
        .iter()
        .map(|p| p["policy"].as_str().expect("policy"))
        .collect();
    assert_eq!(refused, ["buffer:1.2", "select-budget:v2-head"]);
    assert!(
        sim["not_computable"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("prediction"))
    );
    assert!(
        sim["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("no event has a category"))
    );

    let text = tel_db(&db, &policies);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("provider/model"), "{text}");
    assert!(
        text.contains("policy buffer:1.2: not computed: buffer:<x> multiplies the prediction p"),
        "{text}"
    );
    assert!(
        !text.contains("policy buffer:1.2\n"),
        "no table of figures for buffer:1.2: {text}"
    );

    // With one span carrying tel.category the categories stay the grouping, and the note counts the others.
    let (code, _, stderr) = import(&db, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let out = tel_db(&db, &["simulate", "--policy", "buffer:1.2", "--json"]);
    let sim: Value = serde_json::from_slice(&out.stdout).expect("JSON simulation");
    assert!(
        sim.get("grouping").is_none() && sim.get("not_computable").is_none(),
        "{sim}"
    );
    assert!(
        sim["policies"][0]["report"]["strata"]["unknown/medium"].is_object(),
        "{sim}"
    );
    assert!(
        sim["notes"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("4 of 5 events have no category")),
        "{sim}"
    );
}

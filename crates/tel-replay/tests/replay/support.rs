//! Shared test support: the real-data directory, the legacy snapshot's rows, SHA-256, a sample event.

use std::path::PathBuf;
use std::process::Command;

use sha2::{Digest, Sha256};
use tel_core::{Complexity, DocFeatures, SotFields, TelemetryEvent, Timestamp};

/// `../shared/real-data` next to the workspace, when present (tests skip otherwise).
pub fn real_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/real-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: real data not found");
        None
    }
}

/// Lower-case hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The 28 legacy rows ordered by timestamp descending, event_id descending (as the original tools read them).
/// Read through the `sqlite3` CLI with floats printed at 17 significant digits, so they round-trip exactly.
pub fn legacy_events() -> Option<Vec<TelemetryEvent>> {
    let db = real_data()?.join("autopack-legacy-2025-12-24.db");
    let query = "SELECT event_id, run_id, phase_id, timestamp, category, complexity, deliverable_count, \
        deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, \
        stop_reason, model, printf('%!.17g', smape_percent) AS smape, printf('%!.17g', waste_ratio) AS waste, \
        underestimated, created_at, is_truncated_output FROM token_estimation_v2_events \
        ORDER BY timestamp DESC, event_id DESC";
    let output = Command::new("sqlite3")
        .arg("-readonly")
        .arg("-json")
        .arg(&db)
        .arg(query)
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o.stdout,
        _ => {
            println!("skipped: sqlite3 CLI not available");
            return None;
        }
    };
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&output).expect("sqlite3 -json output");
    Some(rows.iter().map(row_to_event).collect())
}

fn row_to_event(row: &serde_json::Value) -> TelemetryEvent {
    let int = |k: &str| row[k].as_i64().unwrap_or_else(|| panic!("{k}: {row}"));
    let text = |k: &str| {
        row[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {row}"))
            .to_owned()
    };
    let float = |k: &str| {
        row[k]
            .as_str()
            .map(|s| s.parse::<f64>().expect("float text"))
    };
    let ts = |k: &str| Timestamp::parse(&text(k)).expect("timestamp");
    TelemetryEvent {
        event_id: Some(int("event_id")),
        run_id: text("run_id"),
        phase_id: text("phase_id"),
        timestamp: ts("timestamp"),
        category: text("category"),
        complexity: Complexity::parse(&text("complexity")).expect("complexity"),
        deliverable_count: int("deliverable_count"),
        deliverables_json: text("deliverables_json"),
        predicted_output_tokens: int("predicted_output_tokens"),
        actual_output_tokens: int("actual_output_tokens"),
        selected_budget: int("selected_budget"),
        actual_max_tokens: None,
        success: int("success") != 0,
        truncated: int("truncated") != 0,
        stop_reason: row["stop_reason"].as_str().map(str::to_owned),
        model: text("model"),
        smape_percent: float("smape"),
        waste_ratio: float("waste"),
        underestimated: row["underestimated"].as_i64().map(|v| v != 0),
        is_truncated_output: int("is_truncated_output") != 0,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        created_at: ts("created_at"),
        estimator_profile: None,
        coefficients_hash: None,
        provider: None,
        usage_kind: None,
        run_id_inferred: false,
    }
}

/// A fully populated synthetic event (every optional field set) for format round trips.
pub fn rich_event() -> TelemetryEvent {
    TelemetryEvent {
        event_id: Some(42),
        run_id: "run,\"quoted\"".to_owned(),
        phase_id: "phase\nwith newline".to_owned(),
        timestamp: Timestamp::parse("2026-01-02 03:04:05.000006").unwrap(),
        category: "doc_sot_update".to_owned(),
        complexity: Complexity::Maintenance,
        deliverable_count: 2,
        deliverables_json: r#"["docs/BUILD_LOG.md", "docs/\u00e9\ud83d\ude00.md"]"#.to_owned(),
        predicted_output_tokens: 5000,
        actual_output_tokens: 7000,
        selected_budget: 8192,
        actual_max_tokens: Some(16384),
        success: true,
        truncated: false,
        stop_reason: Some(String::new()),
        model: "claude-sonnet-4-5".to_owned(),
        smape_percent: Some(33.33333333333333),
        waste_ratio: Some(1e-05),
        underestimated: Some(true),
        is_truncated_output: false,
        doc_features: DocFeatures {
            api_reference_required: Some(true),
            examples_required: Some(false),
            research_required: None,
            usage_guide_required: Some(true),
            context_quality: Some("some".to_owned()),
        },
        sot: SotFields {
            is_sot_file: Some(true),
            sot_file_name: Some("build_log.md".to_owned()),
            sot_entry_count_hint: Some(2),
        },
        created_at: Timestamp::parse("2026-01-02 03:04:05.5").unwrap(),
        estimator_profile: Some("v2-head".to_owned()),
        coefficients_hash: Some("abc123".to_owned()),
        provider: Some("anthropic".to_owned()),
        usage_kind: Some(tel_core::UsageKind::Output),
        run_id_inferred: true,
    }
}

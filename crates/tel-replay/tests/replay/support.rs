//! Shared test support: the real-data directory, the legacy snapshot's rows, SHA-256, a sample event.

use sha2::{Digest, Sha256};
use tel_core::{Complexity, DocFeatures, SotFields, TelemetryEvent, Timestamp};
use tel_store::{
    ConnectOptions, DatabaseUrl, EventOrder, EventQuery, MigrateAction, StoreError, connect,
    for_each_event, migrate,
};

pub use crate::real_data::real_data;

/// Lower-case hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The 28 legacy rows ordered by timestamp descending, event_id descending (as the original tools read them),
/// read through tel-store after `migrate` adopts a temporary copy of the snapshot (the original stays untouched).
pub fn legacy_events() -> Option<Vec<TelemetryEvent>> {
    let source = real_data()?.join("autopack-legacy-2025-12-24.db");
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("snapshot.db");
    std::fs::copy(source, &db).expect("copy the snapshot");
    let mut conn = connect(&DatabaseUrl::SqliteFile(db), &ConnectOptions::default()).expect("open");
    migrate(&mut conn, MigrateAction::Apply).expect("migrate the snapshot copy");
    let query = EventQuery {
        order: EventOrder::Descending,
        ..EventQuery::default()
    };
    let mut events = Vec::new();
    for_each_event(&mut conn, &query, |event| {
        events.push(event);
        Ok::<(), StoreError>(())
    })
    .expect("read the migrated snapshot");
    Some(events)
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

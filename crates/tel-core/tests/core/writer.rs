//! The original writer's regression tests (FORMATS.md F3) and the derived cases, through `EventDraft`.

use tel_core::accuracy::{EventClass, Exclusion, Truncation};
use tel_core::metrics::{error_v1, smape_replay, smape_triage, smape_writer};
use tel_core::{
    Complexity, EventDraft, EventMetrics, EventView, RejectedDraft, TelExtras, TelemetryEvent,
    Timestamp, UsageKind, ValidityGuard, sanitize_deliverables,
};

/// A draft with FORMATS.md F3's common arguments.
fn draft(predicted: i64, actual: i64, deliverables: &[&str]) -> EventDraft {
    EventDraft {
        run_id: "test-run".into(),
        phase_id: "test-phase".into(),
        category: "implementation".into(),
        complexity: Complexity::Medium,
        deliverables: deliverables.iter().map(|d| d.to_string()).collect(),
        predicted_output_tokens: predicted,
        actual_output_tokens: actual,
        selected_budget: 4096,
        success: true,
        truncated: false,
        stop_reason: Some("end_turn".into()),
        model: "claude-sonnet-4".into(),
        is_truncated_output: None,
        doc_features: Default::default(),
        sot: Default::default(),
        actual_max_tokens: None,
        extras: TelExtras::default(),
    }
}

fn now() -> Timestamp {
    Timestamp::parse("2025-12-24 01:55:10.435454").expect("valid timestamp literal")
}

fn record(draft: EventDraft) -> TelemetryEvent {
    draft
        .into_event(now(), &ValidityGuard::default())
        .expect("event passes the guard")
}

#[test]
fn enabled_write_round_trips_fields_and_metrics() {
    let deliverables = ["src/file1.py", "src/file2.py", "tests/test_file.py"];
    let event = record(draft(1200, 800, &deliverables));
    assert_eq!(event.run_id, "test-run");
    assert_eq!(event.phase_id, "test-phase");
    assert_eq!(event.category, "implementation");
    assert_eq!(event.complexity, Complexity::Medium);
    assert_eq!(event.deliverable_count, 3);
    assert_eq!(event.deliverables(), deliverables);
    assert_eq!(
        (event.predicted_output_tokens, event.actual_output_tokens),
        (1200, 800)
    );
    assert_eq!(event.selected_budget, 4096);
    assert!(event.success && !event.truncated && !event.is_truncated_output);
    assert_eq!(event.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(event.model, "claude-sonnet-4");
    assert_eq!(event.smape_percent, Some(40.0));
    assert_eq!(event.waste_ratio, Some(1.5));
    assert_eq!(event.underestimated, Some(false));
    assert_eq!((event.timestamp, event.created_at), (now(), now()));
    assert_eq!(event.event_id, None);
    assert!(!event.run_id_inferred);
}

#[test]
fn underestimate_stores_python_exact_floats() {
    let m = EventMetrics::compute(500, 700);
    assert_eq!(m.smape_percent, Some(33.33333333333333));
    assert_eq!(m.waste_ratio, Some(0.7142857142857143));
    assert_eq!(m.underestimated, Some(true));
}

#[test]
fn twenty_six_deliverables_store_twenty_and_count_all() {
    let mut items: Vec<String> = (0..25).map(|i| format!("src/file{i}.py")).collect();
    items.push(format!("src/{}.py", "x".repeat(250)));
    assert_eq!(items[25].chars().count(), 257);
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    let event = record(draft(1000, 1000, &refs));
    assert_eq!(event.deliverable_count, 26);
    assert_eq!(event.deliverables(), items[..20]);
    assert_eq!(event.metrics(), EventMetrics::compute(1000, 1000));
    assert_eq!(event.smape_percent, Some(0.0));
    assert_eq!(event.waste_ratio, Some(1.0));
    assert_eq!(event.underestimated, Some(false));
}

#[test]
fn long_first_deliverable_is_cut_to_197_chars_plus_ellipsis() {
    let long = "x".repeat(250);
    let s = sanitize_deliverables(&[long.as_str(), "src/a.py"]);
    assert_eq!(s.stored[0], format!("{}...", "x".repeat(197)));
    assert_eq!(s.stored[0].chars().count(), 200);
    assert_eq!(s.stored[1], "src/a.py");
    assert_eq!(s.count, 2);
}

#[test]
fn maintenance_complexity_event_is_recorded_with_exact_waste() {
    let mut d = draft(250, 100, &["src/x.py"]);
    d.complexity = Complexity::Maintenance;
    d.stop_reason = None;
    d.selected_budget = 512;
    let event = record(d);
    assert_eq!(event.complexity, Complexity::Maintenance);
    assert_eq!(event.deliverables_json, r#"["src/x.py"]"#);
    assert_eq!(event.waste_ratio, Some(2.5));
    assert_eq!(event.smape_percent, Some(85.71428571428571));
}

#[test]
fn actual_below_fifty_is_rejected_with_the_original_warning() {
    let err = draft(1000, 49, &["src/a.py"])
        .into_event(now(), &ValidityGuard::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "[TELEMETRY] Skipping invalid event for test-phase: actual_output_tokens=49 < 50 (likely error)"
    );
    assert!(
        draft(1000, 50, &["src/a.py"])
            .into_event(now(), &ValidityGuard::default())
            .is_ok()
    );
}

#[test]
fn smallest_valid_actual_gets_metrics() {
    let m = EventMetrics::compute(1, 50);
    assert_eq!(m.smape_percent, Some(192.15686274509804));
    assert_eq!(m.waste_ratio, Some(0.02));
    assert_eq!(m.underestimated, Some(true));
}

#[test]
fn zero_prediction_stores_null_metrics() {
    let event = record(draft(0, 100, &["src/a.py"]));
    assert_eq!(event.smape_percent, None);
    assert_eq!(event.waste_ratio, None);
    assert_eq!(event.underestimated, None);
}

#[test]
fn non_ascii_deliverable_is_escaped_like_python_json() {
    let event = record(draft(1000, 900, &["docs/é.md"]));
    assert_eq!(event.deliverables_json, r#"["docs/\u00e9.md"]"#);
    assert_eq!(event.deliverables(), ["docs/é.md"]);
}

#[test]
fn five_doc_phase_smape_is_writer_exact() {
    assert_eq!(smape_writer(5200, 16384), 103.63232023721277);
    assert_eq!(
        EventMetrics::compute(5200, 16384).smape_percent,
        Some(103.63232023721277)
    );
}

#[test]
fn named_formulas_agree_with_a1() {
    assert_eq!(smape_replay(500, 700), 33.33333333333333);
    assert_eq!(smape_triage(500, 700), 33.333333333333336);
    assert_eq!(error_v1(800, 129), Some(83.875));
}

#[test]
fn truncated_output_flag_defaults_to_truncated() {
    let mut d = draft(5200, 16384, &["docs/a.md"]);
    d.truncated = true;
    d.stop_reason = Some("max_tokens".into());
    assert!(record(d.clone()).is_truncated_output);
    d.is_truncated_output = Some(false);
    assert!(!record(d).is_truncated_output);
}

#[test]
fn unknown_run_id_needs_backfill() {
    let mut d = draft(1000, 900, &[]);
    assert!(!record(d.clone()).needs_run_id_backfill());
    d.run_id = "unknown".into();
    assert!(record(d.clone()).needs_run_id_backfill());
    d.run_id = String::new();
    assert!(record(d).needs_run_id_backfill());
}

#[test]
fn events_written_by_tel_carry_usage_kind_output_unless_told() {
    assert_eq!(
        record(draft(1000, 800, &[])).usage_kind,
        Some(UsageKind::Output)
    );
    let mut total = draft(1000, 800, &[]);
    total.extras.usage_kind = Some(UsageKind::Total);
    assert_eq!(record(total).usage_kind, Some(UsageKind::Total));
}

/// The accuracy class of an event the writer built from `draft`, predicted at 1000.
fn class_of(draft: EventDraft) -> EventClass {
    EventView::from(&record(draft)).classify(1000, 50)
}

#[test]
fn truncation_by_any_provider_spelling_counts_for_recorded_events() {
    for reason in [
        "max_tokens",
        "length",
        "MAX_TOKENS",
        "model_context_window_exceeded",
        "max_output_tokens",
        "model_length",
    ] {
        let mut d = draft(1000, 4096, &[]);
        d.stop_reason = Some(reason.into());
        d.actual_max_tokens = Some(4096);
        // The caller's flag is the original's (`stop_reason == "max_tokens"`): not what decides.
        d.truncated = false;
        assert_eq!(
            class_of(d),
            EventClass::Eligible {
                truncation: Truncation::Truncated,
                actual: 4096
            },
            "{reason}"
        );
    }
}

#[test]
fn recorded_event_without_stop_reason_is_not_total_usage_but_a_legacy_row_is() {
    let mut d = draft(1000, 800, &[]);
    d.stop_reason = None;
    assert_eq!(
        class_of(d.clone()),
        EventClass::Eligible {
            truncation: Truncation::Unknown,
            actual: 800
        }
    );
    d.actual_max_tokens = Some(800);
    assert_eq!(
        class_of(d.clone()),
        EventClass::Eligible {
            truncation: Truncation::Truncated,
            actual: 800
        },
        "B2: an unknown reason at the ceiling is truncated"
    );
    let mut legacy = record(d);
    legacy.usage_kind = None;
    assert_eq!(
        EventView::from(&legacy).classify(1000, 50),
        EventClass::Excluded(Exclusion::TotalUsage)
    );
}

#[test]
fn hostile_values_are_rejected_naming_field_and_value() {
    type Spoil = fn(&mut EventDraft);
    let cases: [(Spoil, &str); 5] = [
        (
            |d| d.predicted_output_tokens = -1,
            "predicted_output_tokens: must not be negative, got -1",
        ),
        (
            |d| d.selected_budget = i64::MIN,
            "selected_budget: must not be negative, got -9223372036854775808",
        ),
        (
            |d| d.actual_max_tokens = Some(-4096),
            "actual_max_tokens: must not be negative, got -4096",
        ),
        (
            |d| d.model = "gpt\0-4".into(),
            r#"model: "gpt\0-4" contains a NUL character (U+0000)"#,
        ),
        (|d| d.model = "m".repeat(5000), "model: 5000 bytes of text"),
    ];
    for (spoil, expected) in cases {
        let mut d = draft(1000, 800, &[]);
        spoil(&mut d);
        let err = d.into_event(now(), &ValidityGuard::default()).unwrap_err();
        assert!(matches!(err, RejectedDraft::Invalid(_)), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("[TELEMETRY] Skipping invalid event: {expected}")),
            "{message}"
        );
    }
}

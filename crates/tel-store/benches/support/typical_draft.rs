//! One typical builder call as an `EventDraft`, shared by the store benchmark and the recorder latency example.

use tel_core::{Complexity, DocFeatures, EventDraft, SotFields, TelExtras};

/// Call `i`: `phases_per_run` phases per run, five deliverables, distinct actuals, one call in nine truncated.
pub fn typical_draft(i: usize, phases_per_run: usize) -> EventDraft {
    EventDraft {
        run_id: ["run-", &(i / phases_per_run).to_string()].concat(),
        phase_id: ["p", &(i % phases_per_run).to_string(), "-implementation"].concat(),
        category: "implementation".to_owned(),
        complexity: Complexity::Medium,
        deliverables: [
            "src/a.py",
            "src/b.py",
            "tests/test_a.py",
            "docs/A.md",
            "README.md",
        ]
        .map(str::to_owned)
        .to_vec(),
        predicted_output_tokens: 5200,
        actual_output_tokens: 500 + (i % 7000) as i64,
        selected_budget: 8192,
        success: true,
        truncated: i.is_multiple_of(9),
        stop_reason: Some("end_turn".to_owned()),
        model: "claude-sonnet-4-5".to_owned(),
        is_truncated_output: None,
        doc_features: DocFeatures::default(),
        sot: SotFields::default(),
        actual_max_tokens: Some(8192),
        extras: TelExtras::default(),
    }
}

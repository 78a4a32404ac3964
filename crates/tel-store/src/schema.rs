//! Diesel table definitions of the tel store, in the physical column order of a freshly migrated
//! database (a test compares them with both backends). Integer columns are `BigInt` (SQLite's INTEGER
//! holds 64 bits); timestamps are naive UTC (text on SQLite, `timestamp` on PostgreSQL).

diesel::table! {
    /// Runs: parent of phases and telemetry (legacy databases keep their wider table).
    runs (id) {
        /// Run id.
        id -> Text,
        /// Row creation time.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Phases, unique by `(run_id, phase_id)`.
    phases (id) {
        /// Surrogate key.
        id -> BigInt,
        /// Owning run.
        run_id -> Text,
        /// Phase id, unique only within its run.
        phase_id -> Text,
    }
}

diesel::table! {
    /// One row per builder LLM call (FORMATS.md F1), plus tel's additive columns.
    token_estimation_v2_events (event_id) {
        /// Surrogate key.
        event_id -> BigInt,
        /// Run id.
        run_id -> Text,
        /// Phase id.
        phase_id -> Text,
        /// Insert time.
        timestamp -> Timestamp,
        /// Category as recorded.
        category -> Text,
        /// Complexity (CHECK: `Complexity::ALL`).
        complexity -> Text,
        /// Full number of deliverables.
        deliverable_count -> BigInt,
        /// JSON array of the first 20 sanitised deliverables.
        deliverables_json -> Text,
        /// Predicted output tokens.
        predicted_output_tokens -> BigInt,
        /// Observed output tokens.
        actual_output_tokens -> BigInt,
        /// Intended budget.
        selected_budget -> BigInt,
        /// Builder success flag.
        success -> Bool,
        /// Stop reason was a truncation.
        truncated -> Bool,
        /// Raw provider stop reason.
        stop_reason -> Nullable<Text>,
        /// Model name.
        model -> Text,
        /// Stored SMAPE percent.
        smape_percent -> Nullable<Double>,
        /// Stored waste ratio.
        waste_ratio -> Nullable<Double>,
        /// Stored underestimation flag.
        underestimated -> Nullable<Bool>,
        /// Row creation time.
        created_at -> Timestamp,
        /// Actual is a lower bound.
        is_truncated_output -> Bool,
        /// DOC_SYNTHESIS feature.
        api_reference_required -> Nullable<Bool>,
        /// DOC_SYNTHESIS feature.
        examples_required -> Nullable<Bool>,
        /// DOC_SYNTHESIS feature.
        research_required -> Nullable<Bool>,
        /// DOC_SYNTHESIS feature.
        usage_guide_required -> Nullable<Bool>,
        /// `none` / `some` / `strong`.
        context_quality -> Nullable<Text>,
        /// SOT phase flag (NULL outside SOT phases).
        is_sot_file -> Nullable<Bool>,
        /// SOT file basename.
        sot_file_name -> Nullable<Text>,
        /// SOT deliverable count.
        sot_entry_count_hint -> Nullable<BigInt>,
        /// Real ceiling sent (never backfilled).
        actual_max_tokens -> Nullable<BigInt>,
        /// tel: estimator profile id.
        estimator_profile -> Nullable<Text>,
        /// tel: coefficient-set hash.
        coefficients_hash -> Nullable<Text>,
        /// tel: provider name.
        provider -> Nullable<Text>,
        /// tel: `output` or `total`.
        usage_kind -> Nullable<Text>,
        /// tel: normalised stop reason (`StopReasonKind::as_str`).
        stop_reason_kind -> Nullable<Text>,
        /// tel: run id came from the backfill rule.
        run_id_inferred -> Nullable<Bool>,
        /// tel: content-derived key for exactly-once writes (NULL on adopted legacy rows).
        idempotency_key -> Nullable<Text>,
    }
}

diesel::table! {
    /// P10 budget escalation events (FORMATS.md F4).
    token_budget_escalation_events (event_id) {
        /// Surrogate key.
        event_id -> BigInt,
        /// Run id.
        run_id -> Text,
        /// Phase id.
        phase_id -> Text,
        /// Insert time.
        timestamp -> Timestamp,
        /// Attempt that will use the retry budget.
        attempt_index -> BigInt,
        /// `truncation` or `utilization`.
        reason -> Text,
        /// The escalated call was truncated.
        was_truncated -> Bool,
        /// Output utilisation percent.
        output_utilization -> Nullable<Double>,
        /// Escalation factor (1.25).
        escalation_factor -> Double,
        /// Base of the escalation.
        base_value -> BigInt,
        /// Where the base came from.
        base_source -> Text,
        /// The retry's max_tokens.
        retry_max_tokens -> BigInt,
        /// Candidate: selected budget.
        selected_budget -> Nullable<BigInt>,
        /// Candidate: actual max tokens.
        actual_max_tokens -> Nullable<BigInt>,
        /// Candidate: tokens used.
        tokens_used -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    runs,
    phases,
    token_estimation_v2_events,
    token_budget_escalation_events,
);

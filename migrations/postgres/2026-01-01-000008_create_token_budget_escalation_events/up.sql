-- P10 "escalate once" events (telemetry.md §5.6). IF NOT EXISTS keeps a legacy table of the same shape.
CREATE TABLE IF NOT EXISTS token_budget_escalation_events (
    event_id BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase_id TEXT NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    attempt_index BIGINT NOT NULL,
    reason TEXT NOT NULL,
    was_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    output_utilization DOUBLE PRECISION,
    escalation_factor DOUBLE PRECISION NOT NULL,
    base_value BIGINT NOT NULL,
    base_source TEXT NOT NULL,
    retry_max_tokens BIGINT NOT NULL,
    selected_budget BIGINT,
    actual_max_tokens BIGINT,
    tokens_used BIGINT,
    CONSTRAINT fk_token_budget_escalation_run_phase FOREIGN KEY (run_id, phase_id)
        REFERENCES phases (run_id, phase_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS tel_escalations_run_phase ON token_budget_escalation_events (run_id, phase_id);
CREATE INDEX IF NOT EXISTS tel_escalations_timestamp ON token_budget_escalation_events ("timestamp");

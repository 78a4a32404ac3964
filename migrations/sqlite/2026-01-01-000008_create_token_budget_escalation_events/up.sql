-- P10 "escalate once" events (telemetry.md §5.6). IF NOT EXISTS keeps a legacy table of the same shape.
CREATE TABLE IF NOT EXISTS token_budget_escalation_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase_id TEXT NOT NULL,
    timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    attempt_index INTEGER NOT NULL,
    reason TEXT NOT NULL,
    was_truncated BOOLEAN NOT NULL DEFAULT 0,
    output_utilization REAL,
    escalation_factor REAL NOT NULL,
    base_value INTEGER NOT NULL,
    base_source TEXT NOT NULL,
    retry_max_tokens INTEGER NOT NULL,
    selected_budget INTEGER,
    actual_max_tokens INTEGER,
    tokens_used INTEGER,
    CONSTRAINT fk_token_budget_escalation_run_phase FOREIGN KEY (run_id, phase_id)
        REFERENCES phases (run_id, phase_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS tel_escalations_run_phase ON token_budget_escalation_events (run_id, phase_id);
CREATE INDEX IF NOT EXISTS tel_escalations_timestamp ON token_budget_escalation_events (timestamp);

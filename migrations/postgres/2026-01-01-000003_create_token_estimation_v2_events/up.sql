-- The 19 base columns of the original telemetry table (its SQL 002 order, created_at 19th).
-- The complexity CHECK lists exactly tel_core::Complexity::ALL (a test compares them).
CREATE TABLE IF NOT EXISTS token_estimation_v2_events (
    event_id BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL,
    phase_id TEXT NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    category TEXT NOT NULL,
    complexity TEXT NOT NULL CONSTRAINT ck_token_estimation_v2_complexity
        CHECK (complexity IN ('low', 'medium', 'high', 'maintenance')),
    deliverable_count BIGINT NOT NULL,
    deliverables_json TEXT NOT NULL,
    predicted_output_tokens BIGINT NOT NULL,
    actual_output_tokens BIGINT NOT NULL,
    selected_budget BIGINT NOT NULL,
    success BOOLEAN NOT NULL,
    truncated BOOLEAN NOT NULL DEFAULT FALSE,
    stop_reason TEXT,
    model TEXT NOT NULL,
    smape_percent DOUBLE PRECISION,
    waste_ratio DOUBLE PRECISION,
    underestimated BOOLEAN,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT fk_token_est_v2_run FOREIGN KEY (run_id)
        REFERENCES runs (id) ON DELETE CASCADE,
    CONSTRAINT fk_token_est_v2_run_phase FOREIGN KEY (run_id, phase_id)
        REFERENCES phases (run_id, phase_id) ON DELETE CASCADE
);
-- Reading order (timestamp, event_id) in both directions.
CREATE INDEX IF NOT EXISTS tel_events_timestamp_event_id ON token_estimation_v2_events ("timestamp", event_id);
-- Run filters and both foreign keys' child lookups (run_id is the prefix).
CREATE INDEX IF NOT EXISTS tel_events_run_phase ON token_estimation_v2_events (run_id, phase_id);
-- Category / complexity filters and groupings.
CREATE INDEX IF NOT EXISTS tel_events_category_complexity ON token_estimation_v2_events (category, complexity);

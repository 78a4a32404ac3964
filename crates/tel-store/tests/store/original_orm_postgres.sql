-- A PostgreSQL database as the original's ORM (create_all) would leave it, written for tel's tests from
-- FORMATS.md F4 (the final ORM columns; the escalation table): native enum types for states, 32-bit integers,
-- VARCHAR text, no CHECK on complexity, nullable is_sot_file defaulting to false, the composite
-- foreign key fk_token_est_v2_run_phase and the unique (run_id, phase_id) of phases.
CREATE TYPE runstate AS ENUM ('QUEUED', 'PLAN_BOOTSTRAP', 'RUN_CREATED', 'PHASE_QUEUEING', 'PHASE_EXECUTION',
    'GATE', 'CI_RUNNING', 'SNAPSHOT_CREATED', 'DONE_SUCCESS', 'DONE_FAILED_BUDGET_EXHAUSTED',
    'DONE_FAILED_POLICY_VIOLATION', 'DONE_FAILED_REQUIRES_HUMAN_REVIEW', 'DONE_FAILED_ENVIRONMENT');
CREATE TYPE tierstate AS ENUM ('PENDING', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'SKIPPED');
CREATE TYPE phasestate AS ENUM ('QUEUED', 'EXECUTING', 'GATE', 'CI_RUNNING', 'COMPLETE', 'FAILED', 'SKIPPED');

CREATE TABLE runs (
    id VARCHAR NOT NULL PRIMARY KEY,
    state runstate NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    started_at TIMESTAMP WITHOUT TIME ZONE,
    completed_at TIMESTAMP WITHOUT TIME ZONE,
    safety_profile VARCHAR NOT NULL,
    run_scope VARCHAR NOT NULL,
    token_cap INTEGER NOT NULL,
    max_phases INTEGER NOT NULL,
    max_duration_minutes INTEGER NOT NULL,
    max_minor_issues_total INTEGER,
    tokens_used INTEGER NOT NULL,
    ci_runs_used INTEGER NOT NULL,
    minor_issues_count INTEGER NOT NULL,
    major_issues_count INTEGER NOT NULL,
    promotion_eligible_to_main VARCHAR NOT NULL,
    debt_status VARCHAR,
    failure_reason TEXT,
    goal_anchor TEXT
);

CREATE TABLE tiers (
    id SERIAL PRIMARY KEY,
    tier_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    tier_index INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    description TEXT,
    state tierstate NOT NULL,
    token_cap INTEGER,
    ci_run_cap INTEGER,
    max_minor_issues_tolerated INTEGER,
    max_major_issues_tolerated INTEGER NOT NULL,
    tokens_used INTEGER NOT NULL,
    ci_runs_used INTEGER NOT NULL,
    minor_issues_count INTEGER NOT NULL,
    major_issues_count INTEGER NOT NULL,
    cleanliness VARCHAR NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    started_at TIMESTAMP WITHOUT TIME ZONE,
    completed_at TIMESTAMP WITHOUT TIME ZONE
);

CREATE TABLE phases (
    id SERIAL PRIMARY KEY,
    phase_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tier_id INTEGER NOT NULL REFERENCES tiers (id),
    phase_index INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    description TEXT,
    state phasestate NOT NULL,
    task_category VARCHAR,
    complexity VARCHAR,
    builder_mode VARCHAR,
    builder_attempts INTEGER NOT NULL,
    auditor_attempts INTEGER NOT NULL,
    tokens_used INTEGER NOT NULL,
    minor_issues_count INTEGER NOT NULL,
    major_issues_count INTEGER NOT NULL,
    issue_state VARCHAR NOT NULL,
    quality_level VARCHAR,
    quality_blocked BOOLEAN NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    scope JSON,
    retry_attempt INTEGER NOT NULL DEFAULT 0,
    revision_epoch INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uq_phases_run_id_phase_id UNIQUE (run_id, phase_id)
);
CREATE INDEX ix_phases_phase_id ON phases (phase_id);

CREATE TABLE token_estimation_v2_events (
    event_id SERIAL PRIMARY KEY,
    run_id VARCHAR NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase_id VARCHAR NOT NULL,
    "timestamp" TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    category VARCHAR NOT NULL,
    complexity VARCHAR NOT NULL,
    deliverable_count INTEGER NOT NULL,
    deliverables_json TEXT NOT NULL,
    predicted_output_tokens INTEGER NOT NULL,
    actual_output_tokens INTEGER NOT NULL,
    selected_budget INTEGER NOT NULL,
    actual_max_tokens INTEGER,
    success BOOLEAN NOT NULL,
    truncated BOOLEAN NOT NULL,
    stop_reason VARCHAR,
    model VARCHAR NOT NULL,
    smape_percent DOUBLE PRECISION,
    waste_ratio DOUBLE PRECISION,
    underestimated BOOLEAN,
    is_truncated_output BOOLEAN NOT NULL DEFAULT FALSE,
    api_reference_required BOOLEAN,
    examples_required BOOLEAN,
    research_required BOOLEAN,
    usage_guide_required BOOLEAN,
    context_quality VARCHAR,
    is_sot_file BOOLEAN DEFAULT FALSE,
    sot_file_name VARCHAR,
    sot_entry_count_hint INTEGER,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    CONSTRAINT fk_token_est_v2_run_phase FOREIGN KEY (run_id, phase_id)
        REFERENCES phases (run_id, phase_id) ON DELETE CASCADE
);
CREATE INDEX ix_telemetry_run_category ON token_estimation_v2_events (run_id, category);
CREATE INDEX ix_telemetry_category_timestamp ON token_estimation_v2_events (category, "timestamp");

-- One run with a tier and two phases, as the executor creates them.
INSERT INTO runs VALUES ('build129-p3-week1-telemetry', 'DONE_SUCCESS', '2025-12-23 10:00:00', '2025-12-24 10:00:00',
    NULL, NULL, 'normal', 'multi_tier', 5000000, 25, 120, NULL, 0, 0, 0, 0, 'false', NULL, NULL, NULL);
INSERT INTO tiers (tier_id, run_id, tier_index, name, state, max_major_issues_tolerated, tokens_used, ci_runs_used,
    minor_issues_count, major_issues_count, cleanliness, created_at, updated_at)
VALUES ('T1', 'build129-p3-week1-telemetry', 0, 'Telemetry', 'COMPLETE', 0, 0, 0, 0, 0, 'clean',
    '2025-12-23 10:00:00', '2025-12-23 10:00:00');
INSERT INTO phases (phase_id, run_id, tier_id, phase_index, name, state, builder_attempts, auditor_attempts, tokens_used,
    minor_issues_count, major_issues_count, issue_state, quality_blocked, created_at, updated_at)
VALUES ('build129-p3-w1.9-documentation-low-5files', 'build129-p3-week1-telemetry', 1, 0, 'Docs', 'COMPLETE', 1, 0, 0,
    0, 0, 'no_issues', FALSE, '2025-12-23 10:00:00', '2025-12-23 10:00:00'),
  ('build129-p3-w1.1-estimator', 'build129-p3-week1-telemetry', 1, 1, 'Estimator', 'FAILED', 2, 0, 0,
    0, 0, 'none', FALSE, '2025-12-23 10:00:00', '2025-12-23 10:00:00');

-- Telemetry rows: a manual row without a timestamp fraction whose stored metrics the formula would
-- not give, a truncated row with NULL metrics and a known ceiling, and a SOT row.
INSERT INTO token_estimation_v2_events (run_id, phase_id, "timestamp", category, complexity, deliverable_count,
    deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, actual_max_tokens, success,
    truncated, stop_reason, model, smape_percent, waste_ratio, underestimated, is_truncated_output, is_sot_file,
    sot_file_name, sot_entry_count_hint, created_at)
VALUES ('build129-p3-week1-telemetry', 'build129-p3-w1.1-estimator', '2025-12-23 15:33:55', 'implementation', 'low',
    1, '["src/a.py"]', 100, 120, 8192, NULL, TRUE, FALSE, 'end_turn', 'claude', 100.0, 0.83, TRUE, FALSE, NULL, NULL,
    NULL, '2025-12-23 15:33:55'),
  ('build129-p3-week1-telemetry', 'build129-p3-w1.9-documentation-low-5files', '2025-12-24 01:55:10.435454',
    'documentation', 'maintenance', 5, '["docs/a.md", "docs/\u00e9.md"]', 5200, 16384, 8192, 16384, FALSE, TRUE,
    'max_tokens', 'claude-sonnet-4-5', NULL, NULL, NULL, FALSE, FALSE, NULL, NULL, '2025-12-24 01:55:10.435983'),
  ('build129-p3-week1-telemetry', 'build129-p3-w1.9-documentation-low-5files', '2025-12-24 02:00:00.000001',
    'doc_sot_update', 'medium', 3, '["BUILD_LOG.md"]', 900, 1000, 4096, 4096, TRUE, FALSE, NULL, 'claude-sonnet-4-5',
    10.526315789473685, 0.9, TRUE, FALSE, TRUE, 'build_log.md', 3, '2025-12-24 02:00:00.000002');

-- Rows with run_id 'unknown' (the original's missing run id), as a dump restored with
-- `pg_restore --disable-triggers` holds them: their parents do not exist.
SET session_replication_role = replica;
INSERT INTO token_estimation_v2_events (run_id, phase_id, "timestamp", category, complexity, deliverable_count,
    deliverables_json, predicted_output_tokens, actual_output_tokens, selected_budget, success, truncated, stop_reason,
    model, smape_percent, waste_ratio, underestimated, created_at)
VALUES ('unknown', 'build129-p3-w1.9-documentation-low-5files', '2025-12-24 03:00:00.5', 'documentation', 'low', 0,
    '[]', 5200, 16384, 8192, FALSE, TRUE, 'max_tokens', 'claude-sonnet-4-5', 103.63232023721277, 0.3173828125, TRUE,
    '2025-12-24 03:00:00.5'),
  ('unknown', 'lovable-p2.3-missing-import-autofix', '2025-12-24 04:00:00', 'implementation', 'high', 2,
    '["src/x.ts", "src/y.ts"]', 7000, 6000, 8192, TRUE, FALSE, 'end_turn', 'claude-sonnet-4-5', 15.384615384615385,
    1.1666666666666667, FALSE, '2025-12-24 04:00:00');
SET session_replication_role = DEFAULT;

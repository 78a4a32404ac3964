-- Phases: identity is (run_id, phase_id); phase ids repeat across runs.
CREATE TABLE IF NOT EXISTS phases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase_id TEXT NOT NULL
);
-- Parent key of the composite foreign keys (legacy databases got the same index from their migration 003).
CREATE UNIQUE INDEX IF NOT EXISTS uq_phases_run_id_phase_id ON phases (run_id, phase_id);
-- Serves the run_id backfill lookup by phase id.
CREATE INDEX IF NOT EXISTS ix_phases_phase_id ON phases (phase_id);

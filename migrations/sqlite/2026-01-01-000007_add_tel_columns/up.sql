-- tel's additive, nullable columns (NULL on legacy rows) and the content-derived idempotency key
-- that makes import and spool replay exactly-once.
ALTER TABLE token_estimation_v2_events ADD COLUMN estimator_profile TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN coefficients_hash TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN provider TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN usage_kind TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN stop_reason_kind TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN run_id_inferred BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX tel_events_idempotency_key ON token_estimation_v2_events (idempotency_key);

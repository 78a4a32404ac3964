DROP INDEX tel_events_idempotency_key;
ALTER TABLE token_estimation_v2_events DROP COLUMN idempotency_key;
ALTER TABLE token_estimation_v2_events DROP COLUMN run_id_inferred;
ALTER TABLE token_estimation_v2_events DROP COLUMN stop_reason_kind;
ALTER TABLE token_estimation_v2_events DROP COLUMN usage_kind;
ALTER TABLE token_estimation_v2_events DROP COLUMN provider;
ALTER TABLE token_estimation_v2_events DROP COLUMN coefficients_hash;
ALTER TABLE token_estimation_v2_events DROP COLUMN estimator_profile;

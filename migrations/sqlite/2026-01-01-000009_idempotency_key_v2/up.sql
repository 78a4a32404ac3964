-- Idempotency keys of version 2 (crates/tel-store/src/idempotency.rs): keys of an older version are
-- cleared here and recomputed from the stored values by `tel migrate` in the same transaction.
UPDATE token_estimation_v2_events SET idempotency_key = NULL
WHERE idempotency_key IS NOT NULL AND idempotency_key NOT LIKE 'v2:%';

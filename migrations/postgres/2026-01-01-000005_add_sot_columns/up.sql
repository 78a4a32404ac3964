-- Source-of-truth file columns. is_sot_file is nullable: tel writes NULL for non-SOT phases
-- (one nullability for schema and writer; the original's SQL 007 said NOT NULL and lost every non-SOT row).
ALTER TABLE token_estimation_v2_events ADD COLUMN is_sot_file BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN sot_file_name TEXT;
ALTER TABLE token_estimation_v2_events ADD COLUMN sot_entry_count_hint BIGINT;

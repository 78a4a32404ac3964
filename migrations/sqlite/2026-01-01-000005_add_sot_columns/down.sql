ALTER TABLE token_estimation_v2_events DROP COLUMN sot_entry_count_hint;
ALTER TABLE token_estimation_v2_events DROP COLUMN sot_file_name;
ALTER TABLE token_estimation_v2_events DROP COLUMN is_sot_file;

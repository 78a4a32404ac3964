-- Phase-3 feature columns (the original's add_telemetry_features script), added, never rebuilt.
ALTER TABLE token_estimation_v2_events ADD COLUMN is_truncated_output BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE token_estimation_v2_events ADD COLUMN api_reference_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN examples_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN research_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN usage_guide_required BOOLEAN;
ALTER TABLE token_estimation_v2_events ADD COLUMN context_quality TEXT;

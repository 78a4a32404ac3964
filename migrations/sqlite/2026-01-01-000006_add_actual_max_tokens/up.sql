-- The real ceiling sent with the request (BUILD-142). Never backfilled from selected_budget:
-- legacy rows keep NULL because their ceiling is unknown.
ALTER TABLE token_estimation_v2_events ADD COLUMN actual_max_tokens INTEGER;

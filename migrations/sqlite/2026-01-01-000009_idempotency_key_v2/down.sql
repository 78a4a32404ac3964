-- Version-2 keys stay: an older key version cannot be recomputed from them, and without keys a
-- re-import would store every event twice.
SELECT 1;

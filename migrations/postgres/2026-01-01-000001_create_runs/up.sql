-- Runs: parent of phases and telemetry. IF NOT EXISTS keeps a legacy database's wider runs table.
CREATE TABLE IF NOT EXISTS runs (
    id TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

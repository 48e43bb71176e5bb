-- Per-request operational records of provider calls (like X-Road's operational monitoring):
-- kept for WASL_CALL_RECORDS_DAYS, queryable by provider and time window.
CREATE TABLE provider_calls (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  provider        TEXT NOT NULL,
  operation       TEXT NOT NULL,
  order_id        TEXT,
  endpoint        TEXT NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT NOT NULL,
  duration_ms     INTEGER NOT NULL,
  outcome         TEXT NOT NULL,
  status          INTEGER,
  fault_code      TEXT,
  attempts        INTEGER NOT NULL,
  request_bytes   INTEGER NOT NULL,
  response_bytes  INTEGER NOT NULL
);
CREATE INDEX provider_calls_provider ON provider_calls (provider, started_at);
CREATE INDEX provider_calls_started ON provider_calls (started_at);
CREATE INDEX provider_calls_order ON provider_calls (order_id);

-- What the bus needs to keep in the store: dead letters (listable, replayable whatever the back
-- end), the events each consumer has processed (to drop duplicates), and leases (one relay).
CREATE TABLE dead_letters (
  id            TEXT PRIMARY KEY,
  event_id      TEXT NOT NULL,
  service_code  TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  reason        TEXT NOT NULL,
  message       JSONB NOT NULL,
  history       JSONB NOT NULL,
  dead_at       TIMESTAMPTZ NOT NULL,
  UNIQUE (event_id, service_code)
);
CREATE INDEX dead_letters_service ON dead_letters (service_code, dead_at);

CREATE TABLE processed_events (
  consumer      TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  processed_at  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);

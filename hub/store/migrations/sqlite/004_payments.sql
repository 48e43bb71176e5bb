-- Receipts (one per paid order, numbered in order of issue) and every verified provider
-- callback (payment and postal), keyed by the provider's event id so a repeat changes nothing.
CREATE TABLE receipts (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  number     TEXT NOT NULL UNIQUE,
  order_id   TEXT NOT NULL UNIQUE REFERENCES orders (id),
  doc        TEXT NOT NULL
);

CREATE TABLE provider_callbacks (
  provider      TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  order_id      TEXT,
  reference     TEXT,
  amount        INTEGER,
  currency      TEXT,
  outcome       TEXT NOT NULL,
  occurred_at   TEXT,
  received_at   TEXT NOT NULL,
  PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;
CREATE INDEX provider_callbacks_order ON provider_callbacks (order_id);
CREATE INDEX provider_callbacks_received ON provider_callbacks (received_at);

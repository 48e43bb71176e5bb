-- Orders, their timeline, the outbox and idempotency keys.
CREATE TABLE orders (
  id            TEXT PRIMARY KEY,
  service_code  TEXT NOT NULL,
  channel_id    TEXT NOT NULL,
  status        TEXT NOT NULL,
  doc           TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_service ON orders (service_code, id);
CREATE INDEX orders_channel ON orders (channel_id, id);

CREATE TABLE order_timeline (
  order_id  TEXT NOT NULL REFERENCES orders (id),
  seq       INTEGER NOT NULL,
  doc       TEXT NOT NULL,
  PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;

CREATE TABLE outbox (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT NOT NULL UNIQUE,
  order_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  service_code  TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  published_at  TEXT
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE idempotency_keys (
  channel_id    TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (channel_id, key)
) WITHOUT ROWID;

-- Orders, their timeline, the outbox and idempotency keys.
CREATE TABLE orders (
  id            TEXT COLLATE "C" PRIMARY KEY,
  service_code  TEXT NOT NULL,
  channel_id    TEXT NOT NULL,
  status        TEXT NOT NULL,
  doc           JSONB NOT NULL
);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_service ON orders (service_code, id);
CREATE INDEX orders_channel ON orders (channel_id, id);

CREATE TABLE order_timeline (
  order_id  TEXT COLLATE "C" NOT NULL REFERENCES orders (id),
  seq       INTEGER NOT NULL,
  doc       JSONB NOT NULL,
  PRIMARY KEY (order_id, seq)
);

CREATE TABLE outbox (
  seq           BIGSERIAL PRIMARY KEY,
  event_id      TEXT NOT NULL UNIQUE,
  order_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  service_code  TEXT NOT NULL,
  payload       JSONB NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  published_at  TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE idempotency_keys (
  channel_id    TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel_id, key)
);

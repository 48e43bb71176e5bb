-- The embedded bus: one table of messages, a queue per service. A message is ready when
-- available_at has passed; claiming it leases it (available_at moves to the end of the
-- visibility timeout) to one delivery token, so a message whose consumer died comes back.
CREATE TABLE bus_messages (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  queue         TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  message       TEXT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 1,
  history       TEXT NOT NULL DEFAULT '[]',
  deliveries    INTEGER NOT NULL DEFAULT 0,
  available_at  INTEGER NOT NULL,
  delivery      TEXT
);
CREATE INDEX bus_messages_ready ON bus_messages (queue, available_at, id);

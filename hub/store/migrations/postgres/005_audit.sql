-- The audit trail (hub/audit/chain.ts): records chained by hashes, and the seals of whole days.
CREATE TABLE audit_log (
  seq      BIGINT PRIMARY KEY,
  at       TEXT NOT NULL,
  kind     TEXT NOT NULL,
  actor    TEXT NOT NULL,
  subject  TEXT NOT NULL,
  data     TEXT NOT NULL,
  prev     TEXT NOT NULL,
  hash     TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);

CREATE TABLE audit_seals (
  day        TEXT PRIMARY KEY,
  last_seq   BIGINT NOT NULL,
  hash       TEXT NOT NULL,
  sealed_at  TEXT NOT NULL
);

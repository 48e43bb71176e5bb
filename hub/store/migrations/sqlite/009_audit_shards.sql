-- The audit trail in keyed shards (hub/audit/chain.ts): each record in one of several chains,
-- each chain's head in audit_heads, the seals' copies in audit_seals (the witness outside the
-- store has the originals: hub/audit/seal.ts). The records of the one unkeyed chain written
-- before stay as they were in audit_log_v1 (hub/audit/legacy.ts), the day seals in audit_seals_v1.
DROP INDEX IF EXISTS audit_log_operator_actions;
DROP INDEX IF EXISTS audit_log_at;
DROP INDEX IF EXISTS audit_log_subject;
ALTER TABLE audit_log RENAME TO audit_log_v1;
ALTER TABLE audit_seals RENAME TO audit_seals_v1;

CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY,
  shard      INTEGER NOT NULL,
  shard_seq  INTEGER NOT NULL,
  at         TEXT NOT NULL,
  kind       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  subject    TEXT NOT NULL,
  data       TEXT NOT NULL,
  prev       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  mac        TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  UNIQUE (shard, shard_seq)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_operator_actions ON audit_log (seq) WHERE kind = 'operator.action';

CREATE TABLE audit_heads (
  shard      INTEGER PRIMARY KEY,
  shard_seq  INTEGER NOT NULL,
  hash       TEXT NOT NULL
);

CREATE TABLE audit_seals (
  n     INTEGER PRIMARY KEY,
  at    TEXT NOT NULL,
  seal  TEXT NOT NULL
);

-- The audit trail in keyed shards (hub/audit/chain.ts): each record in one of several chains,
-- each chain's head a row of audit_heads that its appends lock (FOR UPDATE: an append waits only
-- for one to the same shard), the seals' copies in audit_seals (the witness outside the store has
-- the originals: hub/audit/seal.ts). The MAC that links a record needs a key the database does
-- not hold, so the chain is computed by the hub, not here: wasl_audit_append is gone. The
-- records of the one unkeyed chain written before stay as they were in audit_log_v1
-- (hub/audit/legacy.ts), the day seals in audit_seals_v1.
DROP FUNCTION IF EXISTS wasl_audit_append(text[], text[], text[], text[], text[], text[], text[]);
DROP INDEX IF EXISTS audit_log_operator_actions;
DROP INDEX IF EXISTS audit_log_at;
DROP INDEX IF EXISTS audit_log_subject;
ALTER TABLE audit_log RENAME TO audit_log_v1;
ALTER TABLE audit_log_v1 RENAME CONSTRAINT audit_log_pkey TO audit_log_v1_pkey;
ALTER TABLE audit_seals RENAME TO audit_seals_v1;
ALTER TABLE audit_seals_v1 RENAME CONSTRAINT audit_seals_pkey TO audit_seals_v1_pkey;

CREATE TABLE audit_log (
  seq        BIGSERIAL PRIMARY KEY,
  shard      INTEGER NOT NULL,
  shard_seq  BIGINT NOT NULL,
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

-- Every shard's row exists before its first append, so that the first appends lock it too
-- (WASL_AUDIT_SHARDS is at most 256; shard 0 is the operator actions').
CREATE TABLE audit_heads (
  shard      INTEGER PRIMARY KEY,
  shard_seq  BIGINT NOT NULL,
  hash       TEXT NOT NULL
);
INSERT INTO audit_heads (shard, shard_seq, hash) SELECT g, 0, repeat('0', 64) FROM generate_series(0, 256) g;

CREATE TABLE audit_seals (
  n     BIGINT PRIMARY KEY,
  at    TEXT NOT NULL,
  seal  TEXT NOT NULL
);

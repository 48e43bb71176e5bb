-- The document store (hub/documents/): ministries' documents, encrypted, per chunk. Numbered 020,
-- apart from the store's own sequence: the runner applies files in name order, each once by version.
CREATE TABLE documents (
  id          TEXT PRIMARY KEY,
  order_id    TEXT,
  media_type  TEXT NOT NULL,
  filename    TEXT,
  provider    TEXT NOT NULL,
  operation   TEXT NOT NULL,
  source      TEXT NOT NULL,
  -- size, sha256 and chunks are set with stored_at, when the last chunk is written; a row without
  -- stored_at is an upload under way (or abandoned, swept by purgeExpired) and no reader sees it.
  size        BIGINT,
  sha256      TEXT,
  chunks      INTEGER,
  -- Which content key sealed it (hub/documents/keys.ts): tells a changed WASL_SECRET from damage.
  key_id      TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  stored_at   TIMESTAMPTZ,
  expires_at  TIMESTAMPTZ,
  -- Retention over: the chunks are deleted, this row and its hash stay.
  purged_at   TIMESTAMPTZ
);
CREATE INDEX documents_order ON documents (order_id);
CREATE INDEX documents_due ON documents (expires_at) WHERE purged_at IS NULL;
CREATE INDEX documents_incomplete ON documents (created_at) WHERE stored_at IS NULL;

-- Chunks of 256 KiB: bytea, TOASTed out of line (already encrypted: no compression to gain).
CREATE TABLE document_chunks (
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  iv          BYTEA NOT NULL,
  tag         BYTEA NOT NULL,
  ct          BYTEA NOT NULL,
  PRIMARY KEY (document_id, idx)
);
-- Out of line and never compressed: ciphertext does not compress, trying would only cost CPU.
ALTER TABLE document_chunks ALTER COLUMN ct SET STORAGE EXTERNAL;

-- Verification codes, kept as their HMAC (hub/documents/codes.ts), never as the code.
CREATE TABLE document_codes (
  code_hash   TEXT PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  type        TEXT NOT NULL,
  issuer      TEXT NOT NULL,
  issued_at   TIMESTAMPTZ NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX document_codes_document ON document_codes (document_id);

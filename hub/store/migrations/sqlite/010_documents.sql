-- The document store (hub/documents/): ministries' documents, encrypted, per chunk. Numbered 020,
-- apart from the store's own sequence: the runner applies files in name order, each once by name.
-- Timestamps are ISO-8601 text, as everywhere in this schema: toISOString's, which compare as text.
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
  size        INTEGER,
  sha256      TEXT,
  chunks      INTEGER,
  -- Which content key sealed it (hub/documents/keys.ts): tells a changed WASL_SECRET from damage.
  key_id      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  stored_at   TEXT,
  expires_at  TEXT,
  -- Retention over: the chunks are deleted, this row and its hash stay.
  purged_at   TEXT
);
CREATE INDEX documents_order ON documents (order_id);
CREATE INDEX documents_due ON documents (expires_at) WHERE purged_at IS NULL;
CREATE INDEX documents_incomplete ON documents (created_at) WHERE stored_at IS NULL;

-- A rowid table, not WITHOUT ROWID: its rows are 256 KiB blobs, far beyond the inline limit.
CREATE TABLE document_chunks (
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  iv          BLOB NOT NULL,
  tag         BLOB NOT NULL,
  ct          BLOB NOT NULL,
  PRIMARY KEY (document_id, idx)
);

-- Verification codes, kept as their HMAC (hub/documents/codes.ts), never as the code.
CREATE TABLE document_codes (
  code_hash   TEXT PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  type        TEXT NOT NULL,
  issuer      TEXT NOT NULL,
  issued_at   TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX document_codes_document ON document_codes (document_id);

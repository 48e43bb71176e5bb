/**
 * What a back end does for the document store: rows in, rows out, nothing else. The format, the
 * keys and every check live in hub/documents/encrypted.ts, so SQLite and PostgreSQL cannot drift
 * apart in what they accept. Tables: hub/store/migrations/sqlite/010_documents.sql and postgres/011_documents.sql.
 */
import type { SealedChunk } from './chunks';
import type { PurgeResult } from './store';

/** A `documents` row. Timestamps are ISO-8601 strings here (SQLite keeps them so, PostgreSQL as timestamptz). */
export interface DocumentRow {
  id: string;
  order_id: string | null;
  media_type: string;
  filename: string | null;
  provider: string;
  operation: string;
  source: string;
  /** Null while the content is streaming in. */
  size: number | null;
  sha256: string | null;
  chunks: number | null;
  key_id: string;
  created_at: string;
  /** Set when the last chunk is written: until then the document does not exist for readers. */
  stored_at: string | null;
  expires_at: string | null;
  purged_at: string | null;
}

export type NewDocumentRow = Omit<DocumentRow, 'size' | 'sha256' | 'chunks' | 'stored_at' | 'purged_at'>;

export interface Completion {
  size: number;
  sha256: string;
  chunks: number;
  stored_at: string;
}

export interface CodeRow {
  code_hash: string;
  document_id: string;
  type: string;
  issuer: string;
  issued_at: string;
  created_at: string;
}

export interface DocumentRows {
  /**
   * One atomic write: the document's row first when `row` is given (with its first chunk), the
   * chunk, and the completion when `done` is given (with its last). A one-chunk document is thus
   * one transaction: stored whole or not at all. Throws when the row is gone (swept as abandoned).
   */
  writeChunk(id: string, index: number, chunk: SealedChunk, row?: NewDocumentRow, done?: Completion): Promise<void>;
  /** Deletes an incomplete document: its row and its chunks. */
  discard(id: string): Promise<void>;
  get(id: string): Promise<DocumentRow | undefined>;
  chunk(id: string, index: number): Promise<SealedChunk | undefined>;
  /**
   * One batch of at most `limit` of each: documents stored and due at `now` lose their chunks and
   * get purged_at = now; incomplete ones created before `abandonedBefore` are deleted whole.
   */
  purgeBatch(now: string, abandonedBefore: string, limit: number): Promise<PurgeResult>;
  /** False when the hash is already taken (a code drawn twice: the caller draws another). */
  insertCode(row: CodeRow): Promise<boolean>;
  findCode(codeHash: string): Promise<CodeRow | undefined>;
}

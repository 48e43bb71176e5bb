/**
 * The document store on the hub's SQLite database (hub/sqlite/database.ts): its tables beside the
 * store's, written through the same group commit, read on the same connection.
 *
 * Constructing it (the hub's composition, once it is wired in):
 *
 *   import { DocumentKeys } from './documents/keys';
 *   import { openDocumentStore } from './documents/sqlite';
 *   const documents = openDocumentStore(sqliteStore.database, {
 *     keys: DocumentKeys.from({ secret: config.secret, dataDir: config.dataDir }),
 *   });
 *
 * It applies the store's migrations (idempotent: the ones SqliteStore already applied are
 * skipped), so it may be opened before or after the SqliteStore on the same database. The caller
 * owns and closes the database; the document store holds nothing to close. A chunk is one write
 * (one group commit, durable before the next chunk is read), so a put streams at the speed of the
 * WAL's syncs; a document of one chunk — most certificates — is one transaction.
 *
 * Purging runs with secure_delete on, for its own statements only: the freed pages are zeroed
 * rather than left in the file (the WAL holds the old frames until its next checkpoint, and
 * backups taken earlier keep what they had — encrypted, like everything here).
 */
import { join } from 'node:path';
import type { SqliteDatabase } from '../sqlite/database';
import type { SealedChunk } from './chunks';
import { EncryptedDocumentStore } from './encrypted';
import type { CodeRow, Completion, DocumentRow, DocumentRows, NewDocumentRow } from './rows';
import type { DocumentStore, DocumentStoreOptions, PurgeResult } from './store';

/** The store's migrations, where SqliteStore applies them from (hub/store/sqlite/index.ts). */
const MIGRATIONS = join(__dirname, '..', 'store', 'migrations', 'sqlite');

export function openDocumentStore(database: SqliteDatabase, opts: DocumentStoreOptions): DocumentStore {
  database.migrate('store', MIGRATIONS);
  return new EncryptedDocumentStore(new SqliteDocumentRows(database), opts);
}

export class SqliteDocumentRows implements DocumentRows {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      insertRow: db.prepare<[NewDocumentRow]>(
        `INSERT INTO documents (id, order_id, media_type, filename, provider, operation, source, key_id, created_at, expires_at)
         VALUES (@id, @order_id, @media_type, @filename, @provider, @operation, @source, @key_id, @created_at, @expires_at)`,
      ),
      insertChunk: db.prepare<[string, number, Buffer, Buffer, Buffer]>('INSERT INTO document_chunks (document_id, idx, iv, tag, ct) VALUES (?, ?, ?, ?, ?)'),
      complete: db.prepare<[number, string, number, string, string]>('UPDATE documents SET size = ?, sha256 = ?, chunks = ?, stored_at = ? WHERE id = ? AND stored_at IS NULL'),
      discard: db.prepare<[string]>('DELETE FROM documents WHERE id = ? AND stored_at IS NULL'),
      get: db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE id = ?'),
      chunk: db.prepare<[string, number], SealedChunk>('SELECT iv, tag, ct FROM document_chunks WHERE document_id = ? AND idx = ?'),
      due: db.prepare<[string, number], { id: string }>('SELECT id FROM documents WHERE expires_at <= ? AND purged_at IS NULL AND stored_at IS NOT NULL ORDER BY expires_at LIMIT ?'),
      dropChunks: db.prepare<[string]>('DELETE FROM document_chunks WHERE document_id = ?'),
      markPurged: db.prepare<[string, string]>('UPDATE documents SET purged_at = ? WHERE id = ?'),
      abandoned: db.prepare<[string, number]>('DELETE FROM documents WHERE id IN (SELECT id FROM documents WHERE stored_at IS NULL AND created_at < ? LIMIT ?)'),
      insertCode: db.prepare<[CodeRow]>(
        `INSERT INTO document_codes (code_hash, document_id, type, issuer, issued_at, created_at)
         VALUES (@code_hash, @document_id, @type, @issuer, @issued_at, @created_at) ON CONFLICT (code_hash) DO NOTHING`,
      ),
      findCode: db.prepare<[string], CodeRow>('SELECT * FROM document_codes WHERE code_hash = ?'),
    };
  }

  writeChunk(id: string, index: number, chunk: SealedChunk, row?: NewDocumentRow, done?: Completion): Promise<void> {
    return this.database.write(() => {
      if (row) this.stmt.insertRow.run(row);
      this.stmt.insertChunk.run(id, index, chunk.iv, chunk.tag, chunk.ct);
      if (done && this.stmt.complete.run(done.size, done.sha256, done.chunks, done.stored_at, id).changes !== 1) throw new Error(`document ${id} was swept as abandoned before it completed`);
    });
  }

  async discard(id: string): Promise<void> {
    await this.database.write(() => this.stmt.discard.run(id));
  }

  async get(id: string): Promise<DocumentRow | undefined> {
    return this.stmt.get.get(id);
  }

  async chunk(id: string, index: number): Promise<SealedChunk | undefined> {
    return this.stmt.chunk.get(id, index);
  }

  purgeBatch(now: string, abandonedBefore: string, limit: number): Promise<PurgeResult> {
    return this.database.write(() => {
      const db = this.database.db;
      const before = db.pragma('secure_delete', { simple: true }) as number;
      db.pragma('secure_delete = ON');
      try {
        const due = this.stmt.due.all(now, limit);
        for (const { id } of due) {
          this.stmt.dropChunks.run(id);
          this.stmt.markPurged.run(now, id);
        }
        const abandoned = this.stmt.abandoned.run(abandonedBefore, limit).changes;
        return { purged: due.length, abandoned };
      } finally {
        db.pragma(`secure_delete = ${before === 2 ? 'FAST' : before ? 'ON' : 'OFF'}`);
      }
    });
  }

  async insertCode(row: CodeRow): Promise<boolean> {
    return (await this.database.write(() => this.stmt.insertCode.run(row).changes)) === 1;
  }

  async findCode(codeHash: string): Promise<CodeRow | undefined> {
    return this.stmt.findCode.get(codeHash);
  }
}

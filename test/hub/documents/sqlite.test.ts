import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentKeys } from '../../../hub/documents/keys';
import { openDocumentStore } from '../../../hub/documents/sqlite';
import { SqliteDatabase } from '../../../hub/sqlite/database';
import { SqliteStore } from '../../../hub/store/sqlite';
import { documentStoreContract, type ChunkRow, type Harness } from './contract';

/** A fresh database file in a directory of its own, as the hub keeps it (WAL, group commit). */
function sqliteHarness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-documents-'));
  const database = new SqliteDatabase(join(dir, 'wasl.db'));
  const db = database.db;
  return {
    open: async (opts) => openDocumentStore(database, { keys: DocumentKeys.ephemeral(), ...opts }),
    raw: {
      chunks: async (id) => db.prepare<[string], ChunkRow>('SELECT idx, iv, tag, ct FROM document_chunks WHERE document_id = ? ORDER BY idx').all(id),
      setChunk: async (id, idx, c) => void db.prepare('UPDATE document_chunks SET iv = ?, tag = ?, ct = ? WHERE document_id = ? AND idx = ?').run(c.iv, c.tag, c.ct, id, idx),
      deleteChunk: async (id, idx) => void db.prepare('DELETE FROM document_chunks WHERE document_id = ? AND idx = ?').run(id, idx),
      setDocument: async (id, column, value) => void db.prepare(`UPDATE documents SET ${column} = ? WHERE id = ?`).run(value, id),
      count: async (table) => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n,
      storedBytes: async () => db.prepare<[], { n: number }>('SELECT coalesce(sum(length(ct)), 0) AS n FROM document_chunks').get()!.n,
      codeHashes: async () => db.prepare<[], { code_hash: string }>('SELECT code_hash FROM document_codes').all().map((r) => r.code_hash),
    },
    close: async () => {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('document store: SQLite', function () {
  this.timeout(60_000);

  describe('contract', () => documentStoreContract(async () => sqliteHarness()));

  it('opens beside a SqliteStore on one database, in either order, migrating once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-documents-'));
    try {
      const database = new SqliteDatabase(join(dir, 'wasl.db'));
      const documents = openDocumentStore(database, { keys: DocumentKeys.ephemeral() });
      const store = new SqliteStore({ database });
      const again = openDocumentStore(database, { keys: DocumentKeys.ephemeral() });
      const names = database.db.prepare<[], { name: string }>('SELECT name FROM schema_migrations ORDER BY version').all().map((r) => r.name);
      assert.equal(names.filter((n) => n === 'store:documents').length, 1);
      assert.equal(names.at(-1), 'store:documents');
      assert.ok((await documents.put(Buffer.from('%PDF'), { mediaType: 'application/pdf', origin: { provider: 'p', operation: 'o', source: 'body' }, maxBytes: 10 })).id);
      assert.ok(again);
      await store.close();
      database.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { DocumentKeys } from '../../../hub/documents/keys';
import { openDocumentStore } from '../../../hub/documents/postgres';
import { PgDatabase } from '../../../hub/store/postgres/database';
import { dropSchema, PG_URL, requirePostgres } from '../../helpers';
import { documentStoreContract, type ChunkRow, type Harness } from './contract';

/** A schema of its own per test, migrated as the store migrates it, dropped afterwards. */
async function pgHarness(): Promise<Harness> {
  const schema = `wasl_docs_${randomBytes(6).toString('hex')}`;
  const database = await PgDatabase.open({ connectionString: PG_URL, schema, poolSize: 5 });
  const q = async <T>(sql: string, params: unknown[] = []) => (await database.pool.query(sql, params)).rows as T[];
  return {
    open: (opts) => openDocumentStore(database, { keys: DocumentKeys.ephemeral(), ...opts }),
    raw: {
      chunks: (id) => q<ChunkRow>('SELECT idx, iv, tag, ct FROM document_chunks WHERE document_id = $1 ORDER BY idx', [id]),
      setChunk: async (id, idx, c) => void (await q('UPDATE document_chunks SET iv = $1, tag = $2, ct = $3 WHERE document_id = $4 AND idx = $5', [c.iv, c.tag, c.ct, id, idx])),
      deleteChunk: async (id, idx) => void (await q('DELETE FROM document_chunks WHERE document_id = $1 AND idx = $2', [id, idx])),
      setDocument: async (id, column, value) => void (await q(`UPDATE documents SET ${column} = $1 WHERE id = $2`, [value, id])),
      count: async (table) => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n,
      storedBytes: async () => (await q<{ n: number }>('SELECT coalesce(sum(length(ct)), 0)::int AS n FROM document_chunks'))[0]!.n,
      codeHashes: async () => (await q<{ code_hash: string }>('SELECT code_hash FROM document_codes')).map((r) => r.code_hash),
    },
    close: async () => {
      await database.pool.end();
      await dropSchema(schema);
    },
  };
}

describe('document store: PostgreSQL', function () {
  this.timeout(60_000);
  before(async function () {
    await requirePostgres(this);
  });

  describe('contract', () => documentStoreContract(pgHarness));

  it('applies migration 011 with the store\'s own, and refuses a schema without it', async () => {
    const schema = `wasl_docs_${randomBytes(6).toString('hex')}`;
    const database = await PgDatabase.open({ connectionString: PG_URL, schema, poolSize: 2 });
    const bare = new Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}_none` });
    try {
      const { rows } = await database.pool.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.find((r) => r.version === 11), { version: 11, name: 'documents' });
      assert.ok(await openDocumentStore(database, { keys: DocumentKeys.ephemeral() }));
      await assert.rejects(openDocumentStore(bare, { keys: DocumentKeys.ephemeral() }), /documents tables are missing/);
    } finally {
      await bare.end();
      await database.pool.end();
      await dropSchema(schema);
    }
  });
});

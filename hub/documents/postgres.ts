/**
 * The document store on the hub's PostgreSQL database: its tables beside the store's, in the same
 * schema, through a pool. Each chunk is one statement (autocommit), so a slow provider holds no
 * connection and no transaction open between chunks; a one-chunk document is one transaction.
 *
 * Constructing it (the hub's composition, once it is wired in):
 *
 *   import { PgDatabase } from './store/postgres/database';
 *   import { DocumentKeys } from './documents/keys';
 *   import { openDocumentStore } from './documents/postgres';
 *   const documents = await openDocumentStore(await PgDatabase.open({ connectionString, schema }), {
 *     keys: DocumentKeys.from({ secret: config.secret, dataDir: config.dataDir }),
 *   });
 *
 * `db` is a PgDatabase (or anything with its `pool`, or a Pool) whose schema has migration 011
 * applied: PgDatabase.open applies it with the store's others. PostgresStore keeps its PgDatabase
 * private today, so wiring in either gives PostgresStore an accessor for it or opens a second
 * PgDatabase on the same URL (migrations are locked and idempotent). The caller ends the pool.
 *
 * Purged content: the deleted rows' space is reclaimed by (auto)vacuum, not at once; until then,
 * and in backups taken earlier, it is ciphertext only.
 */
import type { PgBatch } from '../store/postgres/batch';
import type { Pool, PoolClient } from 'pg';
import type { SealedChunk } from './chunks';
import { EncryptedDocumentStore } from './encrypted';
import type { CodeRow, Completion, DocumentRow, DocumentRows, NewDocumentRow } from './rows';
import type { DocumentStore, DocumentStoreOptions, PurgeResult } from './store';

/** `db`: a pool, or a store's pool and batch (its single reads and writes then go with the store's of the same moment). */
export async function openDocumentStore(db: Pool | { pool: Pool; batch?: Querier }, opts: DocumentStoreOptions): Promise<DocumentStore> {
  const pool = 'pool' in db ? db.pool : db;
  const batch = 'batch' in db ? db.batch : undefined;
  const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('document_chunks')::text AS t");
  if (!rows[0]?.t) throw new Error('the documents tables are missing: open the store on this database first (PgDatabase.open applies migration 011)');
  return new EncryptedDocumentStore(new PgDocumentRows(pool, batch), opts);
}

const iso = (v: Date | string | null): string | null => (v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString());

type PgDocumentRow = Omit<DocumentRow, 'size' | 'created_at' | 'stored_at' | 'expires_at' | 'purged_at'> & {
  size: string | null;
  created_at: Date;
  stored_at: Date | null;
  expires_at: Date | null;
  purged_at: Date | null;
};

type Querier = Pick<PgBatch, 'query'>;

export class PgDocumentRows implements DocumentRows {
  /** Single statements: batched with the store's when it is given (hub/store/postgres/batch.ts). */
  private readonly single: Querier;

  constructor(
    private readonly pool: Pool,
    batch?: Querier,
  ) {
    this.single = batch ?? { query: (sql, values) => pool.query(sql, values) };
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async writeChunk(id: string, index: number, chunk: SealedChunk, row?: NewDocumentRow, done?: Completion): Promise<void> {
    const insertChunk = (c: Pool | PoolClient) => c.query('INSERT INTO document_chunks (document_id, idx, iv, tag, ct) VALUES ($1, $2, $3, $4, $5)', [id, index, chunk.iv, chunk.tag, chunk.ct]);
    // A chunk between the first and the last: one statement, no transaction to hold.
    if (!row && !done) {
      await insertChunk(this.pool);
      return;
    }
    // One round trip (issue 25): the statements as one simple query with escaped literals, bytea as
    // hex; the completion checked by its own statement failing the whole query when the row is gone.
    const c = await this.pool.connect();
    try {
      const lit = (v: string | null) => (v === null ? 'NULL' : c.escapeLiteral(v));
      // An E'' string, so the hex form reads the same whatever standard_conforming_strings says.
      const bytes = (b: Buffer) => `E'\\\\x${b.toString('hex')}'::bytea`;
      const statements = ['BEGIN'];
      if (row) {
        statements.push(
          `INSERT INTO documents (id, order_id, media_type, filename, provider, operation, source, key_id, created_at, expires_at) VALUES (${[row.id, row.order_id, row.media_type, row.filename, row.provider, row.operation, row.source, row.key_id, row.created_at, row.expires_at].map((v) => lit(v ?? null)).join(', ')})`,
        );
      }
      statements.push(`INSERT INTO document_chunks (document_id, idx, iv, tag, ct) VALUES (${lit(id)}, ${Number(index)}, ${bytes(chunk.iv)}, ${bytes(chunk.tag)}, ${bytes(chunk.ct)})`);
      if (done) {
        // No row updated (swept as abandoned): a division by zero stops the query before its COMMIT.
        statements.push(
          `WITH u AS (UPDATE documents SET size = ${Number(done.size)}, sha256 = ${lit(done.sha256)}, chunks = ${Number(done.chunks)}, stored_at = ${lit(done.stored_at)} WHERE id = ${lit(id)} AND stored_at IS NULL RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM u) AS ok`,
        );
      }
      statements.push('COMMIT');
      try {
        await c.query(statements.join('; '));
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (done && (err as { code?: string }).code === '22012') throw new Error(`document ${id} was swept as abandoned before it completed`, { cause: err });
        throw err;
      }
    } finally {
      c.release();
    }
  }

  async discard(id: string): Promise<void> {
    await this.pool.query('DELETE FROM documents WHERE id = $1 AND stored_at IS NULL', [id]);
  }

  async get(id: string): Promise<DocumentRow | undefined> {
    const { rows } = await this.single.query<PgDocumentRow>('SELECT * FROM documents WHERE id = $1', [id]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      ...r,
      size: r.size === null ? null : Number(r.size),
      created_at: iso(r.created_at)!,
      stored_at: iso(r.stored_at),
      expires_at: iso(r.expires_at),
      purged_at: iso(r.purged_at),
    };
  }

  async chunk(id: string, index: number): Promise<SealedChunk | undefined> {
    const { rows } = await this.pool.query<SealedChunk>('SELECT iv, tag, ct FROM document_chunks WHERE document_id = $1 AND idx = $2', [id, index]);
    return rows[0];
  }

  async purgeBatch(now: string, abandonedBefore: string, limit: number): Promise<PurgeResult> {
    return this.tx(async (c) => {
      // SKIP LOCKED: several workers may purge at once, each taking its own documents.
      const purged = await c.query(
        `WITH due AS (
           SELECT id FROM documents WHERE expires_at <= $1 AND purged_at IS NULL AND stored_at IS NOT NULL
           ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), dropped AS (
           DELETE FROM document_chunks c USING due WHERE c.document_id = due.id
         )
         UPDATE documents d SET purged_at = $1 FROM due WHERE d.id = due.id`,
        [now, limit],
      );
      const abandoned = await c.query(
        `DELETE FROM documents WHERE id IN (
           SELECT id FROM documents WHERE stored_at IS NULL AND created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
         )`,
        [abandonedBefore, limit],
      );
      return { purged: purged.rowCount ?? 0, abandoned: abandoned.rowCount ?? 0 };
    });
  }

  async insertCode(row: CodeRow): Promise<boolean> {
    const r = await this.single.query(
      `INSERT INTO document_codes (code_hash, document_id, type, issuer, issued_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code_hash) DO NOTHING`,
      [row.code_hash, row.document_id, row.type, row.issuer, row.issued_at, row.created_at],
    );
    return r.rowCount === 1;
  }

  async findCode(codeHash: string): Promise<CodeRow | undefined> {
    const { rows } = await this.single.query<Omit<CodeRow, 'issued_at' | 'created_at'> & { issued_at: Date; created_at: Date }>('SELECT * FROM document_codes WHERE code_hash = $1', [codeHash]);
    const r = rows[0];
    return r ? { ...r, issued_at: iso(r.issued_at)!, created_at: iso(r.created_at)! } : undefined;
  }
}

/**
 * Where wasl's work, done bare (work-floor-child.ts), keeps its records: the hub's own schema
 * on SQLite (its migrations, its group commit) or on PostgreSQL (its migrations, through
 * PostgresStore.open). One write is one transaction: it reads what it must before planning —
 * the idempotency key, the heads of the audit shards it appends to (locked on PostgreSQL) — and
 * then runs the statements the plan returns. On PostgreSQL that is two round trips, the reads
 * with BEGIN and the writes with COMMIT, the values inline as literals escaped by the driver,
 * as the hub's own steps go (hub/store/postgres/database.ts).
 */
import { join } from 'node:path';
import pg, { escapeLiteral } from 'pg';
import { GENESIS, type ChainHead } from '../../hub/audit/chain';
import { SqliteDatabase } from '../../hub/sqlite/database';
import { PostgresStore } from '../../hub/store/postgres';
import type Database from 'better-sqlite3';

export type Value = string | number | null | Buffer;
/** A statement with `?` placeholders and its values. */
export type Statement = [sql: string, values: Value[]];
export type Head = Omit<ChainHead, 'shard'>;

export interface Seen {
  key?: { request_hash: string; order_id: string };
  heads: ReadonlyMap<number, Head>;
}

export interface WriteAsk {
  key?: [channel: string, key: string];
  shards: number[];
}

export interface Records {
  write<T>(ask: WriteAsk, plan: (seen: Seen) => { statements: Statement[]; value: T }): Promise<T>;
  close(): Promise<void>;
  /** Round trips to the database so far (PostgreSQL; 0 on SQLite). */
  readonly queries: number;
}

const SQLITE_MIGRATIONS = join(__dirname, '..', '..', 'hub', 'store', 'migrations', 'sqlite');

export function sqliteRecords(file: string): Records {
  const database = new SqliteDatabase(file);
  database.migrate('store', SQLITE_MIGRATIONS);
  const db = database.db;
  const prepared = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = prepared.get(sql);
    if (!s) prepared.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const getKey = db.prepare<[string, string], { request_hash: string; order_id: string }>('SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = ? AND key = ?');
  const getHead = db.prepare<[number], Head>('SELECT shard_seq AS shardSeq, hash FROM audit_heads WHERE shard = ?');
  return {
    queries: 0,
    write: (ask, plan) =>
      database.write(() => {
        const key = ask.key ? getKey.get(...ask.key) : undefined;
        const heads = new Map<number, Head>();
        for (const shard of ask.shards) heads.set(shard, getHead.get(shard) ?? { shardSeq: 0, hash: GENESIS });
        const { statements, value } = plan({ ...(key ? { key } : {}), heads });
        for (const [sql, values] of statements) prepare(sql).run(...values);
        return value;
      }),
    close: async () => database.close(),
  };
}

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return `'\\x${v.toString('hex')}'::bytea`;
  return escapeLiteral(v);
}

function inline([sql, values]: Statement): string {
  let i = 0;
  return sql.replace(/\?/g, () => literal(values[i++] ?? null));
}

export async function postgresRecords(connectionString: string, shards: number, poolSize: number): Promise<Records> {
  // The hub's schema, as the hub migrates it.
  await (await PostgresStore.open({ connectionString })).close();
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // Every shard's head exists from the start, as the genesis: a write locks the rows it appends after.
  const values = Array.from({ length: shards }, (_, i) => `(${i + 1}, 0, '${GENESIS}')`).join(', ');
  await pool.query(`INSERT INTO audit_heads (shard, shard_seq, hash) VALUES ${values} ON CONFLICT (shard) DO NOTHING`);
  let queries = 0;
  return {
    get queries() {
      return queries;
    },
    async write(ask, plan) {
      const c = await pool.connect();
      try {
        const reads = [
          'BEGIN',
          ask.key ? `SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = ${escapeLiteral(ask.key[0])} AND key = ${escapeLiteral(ask.key[1])}` : 'SELECT 1',
          `SELECT shard, shard_seq, hash FROM audit_heads WHERE shard IN (${ask.shards.join(', ') || 'NULL'}) ORDER BY shard FOR UPDATE`,
        ];
        queries++;
        const results = (await c.query(reads.join(';\n'))) as unknown as pg.QueryResult[];
        const keyRow = ask.key ? (results[1]!.rows[0] as Seen['key']) : undefined;
        const heads = new Map<number, Head>(results[2]!.rows.map((r: { shard: number; shard_seq: string; hash: string }) => [r.shard, { shardSeq: Number(r.shard_seq), hash: r.hash }]));
        const { statements, value } = plan({ ...(keyRow ? { key: keyRow } : {}), heads });
        queries++;
        await c.query([...statements.map(inline), 'COMMIT'].join(';\n'));
        return value;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

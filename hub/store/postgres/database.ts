/**
 * The PostgreSQL database under the store's roles: the pool, the migrations and the transaction
 * every write runs in. Each transaction carries the audit entries its writes queued, appended to
 * their shards' chains with its COMMIT. PostgreSQL commits durably and groups commits itself.
 */
import { PgBatch } from './batch';
import { Pool, type PoolClient } from 'pg';
import { DEFAULT_SHARDS, linkAll, shardOf, shardsOf, type AuditEntry, type ChainHead, type ChainOptions } from '../../audit/chain';
import { AuditKeys } from '../../audit/keys';
import { loadMigrations } from '../migrations';

export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema of its own (tests use one per run); public by default. */
  schema?: string;
  poolSize?: number;
  /** How the audit trail is chained: its keys and shards (openStore gives the configuration's; otherwise a key of this process alone). */
  audit?: ChainOptions;
}

// Any fixed 64-bit number: the advisory lock that keeps two starting processes from migrating at once.
const MIGRATION_LOCK = 0x7761736c;

/** audit_log's UNIQUE (shard, shard_seq): two records can never take the same place in a chain. */
const CHAIN_PLACE = 'audit_log_shard_shard_seq_key';

/**
 * Whether `err` is an append that lost its place in a chain: another transaction appended to the
 * same shard after this one read the head, and committed first.
 */
export function lostChainPlace(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | undefined;
  return e?.code === '23505' && e.constraint === CHAIN_PLACE;
}

export class PgDatabase {
  /** Single statements of the same moment, in one round trip (batch.ts). */
  readonly batch: PgBatch;
  /** Two-round-trip appends run again with their heads locked, after losing their place (tests, bench). */
  chainRetries = 0;
  /** Audit entries of each open transaction, appended to the chain with its COMMIT. */
  private readonly pendingAudit = new WeakMap<PoolClient, AuditEntry[]>();

  private constructor(
    readonly pool: Pool,
    private readonly chain: ChainOptions,
  ) {
    this.batch = new PgBatch(pool);
  }

  static async open(opts: PostgresStoreOptions): Promise<PgDatabase> {
    const schema = opts.schema;
    if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    const pool = new Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize ?? 20,
      connectionTimeoutMillis: 5000,
      options: schema ? `-c search_path=${schema}` : undefined,
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const database = new PgDatabase(pool, opts.audit ?? { keys: AuditKeys.ephemeral(), shards: DEFAULT_SHARDS });
    try {
      await database.migrate(schema);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return database;
  }

  private async migrate(schema?: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const { rows } = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      for (const m of loadMigrations('postgres')) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
      }
    });
  }

  async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await this.commitWithChain(c, this.pendingAudit.get(c) ?? []);
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      this.pendingAudit.delete(c);
      c.release();
    }
  }

  /**
   * The audit entries go to their shards' chains last, just before the COMMIT: the heads of
   * their shards are locked (FOR UPDATE, in shard order, so two transactions never wait for each
   * other in a circle) and read in one round trip; the hub links the records — the MAC needs a
   * key the database does not hold (hub/audit/keys.ts) — and the inserts, the heads' moves and
   * the COMMIT go in the next (values escaped by the driver). A head's lock is held for that one
   * round trip, and only appends to the same shard wait for it: an order's records all go to its
   * own shard (hub/audit/chain.ts shardOf). Without entries, just the COMMIT.
   */
  private async commitWithChain(c: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) {
      await c.query('COMMIT');
      return;
    }
    const shards = shardsOf(entries, this.chain.shards);
    const { rows } = await c.query<{ shard: number; shard_seq: string; hash: string }>('SELECT shard, shard_seq, hash FROM audit_heads WHERE shard = ANY($1::int[]) ORDER BY shard FOR UPDATE', [shards]);
    const locked = new Map(rows.map((r) => [r.shard, { shardSeq: Number(r.shard_seq), hash: r.hash }]));
    if (locked.size !== shards.length) throw new Error(`audit_heads has no row for shard ${shards.find((s) => !locked.has(s))} (WASL_AUDIT_SHARDS is at most 256)`);
    // An error in the inserts skips the COMMIT (the rest of a failed simple query is not run); tx() rolls back.
    await c.query(`${this.chainStatements(c, entries, locked)}; COMMIT`);
  }

  /**
   * Runs a transaction that reads its shards' heads in its first round trip and appends after
   * them in its second (appendWith, and an order's creation and steps in orders.ts). The first
   * time the heads are read without a lock: a lock taken there was held across the round trip
   * and the hub's work between, and under load (two workers on two cores, whose transactions'
   * processes were descheduled in between) the other appends to the shard queued behind it for
   * 14–15 ms per order. Two transactions that read the same head both link a record to it: the
   * second to move the head waits for the first's COMMIT (not for its round trips), then breaks
   * audit_log's UNIQUE (shard, shard_seq) with its record, rolls back whole, and runs once more
   * with the head locked (`FOR UPDATE`), which it cannot lose: one wasted attempt at most, even
   * when every append goes to one shard (WASL_AUDIT_SHARDS=1). Only an append to a single shard
   * reads its head unlocked: the heads' moves then take one row lock each, in no order that two
   * multi-shard transactions would agree on, so those lock theirs in shard order from the start.
   * `attempt` must roll back and release what it took when it fails.
   */
  async appendingAfterHeads<T>(shards: readonly number[], attempt: (lockHeads: string) => Promise<T>): Promise<T> {
    if (shards.length !== 1) return attempt(' FOR UPDATE');
    try {
      return await attempt('');
    } catch (err) {
      if (!lostChainPlace(err)) throw err;
      this.chainRetries++;
      return attempt(' FOR UPDATE');
    }
  }

  /**
   * Audit entries, and `statements` (escaped by the caller with the literal function it is given)
   * in the same transaction, in two round trips: BEGIN with the heads of their shards read (in
   * shard order; appendingAfterHeads), then the statements, the records and the heads' moves with
   * the COMMIT.
   */
  appendWith(entries: readonly AuditEntry[], statements: (lit: (v: string) => string) => string[] = () => []): Promise<void> {
    const shards = shardsOf(entries, this.chain.shards);
    return this.appendingAfterHeads(shards, async (lockHeads) => {
      const c = await this.pool.connect();
      try {
        const lit = (v: string) => c.escapeLiteral(v);
        const [, heads] = (await c.query(`BEGIN; SELECT shard, shard_seq, hash FROM audit_heads WHERE shard IN (${shards.join(', ')}) ORDER BY shard${lockHeads}`)) as unknown as [unknown, { rows: Array<{ shard: number; shard_seq: string; hash: string }> }];
        const read = new Map(heads.rows.map((r) => [r.shard, { shardSeq: Number(r.shard_seq), hash: r.hash }]));
        await c.query([...statements(lit), this.chainStatements(c, entries, read), 'COMMIT'].join('; '));
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    });
  }

  /** The audit shard of an order's records: every record of one order goes to the same one (hub/audit/chain.ts). */
  orderShard(orderId: string): number {
    return shardOf({ kind: 'order.step', subject: orderId }, this.chain.shards);
  }

  /**
   * The statements that append `entries` to their shards after the heads the caller read in its
   * transaction (locked, or under appendingAfterHeads), and move those heads: the records linked
   * here, since the MAC needs a key the database does not hold; the values escaped by the driver,
   * to go in one simple query with the caller's other statements and its COMMIT. The heads move
   * first: a transaction that read a head unlocked waits there for one that holds it (locked or
   * moved), and then fails on its records if it lost its place; with the records first, the two
   * would each wait for the other's (appendingAfterHeads).
   */
  chainStatements(c: Pick<PoolClient, 'escapeLiteral'>, entries: readonly AuditEntry[], read: ReadonlyMap<number, Omit<ChainHead, 'shard'>>): string {
    const { records, heads } = linkAll(entries, this.chain.shards, (shard) => {
      const head = read.get(shard);
      if (!head) throw new Error(`audit shard ${shard} was not read by the transaction that appends to it`);
      return head;
    }, this.chain.keys);
    const lit = (v: string) => c.escapeLiteral(v);
    const values = records.map((r) => `(${r.shard}, ${r.shardSeq}, ${[r.at, r.kind, r.actor, r.subject, JSON.stringify(r.data), r.prev, r.hash, r.mac, r.keyId].map(lit).join(', ')})`);
    const moves = heads.map((h: ChainHead) => `(${h.shard}, ${h.shardSeq}, ${lit(h.hash)})`);
    return (
      `UPDATE audit_heads h SET shard_seq = m.shard_seq, hash = m.hash FROM (VALUES ${moves.join(', ')}) AS m (shard, shard_seq, hash) WHERE h.shard = m.shard; ` +
      `INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id) VALUES ${values.join(', ')}`
    );
  }

  /** Queues an audit entry on the caller's transaction; tx() appends it to the chain with its COMMIT. */
  audit(c: PoolClient, entry: AuditEntry): void {
    const queued = this.pendingAudit.get(c);
    if (queued) queued.push(entry);
    else this.pendingAudit.set(c, [entry]);
  }
}

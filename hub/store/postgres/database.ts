/**
 * The PostgreSQL database under the store's roles: the pool, the migrations and the transaction
 * every write runs in. Each transaction carries the audit entries its writes queued, appended to
 * their shards' chains with its COMMIT. PostgreSQL commits durably and groups commits itself.
 */
import { inline, PgBatch } from './batch';
import { Pool, type PoolClient } from 'pg';
import { DEFAULT_SHARDS, linkAll, shardOf, shardsOf, type AuditEntry, type ChainedRecord, type ChainHead, type ChainOptions } from '../../audit/chain';
import { AuditKeys } from '../../audit/keys';
import { loadMigrations } from '../migrations';
import { KnownOrders } from './known-orders';
import type { CallRecord } from '../../../connectors/connector';
import { CALL_COLUMNS, callValues } from '../provider-calls';

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

/**
 * What an attempt of appendingAfterHeads gives when its shard's head had moved since it read it:
 * it wrote nothing and committed that nothing.
 */
export const LOST_PLACE = Symbol('lost its place in the audit chain');

/** Writes after a head this process saw, before reading the head in a round trip of its own: each after the head where the last one found it. */
export const SEEN_HEAD_ATTEMPTS = 3;

/** What goes with an append, in its transaction: a provider call's records, the journal finish of the step that made the calls. */
export interface AppendRows {
  calls?: readonly CallRecord[];
  finish?: { orderId: string; step: string; status: 'succeeded' | 'failed'; outcome: unknown };
}

/** A call of one of the store's functions (migrations 012–014) with `n` parameters, answering `columns`. */
export const storeCall = (fn: string, columns: string, n: number): string => `SELECT ${columns} FROM ${fn}(${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')})`;

/** One call of wasl_append_after_head (migration 013): prepared, or inlined before a COMMIT (batch.ts inline). */
const APPEND_AFTER_HEAD = storeCall('wasl_append_after_head', 'moved, shard_seq, hash', 19);
type AppendAnswer = { moved: boolean; shard_seq: string | null; hash: string | null };

export class PgDatabase {
  /** Single statements of the same moment, in one round trip (batch.ts). */
  readonly batch: PgBatch;
  /** Two-round-trip appends run again with their heads locked, after losing their place (tests, bench). */
  chainRetries = 0;
  /** Orders and audit heads as this process last saw them, for the step that follows a read to write in one round trip (known-orders.ts). */
  readonly known = new KnownOrders();
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
   * Runs an order's creation or step (orders.ts), or an append of one shard with its statements
   * (appendWith), which reads its shard's head in its first round trip and appends after it in
   * its second. The first time the head is read without a lock: a
   * lock taken there was held across the round trip and the hub's work between, and under load
   * (two workers on two cores, whose transactions' processes were descheduled in between) the
   * other appends to the shard queued behind it for 14–15 ms per order. The second round trip
   * moves the head only if it is still where it was read (guardedChain), waiting for a
   * transaction that holds it to finish, and writes everything else only if the head moved:
   * otherwise it commits nothing, `attempt` gives LOST_PLACE, and it runs once more with the
   * head locked (`FOR UPDATE`), which it cannot lose — one wasted attempt at most, even when every
   * append goes to one shard (WASL_AUDIT_SHARDS=1). No statement fails on the way, so nothing
   * reaches PostgreSQL's log: a failed statement is logged whole, and these carry the order.
   * Each attempt gets a connection of its own: rolled back if the attempt throws, released either
   * way (an attempt that lost its place has committed, so it is not rolled back: a ROLLBACK after
   * a COMMIT only draws a warning into the server's log).
   */
  async appendingAfterHeads<T>(attempt: (c: PoolClient, lockHead: string) => Promise<T | typeof LOST_PLACE>): Promise<T> {
    const first = await this.onClient((c) => attempt(c, ''));
    if (first !== LOST_PLACE) return first;
    this.chainRetries++;
    const second = await this.onClient((c) => attempt(c, ' FOR UPDATE'));
    if (second === LOST_PLACE) throw new Error("an audit shard's head moved while this transaction held it locked");
    return second;
  }

  /** `fn` on a connection of its own: rolled back if it throws, released either way. */
  async onClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      return await fn(c);
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** A shard's head as the first round trip read it. */
  headOf(shard: number, row: { shard_seq: string; hash: string } | undefined): Omit<ChainHead, 'shard'> {
    if (!row) throw new Error(`audit_heads has no row for shard ${shard} (WASL_AUDIT_SHARDS is at most 256)`);
    return { shardSeq: Number(row.shard_seq), hash: row.hash };
  }

  /**
   * `entries` (all of one shard) appended after the head as read, without the head locked:
   * the head moves only from where it was read (a compare-and-set, which waits for a transaction
   * that holds the head and then finds it moved), and the records go in only if it did. `guard`
   * is true in the transaction once the head is its own: the caller makes its other writes
   * conditional on it and reads it back before the COMMIT.
   */
  guardedChain(c: Pick<PoolClient, 'escapeLiteral'>, entries: readonly AuditEntry[], shard: number, read: Omit<ChainHead, 'shard'>): { statements: string[]; guard: string; head: Omit<ChainHead, 'shard'> } {
    const { records, head } = this.linkAfter(entries, shard, read);
    const lit = (v: string) => c.escapeLiteral(v);
    const guard = `EXISTS (SELECT 1 FROM audit_heads WHERE shard = ${shard} AND hash = ${lit(head.hash)})`;
    return {
      guard,
      head,
      statements: [
        `UPDATE audit_heads SET shard_seq = ${head.shardSeq}, hash = ${lit(head.hash)} WHERE shard = ${shard} AND shard_seq = ${read.shardSeq}`,
        ...records.map(
          (r) => `INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id) SELECT ${r.shard}, ${r.shardSeq}, ${[r.at, r.kind, r.actor, r.subject, JSON.stringify(r.data), r.prev, r.hash, r.mac, r.keyId].map(lit).join(', ')} WHERE ${guard}`,
        ),
      ],
    };
  }

  /** `entries` (all of `shard`) linked after `read`: their records, and the head they leave. */
  linkAfter(entries: readonly AuditEntry[], shard: number, read: Omit<ChainHead, 'shard'>): { records: ChainedRecord[]; head: Omit<ChainHead, 'shard'> } {
    const { records, heads } = linkAll(entries, this.chain.shards, (s) => {
      if (s !== shard) throw new Error(`an entry for audit shard ${s} among entries for shard ${shard}`);
      return read;
    }, this.chain.keys);
    const head = heads[0]!;
    return { records, head: { shardSeq: head.shardSeq, hash: head.hash } };
  }

  /**
   * Audit entries, and `rows` in the same transaction. Entries of one shard (an order's, an
   * operator's) go as one call of wasl_append_after_head (migration 013), which moves the head only
   * from where this process saw it and writes the records and the rows only if it moved — with the
   * plans each connection keeps. When this process has seen the shard's head (it read or wrote it:
   * known-orders.ts), one round trip: if it lost its place, the call answered where the head is now,
   * and it goes again after that — a few tries, then as follows. Otherwise two: BEGIN with the head
   * read, then the call (inlined) with the COMMIT, run again with the head locked if another append
   * moved it (appendingAfterHeads). Entries of several shards lock their heads in shard order from
   * the start.
   */
  async appendWith(entries: readonly AuditEntry[], rows: AppendRows = {}): Promise<void> {
    const shards = shardsOf(entries, this.chain.shards);
    if (shards.length !== 1) return this.appendLocked(entries, shards, rows);
    const shard = shards[0]!;
    const seen = this.known.head(shard);
    if (seen) {
      if (await this.autocommit((c) => this.appendAfterSeen(c, entries, shard, seen, rows))) {
        this.known.stats.hits++;
        return;
      }
      this.known.stats.misses++;
    }
    return this.appendingAfterHeads(async (c, lockHead) => {
      const [, head] = (await c.query(`BEGIN; SELECT shard_seq, hash FROM audit_heads WHERE shard = ${shard}${lockHead}`)) as unknown as [unknown, { rows: Array<{ shard_seq: string; hash: string }> }];
      const read = this.headOf(shard, head.rows[0]);
      this.known.saw(shard, read);
      const { records, head: next } = this.linkAfter(entries, shard, read);
      const call = inline(APPEND_AFTER_HEAD, appendArgs(shard, read, next, records, rows));
      if (!call) throw new Error('an append that cannot be inlined');
      const [answer] = (await c.query(`${call}; COMMIT`)) as unknown as [{ rows: AppendAnswer[] }];
      if (answer.rows[0]?.moved !== true) return LOST_PLACE;
      this.known.saw(shard, next);
      return undefined;
    });
  }

  /** appendWith after the head this process saw last, in one round trip a try; whether it landed. */
  private async appendAfterSeen(c: PoolClient, entries: readonly AuditEntry[], shard: number, seen: Omit<ChainHead, 'shard'>, rows: AppendRows): Promise<boolean> {
    let read = seen;
    for (let attempt = 0; attempt < SEEN_HEAD_ATTEMPTS; attempt++) {
      const { records, head: next } = this.linkAfter(entries, shard, read);
      const { rows: answer } = await c.query<AppendAnswer>({ name: 'wasl_append_after_head', text: APPEND_AFTER_HEAD, values: appendArgs(shard, read, next, records, rows) });
      const now = answer[0];
      if (now?.moved) {
        this.known.saw(shard, next);
        return true;
      }
      if (!now || now.shard_seq === null || now.hash === null) return false;
      read = { shardSeq: Number(now.shard_seq), hash: now.hash };
      this.known.saw(shard, read);
      this.known.stats.rewrites++;
    }
    return false;
  }

  /**
   * `fn` on a connection of its own whose statements each commit alone (no BEGIN): released
   * either way, never rolled back — a ROLLBACK outside a transaction only draws a warning into the
   * server's log.
   */
  async autocommit<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      return await fn(c);
    } finally {
      c.release();
    }
  }

  private appendLocked(entries: readonly AuditEntry[], shards: readonly number[], rows: AppendRows): Promise<void> {
    return this.onClient(async (c) => {
      const lit = (v: string) => c.escapeLiteral(v);
      const [, heads] = (await c.query(`BEGIN; SELECT shard, shard_seq, hash FROM audit_heads WHERE shard IN (${shards.join(', ')}) ORDER BY shard FOR UPDATE`)) as unknown as [unknown, { rows: Array<{ shard: number; shard_seq: string; hash: string }> }];
      const locked = new Map(heads.rows.map((r) => [r.shard, { shardSeq: Number(r.shard_seq), hash: r.hash }]));
      await c.query([...rowStatements(rows, lit), this.chainStatements(c, entries, locked), 'COMMIT'].join('; '));
    });
  }

  /**
   * Runs a guarded second round trip (guardedChain) with its COMMIT; whether its shard's head
   * moved, that is whether anything was written.
   */
  async commitIfMoved(c: PoolClient, statements: readonly string[], guard: string): Promise<boolean> {
    const results = (await c.query([...statements, `SELECT ${guard} AS moved`, 'COMMIT'].join('; '))) as unknown as Array<{ rows: unknown[] }>;
    return (results[results.length - 2]?.rows[0] as { moved?: boolean } | undefined)?.moved === true;
  }

  /** The audit shard of an order's records: every record of one order goes to the same one (hub/audit/chain.ts). */
  orderShard(orderId: string): number {
    return shardOf({ kind: 'order.step', subject: orderId }, this.chain.shards);
  }

  /**
   * The statements that append `entries` to their shards after the heads the caller locked (and
   * read) in its transaction, and move those heads: the records linked here, since the MAC needs a
   * key the database does not hold; the values escaped by the driver, to go in one simple query
   * with the caller's other statements and its COMMIT.
   */
  chainStatements(c: Pick<PoolClient, 'escapeLiteral'>, entries: readonly AuditEntry[], locked: ReadonlyMap<number, Omit<ChainHead, 'shard'>>): string {
    const { records, heads } = linkAll(entries, this.chain.shards, (shard) => {
      const head = locked.get(shard);
      if (!head) throw new Error(`audit shard ${shard} was not locked by the transaction that appends to it`);
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

/** Linked audit records as the store functions take them (migrations 012–014): one array per column, in the functions' order. */
export function auditColumns(records: readonly ChainedRecord[]): unknown[][] {
  const col = <K extends keyof ChainedRecord>(k: K) => records.map((r) => r[k]);
  return [col('shardSeq'), col('at'), col('kind'), col('actor'), col('subject'), records.map((r) => JSON.stringify(r.data)), col('prev'), col('hash'), col('mac'), col('keyId')];
}

/** wasl_append_after_head's arguments: the head's move, the records, and the rows that go with them. */
function appendArgs(shard: number, read: Omit<ChainHead, 'shard'>, next: Omit<ChainHead, 'shard'>, records: readonly ChainedRecord[], rows: AppendRows): unknown[] {
  const { calls, finish } = rows;
  return [
    shard, read.shardSeq, next.shardSeq, next.hash,
    ...auditColumns(records),
    calls?.length ? JSON.stringify(calls.map(callObject)) : null,
    finish?.orderId ?? null, finish?.step ?? null, finish?.status ?? null, finish ? JSON.stringify(finish.outcome ?? null) : null,
  ];
}

const CALL_NAMES = CALL_COLUMNS.split(',').map((c) => c.trim());

/** A call's record as the provider_calls row it becomes (jsonb_populate_recordset's input). */
function callObject(r: CallRecord): Record<string, unknown> {
  const values = callValues(r);
  return Object.fromEntries(CALL_NAMES.map((name, i) => [name, values[i]]));
}

/** `rows` as plain statements, for a transaction that holds its shards' heads (appendLocked) or has no audit records. */
export function rowStatements(rows: AppendRows, lit: (v: string) => string): string[] {
  const out: string[] = [];
  const value = (v: unknown) => (v === null || v === undefined ? 'NULL' : lit(String(v)));
  if (rows.calls?.length) out.push(`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES ${rows.calls.map((r) => `(${callValues(r).map(value).join(', ')})`).join(', ')}`);
  const f = rows.finish;
  if (f) out.push(`UPDATE step_journal SET status = ${lit(f.status)}, outcome = ${lit(JSON.stringify(f.outcome ?? null))}, finished_at = now() WHERE order_id = ${lit(f.orderId)} AND step = ${lit(f.step)}`);
  return out;
}

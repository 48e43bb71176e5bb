/**
 * The PostgreSQL back end, for many gateway and worker processes. Each write is one
 * transaction; a status change locks its order row (SELECT … FOR UPDATE) so concurrent workers
 * serialise on the order, not on the table. PostgreSQL commits durably and groups commits itself.
 */
import { Pool, type PoolClient } from 'pg';
import type { ProviderCallRecord } from './store';
import type { Order, OrderStatus, Receipt, TimelineEvent } from '../../contracts/types';
import { WaslError } from '../errors';
import { loadMigrations } from './migrations';
import { deadLetterNote, encodeCursor, eventFor, idBounds, planNote, planTransition, receiptNumber, splitOrder, summarize, type OrderDoc } from './order-records';
import { newDeadLetterId, orderIdFloor } from '../ids';
import { bodyAroundSeq, type AuditEntry, type AuditRecord, type AuditSeal } from '../audit/chain';
import { stepEntry } from '../audit/entries';
import type { CallRecord } from '../../connectors/connector';
import { CALL_COLUMNS, callRow, callValues } from './provider-calls';

// The advisory lock that orders appends to the audit chain (0x7761736c, 'wasl') is taken by wasl_audit_append, migration 007.
import type { AttemptRecord, BusMessage, DeadLetter } from '../bus/bus';
import type { CallbackQuery, CallbackRecord, CreateResult, PaymentAnomaly, DeadLetterQuery, JournalEntry, IdempotencyClaim, NoteRequest, OrderPage, OrderQuery, OutboxRecord, Store, TransitionRequest } from './store';

interface JournalRow {
  order_id: string;
  step: string;
  status: JournalEntry['status'];
  attempts: number;
  outcome: unknown;
  started_at: Date;
  finished_at: Date | null;
}

function journalEntry(r: JournalRow): JournalEntry {
  const e: JournalEntry = { orderId: r.order_id, step: r.step, status: r.status, attempts: r.attempts, startedAt: r.started_at.toISOString() };
  if (r.outcome !== null && r.outcome !== undefined) e.outcome = r.outcome;
  if (r.finished_at) e.finishedAt = r.finished_at.toISOString();
  return e;
}

export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema of its own (tests use one per run); public by default. */
  schema?: string;
  poolSize?: number;
}

const UNIQUE_VIOLATION = '23505';
// Any fixed 64-bit number: the advisory lock that keeps two starting processes from migrating at once.
const MIGRATION_LOCK = 0x7761736c;

interface PgCallbackRow {
  provider: string;
  event_id: string;
  type: string;
  order_id: string | null;
  reference: string | null;
  amount: string | null;
  currency: string | null;
  outcome: string;
  occurred_at: Date | null;
  received_at: Date;
  anomaly: PaymentAnomaly | null;
}

function pgCallback(r: PgCallbackRow): CallbackRecord {
  const c: CallbackRecord = { provider: r.provider, eventId: r.event_id, type: r.type, outcome: r.outcome, receivedAt: r.received_at.toISOString() };
  if (r.order_id !== null) c.orderId = r.order_id;
  if (r.reference !== null) c.reference = r.reference;
  if (r.amount !== null) c.amount = Number(r.amount);
  if (r.currency !== null) c.currency = r.currency;
  if (r.occurred_at !== null) c.occurredAt = r.occurred_at.toISOString();
  if (r.anomaly !== null) c.anomaly = r.anomaly;
  return c;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  /** Audit entries of each open transaction, appended to the chain with its COMMIT. */
  private readonly pendingAudit = new WeakMap<PoolClient, AuditEntry[]>();

  private constructor(pool: Pool) {
    this.pool = pool;
  }

  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
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
    const store = new PostgresStore(pool);
    try {
      await store.migrate(schema);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
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

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
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

  async createOrder(order: Order, idem: IdempotencyClaim): Promise<CreateResult> {
    try {
      return await this.tx(async (c) => {
        const existing = await c.query<{ request_hash: string; order_id: string }>(
          'SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = $1 AND key = $2',
          [idem.channel, idem.key],
        );
        if (existing.rows[0]) return this.replay(c, existing.rows[0], idem);
        const { doc, timeline } = splitOrder(order);
        // The key first: a concurrent request with the same key waits here, then fails on the unique key.
        await c.query('INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4, $5)', [
          idem.channel,
          idem.key,
          idem.requestHash,
          doc.id,
          doc.createdAt,
        ]);
        await c.query('INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES ($1, $2, $3, $4, $5)', [
          doc.id,
          doc.service.code,
          doc.channel.id,
          doc.status,
          doc,
        ]);
        for (const step of timeline) await this.appendStep(c, doc, step);
        return { order, replayed: false };
      });
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      // Lost a race with the same key: answer as the winner's replay would.
      const row = await this.pool.query<{ request_hash: string; order_id: string }>(
        'SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = $1 AND key = $2',
        [idem.channel, idem.key],
      );
      if (!row.rows[0]) throw err;
      const c = await this.pool.connect();
      try {
        return await this.replay(c, row.rows[0], idem);
      } finally {
        c.release();
      }
    }
  }

  private async replay(c: PoolClient, existing: { request_hash: string; order_id: string }, idem: IdempotencyClaim): Promise<CreateResult> {
    if (existing.request_hash !== idem.requestHash) throw new WaslError('idempotency-key-reused');
    const order = await this.readOrder(c, existing.order_id);
    if (!order) throw new Error(`idempotency key points at missing order ${existing.order_id}`);
    return { order, replayed: true };
  }

  /**
   * One chain for every process: a transaction-scoped advisory lock orders the appends. They are
   * made last, in the same round trip as the COMMIT: wasl_audit_append (migration 007) takes the
   * lock, reads the head, hashes and inserts in the server, and the lock is released by the commit
   * that follows it in the same simple query (values escaped by the driver). Every order step of
   * every process waits for this lock, so no Node process may hold it across a round trip
   * (bench:scale: held 100 % of the time when it did). Without entries, just the COMMIT.
   */
  private async commitWithChain(c: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) {
      await c.query('COMMIT');
      return;
    }
    const cols: string[][] = [[], [], [], [], [], [], []];
    for (const e of entries) {
      const { prefix, suffix } = bodyAroundSeq(e);
      [e.at, e.kind, e.actor, e.subject, JSON.stringify(e.data), prefix, suffix].forEach((v, i) => cols[i]!.push(v));
    }
    const arrays = cols.map((vs) => `ARRAY[${vs.map((v) => c.escapeLiteral(v)).join(', ')}]::text[]`);
    // An error in the append skips the COMMIT (the rest of a failed simple query is not run); tx() rolls back.
    await c.query(`SELECT wasl_audit_append(${arrays.join(', ')}); COMMIT`);
  }

  /** Queues an audit entry on the caller's transaction; tx() appends it to the chain with its COMMIT. */
  private audit(c: PoolClient, entry: AuditEntry): void {
    const queued = this.pendingAudit.get(c);
    if (queued) queued.push(entry);
    else this.pendingAudit.set(c, [entry]);
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.tx(async (c) => {
      for (const e of entries) this.audit(c, e);
    });
  }

  async readAudit(q: { afterSeq?: number; from?: Date; to?: Date; subject?: string; limit: number }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.afterSeq !== undefined) add('seq > ?', q.afterSeq);
    if (q.from) add('at >= ?', q.from.toISOString());
    if (q.to) add('at < ?', q.to.toISOString());
    if (q.subject) add('subject = ?', q.subject);
    args.push(q.limit);
    const { rows } = await this.pool.query<Omit<AuditRecord, 'data' | 'seq'> & { seq: string; data: string }>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${args.length}`, args);
    return rows.map((r) => ({ ...r, seq: Number(r.seq), data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: a generic plan could not prove the partial index's predicate.
    const args: unknown[] = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    const { rows } = await this.pool.query<Omit<AuditRecord, 'data' | 'seq'> & { seq: string; data: string }>(
      `SELECT * FROM audit_log WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < $1' : ''} ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async findOrdersByNationalNumber(nationalNumber: string, limit: number): Promise<Order[]> {
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM orders WHERE doc->'applicant'->>'nationalNumber' = $1 OR doc->'beneficiary'->'person'->>'nationalNumber' = $1 ORDER BY id DESC LIMIT $2", [nationalNumber, limit]);
    const out: Order[] = [];
    for (const r of rows) {
      const o = await this.getOrder(r.id);
      if (o) out.push(o);
    }
    return out;
  }

  async recordProviderCalls(records: CallRecord[]): Promise<void> {
    if (records.length === 0) return;
    const n = CALL_COLUMNS.split(',').length;
    const values = records.map((_, i) => `(${Array.from({ length: n }, (__, j) => `$${i * n + j + 1}`).join(', ')})`).join(', ');
    await this.pool.query(`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES ${values}`, records.flatMap(callValues));
  }

  async listProviderCalls(q: { provider?: string; orderId?: string; from?: Date; to?: Date; limit: number }): Promise<ProviderCallRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.provider) add('provider = ?', q.provider);
    if (q.orderId) add('order_id = ?', q.orderId);
    if (q.from) add('started_at >= ?', q.from.toISOString());
    if (q.to) add('started_at < ?', q.to.toISOString());
    args.push(q.limit);
    const { rows } = await this.pool.query<Parameters<typeof callRow>[0]>(`SELECT ${CALL_COLUMNS} FROM provider_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, seq LIMIT $${args.length}`, args);
    return rows.map(callRow);
  }

  async pruneProviderCalls(before: Date): Promise<number> {
    const r = await this.pool.query('DELETE FROM provider_calls WHERE started_at < $1', [before.toISOString()]);
    return r.rowCount ?? 0;
  }

  async sealAuditDay(seal: AuditSeal): Promise<boolean> {
    const r = await this.pool.query('INSERT INTO audit_seals (day, last_seq, hash, sealed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (day) DO NOTHING', [seal.day, seal.lastSeq, seal.hash, seal.sealedAt]);
    return r.rowCount === 1;
  }

  async auditSeals(): Promise<AuditSeal[]> {
    const { rows } = await this.pool.query<{ day: string; last_seq: string; hash: string; sealed_at: string }>('SELECT * FROM audit_seals ORDER BY day');
    return rows.map((r) => ({ day: r.day, lastSeq: Number(r.last_seq), hash: r.hash, sealedAt: r.sealed_at }));
  }

  private async appendStep(c: PoolClient, doc: OrderDoc, step: TimelineEvent): Promise<void> {
    this.audit(c, stepEntry(doc, step));
    await c.query('INSERT INTO order_timeline (order_id, seq, doc) VALUES ($1, $2, $3)', [doc.id, step.seq, step]);
    const event = eventFor(doc, step);
    await c.query('INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      event.id,
      event.orderId,
      event.type,
      event.service,
      event,
      step.at,
    ]);
  }

  private async readOrder(c: Pick<PoolClient, 'query'>, id: string, lock = false): Promise<Order | undefined> {
    const o = await c.query<{ doc: OrderDoc }>(`SELECT doc FROM orders WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!o.rows[0]) return undefined;
    const t = await c.query<{ doc: TimelineEvent }>('SELECT doc FROM order_timeline WHERE order_id = $1 ORDER BY seq', [id]);
    return { ...o.rows[0].doc, timeline: t.rows.map((r) => r.doc) };
  }

  async getOrder(id: string): Promise<Order | undefined> {
    return this.readOrder(this.pool, id);
  }

  async listOrders(q: OrderQuery): Promise<OrderPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.channel) add('channel_id = ?', q.channel);
    if (q.status) add('status = ?', q.status);
    if (q.service) add('service_code = ?', q.service);
    const { upper, lower } = idBounds(q);
    if (upper) add('id < ?', upper);
    if (lower) add('id >= ?', lower);
    args.push(q.limit + 1);
    const sql = `SELECT doc FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    const { rows } = await this.pool.query<{ doc: OrderDoc }>(sql, args);
    const docs = rows.slice(0, q.limit).map((r) => r.doc);
    const page: OrderPage = { items: docs.map(summarize) };
    const last = docs[docs.length - 1];
    if (rows.length > q.limit && last) page.nextCursor = encodeCursor(last.id);
    return page;
  }

  transition(id: string, req: TransitionRequest): Promise<Order> {
    return this.tx(async (c) => {
      const o = await c.query<{ doc: OrderDoc }>('SELECT doc FROM orders WHERE id = $1 FOR UPDATE', [id]);
      const current = o.rows[0]?.doc;
      if (!current) throw new WaslError('order-not-found');
      const s = await c.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = $1', [id]);
      const { doc, step } = planTransition(current, s.rows[0]?.seq ?? 0, req);
      if (req.receipt) doc.payment = { ...doc.payment, receiptNumber: (await this.issueReceipt(c, id, req.receipt)).number };
      await c.query('UPDATE orders SET status = $1, doc = $2 WHERE id = $3', [doc.status, doc, id]);
      await this.appendStep(c, doc, step);
      const order = await this.readOrder(c, id);
      if (!order) throw new Error('order vanished inside its own transaction');
      return order;
    });
  }

  /** Numbers and stores the order's receipt in the caller's transaction (the order row is locked); the one it has if any. */
  private async issueReceipt(c: PoolClient, orderId: string, draft: NonNullable<TransitionRequest['receipt']>): Promise<Receipt> {
    const existing = await c.query<{ doc: Receipt }>('SELECT doc FROM receipts WHERE order_id = $1', [orderId]);
    if (existing.rows[0]) return existing.rows[0].doc;
    const { rows } = await c.query<{ seq: string }>("INSERT INTO receipts (number, order_id, doc) VALUES ('pending:' || $1, $1, '{}') RETURNING seq", [orderId]);
    const receipt: Receipt = { number: receiptNumber(Number(rows[0]!.seq), draft.issuedAt), ...draft };
    await c.query('UPDATE receipts SET number = $1, doc = $2 WHERE seq = $3', [receipt.number, receipt, rows[0]!.seq]);
    return receipt;
  }

  async getReceipt(orderId: string): Promise<Receipt | undefined> {
    const { rows } = await this.pool.query<{ doc: Receipt }>('SELECT doc FROM receipts WHERE order_id = $1', [orderId]);
    return rows[0]?.doc;
  }

  async recordCallback(r: CallbackRecord): Promise<boolean> {
    const res = await this.pool.query(
      `INSERT INTO provider_callbacks (provider, event_id, type, order_id, reference, amount, currency, outcome, occurred_at, received_at, anomaly)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (provider, event_id) DO NOTHING`,
      [r.provider, r.eventId, r.type, r.orderId ?? null, r.reference ?? null, r.amount ?? null, r.currency ?? null, r.outcome, r.occurredAt ?? null, r.receivedAt, r.anomaly ? JSON.stringify(r.anomaly) : null],
    );
    return res.rowCount === 1;
  }

  async getCallback(provider: string, eventId: string): Promise<CallbackRecord | undefined> {
    const { rows } = await this.pool.query<PgCallbackRow>('SELECT * FROM provider_callbacks WHERE provider = $1 AND event_id = $2', [provider, eventId]);
    return rows[0] ? pgCallback(rows[0]) : undefined;
  }

  async listCallbacks(q: CallbackQuery): Promise<CallbackRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => (args.push(v), where.push(sql.replace('?', `$${args.length}`)));
    if (q.provider) add('provider = ?', q.provider);
    if (q.orderId) add('order_id = ?', q.orderId);
    if (q.from) add('received_at >= ?', q.from);
    if (q.to) add('received_at < ?', q.to);
    if (q.outcome) add('outcome = ?', q.outcome);
    args.push(q.limit);
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const { rows } = await this.pool.query<PgCallbackRow>(
      `SELECT * FROM provider_callbacks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at ${dir}, event_id ${dir} LIMIT $${args.length}`,
      args,
    );
    return rows.map(pgCallback);
  }

  note(id: string, req: NoteRequest): Promise<Order> {
    return this.tx(async (c) => (await this.noteIn(c, id, req, true)) as Order);
  }

  private async noteIn(c: PoolClient, id: string, req: NoteRequest, required: boolean): Promise<Order | undefined> {
    const o = await c.query<{ doc: OrderDoc }>('SELECT doc FROM orders WHERE id = $1 FOR UPDATE', [id]);
    const current = o.rows[0]?.doc;
    if (!current) {
      if (required) throw new WaslError('order-not-found');
      return undefined;
    }
    const s = await c.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = $1', [id]);
    const { doc, step } = planNote(current, s.rows[0]?.seq ?? 0, req);
    await c.query('UPDATE orders SET doc = $1 WHERE id = $2', [doc, id]);
    await c.query('INSERT INTO order_timeline (order_id, seq, doc) VALUES ($1, $2, $3)', [id, step.seq, step]);
    this.audit(c, stepEntry(doc, step));
    return this.readOrder(c, id);
  }

  async outboxPending(limit: number): Promise<OutboxRecord[]> {
    const { rows } = await this.pool.query<{ seq: string; payload: OutboxRecord['event'] }>(
      'SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), event: r.payload }));
  }

  async markPublished(seqs: number[]): Promise<void> {
    if (seqs.length) await this.pool.query('UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  async recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }): Promise<void> {
    const m = dl.message;
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO dead_letters (id, event_id, service_code, order_id, type, reason, message, history, dead_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (event_id, service_code) DO UPDATE SET reason = excluded.reason, history = excluded.history, dead_at = excluded.dead_at`,
        [newDeadLetterId(), m.eventId, m.service, m.orderId, m.type, dl.reason, m, JSON.stringify(dl.history)],
      );
      // The order shows it: a failure ends in a visible state, never in silence.
      await this.noteIn(c, m.orderId, deadLetterNote(dl.reason), false);
    });
  }

  async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.service) add('service_code = ?', q.service);
    if (q.reason) add('reason = ?', q.reason);
    if (q.before) add('dead_at < ?', q.before);
    if (q.ids) add('id = ANY(?)', q.ids);
    args.push(q.limit);
    const { rows } = await this.pool.query<{ id: string; reason: string; message: BusMessage; history: AttemptRecord[]; dead_at: Date }>(
      `SELECT id, reason, message, history, dead_at FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY dead_at, id LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({ id: r.id, reason: r.reason, message: r.message, history: r.history, deadAt: r.dead_at.toISOString() }));
  }

  async orderCounts(): Promise<Array<{ service: string; status: OrderStatus; count: number }>> {
    const { rows } = await this.pool.query<{ service: string; status: OrderStatus; count: string }>('SELECT service_code AS service, status, COUNT(*) AS count FROM orders GROUP BY service_code, status');
    return rows.map((r) => ({ service: r.service, status: r.status, count: Number(r.count) }));
  }

  async countOrders(service: string, statuses: readonly OrderStatus[], before: Date): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM orders WHERE service_code = $1 AND status = ANY($2) AND id < $3', [service, [...statuses], orderIdFloor(before)]);
    return Number(rows[0]?.n ?? 0);
  }

  async deadLetterCounts(): Promise<Array<{ service: string; reason: string; count: number }>> {
    const { rows } = await this.pool.query<{ service: string; reason: string; count: string }>('SELECT service_code AS service, reason, COUNT(*) AS count FROM dead_letters GROUP BY service_code, reason');
    return rows.map((r) => ({ service: r.service, reason: r.reason, count: Number(r.count) }));
  }

  async removeDeadLetters(ids: string[]): Promise<number> {
    const r = await this.pool.query('DELETE FROM dead_letters WHERE id = ANY($1)', [ids]);
    return r.rowCount ?? 0;
  }

  async journalGet(orderId: string, step: string): Promise<JournalEntry | undefined> {
    const { rows } = await this.pool.query<JournalRow>('SELECT * FROM step_journal WHERE order_id = $1 AND step = $2', [orderId, step]);
    return rows[0] ? journalEntry(rows[0]) : undefined;
  }

  async journalStart(orderId: string, step: string): Promise<JournalEntry> {
    const { rows } = await this.pool.query<JournalRow>(
      `INSERT INTO step_journal (order_id, step, status, attempts, started_at) VALUES ($1, $2, 'started', 1, now())
       ON CONFLICT (order_id, step) DO UPDATE SET status = 'started', attempts = step_journal.attempts + 1, started_at = excluded.started_at, outcome = NULL, finished_at = NULL
       RETURNING *`,
      [orderId, step],
    );
    return journalEntry(rows[0] as JournalRow);
  }

  async journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown): Promise<void> {
    await this.pool.query('UPDATE step_journal SET status = $1, outcome = $2, finished_at = now() WHERE order_id = $3 AND step = $4', [
      status,
      JSON.stringify(outcome ?? null),
      orderId,
      step,
    ]);
  }

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  async recordProcessed(consumer: string, eventId: string): Promise<void> {
    await this.pool.query('INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING', [consumer, eventId]);
  }

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at < now()`,
      [name, holder, ttlMs],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

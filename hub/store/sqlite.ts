/**
 * The embedded back end: the store's tables in the hub's SQLite database (hub/sqlite/database.ts:
 * WAL, synchronous=FULL, group commit), so an accepted order is on disk before the gateway answers.
 */
import { join } from 'node:path';
import type { ProviderCallRecord } from './store';
import type { Order, OrderStatus, Receipt, TimelineEvent } from '../../contracts/types';
import { eventMessage, type AttemptRecord, type BusMessage, type DeadLetter, type InlinePublisher } from '../bus/bus';
import { WaslError } from '../errors';
import { newDeadLetterId, orderIdFloor } from '../ids';
import { chain, type AuditEntry, type AuditRecord, type AuditSeal } from '../audit/chain';
import { stepEntry } from '../audit/entries';
import type { CallRecord } from '../../connectors/connector';
import { CALL_COLUMNS, callRow, callValues } from './provider-calls';
import { SqliteDatabase } from '../sqlite/database';
import { deadLetterNote, encodeCursor, idBounds, planNote, planTransition, receiptNumber, splitOrder, summarize, eventFor, type OrderDoc } from './order-records';
import type { CallbackQuery, CallbackRecord, CreateResult, PaymentAnomaly, DeadLetterQuery, JournalEntry, IdempotencyClaim, NoteRequest, OrderPage, OrderQuery, OutboxRecord, Store, TransitionRequest } from './store';

interface JournalRow {
  order_id: string;
  step: string;
  status: JournalEntry['status'];
  attempts: number;
  outcome: string | null;
  started_at: string;
  finished_at: string | null;
}

interface CallbackRow {
  provider: string;
  event_id: string;
  type: string;
  order_id: string | null;
  reference: string | null;
  amount: number | null;
  currency: string | null;
  outcome: string;
  occurred_at: string | null;
  received_at: string;
  anomaly: string | null;
}

function callbackRecord(r: CallbackRow): CallbackRecord {
  const c: CallbackRecord = { provider: r.provider, eventId: r.event_id, type: r.type, outcome: r.outcome, receivedAt: r.received_at };
  if (r.order_id !== null) c.orderId = r.order_id;
  if (r.reference !== null) c.reference = r.reference;
  if (r.amount !== null) c.amount = r.amount;
  if (r.currency !== null) c.currency = r.currency;
  if (r.occurred_at !== null) c.occurredAt = r.occurred_at;
  if (r.anomaly !== null) c.anomaly = JSON.parse(r.anomaly) as PaymentAnomaly;
  return c;
}

function journalEntry(r: JournalRow): JournalEntry {
  const e: JournalEntry = { orderId: r.order_id, step: r.step, status: r.status, attempts: r.attempts, startedAt: r.started_at };
  if (r.outcome !== null) e.outcome = JSON.parse(r.outcome);
  if (r.finished_at) e.finishedAt = r.finished_at;
  return e;
}

/**
 * The order as a write inside a transaction left it, without reading it back: what was stored,
 * parsed again (so it is exactly what a later read returns), with the step just appended.
 */
function written(stored: string, timeline: TimelineEvent[], step: TimelineEvent): Order {
  return { ...(JSON.parse(stored) as OrderDoc), timeline: [...timeline, JSON.parse(JSON.stringify(step)) as TimelineEvent] };
}

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests; the store then owns its database. */
  file?: string;
  /** A database shared with the embedded bus; the caller closes it. */
  database?: SqliteDatabase;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly database: SqliteDatabase;
  private readonly ownsDatabase: boolean;
  private readonly stmt;
  private publisher?: InlinePublisher;

  constructor(opts: SqliteStoreOptions) {
    if (!opts.database && !opts.file) throw new Error('SqliteStore needs a file or a database');
    this.ownsDatabase = !opts.database;
    this.database = opts.database ?? new SqliteDatabase(opts.file as string);
    this.database.migrate('store', join(__dirname, 'migrations', 'sqlite'));
    const db = this.database.db;
    this.stmt = {
      insertOrder: db.prepare('INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES (?, ?, ?, ?, ?)'),
      updateOrder: db.prepare('UPDATE orders SET status = ?, doc = ? WHERE id = ?'),
      getOrder: db.prepare<[string], { doc: string }>('SELECT doc FROM orders WHERE id = ?'),
      insertStep: db.prepare('INSERT INTO order_timeline (order_id, seq, doc) VALUES (?, ?, ?)'),
      getSteps: db.prepare<[string], { doc: string }>('SELECT doc FROM order_timeline WHERE order_id = ? ORDER BY seq'),
      lastSeq: db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = ?'),
      insertEvent: db.prepare('INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      pending: db.prepare<[number], { seq: number; payload: string }>('SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?'),
      published: db.prepare('UPDATE outbox SET published_at = ? WHERE seq = ?'),
      getKey: db.prepare<[string, string], { request_hash: string; order_id: string }>(
        'SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = ? AND key = ?',
      ),
      insertKey: db.prepare('INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      ping: db.prepare('SELECT 1'),
      upsertDead: db.prepare(
        `INSERT INTO dead_letters (id, event_id, service_code, order_id, type, reason, message, history, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id, service_code) DO UPDATE SET reason = excluded.reason, history = excluded.history, dead_at = excluded.dead_at`,
      ),
      deleteDead: db.prepare('DELETE FROM dead_letters WHERE id = ?'),
      isProcessed: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM processed_events WHERE consumer = ? AND event_id = ?'),
      recordProcessed: db.prepare('INSERT OR IGNORE INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)'),
      lease: db.prepare(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
      ),
      release: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
      journalGet: db.prepare<[string, string], JournalRow>('SELECT * FROM step_journal WHERE order_id = ? AND step = ?'),
      journalStart: db.prepare(
        `INSERT INTO step_journal (order_id, step, status, attempts, started_at) VALUES (?, ?, 'started', 1, ?)
         ON CONFLICT (order_id, step) DO UPDATE SET status = 'started', attempts = attempts + 1, started_at = excluded.started_at, outcome = NULL, finished_at = NULL`,
      ),
      journalFinish: db.prepare('UPDATE step_journal SET status = ?, outcome = ?, finished_at = ? WHERE order_id = ? AND step = ?'),
      receiptOf: db.prepare<[string], { doc: string }>('SELECT doc FROM receipts WHERE order_id = ?'),
      insertReceipt: db.prepare("INSERT INTO receipts (number, order_id, doc) VALUES ('pending:' || ?, ?, '{}')"),
      numberReceipt: db.prepare('UPDATE receipts SET number = ?, doc = ? WHERE seq = ?'),
      insertCallback: db.prepare(
        `INSERT OR IGNORE INTO provider_callbacks (provider, event_id, type, order_id, reference, amount, currency, outcome, occurred_at, received_at, anomaly)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getCallback: db.prepare<[string, string], CallbackRow>('SELECT * FROM provider_callbacks WHERE provider = ? AND event_id = ?'),
      auditHead: db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insertCall: db.prepare(`INSERT INTO provider_calls (${CALL_COLUMNS}) VALUES (${CALL_COLUMNS.split(',').map(() => '?').join(', ')})`),
      insertAudit: db.prepare('INSERT INTO audit_log (seq, at, kind, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  private write<T>(fn: () => T): Promise<T> {
    return this.database.write(fn);
  }

  /**
   * The embedded bus's publisher, when the bus shares this database (EmbeddedBus.publisherWithin):
   * from then on each step's event enters the queue in the step's own commit and its outbox row
   * is written as published, so the relay has nothing to move. Whether it is set.
   */
  publishWithin(publisher: InlinePublisher | undefined): boolean {
    this.publisher = publisher;
    return publisher !== undefined;
  }

  createOrder(order: Order, idem: IdempotencyClaim): Promise<CreateResult> {
    return this.write(() => {
      const existing = this.stmt.getKey.get(idem.channel, idem.key);
      if (existing) return this.replay(existing, idem);
      const { doc, timeline } = splitOrder(order);
      this.stmt.insertOrder.run(doc.id, doc.service.code, doc.channel.id, doc.status, JSON.stringify(doc));
      for (const step of timeline) this.appendStep(doc, step);
      this.stmt.insertKey.run(idem.channel, idem.key, idem.requestHash, doc.id, doc.createdAt);
      return { order, replayed: false };
    });
  }

  private replay(existing: { request_hash: string; order_id: string }, idem: IdempotencyClaim): CreateResult {
    if (existing.request_hash !== idem.requestHash) throw new WaslError('idempotency-key-reused');
    const order = this.readOrder(existing.order_id);
    if (!order) throw new Error(`idempotency key points at missing order ${existing.order_id}`);
    return { order, replayed: true };
  }

  /** Inside a write: the single writer keeps the chain in order. */
  private audit(entry: AuditEntry): void {
    const r = chain(this.stmt.auditHead.get(), entry);
    this.stmt.insertAudit.run(r.seq, r.at, r.kind, r.actor, r.subject, JSON.stringify(r.data), r.prev, r.hash);
  }

  appendAudit(entries: AuditEntry[]): Promise<void> {
    return this.write(() => {
      for (const e of entries) this.audit(e);
    });
  }

  async readAudit(q: { afterSeq?: number; from?: Date; to?: Date; subject?: string; limit: number }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.afterSeq !== undefined) (where.push('seq > ?'), args.push(q.afterSeq));
    if (q.from) (where.push('at >= ?'), args.push(q.from.toISOString()));
    if (q.to) (where.push('at < ?'), args.push(q.to.toISOString()));
    if (q.subject) (where.push('subject = ?'), args.push(q.subject));
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], Omit<AuditRecord, 'data'> & { data: string }>(sql).all(...args, q.limit);
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async listOperatorActions(q: { beforeSeq?: number; limit: number }): Promise<AuditRecord[]> {
    // The kind is written out, not bound: SQLite uses a partial index only when the query's WHERE visibly implies the index's.
    const sql = `SELECT * FROM audit_log INDEXED BY audit_log_operator_actions WHERE kind = 'operator.action'${q.beforeSeq !== undefined ? ' AND seq < ?' : ''} ORDER BY seq DESC LIMIT ?`;
    const args = q.beforeSeq !== undefined ? [q.beforeSeq, q.limit] : [q.limit];
    const rows = this.database.db.prepare<unknown[], Omit<AuditRecord, 'data'> & { data: string }>(sql).all(...args);
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async findOrdersByNationalNumber(nationalNumber: string, limit: number): Promise<Order[]> {
    const rows = this.database.db
      .prepare<[string, string, number], { id: string }>("SELECT id FROM orders WHERE json_extract(doc, '$.applicant.nationalNumber') = ? OR json_extract(doc, '$.beneficiary.person.nationalNumber') = ? ORDER BY id DESC LIMIT ?")
      .all(nationalNumber, nationalNumber, limit);
    return rows.map((r) => this.readOrder(r.id)).filter((o): o is Order => !!o);
  }

  recordProviderCalls(records: CallRecord[]): Promise<void> {
    return this.write(() => {
      for (const r of records) this.stmt.insertCall.run(...callValues(r));
    });
  }

  async listProviderCalls(q: { provider?: string; orderId?: string; from?: Date; to?: Date; limit: number }): Promise<ProviderCallRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.provider) (where.push('provider = ?'), args.push(q.provider));
    if (q.orderId) (where.push('order_id = ?'), args.push(q.orderId));
    if (q.from) (where.push('started_at >= ?'), args.push(q.from.toISOString()));
    if (q.to) (where.push('started_at < ?'), args.push(q.to.toISOString()));
    const sql = `SELECT ${CALL_COLUMNS} FROM provider_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, seq LIMIT ?`;
    return this.database.db.prepare<unknown[], Parameters<typeof callRow>[0]>(sql).all(...args, q.limit).map(callRow);
  }

  pruneProviderCalls(before: Date): Promise<number> {
    return this.write(() => this.database.db.prepare('DELETE FROM provider_calls WHERE started_at < ?').run(before.toISOString()).changes);
  }

  sealAuditDay(seal: AuditSeal): Promise<boolean> {
    return this.write(() => this.database.db.prepare('INSERT OR IGNORE INTO audit_seals (day, last_seq, hash, sealed_at) VALUES (?, ?, ?, ?)').run(seal.day, seal.lastSeq, seal.hash, seal.sealedAt).changes === 1);
  }

  async auditSeals(): Promise<AuditSeal[]> {
    return this.database.db.prepare<[], AuditSeal>('SELECT day, last_seq AS lastSeq, hash, sealed_at AS sealedAt FROM audit_seals ORDER BY day').all();
  }

  private appendStep(doc: OrderDoc, step: TimelineEvent): void {
    this.audit(stepEntry(doc, step));
    this.stmt.insertStep.run(doc.id, step.seq, JSON.stringify(step));
    const event = eventFor(doc, step);
    this.stmt.insertEvent.run(event.id, event.orderId, event.type, event.service, JSON.stringify(event), step.at, this.publisher ? step.at : null);
    this.publisher?.([eventMessage(event)]);
  }

  private readOrder(id: string): Order | undefined {
    const row = this.stmt.getOrder.get(id);
    if (!row) return undefined;
    return { ...(JSON.parse(row.doc) as OrderDoc), timeline: this.steps(id) };
  }

  private steps(id: string): TimelineEvent[] {
    return this.stmt.getSteps.all(id).map((r) => JSON.parse(r.doc) as TimelineEvent);
  }

  async getOrder(id: string): Promise<Order | undefined> {
    return this.readOrder(id);
  }

  async listOrders(q: OrderQuery): Promise<OrderPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.channel) (where.push('channel_id = ?'), args.push(q.channel));
    if (q.status) (where.push('status = ?'), args.push(q.status));
    if (q.service) (where.push('service_code = ?'), args.push(q.service));
    const { upper, lower } = idBounds(q);
    if (upper) (where.push('id < ?'), args.push(upper));
    if (lower) (where.push('id >= ?'), args.push(lower));
    const sql = `SELECT doc FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], { doc: string }>(sql).all(...args, q.limit + 1);
    const docs = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as OrderDoc);
    const page: OrderPage = { items: docs.map(summarize) };
    const last = docs[docs.length - 1];
    if (rows.length > q.limit && last) page.nextCursor = encodeCursor(last.id);
    return page;
  }

  transition(id: string, req: TransitionRequest): Promise<Order> {
    return this.write(() => {
      const row = this.stmt.getOrder.get(id);
      if (!row) throw new WaslError('order-not-found');
      const current = JSON.parse(row.doc) as OrderDoc;
      const timeline = this.steps(id);
      const { doc, step } = planTransition(current, timeline.at(-1)?.seq ?? 0, req);
      if (req.receipt) doc.payment = { ...doc.payment, receiptNumber: this.issueReceipt(id, req.receipt).number };
      const stored = JSON.stringify(doc);
      this.stmt.updateOrder.run(doc.status satisfies OrderStatus, stored, id);
      this.appendStep(doc, step);
      return written(stored, timeline, step);
    });
  }

  /** Numbers and stores the order's receipt (inside the caller's write); the one it has if any. */
  private issueReceipt(orderId: string, draft: TransitionRequest['receipt'] & object): Receipt {
    const existing = this.stmt.receiptOf.get(orderId);
    if (existing) return JSON.parse(existing.doc) as Receipt;
    const seq = Number(this.stmt.insertReceipt.run(orderId, orderId).lastInsertRowid);
    const receipt: Receipt = { number: receiptNumber(seq, draft.issuedAt), ...draft };
    this.stmt.numberReceipt.run(receipt.number, JSON.stringify(receipt), seq);
    return receipt;
  }

  async getReceipt(orderId: string): Promise<Receipt | undefined> {
    const row = this.stmt.receiptOf.get(orderId);
    return row ? (JSON.parse(row.doc) as Receipt) : undefined;
  }

  recordCallback(r: CallbackRecord): Promise<boolean> {
    return this.write(
      () =>
        this.stmt.insertCallback.run(r.provider, r.eventId, r.type, r.orderId ?? null, r.reference ?? null, r.amount ?? null, r.currency ?? null, r.outcome, r.occurredAt ?? null, r.receivedAt, r.anomaly ? JSON.stringify(r.anomaly) : null)
          .changes === 1,
    );
  }

  async getCallback(provider: string, eventId: string): Promise<CallbackRecord | undefined> {
    const row = this.stmt.getCallback.get(provider, eventId);
    return row ? callbackRecord(row) : undefined;
  }

  async listCallbacks(q: CallbackQuery): Promise<CallbackRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.provider) (where.push('provider = ?'), args.push(q.provider));
    if (q.orderId) (where.push('order_id = ?'), args.push(q.orderId));
    if (q.from) (where.push('received_at >= ?'), args.push(q.from.toISOString()));
    if (q.to) (where.push('received_at < ?'), args.push(q.to.toISOString()));
    if (q.outcome) (where.push('outcome = ?'), args.push(q.outcome));
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM provider_callbacks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at ${dir}, event_id ${dir} LIMIT ?`;
    return this.database.db.prepare<unknown[], CallbackRow>(sql).all(...args, q.limit).map(callbackRecord);
  }

  note(id: string, req: NoteRequest): Promise<Order> {
    return this.write(() => {
      const row = this.stmt.getOrder.get(id);
      if (!row) throw new WaslError('order-not-found');
      const timeline = this.steps(id);
      const { doc, step } = planNote(JSON.parse(row.doc) as OrderDoc, timeline.at(-1)?.seq ?? 0, req);
      const stored = JSON.stringify(doc);
      this.stmt.updateOrder.run(doc.status, stored, id);
      this.stmt.insertStep.run(id, step.seq, JSON.stringify(step));
      this.audit(stepEntry(doc, step));
      return written(stored, timeline, step);
    });
  }

  async outboxPending(limit: number): Promise<OutboxRecord[]> {
    return this.stmt.pending.all(limit).map((r) => ({ seq: r.seq, event: JSON.parse(r.payload) }));
  }

  markPublished(seqs: number[]): Promise<void> {
    return this.write(() => {
      const at = new Date().toISOString();
      for (const seq of seqs) this.stmt.published.run(at, seq);
    });
  }

  recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }): Promise<void> {
    const m = dl.message;
    return this.write(() => {
      this.stmt.upsertDead.run(newDeadLetterId(), m.eventId, m.service, m.orderId, m.type, dl.reason, JSON.stringify(m), JSON.stringify(dl.history), new Date().toISOString());
      // The order shows it: a failure ends in a visible state, never in silence.
      const row = this.stmt.getOrder.get(m.orderId);
      if (row) {
        const { doc, step } = planNote(JSON.parse(row.doc) as OrderDoc, this.stmt.lastSeq.get(m.orderId)?.seq ?? 0, deadLetterNote(dl.reason));
        this.stmt.updateOrder.run(doc.status, JSON.stringify(doc), m.orderId);
        this.stmt.insertStep.run(m.orderId, step.seq, JSON.stringify(step));
      }
    });
  }

  async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.service) (where.push('service_code = ?'), args.push(q.service));
    if (q.reason) (where.push('reason = ?'), args.push(q.reason));
    if (q.before) (where.push('dead_at < ?'), args.push(q.before.toISOString()));
    if (q.ids) (where.push(`id IN (${q.ids.map(() => '?').join(', ') || 'NULL'})`), args.push(...q.ids));
    const sql = `SELECT id, reason, message, history, dead_at FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY dead_at, id LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], { id: string; reason: string; message: string; history: string; dead_at: string }>(sql).all(...args, q.limit);
    return rows.map((r) => ({ id: r.id, reason: r.reason, message: JSON.parse(r.message), history: JSON.parse(r.history), deadAt: r.dead_at }));
  }

  async orderCounts(): Promise<Array<{ service: string; status: OrderStatus; count: number }>> {
    return this.database.db.prepare<[], { service: string; status: OrderStatus; count: number }>('SELECT service_code AS service, status, COUNT(*) AS count FROM orders GROUP BY service_code, status').all();
  }

  async countOrders(service: string, statuses: readonly OrderStatus[], before: Date): Promise<number> {
    if (statuses.length === 0) return 0;
    const row = this.database.db
      .prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM orders WHERE service_code = ? AND status IN (${statuses.map(() => '?').join(', ')}) AND id < ?`)
      .get(service, ...statuses, orderIdFloor(before));
    return row?.n ?? 0;
  }

  async deadLetterCounts(): Promise<Array<{ service: string; reason: string; count: number }>> {
    return this.database.db.prepare<[], { service: string; reason: string; count: number }>('SELECT service_code AS service, reason, COUNT(*) AS count FROM dead_letters GROUP BY service_code, reason').all();
  }

  removeDeadLetters(ids: string[]): Promise<number> {
    return this.write(() => ids.reduce((n, id) => n + this.stmt.deleteDead.run(id).changes, 0));
  }

  async journalGet(orderId: string, step: string): Promise<JournalEntry | undefined> {
    const row = this.stmt.journalGet.get(orderId, step);
    return row ? journalEntry(row) : undefined;
  }

  journalStart(orderId: string, step: string): Promise<JournalEntry> {
    return this.write(() => {
      this.stmt.journalStart.run(orderId, step, new Date().toISOString());
      return journalEntry(this.stmt.journalGet.get(orderId, step) as JournalRow);
    });
  }

  journalFinish(orderId: string, step: string, status: 'succeeded' | 'failed', outcome: unknown): Promise<void> {
    return this.write(() => {
      this.stmt.journalFinish.run(status, JSON.stringify(outcome ?? null), new Date().toISOString(), orderId, step);
    });
  }

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    return this.stmt.isProcessed.get(consumer, eventId) !== undefined;
  }

  recordProcessed(consumer: string, eventId: string): Promise<void> {
    return this.write(() => {
      this.stmt.recordProcessed.run(consumer, eventId, new Date().toISOString());
    });
  }

  recorderWithin(database: unknown): ((consumer: string, eventId: string) => void) | undefined {
    if (database !== this.database) return undefined;
    return (consumer, eventId) => void this.stmt.recordProcessed.run(consumer, eventId, new Date().toISOString());
  }

  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.write(() => {
      const now = Date.now();
      return this.stmt.lease.run(name, holder, now + ttlMs, now).changes > 0;
    });
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.write(() => {
      this.stmt.release.run(name, holder);
    });
  }

  async ping(): Promise<void> {
    this.stmt.ping.get();
  }

  async close(): Promise<void> {
    if (this.ownsDatabase) this.database.close();
  }
}

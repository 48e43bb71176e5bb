/**
 * Orders on SQLite: the orders, their timeline, idempotency keys and receipts. Each step writes
 * its timeline event, its audit record and its outbox event in the write that changes the order;
 * with the embedded bus in the same database the event also enters the queue in that commit.
 */
import type { Order, OrderEvent, OrderStatus, Receipt, TimelineEvent } from '../../../contracts/types';
import { eventMessage, type FreedSlot, type InlinePublisher, type InlineSettler } from '../../bus/bus';
import { WaslError } from '../../errors';
import { stepEntry } from '../../audit/entries';
import type { SqliteDatabase } from '../../sqlite/database';
import { encodeCursor, idBounds, planNote, planTransition, receiptNumber, splitOrder, summarize, eventFor, traceStep, type OrderDoc } from '../order-records';
import type { TraceCarrier } from '../../tracing';
import type { CreateResult, IdempotencyClaim, NoteRequest, OrderPage, OrderQuery, OrderStore, TransitionRequest } from '../store';
import type { SqliteAudit } from './audit';

/**
 * The order from its stored text: what a write stored, without reading it back, or what a read
 * found — parsed each time, so it is exactly what a later read returns, and each caller has its own copy.
 */
function written(stored: string, steps: readonly string[]): Order {
  return { ...(JSON.parse(stored) as OrderDoc), timeline: steps.map((s) => JSON.parse(s) as TimelineEvent) };
}

/** An order as stored: its document, its timeline's steps in order, and the seq of the last (0 before the first). */
interface Stored {
  doc: string;
  steps: readonly string[];
  lastSeq: number;
}

/**
 * Orders whose last write this process made, remembered as stored (most recently written kept):
 * each step of an order read it and its whole timeline back, and so did the flow taking its
 * event and the payment desk. About 4 KB each.
 */
export const KEPT_ORDERS = 4096;

export class SqliteOrders implements OrderStore {
  private readonly stmt;
  private publisher?: InlinePublisher;
  /**
   * The orders this connection wrote last, as it wrote them, valid only while no other connection
   * has written the database (PRAGMA data_version: a wasl command, another hub on the file, a
   * hand with sqlite3) — checked before each use, and forgotten whole when one has, or when a
   * write this connection made is rolled back.
   */
  private readonly kept = new Map<string, Stored>();
  private keptVersion?: number;
  /** Records the event a step completes (TransitionRequest.settles) inside the step's write. */
  private settler?: InlineSettler;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly audit: SqliteAudit,
  ) {
    const db = database.db;
    this.stmt = {
      insertOrder: db.prepare('INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES (?, ?, ?, ?, ?)'),
      updateOrder: db.prepare('UPDATE orders SET status = ?, doc = ? WHERE id = ?'),
      getOrder: db.prepare<[string], { doc: string }>('SELECT doc FROM orders WHERE id = ?'),
      insertStep: db.prepare('INSERT INTO order_timeline (order_id, seq, doc) VALUES (?, ?, ?)'),
      getSteps: db.prepare<[string], { seq: number; doc: string }>('SELECT seq, doc FROM order_timeline WHERE order_id = ? ORDER BY seq'),
      insertEvent: db.prepare('INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      getKey: db.prepare<[string, string], { request_hash: string; order_id: string }>(
        'SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = ? AND key = ?',
      ),
      insertKey: db.prepare('INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      receiptOf: db.prepare<[string], { doc: string }>('SELECT doc FROM receipts WHERE order_id = ?'),
      insertReceipt: db.prepare("INSERT INTO receipts (number, order_id, doc) VALUES ('pending:' || ?, ?, '{}')"),
      numberReceipt: db.prepare('UPDATE receipts SET number = ?, doc = ? WHERE seq = ?'),
    };
    database.onRollback(() => this.kept.clear());
  }

  /** The order as stored: as this connection's last write of it left it, if nothing else wrote since; else read. */
  private stored(id: string): Stored | undefined {
    const version = this.stmt.dataVersion.get();
    if (version !== this.keptVersion) {
      this.kept.clear();
      this.keptVersion = version;
    } else {
      const kept = this.kept.get(id);
      if (kept) return kept;
    }
    const row = this.stmt.getOrder.get(id);
    if (!row) return undefined;
    const rows = this.stmt.getSteps.all(id);
    return { doc: row.doc, steps: rows.map((r) => r.doc), lastSeq: rows.length ? rows[rows.length - 1]!.seq : 0 };
  }

  /** Inside a write, once its statements ran: the order as it leaves it. */
  private keep(id: string, order: Stored): void {
    this.kept.delete(id);
    if (this.kept.size >= KEPT_ORDERS) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(id, order);
  }

  /** SqliteStore.publishWithin: each step's event enters the embedded bus in the step's commit. */
  publishWithin(publisher: InlinePublisher | undefined): boolean {
    this.publisher = publisher;
    return publisher !== undefined;
  }

  /**
   * SqliteStore: what records a step's settled event in its write — the processed log's own
   * recorder, or the embedded bus's settler (which also takes the message off its queue).
   */
  settleWith(settler: InlineSettler | undefined): void {
    this.settler = settler;
  }

  createOrder(order: Order, idem: IdempotencyClaim, trace?: TraceCarrier): Promise<CreateResult> {
    return this.database.write(() => {
      const existing = this.stmt.getKey.get(idem.channel, idem.key);
      if (existing) return this.replay(existing, idem);
      const { doc, timeline } = splitOrder(order);
      const stored = JSON.stringify(doc);
      this.stmt.insertOrder.run(doc.id, doc.service.code, doc.channel.id, doc.status, stored);
      const steps: string[] = [];
      for (const step of timeline) {
        traceStep(step, trace);
        steps.push(this.appendStep(doc, step, eventFor(doc, step, trace), () => written(stored, steps)));
      }
      this.stmt.insertKey.run(idem.channel, idem.key, idem.requestHash, doc.id, doc.createdAt);
      this.keep(doc.id, { doc: stored, steps, lastSeq: timeline.length ? timeline[timeline.length - 1]!.seq : 0 });
      return { order, replayed: false };
    });
  }

  private replay(existing: { request_hash: string; order_id: string }, idem: IdempotencyClaim): CreateResult {
    if (existing.request_hash !== idem.requestHash) throw new WaslError('idempotency-key-reused');
    const order = this.readOrder(existing.order_id);
    if (!order) throw new Error(`idempotency key points at missing order ${existing.order_id}`);
    return { order, replayed: true };
  }

  async findOrdersByNationalNumber(nationalNumber: string, limit: number): Promise<Order[]> {
    const rows = this.database.db
      .prepare<[string, string, number], { id: string }>("SELECT id FROM orders WHERE json_extract(doc, '$.applicant.nationalNumber') = ? OR json_extract(doc, '$.beneficiary.person.nationalNumber') = ? ORDER BY id DESC LIMIT ?")
      .all(nationalNumber, nationalNumber, limit);
    return rows.map((r) => this.readOrder(r.id)).filter((o): o is Order => !!o);
  }

  /**
   * The step's timeline row, audit record and its event (on the embedded bus's queue too, with
   * `order`: the order as this write leaves it, for a subscription handed the event, and
   * `freed`: the slot of the delivery this write completes). Returns the step as stored.
   */
  private appendStep(doc: OrderDoc, step: TimelineEvent, event: OrderEvent, order?: () => Order, freed?: FreedSlot): string {
    this.audit.appendWithin(stepEntry(doc, step));
    const stored = JSON.stringify(step);
    this.stmt.insertStep.run(doc.id, step.seq, stored);
    this.stmt.insertEvent.run(event.id, event.orderId, event.type, event.service, JSON.stringify(event), step.at, this.publisher ? step.at : null);
    this.publisher?.([eventMessage(event)], order, freed);
    return stored;
  }

  private readOrder(id: string): Order | undefined {
    const order = this.stored(id);
    return order && written(order.doc, order.steps);
  }

  async getOrder(id: string): Promise<Order | undefined> {
    return this.readOrder(id);
  }

  async listOrders(q: OrderQuery): Promise<OrderPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (q.channel) add('channel_id = ?', q.channel);
    if (q.status) add('status = ?', q.status);
    if (q.service) add('service_code = ?', q.service);
    const { upper, lower } = idBounds(q);
    if (upper) add('id < ?', upper);
    if (lower) add('id >= ?', lower);
    const sql = `SELECT doc FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], { doc: string }>(sql).all(...args, q.limit + 1);
    const docs = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as OrderDoc);
    const page: OrderPage = { items: docs.map(summarize) };
    const last = docs[docs.length - 1];
    if (rows.length > q.limit && last) page.nextCursor = encodeCursor(last.id);
    return page;
  }

  async transition(id: string, req: TransitionRequest): Promise<Order> {
    const settles = this.settler ? req.settles : undefined;
    const order = await this.database.write(() => {
      const current = this.stored(id);
      if (!current) throw new WaslError('order-not-found');
      const { doc, step, event } = planTransition(JSON.parse(current.doc) as OrderDoc, current.lastSeq, req);
      if (req.receipt) doc.payment = { ...doc.payment, receiptNumber: this.issueReceipt(id, req.receipt).number };
      const stored = JSON.stringify(doc);
      this.stmt.updateOrder.run(doc.status satisfies OrderStatus, stored, id);
      // The event this step completes is processed in the same commit (as on PostgreSQL): a
      // crash after it does not run the stage again. Settled first, so that the step's own event
      // may take the slot its delivery leaves.
      const freed = settles ? this.settler!(settles.consumer, settles.eventId) : undefined;
      const steps = [...current.steps];
      steps.push(this.appendStep(doc, step, event, () => written(stored, steps), freed ?? undefined));
      this.keep(id, { doc: stored, steps, lastSeq: step.seq });
      return written(stored, steps);
    });
    settles?.recorded();
    return order;
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

  note(id: string, req: NoteRequest): Promise<Order> {
    return this.database.write(() => {
      const current = this.stored(id);
      if (!current) throw new WaslError('order-not-found');
      const { doc, step } = planNote(JSON.parse(current.doc) as OrderDoc, current.lastSeq, req);
      const stored = JSON.stringify(doc);
      this.stmt.updateOrder.run(doc.status, stored, id);
      const steps = [...current.steps, JSON.stringify(step)];
      this.stmt.insertStep.run(id, step.seq, steps[steps.length - 1]);
      this.audit.appendWithin(stepEntry(doc, step));
      this.keep(id, { doc: stored, steps, lastSeq: step.seq });
      return written(stored, steps);
    });
  }

  /**
   * Inside the caller's write (a dead letter's): appends a step that leaves the order as it is,
   * when the order exists. Unlike note(), it appends no audit record.
   */
  noteWithin(id: string, req: NoteRequest): void {
    const current = this.stored(id);
    if (!current) return;
    const { doc, step } = planNote(JSON.parse(current.doc) as OrderDoc, current.lastSeq, req);
    const stored = JSON.stringify(doc);
    this.stmt.updateOrder.run(doc.status, stored, id);
    const steps = [...current.steps, JSON.stringify(step)];
    this.stmt.insertStep.run(id, step.seq, steps[steps.length - 1]);
    this.keep(id, { doc: stored, steps, lastSeq: step.seq });
  }
}

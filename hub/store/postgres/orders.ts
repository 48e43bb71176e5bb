/**
 * Orders on PostgreSQL: the orders, their timeline, idempotency keys and receipts. Each write is
 * one transaction; a status change locks its order row (SELECT … FOR UPDATE) so concurrent workers
 * serialise on the order, not on the table. Each step writes its timeline event, its outbox event
 * and (with the COMMIT) its audit record.
 */
import type { Pool, PoolClient } from 'pg';
import type { Order, Receipt, TimelineEvent } from '../../../contracts/types';
import { stepEntry } from '../../audit/entries';
import { WaslError } from '../../errors';
import { encodeCursor, eventFor, idBounds, planNote, planTransition, receiptNumber, splitOrder, summarize, traceStep, type OrderDoc } from '../order-records';
import type { TraceCarrier } from '../../tracing';
import type { CreateResult, IdempotencyClaim, NoteRequest, OrderPage, OrderQuery, OrderStore, TransitionRequest } from '../store';
import type { PgDatabase } from './database';

const UNIQUE_VIOLATION = '23505';

export class PgOrders implements OrderStore {
  private readonly pool: Pool;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.pool;
  }

  async createOrder(order: Order, idem: IdempotencyClaim, trace?: TraceCarrier): Promise<CreateResult> {
    try {
      return await this.database.tx(async (c) => {
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
        for (const step of timeline) {
          traceStep(step, trace);
          await this.appendStep(c, doc, step, trace);
        }
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

  async findOrdersByNationalNumber(nationalNumber: string, limit: number): Promise<Order[]> {
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM orders WHERE doc->'applicant'->>'nationalNumber' = $1 OR doc->'beneficiary'->'person'->>'nationalNumber' = $1 ORDER BY id DESC LIMIT $2", [nationalNumber, limit]);
    const out: Order[] = [];
    for (const r of rows) {
      const o = await this.getOrder(r.id);
      if (o) out.push(o);
    }
    return out;
  }

  private async appendStep(c: PoolClient, doc: OrderDoc, step: TimelineEvent, trace?: TraceCarrier): Promise<void> {
    this.database.audit(c, stepEntry(doc, step));
    await c.query('INSERT INTO order_timeline (order_id, seq, doc) VALUES ($1, $2, $3)', [doc.id, step.seq, step]);
    const event = eventFor(doc, step, trace);
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
    return this.database.tx(async (c) => {
      const o = await c.query<{ doc: OrderDoc }>('SELECT doc FROM orders WHERE id = $1 FOR UPDATE', [id]);
      const current = o.rows[0]?.doc;
      if (!current) throw new WaslError('order-not-found');
      const s = await c.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = $1', [id]);
      const { doc, step } = planTransition(current, s.rows[0]?.seq ?? 0, req);
      if (req.receipt) doc.payment = { ...doc.payment, receiptNumber: (await this.issueReceipt(c, id, req.receipt)).number };
      await c.query('UPDATE orders SET status = $1, doc = $2 WHERE id = $3', [doc.status, doc, id]);
      await this.appendStep(c, doc, step, req.trace);
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

  note(id: string, req: NoteRequest): Promise<Order> {
    return this.database.tx(async (c) => (await this.noteIn(c, id, req, true)) as Order);
  }

  /** Inside the caller's transaction (note's, or a dead letter's): a step that leaves the status as it is; undefined for an unknown order unless `required`. */
  async noteIn(c: PoolClient, id: string, req: NoteRequest, required: boolean): Promise<Order | undefined> {
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
    this.database.audit(c, stepEntry(doc, step));
    return this.readOrder(c, id);
  }
}

/**
 * Orders on PostgreSQL: the orders, their timeline, idempotency keys and receipts. Each write is
 * one transaction; a status change locks its order row (SELECT … FOR UPDATE) so concurrent workers
 * serialise on the order, not on the table. Each step writes its timeline event, its outbox event
 * and (with the COMMIT) its audit record.
 *
 * A step is two round trips (issue 25: it was ten): the first begins, locks and reads the order
 * with its timeline and reads the head of the order's audit shard (locked only on a second
 * attempt: PgDatabase.appendingAfterHeads); the hub plans the step and links the audit record;
 * the second moves the head if it is still where it was read and, only if it moved, writes the
 * order, the timeline event, the outbox event and the audit record, and commits. Both are simple
 * queries of several statements with the values escaped by the driver (escapeLiteral), since the
 * extended protocol allows one statement per round trip and node-postgres does not pipeline. The
 * order is returned as written, not read back. A new order likewise: its idempotency key claimed
 * (or found taken) with the shard's head read, then the rest with the COMMIT (the key let go if
 * the head had moved). A step that follows a read of its order in this process (a bus delivery's
 * processed check) skips the first round trip, and locks nothing across one (known-orders.ts).
 */
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Order, Receipt, TimelineEvent } from '../../../contracts/types';
import type { Settlement } from '../../bus/bus';
import { stepEntry } from '../../audit/entries';
import type { AuditEntry } from '../../audit/chain';
import { WaslError } from '../../errors';
import { encodeCursor, eventFor, idBounds, planNote, planTransition, receiptNumber, splitOrder, summarize, traceStep, type OrderDoc } from '../order-records';
import type { TraceCarrier } from '../../tracing';
import type { CreateResult, IdempotencyClaim, NoteRequest, OrderPage, OrderQuery, OrderStore, TransitionRequest } from '../store';
import { auditColumns, LOST_PLACE, SEEN_HEAD_ATTEMPTS, storeCall, type PgDatabase } from './database';
import { inline } from './batch';
import type { Head, KnownOrder } from './known-orders';

/** What wasl_step_after_seen_head answers: whether it wrote, and where the head and the order's last step are. */
type SeenHeadAnswer = { moved: boolean; shard_seq: string; hash: string; last_seq: number };

/** What a step makes of the order and its timeline: the changed order, the step, and whether it has an outbox event. */
type StepPlanner = (current: OrderDoc, timeline: TimelineEvent[]) => { doc: OrderDoc; step: TimelineEvent; outbox: boolean; trace?: TraceCarrier };

export class PgOrders implements OrderStore {
  private readonly pool: Pool;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.pool;
  }

  createOrder(order: Order, idem: IdempotencyClaim, trace?: TraceCarrier): Promise<CreateResult> {
    return this.database.appendingAfterHeads((c, lockHead) => this.create(c, order, idem, trace, lockHead));
  }

  private async create(c: PoolClient, order: Order, idem: IdempotencyClaim, trace: TraceCarrier | undefined, lockHead: string): Promise<CreateResult | typeof LOST_PLACE> {
    const { doc, timeline } = splitOrder(order);
    const lit = (v: string) => c.escapeLiteral(v);
    const shard = this.database.orderShard(doc.id);
    // The key first: a concurrent request with the same key waits on it, and finds it taken once that one commits.
    const [, claimed, head] = (await c.query(
      `BEGIN; INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES (${[idem.channel, idem.key, idem.requestHash, doc.id, doc.createdAt].map(lit).join(', ')}) ON CONFLICT DO NOTHING RETURNING order_id; ` +
        `SELECT shard_seq, hash FROM audit_heads WHERE shard = ${shard}${lockHead}`,
    )) as unknown as [QueryResult, QueryResult, QueryResult<{ shard_seq: string; hash: string }>];
    if (claimed.rowCount !== 1) {
      await c.query('ROLLBACK');
      const row = await c.query<{ request_hash: string; order_id: string }>('SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = $1 AND key = $2', [idem.channel, idem.key]);
      if (!row.rows[0]) throw new Error('an idempotency key was taken and is gone');
      return await this.replay(c, row.rows[0], idem);
    }
    const entries: AuditEntry[] = [];
    for (const step of timeline) {
      traceStep(step, trace);
      entries.push(stepEntry(doc, step));
    }
    const read = this.database.headOf(shard, head.rows[0]);
    this.database.known.saw(shard, read);
    const { records, head: next } = this.database.linkAfter(entries, shard, read);
    const events = timeline.map((step) => eventFor(doc, step, trace));
    // One call of wasl_create_after_head (migration 014), whose statements' plans the connection
    // keeps; inlined with the COMMIT, a call is planned in no time. A creation that lost its
    // shard's head writes nothing, and lets go of the key it claimed.
    const call = inline(CREATE_AFTER_HEAD, [
      idem.channel, idem.key, doc.id, doc.service.code, doc.channel.id, doc.status, JSON.stringify(doc),
      shard, read.shardSeq, next.shardSeq, next.hash,
      timeline.map((step) => Number(step.seq)), timeline.map((step) => JSON.stringify(step)),
      events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.service), events.map((e) => JSON.stringify(e)), timeline.map((step) => step.at),
      ...auditColumns(records),
    ]);
    if (!call) throw new Error('a creation that cannot be inlined');
    const [answer] = (await c.query(`${call}; COMMIT`)) as unknown as [QueryResult<{ moved: boolean }>];
    if (answer.rows[0]?.moved !== true) return LOST_PLACE;
    this.database.known.saw(shard, next);
    return { order, replayed: false };
  }

  /** A step's timeline event and, unless it is a note, its outbox event, as statements (written only if `guard` holds, when given). */
  private stepStatements(lit: (v: string) => string, doc: OrderDoc, step: TimelineEvent, trace: TraceCarrier | undefined, outbox = true, guard?: string): string[] {
    const out = [insertRow('order_timeline', ['order_id', 'seq', 'doc'], [lit(doc.id), String(Number(step.seq)), lit(JSON.stringify(step))], guard)];
    if (outbox) {
      const event = eventFor(doc, step, trace);
      out.push(insertRow('outbox', ['event_id', 'order_id', 'type', 'service_code', 'payload', 'created_at'], [event.id, event.orderId, event.type, event.service, JSON.stringify(event), step.at].map(lit), guard));
    }
    return out;
  }

  /**
   * One step of an existing order: `plan` gets the order and its timeline, and gives the changed
   * order and the step; undefined (after a rollback) when the order does not exist and `required`
   * is false. From the order as this process last read it when it can (one round trip:
   * known-orders.ts), otherwise in two (above).
   */
  private async lockedStep(id: string, required: boolean, plan: StepPlanner, settles?: Settlement): Promise<Order | undefined> {
    const known = this.database.known.take(id, this.database.orderShard(id));
    if (known) {
      const written = await this.database.autocommit((c) => this.stepFromKnown(c, id, known, plan, settles));
      if (written !== LOST_PLACE) {
        this.database.known.stats.hits++;
        return written;
      }
      this.database.known.stats.misses++;
    }
    return this.database.appendingAfterHeads((c, lockHead) => this.step(c, id, required, plan, settles, lockHead));
  }

  private async step(c: PoolClient, id: string, required: boolean, plan: StepPlanner, settles: Settlement | undefined, lockHead: string): Promise<Order | undefined | typeof LOST_PLACE> {
    const lit = (v: string) => c.escapeLiteral(v);
    const shard = this.database.orderShard(id);
    const [, o, t, head] = (await c.query(
      `BEGIN; SELECT doc FROM orders WHERE id = ${lit(id)} FOR UPDATE; SELECT doc FROM order_timeline WHERE order_id = ${lit(id)} ORDER BY seq; ` +
        `SELECT shard_seq, hash FROM audit_heads WHERE shard = ${shard}${lockHead}`,
    )) as unknown as [QueryResult, QueryResult<{ doc: OrderDoc }>, QueryResult<{ doc: TimelineEvent }>, QueryResult<{ shard_seq: string; hash: string }>];
    const current = o.rows[0]?.doc;
    if (!current) {
      await c.query('ROLLBACK');
      if (required) throw new WaslError('order-not-found');
      return undefined;
    }
    const timeline = t.rows.map((r) => r.doc);
    const read = this.database.headOf(shard, head.rows[0]);
    this.database.known.saw(shard, read);
    return this.writeStep(c, id, { doc: current, timeline, head: read }, plan(current, timeline), settles);
  }

  /**
   * The step written after the order as this process last read it, in one round trip: one call of
   * wasl_step_after_seen_head (migration 012), which locks the order's row (before the head, as
   * every step takes them, so that two steps of one order wait for each other instead of
   * deadlocking), moves the shard's head from the furthest this process has seen if the order has
   * no step after the known one, and writes the step only if it did — with the plans each
   * connection keeps, where the same statements inlined in a simple query are planned anew each
   * time. A planner that throws on the known order (a transition it no longer allows, say) may be
   * looking at an order that has moved on: the step is then read and planned again (LOST_PLACE).
   * When the head had moved, the call answered where it is now with the order's last step, in one
   * snapshot: if the order has no step since the one known, only other orders moved the shard, and
   * the step is written again after the head as it is now — until it lands, or the order has moved
   * on, or a few tries.
   */
  private async stepFromKnown(c: PoolClient, id: string, known: KnownOrder, plan: StepPlanner, settles: Settlement | undefined): Promise<Order | typeof LOST_PLACE> {
    const shard = this.database.orderShard(id);
    let head = this.database.known.head(shard);
    if (!head) return LOST_PLACE;
    let planned: ReturnType<StepPlanner>;
    try {
      planned = plan(known.doc, known.timeline);
    } catch {
      return LOST_PLACE;
    }
    const { doc, step, outbox, trace } = planned;
    const lastSeq = known.timeline.at(-1)?.seq ?? 0;
    const stored = JSON.stringify(doc);
    const event = outbox ? eventFor(doc, step, trace) : undefined;
    for (let attempt = 0; attempt < SEEN_HEAD_ATTEMPTS; attempt++) {
      const { records, head: next } = this.database.linkAfter([stepEntry(doc, step)], shard, head);
      const result: QueryResult<SeenHeadAnswer> = await c.query<SeenHeadAnswer>({
        name: 'wasl_step_after_seen_head',
        text: STEP_AFTER_SEEN_HEAD,
        values: [
          id, lastSeq, shard, head.shardSeq, next.shardSeq, next.hash,
          doc.status, stored, Number(step.seq), JSON.stringify(step),
          ...auditColumns(records),
          event?.id ?? null, event?.type ?? null, event?.service ?? null, event ? JSON.stringify(event) : null, event ? step.at : null,
          settles?.consumer ?? null, settles?.eventId ?? null,
        ],
      });
      const now = result.rows[0];
      if (!now) return LOST_PLACE;
      if (now.moved) {
        this.database.known.saw(shard, next);
        settles?.recorded();
        // As a read would give it back: what was stored, parsed again.
        return { ...(JSON.parse(stored) as OrderDoc), timeline: [...known.timeline, JSON.parse(JSON.stringify(step)) as TimelineEvent] };
      }
      if (Number(now.last_seq) !== lastSeq) return LOST_PLACE;
      head = { shardSeq: Number(now.shard_seq), hash: now.hash };
      this.database.known.saw(shard, head);
      this.database.known.stats.rewrites++;
    }
    return LOST_PLACE;
  }

  /** The second round trip of a step: after `read` (the order, its timeline and its shard's head as read), what `planned` changes, with the COMMIT. */
  private async writeStep(c: PoolClient, id: string, read: KnownOrder & { head: Head }, planned: ReturnType<StepPlanner>, settles: Settlement | undefined): Promise<Order | typeof LOST_PLACE> {
    const lit = (v: string) => c.escapeLiteral(v);
    const { doc, step, outbox, trace } = planned;
    const stored = JSON.stringify(doc);
    const shard = this.database.orderShard(id);
    const chain = this.database.guardedChain(c, [stepEntry(doc, step)], shard, read.head);
    const moved = await this.database.commitIfMoved(
      c,
      [
        ...chain.statements,
        `UPDATE orders SET status = ${lit(doc.status)}, doc = ${lit(stored)} WHERE id = ${lit(id)} AND ${chain.guard}`,
        ...this.stepStatements(lit, doc, step, trace, outbox, chain.guard),
        ...(settles ? [`INSERT INTO processed_events (consumer, event_id, processed_at) SELECT ${lit(settles.consumer)}, ${lit(settles.eventId)}, now() WHERE ${chain.guard} ON CONFLICT DO NOTHING`] : []),
      ],
      chain.guard,
    );
    if (!moved) return LOST_PLACE;
    this.database.known.saw(shard, chain.head);
    settles?.recorded();
    // As a read would give it back: what was stored, parsed again.
    return { ...(JSON.parse(stored) as OrderDoc), timeline: [...read.timeline, JSON.parse(JSON.stringify(step)) as TimelineEvent] };
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

  /** The order with its timeline, in one round trip. */
  private async readOrder(c: Pick<PoolClient, 'query'>, id: string): Promise<Order | undefined> {
    return orderOf((await c.query<OrderRow>(READ_ORDER, [id])).rows[0]);
  }

  /** With the other reads and writes of the same moment (batch.ts). */
  async getOrder(id: string): Promise<Order | undefined> {
    return orderOf((await this.database.batch.query<OrderRow>(READ_ORDER, [id])).rows[0]);
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

  async transition(id: string, req: TransitionRequest): Promise<Order> {
    // A receipt is numbered from a sequence inside the transaction: statement by statement.
    if (req.receipt) return this.transitionWithReceipt(id, req);
    return (await this.lockedStep(id, true, (current, timeline) => ({ ...planTransition(current, timeline.at(-1)?.seq ?? 0, req), outbox: true, ...(req.trace ? { trace: req.trace } : {}) }), req.settles))!;
  }

  private transitionWithReceipt(id: string, req: TransitionRequest): Promise<Order> {
    return this.database.tx(async (c) => {
      const o = await c.query<{ doc: OrderDoc }>('SELECT doc FROM orders WHERE id = $1 FOR UPDATE', [id]);
      const current = o.rows[0]?.doc;
      if (!current) throw new WaslError('order-not-found');
      const s = await c.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = $1', [id]);
      const { doc, step } = planTransition(current, s.rows[0]?.seq ?? 0, req);
      if (req.receipt) doc.payment = { ...doc.payment, receiptNumber: (await this.issueReceipt(c, id, req.receipt)).number };
      await c.query('UPDATE orders SET status = $1, doc = $2 WHERE id = $3', [doc.status, doc, id]);
      this.database.audit(c, stepEntry(doc, step));
      await c.query(this.stepStatements((v) => c.escapeLiteral(v), doc, step, req.trace).join('; '));
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

  async note(id: string, req: NoteRequest): Promise<Order> {
    return (await this.lockedStep(id, true, (current, timeline) => ({ ...planNote(current, timeline.at(-1)?.seq ?? 0, req), outbox: false })))!;
  }

  /** Inside the caller's transaction (a dead letter's): a step that leaves the status as it is; nothing for an unknown order unless `required`. */
  async noteIn(c: PoolClient, id: string, req: NoteRequest, required: boolean): Promise<void> {
    const o = await c.query<{ doc: OrderDoc }>('SELECT doc FROM orders WHERE id = $1 FOR UPDATE', [id]);
    const current = o.rows[0]?.doc;
    if (!current) {
      if (required) throw new WaslError('order-not-found');
      return;
    }
    const s = await c.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = $1', [id]);
    const { doc, step } = planNote(current, s.rows[0]?.seq ?? 0, req);
    await c.query('UPDATE orders SET doc = $1 WHERE id = $2', [doc, id]);
    await c.query('INSERT INTO order_timeline (order_id, seq, doc) VALUES ($1, $2, $3)', [id, step.seq, step]);
    this.database.audit(c, stepEntry(doc, step));
  }
}

/** One call of wasl_step_after_seen_head (migration 012), prepared. */
const STEP_AFTER_SEEN_HEAD = storeCall('wasl_step_after_seen_head', 'moved, shard_seq, hash, last_seq', 27);
/** One call of wasl_create_after_head (migration 014), inlined before the COMMIT (batch.ts inline). */
const CREATE_AFTER_HEAD = storeCall('wasl_create_after_head', 'moved', 28);

type OrderRow = { doc: OrderDoc; timeline: TimelineEvent[] };
const READ_ORDER = "SELECT o.doc, coalesce((SELECT jsonb_agg(t.doc ORDER BY t.seq) FROM order_timeline t WHERE t.order_id = o.id), '[]'::jsonb) AS timeline FROM orders o WHERE o.id = $1";
const orderOf = (row: OrderRow | undefined): Order | undefined => (row ? { ...row.doc, timeline: row.timeline } : undefined);

/** An INSERT of one row of SQL expressions; with `guard`, as INSERT … SELECT … WHERE guard, so that nothing goes in unless it holds. */
function insertRow(table: string, columns: readonly string[], values: readonly string[], guard?: string): string {
  const head = `INSERT INTO ${table} (${columns.join(', ')})`;
  return guard ? `${head} SELECT ${values.join(', ')} WHERE ${guard}` : `${head} VALUES (${values.join(', ')})`;
}

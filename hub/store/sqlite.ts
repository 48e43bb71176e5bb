/**
 * The embedded back end: one SQLite file in WAL mode with synchronous=FULL, so an accepted order
 * is on disk before the gateway answers. Writes are group-committed: every write that arrives in
 * one turn of the event loop shares one transaction and one fsync, each in its own savepoint so
 * one failing write does not undo the others.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Order, OrderStatus, TimelineEvent } from '../../contracts/types';
import { WaslError } from '../errors';
import { loadMigrations } from './migrations';
import { encodeCursor, idBounds, planTransition, splitOrder, summarize, eventFor, type OrderDoc } from './order-records';
import type { CreateResult, IdempotencyClaim, OrderPage, OrderQuery, OutboxRecord, Store, TransitionRequest } from './store';

interface Job {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Set inside the batch; settled only once the batch is committed. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests. */
  file: string;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private queue: Job[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly stmt;
  private readonly commitBatch: (jobs: Job[]) => void;

  constructor(opts: SqliteStoreOptions) {
    if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    const db = this.db;
    this.stmt = {
      insertOrder: db.prepare('INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES (?, ?, ?, ?, ?)'),
      updateOrder: db.prepare('UPDATE orders SET status = ?, doc = ? WHERE id = ?'),
      getOrder: db.prepare<[string], { doc: string }>('SELECT doc FROM orders WHERE id = ?'),
      insertStep: db.prepare('INSERT INTO order_timeline (order_id, seq, doc) VALUES (?, ?, ?)'),
      getSteps: db.prepare<[string], { doc: string }>('SELECT doc FROM order_timeline WHERE order_id = ? ORDER BY seq'),
      lastSeq: db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM order_timeline WHERE order_id = ?'),
      insertEvent: db.prepare('INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      pending: db.prepare<[number], { seq: number; payload: string }>('SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?'),
      published: db.prepare('UPDATE outbox SET published_at = ? WHERE seq = ?'),
      getKey: db.prepare<[string, string], { request_hash: string; order_id: string }>(
        'SELECT request_hash, order_id FROM idempotency_keys WHERE channel_id = ? AND key = ?',
      ),
      insertKey: db.prepare('INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      ping: db.prepare('SELECT 1'),
    };
    const savepoint = db.transaction((job: Job) => job.run());
    this.commitBatch = db.transaction((jobs: Job[]) => {
      for (const job of jobs) {
        try {
          job.outcome = { ok: true, value: savepoint(job) };
        } catch (error) {
          job.outcome = { ok: false, error };
        }
      }
    });
  }

  /** Runs `fn` inside the next group commit; resolves once the commit is on disk. */
  private write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    try {
      this.commitBatch(jobs);
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing in the batch was written.
      for (const job of jobs) job.reject(err);
      return;
    }
    for (const job of jobs) {
      if (job.outcome?.ok) job.resolve(job.outcome.value);
      else job.reject(job.outcome?.error);
    }
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

  private appendStep(doc: OrderDoc, step: TimelineEvent): void {
    this.stmt.insertStep.run(doc.id, step.seq, JSON.stringify(step));
    const event = eventFor(doc, step);
    this.stmt.insertEvent.run(event.id, event.orderId, event.type, event.service, JSON.stringify(event), step.at);
  }

  private readOrder(id: string): Order | undefined {
    const row = this.stmt.getOrder.get(id);
    if (!row) return undefined;
    const timeline = this.stmt.getSteps.all(id).map((r) => JSON.parse(r.doc) as TimelineEvent);
    return { ...(JSON.parse(row.doc) as OrderDoc), timeline };
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
    const rows = this.db.prepare<unknown[], { doc: string }>(sql).all(...args, q.limit + 1);
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
      const lastSeq = this.stmt.lastSeq.get(id)?.seq ?? 0;
      const { doc, step } = planTransition(current, lastSeq, req);
      this.stmt.updateOrder.run(doc.status satisfies OrderStatus, JSON.stringify(doc), id);
      this.appendStep(doc, step);
      const order = this.readOrder(id);
      if (!order) throw new Error('order vanished inside its own transaction');
      return order;
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

  async ping(): Promise<void> {
    this.stmt.ping.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let writes already queued reach the disk before closing.
    if (this.queue.length) this.flush();
    this.closed = true;
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const apply = db.transaction(() => {
    const done = new Set(db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
    for (const m of loadMigrations('sqlite')) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }
  });
  // IMMEDIATE takes the write lock first, so two processes starting together do not both migrate.
  apply.immediate();
}

/** Provider callbacks on SQLite: once per provider and event id, with the payment anomaly if any. */
import type { SqliteDatabase } from '../../sqlite/database';
import type { CallbackQuery, CallbackRecord, CallbackStore, PaymentAnomaly } from '../store';

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

export class SqliteCallbacks implements CallbackStore {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      insertCallback: db.prepare(
        `INSERT OR IGNORE INTO provider_callbacks (provider, event_id, type, order_id, reference, amount, currency, outcome, occurred_at, received_at, anomaly)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getCallback: db.prepare<[string, string], CallbackRow>('SELECT * FROM provider_callbacks WHERE provider = ? AND event_id = ?'),
    };
  }

  recordCallback(r: CallbackRecord): Promise<boolean> {
    return this.database.write(
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
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (q.provider) add('provider = ?', q.provider);
    if (q.orderId) add('order_id = ?', q.orderId);
    if (q.from) add('received_at >= ?', q.from.toISOString());
    if (q.to) add('received_at < ?', q.to.toISOString());
    if (q.outcome) add('outcome = ?', q.outcome);
    const dir = q.newestFirst ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM provider_callbacks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at ${dir}, event_id ${dir} LIMIT ?`;
    return this.database.db.prepare<unknown[], CallbackRow>(sql).all(...args, q.limit).map(callbackRecord);
  }
}

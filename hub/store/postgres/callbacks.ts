/** Provider callbacks on PostgreSQL: once per provider and event id, with the payment anomaly if any. */
import type { Pool } from 'pg';
import type { CallbackQuery, CallbackRecord, CallbackStore, PaymentAnomaly } from '../store';

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

export class PgCallbacks implements CallbackStore {
  constructor(private readonly pool: Pool) {}

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
}

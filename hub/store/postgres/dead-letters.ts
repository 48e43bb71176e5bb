/** Dead letters on PostgreSQL: once per event and service, each noted on its order's timeline in the same transaction. */
import type { Pool } from 'pg';
import type { AttemptRecord, BusMessage, DeadLetter } from '../../bus/bus';
import { newDeadLetterId } from '../../ids';
import { deadLetterNote } from '../order-records';
import type { DeadLetterQuery, DeadLetterStore } from '../store';
import type { PgDatabase } from './database';
import type { PgOrders } from './orders';

export class PgDeadLetters implements DeadLetterStore {
  private readonly pool: Pool;

  constructor(
    private readonly database: PgDatabase,
    private readonly orders: PgOrders,
  ) {
    this.pool = database.pool;
  }

  async recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }): Promise<void> {
    const m = dl.message;
    await this.database.tx(async (c) => {
      await c.query(
        `INSERT INTO dead_letters (id, event_id, service_code, order_id, type, reason, message, history, dead_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (event_id, service_code) DO UPDATE SET reason = excluded.reason, history = excluded.history, dead_at = excluded.dead_at`,
        [newDeadLetterId(), m.eventId, m.service, m.orderId, m.type, dl.reason, m, JSON.stringify(dl.history)],
      );
      // The order shows it: a failure ends in a visible state, never in silence.
      await this.orders.noteIn(c, m.orderId, deadLetterNote(dl.reason), false);
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

  async removeDeadLetters(ids: string[]): Promise<number> {
    const r = await this.pool.query('DELETE FROM dead_letters WHERE id = ANY($1)', [ids]);
    return r.rowCount ?? 0;
  }
}

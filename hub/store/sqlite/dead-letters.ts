/** Dead letters on SQLite: once per event and service, each noted on its order's timeline in the same write. */
import type { AttemptRecord, BusMessage, DeadLetter } from '../../bus/bus';
import { newDeadLetterId } from '../../ids';
import type { SqliteDatabase } from '../../sqlite/database';
import { deadLetterNote } from '../order-records';
import type { DeadLetterQuery, DeadLetterStore } from '../store';
import type { SqliteOrders } from './orders';

export class SqliteDeadLetters implements DeadLetterStore {
  private readonly stmt;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly orders: SqliteOrders,
  ) {
    const db = database.db;
    this.stmt = {
      upsertDead: db.prepare(
        `INSERT INTO dead_letters (id, event_id, service_code, order_id, type, reason, message, history, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id, service_code) DO UPDATE SET reason = excluded.reason, history = excluded.history, dead_at = excluded.dead_at`,
      ),
      deleteDead: db.prepare('DELETE FROM dead_letters WHERE id = ?'),
    };
  }

  recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }): Promise<void> {
    const m = dl.message;
    return this.database.write(() => {
      this.stmt.upsertDead.run(newDeadLetterId(), m.eventId, m.service, m.orderId, m.type, dl.reason, JSON.stringify(m), JSON.stringify(dl.history), new Date().toISOString());
      // The order shows it: a failure ends in a visible state, never in silence.
      this.orders.noteWithin(m.orderId, deadLetterNote(dl.reason));
    });
  }

  async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (q.service) add('service_code = ?', q.service);
    if (q.reason) add('reason = ?', q.reason);
    if (q.before) add('dead_at < ?', q.before.toISOString());
    if (q.ids) add(`id IN (${q.ids.map(() => '?').join(', ') || 'NULL'})`, ...q.ids);
    const sql = `SELECT id, reason, message, history, dead_at FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY dead_at, id LIMIT ?`;
    const rows = this.database.db.prepare<unknown[], { id: string; reason: string; message: string; history: string; dead_at: string }>(sql).all(...args, q.limit);
    return rows.map((r) => ({ id: r.id, reason: r.reason, message: JSON.parse(r.message), history: JSON.parse(r.history), deadAt: r.dead_at }));
  }

  removeDeadLetters(ids: string[]): Promise<number> {
    return this.database.write(() => ids.reduce((n, id) => n + this.stmt.deleteDead.run(id).changes, 0));
  }
}

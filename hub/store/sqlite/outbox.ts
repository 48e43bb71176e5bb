/** The outbox on SQLite, as the relay reads it (each order step writes its row: orders.ts). */
import type { SqliteDatabase } from '../../sqlite/database';
import type { OutboxRecord, OutboxStore } from '../store';

// The relay's pass, which also takes the lease, is the store's (index.ts).
export class SqliteOutbox implements Omit<OutboxStore, 'relayPass'> {
  private readonly stmt;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.stmt = {
      pending: db.prepare<[number], { seq: number; payload: string }>('SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?'),
      published: db.prepare('UPDATE outbox SET published_at = ? WHERE seq = ?'),
    };
  }

  async outboxPending(limit: number): Promise<OutboxRecord[]> {
    return this.stmt.pending.all(limit).map((r) => ({ seq: r.seq, event: JSON.parse(r.payload) }));
  }

  markPublished(seqs: number[]): Promise<void> {
    return this.database.write(() => {
      const at = new Date().toISOString();
      for (const seq of seqs) this.stmt.published.run(at, seq);
    });
  }
}

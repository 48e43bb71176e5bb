/** The outbox on PostgreSQL, as the relay reads it (each order step writes its row: orders.ts). */
import type { Pool } from 'pg';
import type { OutboxRecord, OutboxStore } from '../store';

export class PgOutbox implements OutboxStore {
  constructor(private readonly pool: Pool) {}

  async outboxPending(limit: number): Promise<OutboxRecord[]> {
    const { rows } = await this.pool.query<{ seq: string; payload: OutboxRecord['event'] }>(
      'SELECT seq, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), event: r.payload }));
  }

  async markPublished(seqs: number[]): Promise<void> {
    if (seqs.length) await this.pool.query('UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [seqs]);
  }
}

/** The events each bus consumer has processed, on PostgreSQL: how duplicates are dropped by event id. */
import type { Pool } from 'pg';
import type { ProcessedLog } from '../../bus/bus';

export class PgProcessedLog implements ProcessedLog {
  constructor(private readonly pool: Pool) {}

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  async recordProcessed(consumer: string, eventId: string): Promise<void> {
    await this.pool.query('INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING', [consumer, eventId]);
  }
}

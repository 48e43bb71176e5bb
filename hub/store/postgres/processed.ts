/** The events each bus consumer has processed, on PostgreSQL: how duplicates are dropped by event id. */
import type { Order, TimelineEvent } from '../../../contracts/types';
import type { ProcessedLog } from '../../bus/bus';
import type { OrderDoc } from '../order-records';
import type { PgBatch } from './batch';

/** Every statement here goes with the others of the same moment (batch.ts): under load, many deliveries' checks in one round trip. */
export class PgProcessedLog implements ProcessedLog {
  constructor(private readonly pool: PgBatch) {}

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  async checkAndRead(consumer: string, eventId: string, orderId: string): Promise<{ processed: boolean; order?: Order }> {
    // One row whatever exists: the check, and the order with its timeline when it is there.
    const r = await this.pool.query<{ processed: boolean; doc: OrderDoc | null; timeline: TimelineEvent[] | null }>(
      `SELECT EXISTS (SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2) AS processed, o.doc,
              (SELECT jsonb_agg(t.doc ORDER BY t.seq) FROM order_timeline t WHERE t.order_id = o.id) AS timeline
       FROM (SELECT 1) AS one LEFT JOIN orders o ON o.id = $3`,
      [consumer, eventId, orderId],
    );
    const row = r.rows[0];
    if (!row) throw new Error('the processed check returned no row');
    return row.doc ? { processed: row.processed, order: { ...row.doc, timeline: row.timeline ?? [] } } : { processed: row.processed };
  }

  async recordProcessed(consumer: string, eventId: string): Promise<void> {
    await this.pool.query('INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING', [consumer, eventId]);
  }
}

/** The events each bus consumer has processed, on PostgreSQL: how duplicates are dropped by event id. */
import type { Order, TimelineEvent } from '../../../contracts/types';
import type { ProcessedLog } from '../../bus/bus';
import type { OrderDoc } from '../order-records';
import type { PgBatch } from './batch';
import type { PgDatabase } from './database';

/** Every statement here goes with the others of the same moment (batch.ts): under load, many deliveries' checks in one round trip. */
export class PgProcessedLog implements ProcessedLog {
  private readonly pool: PgBatch;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.batch;
  }

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * The order comes with the head of its audit shard, and both are remembered (known-orders.ts):
   * the step the delivery leads to then writes without reading the order again. Read as text, so
   * that what is remembered is not what the flow is handed.
   */
  async checkAndRead(consumer: string, eventId: string, orderId: string): Promise<{ processed: boolean; order?: Order }> {
    const shard = this.database.orderShard(orderId);
    // One row whatever exists: the check, and the order with its timeline when it is there.
    const r = await this.database.batch.query<{ processed: boolean; doc: string | null; timeline: string | null; shard_seq: string | null; hash: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2) AS processed, o.doc::text AS doc,
              (SELECT jsonb_agg(t.doc ORDER BY t.seq) FROM order_timeline t WHERE t.order_id = o.id)::text AS timeline, h.shard_seq, h.hash
       FROM (SELECT 1) AS one LEFT JOIN orders o ON o.id = $3 LEFT JOIN audit_heads h ON o.id IS NOT NULL AND h.shard = $4`,
      [consumer, eventId, orderId, shard],
    );
    const row = r.rows[0];
    if (!row) throw new Error('the processed check returned no row');
    if (!row.doc) return { processed: row.processed };
    const timeline = row.timeline ?? '[]';
    if (row.shard_seq !== null && row.hash !== null) this.database.known.saw(shard, { shardSeq: Number(row.shard_seq), hash: row.hash });
    if (!row.processed) this.database.known.remember(orderId, shard, row.doc, timeline);
    return { processed: row.processed, order: { ...(JSON.parse(row.doc) as OrderDoc), timeline: JSON.parse(timeline) as TimelineEvent[] } };
  }

  async recordProcessed(consumer: string, eventId: string): Promise<void> {
    await this.pool.query('INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING', [consumer, eventId]);
  }
}

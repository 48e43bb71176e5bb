/** The events each bus consumer has processed, on PostgreSQL: how duplicates are dropped by event id. */
import type { Order, TimelineEvent } from '../../../contracts/types';
import type { ProcessedLog } from '../../bus/bus';
import type { OrderDoc } from '../order-records';
import type { PgBatch } from './batch';
import type { PgDatabase } from './database';
import { PgPreparedBatch } from './prepared-batch';

/** What a delivery's check reads: whether it was processed, and its order (text) with its audit shard's head when the order exists. */
interface CheckRow {
  processed: boolean;
  doc: string | null;
  timeline: string | null;
  shard_seq: string | null;
  hash: string | null;
}

/**
 * One row per check whatever exists. The order is read through a lateral join on its key, so the
 * plan a connection keeps looks each one up by its index whatever the number of checks it was
 * planned for; all in one statement, one snapshot.
 */
const CHECK_AND_READ = `SELECT k.i, EXISTS (SELECT 1 FROM processed_events p WHERE p.consumer = k.consumer AND p.event_id = k.event_id) AS processed,
       o.doc, o.timeline, o.shard_seq, o.hash
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS k (consumer, event_id, order_id, shard, i)
LEFT JOIN LATERAL (
  SELECT ord.doc::text AS doc, (SELECT jsonb_agg(t.doc ORDER BY t.seq) FROM order_timeline t WHERE t.order_id = ord.id)::text AS timeline, h.shard_seq, h.hash
  FROM orders ord LEFT JOIN audit_heads h ON h.shard = k.shard WHERE ord.id = k.order_id
) o ON true
ORDER BY k.i`;

/** Every statement here goes with the others of the same moment (batch.ts, prepared-batch.ts): under load, many deliveries' checks in one round trip. */
export class PgProcessedLog implements ProcessedLog {
  private readonly pool: PgBatch;

  private readonly checks: PgPreparedBatch<[consumer: string, eventId: string, orderId: string, shard: number], CheckRow>;

  constructor(private readonly database: PgDatabase) {
    this.pool = database.batch;
    this.checks = new PgPreparedBatch(database.pool, 'wasl_check_and_read', CHECK_AND_READ);
  }

  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * The order comes with the head of its audit shard, and both are remembered (known-orders.ts):
   * the step the delivery leads to then writes without reading the order again. Read as text, so
   * that what is remembered is not what the flow is handed. The checks of the same moment go as
   * one prepared statement (prepared-batch.ts).
   */
  async checkAndRead(consumer: string, eventId: string, orderId: string): Promise<{ processed: boolean; order?: Order }> {
    const shard = this.database.orderShard(orderId);
    const row = await this.checks.call(consumer, eventId, orderId, shard);
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

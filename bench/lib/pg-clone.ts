/**
 * Grows a PostgreSQL order table fast: the store API writes ~1.5k orders/s here, so past the
 * first orders (seeded through the API) new orders are cloned in SQL from one of them, with
 * fresh ids from the product's newOrderId, 10k per statement: the orders row (doc.id rewritten)
 * and its timeline, i.e. all that GET /v1/orders/{id} reads. Outbox and idempotency rows are not cloned.
 */
import { Client } from 'pg';
import { newOrderId } from '../../hub/ids';
import type { Reservoir } from './seed';
import { fmt } from './seed';

export async function cloneOrders(url: string, schema: string, count: number, template: string, sample: Reservoir, deadline: number): Promise<void> {
  const c = new Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  const started = Date.now();
  try {
    for (let done = 0; done < count; ) {
      if (Date.now() > deadline) throw new Error(`cloning ran out of time after ${done} orders`);
      const ids = Array.from({ length: Math.min(10_000, count - done) }, newOrderId);
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO orders (id, service_code, channel_id, status, doc)
         SELECT n.id, t.service_code, t.channel_id, t.status, jsonb_set(t.doc, '{id}', to_jsonb(n.id))
         FROM unnest($1::text[]) AS n(id) CROSS JOIN (SELECT * FROM orders WHERE id = $2) t`,
        [ids, template],
      );
      await c.query(
        `INSERT INTO order_timeline (order_id, seq, doc)
         SELECT n.id, s.seq, s.doc FROM unnest($1::text[]) AS n(id) CROSS JOIN (SELECT seq, doc FROM order_timeline WHERE order_id = $2) s`,
        [ids, template],
      );
      await c.query('COMMIT');
      for (const id of ids) sample.add(id);
      done += ids.length;
      if (done % 100_000 === 0 || done === count) {
        console.log(`  clone postgres: ${fmt(done)} / ${fmt(count)} (${fmt(done / ((Date.now() - started) / 1000))} orders/s)`);
      }
    }
    await c.query('ANALYZE orders; ANALYZE order_timeline');
  } finally {
    await c.end();
  }
}

/**
 * Seeding through the store's public API: orders built by the product's buildOrder and written
 * with store.createOrder, `inFlight` at a time (with SQLite they share group commits).
 * Keeps a uniform random sample of the ids written (reservoir sampling) for the GET load.
 */
import type { OrderRequest } from '../../contracts/types';
import type { Catalogue } from '../../hub/catalogue';
import type { ChannelKey } from '../../hub/config';
import { buildOrder, requestHash } from '../../hub/intake';
import type { OrderStore, OutboxStore } from '../../hub/store';

export class Reservoir {
  readonly ids: string[] = [];
  private seen = 0;
  constructor(private readonly size: number) {}
  add(id: string): void {
    this.seen++;
    if (this.ids.length < this.size) this.ids.push(id);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.size) this.ids[j] = id;
    }
  }
  pick(): string {
    const id = this.ids[Math.floor(Math.random() * this.ids.length)];
    if (id === undefined) throw new Error('empty sample');
    return id;
  }
}

export interface SeedOptions {
  store: OrderStore;
  count: number;
  body: OrderRequest;
  channel: ChannelKey;
  catalogue: Catalogue;
  nextKey: () => string;
  sample: Reservoir;
  inFlight: number;
  deadline: number;
  label: string;
}

export async function seedOrders(o: SeedOptions): Promise<void> {
  const hash = requestHash(o.body);
  const started = Date.now();
  let next = 0;
  let done = 0;
  let lastReport = started;
  const worker = async (): Promise<void> => {
    while (next < o.count) {
      next++;
      if (Date.now() > o.deadline) throw new Error(`${o.label}: seeding ran out of time after ${done} orders`);
      const order = buildOrder(o.body, o.channel, o.catalogue, 'sandbox');
      await o.store.createOrder(order, { channel: o.channel.channel, key: o.nextKey(), requestHash: hash });
      o.sample.add(order.id);
      done++;
      const now = Date.now();
      if (now - lastReport >= 5000) {
        lastReport = now;
        console.log(`  ${o.label}: ${fmt(done)} / ${fmt(o.count)} (${fmt(done / ((now - started) / 1000))} orders/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.inFlight, o.count) }, worker));
  const s = (Date.now() - started) / 1000;
  console.log(`  ${o.label}: ${fmt(done)} orders in ${s.toFixed(1)} s (${fmt(done / s)} orders/s)`);
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * Marks the seeded orders' outbox events published, as if the relay had long since moved them:
 * otherwise the hub's relay would spend the GET measurement publishing them.
 */
export async function markOutboxPublished(store: OutboxStore, deadline: number): Promise<number> {
  let n = 0;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`marking the outbox published ran out of time after ${n} events`);
    const batch = await store.outboxPending(5000);
    if (batch.length === 0) return n;
    await store.markPublished(batch.map((r) => r.seq));
    n += batch.length;
  }
}

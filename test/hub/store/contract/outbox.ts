/** The OutboxStore role: the events order steps wrote, as the relay reads and marks them. */
import assert from 'node:assert/strict';
import type { OrderStore, OutboxStore } from '../../../../hub/store';
import { create, type BackEnd } from './fixtures';

export function outboxStoreContract({ open, close }: BackEnd<OutboxStore & OrderStore>): void {
  let store: OutboxStore & OrderStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('writes the first timeline step and its outbox event with the order', async () => {
    const before = (await store.outboxPending(10_000)).length;
    const order = await create(store);
    const pending = await store.outboxPending(10_000);
    assert.equal(pending.length, before + 1);
    const event = pending[pending.length - 1]?.event;
    assert.equal(event?.orderId, order.id);
    assert.equal(event?.type, 'order.received');
    assert.equal(event?.seq, 1);
    assert.equal(JSON.stringify(event).includes('03110987654'), false, 'events carry no citizen data');
  });

  it('marks outbox events published', async () => {
    const order = await create(store);
    const pending = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === order.id);
    await store.markPublished(pending.map((r) => r.seq));
    const after = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === order.id);
    assert.equal(after.length, 0);
  });
}

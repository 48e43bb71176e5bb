/** The OutboxStore role: the events order steps wrote, as the relay reads and marks them. */
import assert from 'node:assert/strict';
import type { OrderStore, OutboxStore } from '../../../../hub/store';
import type { OutboxRecord } from '../../../../hub/store/store';
import { newKey } from '../../../helpers';
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

  it("runs the relay's pass: the lease, the previous batch's marks and the next batch, the batch only for the lease's holder", async () => {
    const lease = `relay-${newKey()}`;
    const order = await create(store);
    const mine = (rs: OutboxRecord[]) => rs.filter((r) => r.event.orderId === order.id);
    const first = await store.relayPass({ lease, holder: 'a', ttlMs: 10_000, published: [], limit: 10_000 });
    assert.equal(first.leader, true);
    const batch = mine(first.pending);
    assert.equal(batch.length, 1);
    assert.equal(batch[0]?.event.type, 'order.received');

    // Another process while the lease runs: no batch, whatever is unpublished.
    const other = await store.relayPass({ lease, holder: 'b', ttlMs: 10_000, published: [], limit: 10_000 });
    assert.deepEqual(other, { leader: false, pending: [] });

    // The next pass marks what the first published, and does not read it again.
    const second = await store.relayPass({ lease, holder: 'a', ttlMs: 10_000, published: batch.map((r) => r.seq), limit: 10_000 });
    assert.equal(second.leader, true);
    assert.deepEqual(mine(second.pending), []);
    assert.deepEqual(mine(await store.outboxPending(10_000)), []);

    // A relay that lost its lease still marks what it published: those events are on the bus.
    const later = await create(store);
    const seqs = (await store.outboxPending(10_000)).filter((r) => r.event.orderId === later.id).map((r) => r.seq);
    assert.equal(seqs.length, 1);
    const lost = await store.relayPass({ lease, holder: 'b', ttlMs: 10_000, published: seqs, limit: 10_000 });
    assert.equal(lost.leader, false);
    assert.deepEqual((await store.outboxPending(10_000)).filter((r) => r.event.orderId === later.id), []);
  });

  it("takes the relay's lease over once it has run out", async () => {
    const lease = `relay-${newKey()}`;
    assert.equal((await store.relayPass({ lease, holder: 'dead', ttlMs: 50, published: [], limit: 1 })).leader, true);
    assert.equal((await store.relayPass({ lease, holder: 'next', ttlMs: 10_000, published: [], limit: 1 })).leader, false);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await store.relayPass({ lease, holder: 'next', ttlMs: 10_000, published: [], limit: 1 })).leader, true);
  });
}

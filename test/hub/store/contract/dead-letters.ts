/** The DeadLetterStore role: dead letters once per event and service, listed, removed, and shown on their order. */
import assert from 'node:assert/strict';
import type { DeadLetterStore, OrderStore } from '../../../../hub/store';
import { newKey } from '../../../helpers';
import { create, type BackEnd } from './fixtures';

export function deadLetterStoreContract({ open, close }: BackEnd<DeadLetterStore & OrderStore>): void {
  let store: DeadLetterStore & OrderStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('keeps dead letters once per event and service, lists them by filter and removes them', async () => {
    const message = { eventId: `evt_${newKey()}`, orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', service: 'svc-a', type: 'order.received', payload: { x: 1 } };
    const history = [{ attempt: 1, at: new Date().toISOString(), error: 'timeout' }];
    await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history });
    await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history: [...history, { attempt: 2, at: new Date().toISOString(), error: 'timeout' }] });
    await store.recordDeadLetter({ message: { ...message, eventId: `evt_${newKey()}`, service: 'svc-b' }, reason: 'poison', history });
    const a = await store.listDeadLetters({ service: 'svc-a', limit: 10 });
    assert.equal(a.length, 1);
    assert.deepEqual(a[0]?.message, message);
    assert.equal(a[0]?.history.length, 2);
    assert.match(a[0]!.id, /^dl_/);
    assert.equal((await store.listDeadLetters({ reason: 'poison', limit: 10 })).filter((d) => d.message.service === 'svc-b').length, 1);
    assert.equal((await store.listDeadLetters({ service: 'svc-a', before: new Date(Date.now() - 60_000), limit: 10 })).length, 0);
    assert.equal((await store.listDeadLetters({ ids: [a[0]!.id], limit: 10 })).length, 1);
    assert.equal(await store.removeDeadLetters([a[0]!.id]), 1);
    assert.equal((await store.listDeadLetters({ service: 'svc-a', limit: 10 })).length, 0);
  });

  it('notes a dead letter on its order, leaving its status as it is', async () => {
    const order = await create(store);
    const message = { eventId: `evt_${newKey()}`, orderId: order.id, service: order.service.code, type: 'order.received', payload: {} };
    await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history: [] });
    const read = await store.getOrder(order.id);
    assert.equal(read?.status, 'received');
    assert.deepEqual(read?.timeline.map((t) => [t.seq, t.event, t.status, t.reason?.code ?? null]), [
      [1, 'order.received', 'received', null],
      [2, 'bus.dead-lettered', 'received', 'attempts-exhausted'],
    ]);
    assert.equal((await store.listDeadLetters({ service: order.service.code, limit: 10 }))[0]?.message.orderId, order.id);
  });
}

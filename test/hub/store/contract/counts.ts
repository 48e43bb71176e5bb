/** The MetricCounts role: orders by service and status, SLA breaches, dead letters by reason. */
import assert from 'node:assert/strict';
import type { DeadLetterStore, MetricCounts, OrderStore } from '../../../../hub/store';
import { newKey } from '../../../helpers';
import { create, newOrder, type BackEnd } from './fixtures';

export function metricCountsContract({ open, close }: BackEnd<MetricCounts & OrderStore & DeadLetterStore>): void {
  let store: MetricCounts & OrderStore & DeadLetterStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('counts orders by service and status, those created before a time in some statuses, and dead letters by reason', async () => {
    const t0 = Date.UTC(2031, 6, 1);
    const a = await create(store, newOrder(new Date(t0)));
    await create(store, newOrder(new Date(t0 + 60_000)));
    await create(store, newOrder(new Date(t0 + 120_000), { service: 'no-criminal-record-certificate', fields: { purpose: 'travel', copies: 1 } }));
    await store.transition(a.id, { to: 'cancelled', actor: { kind: 'system', id: 't' } });
    const counts = (await store.orderCounts()).map((c) => `${c.service}/${c.status}=${c.count}`).sort();
    assert.deepEqual(counts, ['civil-registry-individual-extract/cancelled=1', 'civil-registry-individual-extract/received=1', 'no-criminal-record-certificate/received=1']);
    assert.equal(await store.countOrders('civil-registry-individual-extract', ['received', 'cancelled'], new Date(t0 + 60_001)), 2);
    assert.equal(await store.countOrders('civil-registry-individual-extract', ['received'], new Date(t0 + 60_000)), 0, 'created before, not at');
    assert.equal(await store.countOrders('civil-registry-individual-extract', ['received'], new Date(t0 + 60_001)), 1);
    assert.equal(await store.countOrders('civil-registry-individual-extract', [], new Date(t0 + 3_600_000)), 0);
    const message = (service: string) => ({ eventId: `evt_${newKey()}`, orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', service, type: 'order.received', payload: {} });
    await store.recordDeadLetter({ message: message('svc-a'), reason: 'attempts-exhausted', history: [] });
    await store.recordDeadLetter({ message: message('svc-a'), reason: 'attempts-exhausted', history: [] });
    await store.recordDeadLetter({ message: message('svc-a'), reason: 'poison', history: [] });
    const dead = (await store.deadLetterCounts()).map((c) => `${c.service}/${c.reason}=${c.count}`).sort();
    assert.deepEqual(dead, ['svc-a/attempts-exhausted=2', 'svc-a/poison=1']);
  });
}

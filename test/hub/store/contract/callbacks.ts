/** The CallbackStore role: verified provider callbacks, once per provider and event id. */
import assert from 'node:assert/strict';
import type { CallbackStore, OrderStore } from '../../../../hub/store';
import { create, type BackEnd } from './fixtures';

export function callbackStoreContract({ open, close }: BackEnd<CallbackStore & OrderStore>): void {
  let store: CallbackStore & OrderStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('records a provider callback once per provider and event id, and lists them by order and time', async () => {
    const order = await create(store);
    const rec = { provider: 'sy-epay', eventId: 'EV-1', type: 'invoice.paid', orderId: order.id, reference: 'INV-1', amount: 29000, currency: 'SYP', outcome: 'applied', occurredAt: '2026-11-28T10:00:00.000Z', receivedAt: new Date().toISOString() };
    assert.equal(await store.recordCallback(rec), true);
    assert.equal(await store.recordCallback({ ...rec, outcome: 'something else' }), false, 'a repeat is not recorded again');
    assert.equal(await store.recordCallback({ ...rec, provider: 'sy-post' }), true, 'event ids are per provider');
    assert.equal(await store.recordCallback({ provider: 'sy-epay', eventId: 'EV-2', type: 'invoice.paid', outcome: 'unknown-order', receivedAt: new Date().toISOString() }), true);
    assert.deepEqual(await store.getCallback('sy-epay', 'EV-1'), rec);
    assert.equal(await store.getCallback('sy-epay', 'EV-9'), undefined);
    assert.deepEqual((await store.listCallbacks({ orderId: order.id, limit: 10 })).map((c) => [c.provider, c.eventId]), [['sy-epay', 'EV-1'], ['sy-post', 'EV-1']]);
    assert.deepEqual((await store.listCallbacks({ provider: 'sy-epay', limit: 10 })).map((c) => c.eventId), ['EV-1', 'EV-2']);
    assert.deepEqual(await store.listCallbacks({ from: new Date(Date.now() + 60_000), limit: 10 }), []);
  });

  it('keeps a payment anomaly with the callback, and lists callbacks by outcome, newest first', async () => {
    const order = await create(store);
    const t0 = Date.parse('2031-04-02T09:00:00.000Z');
    const anomaly = { kinds: ['amount-mismatch' as const], expected: { invoiceId: 'INV-1', amount: 2500, currency: 'SYP' }, received: { invoiceId: 'INV-1', amount: 1, currency: 'SYP' } };
    const rec = (i: number, outcome: string, extra = {}) => ({ provider: 'sy-epay', eventId: `EV-A${i}`, type: 'invoice.paid', orderId: order.id, reference: `TX-${i}`, amount: 1, currency: 'SYP', outcome, receivedAt: new Date(t0 + i * 1000).toISOString(), ...extra });
    await store.recordCallback(rec(1, 'anomaly', { anomaly }));
    await store.recordCallback(rec(2, 'applied'));
    await store.recordCallback(rec(3, 'anomaly', { anomaly: { ...anomaly, kinds: ['currency-mismatch', 'amount-mismatch'], received: { currency: 'USD' } } }));
    assert.deepEqual((await store.getCallback('sy-epay', 'EV-A1'))?.anomaly, anomaly);
    assert.equal((await store.getCallback('sy-epay', 'EV-A2'))?.anomaly, undefined);
    const newest = await store.listCallbacks({ outcome: 'anomaly', newestFirst: true, limit: 10 });
    assert.deepEqual(newest.map((c) => [c.eventId, c.anomaly?.kinds]), [['EV-A3', ['currency-mismatch', 'amount-mismatch']], ['EV-A1', ['amount-mismatch']]]);
    assert.deepEqual((await store.listCallbacks({ outcome: 'anomaly', newestFirst: true, limit: 1 })).map((c) => c.eventId), ['EV-A3']);
    assert.deepEqual((await store.listCallbacks({ outcome: 'anomaly', from: new Date(t0 + 2000), limit: 10 })).map((c) => c.eventId), ['EV-A3']);
    assert.deepEqual((await store.listCallbacks({ orderId: order.id, limit: 10 })).map((c) => c.eventId), ['EV-A1', 'EV-A2', 'EV-A3'], 'oldest first by default');
  });
}

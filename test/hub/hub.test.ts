import assert from 'node:assert/strict';
import type { Order } from '../../contracts/types';
import type { Delivery } from '../../hub/bus/bus';
import { auth, KEYS, newKey, testHub, validRequest } from '../helpers';
import { until } from './bus/contract';
import { replayDeadLetters } from '../../hub/bus/replay';

describe('hub process', () => {
  it('carries an accepted order to the workers of its service as order.received, and a cancellation after it', async () => {
    const hub = await testHub();
    const got: Delivery[] = [];
    hub.workers.register({ service: 'civil-registry-individual-extract', handler: async (d) => void got.push(d) });
    await hub.startBackground();
    try {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      const id = res.json<Order>().id;
      await until(() => got.length === 1, 5_000, 'order.received at the worker');
      assert.equal(got[0]?.message.orderId, id);
      assert.equal(got[0]?.message.type, 'order.received');
      assert.equal(JSON.stringify(got[0]?.message).includes('03110987654'), false, 'events carry no citizen data');
      await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) });
      await until(() => got.length === 2, 5_000, 'order.cancelled at the worker');
      assert.equal(got[1]?.message.type, 'order.cancelled');
      assert.equal((await hub.store.outboxPending(10)).length, 0);
    } finally {
      await hub.close();
    }
  });

  it('shows a dead-lettered event on the order\'s timeline, and its replay', async () => {
    const hub = await testHub();
    let fail = true;
    const seen: number[] = [];
    hub.workers.register({
      service: 'civil-registry-individual-extract',
      retry: { maxAttempts: 2, delaysMs: [50] },
      handler: async (d) => {
        seen.push(d.attempt);
        if (fail) throw new Error('ministry down');
      },
    });
    await hub.startBackground();
    try {
      const id = (await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() })).json<Order>().id;
      await until(async () => (await hub.store.listDeadLetters({ limit: 5 })).length === 1, 5_000, 'dead letter');
      const order = await hub.store.getOrder(id);
      assert.deepEqual(order?.timeline.map((t) => [t.event, t.status, t.reason?.code]), [
        ['order.received', 'received', undefined],
        ['bus.dead-lettered', 'received', 'attempts-exhausted'],
      ]);
      fail = false;
      const [dl] = await hub.store.listDeadLetters({ limit: 5 });
      const outcome = await replayDeadLetters(hub.store, hub.bus, [dl!.id, 'dl_missing'], { kind: 'operator', id: 'ops-1' });
      assert.deepEqual(outcome.missing, ['dl_missing']);
      await until(() => seen.length === 3, 5_000, 'replayed delivery');
      assert.deepEqual(seen, [1, 2, 1]);
      const after = await hub.store.getOrder(id);
      assert.deepEqual(after?.timeline.at(-1)?.event, 'bus.replayed');
      assert.deepEqual(after?.timeline.at(-1)?.actor, { kind: 'operator', id: 'ops-1' });
      assert.deepEqual(await hub.store.listDeadLetters({ limit: 5 }), []);
    } finally {
      await hub.close();
    }
  });

  it('is not ready while the bus is down', async () => {
    const hub = await testHub();
    try {
      assert.deepEqual((await hub.app.inject({ url: '/ready' })).json(), { status: 'ready', checks: { store: 'up', bus: 'up' } });
      hub.bus.health = () => ({ ok: false, detail: 'reconnecting' });
      const res = await hub.app.inject({ url: '/ready' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'not-ready');
    } finally {
      await hub.close();
    }
  });
});

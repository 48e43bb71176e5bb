import assert from 'node:assert/strict';
import type { Order } from '../../contracts/types';
import { auth, CITIZEN, KEYS, newKey, testHub } from '../helpers';
import { validRequest } from '../helpers';
import { censor } from '../../hub/log';

describe('logging', () => {
  it('writes one line per request and per transition, with ids and never a citizen\'s data', async () => {
    const hub = await testHub();
    try {
      const key = newKey();
      const body = validRequest();
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': key }, payload: body });
      const id = res.json<Order>().id;
      // Failures too: a bad body that holds citizen data, a replay, a conflict, a read and a cancel.
      const bad = validRequest();
      bad.applicant.phone = `${CITIZEN.phone}x`;
      await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: bad });
      await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': key }, payload: body });
      await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': key }, payload: { ...body, fields: { purpose: 'travel', copies: 1 } } });
      await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.centre) });
      await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) });
      hub.logger.info({ order: res.json() }, 'a careless log of a whole order');

      const requests = hub.logs.records.filter((r) => r.msg === 'request');
      assert.equal(requests.length, 6);
      assert.ok(requests.every((r) => typeof r.ms === 'number'));
      for (const r of requests) assert.ok(typeof r.reqId === 'string' && r.reqId.length > 0);
      assert.equal(requests[0]?.orderId, id);
      assert.equal(requests[0]?.channel, 'centre-dam-01');
      const steps = hub.logs.records.filter((r) => r.msg === 'order step');
      assert.deepEqual(steps.map((r) => [r.orderId, r.event, r.status]), [
        [id, 'order.received', 'received'],
        [id, 'order.cancelled', 'cancelled'],
      ]);
      // A flow's step is logged the same way as the gateway's.
      const other = (await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: body })).json<Order>().id;
      await hub.store.transition(other, { to: 'awaiting-payment', actor: { kind: 'system', id: 'flow' } });
      assert.equal(hub.logs.records.filter((r) => r.msg === 'order step' && r.orderId === other).length, 2);

      const all = hub.logs.lines.join('\n');
      for (const secret of [...Object.values(CITIZEN), KEYS.centre.key]) assert.equal(all.includes(secret), false, `log holds ${secret}`);
    } finally {
      await hub.close();
    }
  });
});

describe('log censoring', () => {
  it('censors personal data and credentials at any depth, and leaves other objects as they are', async () => {
    const clean = { orderId: 'ord_1', status: 'received', actor: { kind: 'channel', id: 'c' } };
    assert.equal(censor(clean), clean, 'nothing to censor: the same object, no copy');
    const dirty = { order: { id: 'ord_1', applicant: { nationalNumber: '03110987654' }, timeline: [{ deep: { phone: '+963933765432' } }] }, headers: { authorization: 'Bearer x' } };
    const out = JSON.stringify(censor(dirty));
    assert.equal(out.includes('03110987654'), false);
    assert.equal(out.includes('+963933765432'), false);
    assert.equal(out.includes('Bearer x'), false);
    assert.match(out, /"id":"ord_1"/);
    assert.equal(dirty.order.applicant.nationalNumber, '03110987654', 'the logged object itself is not changed');
  });
});

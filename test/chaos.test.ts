/**
 * The chaos suite's judge of duplicated effects (chaos/simulators.ts): one order step asked again
 * under the same idempotency key is one effect (the provider deduplicates it); under two keys it
 * is the same step done twice. Reads, refusals at the door and other orders do not count. The
 * suite itself (`npm run chaos`) runs from .ci/run, not from mocha.
 */
import assert from 'node:assert/strict';
import { duplicateEffects } from '../chaos/simulators';
import type { SimRequest } from '../sandbox/simulators';

const req = (over: Partial<SimRequest>): SimRequest => ({ simulator: 'moi-civil-registry', at: new Date().toISOString(), method: 'POST', path: '/moi', input: {}, outcome: 'ok', repeated: false, status: 200, operation: 'IssueIndividualExtract', orderId: 'ord_A', idempotencyKey: 'k1', ...over });

describe('chaos: duplicated effects', () => {
  const orders = new Set(['ord_A', 'ord_B']);

  it('the same step under the same key, asked again after a timeout or a crash, is one effect', () => {
    const r = duplicateEffects([req({}), req({ repeated: true }), req({})], orders);
    assert.deepEqual(r, { effects: 1, duplicates: [] });
  });

  it('the same step under two keys is done twice; another operation or order is another step', () => {
    const r = duplicateEffects([req({}), req({ idempotencyKey: 'k2' }), req({ operation: 'Other', idempotencyKey: 'k3' }), req({ orderId: 'ord_B', idempotencyKey: 'k4' })], orders);
    assert.equal(r.effects, 3);
    assert.deepEqual(r.duplicates, [{ provider: 'moi-civil-registry', orderId: 'ord_A', operation: 'IssueIndividualExtract', keys: 2 }]);
  });

  it('a request without a key is an effect of its own each time; reads, refusals and other orders do not count', () => {
    const noKey = { idempotencyKey: undefined, simulator: 'sy-post', operation: undefined, path: '/shipments' };
    assert.equal(duplicateEffects([req(noKey), req(noKey)], orders).duplicates.length, 1);
    const ignored = [req({ method: 'GET', idempotencyKey: 'g' }), req({ status: 401, idempotencyKey: 'x' }), req({ outcome: 'INVALID_REQUEST', idempotencyKey: 'y' }), req({ outcome: 'fault:outage', idempotencyKey: 'z' }), req({ orderId: 'ord_C', idempotencyKey: 'w' })];
    assert.deepEqual(duplicateEffects([req({}), ...ignored], orders), { effects: 1, duplicates: [] });
  });
});

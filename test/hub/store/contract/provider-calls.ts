/** The ProviderCallRecords role: the operational records of provider calls. */
import assert from 'node:assert/strict';
import type { ProviderCallRecords } from '../../../../hub/store';
import type { BackEnd } from './fixtures';

export function providerCallRecordsContract({ open, close }: BackEnd<ProviderCallRecords>): void {
  let store: ProviderCallRecords;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('keeps the operational records of provider calls, by provider and time window, and prunes them', async () => {
    const t0 = Date.parse('2031-03-01T10:00:00.000Z');
    const call = (i: number, provider: string, extra = {}) => ({ provider, operation: 'Op', endpoint: 'http://127.0.0.1:8091/x', outcome: 'success' as const, status: 200, attempts: 1, durationMs: 40.6, requestBytes: 100 + i, responseBytes: 200, startedAt: new Date(t0 + i * 60_000).toISOString(), ...extra });
    await store.recordProviderCalls([call(0, 'moi-civil-registry', { orderId: 'ord_a' }), call(1, 'moj-judicial-records', { outcome: 'business-refusal', status: 500, faultCode: 'IDENTITY_MISMATCH' }), call(2, 'moi-civil-registry', { outcome: 'timeout', status: undefined, attempts: 3 })]);
    const moi = await store.listProviderCalls({ provider: 'moi-civil-registry', from: new Date(t0), limit: 10 });
    assert.deepEqual(moi.map((c) => [c.outcome, c.orderId, c.status, c.attempts, c.requestBytes]), [['success', 'ord_a', 200, 1, 100], ['timeout', undefined, undefined, 3, 102]]);
    assert.equal(moi[0]!.finishedAt, new Date(t0 + 41).toISOString());
    const window = await store.listProviderCalls({ from: new Date(t0 + 60_000), to: new Date(t0 + 120_000), limit: 10 });
    assert.deepEqual(window.map((c) => [c.provider, c.faultCode]), [['moj-judicial-records', 'IDENTITY_MISMATCH']]);
    assert.equal(await store.pruneProviderCalls(new Date(t0 + 90_000)), 2);
    assert.deepEqual((await store.listProviderCalls({ from: new Date(t0), limit: 10 })).map((c) => c.requestBytes), [102]);
  });
}

import assert from 'node:assert/strict';
import type { CallRecord } from '../../connectors/connector';
import { observeCalls, reportCall } from '../../connectors/observe';

const record = (over: Partial<CallRecord> = {}): CallRecord => ({
  provider: 'moi-civil-registry',
  operation: 'getExtract',
  endpoint: 'https://civil-registry.test/ws',
  outcome: 'success',
  status: 200,
  attempts: 1,
  durationMs: 12,
  requestBytes: 900,
  responseBytes: 2100,
  startedAt: new Date().toISOString(),
  ...over,
});

describe('connectors/observe', () => {
  it('hands every call record to every observer until it unsubscribes', () => {
    const a: CallRecord[] = [];
    const b: CallRecord[] = [];
    const offA = observeCalls((r) => a.push(r));
    const offB = observeCalls((r) => b.push(r));
    reportCall(record());
    offA();
    reportCall(record({ outcome: 'timeout', attempts: 3 }));
    offB();
    reportCall(record());
    assert.equal(a.length, 1);
    assert.deepEqual(b.map((r) => [r.outcome, r.attempts]), [['success', 1], ['timeout', 3]]);
    assert.deepEqual(a[0], record({ startedAt: a[0]!.startedAt }));
  });

  it('keeps credentials and query strings out of the endpoint', () => {
    const seen: string[] = [];
    const off = observeCalls((r) => seen.push(r.endpoint));
    reportCall(record({ endpoint: 'https://user:p4ss@api.test:8443/v1/persons?api_key=SECRET#x' }));
    reportCall(record({ endpoint: 'not a url' }));
    off();
    assert.deepEqual(seen, ['https://api.test:8443/v1/persons', '(invalid URL)']);
  });

  it('never lets an observer fail a call: it is warned about once and keeps receiving', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    let calls = 0;
    const off = observeCalls(() => {
      calls++;
      throw new Error('observer bug');
    });
    const other: CallRecord[] = [];
    const offOther = observeCalls((r) => other.push(r));
    assert.doesNotThrow(() => reportCall(record()));
    assert.doesNotThrow(() => reportCall(record()));
    off();
    offOther();
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.equal(calls, 2);
    assert.equal(other.length, 2);
    assert.equal(warnings.filter((w) => (w as { code?: string }).code === 'WASL_OBSERVER_FAILED').length, 1);
  });
});

/** A provider call's records ride on the journal finish that follows the call, else go alone a moment later (hub/held-calls.ts). */
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import type { CallRecord } from '../../connectors/connector';
import type { AuditEntry } from '../../hub/audit/chain';
import { callEntry } from '../../hub/audit/entries';
import { finishWithCalls, HeldCalls } from '../../hub/held-calls';
import type { CallRecords, ProviderCallRecords, StepJournal } from '../../hub/store';

const call = (orderId: string): CallRecord => ({ provider: 'moi-civil-registry', operation: 'IssueExtract', orderId, endpoint: 'http://127.0.0.1:1/x', outcome: 'success', status: 200, attempts: 1, durationMs: 5, requestBytes: 1, responseBytes: 2, startedAt: new Date(0).toISOString() });

/** A journal that remembers each finish and what it carried; `fail(n)` makes the next n finishes throw. */
function fakeStore() {
  const finishes: Array<{ orderId: string; calls: CallRecords | undefined }> = [];
  const alone: CallRecord[][] = [];
  const events = new EventEmitter();
  let failing = 0;
  const store: StepJournal & ProviderCallRecords = {
    journalGet: async () => undefined,
    journalStart: async (orderId, step) => ({ orderId, step, status: 'started', attempts: 1, startedAt: '' }),
    journalFinish: async (orderId, _step, _status, _outcome, calls) => {
      if (failing > 0) {
        failing--;
        throw new Error('database gone');
      }
      finishes.push({ orderId, calls });
    },
    recordProviderCalls: async (records) => void alone.push(records),
    listProviderCalls: async () => [],
    pruneProviderCalls: async () => 0,
  };
  const held = new HeldCalls(async (records, audit: AuditEntry[]) => {
    assert.equal(audit.length, records.length);
    await store.recordProviderCalls(records, audit);
    events.emit('written');
  }, () => assert.fail('no write fails here'), 20);
  return { store: finishWithCalls(store, held), held, finishes, alone, events, fail: (times = 1) => (failing = times) };
}

describe('provider call records held for the journal finish (issue 25)', () => {
  it('writes the calls made during a step with its journal finish, not on their own', async () => {
    const f = fakeStore();
    const r = call('ord_a');
    f.held.add(r, callEntry(r));
    await f.store.journalFinish('ord_a', 'moi.issue', 'succeeded', { ok: true });
    assert.deepEqual(f.finishes.map((x) => x.calls?.records), [[r]]);
    await new Promise((res) => setTimeout(res, 40));
    assert.deepEqual(f.alone, [], 'not written twice');
  });

  it("takes only the finishing order's calls (its audit shard alone); the others go after the hold, each order's apart", async () => {
    const f = fakeStore();
    const [a1, b, a2, c] = [call('ord_a'), call('ord_b'), call('ord_a'), call('ord_c')];
    for (const r of [a1, b, a2, c]) f.held.add(r, callEntry(r));
    await f.store.journalFinish('ord_a', 'moi.issue', 'succeeded', {});
    assert.deepEqual(f.finishes.map((x) => [x.orderId, x.calls?.records, x.calls?.audit.map((e) => e.subject)]), [['ord_a', [a1, a2], ['ord_a', 'ord_a']]]);
    await f.store.journalFinish('ord_d', 'moi.issue', 'succeeded', {});
    assert.equal(f.finishes[1]?.calls, undefined);
    await new Promise<void>((resolve) => {
      const check = () => f.alone.length === 2 && (f.events.off('written', check), resolve());
      f.events.on('written', check);
      check();
    });
    assert.deepEqual(f.alone.sort((x, y) => String(x[0]?.orderId).localeCompare(String(y[0]?.orderId))), [[b], [c]]);
  });

  it("a finish that failed with the calls is written alone, so a record's failure never leaves a step unfinished; the calls go on their own", async () => {
    const f = fakeStore();
    const r = call('ord_a');
    f.held.add(r, callEntry(r));
    f.fail();
    const written = once(f.events, 'written');
    await f.store.journalFinish('ord_a', 'moi.issue', 'succeeded', {});
    await written;
    assert.deepEqual(f.finishes.map((x) => [x.orderId, x.calls]), [['ord_a', undefined]]);
    assert.deepEqual(f.alone, [[r]]);
  });

  it('a finish that fails alone too reaches the step with its error; the calls are still written', async () => {
    const f = fakeStore();
    const r = call('ord_a');
    f.held.add(r, callEntry(r));
    f.fail(2);
    const written = once(f.events, 'written');
    await assert.rejects(f.store.journalFinish('ord_a', 'moi.issue', 'succeeded', {}), /database gone/);
    await written;
    assert.deepEqual(f.alone, [[r]]);
    assert.deepEqual(f.finishes, []);
  });

  it('writes what it holds when it closes', async () => {
    const f = fakeStore();
    const r = call('ord_a');
    f.held.add(r, callEntry(r));
    await f.held.close();
    assert.deepEqual(f.alone, [[r]]);
  });
});

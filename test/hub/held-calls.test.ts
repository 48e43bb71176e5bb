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
function fakeStore(opts: { maxHoldMs?: number; now?: () => number } = {}) {
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
  }, () => assert.fail('no write fails here'), 20, opts.maxHoldMs, opts.now);
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

  it("keeps an order's records past the hold while its journaled step is open, for that step's finish", async () => {
    const f = fakeStore();
    const [a, b] = [call('ord_a'), call('ord_b')];
    await f.store.journalStart('ord_a', 'moi.issue');
    f.held.add(a, callEntry(a));
    f.held.add(b, callEntry(b));
    // ord_b has no open step: written when the hold ends, which is how the test knows it ended.
    await once(f.events, 'written');
    assert.deepEqual(f.alone, [[b]], "only the records no open step waits for");
    await f.store.journalFinish('ord_a', 'moi.issue', 'succeeded', {});
    assert.deepEqual(f.finishes.map((x) => [x.orderId, x.calls?.records]), [['ord_a', [a]]], 'the late finish still carries its call');
  });

  it('writes the records of a step that never finishes once maxHoldMs has passed since it started', async () => {
    let t = 1_000;
    const f = fakeStore({ maxHoldMs: 500, now: () => t });
    const a = call('ord_a');
    await f.store.journalStart('ord_a', 'moi.issue');
    f.held.add(a, callEntry(a));
    // A transient failure: the step throws, no finish. Its start is now older than maxHoldMs.
    t += 500;
    await once(f.events, 'written');
    assert.deepEqual(f.alone, [[a]]);
    assert.deepEqual(f.finishes, []);
  });

  it('does not hold for a step whose journal says it finished already (a redelivery that calls nothing)', async () => {
    const f = fakeStore();
    const finished: StepJournal['journalStart'] = async (orderId, step) => ({ orderId, step, status: 'succeeded', attempts: 1, startedAt: '', outcome: {} });
    const store = finishWithCalls({ ...f.store, journalStart: finished, recordProviderCalls: f.store.recordProviderCalls }, f.held);
    await store.journalStart('ord_a', 'moi.issue');
    const a = call('ord_a');
    f.held.add(a, callEntry(a));
    await once(f.events, 'written');
    assert.deepEqual(f.alone, [[a]]);
  });

  it('writes what it holds when it closes', async () => {
    const f = fakeStore();
    const r = call('ord_a');
    f.held.add(r, callEntry(r));
    await f.held.close();
    assert.deepEqual(f.alone, [[r]]);
  });
});

/** The StepJournal role: the outcome of each external call per order and step. */
import assert from 'node:assert/strict';
import type { AuditStore, ProviderCallRecords, StepJournal } from '../../../../hub/store';
import { callEntry } from '../../../../hub/audit/entries';
import { newKey } from '../../../helpers';
import type { BackEnd } from './fixtures';

export function stepJournalContract({ open, close }: BackEnd<StepJournal & ProviderCallRecords & AuditStore>): void {
  let store: StepJournal & ProviderCallRecords & AuditStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('journals a step: started, attempts counted, outcome kept', async () => {
    const orderId = `ord_${newKey()}`;
    assert.equal(await store.journalGet(orderId, 'moi.issue'), undefined);
    assert.equal((await store.journalStart(orderId, 'moi.issue')).attempts, 1);
    assert.equal((await store.journalStart(orderId, 'moi.issue')).attempts, 2);
    await store.journalFinish(orderId, 'moi.issue', 'succeeded', { certificate: 'CR-77', name: 'نص' });
    const e = await store.journalGet(orderId, 'moi.issue');
    assert.equal(e?.status, 'succeeded');
    assert.deepEqual(e?.outcome, { certificate: 'CR-77', name: 'نص' });
    assert.ok(e?.finishedAt);
    // A finished step is not started again: journalStart returns it as it is (a redelivery replays it).
    const again = await store.journalStart(orderId, 'moi.issue');
    assert.equal(again.status, 'succeeded');
    assert.equal(again.attempts, 2);
    assert.deepEqual(again.outcome, { certificate: 'CR-77', name: 'نص' });
    await store.journalStart(orderId, 'moi.failed');
    await store.journalFinish(orderId, 'moi.failed', 'failed', { code: 'fault' });
    assert.equal((await store.journalStart(orderId, 'moi.failed')).status, 'failed');
    assert.equal(await store.journalGet(orderId, 'other'), undefined);
  });

  it("finishes a step with the operational and audit records of the calls it made, in the same transaction", async () => {
    const orderId = `ord_${newKey()}`;
    await store.journalStart(orderId, 'moi.issue');
    const startedAt = new Date(Date.UTC(2032, 0, 1, 9, 0, 0)).toISOString();
    const call = { provider: 'moi-civil-registry', operation: 'IssueExtract', orderId, endpoint: 'http://127.0.0.1:8091/x', outcome: 'success' as const, status: 200, attempts: 1, durationMs: 12, requestBytes: 10, responseBytes: 20, startedAt };
    await store.journalFinish(orderId, 'moi.issue', 'succeeded', { certificate: "CR-'78" }, { records: [call], audit: [callEntry(call)] });
    assert.deepEqual((await store.journalGet(orderId, 'moi.issue'))?.outcome, { certificate: "CR-'78" });
    assert.deepEqual((await store.listProviderCalls({ orderId, limit: 10 })).map((c) => [c.provider, c.operation, c.outcome]), [['moi-civil-registry', 'IssueExtract', 'success']]);
    const audit = await store.readAudit({ subject: orderId, limit: 10 });
    assert.equal(audit.filter((r) => r.kind === callEntry(call).kind).length, 1);
  });
}

/** The StepJournal role: the outcome of each external call per order and step. */
import assert from 'node:assert/strict';
import type { StepJournal } from '../../../../hub/store';
import { newKey } from '../../../helpers';
import type { BackEnd } from './fixtures';

export function stepJournalContract({ open, close }: BackEnd<StepJournal>): void {
  let store: StepJournal;
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
}

/** The ProcessedLog role (hub/bus/bus.ts): which events each consumer has processed. */
import assert from 'node:assert/strict';
import type { ProcessedLog } from '../../../../hub/bus/bus';
import { newKey } from '../../../helpers';
import type { BackEnd } from './fixtures';

export function processedLogContract({ open, close }: BackEnd<ProcessedLog>): void {
  let store: ProcessedLog;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('remembers processed events per consumer', async () => {
    const id = `evt_${newKey()}`;
    assert.equal(await store.isProcessed('svc:*', id), false);
    await store.recordProcessed('svc:*', id);
    await store.recordProcessed('svc:*', id);
    assert.equal(await store.isProcessed('svc:*', id), true);
    assert.equal(await store.isProcessed('other:*', id), false);
  });
}

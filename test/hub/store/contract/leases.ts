/** The LeaseStore role: one holder at a time of a singular job. */
import assert from 'node:assert/strict';
import type { LeaseStore } from '../../../../hub/store';
import { newKey } from '../../../helpers';
import type { BackEnd } from './fixtures';

export function leaseStoreContract({ open, close }: BackEnd<LeaseStore>): void {
  let store: LeaseStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('grants a lease to one holder at a time until it expires or is released', async () => {
    const name = `relay-${newKey()}`;
    assert.equal(await store.tryLease(name, 'a', 10_000), true);
    assert.equal(await store.tryLease(name, 'b', 10_000), false);
    assert.equal(await store.tryLease(name, 'a', 10_000), true, 'renewal');
    await store.releaseLease(name, 'a');
    assert.equal(await store.tryLease(name, 'b', 50), true);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await store.tryLease(name, 'a', 10_000), true, 'after expiry');
  });
}

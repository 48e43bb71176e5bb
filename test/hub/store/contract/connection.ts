/** The StoreConnection role: the database answers. */
import type { StoreConnection } from '../../../../hub/store';
import type { BackEnd } from './fixtures';

export function storeConnectionContract({ open, close }: BackEnd<StoreConnection>): void {
  let store: StoreConnection;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('answers ping', async () => {
    await store.ping();
  });
}

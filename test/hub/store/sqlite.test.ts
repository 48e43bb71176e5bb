import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../hub/store/sqlite';
import { newKey } from '../../helpers';
import { newOrder, storeContract } from './contract';

describe('store: SQLite', () => {
  describe('contract', () => {
    storeContract(
      async () => new SqliteStore({ file: ':memory:' }),
      (s) => s.close(),
    );
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'wasl-sqlite-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('uses WAL and applies each migration once', async () => {
      const file = join(dir, 'data', 'wasl.db');
      const store = new SqliteStore({ file });
      await store.close();
      const again = new SqliteStore({ file });
      await again.close();
      const db = new Database(file, { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const migrations = db.prepare('SELECT name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(migrations, [{ name: 'store:orders' }, { name: 'store:bus_state' }, { name: 'store:journal' }, { name: 'store:payments' }, { name: 'store:audit' }, { name: 'store:provider_calls' }, { name: 'store:payment_anomalies' }, { name: 'store:operator_actions' }, { name: 'store:audit_shards' }, { name: 'store:documents' }]);
      db.close();
    });

    it('keeps what it acknowledged across a reopen', async () => {
      const file = join(dir, 'wasl.db');
      const store = new SqliteStore({ file });
      const orders = await Promise.all(Array.from({ length: 50 }, () => store.createOrder(newOrder(), { channel: 'c', key: newKey(), requestHash: 'h' })));
      await store.close();
      const reopened = new SqliteStore({ file });
      for (const { order } of orders) assert.equal((await reopened.getOrder(order.id))?.id, order.id);
      await reopened.close();
    });

    it('group-commits concurrent writes but isolates a failing one', async () => {
      const store = new SqliteStore({ file: join(dir, 'wasl.db') });
      const key = newKey();
      await store.createOrder(newOrder(), { channel: 'c', key, requestHash: 'A' });
      const results = await Promise.allSettled([
        store.createOrder(newOrder(), { channel: 'c', key: newKey(), requestHash: 'h' }),
        store.createOrder(newOrder(), { channel: 'c', key, requestHash: 'B' }),
        store.createOrder(newOrder(), { channel: 'c', key: newKey(), requestHash: 'h' }),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      for (const r of results) if (r.status === 'fulfilled') assert.ok(await store.getOrder(r.value.order.id));
      await store.close();
    });
  });
});

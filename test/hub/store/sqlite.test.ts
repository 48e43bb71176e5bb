import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../hub/store/sqlite';
import { SqliteAudit } from '../../../hub/store/sqlite/audit';
import { SqliteOrders } from '../../../hub/store/sqlite/orders';
import { SqliteDatabase } from '../../../hub/sqlite/database';
import { AuditKeys } from '../../../hub/audit/keys';
import { deadLetterNote } from '../../../hub/store/order-records';
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

    describe('the orders a write of this process left, remembered instead of read back (issue 25)', () => {
      const system = { kind: 'system' as const, id: 't' };
      const idem = () => ({ channel: 'c', key: newKey(), requestHash: 'h' });

      it('reads and steps give what a reader of the file finds', async () => {
        const file = join(dir, 'wasl.db');
        const store = new SqliteStore({ file });
        const { order } = await store.createOrder(newOrder(), idem());
        await store.transition(order.id, { to: 'awaiting-payment', actor: system });
        await store.transition(order.id, { to: 'paid', actor: { kind: 'provider', id: 'epay' }, patch: { payment: { method: 'e-payment', status: 'paid', reference: 'PAY-1' } } });
        const returned = await store.transition(order.id, { to: 'submitted-to-provider', actor: system });
        const other = new SqliteStore({ file });
        const fromFile = await other.getOrder(order.id);
        assert.deepEqual(await store.getOrder(order.id), fromFile);
        assert.deepEqual(returned, fromFile);
        assert.deepEqual(fromFile?.timeline.map((s) => s.seq), [1, 2, 3, 4]);
        await other.close();
        await store.close();
      });

      it('sees what another connection wrote since: its next read and its next step start from the file', async () => {
        const file = join(dir, 'wasl.db');
        const store = new SqliteStore({ file });
        const { order } = await store.createOrder(newOrder(), idem());
        await store.transition(order.id, { to: 'awaiting-payment', actor: system });
        // A hand on the file (sqlite3, a wasl command, another hub): the document changed, a step added.
        const hand = new Database(file);
        hand.prepare(`UPDATE orders SET doc = json_set(doc, '$.statusReason', 'changed by hand') WHERE id = ?`).run(order.id);
        hand.prepare('INSERT INTO order_timeline (order_id, seq, doc) SELECT order_id, max(seq) + 1, json_set(doc, \'$.seq\', max(seq) + 1) FROM order_timeline WHERE order_id = ?').run(order.id);
        hand.close();
        const read = await store.getOrder(order.id);
        assert.equal(read?.statusReason, 'changed by hand');
        assert.deepEqual(read?.timeline.map((s) => s.seq), [1, 2, 3]);
        // Remembered, the step would take seq 3 again: the file's key refuses it.
        const next = await store.transition(order.id, { to: 'cancelled', actor: system });
        assert.deepEqual(next.timeline.map((s) => s.seq), [1, 2, 3, 4]);
        await store.close();
      });

      it('forgets what a write rolled back: a failed write leaves nothing of it in later reads or steps', async () => {
        const database = new SqliteDatabase(join(dir, 'wasl.db'));
        // The store's migrations, then the orders role alone over the same database.
        const store = new SqliteStore({ database });
        const orders = new SqliteOrders(database, new SqliteAudit(database, { keys: AuditKeys.ephemeral(), shards: 16 }));
        const { order } = await orders.createOrder(newOrder(), idem());
        await orders.transition(order.id, { to: 'awaiting-payment', actor: system });
        // A dead letter's write notes the order, then fails after: its savepoint undoes the note.
        await assert.rejects(
          database.write(() => {
            orders.noteWithin(order.id, deadLetterNote('provider-fault'));
            throw new Error('failed after the note');
          }),
          /failed after the note/,
        );
        const read = await orders.getOrder(order.id);
        assert.deepEqual(read?.timeline.map((s) => s.seq), [1, 2]);
        const next = await orders.transition(order.id, { to: 'cancelled', actor: system });
        assert.deepEqual(next.timeline.map((s) => s.seq), [1, 2, 3]);
        const other = new SqliteStore({ file: join(dir, 'wasl.db') });
        assert.deepEqual(next, await other.getOrder(order.id));
        await other.close();
        await store.close();
        database.close();
      });

      it('forgets what a batch whose commit failed held: every write of it undone', async () => {
        const database = new SqliteDatabase(join(dir, 'wasl.db'));
        const store = new SqliteStore({ database });
        const { order } = await store.createOrder(newOrder(), idem());
        // In one batch: a step of the order, and a write whose foreign key, deferred, fails the commit.
        const results = await Promise.allSettled([
          store.transition(order.id, { to: 'awaiting-payment', actor: system }),
          database.write(() => {
            database.db.pragma('defer_foreign_keys = ON');
            database.db.prepare("INSERT INTO order_timeline (order_id, seq, doc) VALUES ('ord_none', 1, '{}')").run();
          }),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
        assert.match(String((results[1] as PromiseRejectedResult).reason), /FOREIGN KEY/);
        const read = await store.getOrder(order.id);
        assert.equal(read?.status, 'received');
        assert.deepEqual(read?.timeline.map((s) => s.seq), [1]);
        const next = await store.transition(order.id, { to: 'awaiting-payment', actor: system });
        assert.deepEqual(next.timeline.map((s) => s.seq), [1, 2]);
        await store.close();
        database.close();
      });
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

/**
 * An order's creation and steps on PostgreSQL read their audit shard's head without locking it,
 * and lose their place in the chain when another append to the shard commits between their two
 * round trips (hub/store/postgres/database.ts appendingAfterHeads): their second round trip then
 * writes nothing — no statement fails, so nothing of the order reaches PostgreSQL's log — and
 * they run once more with the head locked. The chain must stay whole, every append must land
 * once, and nothing may deadlock, however the appends interleave.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AuditKeys } from '../../../hub/audit/keys';
import { verifyTrail } from '../../../hub/audit/trail';
import { PostgresStore } from '../../../hub/store/postgres';
import { dropSchema, newKey, PG_URL, requirePostgres } from '../../helpers';
import { channel, create, newOrder } from './contract/fixtures';

const SYSTEM = { kind: 'system' as const, id: 'test' };
/** An append's one call after the head it saw or read (migration 013), prepared or inlined. */
const APPEND_CALL = 'SELECT moved, shard_seq, hash FROM wasl_append_after_head';

describe('store: PostgreSQL, an audit append that loses its place in the chain', function () {
  before(async function () {
    await requirePostgres(this);
  });

  const keys = AuditKeys.ephemeral();
  let schema: string;
  let store: PostgresStore;
  const realQuery = Client.prototype.query;
  /** Queries the server refused while a test ran: a lost place must not be one of them. */
  let failed: string[];
  /** Queries sent while a test ran, by their start. */
  let sent: string[];
  /** Every query goes through `around` (by default straight to the server); failures are noted. */
  let around: (client: Client, args: unknown[], send: () => Promise<unknown>) => Promise<unknown>;
  beforeEach(async () => {
    failed = [];
    sent = [];
    around = (_c, _a, send) => send();
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const callback = args.find((a) => typeof a === 'function');
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text ?? '');
      if (callback || (args[0] as { submit?: unknown } | undefined)?.submit) return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
      sent.push(text);
      return around(this, args, () => (realQuery as (...a: unknown[]) => Promise<unknown>).apply(this, args)).catch((err: unknown) => {
        failed.push(`${(err as Error).message}: ${text.slice(0, 60)}`);
        throw err;
      });
    } as typeof Client.prototype.query;
    schema = `wasl_test_${randomBytes(6).toString('hex')}`;
    // One shard: every append competes for the same head.
    store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 1 } });
  });
  afterEach(async () => {
    Client.prototype.query = realQuery;
    around = (_c, _a, send) => send();
    await store.close();
    await dropSchema(schema).catch(() => undefined);
  });

  /** The trail verified with the store's key; the shard's places 1…n, each once. */
  async function assertWholeChain(expected: number): Promise<void> {
    const v = await verifyTrail(store, { keys });
    assert.equal(v.finding, undefined, `the chain verifies: ${JSON.stringify(v.finding)}`);
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query<{ shard_seq: string }>(`SELECT shard_seq FROM ${schema}.audit_log WHERE shard = 1 ORDER BY shard_seq`);
      assert.deepEqual(rows.map((r) => Number(r.shard_seq)), Array.from({ length: expected }, (_, i) => i + 1));
      const head = await c.query<{ shard_seq: string }>(`SELECT shard_seq FROM ${schema}.audit_heads WHERE shard = 1`);
      assert.equal(Number(head.rows[0]?.shard_seq), expected, 'the head is at the last record');
    } finally {
      await c.end();
    }
  }

  /**
   * Holds the first query whose text starts with `prefix` (a transaction's second round trip)
   * until `meanwhile` has run: another append commits between that transaction's two round trips.
   */
  function interleave(prefix: string, meanwhile: () => Promise<unknown>): { ran: Promise<void> } {
    let armed = true;
    let ran!: () => void;
    const done = new Promise<void>((r) => (ran = r));
    around = (_c, args, send) => {
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text ?? '');
      if (armed && text.startsWith(prefix)) {
        armed = false;
        return meanwhile().then(() => {
          ran();
          return send();
        });
      }
      return send();
    };
    return { ran: done };
  }

  it('runs a step again with the head locked when another append took its place, and the chain stays whole', async () => {
    const a = await create(store);
    const b = await create(store);
    assert.equal(store.chainRetries, 0);
    // A's step has read the head (one record per order so far: place 2); B's step commits place 3 first.
    const { ran } = interleave('UPDATE audit_heads SET', () => store.transition(b.id, { to: 'cancelled', actor: SYSTEM }));
    const stepped = await store.transition(a.id, { to: 'cancelled', actor: SYSTEM });
    await ran;
    assert.equal(stepped.status, 'cancelled');
    assert.equal(store.chainRetries, 1, 'A lost its place once, and its second attempt did not');
    assert.equal((await store.getOrder(a.id))?.timeline.length, 2, 'the step was stored once');
    assert.deepEqual(failed, [], 'no statement failed');
    assert.equal(sent.filter((t) => t.startsWith('ROLLBACK')).length, 0, 'nothing to roll back: the lost attempt committed nothing');
    await assertWholeChain(4);
  });

  it("runs an order's creation again the same way, its idempotency key claimed once", async () => {
    const a = newOrder();
    const key = newKey();
    // Its second round trip is one call of wasl_create_after_head (migration 014).
    const { ran } = interleave('SELECT moved FROM wasl_create_after_head', () => create(store));
    const r = await store.createOrder(a, { channel: channel.channel, key, requestHash: 'h' });
    await ran;
    assert.equal(r.replayed, false);
    assert.equal(store.chainRetries, 1);
    const again = await store.createOrder(a, { channel: channel.channel, key, requestHash: 'h' });
    assert.equal(again.replayed, true, 'the key points at the order created');
    assert.equal(again.order.id, a.id);
    assert.deepEqual(failed, [], 'no statement failed');
    assert.equal(sent.filter((t) => t.startsWith('ROLLBACK')).length, 1, 'only the replay rolls back its claim of the key');
    await assertWholeChain(2);
  });

  const callOf = (orderId: string) => ({
    entry: (subject: string) => ({ at: new Date().toISOString(), kind: 'provider.call' as const, actor: 'provider:moi-civil-registry', subject, data: { outcome: 'success' } }),
    record: { provider: 'moi-civil-registry', operation: 'IssueExtract', orderId, endpoint: 'http://127.0.0.1:1/x', outcome: 'success' as const, status: 200, attempts: 1, durationMs: 5, requestBytes: 1, responseBytes: 2, startedAt: new Date().toISOString() },
  });

  it("runs a provider call's records with its step's journal finish again the same way, the finish written once", async () => {
    const a = await create(store);
    // A process that has not seen the shard's head: it reads it in a round trip of its own first.
    const fresh = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 1 } });
    try {
      await fresh.journalStart(a.id, 'moi.issue');
      const { entry, record } = callOf(a.id);
      // Its head read (place 1: the order's creation), another append takes place 2 first.
      const { ran } = interleave(APPEND_CALL, () => store.appendAudit([entry('provider:elsewhere')]));
      await fresh.journalFinish(a.id, 'moi.issue', 'succeeded', { ok: true }, { records: [record], audit: [entry(a.id)] });
      await ran;
      assert.equal(fresh.chainRetries, 1);
      assert.equal((await fresh.journalGet(a.id, 'moi.issue'))?.status, 'succeeded');
      assert.equal((await fresh.listProviderCalls({ orderId: a.id, limit: 10 })).length, 1, 'the call recorded once');
      assert.deepEqual(failed, [], 'no statement failed');
      await assertWholeChain(3);
    } finally {
      await fresh.close();
    }
  });

  it("after the head this process saw last, in one round trip: written again after the head the lost write found, the finish written once", async () => {
    const a = await create(store);
    await store.journalStart(a.id, 'moi.issue');
    const { entry, record } = callOf(a.id);
    // This process saw place 1 (it created the order); another append takes place 2 before its write.
    const other = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 1 } });
    const { ran } = interleave(APPEND_CALL, () => other.appendAudit([entry('provider:elsewhere')]));
    const before = sent.length;
    try {
      await store.journalFinish(a.id, 'moi.issue', 'succeeded', { ok: true }, { records: [record], audit: [entry(a.id)] });
      await ran;
    } finally {
      await other.close();
    }
    // This process's calls go prepared (their text has the parameters); the other's, which read the head first, inlined.
    assert.equal(sent.slice(before).filter((t) => t.startsWith(APPEND_CALL) && t.includes('$1')).length, 2, 'the lost write and the one after the head it found');
    assert.equal(sent.slice(before).filter((t) => t.includes('FROM audit_heads')).length, 1, "nothing read first but the other's read of the head");
    assert.equal(store.chainRetries, 0);
    assert.equal(store.knownOrders.rewrites, 1);
    assert.equal((await store.journalGet(a.id, 'moi.issue'))?.status, 'succeeded');
    assert.equal((await store.listProviderCalls({ orderId: a.id, limit: 10 })).length, 1, 'the call recorded once');
    assert.deepEqual(failed, [], 'no statement failed');
    await assertWholeChain(3);
  });

  it('lets many concurrent steps on one shard through, each retried at most once, with no deadlock', async () => {
    const orders = await Promise.all(Array.from({ length: 30 }, () => create(store)));
    const creations = store.chainRetries;
    assert.ok(creations <= orders.length, `${creations} retries for ${orders.length} creations`);
    await Promise.all(orders.map((o) => store.transition(o.id, { to: 'cancelled', actor: SYSTEM })));
    assert.ok(store.chainRetries - creations <= orders.length, `${store.chainRetries - creations} retries for ${orders.length} steps`);
    for (const o of orders) assert.equal((await store.getOrder(o.id))?.status, 'cancelled');
    assert.deepEqual(failed, [], 'no statement failed');
    await assertWholeChain(60);
  });

  it('does not retry what failed for another reason', async () => {
    const a = await create(store);
    await assert.rejects(store.transition(a.id, { to: 'delivered', actor: SYSTEM }));
    assert.equal(store.chainRetries, 0);
    await assertWholeChain(1);
  });
});

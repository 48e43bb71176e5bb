/**
 * A step on PostgreSQL written from the order as this process last read it — the bus delivery's
 * processed check reads the order with its audit shard's head (hub/store/postgres/known-orders.ts)
 * — in one round trip instead of two, and only while nothing else has written to the order's
 * shard since. Whatever else happens between the read and the step (another process steps or
 * notes the order, another order's append moves the shard, the flow changes the order it was
 * handed, a transition the known order no longer allows), the step must be written exactly as if
 * it had read the order again: the right sequence, the current order, a whole chain, no failed
 * statement in PostgreSQL's log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Order } from '../../../contracts/types';
import { AuditKeys } from '../../../hub/audit/keys';
import { verifyTrail } from '../../../hub/audit/trail';
import { KnownOrders } from '../../../hub/store/postgres/known-orders';
import { PostgresStore } from '../../../hub/store/postgres';
import { dropSchema, PG_URL, requirePostgres } from '../../helpers';
import { create } from './contract/fixtures';

const SYSTEM = { kind: 'system' as const, id: 'test' };
const CONSUMER = 'test-flow';

describe('store: PostgreSQL, a step from the order as this process last read it (issue 25)', function () {
  before(async function () {
    await requirePostgres(this);
  });

  const keys = AuditKeys.ephemeral();
  let schema: string;
  /** This process's store, and another process's on the same database. */
  let store: PostgresStore;
  let other: PostgresStore;
  const realQuery = Client.prototype.query;
  let sent: string[];
  /** Queries sent through the pool (Pool.query: with a callback), not counted in `sent`. */
  let pooled: string[];
  let failed: string[];
  /** A query whose text starts with `prefix` waits for `until` before it is sent (once). */
  let hold: { prefix: string; until: Promise<void> } | undefined;
  beforeEach(async () => {
    sent = [];
    pooled = [];
    failed = [];
    hold = undefined;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const callback = args.find((a) => typeof a === 'function');
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text ?? '');
      if (callback) pooled.push(text);
      if (callback || (args[0] as { submit?: unknown } | undefined)?.submit) return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
      sent.push(text);
      const held = hold && text.startsWith(hold.prefix) ? hold : undefined;
      if (held) hold = undefined;
      return (held ? held.until : Promise.resolve()).then(() => (realQuery as (...a: unknown[]) => Promise<unknown>).apply(this, args)).catch((err: unknown) => {
        failed.push(`${(err as Error).message}: ${text.slice(0, 60)}`);
        throw err;
      });
    } as typeof Client.prototype.query;
    schema = `wasl_test_${randomBytes(6).toString('hex')}`;
    // One shard: every order's appends meet on the same head, as two orders of one shard do.
    store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 1 } });
    other = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 1 } });
  });
  afterEach(async () => {
    Client.prototype.query = realQuery;
    await store.close();
    await other.close();
    await dropSchema(schema).catch(() => undefined);
  });

  /** Resolves once `cond` holds, looking again on each turn of the event loop (for up to 10 s). */
  async function waitUntil(cond: () => boolean | Promise<boolean>): Promise<void> {
    const until = Date.now() + 10_000;
    while (!(await cond())) {
      if (Date.now() > until) throw new Error('waited 10 s for a condition');
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The round trips `fn` makes. */
  async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
    const before = sent.length;
    await fn();
    return sent.length - before;
  }

  /** What the store's writes after a seen head did since `before`. */
  const delta = (before: { hits: number; rewrites: number; misses: number }) => {
    const now = store.knownOrders;
    return { hits: now.hits - before.hits, rewrites: now.rewrites - before.rewrites, misses: now.misses - before.misses };
  };

  /** As a delivery's processed check reads it; the order it is handed. */
  async function delivered(id: string, eventId = `evt_${randomBytes(4).toString('hex')}`): Promise<Order> {
    const r = await store.checkAndRead(CONSUMER, eventId, id);
    assert.equal(r.processed, false);
    assert.ok(r.order);
    return r.order;
  }

  async function assertWholeChain(): Promise<void> {
    const v = await verifyTrail(store, { keys });
    assert.equal(v.finding, undefined, `the chain verifies: ${JSON.stringify(v.finding)}`);
  }

  /** The order as a fresh read of the database gives it. */
  async function stored(id: string): Promise<Order> {
    const o = await other.getOrder(id);
    assert.ok(o);
    return o;
  }

  it('writes the step in one round trip, and the order is what a read of the database gives', async () => {
    const order = await create(store);
    await delivered(order.id);
    let result: Order | undefined;
    const trips = await roundTrips(async () => (result = await store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM })));
    assert.equal(trips, 1);
    assert.deepEqual(store.knownOrders, { hits: 1, rewrites: 0, misses: 0 });
    assert.deepEqual(result, await stored(order.id));
    assert.deepEqual(result!.timeline.map((s) => s.seq), [1, 2]);
    // Taken once: the next step reads for itself, in two.
    assert.equal(await roundTrips(() => store.transition(order.id, { to: 'provider-completed', actor: SYSTEM })), 2);
    assert.deepEqual((await stored(order.id)).timeline.map((s) => [s.seq, s.status]), [[1, 'received'], [2, 'submitted-to-provider'], [3, 'provider-completed']]);
    await assertWholeChain();
    assert.deepEqual(failed, []);
  });

  it('records the event it settles processed with the step, in the same round trip', async () => {
    const order = await create(store);
    await delivered(order.id, 'evt_settled');
    let recorded = false;
    const trips = await roundTrips(() => store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM, settles: { consumer: CONSUMER, eventId: 'evt_settled', recorded: () => (recorded = true) } }));
    assert.equal(trips, 1);
    assert.ok(recorded);
    assert.equal(await other.isProcessed(CONSUMER, 'evt_settled'), true);
  });

  it('another process stepped the order since the read: the step is read and written again, after it', async () => {
    const order = await create(store);
    await delivered(order.id);
    await other.note(order.id, { event: 'operator.remark', actor: SYSTEM });
    const result = await store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM });
    assert.deepEqual(store.knownOrders, { hits: 0, rewrites: 0, misses: 1 });
    const now = await stored(order.id);
    assert.deepEqual(result, now);
    assert.deepEqual(now.timeline.map((s) => [s.seq, s.event]), [[1, 'order.received'], [2, 'operator.remark'], [3, 'order.submitted-to-provider']]);
    assert.equal(now.status, 'submitted-to-provider');
    await assertWholeChain();
    assert.deepEqual(failed, [], 'nothing failed: a lost place is no error in the server log');
  });

  it('another process stepped the order, and this one has seen the head since: the order itself is checked, not only the head', async () => {
    const order = await create(store);
    await delivered(order.id);
    await other.note(order.id, { event: 'operator.remark', actor: SYSTEM });
    // This process's own append reads the head the note left and moves it: the head it knows is current, the order it knows is not.
    await store.appendAudit([{ kind: 'provider.call', actor: 'system:test', subject: order.id, data: { operation: 'GetExtract' }, at: new Date().toISOString() }]);
    const before = store.knownOrders;
    const result = await store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM });
    assert.deepEqual(delta(before), { hits: 0, rewrites: 0, misses: 1 }, 'its write found the order moved on, and read it again');
    const now = await stored(order.id);
    assert.deepEqual(result, now);
    assert.deepEqual(now.timeline.map((s) => [s.seq, s.event]), [[1, 'order.received'], [2, 'operator.remark'], [3, 'order.submitted-to-provider']]);
    await assertWholeChain();
    assert.deepEqual(failed, []);
  });

  it('a transition the known order does not allow, but the order now does, is planned again on the order as it is', async () => {
    const order = await create(store);
    await delivered(order.id);
    await other.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM });
    // From received this is illegal; from submitted-to-provider, where the order is now, it is not.
    const result = await store.transition(order.id, { to: 'provider-completed', actor: SYSTEM });
    assert.equal(result.status, 'provider-completed');
    assert.deepEqual((await stored(order.id)).timeline.map((s) => s.seq), [1, 2, 3]);
    await assertWholeChain();
  });

  it('a transition the order does not allow either way is refused as before', async () => {
    const order = await create(store);
    await delivered(order.id);
    await assert.rejects(store.transition(order.id, { to: 'delivered', actor: SYSTEM }), (err: { code?: string }) => err.code === 'illegal-transition');
    assert.deepEqual((await stored(order.id)).timeline.map((s) => s.seq), [1]);
  });

  it("another order's append to the shard since the read: written again after it, without reading the order", async () => {
    const order = await create(store);
    await delivered(order.id);
    await create(other);
    // The first write finds the head moved, by another order: this one has no step since, so it is written after the head as it is now.
    assert.equal(await roundTrips(() => store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM })), 2);
    assert.deepEqual(store.knownOrders, { hits: 1, rewrites: 1, misses: 0 });
    assert.deepEqual((await stored(order.id)).timeline.map((s) => s.seq), [1, 2]);
    await assertWholeChain();
    assert.deepEqual(failed, []);
  });

  it("this process's own appends since the read (another order's step, a provider call's records) leave one round trip", async () => {
    const order = await create(store);
    await delivered(order.id);
    const second = await create(store);
    await store.note(second.id, { event: 'operator.remark', actor: SYSTEM });
    await store.appendAudit([{ kind: 'provider.call', actor: 'system:test', subject: order.id, data: { operation: 'GetExtract' }, at: new Date().toISOString() }]);
    const before = store.knownOrders;
    assert.equal(await roundTrips(() => store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM })), 1);
    assert.deepEqual(delta(before), { hits: 1, rewrites: 0, misses: 0 });
    await assertWholeChain();
  });

  it('an audit append after the head this process saw last takes one round trip; in a shard it has not seen, two', async () => {
    const order = await create(store);
    const entry = () => ({ kind: 'provider.call' as const, actor: 'system:test', subject: order.id, data: { operation: 'GetExtract' }, at: new Date().toISOString() });
    assert.equal(await roundTrips(() => store.appendAudit([entry()])), 1);
    assert.equal(await roundTrips(() => other.appendAudit([entry()])), 2);
    assert.equal(await roundTrips(() => other.appendAudit([entry()])), 1);
    // The first process's head is behind now: its write is lost, and made again after the head it found.
    assert.equal(await roundTrips(() => store.appendAudit([entry()])), 2);
    assert.equal(store.knownOrders.rewrites, 1);
    await assertWholeChain();
    assert.deepEqual(failed, []);
  });

  it('what the flow does to the order it was handed never reaches what the step writes', async () => {
    const order = await create(store);
    const handed = await delivered(order.id);
    (handed as { status: string }).status = 'delivered';
    handed.applicant.nationalNumber = '00000000000';
    handed.timeline.push({ ...handed.timeline[0]!, seq: 99 });
    const result = await store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM });
    assert.deepEqual(store.knownOrders, { hits: 1, rewrites: 0, misses: 0 });
    const now = await stored(order.id);
    assert.deepEqual(result, now);
    assert.equal(now.applicant.nationalNumber, order.applicant.nationalNumber);
    assert.deepEqual(now.timeline.map((s) => s.seq), [1, 2]);
  });

  it('two steps of one order at once from the same read: one writes, the other after it', async () => {
    const order = await create(store);
    await delivered(order.id);
    const [a, b] = await Promise.allSettled([
      store.note(order.id, { event: 'operator.remark', actor: SYSTEM }),
      store.note(order.id, { event: 'operator.remark', actor: SYSTEM }),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'fulfilled');
    assert.deepEqual((await stored(order.id)).timeline.map((s) => s.seq), [1, 2, 3]);
    await assertWholeChain();
    assert.deepEqual(failed, []);
  });

  it("a step from the known order waits for another's step of the same order that holds its row, and never deadlocks with it", async function () {
    this.timeout(30_000);
    const order = await create(store);
    await delivered(order.id);
    // The other process's step has locked the order's row (its first round trip) and is held before its second, which moves the head.
    let release!: () => void;
    hold = { prefix: 'UPDATE audit_heads SET', until: new Promise<void>((r) => (release = r)) };
    const theirs = other.note(order.id, { event: 'operator.remark', actor: SYSTEM });
    await waitUntil(() => hold === undefined);
    // This one's step, from the order it knows, must wait for that row lock before it takes the head: taking the head first is a
    // cycle with their second round trip (head after row), which PostgreSQL ends by failing one of the two.
    const ours = store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM });
    const probe = new Client({ connectionString: PG_URL });
    await probe.connect();
    try {
      await waitUntil(async () => Number((await probe.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n) > 0);
    } finally {
      await probe.end();
    }
    release();
    await theirs;
    const result = await ours;
    assert.deepEqual(failed, [], 'no statement failed: no deadlock');
    const now = await stored(order.id);
    assert.deepEqual(result, now);
    assert.deepEqual(now.timeline.map((s) => [s.seq, s.event]), [[1, 'order.received'], [2, 'operator.remark'], [3, 'order.submitted-to-provider']]);
    await assertWholeChain();
  });

  it('an order already processed, or not there, is not remembered', async () => {
    const order = await create(store);
    await store.recordProcessed(CONSUMER, 'evt_done');
    assert.equal((await store.checkAndRead(CONSUMER, 'evt_done', order.id)).processed, true);
    assert.equal((await store.checkAndRead(CONSUMER, 'evt_x', 'ord_missing')).order, undefined);
    assert.equal(await roundTrips(() => store.transition(order.id, { to: 'submitted-to-provider', actor: SYSTEM })), 2);
  });

  it("the checks of the same moment go in one round trip, each delivery getting its own order, the one with no order and the processed one included", async () => {
    const a = await create(store);
    const b = await create(store);
    await other.transition(b.id, { to: 'submitted-to-provider', actor: SYSTEM });
    await store.recordProcessed(CONSUMER, 'evt_b');
    const before = pooled.length;
    const [ra, rb, rMissing, rAgain] = await Promise.all([
      store.checkAndRead(CONSUMER, 'evt_a', a.id),
      store.checkAndRead(CONSUMER, 'evt_b', b.id),
      store.checkAndRead(CONSUMER, "evt_'quoted', {braced} \\ \"x\"", 'ord_missing'),
      store.checkAndRead(`${CONSUMER}-other`, 'evt_b', b.id),
    ]);
    assert.equal(pooled.length - before, 1, 'one round trip for the four');
    assert.deepEqual([ra.processed, rb.processed, rMissing.processed, rAgain.processed], [false, true, false, false]);
    assert.deepEqual(ra.order, await stored(a.id));
    assert.deepEqual(rb.order, await stored(b.id));
    assert.deepEqual(rAgain.order, await stored(b.id));
    assert.equal(rMissing.order, undefined);
    assert.equal(rb.order?.timeline.length, 2);
    // Remembered, with the head: a's step goes in one round trip.
    assert.equal(await roundTrips(() => store.transition(a.id, { to: 'submitted-to-provider', actor: SYSTEM })), 1);
    assert.deepEqual(failed, []);
  });
});

describe('KnownOrders', () => {
  const head = (n: number) => ({ shardSeq: n, hash: String(n).padStart(64, '0') });
  const doc = (id: string) => JSON.stringify({ id });

  it('keeps at most its bound, the oldest going first', () => {
    const k = new KnownOrders(2);
    k.remember('a', 1, doc('a'), '[]');
    k.remember('b', 1, doc('b'), '[]');
    k.remember('c', 1, doc('c'), '[]');
    assert.equal(k.size, 2);
    assert.equal(k.take('a', 1), undefined);
    assert.equal(k.take('c', 1)?.doc.id, 'c');
  });

  it('gives an order once, and never for another shard than its own', () => {
    const k = new KnownOrders();
    k.remember('a', 1, doc('a'), '[]');
    assert.equal(k.take('a', 2), undefined);
    k.remember('a', 1, doc('a'), '[]');
    assert.ok(k.take('a', 1));
    assert.equal(k.take('a', 1), undefined);
  });

  it("keeps each shard's furthest head seen, whatever order the sightings come in", () => {
    const k = new KnownOrders();
    k.saw(1, head(2));
    k.saw(1, head(1));
    k.saw(2, head(5));
    assert.deepEqual(k.head(1), head(2));
    k.saw(1, head(3));
    assert.deepEqual(k.head(1), head(3));
    assert.deepEqual(k.head(2), head(5));
    assert.equal(k.head(3), undefined);
  });
});

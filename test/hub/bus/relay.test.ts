import assert from 'node:assert/strict';
import { EmbeddedBus } from '../../../hub/bus/embedded';
import { OutboxRelay, RELAY_LEASE } from '../../../hub/bus/relay';
import type { Bus, BusMessage } from '../../../hub/bus/bus';
import { createLogger } from '../../../hub/log';
import { SqliteDatabase } from '../../../hub/sqlite/database';
import { SqliteStore } from '../../../hub/store/sqlite';
import { LogSink, newKey } from '../../helpers';
import { newOrder } from '../store/contract';
import { until } from './contract';

const logger = createLogger('silent', new LogSink());

describe('outbox relay', () => {
  let database: SqliteDatabase;
  let store: SqliteStore;
  let bus: EmbeddedBus;
  beforeEach(() => {
    database = new SqliteDatabase(':memory:');
    store = new SqliteStore({ database });
    bus = new EmbeddedBus({ database, store, logger, pollMs: 20 });
  });
  afterEach(async () => {
    await bus.close();
    database.close();
  });

  async function create(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { order } = await store.createOrder(newOrder(), { channel: 'c', key: newKey(), requestHash: 'h' });
      ids.push(order.id);
    }
    return ids;
  }

  it('moves every outbox event to the bus in order per order, and marks it published', async () => {
    const [id] = await create(1);
    for (const to of ['awaiting-payment', 'paid', 'submitted-to-provider'] as const) await store.transition(id!, { to, actor: { kind: 'system', id: 't' } });
    await create(3);
    const relay = new OutboxRelay({ store, bus, logger, pollMs: 20 });
    relay.start();
    const got: BusMessage[] = [];
    const sub = await bus.subscribe({ service: 'civil-registry-individual-extract', prefetch: 1, handler: async (d) => void got.push(d.message) });
    await until(() => got.length === 7, 5_000, 'seven events');
    assert.deepEqual(
      got.filter((m) => m.orderId === id).map((m) => m.type),
      ['order.received', 'order.awaiting-payment', 'order.paid', 'order.submitted-to-provider'],
    );
    // Marked by the next pass (the poll here), which moves nothing again.
    await until(async () => (await store.outboxPending(100)).length === 0, 2_000, 'marked by the next pass');
    assert.equal(relay.isLeader, true);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(got.length, 7, 'nothing published twice');
    await sub.stop();
    await relay.stop();
  });

  it('picks up new events at once when kicked', async () => {
    const relay = new OutboxRelay({ store, bus, logger, pollMs: 5_000 });
    relay.start();
    await until(() => relay.isLeader, 2_000, 'lease');
    await create(1);
    const t0 = Date.now();
    relay.kick();
    await until(async () => (await bus.depth('civil-registry-individual-extract')).ready === 1, 3_000, 'relayed');
    assert.ok(Date.now() - t0 < 1_000);
    // Its mark waits for the next pass (5 s away here) or the relay's stop, which writes it before giving the lease up.
    assert.equal((await store.outboxPending(10)).length, 1);
    await relay.stop();
    assert.equal((await store.outboxPending(10)).length, 0);
  });

  it('publishes a batch again after a crash before its mark, with the same event id, which consumers drop', async () => {
    const [id] = await create(1);
    const published: BusMessage[] = [];
    const counting: Bus = Object.assign(Object.create(bus) as Bus, { publish: (m: BusMessage[]) => (published.push(...m), bus.publish(m)) });
    const crashed = new OutboxRelay({ store, bus: counting, logger, pollMs: 5_000, leaseTtlMs: 200 });
    crashed.start();
    await until(() => published.length === 1, 3_000, 'published');
    // Dies without stop(): its lease runs out, its mark was never written.
    (crashed as unknown as { running: boolean }).running = false;
    const next = new OutboxRelay({ store, bus: counting, logger, pollMs: 20, leaseTtlMs: 200 });
    next.start();
    await until(() => published.length === 2, 5_000, 'the event again');
    assert.deepEqual(published.map((m) => m.orderId), [id, id]);
    assert.equal(published[0]?.eventId, published[1]?.eventId);
    await until(async () => (await store.outboxPending(10)).length === 0, 2_000, 'marked by the new relay');
    const got: BusMessage[] = [];
    const sub = await bus.subscribe({ service: 'civil-registry-individual-extract', prefetch: 1, handler: async (d) => void got.push(d.message) });
    await until(async () => {
      const d = await bus.depth('civil-registry-individual-extract');
      return d.ready === 0 && d.inFlight === 0;
    }, 3_000, 'both consumed');
    assert.equal(got.length, 1, 'the duplicate dropped by its event id');
    await sub.stop();
    await next.stop();
    (crashed as unknown as { wake?: () => void }).wake?.();
  });

  it('lets exactly one of several relays publish, and another take over when it stops', async () => {
    const a = new OutboxRelay({ store, bus, logger, pollMs: 20, leaseTtlMs: 500 });
    const b = new OutboxRelay({ store, bus, logger, pollMs: 20, leaseTtlMs: 500 });
    a.start();
    await until(() => a.isLeader, 2_000, 'a leads');
    b.start();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.isLeader, false);
    await a.stop();
    await until(() => b.isLeader, 2_000, 'b takes over');
    await create(2);
    b.kick();
    await until(async () => (await store.outboxPending(10)).length === 0, 3_000, 'b relays');
    await b.stop();
  });

  it('takes over from a relay that died holding the lease, once the lease runs out', async () => {
    assert.equal(await store.tryLease(RELAY_LEASE, 'dead-process', 300), true);
    await create(2);
    const relay = new OutboxRelay({ store, bus, logger, pollMs: 20 });
    relay.start();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await store.outboxPending(10)).length, 2, 'not while the lease runs');
    await until(async () => (await store.outboxPending(10)).length === 0, 3_000, 'after the lease ran out');
    await relay.stop();
  });

  it('keeps events in the outbox while the bus refuses them, and delivers them when it is back', async () => {
    let down = true;
    const flaky: Bus = Object.assign(Object.create(bus) as Bus, {
      publish: (m: BusMessage[]) => (down ? Promise.reject(new Error('broker unreachable')) : bus.publish(m)),
    });
    await create(3);
    const relay = new OutboxRelay({ store, bus: flaky, logger, pollMs: 20 });
    relay.start();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await store.outboxPending(10)).length, 3);
    down = false;
    await until(async () => (await store.outboxPending(10)).length === 0, 5_000, 'relayed after recovery');
    assert.equal((await bus.depth('civil-registry-individual-extract')).ready, 3);
    await relay.stop();
  });
});

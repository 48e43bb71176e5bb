/**
 * The RabbitMQ bus against the real broker: the shared contract, then what only RabbitMQ does —
 * the dead queue, poison messages, the delivery limit, unroutable returns, workers sharing a
 * queue, a 10,000-event burst. Random prefix per run; everything declared is deleted after.
 * Faults (connections closed by the broker, a killed consumer process) are in rabbitmq-faults.test.ts.
 */
import assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { DEFAULT_RETRY, DeadLetterError, type Bus, type Delivery } from '../../../hub/bus/bus';
import { BusUnavailableError, type PublishError, RabbitBus } from '../../../hub/bus/rabbitmq';
import { SqliteStore } from '../../../hub/store/sqlite';
import { busContract, type BusFixture } from './contract';
import { AMQP_URL, deleteTopology, drainQueue, event, randomPrefix, requireRabbitMQ, testLogger, waitFor } from './rabbitmq-helpers';

const DELAYS = [100, 200];

/** Remembers the services a bus touched, to delete their queues after. */
function tracking(bus: Bus, services: Set<string>): Bus {
  return {
    kind: bus.kind,
    publish: (ms) => {
      for (const m of ms) services.add(m.service);
      return bus.publish(ms);
    },
    subscribe: (o) => {
      services.add(o.service);
      return bus.subscribe(o);
    },
    depth: (s) => bus.depth(s),
    health: () => bus.health(),
    close: () => bus.close(),
  };
}

describe('bus: rabbitmq', function () {
  this.timeout(30_000);
  const prefix = randomPrefix();
  const services = new Set<string>();
  const extraDelays = new Set<number>(DELAYS);

  before(async function () {
    await requireRabbitMQ(this);
  });

  after(async function () {
    if (services.size) await deleteTopology(AMQP_URL, prefix, [...services], [...extraDelays, ...DEFAULT_RETRY.delaysMs]);
  });

  describe('contract', () => {
    busContract(
      async () => {
        const store = new SqliteStore({ file: ':memory:' });
        const bus = await RabbitBus.open({ url: AMQP_URL, store, logger: testLogger('warn').logger, prefix, retryDelaysMs: DELAYS });
        return { bus: tracking(bus, services), store };
      },
      async (f: BusFixture) => {
        await f.bus.close();
        await f.store.close();
      },
    );
  });

  describe('on the broker', () => {
    let store: SqliteStore;
    let bus: RabbitBus;
    let logs: ReturnType<typeof testLogger>['logs'];
    let n = 0;
    const svc = () => {
      const s = `svc-${++n}`;
      services.add(s);
      return s;
    };

    beforeEach(async () => {
      store = new SqliteStore({ file: ':memory:' });
      const t = testLogger('info');
      logs = t.logs;
      bus = await RabbitBus.open({ url: AMQP_URL, store, logger: t.logger, prefix, retryDelaysMs: DELAYS, deliveryLimit: 2 });
    });
    afterEach(async () => {
      await bus.close();
      await store.close();
    });

    async function raw<T>(fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
      const conn = await amqp.connect(AMQP_URL);
      try {
        const ch = await conn.createConfirmChannel();
        const out = await fn(ch);
        await ch.close();
        return out;
      } finally {
        await conn.close();
      }
    }

    it('copies a dead letter to the dead queue with x-wasl-reason and x-wasl-history, and logs ids, never the payload', async () => {
      const s = svc();
      const m = event(s);
      const sub = await bus.subscribe({ service: s, retry: { maxAttempts: 2, delaysMs: [100] }, handler: async () => Promise.reject(new Error('ministry down')) });
      await bus.publish([m]);
      await waitFor('dead letter in the store', async () => (await store.listDeadLetters({ service: s, limit: 5 })).length === 1);
      await sub.stop();
      const dead = (await drainQueue(AMQP_URL, `${prefix}.dead`)).filter((d) => d.properties.messageId === m.eventId);
      assert.equal(dead.length, 1);
      const h = dead[0]?.properties.headers ?? {};
      assert.equal(h['x-wasl-reason'], 'attempts-exhausted');
      assert.deepEqual((JSON.parse(String(h['x-wasl-history'])) as Array<{ attempt: number }>).map((r) => r.attempt), [1, 2]);
      assert.equal(h.orderId, m.orderId);
      assert.deepEqual(JSON.parse(dead[0]?.content.toString() ?? ''), m.payload);
      const text = logs.lines.join('\n');
      assert.ok(!text.includes('payload-must-not-be-logged'), 'payload contents never logged');
      const line = logs.records.find((r) => r.msg === 'bus message dead-lettered');
      assert.equal(line?.eventId, m.eventId);
      assert.equal(line?.orderId, m.orderId);
    });

    it('dead-letters a malformed (poison) message at once, without calling the handler', async () => {
      const s = svc();
      let calls = 0;
      const sub = await bus.subscribe({ service: s, handler: async () => void calls++ });
      await raw(async (ch) => {
        ch.publish(`${prefix}.orders`, `${s}.order.received`, Buffer.from('{not json'), { persistent: true, messageId: 'evt_poison_1', headers: { orderId: 'ord_x', type: 'order.received', service: s } });
        await ch.waitForConfirms();
      });
      await waitFor('dead letter', async () => (await store.listDeadLetters({ service: s, limit: 5 })).length === 1);
      const [dl] = await store.listDeadLetters({ service: s, limit: 5 });
      assert.equal(dl?.reason, 'malformed-message');
      assert.equal(dl?.message.eventId, 'evt_poison_1');
      assert.equal(dl?.message.payload, '{not json', 'kept as text for an operator to repair');
      assert.equal(calls, 0);
      await sub.stop();
    });

    it('dead-letters a message no consumer ever acknowledges by the delivery limit, and records it in the store', async () => {
      const s = svc();
      const m = event(s);
      await bus.publish([m]);
      // A consumer that "dies" on this message every time: gives it back unacknowledged.
      let deliveries = 0;
      await raw(async (ch) => {
        await ch.consume(`${prefix}.svc.${s}`, (msg) => {
          if (!msg) return;
          deliveries++;
          ch.nack(msg, false, true);
        });
        await waitFor('dead letter from the collector', async () => (await store.listDeadLetters({ service: s, limit: 5 })).length === 1);
      });
      const [dl] = await store.listDeadLetters({ service: s, limit: 5 });
      assert.equal(dl?.reason, 'delivery-limit');
      assert.deepEqual(dl?.message, m);
      assert.match(dl?.history.at(-1)?.error ?? '', /^delivery-limit: delivered 3 times/);
      assert.equal(deliveries, 3, 'delivery limit 2: dead on the third return');
      const dead = (await drainQueue(AMQP_URL, `${prefix}.dead`)).filter((d) => d.properties.messageId === m.eventId);
      assert.equal(dead[0]?.properties.headers?.['x-wasl-reason'], 'delivery-limit');
    });

    it('does not acknowledge a message whose dead letter could not be stored: it comes back and ends dead once', async () => {
      const s = svc();
      const failing = new SqliteStore({ file: ':memory:' });
      let failures = 1;
      const record = failing.recordDeadLetter.bind(failing);
      failing.recordDeadLetter = async (dl) => {
        if (failures-- > 0) throw new Error('database is locked');
        return record(dl);
      };
      const b = await RabbitBus.open({ url: AMQP_URL, store: failing, logger: testLogger('warn').logger, prefix, retryDelaysMs: DELAYS, failurePauseMs: 50 });
      const seen: boolean[] = [];
      const sub = await b.subscribe({
        service: s,
        handler: async (d) => {
          seen.push(d.redelivered);
          throw new DeadLetterError('bad-document');
        },
      });
      await b.publish([event(s)]);
      await waitFor('dead letter stored', async () => (await failing.listDeadLetters({ service: s, limit: 5 })).length === 1);
      await sub.stop();
      await b.close();
      await failing.close();
      assert.deepEqual(seen, [false, true], 'handled again after the broker gave it back');
    });

    it('names the delivery limit as the reason even for a message that waited in a retry queue before', async () => {
      const s = svc();
      const m = event(s);
      let attempts = 0;
      const sub = await bus.subscribe({
        service: s,
        retry: { maxAttempts: 5, delaysMs: [100] },
        handler: async () => {
          attempts++;
          throw new Error('ministry timed out');
        },
      });
      await bus.publish([m]);
      await waitFor('first attempt', () => attempts === 1);
      await sub.stop();
      await raw(async (ch) => {
        await ch.consume(`${prefix}.svc.${s}`, (msg) => msg && ch.nack(msg, false, true));
        await waitFor('dead letter from the collector', async () => (await store.listDeadLetters({ service: s, limit: 5 })).length === 1);
      });
      const [dl] = await store.listDeadLetters({ service: s, limit: 5 });
      assert.equal(dl?.reason, 'delivery-limit');
      assert.deepEqual(dl?.history.map((h) => h.error.split(':')[0]), ['ministry timed out', 'delivery-limit']);
    });

    it('rejects a publish the broker cannot route, and routes it once the queue is declared again', async () => {
      const s = svc();
      await bus.publish([event(s)]);
      await raw((ch) => ch.deleteQueue(`${prefix}.svc.${s}`));
      const lost = event(s);
      await assert.rejects(bus.publish([lost]), (err: PublishError) => err.code === 'bus-returned');
      await bus.publish([lost]);
      const got: string[] = [];
      const sub = await bus.subscribe({ service: s, handler: async (d) => void got.push(d.message.eventId) });
      await waitFor('the retried publish', () => got.includes(lost.eventId));
      await sub.stop();
    });

    it('re-attaches its consumer when the broker cancels it (the queue was deleted)', async () => {
      const s = svc();
      const got: string[] = [];
      const sub = await bus.subscribe({ service: s, handler: async (d) => void got.push(d.message.eventId) });
      await raw((ch) => ch.deleteQueue(`${prefix}.svc.${s}`));
      const m = event(s);
      // The first publish may meet the queue gone (and be rejected): the relay retries.
      await waitFor('a publish that lands', () => bus.publish([m]).then(() => true, () => false), 10_000, 100);
      await waitFor('delivery after re-attaching', () => got.includes(m.eventId), 10_000);
      await sub.stop();
    });

    it('counts ready messages and the deliveries in flight in depth()', async () => {
      const s = svc();
      assert.deepEqual(await bus.depth(`${s}-none`), { ready: 0, inFlight: 0, delayed: 0 });
      await bus.publish(Array.from({ length: 5 }, () => event(s)));
      assert.deepEqual(await bus.depth(s), { ready: 5, inFlight: 0, delayed: 0 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const sub = await bus.subscribe({ service: s, prefetch: 2, handler: () => gate });
      await waitFor('two in flight', async () => (await bus.depth(s)).inFlight === 2);
      assert.equal((await bus.depth(s)).ready, 3);
      release();
      await waitFor('drained', async () => {
        const d = await bus.depth(s);
        return d.ready === 0 && d.inFlight === 0;
      });
      await sub.stop();
    });

    it('shares a service queue between two buses (two worker processes): every event handled once', async () => {
      const s = svc();
      const store2 = new SqliteStore({ file: ':memory:' });
      const bus2 = await RabbitBus.open({ url: AMQP_URL, store: store2, logger: testLogger('warn').logger, prefix, retryDelaysMs: DELAYS, deliveryLimit: 2 });
      const seen = new Map<string, number>();
      const per = [0, 0];
      const handler = (i: 0 | 1) => async (d: Delivery) => {
        per[i]!++;
        seen.set(d.message.eventId, (seen.get(d.message.eventId) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      };
      const a = await bus.subscribe({ service: s, prefetch: 8, handler: handler(0) });
      const b = await bus2.subscribe({ service: s, prefetch: 8, handler: handler(1) });
      const sent = Array.from({ length: 1000 }, () => event(s));
      for (let i = 0; i < sent.length; i += 250) await bus.publish(sent.slice(i, i + 250));
      await waitFor('1000 handled', () => seen.size === 1000, 20_000);
      await a.stop();
      await b.stop();
      await bus2.close();
      await store2.close();
      assert.ok([...seen.values()].every((c) => c === 1));
      assert.ok(per[0]! > 100 && per[1]! > 100, `both workers took a share: ${per.join('/')}`);
    });

    it('carries a burst of 10,000 events: none lost, none processed twice', async function () {
      this.timeout(60_000);
      const s = svc();
      const counts = new Map<string, number>();
      const sub = await bus.subscribe({ service: s, prefetch: 64, handler: async (d) => void counts.set(d.message.eventId, (counts.get(d.message.eventId) ?? 0) + 1) });
      const sent = Array.from({ length: 10_000 }, () => event(s, 'order.received', { i: 1 }));
      const batches: Array<Promise<void>> = [];
      for (let i = 0; i < sent.length; i += 500) batches.push(bus.publish(sent.slice(i, i + 500)));
      await Promise.all(batches);
      await waitFor('10,000 processed', () => counts.size === 10_000, 45_000, 50);
      await new Promise((r) => setTimeout(r, 300));
      await sub.stop();
      assert.equal(counts.size, 10_000);
      assert.ok(sent.every((m) => counts.get(m.eventId) === 1), 'each event processed exactly once');
      assert.deepEqual(await bus.depth(s), { ready: 0, inFlight: 0, delayed: 0 });
    });

    it('reports health, and refuses to open when the broker is unreachable', async () => {
      assert.equal(bus.health().ok, true);
      assert.ok(!bus.health().detail.includes('guest:guest'), 'no password in health');
      const t0 = Date.now();
      await assert.rejects(RabbitBus.open({ url: 'amqp://guest:guest@127.0.0.1:1', store, logger: testLogger('fatal').logger, prefix, connectTimeoutMs: 600 }), BusUnavailableError);
      assert.ok(Date.now() - t0 < 3_000);
      await bus.close();
      assert.equal(bus.health().ok, false);
      await assert.rejects(bus.publish([event('x')]), BusUnavailableError);
    });
  });
});

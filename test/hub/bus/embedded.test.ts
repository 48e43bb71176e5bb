import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../../../hub/bus/embedded';
import { createLogger } from '../../../hub/log';
import { SqliteDatabase } from '../../../hub/sqlite/database';
import { SqliteStore } from '../../../hub/store/sqlite';
import { LogSink } from '../../helpers';
import { spawn } from 'node:child_process';
const HANGING = join(__dirname, '..', '..', 'fixtures', 'bus-embedded', 'hanging-consumer.ts');
const HANGING_INLINE = join(__dirname, '..', '..', 'fixtures', 'bus-embedded', 'hanging-inline.ts');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
import { busContract, message, recordClaims, until } from './contract';
import { newOrder } from '../store/contract';
import { KEYS, newKey } from '../../helpers';

const logger = createLogger('warn', new LogSink());

describe('bus: embedded', () => {
  describe('contract', () => {
    busContract(
      async () => {
        const database = new SqliteDatabase(':memory:');
        const store = new SqliteStore({ database });
        return { bus: new EmbeddedBus({ database, store, logger, pollMs: 50 }), store, database };
      },
      async (f) => {
        await f.bus.close();
        (f as unknown as { database: SqliteDatabase }).database.close();
      },
    );
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'wasl-bus-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const open = (file: string, visibilityMs = 60_000) => {
      const database = new SqliteDatabase(file);
      const store = new SqliteStore({ database });
      return { database, store, bus: new EmbeddedBus({ database, store, logger, pollMs: 50, visibilityMs }) };
    };

    it('records a processed event in the same commit that removes its message', async () => {
      const a = open(join(dir, 'wasl.db'));
      let separate = 0;
      const record = a.store.recordProcessed.bind(a.store);
      a.store.recordProcessed = (c, e) => (separate++, record(c, e));
      const count = (table: string) => a.database.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      // For each write that recorded an event processed: the messages left once it had run.
      const recordingWrites: number[] = [];
      const write = a.database.write.bind(a.database);
      a.database.write = (fn) =>
        write(() => {
          const before = count('processed_events');
          const result = fn();
          if (count('processed_events') > before) recordingWrites.push(count('bus_messages'));
          return result;
        });
      const sent = message('svc');
      await a.bus.publish([sent]);
      const sub = await a.bus.subscribe({ service: 'svc', handler: async () => undefined });
      await until(async () => (await a.store.isProcessed('svc:*', sent.eventId)) && count('bus_messages') === 0, 5_000, 'processed and acknowledged');
      await sub.stop();
      assert.equal(separate, 0, 'not recorded by a write of its own');
      assert.deepEqual(recordingWrites, [0], 'the write that recorded it also removed the message');
      await a.bus.close();
      a.database.close();
    });

    it('records a processed event before its ack when the log is not in the bus database', async () => {
      const database = new SqliteDatabase(join(dir, 'wasl.db'));
      const store = new SqliteStore({ database });
      let separate = 0;
      // A processed log elsewhere (no recorderWithin): recorded first, then acknowledged.
      const elsewhere = {
        isProcessed: (c: string, e: string) => store.isProcessed(c, e),
        recordProcessed: (c: string, e: string) => (separate++, store.recordProcessed(c, e)),
        recordDeadLetter: (dl: Parameters<SqliteStore['recordDeadLetter']>[0]) => store.recordDeadLetter(dl),
      };
      const bus = new EmbeddedBus({ database, store: elsewhere, logger, pollMs: 50 });
      const sent = message('svc');
      await bus.publish([sent, { ...sent }]);
      const got: string[] = [];
      const sub = await bus.subscribe({ service: 'svc', prefetch: 1, handler: async (d) => void got.push(d.message.eventId) });
      await until(async () => database.db.prepare('SELECT count(*) AS n FROM bus_messages').pluck().get() === 0, 5_000, 'both acknowledged');
      await sub.stop();
      assert.equal(separate, 1);
      assert.deepEqual(got, [sent.eventId], 'the second copy was dropped as processed');
      await bus.close();
      database.close();
    });

    describe('a store that publishes inline (the bus in its database)', () => {
      const claim = (order = newOrder()) => ({ order, idem: { channel: KEYS.centre.channel, key: newKey(), requestHash: 'h' } });

      it("puts each step's event on the queue in the step's own commit, written to the outbox as published", async () => {
        // Polling once a minute: a delivery within seconds is the commit's own wake-up.
        const database = new SqliteDatabase(join(dir, 'wasl.db'));
        const store = new SqliteStore({ database });
        const bus = new EmbeddedBus({ database, store, logger, pollMs: 60_000 });
        assert.equal(store.publishWithin(bus.publisherWithin(database)), true);
        const count = (sql: string) => database.db.prepare(sql).pluck().get() as number;
        // For each write that appended a timeline step: the queued messages it added itself.
        const perStep: number[] = [];
        const write = database.write.bind(database);
        database.write = (fn) =>
          write(() => {
            const [steps, queued] = [count('SELECT count(*) FROM order_timeline'), count('SELECT count(*) FROM bus_messages')];
            const result = fn();
            if (count('SELECT count(*) FROM order_timeline') > steps) perStep.push(count('SELECT count(*) FROM bus_messages') - queued);
            return result;
          });
        const { order, idem } = claim();
        const got: string[] = [];
        const sub = await bus.subscribe({ service: order.service.code, handler: async (d) => void got.push(d.message.type) });
        await store.createOrder(order, idem);
        await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' } });
        await until(() => got.length === 2, 5_000, 'both events delivered without a relay or a poll');
        assert.deepEqual(got, ['order.received', 'order.cancelled']);
        assert.deepEqual(perStep, [1, 1]);
        assert.deepEqual(await store.outboxPending(10), [], 'nothing left for the relay');
        assert.equal(count('SELECT count(*) FROM outbox WHERE published_at IS NOT NULL'), 2);
        await sub.stop();
        await bus.close();
        database.close();
      });

      it('keeps no message of a write that failed, and hands its consumer nothing', async () => {
        const database = new SqliteDatabase(join(dir, 'wasl.db'));
        const store = new SqliteStore({ database });
        const bus = new EmbeddedBus({ database, store, logger, pollMs: 50 });
        const publish = bus.publisherWithin(database)!;
        let failing = true;
        store.publishWithin((messages) => {
          publish(messages);
          if (failing) throw new Error('disk said no');
        });
        const failed = claim();
        const got: string[] = [];
        const sub = await bus.subscribe({ service: failed.order.service.code, prefetch: 1, handler: async (d) => void got.push(d.message.orderId) });
        await pause(100);
        await assert.rejects(store.createOrder(failed.order, failed.idem), /disk said no/);
        const count = (table: string) => database.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
        assert.deepEqual([count('orders'), count('outbox'), count('bus_messages')], [0, 0, 0]);
        // The slot the failed write had taken is free again: the next order comes through.
        failing = false;
        const next = claim();
        await store.createOrder(next.order, next.idem);
        await until(() => got.length === 1, 5_000, 'the next order');
        await pause(100);
        assert.deepEqual(got, [next.order.id]);
        await sub.stop();
        await bus.close();
        database.close();
      });

      /** A store and bus on one file with inline publishing, and every claim's event ids. */
      const inline = (pollMs = 60_000) => {
        const database = new SqliteDatabase(join(dir, 'wasl.db'));
        const store = new SqliteStore({ database });
        const bus = new EmbeddedBus({ database, store, logger, pollMs });
        store.publishWithin(bus.publisherWithin(database));
        return { database, store, bus, claimed: recordClaims(bus) };
      };

      it('hands an event committed here to a subscription with room, leased to it, without a claim', async () => {
        const { database, store, bus, claimed } = inline();
        const { order, idem } = claim();
        const got: Array<{ eventId: string; redelivered: boolean; attempt: number; leased: unknown }> = [];
        const lease = database.db.prepare('SELECT delivery FROM bus_messages WHERE event_id = ?').pluck();
        const sub = await bus.subscribe({
          service: order.service.code,
          handler: async (d) => void got.push({ eventId: d.message.eventId, redelivered: d.redelivered, attempt: d.attempt, leased: lease.get(d.message.eventId) }),
        });
        await pause(100);
        await store.createOrder(order, idem);
        await until(() => got.length === 1, 5_000, 'the hand-over');
        const [delivery] = got;
        assert.equal(claimed.has(delivery!.eventId), false, 'no claim returned it');
        assert.equal(delivery!.redelivered, false);
        assert.equal(delivery!.attempt, 1);
        assert.equal(typeof delivery!.leased, 'string', 'on disk, leased to the delivery while its handler ran');
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'the ack');
        await sub.stop();
        await bus.close();
        database.close();
      });

      it('hands the order over with its event, as the commit left it, and looks up neither (a claimed event is checked as before)', async () => {
        const { database, store, bus } = inline();
        const lookups: Array<'isProcessed' | 'getOrder'> = [];
        for (const name of ['isProcessed', 'getOrder'] as const) {
          const original = (store[name] as (...a: unknown[]) => unknown).bind(store);
          (store as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => (lookups.push(name), original(...a));
        }
        const got: Array<{ type: string; fresh: boolean; order: unknown }> = [];
        const { order, idem } = claim();
        const sub = await bus.subscribe({ service: order.service.code, handler: async (d) => void got.push({ type: d.message.type, fresh: d.fresh === true, order: d.order }) });
        await store.createOrder(order, idem);
        await until(() => got.length === 1, 5_000, 'the hand-over');
        const cancelled = await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' } });
        await until(() => got.length === 2, 5_000, 'the second hand-over');
        assert.equal(lookups.length, 0, `looked up: ${lookups.join(', ')}`);
        assert.deepEqual(got.map((g) => [g.type, g.fresh]), [['order.received', true], ['order.cancelled', true]]);
        const [received, second] = got;
        assert.deepEqual((received!.order as { timeline: unknown[] }).timeline.length, 1);
        assert.deepEqual(second!.order, cancelled, 'the order as the step wrote it');
        assert.notEqual(second!.order, cancelled, 'a copy of its own');
        assert.deepEqual(second!.order, await store.getOrder(order.id), 'what a read returns');
        lookups.length = 0;
        // Published from elsewhere (not by a commit of this process): claimed, and checked — even
        // one whose own fields claim to be fresh.
        const other = { ...message(order.service.code), fresh: true };
        await bus.publish([other]);
        await until(() => got.length === 3, 5_000, 'the claimed event');
        assert.equal(got[2]!.fresh, false);
        assert.ok(lookups.includes('isProcessed'), 'looked up in the processed log');
        await sub.stop();
        await bus.close();
        database.close();
      });

      it('keeps to prefetch with hand-overs: what comes while the subscription is full waits in the queue, in order', async () => {
        const { database, store, bus } = inline();
        const service = newOrder().service.code;
        let inFlight = 0;
        let most = 0;
        const order: string[] = [];
        let open!: () => void;
        const gate = new Promise<void>((r) => (open = r));
        const sub = await bus.subscribe({
          service,
          prefetch: 1,
          handler: async (d) => {
            most = Math.max(most, ++inFlight);
            order.push(d.message.orderId);
            if (order.length === 1) await gate;
            inFlight--;
          },
        });
        await pause(100);
        const first = claim();
        await store.createOrder(first.order, first.idem);
        await until(() => order.length === 1, 5_000, 'the first order in flight');
        // Waits in the queue: the subscription has no room.
        const queued = message(service, 'order.received', 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAW');
        await bus.publish([queued]);
        const later = claim();
        await store.createOrder(later.order, later.idem);
        open();
        await until(() => order.length === 3, 5_000, 'all three');
        assert.equal(most, 1, 'never more than prefetch in flight');
        assert.deepEqual(order, [first.order.id, queued.orderId, later.order.id]);
        await sub.stop();
        await bus.close();
        database.close();
      });

      /**
       * prefetch 1; order A's received event in flight, order B's received event queued behind it.
       * A's handler makes its step (`settles` when `settling`): what it did is `handled`, in order.
       */
      const underWay = async (settling: boolean, failStep = false) => {
        const { database, store, bus, claimed } = inline();
        store.settleWithin(bus.settlerWithin(database));
        const service = newOrder().service.code;
        const handled: string[] = [];
        let inFlight = 0;
        let most = 0;
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const errors: unknown[] = [];
        const sub = await bus.subscribe({
          service,
          prefetch: 1,
          handler: async (d) => {
            most = Math.max(most, ++inFlight);
            handled.push(`${d.message.orderId === a.order.id ? 'A' : 'B'} ${d.message.type}`);
            try {
              if (d.message.orderId !== a.order.id || d.message.type !== 'order.received') return;
              await held;
              const settles = settling ? { consumer: d.consumer!, eventId: d.message.eventId, recorded: () => void (d.recorded = true) } : undefined;
              await store.transition(a.order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' }, ...(settles ? { settles } : {}) }).catch((e: unknown) => {
                errors.push(e);
                if (!failStep) throw e;
              });
            } finally {
              inFlight--;
            }
          },
        });
        await pause(100);
        const a = claim({ ...newOrder(), service: { ...newOrder().service, code: service } });
        const b = claim({ ...newOrder(), service: { ...newOrder().service, code: service } });
        if (failStep) database.db.exec("CREATE TEMP TRIGGER refuse_cancel BEFORE INSERT ON outbox WHEN NEW.type = 'order.cancelled' BEGIN SELECT RAISE(ABORT, 'the disk said no'); END");
        await store.createOrder(a.order, a.idem);
        await until(() => handled.length === 1, 5_000, "A's received event in flight");
        await store.createOrder(b.order, b.idem);
        assert.equal(database.db.prepare('SELECT count(*) FROM bus_messages WHERE delivery IS NULL').pluck().get(), 1, "B's received event waits in the queue");
        release();
        await until(() => handled.length === (failStep ? 2 : 3), 5_000, 'every event handled');
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'the queue empty');
        await pause(50);
        await sub.stop();
        await bus.close();
        database.close();
        return { handled, most, claimedCancel: [...claimed].length, errors };
      };

      it("goes on with an order under way in the slot its delivery leaves: the step's event is handed over ahead of the queue", async () => {
        const { handled, most, errors } = await underWay(true);
        assert.deepEqual(errors, []);
        assert.deepEqual(handled, ['A order.received', 'A order.cancelled', 'B order.received'], "A's next event did not wait behind B");
        assert.ok(most <= 2, `${most} in flight: the delivery that left its slot and the event that took it, at most`);
      });

      it('queues the event of a step that completes no delivery behind what waits, as before', async () => {
        const { handled, most } = await underWay(false);
        assert.deepEqual(handled, ['A order.received', 'B order.received', 'A order.cancelled']);
        assert.equal(most, 1);
      });

      it('gives the slot back when the step that would have passed it on fails: nothing handed over, the queue goes on', async () => {
        const { handled, errors } = await underWay(true, true);
        assert.equal(errors.length, 1);
        assert.match(String(errors[0]), /the disk said no/);
        assert.deepEqual(handled, ['A order.received', 'B order.received']);
      });

      it('passes a slot on at most to twice prefetch: a step of an event that itself took a passed slot, while the delivery before it still runs, queues its event', async () => {
        const { database, store, bus } = inline();
        store.settleWithin(bus.settlerWithin(database));
        const next: Record<string, 'submitted-to-provider' | 'provider-completed' | 'ready-for-pickup'> = {
          'order.received': 'submitted-to-provider',
          'order.submitted-to-provider': 'provider-completed',
          'order.provider-completed': 'ready-for-pickup',
        };
        const { order, idem } = claim();
        const handled: string[] = [];
        let inFlight = 0;
        let most = 0;
        let release!: () => void;
        const lingering = new Promise<void>((r) => (release = r));
        const sub = await bus.subscribe({
          service: order.service.code,
          prefetch: 1,
          handler: async (d) => {
            most = Math.max(most, ++inFlight);
            handled.push(d.message.type);
            try {
              const to = next[d.message.type];
              if (!to) return;
              const settles = { consumer: d.consumer!, eventId: d.message.eventId, recorded: () => void (d.recorded = true) };
              await store.transition(order.id, { to, actor: { kind: 'system', id: 'test' }, settles });
              // The flow goes on after its step (as a flow does, up to completeDelivery): its slot is not free yet.
              await lingering;
            } finally {
              inFlight--;
            }
          },
        });
        await pause(100);
        await store.createOrder(order, idem);
        // received passed its slot to submitted-to-provider; that one's step finds the subscription
        // at twice its prefetch (both still running) and queues provider-completed.
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages WHERE delivery IS NULL').pluck().get() === 1, 5_000, "the third stage's event queued");
        assert.deepEqual(handled, ['order.received', 'order.submitted-to-provider']);
        release();
        await until(() => handled.length === 4 && database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'every stage handled and the queue empty');
        assert.deepEqual(handled, ['order.received', 'order.submitted-to-provider', 'order.provider-completed', 'order.ready-for-pickup']);
        assert.equal(most, 2, 'never more than twice prefetch in flight');
        await sub.stop();
        await bus.close();
        database.close();
      });

      it('under a backlog, with every step passing its slot on: each event handled once, the queue emptied, never more than twice prefetch', async () => {
        const { database, store, bus } = inline(50);
        store.settleWithin(bus.settlerWithin(database));
        const service = newOrder().service.code;
        const prefetch = 2;
        const handled = new Map<string, number>();
        let inFlight = 0;
        let most = 0;
        const sub = await bus.subscribe({
          service,
          prefetch,
          handler: async (d) => {
            most = Math.max(most, ++inFlight);
            const key = `${d.message.orderId} ${d.message.type}`;
            handled.set(key, (handled.get(key) ?? 0) + 1);
            try {
              await pause(Math.floor(Math.random() * 5));
              if (d.message.type !== 'order.received') return;
              const settles = { consumer: d.consumer!, eventId: d.message.eventId, recorded: () => void (d.recorded = true) };
              await store.transition(d.message.orderId, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' }, settles });
            } finally {
              inFlight--;
            }
          },
        });
        const n = 40;
        await Promise.all(
          Array.from({ length: n }, () => {
            const { order, idem } = claim({ ...newOrder(), service: { ...newOrder().service, code: service } });
            return store.createOrder(order, idem);
          }),
        );
        await until(() => handled.size === 2 * n && database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 20_000, 'every event handled and the queue empty');
        await pause(100);
        await sub.stop();
        assert.deepEqual([...new Set(handled.values())], [1], 'each event handled once');
        assert.ok(most <= 2 * prefetch, `${most} in flight with prefetch ${prefetch}`);
        assert.equal(database.db.prepare("SELECT count(*) FROM processed_events").pluck().get(), 2 * n);
        await bus.close();
        database.close();
      });

      it('does not hand over into a slot that a claim under way may fill', async () => {
        const { database, store, bus } = inline();
        // Claims take a while: a commit lands while one is under way.
        const claimOf = bus.claim.bind(bus);
        bus.claim = async (queue, n) => (await pause(150), claimOf(queue, n));
        const service = newOrder().service.code;
        let inFlight = 0;
        let most = 0;
        const got: string[] = [];
        const sub = await bus.subscribe({
          service,
          prefetch: 1,
          handler: async (d) => {
            most = Math.max(most, ++inFlight);
            await pause(200);
            got.push(d.message.orderId);
            inFlight--;
          },
        });
        await pause(400);
        const queued = message(service, 'order.received', 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAW');
        await bus.publish([queued]);
        const later = claim();
        await store.createOrder(later.order, later.idem);
        await until(() => got.length === 2, 5_000, 'both');
        assert.equal(most, 1, 'never more than prefetch in flight');
        assert.deepEqual(got, [queued.orderId, later.order.id]);
        await sub.stop();
        await bus.close();
        database.close();
      });

      it('delivers again, once its lease runs out, an event handed over to a process killed before acknowledging it', async () => {
        const file = join(dir, 'wasl.db');
        const child = spawn(process.execPath, ['--require', 'tsx/cjs', HANGING_INLINE, file, '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise((r) => child.once('exit', r));
        await until(() => /^(handed|claimed) /m.test(out) || child.exitCode !== null, 20_000, 'the child to take its event');
        child.kill('SIGKILL');
        await exited;
        const [how, eventId] = out.trim().split(' ');
        assert.equal(how, 'handed', 'the child had it by hand-over');
        const b = open(file);
        const got: Array<[string, boolean]> = [];
        const sub = await b.bus.subscribe({ service: newOrder().service.code, handler: async (d) => void got.push([d.message.eventId, d.redelivered]) });
        await until(() => got.length === 1, 5_000, 'redelivery');
        assert.deepEqual(got, [[eventId, true]]);
        await sub.stop();
        await b.bus.close();
        b.database.close();
      });

      it('takes a delivery off the queue in the commit of the step that completes it: a crash after that step runs nothing again', async () => {
        const file = join(dir, 'wasl.db');
        const child = spawn(process.execPath, ['--require', 'tsx/cjs', HANGING_INLINE, file, '300', 'settle'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise((r) => child.once('exit', r));
        await until(() => /^settled /m.test(out) || child.exitCode !== null, 20_000, 'the child to store its step');
        child.kill('SIGKILL');
        await exited;
        const received = /^settled (\S+)/m.exec(out)?.[1];
        assert.ok(received, out);
        const b = open(file);
        const queued = b.database.db.prepare('SELECT event_id FROM bus_messages').pluck().all();
        assert.equal(queued.length, 1, "only the step's own event is left, leased to the dead process");
        assert.notEqual(queued[0], received);
        assert.equal(await b.store.isProcessed(`${newOrder().service.code}:*`, received), true, 'processed in the same commit');
        const got: string[] = [];
        const sub = await b.bus.subscribe({ service: newOrder().service.code, handler: async (d) => void got.push(d.message.type) });
        // The received event's lease ran out before the cancelled one's: had it been left, it would come first.
        await until(() => got.length === 1, 5_000, "the step's event, redelivered");
        await until(() => b.database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'its ack');
        assert.deepEqual(got, ['order.cancelled']);
        await sub.stop();
        await b.bus.close();
        b.database.close();
      });

      it('makes no write of its own for a delivery its step settled, and none to look for work that is not there', async () => {
        const { database, store, bus, claimed } = inline();
        store.settleWithin(bus.settlerWithin(database));
        const settled: string[] = [];
        const settle = bus.settle.bind(bus);
        bus.settle = (id, token, d, decision) => (settled.push(d.message.type), settle(id, token, d, decision));
        let claims = 0;
        const claimFn = bus.claim.bind(bus);
        bus.claim = (queue, n) => (claims++, claimFn(queue, n));
        const service = newOrder().service.code;
        const left: number[] = [];
        const sub = await bus.subscribe({
          service,
          handler: async (d) => {
            if (d.message.type !== 'order.received') return;
            const settles = { consumer: d.consumer!, eventId: d.message.eventId, recorded: () => void (d.recorded = true) };
            await store.transition(d.message.orderId, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' }, settles });
            // The step is on disk: its delivery's message with it is gone already.
            left.push(database.db.prepare('SELECT count(*) FROM bus_messages WHERE event_id = ?').pluck().get(d.message.eventId) as number);
          },
        });
        // Its pump looked at the queue (a read) as it started, and sleeps.
        const writes = database.writes;
        const n = 5;
        for (let i = 0; i < n; i++) {
          const { order, idem } = claim({ ...newOrder(), service: { ...newOrder().service, code: service } });
          await store.createOrder(order, idem);
        }
        await until(() => settled.length === n && database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'every event done');
        await sub.stop();
        assert.deepEqual(left, Array(n).fill(0));
        assert.deepEqual(settled, Array(n).fill('order.cancelled'), 'only the events no step settled were acknowledged by a write of their own');
        assert.equal(claimed.size, 0);
        assert.equal(claims, 0, 'no claim: everything was handed over, and a claim is a write');
        // Per order: its creation, its step, the ack of the step's own event.
        assert.equal(database.writes - writes, 3 * n);
        for (const eventType of ['order.received']) {
          const processed = database.db.prepare("SELECT count(*) FROM processed_events p JOIN outbox o ON o.event_id = p.event_id WHERE o.type = ?").pluck().get(eventType);
          assert.equal(processed, n);
        }
        await bus.close();
        database.close();
      });

      it("leaves out of the queue an event the subscription it would be handed to does not take; queues it when that subscription is full", async () => {
        const { database, store, bus } = inline();
        const settled: string[] = [];
        const settle = bus.settle.bind(bus);
        bus.settle = (id, token, d, decision) => (settled.push(d.message.type), settle(id, token, d, decision));
        const { order, idem } = claim();
        const seen: string[] = [];
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const sub = await bus.subscribe({ service: order.service.code, types: ['order.received'], prefetch: 1, handler: async (d) => void seen.push(d.message.orderId) });
        const writes = database.writes;
        await store.createOrder(order, idem);
        await until(() => settled.length === 1, 5_000, 'the received event acknowledged');
        await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' } });
        // Its creation, the received event's ack, the step; nothing for the cancelled event.
        assert.equal(database.writes - writes, 3);
        assert.deepEqual(settled, ['order.received']);
        assert.equal(database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get(), 0);
        assert.equal(database.db.prepare("SELECT count(*) FROM outbox WHERE type = 'order.cancelled' AND published_at IS NOT NULL").pluck().get(), 1, 'the outbox keeps it');
        await sub.stop();

        // Full (its one slot held): the event is queued as before, claimed once there is room, and acknowledged untouched.
        const other = claim();
        const busy = await bus.subscribe({ service: order.service.code, types: ['order.received'], prefetch: 1, handler: () => held });
        await store.createOrder(other.order, other.idem);
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages WHERE delivery IS NOT NULL').pluck().get() === 1, 5_000, 'the received event in hand');
        await store.transition(other.order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' } });
        assert.equal(database.db.prepare('SELECT count(*) FROM bus_messages WHERE delivery IS NULL').pluck().get(), 1, 'queued, waiting for a slot');
        release();
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get() === 0, 5_000, 'both acknowledged');
        assert.deepEqual(settled.slice(1), ['order.received', 'order.cancelled']);
        await busy.stop();
        assert.deepEqual(seen, [order.id]);
        await bus.close();
        database.close();
      });

      it('hands an event to the subscription that takes its type, not to the first with room', async () => {
        const { database, store, bus } = inline();
        const { order, idem } = claim();
        const received: string[] = [];
        const cancelled: string[] = [];
        const settled: string[] = [];
        const settle = bus.settle.bind(bus);
        bus.settle = (id, token, d, decision) => (settled.push(d.message.type), settle(id, token, d, decision));
        // Both with room; the first subscribed takes only what the second does not.
        const first = await bus.subscribe({ service: order.service.code, types: ['order.received'], handler: async (d) => void received.push(d.message.type) });
        const second = await bus.subscribe({ service: order.service.code, types: ['order.cancelled'], handler: async (d) => void cancelled.push(d.message.type) });
        await store.createOrder(order, idem);
        await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' } });
        await until(() => settled.length === 2, 5_000, 'both events acknowledged');
        assert.deepEqual(received, ['order.received']);
        assert.deepEqual(cancelled, ['order.cancelled'], 'the cancelled event reached the subscription that takes it');
        assert.equal(database.db.prepare('SELECT count(*) FROM bus_messages').pluck().get(), 0);
        await first.stop();
        await second.stop();
        await bus.close();
        database.close();
      });

      it('records a settled event processed but leaves its message to a delivery that took the lease over', async () => {
        const { database, store, bus } = inline();
        store.settleWithin(bus.settlerWithin(database));
        const { order, idem } = claim();
        const done: string[] = [];
        const sub = await bus.subscribe({
          service: order.service.code,
          handler: async (d) => {
            if (d.message.type !== 'order.received') return;
            // Another delivery holds it now (this one's lease ran out while it worked).
            database.db.prepare("UPDATE bus_messages SET delivery = 'another' WHERE event_id = ?").run(d.message.eventId);
            const settles = { consumer: d.consumer!, eventId: d.message.eventId, recorded: () => void (d.recorded = true) };
            await store.transition(d.message.orderId, { to: 'cancelled', actor: { kind: 'system', id: 'test' }, reason: { code: 'test' }, settles });
            done.push(d.message.eventId);
          },
        });
        await store.createOrder(order, idem);
        await until(() => done.length === 1, 5_000, 'the step');
        const [eventId] = done;
        await until(() => database.db.prepare('SELECT count(*) FROM bus_messages WHERE event_id != ?').pluck().get(eventId) === 0, 5_000, 'the other acks');
        await sub.stop();
        assert.equal(database.db.prepare("SELECT delivery FROM bus_messages WHERE event_id = ?").pluck().get(eventId), 'another', 'left to the delivery that holds it');
        assert.equal(await store.isProcessed(`${order.service.code}:*`, eventId!), true, 'which will find it processed');
        await bus.close();
        database.close();
      });

      it('survives a restart with the message the commit acknowledged', async () => {
        const file = join(dir, 'wasl.db');
        const a = open(file);
        a.store.publishWithin(a.bus.publisherWithin(a.database));
        const { order, idem } = claim();
        await a.store.createOrder(order, idem);
        await a.bus.close();
        a.database.close();
        const b = open(file);
        const got: string[] = [];
        const sub = await b.bus.subscribe({ service: order.service.code, handler: async (d) => void got.push(d.message.orderId) });
        await until(() => got.length === 1, 5_000, 'the event after a restart');
        assert.deepEqual(got, [order.id]);
        await sub.stop();
        await b.bus.close();
        b.database.close();
      });

      it('is not offered by a bus in another database: the outbox waits for the relay', async () => {
        const database = new SqliteDatabase(':memory:');
        const other = new SqliteDatabase(':memory:');
        const store = new SqliteStore({ database });
        const bus = new EmbeddedBus({ database: other, store, logger });
        assert.equal(bus.publisherWithin(database), undefined);
        assert.equal(store.publishWithin(bus.publisherWithin(database)), false);
        const { order, idem } = claim();
        await store.createOrder(order, idem);
        assert.equal((await store.outboxPending(10)).length, 1);
        assert.equal(other.db.prepare('SELECT count(*) FROM bus_messages').pluck().get(), 0);
        await bus.close();
        database.close();
        other.close();
      });
    });

    it('keeps published messages across a restart', async () => {
      const file = join(dir, 'wasl.db');
      const a = open(file);
      const sent = [message('svc'), message('svc')];
      await a.bus.publish(sent);
      await a.bus.close();
      a.database.close();
      const b = open(file);
      const got: string[] = [];
      const sub = await b.bus.subscribe({ service: 'svc', handler: async (d) => void got.push(d.message.eventId) });
      await until(() => got.length === 2, 5_000, 'redelivery after restart');
      assert.deepEqual(got.sort(), sent.map((m) => m.eventId).sort());
      await sub.stop();
      await b.bus.close();
      b.database.close();
    });

    /** Starts a worker that claims one message of `svc` and hangs; resolves once it has, then kills it. */
    async function crashOnce(file: string, visibilityMs: number, limit: number): Promise<boolean> {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', HANGING, file, 'svc', String(visibilityMs), String(limit)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => child.once('exit', r));
      const deadline = Date.now() + 3_000 + visibilityMs;
      while (!out.includes('claimed') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await exited;
      return out.includes('claimed');
    }

    it('delivers again a message whose worker was killed before acknowledging, once its lease runs out', async () => {
      const file = join(dir, 'wasl.db');
      const a = open(file, 300);
      const sent = message('svc');
      await a.bus.publish([sent]);
      assert.equal(await crashOnce(file, 300, 20), true);
      const got: Array<[string, boolean]> = [];
      const sub = await a.bus.subscribe({ service: 'svc', handler: async (d) => void got.push([d.message.eventId, d.redelivered]) });
      await until(() => got.length === 1, 5_000, 'redelivery');
      assert.deepEqual(got, [[sent.eventId, true]]);
      await sub.stop();
      await a.bus.close();
      a.database.close();
    });

    it('dead-letters a message that keeps killing its workers', async function () {
      this.timeout(30_000);
      const file = join(dir, 'wasl.db');
      const a = open(file, 200);
      await a.bus.publish([message('svc')]);
      assert.equal(await crashOnce(file, 200, 2), true);
      assert.equal(await crashOnce(file, 200, 2), true);
      // The third delivery is over the limit of 2: it is dead-lettered instead of handled.
      const got: string[] = [];
      const b = new EmbeddedBus({ database: a.database, store: a.store, logger, pollMs: 20, visibilityMs: 200, deliveryLimit: 2 });
      const sub2 = await b.subscribe({ service: 'svc', handler: async (d) => void got.push(d.message.eventId) });
      await until(async () => (await a.store.listDeadLetters({ service: 'svc', limit: 5 })).length === 1, 10_000, 'dead letter');
      assert.equal((await a.store.listDeadLetters({ service: 'svc', limit: 5 }))[0]?.reason, 'delivery-limit');
      assert.deepEqual(got, []);
      await sub2.stop();
      await a.bus.close();
      a.database.close();
    });
  });
});

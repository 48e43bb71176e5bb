/**
 * The bus contract, run against both back ends (embedded.test.ts, rabbitmq.test.ts): what a
 * flow may rely on, whichever carries its events.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeadLetterError, type Bus, type BusMessage, type Delivery } from '../../../hub/bus/bus';
import type { EmbeddedBus } from '../../../hub/bus/embedded';
import type { Store } from '../../../hub/store';

export interface BusFixture {
  bus: Bus;
  store: Store;
}

/** Short retry delays the back end under test must support. */
export const TEST_RETRY = { maxAttempts: 3, delaysMs: [100, 200] };

let n = 0;
export function message(service: string, type = 'order.received', orderId = 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV'): BusMessage {
  return { eventId: `evt_${Date.now()}_${++n}_${randomBytes(3).toString('hex')}`, orderId, service, type, payload: { n, text: 'نص عربي' } };
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The event ids every claim of `bus` returned from now on (a message it did not claim was handed over). */
export function recordClaims(bus: EmbeddedBus): Set<string> {
  const claimed = new Set<string>();
  const claim = bus.claim.bind(bus);
  bus.claim = async (queue, n) => {
    const got = await claim(queue, n);
    for (const c of got) claimed.add(c.delivery.message.eventId);
    return got;
  };
  return claimed;
}

export function busContract(open: () => Promise<BusFixture>, close: (f: BusFixture) => Promise<void>): void {
  let f: BusFixture;
  let service: string;
  beforeEach(async () => {
    f = await open();
    service = `svc-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await close(f);
  });

  it('delivers each published message once, intact, on its first attempt', async () => {
    const sent = Array.from({ length: 25 }, () => message(service));
    await f.bus.publish(sent);
    const got: Delivery[] = [];
    const sub = await f.bus.subscribe({ service, handler: async (d) => void got.push(d) });
    await until(() => got.length === 25, 10_000, '25 deliveries');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 25);
    assert.deepEqual(got.map((d) => d.message).sort((a, b) => a.eventId.localeCompare(b.eventId)), [...sent].sort((a, b) => a.eventId.localeCompare(b.eventId)));
    assert.ok(got.every((d) => d.attempt === 1 && !d.redelivered && d.history.length === 0));
    await sub.stop();
    await until(async () => (await f.bus.depth(service)).ready === 0, 5_000, 'empty queue');
  });

  it('delivers messages published after the subscription started, without polling delays', async () => {
    const got: string[] = [];
    const sub = await f.bus.subscribe({ service, handler: async (d) => void got.push(d.message.eventId) });
    const m = message(service);
    const t0 = Date.now();
    await f.bus.publish([m]);
    await until(() => got.length === 1, 5_000, 'delivery');
    assert.ok(Date.now() - t0 < 900, `took ${Date.now() - t0} ms`);
    await sub.stop();
  });

  it('hands a subscription only the event types it asked for and settles the others', async () => {
    const got: string[] = [];
    await f.bus.publish([message(service, 'order.received'), message(service, 'order.paid'), message(service, 'order.cancelled')]);
    const sub = await f.bus.subscribe({ service, types: ['order.paid'], handler: async (d) => void got.push(d.message.type) });
    await until(async () => (await f.bus.depth(service)).ready === 0 && got.length === 1, 10_000, 'queue drained');
    assert.deepEqual(got, ['order.paid']);
    await sub.stop();
  });

  it('drops a duplicate by event id', async () => {
    const m = message(service);
    const got: string[] = [];
    const sub = await f.bus.subscribe({ service, handler: async (d) => void got.push(d.message.eventId) });
    await f.bus.publish([m]);
    await until(() => got.length === 1, 5_000, 'first');
    await f.bus.publish([m]);
    await until(async () => (await f.bus.depth(service)).ready === 0 && (await f.bus.depth(service)).inFlight === 0, 5_000, 'duplicate settled');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(got, [m.eventId]);
    await sub.stop();
  });

  it('retries a failed message after a delay, with its attempt and history, until it succeeds', async () => {
    const attempts: Delivery[] = [];
    const sub = await f.bus.subscribe({
      service,
      retry: TEST_RETRY,
      handler: async (d) => {
        attempts.push(d);
        if (d.attempt < 3) throw Object.assign(new Error('ministry timed out'), { code: 'timeout' });
      },
    });
    const t0 = Date.now();
    await f.bus.publish([message(service)]);
    await until(() => attempts.length === 3, 10_000, 'three attempts');
    assert.deepEqual(attempts.map((d) => d.attempt), [1, 2, 3]);
    assert.deepEqual(attempts[2]?.history.map((h) => [h.attempt, h.error]), [
      [1, 'timeout: ministry timed out'],
      [2, 'timeout: ministry timed out'],
    ]);
    assert.ok(Date.now() - t0 >= 250, 'retries were delayed');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(attempts.length, 3, 'no attempt after success');
    assert.deepEqual(await f.store.listDeadLetters({ service, limit: 10 }), []);
    await sub.stop();
  });

  it('dead-letters a message that keeps failing, with the reason and every attempt, in the store', async () => {
    let calls = 0;
    const m = message(service);
    const sub = await f.bus.subscribe({
      service,
      retry: TEST_RETRY,
      handler: async () => {
        calls++;
        throw new Error('poison');
      },
    });
    await f.bus.publish([m]);
    await until(async () => (await f.store.listDeadLetters({ service, limit: 10 })).length === 1, 10_000, 'dead letter');
    const [dl] = await f.store.listDeadLetters({ service, limit: 10 });
    assert.equal(dl?.reason, 'attempts-exhausted');
    assert.deepEqual(dl?.message, m);
    assert.equal(dl?.history.length, 3);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(calls, 3);
    assert.deepEqual(await f.bus.depth(service), { ready: 0, inFlight: 0, delayed: 0 });
    await sub.stop();
  });

  it('dead-letters at once when the handler says retrying cannot help', async () => {
    let calls = 0;
    const sub = await f.bus.subscribe({
      service,
      retry: TEST_RETRY,
      handler: async () => {
        calls++;
        throw new DeadLetterError('unknown-service', 'no flow for this service');
      },
    });
    await f.bus.publish([message(service)]);
    await until(async () => (await f.store.listDeadLetters({ service, limit: 10 })).length === 1, 10_000, 'dead letter');
    assert.equal((await f.store.listDeadLetters({ service, limit: 10 }))[0]?.reason, 'unknown-service');
    assert.equal(calls, 1);
    await sub.stop();
  });

  it('keeps no more than prefetch messages in flight', async () => {
    let now = 0;
    let max = 0;
    let done = 0;
    const sub = await f.bus.subscribe({
      service,
      prefetch: 3,
      handler: async () => {
        now++;
        max = Math.max(max, now);
        await new Promise((r) => setTimeout(r, 30));
        now--;
        done++;
      },
    });
    await f.bus.publish(Array.from({ length: 15 }, () => message(service)));
    await until(() => done === 15, 10_000, '15 handled');
    assert.ok(max <= 3, `max in flight ${max}`);
    assert.ok(max >= 2, `prefetch was used (${max})`);
    await sub.stop();
  });

  it('stops gracefully: finishes what is in flight, takes nothing new, and another consumer gets the rest', async () => {
    let finished = 0;
    let started = 0;
    const sub = await f.bus.subscribe({
      service,
      prefetch: 1,
      handler: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 150));
        finished++;
      },
    });
    await f.bus.publish(Array.from({ length: 5 }, () => message(service)));
    await until(() => started === 1, 5_000, 'first start');
    await sub.stop();
    assert.equal(finished, started, 'in-flight work finished before stop returned');
    const before = started;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(started, before, 'nothing taken after stop');
    const rest: string[] = [];
    const next = await f.bus.subscribe({ service, handler: async (d) => void rest.push(d.message.eventId) });
    await until(() => rest.length === 5 - before, 10_000, 'rest delivered');
    await next.stop();
  });

  it('shares a service queue between two consumers: each message handled once', async () => {
    const seen = new Map<string, number>();
    const a: string[] = [];
    const b: string[] = [];
    const mk = (sink: string[]) => async (d: Delivery) => {
      sink.push(d.message.eventId);
      seen.set(d.message.eventId, (seen.get(d.message.eventId) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    };
    const s1 = await f.bus.subscribe({ service, prefetch: 4, handler: mk(a) });
    const s2 = await f.bus.subscribe({ service, prefetch: 4, handler: mk(b) });
    await f.bus.publish(Array.from({ length: 200 }, () => message(service)));
    await until(() => seen.size === 200, 15_000, '200 handled');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok([...seen.values()].every((c) => c === 1), 'no message handled twice');
    assert.ok(a.length > 0 && b.length > 0, `both consumers worked (${a.length}/${b.length})`);
    await s1.stop();
    await s2.stop();
  });

  it('reports itself healthy', () => {
    assert.equal(f.bus.health().ok, true);
  });
}

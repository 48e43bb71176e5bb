/**
 * Faults against the real broker, in a virtual host of their own (so closing "all connections"
 * closes only this suite's, and deleting the vhost removes everything it declared): connections
 * closed by the broker in the middle of a publish burst and of consuming; a worker process killed
 * with SIGKILL while it holds an unacknowledged message. The broker itself is never restarted here.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BusMessage, Delivery } from '../../../hub/bus/bus';
import { RabbitBus } from '../../../hub/bus/rabbitmq';
import { SqliteStore } from '../../../hub/store/sqlite';
import { createVhost, event, randomPrefix, requireRabbitmqctl, sleep, testLogger, waitFor, type TestVhost } from './rabbitmq-helpers';

const SLOW_CONSUMER = join(__dirname, '..', '..', 'fixtures', 'bus', 'slow-consumer.ts');

describe('bus: rabbitmq faults', function () {
  this.timeout(45_000);
  let vhost: TestVhost;
  let store: SqliteStore;
  const prefix = randomPrefix();
  const buses: RabbitBus[] = [];
  const children: ChildProcess[] = [];

  const open = async (reconnect = { initial: 50, max: 500 }) => {
    const t = testLogger('info');
    const bus = await RabbitBus.open({ url: vhost.url, store, logger: t.logger, prefix, retryDelaysMs: [100, 200], reconnectDelayMs: reconnect });
    buses.push(bus);
    return { bus, logs: t.logs };
  };

  before(async function () {
    await requireRabbitmqctl(this);
    vhost = await createVhost();
  });
  beforeEach(() => {
    store = new SqliteStore({ file: ':memory:' });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await store.close();
  });
  after(async () => {
    await vhost?.drop();
  });

  it('loses nothing and processes nothing twice when the broker closes the connections mid-publish and mid-consume, and resumes with one consumer per queue', async () => {
    const service = 'svc-chaos';
    const publisher = await open();
    const worker = await open();
    const processed = new Map<string, number>();
    // Counts the copies dropped by event id: the transport's duplicates, made harmless.
    let dropped = 0;
    const isProcessed = store.isProcessed.bind(store);
    store.isProcessed = async (c, id) => {
      const yes = await isProcessed(c, id);
      if (yes) dropped++;
      return yes;
    };
    const sub = await worker.bus.subscribe({
      service,
      prefetch: 32,
      handler: async (d: Delivery) => {
        await new Promise((r) => setImmediate(r));
        processed.set(d.message.eventId, (processed.get(d.message.eventId) ?? 0) + 1);
      },
    });
    // Sample health all along: the disconnection must show.
    const unhealthy: string[] = [];
    const sampler = setInterval(() => {
      for (const b of [publisher.bus, worker.bus]) {
        const h = b.health();
        if (!h.ok) unhealthy.push(h.detail);
      }
    }, 5);

    // Publishers run until both closures are over: two like the relay (batches of 100), and while
    // a closure is under way one with big batches and no pause, so that it surely lands while a
    // publish awaits its confirms.
    const sent: BusMessage[] = [];
    let rejected = 0;
    let stop = false;
    let closing = false;
    const publishLoop = async (size: number, pauseMs: number, onlyWhileClosing = false) => {
      while (!stop) {
        if (onlyWhileClosing && !closing) {
          await sleep(5);
          continue;
        }
        const batch = Array.from({ length: size }, () => event(service, 'order.received', { i: 1 }));
        sent.push(...batch);
        // The relay's contract: a rejected publish is retried (duplicates are dropped downstream).
        for (;;) {
          try {
            await publisher.bus.publish(batch);
            break;
          } catch {
            rejected++;
            await sleep(50);
          }
        }
        await sleep(pauseMs);
      }
    };
    const publishing = Promise.all([publishLoop(100, 50), publishLoop(100, 50), publishLoop(1_000, 0, true)]);
    const closeConnections = async () => {
      closing = true;
      await vhost.closeConnections();
      closing = false;
    };

    await waitFor('a first part published', () => sent.length >= 1_000);
    await closeConnections();
    await waitFor('reconnected', () => publisher.bus.health().ok && worker.bus.health().ok);
    const mark = processed.size;
    await waitFor('consuming again', () => processed.size >= mark + 300, 15_000);
    await closeConnections();
    await waitFor('reconnected again', () => publisher.bus.health().ok && worker.bus.health().ok);
    await sleep(300);
    stop = true;
    await publishing;
    await waitFor('every event processed', () => sent.every((m) => processed.has(m.eventId)), 30_000, 50);
    await sleep(500);
    clearInterval(sampler);

    const twice = [...processed.entries()].filter(([, c]) => c > 1);
    assert.deepEqual(twice, [], 'no event processed twice');
    assert.equal(processed.size, sent.length, 'nothing extra');
    assert.ok(rejected > 0, 'a closure landed while a publish awaited its confirms, and that publish was rejected');
    assert.ok(unhealthy.length > 0, 'health() reported the disconnection');
    assert.ok(unhealthy.some((d) => /disconnected since/.test(d)));
    assert.ok(publisher.logs.lines.some((l) => l.includes('rabbitmq reconnected')));
    assert.deepEqual(await store.listDeadLetters({ limit: 10 }), []);
    // One consumer on the service queue (not one per reconnect), one collector per bus.
    const consumers = await vhost.consumers();
    assert.equal(consumers.get(`${prefix}.svc.${service}`), 1);
    assert.equal(consumers.get(`${prefix}.dlx.collect`), 2);
    assert.deepEqual(await worker.bus.depth(service), { ready: 0, inFlight: 0, delayed: 0 });
    console.log(`      (${sent.length} events; ${rejected} publish call(s) rejected by the closures and retried; ${dropped} duplicate deliveries dropped by event id)`);
    await sub.stop();
  });

  it('reports ok=false with the reason while disconnected, and ok again once reconnected', async () => {
    const { bus } = await open({ initial: 400, max: 1_000 });
    assert.equal(bus.health().ok, true);
    await vhost.closeConnections();
    await waitFor('unhealthy', () => !bus.health().ok, 5_000, 5);
    assert.match(bus.health().detail, /disconnected since .*CONNECTION_FORCED|disconnected since/);
    await waitFor('healthy again', () => bus.health().ok, 10_000);
    await bus.publish([event('svc-health')]);
  });

  it('gives a message held by a consumer process killed with SIGKILL to another consumer, marked redelivered', async () => {
    const service = 'svc-killed';
    const { bus } = await open();
    const got: Delivery[] = [];
    // The second worker is already there; it receives the message only when the first dies.
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', SLOW_CONSUMER], {
      env: { ...process.env, WASL_TEST_AMQP_URL: vhost.url, WASL_TEST_PREFIX: prefix, WASL_TEST_SERVICE: service },
      cwd: join(__dirname, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    await waitFor('the child consumer ready', () => {
      if (child.exitCode !== null) throw new Error(`the child consumer exited ${child.exitCode}: ${err}`);
      return out.includes('ready');
    }, 20_000);
    const m = event(service);
    await bus.publish([m]);
    await waitFor('the child holding the message', () => out.includes(`got ${m.eventId}`), 10_000);
    const sub = await bus.subscribe({ service, handler: async (d) => void got.push(d) });
    await sleep(200);
    assert.equal(got.length, 0, 'held by the child while it lives');
    child.kill('SIGKILL');
    await waitFor('the message back', () => got.length === 1, 10_000);
    assert.equal(got[0]?.message.eventId, m.eventId);
    assert.equal(got[0]?.redelivered, true);
    assert.equal(got[0]?.attempt, 1, 'a crash is not a handler failure');
    await sub.stop();
  });
});

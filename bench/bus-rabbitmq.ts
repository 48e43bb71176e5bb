/**
 * Measurements of the RabbitMQ bus against raw amqplib with the same settings: persistent
 * messages on a confirm channel in windows of `batch` (publish a window, wait for its confirms,
 * next), a topic exchange into a quorum queue, one consumer with the same prefetch and a manual
 * ack per message, publisher and consumer on separate connections, publishing and consuming at
 * once. A rate is events from the first publish to the last ack, per second.
 *
 * The bus's dedup bookkeeping (ProcessedLog) is an in-memory Set here, so what is measured is the
 * broker path and wasl's layer over it, not the store: the store's cost is the same whichever bus
 * carries the events.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import type { AttemptRecord, BusMessage, DeadLetterSink, ProcessedLog } from '../hub/bus/bus';
import { RabbitBus } from '../hub/bus/rabbitmq';
import { createLogger } from '../hub/log';

export interface RabbitBenchOptions {
  url: string;
  n: number;
  /** Messages per publish() call (the relay's batch) and per raw confirm window. */
  batch: number;
  prefetch: number;
  /** Give up (and report what was done) after this long. */
  timeoutMs: number;
}

export interface Rate {
  eventsPerSec: number;
  seconds: number;
  done: number;
  completed: boolean;
  /** This process's CPU (user + system) per event: the client side's cost, less noisy than rates. */
  cpuUsPerEvent: number;
}

/** An event of the usual size (an order event without citizens' data, ~250 bytes of JSON). */
export const PAYLOAD = {
  id: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  type: 'order.received',
  orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  service: 'civil-registry-individual-extract',
  serviceVersion: 3,
  channel: 'centre-dam-01',
  at: '2026-01-01T10:00:00.000Z',
  seq: 1,
  to: 'received',
};

const SERVICE = 'bench';
const RETRY_LEVEL = 1_000;

/** Dedup and dead letters in memory: both calls stay, their cost is a Set lookup. */
export function memoryStore(): ProcessedLog & DeadLetterSink & { dead: number } {
  const seen = new Map<string, Set<string>>();
  const of = (c: string) => seen.get(c) ?? seen.set(c, new Set()).get(c)!;
  return {
    dead: 0,
    isProcessed: async (c: string, id: string) => of(c).has(id),
    recordProcessed: async (c: string, id: string) => void of(c).add(id),
    async recordDeadLetter(_dl: { message: BusMessage; reason: string; history: AttemptRecord[] }) {
      this.dead++;
    },
  };
}

function counter(n: number, timeoutMs: number): { tick: () => void; done: () => number; wait: Promise<boolean> } {
  let count = 0;
  let finish!: (ok: boolean) => void;
  const wait = new Promise<boolean>((r) => (finish = r));
  const timer = setTimeout(() => finish(false), timeoutMs);
  return {
    tick: () => {
      if (++count === n) {
        clearTimeout(timer);
        finish(true);
      }
    },
    done: () => count,
    wait,
  };
}

function rate(t0: bigint, cpu0: NodeJS.CpuUsage, done: number, completed: boolean): Rate {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { eventsPerSec: done / seconds, seconds, done, completed, cpuUsPerEvent: done ? (cpu.user + cpu.system) / done : 0 };
}

async function deleteAll(url: string, queues: string[], exchanges: string[]): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const x of exchanges) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export async function rabbitBusRate(o: RabbitBenchOptions): Promise<Rate> {
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const store = memoryStore();
  const bus = await RabbitBus.open({ url: o.url, store, logger: createLogger('warn'), prefix, retryDelaysMs: [RETRY_LEVEL] });
  try {
    const c = counter(o.n, o.timeoutMs);
    const sub = await bus.subscribe({ service: SERVICE, prefetch: o.prefetch, handler: async () => c.tick() });
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let stopped = false;
    void c.wait.then(() => (stopped = true));
    for (let i = 0; i < o.n && !stopped; i += o.batch) {
      const msgs: BusMessage[] = [];
      for (let j = i; j < Math.min(o.n, i + o.batch); j++) {
        msgs.push({ eventId: `evt_${prefix}_${j}`, orderId: PAYLOAD.orderId, service: SERVICE, type: 'order.received', payload: PAYLOAD });
      }
      await bus.publish(msgs);
    }
    const completed = await c.wait;
    const r = rate(t0, cpu0, c.done(), completed);
    await sub.stop();
    return r;
  } finally {
    await bus.close();
    await deleteAll(o.url, [`${prefix}.svc.${SERVICE}`, `${prefix}.retry.${RETRY_LEVEL}`, `${prefix}.dead`, `${prefix}.dlx.collect`], [`${prefix}.orders`, `${prefix}.dlx`, `${prefix}.retry.${RETRY_LEVEL}`]);
  }
}

export async function rawAmqpRate(o: RabbitBenchOptions): Promise<Rate> {
  const prefix = `benchraw${randomBytes(4).toString('hex')}`;
  const exchange = `${prefix}.orders`;
  const queue = `${prefix}.svc.${SERVICE}`;
  const pubConn = await amqp.connect(o.url);
  const subConn = await amqp.connect(o.url);
  try {
    const pub = await pubConn.createConfirmChannel();
    const sub = await subConn.createChannel();
    await pub.assertExchange(exchange, 'topic', { durable: true });
    await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await pub.bindQueue(queue, exchange, `${SERVICE}.#`);
    await sub.prefetch(o.prefetch);
    const c = counter(o.n, o.timeoutMs);
    await sub.consume(
      queue,
      (msg) => {
        if (!msg) return;
        sub.ack(msg);
        c.tick();
      },
      { noAck: false },
    );
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let stopped = false;
    void c.wait.then(() => (stopped = true));
    for (let i = 0; i < o.n && !stopped; i += o.batch) {
      for (let j = i; j < Math.min(o.n, i + o.batch); j++) {
        // The same properties the bus sets, so both move the same bytes.
        pub.publish(exchange, `${SERVICE}.order.received`, Buffer.from(JSON.stringify(PAYLOAD)), {
          persistent: true,
          mandatory: true,
          contentType: 'application/json',
          messageId: `evt_${prefix}_${j}`,
          timestamp: Math.floor(Date.now() / 1000),
          appId: 'wasl',
          headers: { type: 'order.received', orderId: PAYLOAD.orderId, service: SERVICE, 'x-wasl-attempt': 1, 'x-wasl-history': '[]' },
        });
      }
      await pub.waitForConfirms();
    }
    const completed = await c.wait;
    const r = rate(t0, cpu0, c.done(), completed);
    await sub.close();
    await pub.close();
    return r;
  } finally {
    await subConn.close().catch(() => undefined);
    await pubConn.close().catch(() => undefined);
    await deleteAll(o.url, [queue], [exchange]).catch(() => undefined);
  }
}

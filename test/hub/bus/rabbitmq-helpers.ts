/**
 * Test helpers for the RabbitMQ bus: skip (or, with WASL_REQUIRE_SERVICES=1, fail) when the broker
 * or rabbitmqctl is absent; a throwaway virtual host per fault suite, so closing "all connections"
 * closes only ours and deleting it removes every queue; random prefixes; polling.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import type { BusMessage } from '../../../hub/bus/bus';
import { newEventId, newOrderId } from '../../../hub/ids';
import { createLogger, type Logger } from '../../../hub/log';
import { LogSink } from '../../helpers';

export const AMQP_URL = process.env.WASL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const required = process.env.WASL_REQUIRE_SERVICES === '1';
const run = promisify(execFile);

let amqpReachable: Promise<string | undefined> | undefined;
let ctlUsable: Promise<string | undefined> | undefined;

async function probeAmqp(): Promise<string | undefined> {
  try {
    const conn = await amqp.connect(AMQP_URL, { timeout: 2_000 });
    await conn.close();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function probeCtl(): Promise<string | undefined> {
  try {
    await rabbitmqctl(['-q', 'list_vhosts']);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

function skipOrFail(ctx: Mocha.Context, what: string, why: string): void {
  if (required) throw new Error(`${what} is required (WASL_REQUIRE_SERVICES=1) but not usable: ${why}`);
  console.log(`      (skipped: ${what} not usable: ${why})`);
  ctx.skip();
}

/** Skips the calling suite when RabbitMQ is absent — or fails it when WASL_REQUIRE_SERVICES=1. */
export async function requireRabbitMQ(ctx: Mocha.Context): Promise<void> {
  const why = await (amqpReachable ??= probeAmqp());
  if (why) skipOrFail(ctx, `RabbitMQ at ${AMQP_URL.replace(/\/\/[^@]*@/, '//')}`, why);
}

/** The fault tests also need rabbitmqctl on this machine (to close connections, count consumers). */
export async function requireRabbitmqctl(ctx: Mocha.Context): Promise<void> {
  await requireRabbitMQ(ctx);
  const why = await (ctlUsable ??= probeCtl());
  if (why) skipOrFail(ctx, 'rabbitmqctl', why);
}

export async function rabbitmqctl(args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 30_000 });
  return stdout;
}

export const randomPrefix = (): string => `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export interface TestVhost {
  name: string;
  url: string;
  /** Closes every client connection to this vhost (the broker side of a network cut). */
  closeConnections(): Promise<void>;
  /** Consumers per queue, from the broker (queues without consumers are absent). */
  consumers(): Promise<Map<string, number>>;
  /** Messages of one queue, ready and delivered but not acknowledged, as the broker counts them. */
  queueCounts(queue: string): Promise<{ ready: number; unacked: number }>;
  drop(): Promise<void>;
}

export async function createVhost(): Promise<TestVhost> {
  const name = `wasl-test-${randomPrefix()}`;
  await rabbitmqctl(['-q', 'add_vhost', name]);
  await rabbitmqctl(['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  const base = new URL(AMQP_URL);
  base.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: base.toString(),
    closeConnections: async () => {
      await rabbitmqctl(['-q', 'close_all_connections', '-p', name, 'test']);
    },
    consumers: async () => {
      // list_consumers, not `list_queues name consumers`: for quorum queues that column is a
      // metric refreshed every few seconds, so it shows consumers that are gone (or not yet there).
      const out = await rabbitmqctl(['-q', 'list_consumers', '-p', name, '--no-table-headers', 'queue_name']);
      const map = new Map<string, number>();
      for (const line of out.split('\n')) {
        const q = line.trim();
        if (q) map.set(q, (map.get(q) ?? 0) + 1);
      }
      return map;
    },
    queueCounts: async (queue) => {
      const out = await rabbitmqctl(['-q', 'list_queues', '-p', name, '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged']);
      for (const line of out.split('\n')) {
        const [q, ready, unacked] = line.trim().split(/\s+/);
        if (q === queue) return { ready: Number(ready), unacked: Number(unacked) };
      }
      throw new Error(`queue ${queue} is not in vhost ${name}`);
    },
    drop: async () => {
      await rabbitmqctl(['-q', 'delete_vhost', name]).catch(() => undefined);
    },
  };
}

/** Deletes what a bus with this prefix declared on the default vhost. */
export async function deleteTopology(url: string, prefix: string, services: string[], delaysMs: number[]): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of [...services.map((s) => `${prefix}.svc.${s}`), ...delaysMs.map((d) => `${prefix}.retry.${d}`), `${prefix}.dead`, `${prefix}.dlx.collect`]) {
      await ch.deleteQueue(q);
    }
    for (const x of [`${prefix}.orders`, `${prefix}.dlx`, ...delaysMs.map((d) => `${prefix}.retry.${d}`)]) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export function testLogger(level = 'info'): { logger: Logger; logs: LogSink } {
  const logs = new LogSink();
  return { logger: createLogger(level, logs), logs };
}

export function event(service: string, type = 'order.received', payload: unknown = { secret: 'payload-must-not-be-logged' }): BusMessage {
  return { eventId: newEventId(), orderId: newOrderId(), service, type, payload };
}

export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Reads every message in a queue (and acks it), for asserting on the dead queue. */
export async function drainQueue(url: string, queue: string): Promise<amqp.GetMessage[]> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) break;
      out.push(m);
    }
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

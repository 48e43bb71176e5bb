/** Shared fixtures for the order node tests: a hub context on an in-memory store and a bus that hands its subscriptions to the test. */
import type { Bus, Delivery, SubscribeOptions } from '../../hub/bus/bus';
import { createLogger } from '../../hub/log';
import { setHubContext } from '../../hub/runtime/context';
import { SqliteStore } from '../../hub/store/sqlite';
import { Workers } from '../../hub/workers';
import { newOrder } from '../hub/store/contract';
import { newKey } from '../helpers';

/** The parts of node-red-node-test-helper used here (it ships no types). */
export interface TestHelper {
  init(nodeRedPath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown[], flow: Array<Record<string, unknown>>, credentials?: Record<string, unknown>): Promise<void>;
  getNode(id: string): (import('../../nodes/lib/node-red').Node & { receive(msg: Record<string, unknown>): void; on(event: 'input', h: (msg: Record<string, unknown>) => void): void }) | null;
  unload(): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}
 
const helper = require('node-red-node-test-helper') as TestHelper;
helper.init(require.resolve('node-red'));

export { helper };

/** A bus that records subscriptions instead of consuming anything. */
export class CapturingBus {
  readonly kind = 'embedded' as const;
  readonly subscriptions: SubscribeOptions[] = [];
  async publish(): Promise<void> {}
  async subscribe(opts: SubscribeOptions) {
    this.subscriptions.push(opts);
    return { stop: async () => undefined };
  }
  async depth() {
    return { ready: 0, inFlight: 0, delayed: 0 };
  }
  health() {
    return { ok: true, detail: 'test' };
  }
  async close(): Promise<void> {}
  /** Delivers a message to the subscription of its service, as the bus would. */
  deliver(d: Delivery): Promise<void> {
    const sub = this.subscriptions.find((s) => s.service === d.message.service);
    if (!sub) throw new Error(`no subscription for ${d.message.service}`);
    return sub.handler(d);
  }
}

export interface NodeTestHub {
  store: SqliteStore;
  workers: Workers;
  bus: CapturingBus;
  close(): Promise<void>;
}

export async function nodeTestHub(): Promise<NodeTestHub> {
  const store = new SqliteStore({ file: ':memory:' });
  const workers = new Workers();
  const bus = new CapturingBus();
  await workers.start(bus as unknown as Bus);
  setHubContext({ store, workers, env: 'sandbox', providersRoot: '/nonexistent', logger: createLogger('silent') });
  return {
    store,
    workers,
    bus,
    async close() {
      await workers.stop();
      setHubContext(undefined);
      await store.close();
    },
  };
}

export async function storedOrder(store: SqliteStore, service = 'civil-registry-individual-extract') {
  const { order } = await store.createOrder(newOrder(new Date(), { service }), { channel: 'c', key: newKey(), requestHash: 'h' });
  return order;
}

let n = 0;
export function delivery(orderId: string, service: string, type: string): Delivery {
  return { message: { eventId: `evt-${process.pid}-${++n}`, orderId, service, type, payload: {} }, attempt: 1, redelivered: false, history: [] };
}

/** Whether a promise is still pending after the event loop has turned a few times. */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return !settled;
}

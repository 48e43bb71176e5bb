/**
 * When a flow has finished a bus delivery — so the bus may acknowledge it.
 *
 * An order-in node tracks each message it starts under a delivery id carried as
 * `msg._wasl.delivery` (plain data: it survives Node-RED's message cloning and function nodes
 * that keep the message). The delivery
 * - **completes** when a node settles it: `wasl-order-update` does, once its transition is
 *   stored (unless its "completes the event" box is cleared, for a flow that goes on after it);
 *   any node may call `completeDelivery(msg)`. An order-in node without wires completes at once.
 * - **fails** — the handler rejects and the bus retries it later, then dead-letters it — when a
 *   node reports an error for the message (`done(err)`) that no Catch node takes, when the flow
 *   is stopped or redeployed while the message is in it, or when the flow neither completes nor
 *   fails within the order-in node's timeout. An error a Catch node takes is the flow's to handle:
 *   the Catch path ends with its own order update (to failed, say), which completes it.
 *
 * Errors are seen through Node-RED's messaging hooks (onComplete with an error, then whether a
 * Catch node received the message before the next turn of the event loop).
 */
import type { Settlement } from '../bus/bus';

/** What a message carries of the bus delivery it carries out (`msg._wasl`, set by the order-in node). */
export interface WaslMessageMeta {
  delivery: string;
}

/** A flow's message as far as its delivery goes: any Node-RED message, with `_wasl` when it carries one. */
export interface DeliveryMessage {
  _wasl?: WaslMessageMeta;
}
interface InFlight {
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  errors: number;
  caught: number;
  owner: string;
  settlement?: Settlement;
}

const inFlight = new Map<string, InFlight>();

export class FlowTimeoutError extends Error {
  readonly code = 'flow-timeout';
  constructor(ms: number) {
    super(`the flow did not finish the message within ${ms} ms`);
    this.name = 'FlowTimeoutError';
  }
}

export class FlowStoppedError extends Error {
  readonly code = 'flow-stopped';
  constructor() {
    super('the flow was stopped while it held the message');
    this.name = 'FlowStoppedError';
  }
}

/** Starts tracking; the promise settles when the flow completes or fails the delivery. */
export function trackDelivery(id: string, owner: string, timeoutMs: number, settlement?: Settlement): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Settles this entry only: another one under the same id (a caller's mistake) is left alone.
    const settle = (fn: () => void) => () => {
      if (inFlight.get(id) !== entry) return;
      clearTimeout(entry.timer);
      inFlight.delete(id);
      fn();
    };
    if (inFlight.has(id)) throw new Error(`delivery ${id} is already in flight`);
    const entry: InFlight = { resolve: () => undefined, reject: () => undefined, timer: undefined as unknown as NodeJS.Timeout, errors: 0, caught: 0, owner, ...(settlement ? { settlement } : {}) };
    entry.resolve = settle(resolve);
    entry.reject = (err) => settle(() => reject(err))();
    entry.timer = setTimeout(() => entry.reject(new FlowTimeoutError(timeoutMs)), timeoutMs);
    entry.timer.unref?.();
    inFlight.set(id, entry);
  });
}

const deliveryOf = (msg: unknown): string | undefined => {
  const id = (msg as DeliveryMessage | undefined)?._wasl?.delivery;
  return typeof id === 'string' ? id : undefined;
};

/** Completes the delivery the message carries out (no-op for a message from elsewhere). */
export function completeDelivery(msg: DeliveryMessage): void {
  const id = deliveryOf(msg);
  if (id) inFlight.get(id)?.resolve();
}

/**
 * The bus event the message's delivery carries out, for the step that completes it to record
 * processed in its own transaction; none for a message from elsewhere, or a delivery that other
 * flows share (the event is processed only once all of them finished).
 */
export function settlementOf(msg: DeliveryMessage): Settlement | undefined {
  const id = deliveryOf(msg);
  return id ? inFlight.get(id)?.settlement : undefined;
}

/** Fails it: the bus retries the event later. */
export function failDelivery(msg: DeliveryMessage, err: unknown): void {
  const id = deliveryOf(msg);
  if (id) inFlight.get(id)?.reject(err);
}

/** Fails every delivery an order-in node started: its flow stops. */
export function failOwnedBy(owner: string, err: unknown): void {
  for (const entry of [...inFlight.values()]) if (entry.owner === owner) entry.reject(err);
}

export function deliveriesInFlight(owner?: string): number {
  let n = 0;
  for (const e of inFlight.values()) if (!owner || e.owner === owner) n++;
  return n;
}

interface HookEvent {
  msg?: unknown;
  error?: unknown;
  destination?: { node?: { type?: string } };
}

type Hooks = { add(name: string, handler: (event: HookEvent) => void): void; remove(name: string): void };

/**
 * Installs the messaging hooks once per Node-RED runtime (they are process-wide; re-adding
 * replaces them). Called by the order-in node's module when Node-RED loads it.
 */
export function installDeliveryHooks(hooks: Hooks): void {
  hooks.remove('*.wasl-deliveries');
  hooks.add('onReceive.wasl-deliveries', (event) => {
    if (event.destination?.node?.type !== 'catch') return;
    const id = deliveryOf(event.msg);
    const entry = id ? inFlight.get(id) : undefined;
    if (entry) entry.caught = entry.errors;
  });
  hooks.add('onComplete.wasl-deliveries', (event) => {
    if (!event.error) return;
    const id = deliveryOf(event.msg);
    const entry = id ? inFlight.get(id) : undefined;
    if (!entry) return;
    const mark = ++entry.errors;
    // Node-RED hands the error to the Catch nodes right after this hook; look once they had it.
    setImmediate(() => {
      if (entry.caught < mark) entry.reject(event.error);
    });
  });
}

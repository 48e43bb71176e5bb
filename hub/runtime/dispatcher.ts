/**
 * One bus subscription per service, shared by every wasl-order-in node of that service (the
 * RabbitMQ back end allows one consumer per service queue and process), registered with the
 * hub's workers the first time an order-in node of the service starts. Each delivery goes to the
 * order-in nodes that take its type; the handler returns — and the bus acknowledges — only once
 * every one of their flows has finished it (hub/runtime/deliveries.ts).
 *
 * - No order-in node takes the type, but the service has some: the event is not this flow's
 *   business; acknowledged.
 * - The service has no order-in node running (a redeploy is in progress, or its flow was
 *   removed): the handler throws, so the bus retries later and, if no flow comes back,
 *   dead-letters the event with the reason — never acknowledged unseen.
 *
 * A pattern's order-in nodes register every service of the pattern the catalogue had when they
 * started; a service new to the catalogue since (promoted in a running hub) is `adopt`ed: it
 * shares the targets of a service of the same pattern, without restarting the tab.
 */
import type { Delivery } from '../bus/bus';
import type { Workers } from '../workers';
import { traceStage } from '../tracing';

export interface OrderInTarget {
  /** Event types taken; every type when empty. */
  types: readonly string[];
  /**
   * Deliveries of the service in flight at once (the subscription's prefetch). The service's
   * first order-in node to start sets it: a subscription's prefetch is fixed while it runs.
   */
  concurrency?: number;
  /** `sole`: no other order-in node takes this delivery, so its flow alone finishes the event. */
  run(delivery: Delivery, sole: boolean): Promise<void>;
}

export class NoFlowError extends Error {
  readonly code = 'no-flow';
  constructor(service: string) {
    super(`no running flow takes the events of ${service}`);
    this.name = 'NoFlowError';
  }
}

export class Dispatcher {
  private readonly services = new Map<string, Set<OrderInTarget>>();

  constructor(private readonly workers: Workers) {}

  /** Adds an order-in node; returns its removal. */
  register(service: string, target: OrderInTarget): () => void {
    let targets = this.services.get(service);
    if (!targets) {
      targets = new Set();
      this.services.set(service, targets);
      this.subscribe(service, targets, target.concurrency);
    }
    targets.add(target);
    const set = targets;
    return () => void set.delete(target);
  }

  /**
   * A service with no order-in node of its own yet, carried by the same order-in nodes as
   * `siblings` (the other services of its pattern): it takes their targets — the same set, so a
   * restart of their tab moves it too. Whether it was adopted (false: it has its own, or no
   * sibling has a running node).
   */
  adopt(service: string, siblings: readonly string[]): boolean {
    if (this.services.has(service)) return false;
    const shared = siblings.map((s) => this.services.get(s)).find((set) => set && set.size > 0);
    if (!shared) return false;
    this.services.set(service, shared);
    this.subscribe(service, shared, [...shared][0]?.concurrency);
    return true;
  }

  private subscribe(service: string, targets: Set<OrderInTarget>, concurrency: number | undefined): void {
    this.workers.register({ service, handler: (d) => this.dispatch(service, targets, d), takes: (type) => takes(targets, type), ...(concurrency ? { prefetch: concurrency } : {}) });
  }

  /** Services with a subscription. */
  get subscribed(): string[] {
    return [...this.services.keys()];
  }

  private async dispatch(service: string, targets: Set<OrderInTarget>, d: Delivery): Promise<void> {
    if (targets.size === 0) throw new NoFlowError(service);
    const taking = [...targets].filter((t) => t.types.length === 0 || t.types.includes(d.message.type));
    // A span per stage (an order-in node's flow, from the delivery until the flow completes or fails it) when the hub traces.
    const { message } = d;
    const stage = { service: message.service, type: message.type, eventId: message.eventId, orderId: message.orderId, attempt: d.attempt };
    const sole = taking.length === 1;
    await Promise.all(taking.map((t) => traceStage(stage, () => t.run(d, sole))));
  }
}

/**
 * Whether an event goes to the handler: when some order-in node takes its type — or when the
 * service has none running, so that the handler refuses it (NoFlowError) and the bus retries
 * rather than acknowledging an event no flow has seen.
 */
function takes(targets: Set<OrderInTarget>, type: string): boolean {
  if (targets.size === 0) return true;
  for (const t of targets) if (t.types.length === 0 || t.types.includes(type)) return true;
  return false;
}

const dispatchers = new WeakMap<Workers, Dispatcher>();

/** The dispatcher of a hub's workers. */
export function dispatcherFor(workers: Workers): Dispatcher {
  let d = dispatchers.get(workers);
  if (!d) dispatchers.set(workers, (d = new Dispatcher(workers)));
  return d;
}

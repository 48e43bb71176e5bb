/**
 * The bus: order events from the outbox to the flows that react to them, and between the steps
 * of a flow that waits. Two back ends with one contract (test/hub/bus/contract.ts): RabbitMQ
 * when AMQP_URL is set, an embedded durable queue in the SQLite database otherwise.
 *
 * Delivery is at least once. A handler that returns has finished its work (stored it) and the
 * message is acknowledged; one that throws is retried after a delay, up to the subscription's
 * attempts, then dead-lettered with the reason; one that throws DeadLetterError is dead-lettered
 * at once. Nothing is ever dropped silently.
 */

import type { Order, OrderEvent } from '../../contracts/types';

/** What travels: an order event (contracts/event.schema.json) with its routing. */
export interface BusMessage {
  /** The event id: consumers drop a message whose id they have already processed. */
  eventId: string;
  orderId: string;
  service: string;
  /** e.g. order.received */
  type: string;
  payload: unknown;
  /**
   * The W3C trace context of the step that produced the event (hub/tracing.ts): the consumer
   * continues that trace. Travels inside the event (the outbox's JSON, the embedded queue's) and
   * as AMQP headers.
   */
  traceparent?: string;
  tracestate?: string;
}

/** An order event as the bus carries it: routed to its service's queue, with its trace context. */
export function eventMessage(event: OrderEvent): BusMessage {
  const m: BusMessage = { eventId: event.id, orderId: event.orderId, service: event.service, type: event.type, payload: event };
  if (event.traceparent) {
    m.traceparent = event.traceparent;
    if (event.tracestate) m.tracestate = event.tracestate;
  }
  return m;
}

/**
 * Puts messages on the embedded bus's queue from inside a write of the database it lives in, so
 * they commit with that write (EmbeddedBus.publisherWithin). `order`, when given, makes a copy
 * of the messages' order as that write leaves it: what a subscription handed one of them takes
 * as the delivery's order instead of reading it again (Delivery.order). `freed`, when given, is
 * what the same write's settler returned: the slot of the delivery that write completes, which
 * the step's own event may take.
 */
export type InlinePublisher = (messages: BusMessage[], order?: () => Order, freed?: FreedSlot) => void;

/**
 * The slot of a delivery a write completes (InlineSettler), for the event the same write makes:
 * an order's next stage goes on in the place its last one leaves, instead of queueing behind
 * every order not yet started. Opaque outside the bus.
 */
export interface FreedSlot {
  readonly freedSlot: true;
}

/**
 * Called inside a write by the step that completes a delivery (Settlement): records the event
 * processed in that write and, when the embedded bus sharing the database holds the event's
 * message in this process, takes the message off its queue in the same commit — the step, its
 * processed record and the ack one commit, with no write of their own after it
 * (EmbeddedBus.settlerWithin).
 */
export type InlineSettler = (consumer: string, eventId: string) => FreedSlot | void;

export interface AttemptRecord {
  attempt: number;
  at: string;
  /** Why the attempt failed: an error code or message, never citizens' data. */
  error: string;
}

export interface Delivery {
  message: BusMessage;
  /** 1 on the first delivery; counts handler failures, not broker redeliveries. */
  attempt: number;
  /** The broker delivered it before without an acknowledgement (a consumer died). */
  redelivered: boolean;
  history: AttemptRecord[];
  /**
   * The event's order, read with the processed check when the log can do both in one round trip
   * (ProcessedLog.checkAndRead): the first to take it (takeOrder) skips its own read.
   */
  order?: Order;
  /** The consumer name the event is recorded processed under (set by the bus before the handler runs). */
  consumer?: string;
  /** Set when a step recorded the event processed in its own transaction (Settlement): the ack records nothing more. */
  recorded?: boolean;
  /**
   * Handed to this process by the commit that created the event (EmbeddedBus.publisherWithin),
   * on its first delivery: no consumer can have processed it yet, so it is not looked up.
   */
  fresh?: boolean;
}

/**
 * The bus event a step finishes, for the store to record processed in the step's own
 * transaction (issue 25): the step is what completes the delivery (wasl-order-update's
 * "completes the event"), so recording it there is recording it at the ack, one round trip
 * sooner — and a crash between the two no longer runs the stage again. `recorded` is called once
 * the transaction committed; a store that cannot do it ignores the settlement.
 */
export interface Settlement {
  consumer: string;
  eventId: string;
  recorded(): void;
}

/** The order read with the delivery's processed check, once: a second taker reads its own copy from the store. */
export function takeOrder(d: Delivery): Order | undefined {
  const order = d.order;
  delete d.order;
  return order;
}

/** Thrown by a handler: dead-letter now, with this reason; retrying cannot help. */
export class DeadLetterError extends Error {
  constructor(readonly reason: string, message?: string) {
    super(message ?? reason);
    this.name = 'DeadLetterError';
  }
}

export interface RetryPolicy {
  /** Including the first. */
  maxAttempts: number;
  /** Delay before attempt n+1 is delaysMs[n-1] (the last one repeats). */
  delaysMs: number[];
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, delaysMs: [1_000, 5_000, 30_000, 120_000] };

export interface SubscribeOptions {
  /** The service whose events to consume: one queue per service, shared by every worker. */
  service: string;
  /** Event types to handle; others are acknowledged untouched. All when absent. */
  types?: string[];
  /**
   * Asked per event, for handlers whose types change while the subscription runs (the flows'
   * order-in nodes): false acknowledges the event untouched, as `types` does — no processed
   * check, no record, no order read for an event nothing here takes (issue 25).
   */
  takes?: (type: string) => boolean;
  /** Messages in flight at once for this subscription. */
  prefetch?: number;
  retry?: RetryPolicy;
  handler: (delivery: Delivery) => Promise<void>;
}

export interface Subscription {
  /** Stops taking new messages and waits for those in flight. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  id: string;
  message: BusMessage;
  reason: string;
  history: AttemptRecord[];
  deadAt: string;
}

export interface QueueDepth {
  /** Ready to deliver. */
  ready: number;
  /** Delivered, not yet acknowledged. */
  inFlight: number;
  /** Waiting for a retry delay. */
  delayed: number;
}

export interface BusHealth {
  ok: boolean;
  detail: string;
}

/** Where dead letters are kept: the store, so they can be listed, filtered and replayed whatever the back end. */
export interface DeadLetterSink {
  /** Idempotent per event id and service: a message dead-lettered twice is one dead letter. */
  recordDeadLetter(dl: { message: BusMessage; reason: string; history: AttemptRecord[] }): Promise<void>;
}

/** Which events a consumer has already processed, to drop duplicates by event id. */
export interface ProcessedLog {
  isProcessed(consumer: string, eventId: string): Promise<boolean>;
  recordProcessed(consumer: string, eventId: string): Promise<void>;
  /**
   * When the log lives in `database`: a recorder to call inside one of its writes, so that the
   * embedded bus records an event processed and removes its message in one commit.
   */
  recorderWithin?(database: unknown): ((consumer: string, eventId: string) => void) | undefined;
  /**
   * isProcessed, and the order read with it in the same round trip (PostgreSQL: issue 25): what
   * the stage that takes the event would read next. The order is absent when it is not in the store.
   */
  checkAndRead?(consumer: string, eventId: string, orderId: string): Promise<{ processed: boolean; order?: Order }>;
}

export interface Bus {
  readonly kind: 'embedded' | 'rabbitmq';
  /** Resolves once every message is durable (confirmed by the broker, or committed to disk). */
  publish(messages: BusMessage[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  depth(service: string): Promise<QueueDepth>;
  health(): BusHealth;
  /** Stops every subscription gracefully, then disconnects. */
  close(): Promise<void>;
}

/**
 * A BusMessage as an AMQP message and back. The body is the payload as JSON; the ids and the
 * routing travel as properties and headers, so the broker's tools (and the dead queue) show them
 * without opening the body: messageId = eventId, headers type, orderId, service, x-wasl-attempt
 * and x-wasl-history (JSON text: AMQP tables of tables are clumsy and history stays small), and
 * the W3C traceparent and tracestate when the event carries a trace context.
 */
import type * as amqp from 'amqplib';
import type { AttemptRecord, BusMessage, Delivery } from '../bus';

export const H = {
  attempt: 'x-wasl-attempt',
  history: 'x-wasl-history',
  reason: 'x-wasl-reason',
  type: 'type',
  orderId: 'orderId',
  service: 'service',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Bounds the history header (amqplib refuses header tables over 64 KiB): the latest attempts. */
const MAX_HISTORY = 25;

export type PublishOptions = amqp.Options.Publish & { messageId: string };

/** Properties of a wasl message: persistent, mandatory (an unroutable one fails its publish). */
export function publishOptions(m: BusMessage, attempt: number, history: AttemptRecord[], reason?: string): PublishOptions {
  const headers: Record<string, unknown> = {
    type: m.type,
    orderId: m.orderId,
    service: m.service,
    'x-wasl-attempt': attempt,
    'x-wasl-history': history.length ? JSON.stringify(history.slice(-MAX_HISTORY)) : '[]',
  };
  if (reason !== undefined) headers[H.reason] = reason;
  if (m.traceparent) {
    headers[H.traceparent] = m.traceparent;
    if (m.tracestate) headers[H.tracestate] = m.tracestate;
  }
  return {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId: m.eventId,
    timestamp: Math.floor(Date.now() / 1000),
    appId: 'wasl',
    headers,
  };
}

export function encodeBody(m: BusMessage): Buffer {
  return Buffer.from(JSON.stringify(m.payload ?? null));
}

/** A message that is not a wasl event: dead at once, retrying cannot fix it. */
export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
  constructor(
    message: string,
    /** What could be read of it, so the dead letter is still recorded and findable. */
    readonly partial: BusMessage,
    readonly history: AttemptRecord[],
  ) {
    super(message);
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v) return v;
  if (Buffer.isBuffer(v) && v.length) return v.toString('utf8');
  return undefined;
}

export function readHistory(headers: Record<string, unknown> | undefined): AttemptRecord[] {
  const raw = str(headers?.[H.history]);
  if (!raw || raw === '[]') return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

/** Reads what is readable without failing: for dead letters of any shape. */
export function readLenient(msg: amqp.Message, fallbackService: string): BusMessage {
  const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
  let payload: unknown;
  try {
    payload = JSON.parse(msg.content.toString('utf8')) as unknown;
  } catch {
    // Kept as text so an operator can see and repair it before a replay.
    payload = msg.content.toString('utf8');
  }
  return {
    eventId: str(msg.properties.messageId) ?? `unknown-${msg.fields.deliveryTag}-${Date.now()}`,
    orderId: str(h[H.orderId]) ?? 'unknown',
    service: str(h[H.service]) ?? fallbackService,
    type: str(h[H.type]) ?? 'unknown',
    payload,
  };
}

export function decode(msg: amqp.ConsumeMessage, service: string): Delivery {
  const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const history = readHistory(h);
  const eventId = str(msg.properties.messageId);
  const orderId = str(h[H.orderId]);
  const type = str(h[H.type]);
  const attemptRaw = Number(h[H.attempt] ?? 1);
  const attempt = Number.isInteger(attemptRaw) && attemptRaw >= 1 ? attemptRaw : 1;
  if (!eventId || !orderId || !type) throw new MalformedMessageError('missing messageId, orderId or type', readLenient(msg, service), history);
  let payload: unknown;
  try {
    payload = JSON.parse(msg.content.toString('utf8')) as unknown;
  } catch {
    throw new MalformedMessageError('body is not JSON', readLenient(msg, service), history);
  }
  const message: BusMessage = { eventId, orderId, service: str(h[H.service]) ?? service, type, payload };
  const traceparent = str(h[H.traceparent]);
  if (traceparent) {
    message.traceparent = traceparent;
    const tracestate = str(h[H.tracestate]);
    if (tracestate) message.tracestate = tracestate;
  }
  return {
    message,
    attempt,
    redelivered: msg.fields.redelivered,
    history,
  };
}

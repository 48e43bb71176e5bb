/**
 * What both back ends share: the pure part of a write (the timeline step, the outbox event, the
 * changed order) and the paging cursor. The back ends only do I/O around it.
 */
import type { Order, OrderEvent, OrderSummary, TimelineEvent } from '../../contracts/types';
import { assertTransition, eventType } from '../state-machine';
import { newEventId, orderIdFloor } from '../ids';
import type { NoteRequest, OrderQuery, TransitionRequest } from './store';
import { traceIdOf, type TraceCarrier } from '../tracing';

/** The order without its timeline, as stored in the orders table. */
export type OrderDoc = Omit<Order, 'timeline'>;

export function splitOrder(order: Order): { doc: OrderDoc; timeline: TimelineEvent[] } {
  const { timeline, ...doc } = order;
  return { doc, timeline };
}

/** The outbox event of a step; with the trace context it was made in, which its consumer continues. */
export function eventFor(order: OrderDoc, step: TimelineEvent, trace?: TraceCarrier): OrderEvent {
  const event: OrderEvent = {
    id: newEventId(),
    type: step.event,
    orderId: order.id,
    service: order.service.code,
    serviceVersion: order.service.version,
    channel: order.channel.id,
    at: step.at,
    seq: step.seq,
    status: step.status,
  };
  if (step.from) event.from = step.from;
  if (step.reason) event.reason = step.reason;
  if (trace) {
    event.traceparent = trace.traceparent;
    if (trace.tracestate) event.tracestate = trace.tracestate;
  }
  return event;
}

/** Marks a step with the id of the trace it is made in. */
export function traceStep(step: TimelineEvent, trace: TraceCarrier | undefined): void {
  if (trace) step.traceId = traceIdOf(trace.traceparent);
}

export interface PlannedTransition {
  doc: OrderDoc;
  step: TimelineEvent;
  event: OrderEvent;
}

/** Applies a transition to the stored order, or throws illegal-transition. */
export function planTransition(current: OrderDoc, lastSeq: number, req: TransitionRequest, now = new Date()): PlannedTransition {
  assertTransition(current.status, req.to);
  const at = now.toISOString();
  const step: TimelineEvent = {
    seq: lastSeq + 1,
    at,
    event: req.event ?? eventType(req.to),
    from: current.status,
    status: req.to,
    actor: req.actor,
  };
  if (req.reason) step.reason = req.reason;
  traceStep(step, req.trace);
  const added = addedDocuments(current, req);
  if (added.length) step.documents = added;
  const doc: OrderDoc = { ...current, ...req.patch, status: req.to, updatedAt: at };
  if (req.reason) doc.statusReason = req.reason;
  else delete doc.statusReason;
  return { doc, step, event: eventFor(doc, step, req.trace) };
}

/** The documents (with their SHA-256) a step's results add to the order: what its timeline entry names. */
function addedDocuments(current: OrderDoc, req: TransitionRequest): Array<{ reference: string; sha256: string }> {
  const before = new Set((current.results?.documents ?? []).map((d) => `${d.reference}\u0000${d.sha256 ?? ''}`));
  return (req.patch?.results?.documents ?? [])
    .filter((d): d is typeof d & { sha256: string } => typeof d.sha256 === 'string' && !before.has(`${d.reference}\u0000${d.sha256}`))
    .slice(0, 32)
    .map((d) => ({ reference: d.reference, sha256: d.sha256 }));
}

/** A step that leaves the order as it is. */
export function planNote(current: OrderDoc, lastSeq: number, req: NoteRequest, now = new Date()): { doc: OrderDoc; step: TimelineEvent } {
  const at = now.toISOString();
  const step: TimelineEvent = { seq: lastSeq + 1, at, event: req.event, status: current.status, actor: req.actor };
  if (req.reason) step.reason = req.reason;
  return { doc: { ...current, updatedAt: at }, step };
}

/** The timeline step that shows an order's event was dead-lettered. */
export function deadLetterNote(reason: string): NoteRequest {
  return { event: 'bus.dead-lettered', actor: { kind: 'system', id: 'bus' }, reason: { code: reasonCode(reason) } };
}

/** A free-form reason as a timeline reason code (lower-case, [a-z0-9._-], at most 64). */
export function reasonCode(reason: string): string {
  return reason.toLowerCase().slice(0, 64).replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]/, 'x');
}

export function summarize(doc: OrderDoc): OrderSummary {
  return {
    id: doc.id,
    service: doc.service,
    channel: doc.channel,
    status: doc.status,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Id bounds of a query: ids sort by creation time, so a date range is an id range. */
export function idBounds(q: OrderQuery): { upper?: string; lower?: string } {
  let upper = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.to) {
    const toFloor = orderIdFloor(q.to);
    if (!upper || toFloor < upper) upper = toFloor;
  }
  return { upper, lower: q.from ? orderIdFloor(q.from) : undefined };
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export class BadCursorError extends Error {}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^ord_[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new BadCursorError('bad cursor');
  return id;
}

/** Receipt numbers: R-<year>-<sequence of issue, 7 digits>. */
export function receiptNumber(seq: number, at: string): string {
  return `R-${at.slice(0, 4)}-${String(seq).padStart(7, '0')}`;
}

/**
 * Every order in a status, page by page (newest first), up to `max`: the watchers' passes, which
 * must reach the oldest orders (those past their deadline) however many newer ones wait.
 */
export async function* ordersIn(store: { listOrders(q: OrderQuery): Promise<{ items: OrderSummary[]; nextCursor?: string }> }, status: OrderQuery['status'], pageSize = 200, max = 20_000): AsyncGenerator<OrderSummary> {
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await store.listOrders({ status, limit: pageSize, ...(cursor ? { cursor } : {}) });
    for (const s of page.items) {
      if (++seen > max) return;
      yield s;
    }
    cursor = page.nextCursor;
  } while (cursor);
}

/**
 * What both back ends do around a handler, so they differ only in mechanics: drop events of
 * other types and duplicates (by event id), run the handler, and decide — from the error and the
 * attempt — between acknowledging, retrying after a delay and dead-lettering.
 */
import { DEFAULT_RETRY, DeadLetterError, type AttemptRecord, type Delivery, type ProcessedLog, type RetryPolicy, type SubscribeOptions } from './bus';
import { withCarrier } from '../tracing';

/** `record`: the event is processed, and the caller records it so in the same commit as the ack. */
export type Decision =
  | { action: 'ack'; record?: { consumer: string; eventId: string } }
  | { action: 'retry'; delayMs: number; history: AttemptRecord[] }
  | { action: 'dead'; reason: string; history: AttemptRecord[] };

/** Whether a subscription's handler sees an event of `type`; it acknowledges the others untouched. */
export const takesType = (opts: Pick<SubscribeOptions, 'types' | 'takes'>, type: string): boolean =>
  !(opts.types && !opts.types.includes(type)) && !(opts.takes && !opts.takes(type));

/** The consumer name under which a subscription records processed events. */
export const consumerName = (opts: Pick<SubscribeOptions, 'service' | 'types'>): string =>
  `${opts.service}:${opts.types?.slice().sort().join(',') ?? '*'}`;

export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const delays = policy.delaysMs.length ? policy.delaysMs : DEFAULT_RETRY.delaysMs;
  return delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
}

/** A short, safe description of why an attempt failed: codes and messages of wasl's own errors. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return `${code}${text}`.slice(0, 500);
}

/** Who hears of every retry and dead letter decided in this process (the metrics), by service. */
const decisionListeners = new Set<(service: string, decision: Decision['action']) => void>();
export function onDecision(listener: (service: string, decision: Decision['action']) => void): () => void {
  decisionListeners.add(listener);
  return () => decisionListeners.delete(listener);
}

/**
 * Runs a delivery's handler unless the event was processed already. With `recordOnAck` the
 * caller records a processed event with its ack (one commit); otherwise it is recorded here first.
 */
export async function handle(delivery: Delivery, opts: SubscribeOptions, processed: ProcessedLog, recordOnAck = false): Promise<Decision> {
  const decision = await decide(delivery, opts, processed, recordOnAck);
  if (decision.action !== 'ack') for (const l of decisionListeners) l(opts.service, decision.action);
  return decision;
}

async function decide(delivery: Delivery, opts: SubscribeOptions, processed: ProcessedLog, recordOnAck: boolean): Promise<Decision> {
  const { message } = delivery;
  if (!takesType(opts, message.type)) return { action: 'ack' };
  const consumer = consumerName(opts);
  if (delivery.fresh) {
    // Created by the commit that handed it over: nothing to look up (its order came with it).
  } else if (processed.checkAndRead) {
    const seen = await processed.checkAndRead(consumer, message.eventId, message.orderId);
    if (seen.processed) return { action: 'ack' };
    if (seen.order) delivery.order = seen.order;
  } else if (await processed.isProcessed(consumer, message.eventId)) return { action: 'ack' };
  delivery.consumer = consumer;
  try {
    // Under the trace context the event carries (none when tracing is off): what the handler does continues the order's trace.
    await withCarrier(message, () => opts.handler(delivery));
  } catch (err) {
    const history = [...delivery.history, { attempt: delivery.attempt, at: new Date().toISOString(), error: describeError(err) }];
    if (err instanceof DeadLetterError) return { action: 'dead', reason: err.reason, history };
    const policy = opts.retry ?? DEFAULT_RETRY;
    if (delivery.attempt >= policy.maxAttempts) return { action: 'dead', reason: 'attempts-exhausted', history };
    return { action: 'retry', delayMs: retryDelay(policy, delivery.attempt), history };
  }
  // A step recorded it with its own transaction (Settlement): nothing more to record.
  if (delivery.recorded) return { action: 'ack' };
  if (recordOnAck) return { action: 'ack', record: { consumer, eventId: message.eventId } };
  await processed.recordProcessed(consumer, message.eventId);
  return { action: 'ack' };
}

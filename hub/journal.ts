/**
 * Durable execution of external calls: the outcome of each call is journaled per order and
 * step, so a message delivered again after a crash or a redeploy resumes instead of repeating a
 * ministry call or a payment.
 *
 * - A step that succeeded returns its recorded result; the provider is not called again.
 * - A step that failed for good (a business refusal, a contract violation) throws the recorded
 *   failure again.
 * - A step that started but has no outcome (the process died during the call, or the call failed
 *   transiently) is called again with the SAME idempotency key, `<order id>:<step>`, so a
 *   provider that honours idempotency keys (X-Road `id`, `Idempotency-Key`) does the work once.
 */
import type { JournalEntry, StepJournal } from './store';

export interface RecordedFailure {
  code: string;
  message: string;
  /** Safe fields of the error (reason, provider code, status, fault code), never provider texts. */
  [field: string]: unknown;
}

/** A step's failure, as journaled the first time it happened. */
export class RecordedStepFailure extends Error {
  constructor(readonly recorded: RecordedFailure) {
    super(recorded.message);
    this.name = 'RecordedStepFailure';
  }
  get code(): string {
    return this.recorded.code;
  }
}

export interface StepCall {
  /** The same on every attempt of this order's step. */
  idempotencyKey: string;
  /** 1 the first time the step's call starts. */
  attempt: number;
}

export interface StepResult<T> {
  value: T;
  /** The value was recorded by an earlier delivery; nothing was called now. */
  replayed: boolean;
}

export const stepKey = (orderId: string, step: string): string => `${orderId}:${step}`;

/** Which errors end a step for good (journaled and thrown again on redelivery). */
export type IsFinal = (err: unknown) => boolean;

export const finalUnlessTransient: IsFinal = (err) => (err as { transient?: unknown })?.transient === false;

export function recordFailure(err: unknown): RecordedFailure {
  const e = err as Record<string, unknown> & { toJSON?: () => Record<string, unknown> };
  const fields = typeof e?.toJSON === 'function' ? e.toJSON() : {};
  return { ...fields, code: String(e?.code ?? 'error'), message: String(e?.message ?? err) };
}

export async function runStepOnce<T>(store: StepJournal, orderId: string, step: string, call: (c: StepCall) => Promise<T>, isFinal: IsFinal = finalUnlessTransient): Promise<StepResult<T>> {
  // Started (again) unless it finished: a redelivery of a finished step gets its recorded outcome.
  const started = await store.journalStart(orderId, step);
  if (started.status === 'succeeded') return { value: started.outcome as T, replayed: true };
  if (started.status === 'failed') throw new RecordedStepFailure(started.outcome as RecordedFailure);
  let value: T;
  try {
    value = await call({ idempotencyKey: stepKey(orderId, step), attempt: started.attempts });
  } catch (err) {
    if (isFinal(err)) await store.journalFinish(orderId, step, 'failed', recordFailure(err));
    throw err;
  }
  await store.journalFinish(orderId, step, 'succeeded', value);
  return { value, replayed: false };
}

/**
 * Whether the hub made (or is making) this step's request: its journal entry exists and did not
 * fail. An answer to it — a provider's callback — may then arrive before the order records the
 * step; it is early, not unknown.
 */
export function ownRequest(entry: JournalEntry | undefined): boolean {
  return entry !== undefined && entry.status !== 'failed';
}

/**
 * Observability hook: every connector call ends in one CallRecord (provider, operation,
 * endpoint, outcome, status, attempts, duration, request/response sizes, start time) — what
 * X-Road's operational monitoring keeps per request — handed to whoever observes: the metrics
 * and dashboard of later issues, tests.
 *
 * Reporting never fails a call: an observer that throws is reported once as a process warning
 * (without the record) and keeps receiving records. The endpoint is reduced to scheme, host,
 * port and path, so credentials in user-info or an API key in the query never travel further.
 */
import type { CallObserver, CallRecord } from './connector';

const observers = new Set<CallObserver>();
const warned = new WeakSet<CallObserver>();

export function reportCall(record: CallRecord): void {
  if (observers.size === 0) return;
  const safe: CallRecord = { ...record, endpoint: safeEndpoint(record.endpoint) };
  for (const o of observers) {
    try {
      o(safe);
    } catch {
      if (!warned.has(o)) {
        warned.add(o);
        process.emitWarning('a connector call observer threw; its error is ignored', { code: 'WASL_OBSERVER_FAILED' });
      }
    }
  }
}

/** Adds an observer; returns the function that removes it. */
export function observeCalls(listener: CallObserver): () => void {
  observers.add(listener);
  return () => {
    observers.delete(listener);
  };
}

export function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

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
const bodyCaptures = new Set<(provider: string) => boolean>();
/** A body kept for the audit trail stops here, marked: a ministry's large document is not the point of an audit. */
export const MAX_CAPTURED_BODY = 256 * 1024;
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

/**
 * Asks every connector to attach the bodies it exchanges with these providers ('*': all) to its
 * call records; returns the function that stops asking. The hub asks when WASL_AUDIT_BODIES
 * names providers, and encrypts what it receives before storing it.
 */
export function captureBodies(providers: readonly string[]): () => void {
  const all = providers.includes('*');
  const named = new Set(providers);
  const wants = (provider: string) => all || named.has(provider);
  bodyCaptures.add(wants);
  return () => {
    bodyCaptures.delete(wants);
  };
}

export function wantsBodies(provider: string): boolean {
  for (const w of bodyCaptures) if (w(provider)) return true;
  return false;
}

/** An exchange's bodies as text for a CallRecord, each cut at MAX_CAPTURED_BODY. */
export function capturedBodies(request: Buffer | string | undefined, response: Buffer | string | undefined): NonNullable<CallRecord['bodies']> {
  const text = (body: Buffer | string | undefined): string | undefined => {
    if (body === undefined || body.length === 0) return undefined;
    const t = typeof body === 'string' ? body : body.subarray(0, MAX_CAPTURED_BODY + 1).toString('utf8');
    return t.length > MAX_CAPTURED_BODY ? `${t.slice(0, MAX_CAPTURED_BODY)}…[cut at ${MAX_CAPTURED_BODY} characters]` : t;
  };
  const req = text(request);
  const res = text(response);
  return { ...(req !== undefined ? { request: req } : {}), ...(res !== undefined ? { response: res } : {}) };
}

export function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

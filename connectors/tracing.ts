/**
 * A span per provider call (README, "Tracing"): CLIENT kind, named by provider and operation,
 * child of whatever is active (a flow stage, a gateway request), each attempt an event, ended
 * with the call's record (outcome code, fault code, status, attempts). The W3C `traceparent`
 * sent to the provider names this span.
 *
 * Connectors know no hub: they speak to the OpenTelemetry API alone. Without an SDK registered
 * (the hub does not trace) the API's no-op tracer answers: no span records, nothing is injected,
 * and nothing here does more than ask whether the span records.
 *
 * Attributes are ids, codes and statuses: never a body, a name or a national number.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { CallRecord } from './connector';

/** Starts a call's span; undefined when it does not record (no SDK, or not sampled). */
export function startCallSpan(kind: 'rest' | 'soap', provider: string, operation: string, endpoint: string, orderId?: string): Span | undefined {
  // Asked per call, not kept: a tracer taken before the SDK was registered would stay bound to what it found then.
  const span = trace.getTracer('wasl-connectors').startSpan(`${provider} ${operation}`, { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return undefined;
  span.setAttribute('wasl.provider', provider);
  span.setAttribute('wasl.operation', operation);
  span.setAttribute('wasl.connector', kind);
  if (orderId) span.setAttribute('wasl.order.id', orderId);
  try {
    const u = new URL(endpoint);
    span.setAttribute('server.address', u.hostname);
    if (u.port) span.setAttribute('server.port', Number(u.port));
  } catch {
    // An endpoint that is not a URL fails the call itself; the span just lacks the address.
  }
  return span;
}

/** An attempt begins (the first, or a retry). */
export function attemptEvent(span: Span | undefined, attempt: number): void {
  span?.addEvent('attempt', { 'wasl.attempt': attempt });
}

/** Adds the trace context (this call's span as the parent) to the request's headers; nothing when tracing is off. */
export function injectTrace(span: Span | undefined, headers: Record<string, string>): void {
  propagation.inject(span ? trace.setSpan(context.active(), span) : context.active(), headers);
}

/** Ends a call's span with what its record says. */
export function endCallSpan(span: Span | undefined, record: Pick<CallRecord, 'outcome' | 'faultCode' | 'status' | 'attempts' | 'durationMs'>): void {
  if (!span) return;
  span.setAttribute('wasl.outcome', record.outcome);
  if (record.faultCode) span.setAttribute('wasl.fault.code', record.faultCode);
  if (record.status !== undefined) span.setAttribute('http.response.status_code', record.status);
  span.setAttribute('wasl.attempts', record.attempts);
  // A refusal is the provider's answer, not a failure of the exchange.
  if (record.outcome !== 'success' && record.outcome !== 'business-refusal') span.setStatus({ code: SpanStatusCode.ERROR, message: record.outcome });
  span.end();
}

/** What the audit trail records of each kind of event: ids, codes and statuses, never a citizen's data. */
import type { Order, TimelineEvent } from '../../contracts/types';
import type { CallRecord } from '../../connectors/connector';
import type { BodyKey } from './bodies';
import type { AuditEntry } from './chain';

export function stepEntry(order: Pick<Order, 'id' | 'service'>, step: TimelineEvent): AuditEntry {
  return {
    at: step.at,
    kind: 'order.step',
    actor: `${step.actor.kind}:${step.actor.id}`,
    subject: order.id,
    data: { service: order.service.code, seq: step.seq, event: step.event, status: step.status, ...(step.from ? { from: step.from } : {}), ...(step.reason?.code ? { reason: step.reason.code } : {}) },
  };
}

/** A provider exchange's metadata, and its bodies sealed with `key` when the record carries them (WASL_AUDIT_BODIES). */
export function callEntry(r: CallRecord, key?: BodyKey): AuditEntry {
  const subject = r.orderId ?? `provider:${r.provider}`;
  return {
    at: r.startedAt,
    kind: 'provider.call',
    actor: 'system:connector',
    subject,
    data: {
      provider: r.provider,
      operation: r.operation,
      endpoint: r.endpoint,
      outcome: r.outcome,
      ...(r.status !== undefined ? { status: r.status } : {}),
      attempts: r.attempts,
      durationMs: r.durationMs,
      requestBytes: r.requestBytes,
      responseBytes: r.responseBytes,
      ...(r.bodies && key ? { bodies: key.seal(r.bodies, subject) } : {}),
    },
  };
}

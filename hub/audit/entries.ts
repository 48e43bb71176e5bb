/** What the audit trail records of each kind of event: ids, codes and statuses, never a citizen's data. */
import type { Order, TimelineEvent } from '../../contracts/types';
import type { CallRecord } from '../../connectors/connector';
import type { BodyKey } from './bodies';
import type { AuditEntry } from './chain';

export function stepEntry(order: Pick<Order, 'id' | 'service'> & Partial<Pick<Order, 'results'>>, step: TimelineEvent): AuditEntry {
  const documents = stepDocuments(order);
  return {
    at: step.at,
    kind: 'order.step',
    actor: `${step.actor.kind}:${step.actor.id}`,
    subject: order.id,
    data: {
      service: order.service.code,
      seq: step.seq,
      event: step.event,
      status: step.status,
      ...(step.from ? { from: step.from } : {}),
      ...(step.reason?.code ? { reason: step.reason.code } : {}),
      ...(documents.length ? { documents } : {}),
    },
  };
}

/**
 * The documents the order holds at this step that wasl stored and checked (those with a SHA-256:
 * wasl-order-update checked each against the document store): the store's id and the hash, never
 * the type, issuer or anything the document says. Every step repeats them, so the step that
 * delivered the order attests in the chain which content was delivered — and after the
 * retention, when the content is purged, the chain still proves what it was.
 */
function stepDocuments(order: Partial<Pick<Order, 'results'>>): Array<{ id: string; sha256: string }> {
  return (order.results?.documents ?? []).filter((d) => d.sha256 !== undefined).map((d) => ({ id: d.reference, sha256: d.sha256! }));
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

/**
 * The audit trail's chain: every record carries the hash of the one before it, and its own hash
 * covers that link and everything it says, so a record cannot be altered, removed or slipped in
 * without the chain showing where. Records hold codes and ids — who (actor), what (kind), about
 * what (subject: an order id, a provider) and the facts (statuses, reason codes, call outcomes) —
 * never a citizen's data.
 *
 *   hash = SHA-256( prev + "\n" + canonical JSON of { seq, at, kind, actor, subject, data } )
 *
 * The first record links to GENESIS. A day is sealed by the hash of its last record
 * (`sealDay`), which, chained, stands for the whole day before it.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';

export const GENESIS = '0'.repeat(64);

export type AuditKind = 'order.step' | 'provider.call' | 'operator.action';

export interface AuditEntry {
  at: string;
  kind: AuditKind;
  /** `channel:<id>`, `system:<component>`, `provider:<code>`, `operator:<user>`. */
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  prev: string;
  hash: string;
}

export interface AuditSeal {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  lastSeq: number;
  /** The hash of the day's last record. */
  hash: string;
  sealedAt: string;
}

export function hashOf(prev: string, r: Omit<AuditRecord, 'prev' | 'hash'>): string {
  const body = stringify({ seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, subject: r.subject, data: r.data }) ?? '';
  return createHash('sha256').update(`${prev}\n${body}`).digest('hex');
}

/**
 * The hashed body of an entry around its seq (prefix + seq + suffix), for a store that numbers
 * the record itself (PostgreSQL's wasl_audit_append): the stable JSON's keys are sorted, so the
 * seq comes just before the subject, the last key.
 */
export function bodyAroundSeq(entry: AuditEntry): { prefix: string; suffix: string } {
  const full = stringify({ seq: 0, at: entry.at, kind: entry.kind, actor: entry.actor, subject: entry.subject, data: entry.data }) ?? '';
  const suffix = `,"subject":${stringify(entry.subject)}}`;
  const prefix = full.slice(0, full.length - suffix.length - 1);
  if (!prefix.endsWith('"seq":') || `${prefix}0${suffix}` !== full) throw new Error('audit entry: its JSON does not end with seq and subject');
  return { prefix, suffix };
}

/** The record that follows `head` (undefined: the first). */
export function chain(head: Pick<AuditRecord, 'seq' | 'hash'> | undefined, entry: AuditEntry): AuditRecord {
  const seq = (head?.seq ?? 0) + 1;
  const prev = head?.hash ?? GENESIS;
  return { seq, prev, ...entry, hash: hashOf(prev, { seq, ...entry }) };
}

export type Finding =
  | { kind: 'altered'; seq: number; detail: string }
  | { kind: 'removed'; seq: number; detail: string }
  | { kind: 'inserted'; seq: number; detail: string };

/**
 * Walks records in seq order (as stored) and names the first one that breaks the chain:
 * - altered: its hash is not that of its content (a byte changed);
 * - inserted: a forged record slipped in, the records after it renumbered — the next one's hash
 *   is right for the seq it had before;
 * - removed: a seq is missing, or the records after a removed one were renumbered down, or a
 *   record links to a hash the one before it does not have.
 * `before` is the record preceding the range (to verify a window), undefined from the start.
 */
export function verify(records: Iterable<AuditRecord>, before?: Pick<AuditRecord, 'seq' | 'hash'>): { checked: number; finding?: Finding; last?: Pick<AuditRecord, 'seq' | 'hash'> } {
  let last: Pick<AuditRecord, 'seq' | 'hash'> | undefined = before;
  let checked = 0;
  for (const r of records) {
    if (hashOf(r.prev, r) !== r.hash) {
      if (hashOf(r.prev, { ...r, seq: r.seq - 1 }) === r.hash) return { checked, finding: { kind: 'inserted', seq: r.seq - 1, detail: `record ${r.seq - 1} was inserted: record ${r.seq} is the original record ${r.seq - 1}, renumbered` } };
      if (hashOf(r.prev, { ...r, seq: r.seq + 1 }) === r.hash) return { checked, finding: { kind: 'removed', seq: r.seq, detail: `record ${r.seq} was removed: the record now numbered ${r.seq} is the original ${r.seq + 1}, renumbered` } };
      return { checked, finding: { kind: 'altered', seq: r.seq, detail: `record ${r.seq} does not match its hash: its content was changed` } };
    }
    if (last && r.seq !== last.seq + 1) return { checked, finding: { kind: 'removed', seq: last.seq + 1, detail: `record${r.seq - 1 > last.seq + 1 ? `s ${last.seq + 1}–${r.seq - 1} are` : ` ${last.seq + 1} is`} missing: the chain goes from ${last.seq} to ${r.seq}` } };
    if (r.prev !== (last?.hash ?? GENESIS)) return { checked, finding: { kind: 'altered', seq: r.seq, detail: `record ${r.seq} does not link to record ${last?.seq ?? 'the start'}: the chain was rewritten there` } };
    last = r;
    checked++;
  }
  return { checked, ...(last ? { last } : {}) };
}

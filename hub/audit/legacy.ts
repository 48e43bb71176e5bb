/**
 * The records written before the keyed chains (docs/audit.md, "Upgrading"): one chain of unkeyed
 * SHA-256 hashes, kept by the migration in audit_log_v1 as they were. They are verified as they
 * always were — which proves them against a mistake, not against whoever could write the database
 * then — and reported apart, with their count.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { AuditEntry } from './chain';

const GENESIS = '0'.repeat(64);

export interface LegacyRecord extends AuditEntry {
  seq: number;
  prev: string;
  hash: string;
}

function hashOf(prev: string, r: Omit<LegacyRecord, 'prev' | 'hash'>): string {
  const body = stringify({ seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, subject: r.subject, data: r.data }) ?? '';
  return createHash('sha256').update(`${prev}\n${body}`).digest('hex');
}

/** The first legacy record that does not hold (by its seq), or none. */
export function verifyLegacy(records: readonly LegacyRecord[]): { checked: number; brokenAt?: number } {
  let last: LegacyRecord | undefined;
  for (const r of records) {
    if (hashOf(r.prev, r) !== r.hash || r.prev !== (last?.hash ?? GENESIS) || (last && r.seq !== last.seq + 1)) return { checked: last ? records.indexOf(last) + 1 : 0, brokenAt: r.seq };
    last = r;
  }
  return { checked: records.length };
}

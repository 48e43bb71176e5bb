/**
 * The audit trail over a store: verifying the whole chain (and the day seals against it), and
 * sealing the days that are over. The chain is always recomputed from its first record, so a
 * window (`from`, `to`) is proven against everything before it; only the window's records are
 * counted.
 */
import type { AuditStore } from '../store';
import { verify, type AuditRecord, type Finding } from './chain';

const PAGE = 5000;

export interface Verification {
  /** Records checked in the window. */
  checked: number;
  /** The first break of the chain, or a seal the chain no longer matches. */
  finding?: Finding | { kind: 'seal'; seq: number; detail: string };
  lastSeq?: number;
}

export async function verifyTrail(store: AuditStore, window: { from?: Date; to?: Date } = {}): Promise<Verification> {
  let before: Pick<AuditRecord, 'seq' | 'hash'> | undefined;
  let checked = 0;
  const bySeq = new Map<number, string>();
  const seals = await store.auditSeals();
  const wanted = new Set(seals.map((s) => s.lastSeq));
  for (;;) {
    const page = await store.readAudit({ ...(before ? { afterSeq: before.seq } : {}), ...(window.to ? { to: window.to } : {}), limit: PAGE });
    if (page.length === 0) break;
    const r = verify(page, before);
    checked += page.filter((x) => !window.from || Date.parse(x.at) >= window.from.getTime()).slice(0, r.checked).length;
    if (r.finding) return { checked, finding: r.finding };
    for (const x of page) if (wanted.has(x.seq)) bySeq.set(x.seq, x.hash);
    before = r.last;
    if (page.length < PAGE) break;
  }
  for (const s of seals) {
    const h = bySeq.get(s.lastSeq);
    if (h !== undefined && h !== s.hash) return { checked, finding: { kind: 'seal', seq: s.lastSeq, detail: `the seal of ${s.day} does not match record ${s.lastSeq}: the day was rewritten after it was sealed` } };
  }
  return { checked, ...(before ? { lastSeq: before.seq } : {}) };
}

/** Seals every whole UTC day before `now` that has records and no seal yet; returns the days sealed. */
export async function sealDays(store: AuditStore, now = new Date()): Promise<string[]> {
  const today = now.toISOString().slice(0, 10);
  const sealed = new Set((await store.auditSeals()).map((s) => s.day));
  const lastOfDay = new Map<string, AuditRecord>();
  let after: number | undefined;
  for (;;) {
    const page = await store.readAudit({ ...(after !== undefined ? { afterSeq: after } : {}), to: new Date(`${today}T00:00:00Z`), limit: PAGE });
    for (const r of page) lastOfDay.set(r.at.slice(0, 10), r);
    if (page.length < PAGE) break;
    after = page.at(-1)!.seq;
  }
  const out: string[] = [];
  for (const [day, r] of [...lastOfDay].sort()) {
    if (sealed.has(day)) continue;
    if (await store.sealAuditDay({ day, lastSeq: r.seq, hash: r.hash, sealedAt: now.toISOString() })) out.push(day);
  }
  return out;
}

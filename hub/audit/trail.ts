/**
 * The audit trail over a store (docs/audit.md): verifying every shard's chain against the seals
 * of a witness, sealing the heads, and the export an auditor verifies offline.
 *
 * Verification always walks each chain from its start (an export: from the place it begins,
 * whose link the first record carries), so a window (`from`, `to`) only says which records are
 * counted. A record altered, removed or inserted is named by its chain (chain.ts verifyShard);
 * a sealed place whose record is not the one sealed, or that is gone (truncated at the tail), by
 * the seal; what came after the last seal is counted as not yet sealed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import stringify from 'safe-stable-stringify';
import type { AuditStore } from '../store';
import { GENESIS, recordName, verifyShard, type AuditRecord, type ChainedRecord, type ChainHead, type Finding } from './chain';
import type { AuditKeys } from './keys';
import { verifyLegacy, type LegacyRecord } from './legacy';
import { appendWitness, checkSeal, lastWitnessSeal, makeSeal, postWitness, sealHash, type Seal } from './seal';

const PAGE = 5000;

export type SealFinding = { kind: 'seal' | 'truncated' | 'witness'; detail: string; n?: number; shard?: number; shardSeq?: number };

export interface Verification {
  /** Records checked (those in the window, when one is given). */
  checked: number;
  /** The first record, seal or witness line that does not hold. */
  finding?: Finding | SealFinding;
  /** Seals checked. */
  seals: number;
  lastSeal?: { n: number; at: string };
  /** Records after the last seal, not yet sealed. */
  unsealed: number;
  /** Shards with records. */
  shards: number;
  /** The records of the unkeyed chain before the shards, when there are any. */
  legacy?: { records: number; brokenAt?: number };
}

/** A witness's lines, as read (a line that is not a seal is a finding). */
export type WitnessEntry = { line: number; seal?: Seal; error?: string };

interface SealedPoint {
  hash: string;
  n: number;
}

/** Checks the seals in order: each signed by a trusted key, numbered without gaps, linked to the one before. */
function checkSeals(entries: readonly WitnessEntry[], trustedKeys: readonly string[]): { finding?: SealFinding; points: Map<number, Map<number, SealedPoint>>; last?: Seal } {
  const points = new Map<number, Map<number, SealedPoint>>();
  let last: Seal | undefined;
  for (const e of entries) {
    if (!e.seal) return { points, finding: { kind: 'witness', detail: `witness line ${e.line} is ${e.error ?? 'not a seal'}` } };
    const s = e.seal;
    const signed = checkSeal(s, trustedKeys);
    if (signed === 'untrusted') return { points, finding: { kind: 'seal', n: s.n, detail: `seal ${s.n} (witness line ${e.line}) is signed by key ${s.signature?.keyId}, which is not trusted: it was not made by this hub` } };
    if (signed === 'invalid') return { points, finding: { kind: 'seal', n: s.n, detail: `seal ${s.n} (witness line ${e.line}) does not match its signature: it was forged or changed` } };
    const n = (last?.n ?? 0) + 1;
    if (last && s.n !== n) return { points, finding: { kind: 'seal', n, detail: `seal ${n} is missing from the witness: seal ${last.n} is followed by seal ${s.n} (line ${e.line})` } };
    if (s.prev !== (last ? sealHash(last) : GENESIS) && (last || s.n === 1)) return { points, finding: { kind: 'seal', n: s.n, detail: `seal ${s.n} (witness line ${e.line}) does not follow seal ${last?.n ?? 'the start'}` } };
    for (const h of s.heads) {
      let m = points.get(h.shard);
      if (!m) points.set(h.shard, (m = new Map()));
      const was = m.get(h.shardSeq);
      if (was && was.hash !== h.hash) return { points, finding: { kind: 'seal', n: s.n, shard: h.shard, shardSeq: h.shardSeq, detail: `seals ${was.n} and ${s.n} sign two different records at ${h.shard}/${h.shardSeq}` } };
      if (!was) m.set(h.shardSeq, { hash: h.hash, n: s.n });
    }
    last = s;
  }
  return { points, ...(last ? { last } : {}) };
}

/** Where each shard's records begin and end: the whole trail (a store) or an export's ranges. */
export interface ChainBounds {
  /** The head before a shard's first record given (an export's anchor); absent: the shard's start. */
  anchor?(shard: number): Omit<ChainHead, 'shard'> | undefined;
  /** The last place of a shard the records must reach; absent: wherever they end (sealed places after that are truncation). */
  end?(shard: number): number | undefined;
}

/** Verifies chains read page by page in chain order (by shard, then place) against checked seals. */
export async function verifyChains(
  pages: AsyncIterable<Array<AuditRecord | ChainedRecord>>,
  opts: { keys?: AuditKeys; witness: readonly WitnessEntry[]; trustedKeys: readonly string[]; from?: Date; to?: Date; bounds?: ChainBounds },
): Promise<Verification> {
  const seals = checkSeals(opts.witness, opts.trustedKeys);
  const sealInfo = { seals: opts.witness.filter((e) => e.seal).length, ...(seals.last ? { lastSeal: { n: seals.last.n, at: seals.last.at } } : {}) };
  let checked = 0;
  let unsealed = 0;
  const heads = new Map<number, Omit<ChainHead, 'shard'>>();
  const inWindow = (r: { at: string }) => (!opts.from || Date.parse(r.at) >= opts.from.getTime()) && (!opts.to || Date.parse(r.at) < opts.to.getTime());
  const done = (finding?: Finding | SealFinding): Verification => ({ checked, unsealed, shards: heads.size, ...sealInfo, ...(finding ? { finding } : {}) });
  if (seals.finding) return done(seals.finding);
  for await (const page of pages) {
    const byShard = new Map<number, Array<AuditRecord | ChainedRecord>>();
    for (const r of page) byShard.set(r.shard, [...(byShard.get(r.shard) ?? []), r]);
    for (const [shard, records] of byShard) {
      const before = heads.has(shard) ? heads.get(shard) : opts.bounds?.anchor?.(shard);
      const v = verifyShard(records, opts.keys, before);
      checked += records.slice(0, v.checked).filter(inWindow).length;
      if (v.finding) return done(v.finding);
      const sealed = seals.points.get(shard);
      for (const r of records) {
        const p = sealed?.get(r.shardSeq);
        if (p && p.hash !== r.hash) return done({ kind: 'seal', n: p.n, shard, shardSeq: r.shardSeq, detail: `${recordName(r)} is not the record seal ${p.n} signed: the chain was rewritten up to there` });
      }
      if (v.last) heads.set(shard, v.last);
    }
  }
  for (const [shard, sealed] of seals.points) {
    const head = heads.get(shard) ?? opts.bounds?.anchor?.(shard);
    const reached = head?.shardSeq ?? 0;
    const end = opts.bounds?.end?.(shard);
    if (end !== undefined && reached < end) return done({ kind: 'truncated', shard, shardSeq: reached + 1, detail: `shard ${shard}: places ${reached + 1}–${end} are missing` });
    const beyond = [...sealed].filter(([q]) => q > reached && (end === undefined || q <= end)).sort((a, b) => a[0] - b[0]);
    if (beyond.length) {
      const [q, p] = beyond.at(-1)!;
      return done({ kind: 'truncated', n: p.n, shard, shardSeq: reached + 1, detail: `shard ${shard}: places ${reached + 1}–${q}, sealed by seal ${p.n}, are gone: the chain was truncated at its tail` });
    }
  }
  for (const [shard, head] of heads) {
    const sealedUpTo = Math.max(0, ...[...(seals.points.get(shard)?.keys() ?? [])].filter((q) => q <= head.shardSeq));
    const start = opts.bounds?.anchor?.(shard)?.shardSeq ?? 0;
    unsealed += head.shardSeq - Math.max(sealedUpTo, start);
  }
  return done();
}

async function* storeChains(store: AuditStore): AsyncIterable<AuditRecord[]> {
  let after: { shard: number; shardSeq: number } | undefined;
  for (;;) {
    const page = await store.readAuditChains({ ...(after ? { after } : {}), limit: PAGE });
    if (page.length === 0) return;
    yield page;
    const last = page.at(-1)!;
    after = { shard: last.shard, shardSeq: last.shardSeq };
    if (page.length < PAGE) return;
  }
}

async function legacyOf(store: AuditStore): Promise<Verification['legacy']> {
  const records: LegacyRecord[] = [];
  for (;;) {
    const page = await store.readLegacyAudit({ ...(records.length ? { afterSeq: records.at(-1)!.seq } : {}), limit: PAGE });
    records.push(...page);
    if (page.length < PAGE) break;
  }
  if (records.length === 0) return undefined;
  const v = verifyLegacy(records);
  return { records: records.length, ...(v.brokenAt !== undefined ? { brokenAt: v.brokenAt } : {}) };
}

/**
 * The store's trail against a witness (its lines; without one, the store's own copies of the
 * seals — which prove less: the caller says so). `keys`: the chain keys (the MACs are checked).
 */
export async function verifyTrail(store: AuditStore, opts: { keys: AuditKeys; witness?: readonly WitnessEntry[]; trustedKeys?: readonly string[]; from?: Date; to?: Date }): Promise<Verification> {
  const witness = opts.witness ?? (await store.auditSeals()).map((seal, i) => ({ line: i + 1, seal }));
  const v = await verifyChains(storeChains(store), { keys: opts.keys, witness, trustedKeys: opts.trustedKeys ?? [opts.keys.publicKey], ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
  const legacy = await legacyOf(store);
  return { ...v, ...(legacy ? { legacy } : {}) };
}

export interface WitnessTargets {
  /** WASL_AUDIT_WITNESS */
  file?: string;
  /** WASL_AUDIT_WITNESS_URL */
  url?: string;
}

/**
 * Seals every shard's head now, when any moved since the last seal: the seal goes to the store's
 * copies (which numbers it: a seal made at the same moment by another process wins, and this one
 * is dropped), then to the witness file — with any earlier seal it lacks — and the endpoint.
 * Returns the seal made, if any.
 */
export async function sealTrail(store: AuditStore, keys: AuditKeys, witness: WitnessTargets, now = new Date()): Promise<Seal | undefined> {
  // Only the last seal of each is read: both grow by one every few minutes for years.
  const lastCopy = await store.lastAuditSeal();
  const tail = witness.file ? lastWitnessSeal(witness.file) : undefined;
  const inFile = tail && checkSeal(tail, [keys.publicKey]) === 'verified' ? tail : undefined;
  // The witness outlives the store's copies: if they were deleted, sealing goes on from the witness's last.
  const previous = [lastCopy, inFile].filter((s): s is Seal => !!s).sort((a, b) => b.n - a.n)[0];
  const heads = await store.auditHeads();
  const same = previous && stringify(previous.heads) === stringify([...heads].sort((a, b) => a.shard - b.shard));
  let seal: Seal | undefined;
  if (!same && heads.length > 0) {
    seal = makeSeal(previous, heads, keys, now);
    if (!(await store.addAuditSeal(seal))) seal = undefined;
  }
  if (witness.file) {
    // The copies the file lacks (a process gone between the store and the file), then this seal.
    const missed = await store.auditSeals(inFile?.n ?? 0);
    appendWitness(witness.file, missed.filter((s) => checkSeal(s, [keys.publicKey]) === 'verified'));
  }
  if (witness.url && seal) await postWitness(witness.url, [seal]);
  return seal;
}

/** The header line of an export: where each shard's records begin (the link before them) and end. */
export interface ExportHeader {
  format: 'wasl-audit-export/1';
  exportedAt: string;
  from?: string;
  to?: string;
  publicKey: string;
  shards: Array<{ shard: number; first: number; prev: string; last: number }>;
}

/**
 * Writes an export for an auditor (JSON lines: the header, then each record, then every seal):
 * each shard's records from the first in the window to the first sealed place at or after its
 * last in the window (so that a seal covers them, when one does), in chain order.
 */
export async function exportTrail(store: AuditStore, keys: AuditKeys, file: string, window: { from?: Date; to?: Date }, now = new Date()): Promise<{ records: number; seals: number }> {
  const seals = await store.auditSeals();
  const sealedPlaces = new Map<number, number[]>();
  for (const s of seals) for (const h of s.heads) sealedPlaces.set(h.shard, [...(sealedPlaces.get(h.shard) ?? []), h.shardSeq]);
  const inWindow = (r: AuditRecord) => (!window.from || Date.parse(r.at) >= window.from.getTime()) && (!window.to || Date.parse(r.at) < window.to.getTime());
  // Each shard's range: from its first record in the window to the first sealed place at or after its last.
  const range = new Map<number, { first: number; last: number }>();
  for await (const page of storeChains(store)) {
    for (const r of page.filter(inWindow)) {
      const was = range.get(r.shard);
      range.set(r.shard, { first: was?.first ?? r.shardSeq, last: r.shardSeq });
    }
  }
  for (const [shard, rg] of range) {
    const cover = (sealedPlaces.get(shard) ?? []).filter((q) => q >= rg.last).sort((a, b) => a - b)[0];
    if (cover !== undefined) rg.last = cover;
  }
  const chosen = new Map<number, AuditRecord[]>();
  for await (const page of storeChains(store)) {
    for (const r of page) {
      const rg = range.get(r.shard);
      if (rg && r.shardSeq >= rg.first && r.shardSeq <= rg.last) chosen.set(r.shard, [...(chosen.get(r.shard) ?? []), r]);
    }
  }
  const header: ExportHeader = {
    format: 'wasl-audit-export/1',
    exportedAt: now.toISOString(),
    ...(window.from ? { from: window.from.toISOString() } : {}),
    ...(window.to ? { to: window.to.toISOString() } : {}),
    publicKey: keys.publicKey,
    shards: [...chosen].sort((a, b) => a[0] - b[0]).map(([shard, rs]) => ({ shard, first: rs[0]!.shardSeq, prev: rs[0]!.prev, last: rs.at(-1)!.shardSeq })),
  };
  const fd = openSync(file, 'w', 0o600);
  let records = 0;
  try {
    writeSync(fd, `${stringify(header)}\n`);
    for (const [, rs] of [...chosen].sort((a, b) => a[0] - b[0])) {
      for (const r of rs) {
        const { seq: _seq, ...chained } = r;
        writeSync(fd, `${stringify({ record: chained })}\n`);
        records++;
      }
    }
    for (const s of seals) writeSync(fd, `${stringify({ seal: s })}\n`);
  } finally {
    closeSync(fd);
  }
  return { records, seals: seals.length };
}

/** Reads an export (exportTrail's file, as an auditor received it). */
export function readExport(text: string): { header: ExportHeader; records: ChainedRecord[]; witness: WitnessEntry[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parse = (l: string, i: number) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${i + 1} of the export is not JSON`);
    }
  };
  const [first, ...rest] = lines.map(parse);
  const header = first as unknown as ExportHeader;
  if (header?.format !== 'wasl-audit-export/1' || !Array.isArray(header.shards)) throw new Error('not a wasl audit export (its first line is not the header)');
  const records: ChainedRecord[] = [];
  const witness: WitnessEntry[] = [];
  rest.forEach((v, i) => {
    if (v.record) records.push(v.record as ChainedRecord);
    else if (v.seal) witness.push({ line: i + 2, seal: v.seal as Seal });
    else witness.push({ line: i + 2, error: 'neither a record nor a seal' });
  });
  return { header, records, witness };
}

/**
 * Verifies an export with the seal's public key alone — no database, no secret: the seals'
 * signatures and sequence, each shard's chain of hashes from the link its first record carries
 * to its last, and every sealed place in it. The MACs need the chain key and are not checked:
 * the seals stand for them.
 */
export async function verifyExport(text: string, publicKey: string): Promise<Verification> {
  const { header, records, witness } = readExport(text);
  const ranges = new Map(header.shards.map((s) => [s.shard, s]));
  for (const r of records) if (!ranges.has(r.shard)) return { checked: 0, unsealed: 0, shards: 0, seals: 0, finding: { kind: 'witness', detail: `record ${recordName(r)} is of a shard the header does not list` } };
  async function* pages() {
    yield [...records].sort((a, b) => a.shard - b.shard || a.shardSeq - b.shardSeq);
  }
  return verifyChains(pages(), {
    witness,
    trustedKeys: [publicKey],
    bounds: {
      anchor: (shard) => {
        const s = ranges.get(shard);
        return s ? { shardSeq: s.first - 1, hash: s.prev } : undefined;
      },
      end: (shard) => ranges.get(shard)?.last,
    },
  });
}

/**
 * The audit trail's chains (docs/audit.md). Records go to one of several chains — shards — each
 * with its own head and lock, so that no append waits for an unrelated order: operator actions to
 * shard 0, every other record to the shard its subject (an order id, a provider) hashes to. In its
 * shard, a record carries the hash of the one before it and two digests of its own:
 *
 *   hash = SHA-256( prev + "\n" + canonical JSON of { shard, shardSeq, at, kind, actor, subject, data } )
 *   mac  = HMAC-SHA256( chain key[keyId], hash )
 *
 * `hash` chains the records — anyone can recompute it, and the seals (seal.ts) sign the heads'
 * hashes, so an auditor holding only the seal's public key can check an export. `mac` binds each
 * hash, and so everything before it in its shard, to a key the database does not hold
 * (keys.ts): a record changed and the chain recomputed without the key is found at the first
 * record whose MAC does not hold. Records hold codes and ids, never a citizen's data.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { AuditKeys } from './keys';

export const GENESIS = '0'.repeat(64);
/** Operator actions' shard. */
export const OPERATOR_SHARD = 0;
/**
 * 256: bench:scale with two workers measured the shards' heads at 54 % of the waits inside
 * PostgreSQL with 16 shards and 2–10 % with 256 (docs/deployment.md, "The audit chain's shards").
 */
export const DEFAULT_SHARDS = 256;
/** The most shards a trail may have (PostgreSQL's audit_heads holds rows 0…MAX_SHARDS). */
export const MAX_SHARDS = 256;

/** How a store chains what it appends. */
export interface ChainOptions {
  keys: AuditKeys;
  /** Shards for records other than operator actions (1…MAX_SHARDS). */
  shards: number;
}

/** `document.download`: a document's content handed out (a channel's download, or a signed link's): hub/gateway/routes/documents.ts. */
export type AuditKind = 'order.step' | 'provider.call' | 'operator.action' | 'document.download';

export interface AuditEntry {
  at: string;
  kind: AuditKind;
  /** `channel:<id>`, `system:<component>`, `provider:<code>`, `operator:<user>`, `link:<channel>` (a signed link's download). */
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

/** Where a shard's chain ends. */
export interface ChainHead {
  shard: number;
  shardSeq: number;
  hash: string;
}

export interface AuditRecord extends AuditEntry {
  /** The store's position: the order records were appended in (reading, paging). */
  seq: number;
  shard: number;
  /** Its place in its shard's chain, from 1, without gaps. */
  shardSeq: number;
  prev: string;
  hash: string;
  mac: string;
  keyId: string;
}

export type ChainedRecord = Omit<AuditRecord, 'seq'>;

/** The shard an entry goes to: operator actions to their own, the rest by their subject's hash over `shards` (1…shards). */
export function shardOf(entry: Pick<AuditEntry, 'kind' | 'subject'>, shards = DEFAULT_SHARDS): number {
  if (entry.kind === 'operator.action') return OPERATOR_SHARD;
  return 1 + (subjectHash(entry.subject) % shards);
}

/**
 * The first 32 bits of a subject's SHA-256, remembered for the subjects seen last: an order's
 * four or five steps each ask for the same one. Bounded (cleared when full), never a record's content.
 */
const subjectHashes = new Map<string, number>();
const SUBJECT_HASHES = 4096;
function subjectHash(subject: string): number {
  let h = subjectHashes.get(subject);
  if (h === undefined) {
    h = createHash('sha256').update(subject).digest().readUInt32BE(0);
    if (subjectHashes.size >= SUBJECT_HASHES) subjectHashes.clear();
    subjectHashes.set(subject, h);
  }
  return h;
}

export function hashOf(prev: string, r: Omit<ChainedRecord, 'prev' | 'hash' | 'mac' | 'keyId'>): string {
  const body = stringify({ shard: r.shard, shardSeq: r.shardSeq, at: r.at, kind: r.kind, actor: r.actor, subject: r.subject, data: r.data }) ?? '';
  return createHash('sha256').update(`${prev}\n${body}`).digest('hex');
}

/** The record that follows `head` in `shard` (no head: the shard's first). */
export function link(shard: number, head: Omit<ChainHead, 'shard'> | undefined, entry: AuditEntry, keys: AuditKeys): ChainedRecord {
  const shardSeq = (head?.shardSeq ?? 0) + 1;
  const prev = head?.hash ?? GENESIS;
  const hash = hashOf(prev, { shard, shardSeq, ...entry });
  return { shard, shardSeq, prev, ...entry, hash, mac: keys.mac(hash), keyId: keys.current.id };
}

/**
 * Appends entries to their shards, from each shard's head as `headOf` reads it (under the
 * shard's lock, in the store); returns the records, in the entries' order, and the new heads.
 */
export function linkAll(entries: readonly AuditEntry[], shards: number, headOf: (shard: number) => Omit<ChainHead, 'shard'> | undefined, keys: AuditKeys): { records: ChainedRecord[]; heads: ChainHead[] } {
  const heads = new Map<number, Omit<ChainHead, 'shard'> | undefined>();
  const records: ChainedRecord[] = [];
  for (const e of entries) {
    const shard = shardOf(e, shards);
    const head = heads.has(shard) ? heads.get(shard) : headOf(shard);
    const r = link(shard, head, e, keys);
    heads.set(shard, { shardSeq: r.shardSeq, hash: r.hash });
    records.push(r);
  }
  return { records, heads: [...heads].map(([shard, h]) => ({ shard, ...h! })) };
}

/** The shards a batch of entries goes to, ascending (the order their locks are taken in). */
export function shardsOf(entries: readonly AuditEntry[], shards: number): number[] {
  return [...new Set(entries.map((e) => shardOf(e, shards)))].sort((a, b) => a - b);
}

export const recordName = (r: Pick<AuditRecord, 'shard' | 'shardSeq'> & { seq?: number }) => `${r.shard}/${r.shardSeq}${r.seq !== undefined ? ` (record ${r.seq})` : ''}`;

export type Finding =
  | { kind: 'altered'; shard: number; shardSeq: number; seq?: number; detail: string }
  | { kind: 'removed'; shard: number; shardSeq: number; seq?: number; detail: string }
  | { kind: 'inserted'; shard: number; shardSeq: number; seq?: number; detail: string }
  | { kind: 'unknown-key'; shard: number; shardSeq: number; seq?: number; detail: string };

/**
 * Walks one shard's records in chain order and names the first that does not hold:
 * - altered: its content does not give its hash (changed, hash left as it was), or its MAC does
 *   not hold — changed and the chain recomputed without the key, or a record before it removed
 *   or inserted and the rest renumbered and rehashed;
 * - removed: a place in the chain is missing;
 * - inserted: a record that is not the one the chain was written with (a link that does not hold);
 * - unknown-key: its key is not among the keys given (WASL_AUDIT_OLD_KEYS).
 * `keys` absent (an auditor without the chain key): the hashes and links only.
 * `before` is the head preceding the records (to verify a window), undefined from the start.
 */
export function verifyShard(records: Iterable<AuditRecord | ChainedRecord>, keys: AuditKeys | undefined, before?: Omit<ChainHead, 'shard'>): { checked: number; finding?: Finding; last?: Omit<ChainHead, 'shard'> } {
  let last = before;
  let checked = 0;
  for (const r of records) {
    const at = { shard: r.shard, shardSeq: r.shardSeq, ...('seq' in r ? { seq: r.seq } : {}) };
    const name = recordName(at);
    const expected = (last?.shardSeq ?? 0) + 1;
    if (r.shardSeq > expected) return { checked, finding: { ...at, kind: 'removed', shardSeq: expected, detail: `shard ${r.shard}: ${r.shardSeq - 1 > expected ? `places ${expected}–${r.shardSeq - 1} are` : `place ${expected} is`} missing before ${name}` } };
    if (r.shardSeq < expected) return { checked, finding: { ...at, kind: 'inserted', detail: `shard ${r.shard}: ${name} repeats a place the chain already has` } };
    if (hashOf(r.prev, r) !== r.hash) return { checked, finding: { ...at, kind: 'altered', detail: `${name}: its content does not match its hash: it was changed` } };
    if (keys) {
      const holds = keys.holds(r.hash, r.mac, r.keyId);
      if (holds === undefined) return { checked, finding: { ...at, kind: 'unknown-key', detail: `${name} is under audit key ${r.keyId}, which is not among the keys given (WASL_AUDIT_KEY, WASL_AUDIT_OLD_KEYS)` } };
      if (!holds) return { checked, finding: { ...at, kind: 'altered', detail: `${name}: its MAC does not hold: it, or the chain before it, was rewritten without the audit key` } };
    }
    if (r.prev !== (last?.hash ?? GENESIS)) return { checked, finding: { ...at, kind: 'inserted', detail: `${name} does not link to ${last ? `${r.shard}/${last.shardSeq}` : 'the start of its shard'}: the chain was rewritten there` } };
    last = { shardSeq: r.shardSeq, hash: r.hash };
    checked++;
  }
  return { checked, ...(last ? { last } : {}) };
}

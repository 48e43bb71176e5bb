/**
 * Seals of the audit trail's heads, and the witness that keeps them outside the store
 * (docs/audit.md). A seal is one JSON line:
 *
 *   { format: 1, n, at, heads: [{ shard, shardSeq, hash }…], prev, signature: { keyId, value } }
 *
 * - `heads`: every shard's head when it was sealed. They are signed as a list rather than through
 *   a Merkle root: there are a few dozen at most, and whoever checks a seal checks every shard
 *   against it anyway, so an inclusion proof would save nothing.
 * - `prev`: the SHA-256 of the seal before it (its canonical JSON, signature included), GENESIS
 *   for the first: a seal removed from the witness, or one slipped in, breaks the sequence.
 * - `signature`: Ed25519 over the canonical JSON of everything else, with the seal key
 *   (keys.ts); whoever holds its public key can check it, and no one without the hub's secret
 *   can make one.
 *
 * The witness is an append-only file (WASL_AUDIT_WITNESS: opened for appending only, one line a
 * seal, fsynced) and, optionally, an HTTP endpoint (WASL_AUDIT_WITNESS_URL, a remote log
 * collector: each line POSTed as application/json). The store keeps a copy of each seal too, so
 * that a witness that missed one (a crash between the two) is given it at the next seal — the copy
 * is signed, so a database administrator can withhold seals from it but not forge one.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import stringify from 'safe-stable-stringify';
import { request } from 'undici';
import { signBytes, verifyBytes } from '../certificate-keys';
import { GENESIS, type ChainHead } from './chain';
import { sha256, type AuditKeys } from './keys';

export interface Seal {
  format: 1;
  /** 1, 2, … without gaps. */
  n: number;
  at: string;
  heads: ChainHead[];
  prev: string;
  signature: { keyId: string; value: string };
}

export type UnsignedSeal = Omit<Seal, 'signature'>;

const canonical = (v: unknown) => Buffer.from(stringify(v) ?? '', 'utf8');

/** The hash the next seal's `prev` carries. */
export const sealHash = (s: Seal) => sha256(canonical(s));

export function makeSeal(previous: Seal | undefined, heads: readonly ChainHead[], keys: AuditKeys, at: Date): Seal {
  const unsigned: UnsignedSeal = {
    format: 1,
    n: (previous?.n ?? 0) + 1,
    at: at.toISOString(),
    heads: [...heads].sort((a, b) => a.shard - b.shard).map((h) => ({ shard: h.shard, shardSeq: h.shardSeq, hash: h.hash })),
    prev: previous ? sealHash(previous) : GENESIS,
  };
  return { ...unsigned, signature: signBytes(keys.signingKey, canonical(unsigned)) };
}

export type SealCheck = 'verified' | 'untrusted' | 'invalid';

export function checkSeal(s: Seal, trustedKeys: readonly string[]): SealCheck {
  const { signature, ...unsigned } = s;
  if (!signature || typeof signature.value !== 'string') return 'invalid';
  return verifyBytes(trustedKeys, signature, canonical(unsigned));
}

function isSeal(v: unknown): v is Seal {
  const s = v as Seal;
  return !!s && s.format === 1 && Number.isInteger(s.n) && typeof s.at === 'string' && Array.isArray(s.heads) && typeof s.prev === 'string' && typeof s.signature === 'object';
}

/** The witness file's seals, in their order; a line that is not a seal is returned by its line number. */
export function readWitness(file: string): Array<{ line: number; seal?: Seal; error?: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((l) => l.text.trim() !== '')
    .map(({ text, line }) => {
      try {
        const v = JSON.parse(text) as unknown;
        return isSeal(v) ? { line, seal: v } : { line, error: 'not a seal' };
      } catch {
        return { line, error: 'not JSON' };
      }
    });
}

/**
 * The witness file's last seal, read from its tail (the file grows by a seal every few minutes
 * for years: sealing must not read it whole). Undefined when the file has none, or its last line
 * is not a seal.
 */
export function lastWitnessSeal(file: string): Seal | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    // Grows until it holds a whole line: a seal of 257 heads is about 26 kB.
    for (let span = 64 * 1024; ; span *= 4) {
      const start = Math.max(0, size - span);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      if (lines.length === 0) return undefined;
      if (lines.length === 1 && start > 0) continue;
      try {
        const v = JSON.parse(lines.at(-1)!) as unknown;
        return isSeal(v) ? v : undefined;
      } catch {
        return undefined;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Appends seals to the witness file: opened for appending only, and flushed to disk before returning. */
export function appendWitness(file: string, seals: readonly Seal[]): void {
  if (seals.length === 0) return;
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, seals.map((s) => `${stringify(s)}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** POSTs each seal to a remote collector; throws on a refusal or a network error (the caller logs it and tries again at the next seal). */
export async function postWitness(url: string, seals: readonly Seal[], timeoutMs = 5000): Promise<void> {
  for (const s of seals) {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stringify(s), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`the audit witness at ${new URL(url).host} answered ${res.statusCode}`);
  }
}

/**
 * The audit trail's keys (docs/audit.md). Two, neither of which the database holds:
 *
 * - the **chain key**, an HMAC-SHA256 key: each record's link is a MAC under it, so whoever can
 *   write the database but not read the hub's secret cannot recompute the chain after changing a
 *   record. WASL_AUDIT_KEY (64 hex digits, or the base64 of 32 bytes), else derived from
 *   WASL_SECRET (HKDF-SHA256, a label of its own), else — the sandbox — a random key kept in the
 *   data directory (0600). Each record names its key by id (the first 16 hex digits of an HMAC
 *   of a fixed label: the id tells nothing of the key); keys of earlier rotations stay in
 *   WASL_AUDIT_OLD_KEYS, for verification only.
 * - the **seal key**, Ed25519: the seals of the chains' heads are signed with it, so the witness
 *   outside the store can be checked by anyone with its public key alone (an auditor, offline).
 *   WASL_AUDIT_SIGNING_KEY (PKCS#8, as `wasl cert keygen` prints), else derived from the chain
 *   key's material (HKDF, its own label). Its public key is printed by `wasl audit public-key`.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, parseSigningKey, publicKeyOf } from '../certificate-keys';
import { writePrivateFile } from '../private-files';

export class AuditKeyError extends Error {
  override name = 'AuditKeyError';
}

const CHAIN_INFO = 'wasl audit chain v1';
const SEAL_INFO = 'wasl audit seal signing v1';
// PKCS#8 DER of an Ed25519 private key, less its 32-byte seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface ChainKey {
  id: string;
  key: Buffer;
}

export function chainKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('wasl audit key id').digest('hex').slice(0, 16);
}

/** A chain key as written in WASL_AUDIT_KEY / WASL_AUDIT_OLD_KEYS: 64 hex digits or base64 of 32 bytes. */
export function parseChainKey(text: string, name = 'WASL_AUDIT_KEY'): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/]{43}=$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== 32) throw new AuditKeyError(`${name}: a key is 64 hex digits or the base64 of 32 bytes (openssl rand -hex 32)`);
  return key;
}

export interface AuditKeySources {
  /** WASL_AUDIT_KEY */
  auditKey?: string;
  /** WASL_AUDIT_OLD_KEYS: keys of earlier rotations (comma-separated); `secret:<old WASL_SECRET>` derives one. */
  oldKeys?: string;
  /** WASL_SECRET */
  secret?: string;
  /** WASL_AUDIT_SIGNING_KEY */
  signingKey?: string;
  /** Where the sandbox keeps its random key when there is no secret. */
  dataDir?: string;
}

const derive = (material: string | Buffer, info: string) => Buffer.from(hkdfSync('sha256', material, 'wasl', info, 32));

export class AuditKeys {
  private readonly byId = new Map<string, Buffer>();

  private constructor(
    readonly current: ChainKey,
    older: Buffer[],
    /** The seal signing key (PKCS#8 DER, base64). */
    readonly signingKey: string,
  ) {
    for (const k of [current.key, ...older]) this.byId.set(chainKeyId(k), k);
  }

  static from(src: AuditKeySources): AuditKeys {
    let material: Buffer;
    if (src.auditKey) material = parseChainKey(src.auditKey);
    else if (src.secret) material = derive(src.secret, CHAIN_INFO);
    else if (src.dataDir) material = sandboxKey(src.dataDir);
    else throw new AuditKeyError('the audit trail needs a key: WASL_AUDIT_KEY or WASL_SECRET');
    const older = (src.oldKeys ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => (s.startsWith('secret:') ? derive(s.slice('secret:'.length), CHAIN_INFO) : parseChainKey(s, 'WASL_AUDIT_OLD_KEYS')));
    const signingKey = src.signingKey ? parseSigningKey(src.signingKey) : ed25519FromSeed(derive(material, SEAL_INFO));
    return new AuditKeys({ id: chainKeyId(material), key: material }, older, signingKey);
  }

  /** A key of this process alone (tests, and stores opened without a configuration). */
  static ephemeral(): AuditKeys {
    return AuditKeys.from({ auditKey: randomBytes(32).toString('hex') });
  }

  mac(hash: string, keyId = this.current.id): string {
    const key = this.byId.get(keyId);
    if (!key) throw new AuditKeyError(`no audit key ${keyId}`);
    return createHmac('sha256', key).update(hash).digest('hex');
  }

  /** Whether `mac` is the MAC of `hash` under the key `keyId`; undefined when that key is not known here. */
  holds(hash: string, mac: string, keyId: string): boolean | undefined {
    if (!this.byId.has(keyId)) return undefined;
    const want = Buffer.from(this.mac(hash, keyId), 'hex');
    const got = Buffer.from(mac, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  }

  get publicKey(): string {
    return publicKeyOf(this.signingKey);
  }

  get sealKeyId(): string {
    return keyIdOf(this.publicKey);
  }
}

function ed25519FromSeed(seed: Buffer): string {
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  // Checked: the public key derives from it.
  createPublicKey(key);
  return key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

function sandboxKey(dataDir: string): Buffer {
  const file = join(dataDir, 'audit-key');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (/^[0-9a-f]{64}$/.test(kept)) return Buffer.from(kept, 'hex');
  const key = randomBytes(32);
  writePrivateFile(file, `${key.toString('hex')}\n`);
  return key;
}

/** SHA-256, hex. */
export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

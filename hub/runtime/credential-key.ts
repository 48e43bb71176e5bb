/**
 * The key Node-RED encrypts the flows' credentials with (its `credentialSecret`). With
 * WASL_SECRET it is derived from it (HKDF-SHA256, an info string of its own), so the one secret
 * operators manage also protects the editor's credentials, and the credential file alone, or the
 * key alone, says nothing of WASL_SECRET or of the keys derived from it for other uses. Without
 * WASL_SECRET (the sandbox) a random key is made once and kept in the data directory (0600):
 * Node-RED would otherwise make its own, keep it in its settings and warn at every start.
 *
 * Node-RED's format (runtime/lib/nodes/credentials.js): `{"$": hex(iv) + base64(AES-256-CTR of
 * the JSON)}` under SHA-256 of the secret. It is read here only to move credentials written under
 * an older key (WASL_SECRET itself, as wasl used it before) to the derived one, and to tell which
 * nodes' credentials a deploy changed (the audit trail names them, never their values).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../private-files';

const INFO = 'wasl node-red credentials v1';

/** The credentialSecret for Node-RED: derived from WASL_SECRET, or the sandbox's own random key. */
export function credentialSecret(secret: string | undefined, stateDir: string): string {
  if (secret) return Buffer.from(hkdfSync('sha256', secret, 'wasl', INFO, 32)).toString('hex');
  const file = join(stateDir, 'credential-key');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (/^[0-9a-f]{64}$/.test(kept)) return kept;
  const key = randomBytes(32).toString('hex');
  writePrivateFile(file, `${key}\n`);
  return key;
}

export type EncryptedCredentials = { $: string };

export function isEncrypted(v: unknown): v is EncryptedCredentials {
  return typeof v === 'object' && v !== null && typeof (v as { $?: unknown }).$ === 'string' && Object.keys(v).length === 1;
}

const keyOf = (secret: string) => createHash('sha256').update(secret).digest();

/** The credentials by node id, or undefined when `secret` is not the key they were written with. */
export function decryptCredentials(blob: EncryptedCredentials, secret: string): Record<string, Record<string, unknown>> | undefined {
  try {
    const iv = Buffer.from(blob.$.slice(0, 32), 'hex');
    const decipher = createDecipheriv('aes-256-ctr', keyOf(secret), iv);
    const json = decipher.update(blob.$.slice(32), 'base64', 'utf8') + decipher.final('utf8');
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, Record<string, unknown>>) : undefined;
  } catch {
    // CTR has no integrity check: a wrong key shows as text that is not JSON.
    return undefined;
  }
}

export function encryptCredentials(creds: Record<string, unknown>, secret: string): EncryptedCredentials {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', keyOf(secret), iv);
  return { $: iv.toString('hex') + cipher.update(JSON.stringify(creds), 'utf8', 'base64') + cipher.final('base64') };
}

/**
 * `blob` under `secret`: as it is when `secret` opens it, re-encrypted when one of `legacy` does,
 * unchanged (for Node-RED to report) when none does.
 */
export function rekeyCredentials(blob: EncryptedCredentials, secret: string, legacy: readonly string[]): { blob: EncryptedCredentials; rekeyed: boolean } {
  if (decryptCredentials(blob, secret)) return { blob, rekeyed: false };
  for (const old of legacy) {
    const creds = decryptCredentials(blob, old);
    if (creds) return { blob: encryptCredentials(creds, secret), rekeyed: true };
  }
  return { blob, rekeyed: false };
}

/** The node ids whose credentials differ between two decrypted sets (added, changed or removed). */
export function changedCredentialNodes(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string[] {
  const a = before ?? {};
  const b = after ?? {};
  const ids = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...ids].filter((id) => JSON.stringify(a[id] ?? null) !== JSON.stringify(b[id] ?? null)).sort();
}

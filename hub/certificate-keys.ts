/**
 * The keys of the release gate (docs/release.md): QA signs the certificates it issues with an
 * Ed25519 private key (WASL_CERT_SIGNING_KEY, where `wasl sandbox test` runs), and production
 * trusts only the public keys it is given (WASL_CERT_TRUSTED_KEYS). A key is written as the
 * base64 of its DER form (PKCS#8 for the private key, SPKI for a public one) — one line, no
 * commas, easy to put in an environment variable — or as PEM. A key is named by its id: the
 * first 16 hex digits of the SHA-256 of the raw 32-byte public key. `wasl cert keygen` makes a
 * pair. Signing and verifying are over bytes the caller makes canonical (sandbox/certificate.ts).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export class CertificateKeyError extends Error {
  override name = 'CertificateKeyError';
}

const PEM = /-----BEGIN [A-Z ]+-----/;

function der(text: string): Buffer {
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new CertificateKeyError('not base64 (nor PEM)');
  return Buffer.from(b64, 'base64');
}

function asKey(text: string, kind: 'private' | 'public'): KeyObject {
  const raw = text.trim().replace(/\\n/g, '\n');
  let key: KeyObject;
  try {
    if (PEM.test(raw)) key = kind === 'private' ? createPrivateKey(raw) : createPublicKey(raw);
    else key = kind === 'private' ? createPrivateKey({ key: der(raw), format: 'der', type: 'pkcs8' }) : createPublicKey({ key: der(raw), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CertificateKeyError(`not an Ed25519 ${kind} key (${err instanceof CertificateKeyError ? err.message : 'unreadable'})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CertificateKeyError(`not an Ed25519 ${kind} key (${key.asymmetricKeyType ?? 'unknown'})`);
  return key;
}

/** The public key, as base64 of its SPKI DER (its canonical writing). */
export function publicKeyText(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** A private key as WASL_CERT_SIGNING_KEY holds it, checked and written canonically (base64 of PKCS#8 DER). */
export function parseSigningKey(text: string): string {
  return asKey(text, 'private').export({ type: 'pkcs8', format: 'der' }).toString('base64');
}

/** A public key as WASL_CERT_TRUSTED_KEYS holds it, checked and written canonically (base64 of SPKI DER). */
export function parsePublicKey(text: string): string {
  return publicKeyText(asKey(text, 'public'));
}

/** WASL_CERT_TRUSTED_KEYS: one or more public keys, separated by commas or as a JSON array of strings. */
export function parseTrustedKeys(text: string): string[] {
  const trimmed = text.trim();
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      items = JSON.parse(trimmed) as unknown[];
    } catch {
      throw new CertificateKeyError('a JSON array that does not parse');
    }
    if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) throw new CertificateKeyError('a JSON array must hold strings');
  } else items = trimmed.split(',');
  const keys = (items as string[]).map((i) => i.trim()).filter(Boolean);
  return [...new Set(keys.map(parsePublicKey))];
}

/** The id of a public key (its text, or the public half of a private key's text): 16 hex digits of the SHA-256 of the raw key. */
export function keyIdOf(keyText: string, kind: 'private' | 'public' = 'public'): string {
  const k = kind === 'private' ? createPublicKey(asKey(keyText, 'private')) : asKey(keyText, 'public');
  const raw = Buffer.from(String(k.export({ format: 'jwk' }).x), 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** The public key (canonical text) of a private key. */
export function publicKeyOf(signingKey: string): string {
  return publicKeyText(createPublicKey(asKey(signingKey, 'private')));
}

export interface KeyPair {
  keyId: string;
  /** base64 of PKCS#8 DER: WASL_CERT_SIGNING_KEY, QA's alone. */
  signingKey: string;
  /** base64 of SPKI DER: one of WASL_CERT_TRUSTED_KEYS. */
  publicKey: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = publicKeyText(publicKey);
  return { keyId: keyIdOf(pub), signingKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'), publicKey: pub };
}

/** A signature of these bytes with a signing key: the key's id and the signature in base64. */
export function signBytes(signingKey: string, data: Buffer): { keyId: string; value: string } {
  return { keyId: keyIdOf(signingKey, 'private'), value: sign(null, data, asKey(signingKey, 'private')).toString('base64') };
}

/**
 * Which trusted key, if any, made this signature of these bytes: the key named by `keyId` must be
 * one of the trusted keys, and the signature must verify with it. 'untrusted' when no trusted key
 * has that id, 'invalid' when the trusted key with that id did not sign these bytes.
 */
export function verifyBytes(trustedKeys: readonly string[], signature: { keyId: string; value: string }, data: Buffer): 'verified' | 'untrusted' | 'invalid' {
  const key = trustedKeys.find((k) => keyIdOf(k) === signature.keyId);
  if (!key) return 'untrusted';
  let value: Buffer;
  try {
    value = der(signature.value);
  } catch {
    return 'invalid';
  }
  return verify(null, data, asKey(key, 'public'), value) ? 'verified' : 'invalid';
}

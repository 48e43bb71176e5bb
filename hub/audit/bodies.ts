/**
 * Provider exchange bodies in the audit trail, encrypted at rest (WASL_AUDIT_BODIES names the
 * providers). They hold citizens' data, so the trail keeps them only as AES-256-GCM ciphertext
 * under a key derived from WASL_SECRET (HKDF-SHA256, its own label, so the key is not the one that
 * encrypts the flows' credentials); the order id is the additional data, so a body moved onto
 * another order's record no longer decrypts. The hash chain covers the ciphertext: an altered byte
 * is found by `wasl audit verify` without the key, and by the tag with it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { CallRecord } from '../../connectors/connector';

export interface SealedBodies {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  ct: string;
}

export type ExchangeBodies = NonNullable<CallRecord['bodies']>;

export class BodyKey {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'wasl', 'audit-bodies-v1', 32));
  }

  seal(bodies: ExchangeBodies, subject: string): SealedBodies {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(subject, 'utf8'));
    const ct = Buffer.concat([c.update(JSON.stringify(bodies), 'utf8'), c.final()]);
    return { alg: 'A256GCM', iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  /** The bodies; throws when the key is not the one they were sealed with, or a byte changed. */
  open(sealed: SealedBodies, subject: string): ExchangeBodies {
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
    d.setAAD(Buffer.from(subject, 'utf8'));
    d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([d.update(Buffer.from(sealed.ct, 'base64')), d.final()]).toString('utf8');
    return JSON.parse(text) as ExchangeBodies;
  }
}

export function isSealedBodies(v: unknown): v is SealedBodies {
  const s = v as Partial<SealedBodies> | null;
  return typeof s === 'object' && s !== null && s.alg === 'A256GCM' && typeof s.iv === 'string' && typeof s.tag === 'string' && typeof s.ct === 'string';
}

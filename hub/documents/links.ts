/**
 * Signed download links: a token a channel hands the citizen (in an SMS, an e-mail, the portal),
 * good for one document until it expires, without a session. It carries the document's id, the
 * channel that asked for it and the expiry, MACed with HMAC-SHA256 under a key of its own
 * (hub/documents/keys.ts), base64url: `<payload>.<mac>`. Nothing in it is secret (the id is
 * unguessable but not confidential); what cannot be done without the key is making one, or
 * changing its document, channel or expiry — a channel's token cannot become another's.
 *
 * Payload: version byte 1, expiry (u32, seconds since the epoch), channel length (u8), channel
 * (UTF-8), document id (UTF-8). Checked in constant time before any field of it is read.
 * The store does not know which channel owns which order: the HTTP layer checks, when it signs,
 * that the channel may have the document, and, when it serves, that the order is still the
 * channel's. A link cannot be revoked before its expiry (keep TTLs short).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LinkError } from './errors';

const VERSION = 1;
const MAC_LABEL = 'wasl document link v1\u0000';
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface LinkClaims {
  documentId: string;
  channel: string;
}

const mac = (key: Buffer, payload: Buffer) => createHmac('sha256', key).update(MAC_LABEL).update(payload).digest();

export function signLinkToken(key: Buffer, claims: LinkClaims, expiresAtSeconds: number): string {
  const channel = Buffer.from(claims.channel, 'utf8');
  if (channel.length === 0 || channel.length > 255) throw new RangeError('a link needs a channel of 1 to 255 bytes');
  if (!Number.isSafeInteger(expiresAtSeconds) || expiresAtSeconds <= 0 || expiresAtSeconds > 0xffffffff) throw new RangeError('link expiry out of range');
  const head = Buffer.alloc(6);
  head.writeUInt8(VERSION, 0);
  head.writeUInt32BE(expiresAtSeconds, 1);
  head.writeUInt8(channel.length, 5);
  const payload = Buffer.concat([head, channel, Buffer.from(claims.documentId, 'utf8')]);
  return `${payload.toString('base64url')}.${mac(key, payload).toString('base64url')}`;
}

/** The claims of a token this key signed, if it has not expired at `nowSeconds`; a LinkError otherwise. */
export function checkLinkToken(key: Buffer, token: string, nowSeconds: number, isDocumentId: (id: string) => boolean): LinkClaims {
  const invalid = () => new LinkError('link-invalid', 'not a link this hub signed');
  if (typeof token !== 'string' || token.length > 1024) throw invalid();
  const parts = token.split('.');
  if (parts.length !== 2 || !B64URL.test(parts[0]!) || !B64URL.test(parts[1]!)) throw invalid();
  const payload = Buffer.from(parts[0]!, 'base64url');
  const got = Buffer.from(parts[1]!, 'base64url');
  // Canonical encodings only: the last character's spare bits would otherwise make several
  // spellings of one token, and a token is then not one string to log, compare or deny.
  if (payload.toString('base64url') !== parts[0] || got.toString('base64url') !== parts[1]) throw invalid();
  const want = mac(key, payload);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw invalid();
  // Signed by this key: from here on the fields are ours, checked only against a version mismatch.
  if (payload.length < 7 || payload.readUInt8(0) !== VERSION) throw invalid();
  const expires = payload.readUInt32BE(1);
  const channelLength = payload.readUInt8(5);
  if (payload.length < 6 + channelLength + 1) throw invalid();
  const channel = payload.subarray(6, 6 + channelLength).toString('utf8');
  const documentId = payload.subarray(6 + channelLength).toString('utf8');
  if (!isDocumentId(documentId)) throw invalid();
  if (nowSeconds >= expires) throw new LinkError('link-expired', 'the link has expired');
  return { documentId, channel };
}

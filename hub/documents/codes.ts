/**
 * Verification codes: what the counter's print and the post's label carry, so that whoever holds
 * a paper copy can ask wasl whether it issued it. 12 characters of Crockford's base32 (60 bits
 * from the CSPRNG), shown as XXXX-XXXX-XXXX: no I, L, O or U, and read back forgiving case,
 * hyphens, spaces and the look-alikes (O as 0, I and L as 1), since people type them from paper.
 *
 * 60 bits is far beyond guessing over HTTP (at a million tries a second, a million valid codes
 * take a fortnight to hit once) provided the HTTP layer rate-limits `GET /v1/documents/verify`;
 * that limit is its job, not the store's.
 *
 * Stored as HMAC-SHA256 under a key the database does not hold (hub/documents/keys.ts), never as
 * the code. Why that matters: a reader of the database or of a backup — more people than hold
 * WASL_SECRET — could otherwise print valid codes for any document, on forged paper. A plain
 * SHA-256 would not do: with millions of codes stored, trying 2^60 candidates against all of them
 * at once finds one in about 2^60 / 10^6 hashes, minutes of a GPU. Keyed, the rows are useless
 * without the key, and the lookup stays one index probe (an HMAC is deterministic, unlike a salted
 * password hash, which would need a scan). The limit of the scheme is the answer itself: it says
 * issuer, date and type, so a code copied from one genuine paper vouches for any paper of that
 * type and date; comparing more (the document's hash, shown to the checker) is item 3's choice.
 */
import { createHmac } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 12;

/**
 * A document's code for what it attests (type, issuer, date), grouped for print: XXXX-XXXX-XXXX —
 * 60 bits of an HMAC under the codes key, not a random draw: the counter's print, the post's
 * label and a reprint all get the same code without the order or the database keeping it (a
 * database reader has only the codes' own HMACs, and cannot derive one without the key).
 */
export function derivedCode(key: Buffer, documentId: string, about: { type: string; issuer: string; issuedAt: string }): string {
  const mac = createHmac('sha256', key).update(`wasl document code derive v1\u0000${documentId}\u0000${about.type}\u0000${about.issuer}\u0000${about.issuedAt}`).digest();
  let bits = mac.readBigUInt64BE(0);
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    raw += ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** The code's 12 canonical characters as typed from paper, or undefined when it cannot be one. */
export function normalizeCode(typed: string): string | undefined {
  if (typed.length > 40) return undefined;
  const s = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return s.length === CODE_LENGTH && [...s].every((c) => ALPHABET.includes(c)) ? s : undefined;
}

/** What the database keeps of a code: its HMAC under the codes key, hex. */
export function codeHash(key: Buffer, canonical: string): string {
  return createHmac('sha256', key).update(`wasl document code v1\u0000${canonical}`).digest('hex');
}

/**
 * How a document's content is cut and sealed: chunks of CHUNK_SIZE bytes (the last shorter), each
 * AES-256-GCM under the content key with a random 96-bit IV of its own, and as additional data
 * the document's id, the chunk's index and whether it is the last — the last also the document's
 * size and SHA-256. So a chunk moved to another document or another place, a chunk dropped from
 * the end (the new last one does not say it is last), a chunk added or changed, or a metadata row
 * whose size or hash was altered all fail the tag: an error, never other content.
 *
 * Random IVs: NIST SP 800-38D allows 2^32 of them under one key, that is a petabyte of documents
 * at 256 KiB a chunk, before a repeat becomes likelier than 2^-32.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { UnsafeResponse } from '../../connectors/errors';

/** 256 KiB: a typical certificate PDF in one chunk (one write, atomic), a 10 MB one in 40. */
export const CHUNK_SIZE = 256 * 1024;

/** One chunk as stored. */
export interface SealedChunk {
  iv: Buffer;
  tag: Buffer;
  ct: Buffer;
}

/** What the last chunk binds besides its place: the document as the metadata row states it. */
export interface Totals {
  size: number;
  sha256: string;
}

const AAD_LABEL = 'wasl document chunk v1';

function aad(documentId: string, index: number, totals: Totals | undefined): Buffer {
  // Fields are NUL-separated; none of them can hold a NUL (ids are URL-safe, the hash is hex).
  const last = totals ? `\u0000last\u0000${totals.size}\u0000${totals.sha256}` : '\u0000more';
  return Buffer.from(`${AAD_LABEL}\u0000${documentId}\u0000${index}${last}`, 'utf8');
}

export function sealChunk(key: Buffer, documentId: string, index: number, plain: Buffer, totals?: Totals): SealedChunk {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(documentId, index, totals));
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv, tag: c.getAuthTag(), ct };
}

/**
 * The chunk's plaintext; throws when it is not the chunk `index` of `documentId` (the last one
 * when `totals` is given) sealed under `key`. `index` and `totals` are what the reader expects,
 * not what the row says: that is what makes a reordered or truncated document fail.
 */
export function openChunk(key: Buffer, documentId: string, index: number, sealed: SealedChunk, totals?: Totals): Buffer {
  if (sealed.iv.length !== 12 || sealed.tag.length !== 16) throw new Error('malformed chunk');
  const d = createDecipheriv('aes-256-gcm', key, sealed.iv);
  d.setAAD(aad(documentId, index, totals));
  d.setAuthTag(sealed.tag);
  return Buffer.concat([d.update(sealed.ct), d.final()]);
}

/**
 * Reads `content` to its end in chunks of `chunkSize`, handing each to `emit` (awaited before
 * more is read: the back end's write is the back-pressure), the last one with the totals.
 * Holds one chunk's buffer and the piece just read, nothing more. As soon as more than
 * `maxBytes` have arrived it stops reading, destroys the source, and throws
 * UnsafeResponse('document-size').
 *
 * A full chunk is handed on only once a further byte has arrived: until then it may be the last.
 */
export async function cutChunks(
  content: Readable | Buffer,
  maxBytes: number,
  chunkSize: number,
  emit: (index: number, plain: Buffer, totals?: Totals) => Promise<void>,
): Promise<Totals> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError('maxBytes must be a non-negative integer');
  if (Buffer.isBuffer(content) && content.length > maxBytes) throw tooLarge(maxBytes);
  const hash = createHash('sha256');
  // A document given whole needs no more room than itself: a certificate of a few kB no longer
  // costs a 256 KiB allocation zeroed twice (about 0.05 ms an order under bench:e2e).
  const buf = Buffer.alloc(Buffer.isBuffer(content) ? Math.min(chunkSize, content.length) : chunkSize);
  let fill = 0;
  let size = 0;
  let index = 0;
  try {
    for await (const piece of Buffer.isBuffer(content) ? [content] : content) {
      if (!(piece instanceof Uint8Array)) throw new TypeError('document content must be bytes, not text: a stream without an encoding');
      size += piece.length;
      // Before the piece is kept anywhere: at most maxBytes plus this one piece ever arrived.
      if (size > maxBytes) throw tooLarge(maxBytes);
      hash.update(piece);
      let off = 0;
      while (off < piece.length) {
        if (fill === chunkSize) {
          await emit(index++, buf, undefined);
          fill = 0;
        }
        const n = Math.min(chunkSize - fill, piece.length - off);
        buf.set(piece.subarray(off, off + n), fill);
        fill += n;
        off += n;
      }
    }
    const totals = { size, sha256: hash.digest('hex') };
    await emit(index, buf.subarray(0, fill), totals);
    return totals;
  } finally {
    // Plaintext of a citizen's document: not left for the allocator to hand out.
    buf.fill(0);
  }
}

const tooLarge = (maxBytes: number) => new UnsafeResponse('document-size', `document larger than ${maxBytes} bytes`);

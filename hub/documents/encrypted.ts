/**
 * The document store over any back end's rows (hub/documents/rows.ts): what is sealed, how it is
 * checked, retention, codes and links. See hub/documents/store.ts for the contract and
 * hub/documents/chunks.ts for the format.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DocumentHandle, DocumentSink } from '../../connectors/documents';
import { CHUNK_SIZE, cutChunks, openChunk, sealChunk, type Totals } from './chunks';
import { codeHash, derivedCode, normalizeCode } from './codes';
import { DocumentError } from './errors';
import type { DocumentKeys } from './keys';
import { checkLinkToken, signLinkToken } from './links';
import type { DocumentRow, DocumentRows, NewDocumentRow } from './rows';
import type { DocumentInfo, DocumentPutMeta, DocumentStore, DocumentStoreOptions, IssueOptions, PurgeResult, Retention, Verification, VerificationAbout } from './store';

const DAY_MS = 86_400_000;
const PURGE_BATCH = 100;

/** 'doc_' and 144 random bits, base64url: URL-safe, and not to be guessed or enumerated. */
export const newDocumentId = () => `doc_${randomBytes(18).toString('base64url')}`;
export const isDocumentId = (id: string) => typeof id === 'string' && /^doc_[A-Za-z0-9_-]{24}$/.test(id);

/** `application/PDF; name=x` -> `application/pdf`; what is not a media type is octet-stream. */
export function normalizeMediaType(declared: string | undefined): string {
  const t = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : 'application/octet-stream';
}

/**
 * A provider's file name, kept only as a name: its last path segment, no control characters,
 * at most 255 characters; undefined when nothing is left. It is still the provider's text: the
 * HTTP layer encodes it for Content-Disposition (RFC 6266 filename*), never pastes it.
 */
export function cleanFilename(name: string | undefined): string | undefined {
  if (typeof name !== 'string') return undefined;
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 255);
  return clean && clean !== '.' && clean !== '..' ? clean : undefined;
}

const clip = (s: string, n: number) => String(s).slice(0, n);

/**
 * How long, and how many, documents this process stored are answered from memory by info():
 * the step that stores the ministry's document checks it a moment later (wasl-order-update),
 * and a stored document's metadata does not change until it is purged — never before its
 * expiry, after which the memory is not used.
 */
const RECENT_MS = 10 * 60_000;
const RECENT_MAX = 1024;

export class EncryptedDocumentStore implements DocumentStore {
  private readonly clock: () => Date;
  private readonly chunkSize: number;
  private readonly maxLinkTtl: number;
  private readonly abandonAfterMs: number;
  private readonly recent = new Map<string, { info: DocumentInfo; until: number }>();

  constructor(
    private readonly rows: DocumentRows,
    private readonly opts: DocumentStoreOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.chunkSize = opts.chunkSize ?? CHUNK_SIZE;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 1024 || this.chunkSize > 16 * 1024 * 1024) throw new RangeError('chunkSize must be between 1 KiB and 16 MiB');
    this.maxLinkTtl = opts.maxLinkTtlSeconds ?? 86_400;
    this.abandonAfterMs = opts.abandonAfterMs ?? 3_600_000;
    if (opts.defaultRetentionDays !== undefined) this.expiry(new Date(0), { retentionDays: opts.defaultRetentionDays });
  }

  private get keys(): DocumentKeys {
    return this.opts.keys;
  }

  async put(content: Readable | Buffer, meta: DocumentPutMeta): Promise<DocumentHandle> {
    const id = newDocumentId();
    const createdAt = this.clock();
    const expiresAt = this.expiry(createdAt, meta);
    const mediaType = normalizeMediaType(meta.mediaType);
    const filename = cleanFilename(meta.filename);
    const origin = meta.origin;
    for (const field of ['provider', 'operation', 'source'] as const) {
      if (typeof origin?.[field] !== 'string' || origin[field] === '') throw new TypeError(`a document's origin needs its ${field}`);
    }
    const row: NewDocumentRow = {
      id,
      order_id: origin.orderId === undefined ? null : clip(origin.orderId, 128),
      media_type: mediaType,
      filename: filename ?? null,
      provider: clip(origin.provider, 64),
      operation: clip(origin.operation, 128),
      source: clip(origin.source, 512),
      key_id: this.keys.keyId,
      created_at: createdAt.toISOString(),
      expires_at: expiresAt ? expiresAt.toISOString() : null,
    };
    let written = 0;
    let totals: Totals;
    try {
      totals = await cutChunks(content, meta.maxBytes, this.chunkSize, async (index, plain, last) => {
        const sealed = sealChunk(this.keys.content, id, index, plain, last);
        const done = last ? { ...last, chunks: index + 1, stored_at: this.clock().toISOString() } : undefined;
        await this.rows.writeChunk(id, index, sealed, index === 0 ? row : undefined, done);
        written++;
      });
    } catch (err) {
      // Nothing of a refused or failed document stays: its first write was its row, so once one
      // succeeded there is something to delete. Should this delete fail too, the row never
      // completed, so no reader sees it, and purgeExpired sweeps it as abandoned.
      if (written > 0) await this.rows.discard(id).catch(() => undefined);
      throw err;
    }
    this.remember(infoOf({ ...row, size: totals.size, sha256: totals.sha256, purged_at: null }));
    return { id, mediaType, size: totals.size, sha256: totals.sha256, ...(filename ? { filename } : {}) };
  }

  withRetention(retention: Retention): DocumentSink {
    return { put: (content, meta) => this.put(content, { ...meta, ...retention }) };
  }

  /** When a document stored at `from` expires, or undefined when it is kept. */
  private expiry(from: Date, r: Retention): Date | undefined {
    if (r.retentionDays !== undefined && r.expiresAt !== undefined) throw new TypeError('a document has retentionDays or expiresAt, not both');
    if (r.expiresAt !== undefined) {
      if (!(r.expiresAt instanceof Date) || Number.isNaN(r.expiresAt.getTime())) throw new TypeError('expiresAt must be a valid Date');
      return r.expiresAt;
    }
    const days = r.retentionDays ?? this.opts.defaultRetentionDays;
    if (days === undefined) return undefined;
    if (!Number.isFinite(days) || days <= 0) throw new RangeError('retentionDays must be a positive number');
    return new Date(from.getTime() + days * DAY_MS);
  }

  /** The stored document's row, or the reason it cannot be read. */
  private async readable(id: string): Promise<DocumentRow & { size: number; sha256: string; chunks: number }> {
    const row = isDocumentId(id) ? await this.rows.get(id) : undefined;
    if (!row || row.stored_at === null || row.size === null || row.sha256 === null || row.chunks === null) throw new DocumentError('document-not-found', `no document ${isDocumentId(id) ? id : ''}`.trim());
    if (row.purged_at !== null) throw new DocumentError('document-purged', `document ${id} was purged at the end of its retention (${row.purged_at})`);
    if (row.key_id !== this.keys.keyId) throw new DocumentError('document-key', `document ${id} was sealed under key ${row.key_id}; this hub's document key is ${this.keys.keyId} (was WASL_SECRET changed?)`);
    return { ...row, size: row.size, sha256: row.sha256, chunks: row.chunks };
  }

  async open(id: string): Promise<Readable> {
    const row = await this.readable(id);
    const totals: Totals = { size: row.size, sha256: row.sha256 };
    const read = async (index: number): Promise<Buffer> => {
      const sealed = await this.rows.chunk(id, index);
      if (!sealed) {
        // Purged while being read, or a chunk deleted behind the store's back.
        if ((await this.rows.get(id))?.purged_at) throw new DocumentError('document-purged', `document ${id} was purged while being read`);
        throw new DocumentError('document-corrupt', `document ${id}: chunk ${index} of ${row.chunks} is missing`);
      }
      try {
        return openChunk(this.keys.content, id, index, sealed, index === row.chunks - 1 ? totals : undefined);
      } catch (cause) {
        throw new DocumentError('document-corrupt', `document ${id}: chunk ${index} of ${row.chunks} does not authenticate`, { cause });
      }
    };
    // The first chunk before answering: most documents are one chunk, and then every failure is
    // an error of open() itself, before the HTTP layer has sent a status line.
    const first = await read(0);
    async function* plaintext(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      let size = 0;
      for (let index = 0; index < row.chunks; index++) {
        const plain = index === 0 ? first : await read(index);
        hash.update(plain);
        size += plain.length;
        if (plain.length) yield plain;
      }
      // The tags already bind the totals; this guards the code that cuts and joins the chunks.
      if (size !== totals.size || hash.digest('hex') !== totals.sha256) throw new DocumentError('document-corrupt', `document ${id}: content does not match its recorded size and SHA-256`);
    }
    return Readable.from(plaintext(), { objectMode: false });
  }

  async info(id: string): Promise<DocumentInfo | undefined> {
    const recent = this.recalled(id);
    if (recent) return recent;
    const row = isDocumentId(id) ? await this.rows.get(id) : undefined;
    if (!row || row.stored_at === null || row.size === null || row.sha256 === null) return undefined;
    return infoOf({ ...row, size: row.size, sha256: row.sha256 });
  }

  private remember(info: DocumentInfo): void {
    const now = this.clock().getTime();
    const until = Math.min(now + RECENT_MS, info.expiresAt ? Date.parse(info.expiresAt) : Infinity);
    if (until <= now) return;
    if (this.recent.size >= RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(info.id, { info, until });
  }

  private recalled(id: string): DocumentInfo | undefined {
    const hit = this.recent.get(id);
    if (!hit) return undefined;
    if (hit.until > this.clock().getTime()) return hit.info;
    this.recent.delete(id);
    return undefined;
  }

  async purgeExpired(now: Date): Promise<PurgeResult> {
    for (const [id, hit] of this.recent) if (hit.info.expiresAt && Date.parse(hit.info.expiresAt) <= now.getTime()) this.recent.delete(id);
    const total: PurgeResult = { purged: 0, abandoned: 0 };
    const abandonedBefore = new Date(now.getTime() - this.abandonAfterMs).toISOString();
    // In batches, so one purge after a long pause does not become one huge transaction.
    for (;;) {
      const r = await this.rows.purgeBatch(now.toISOString(), abandonedBefore, PURGE_BATCH);
      total.purged += r.purged;
      total.abandoned += r.abandoned;
      if (r.purged < PURGE_BATCH && r.abandoned < PURGE_BATCH) return total;
    }
  }

  async issueVerification(documentId: string, about: VerificationAbout = {}, opts: IssueOptions = {}): Promise<string> {
    const known = opts.info?.id === documentId ? opts.info : undefined;
    const row = known
      ? { operation: known.origin.operation, provider: known.origin.provider, created_at: known.createdAt, purged_at: known.purgedAt ?? null }
      : isDocumentId(documentId) ? await this.rows.get(documentId) : undefined;
    if (!row || ('stored_at' in row && row.stored_at === null)) throw new DocumentError('document-not-found', `no document ${isDocumentId(documentId) ? documentId : ''}`.trim());
    const attests = {
      type: clip(about.type ?? row.operation, 64),
      issuer: clip(about.issuer ?? row.provider, 64),
      issuedAt: (about.issuedAt ?? new Date(row.created_at)).toISOString(),
    };
    const code = derivedCode(this.keys.codes, documentId, attests);
    const hash = codeHash(this.keys.codes, normalizeCode(code)!);
    const ours = async () => {
      const issued = await this.rows.findCode(hash);
      if (issued && issued.document_id !== documentId) throw new Error('two documents derived the same verification code');
      return issued !== undefined;
    };
    const insert = () => this.rows.insertCode({ code_hash: hash, document_id: documentId, type: attests.type, issuer: attests.issuer, issued_at: attests.issuedAt, created_at: this.clock().toISOString() });
    const purged = () => new DocumentError('document-purged', `document ${documentId} was purged at the end of its retention (${row.purged_at})`);
    // The step that stores the document: its code is new, written at once (a redelivered step finds it there).
    if (opts.first && row.purged_at === null) {
      if (!(await insert()) && !(await ours())) throw new Error('a verification code was neither inserted nor found');
      return code;
    }
    // Issued before (a reprint, the receipt read again, the label after the receipt): the same code,
    // read, nothing written — also for a purged document, whose paper copy is still genuine.
    if (await ours()) return code;
    // A new code only for a document that is still kept.
    if (row.purged_at !== null) throw purged();
    if (!(await insert()) && !(await ours())) throw new Error('a verification code was neither inserted nor found');
    return code;
  }

  async verify(code: string): Promise<Verification> {
    const canonical = typeof code === 'string' ? normalizeCode(code) : undefined;
    if (!canonical) return { valid: false };
    const row = await this.rows.findCode(codeHash(this.keys.codes, canonical));
    return row ? { valid: true, issuer: row.issuer, issuedAt: row.issued_at, type: row.type } : { valid: false };
  }

  signLink(documentId: string, channel: string, ttlSeconds: number, now: Date = this.clock()): string {
    if (!isDocumentId(documentId)) throw new DocumentError('document-not-found', 'not a document id');
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > this.maxLinkTtl) throw new RangeError(`a link lives 1 to ${this.maxLinkTtl} seconds`);
    return signLinkToken(this.keys.links, { documentId, channel }, Math.floor(now.getTime() / 1000) + ttlSeconds);
  }

  checkLink(token: string, now: Date = this.clock()): { documentId: string; channel: string } {
    return checkLinkToken(this.keys.links, token, Math.floor(now.getTime() / 1000), isDocumentId);
  }
}

/** A stored document's metadata, as its row has it. */
function infoOf(row: Omit<DocumentRow, 'size' | 'sha256' | 'chunks' | 'stored_at'> & { size: number; sha256: string }): DocumentInfo {
  return {
    id: row.id,
    mediaType: row.media_type,
    size: row.size,
    sha256: row.sha256,
    ...(row.filename !== null ? { filename: row.filename } : {}),
    ...(row.order_id !== null ? { orderId: row.order_id } : {}),
    origin: { ...(row.order_id !== null ? { orderId: row.order_id } : {}), provider: row.provider, operation: row.operation, source: row.source },
    createdAt: row.created_at,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.purged_at !== null ? { purgedAt: row.purged_at } : {}),
  };
}

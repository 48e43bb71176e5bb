/**
 * The document store: ministries' documents (a signed PDF: an extract, a certificate) kept
 * encrypted on the hub's own database, SQLite or PostgreSQL, until their retention is over; then
 * their content is deleted and their metadata and SHA-256 stay, as the order's timeline and the
 * audit trail cite them. It is the DocumentSink the connectors stream into
 * (connectors/documents.ts), and what the HTTP layer reads from, verifies codes against and signs
 * links with.
 *
 * Back ends: hub/documents/sqlite.ts and hub/documents/postgres.ts (`openDocumentStore`, each
 * with how to construct it); the format and the checks are shared (hub/documents/encrypted.ts).
 */
import type { Readable } from 'node:stream';
import type { DocumentHandle, DocumentOrigin, DocumentSink } from '../../connectors/documents';
import type { DocumentKeys } from './keys';

/** How long a document's content is kept: a number of days from when it is stored, or a date. */
export interface Retention {
  retentionDays?: number;
  expiresAt?: Date;
}

export type DocumentPutMeta = Parameters<DocumentSink['put']>[1] & Retention;

/** What the store knows of a document, without its content. Dates are ISO-8601. */
export interface DocumentInfo extends DocumentHandle {
  orderId?: string;
  origin: DocumentOrigin;
  createdAt: string;
  /** When its content is deleted; absent while no retention applies. */
  expiresAt?: string;
  /** When its content was deleted; the metadata and the hash remain. */
  purgedAt?: string;
}

/** What a verification code says about the paper that carries it: no order, no citizen. */
export type Verification = { valid: true; issuer: string; issuedAt: string; type: string } | { valid: false };

/** What the paper the code goes on says it is; by default the provider, the document's date and the operation. */
export interface VerificationAbout {
  type?: string;
  issuer?: string;
  issuedAt?: Date;
}

/** How the caller expects the issue to go; only a matter of round trips, never of the code. */
export interface IssueOptions {
  /** Most likely a new code (the step that stores the document): written first, read only if it was there. */
  first?: boolean;
  /** The document's metadata, as the caller just read it (info): not read again. */
  info?: DocumentInfo;
}

export interface PurgeResult {
  /** Documents whose content was deleted. */
  purged: number;
  /** Uploads that never completed (a process died mid-put), deleted whole. */
  abandoned: number;
}

export interface DocumentStore extends DocumentSink {
  /**
   * Streams `content` in, encrypted, and returns its handle. Rejects with
   * UnsafeResponse('document-size') as soon as more than `maxBytes` arrive, having stored nothing.
   * Retention: `retentionDays` or `expiresAt`, else the store's default (none: kept).
   */
  put(content: Readable | Buffer, meta: DocumentPutMeta): Promise<DocumentHandle>;
  /** A sink that stores with this retention: what a service's flow is handed (its definition's retention). */
  withRetention(retention: Retention): DocumentSink;
  /**
   * The plaintext, each chunk checked as it is read. The first chunk is read and checked before
   * this resolves (a wrong key, a purged or a one-chunk corrupt document is an error here, before
   * any byte is sent); a later chunk that fails destroys the stream with a DocumentError — the
   * HTTP layer must then abort the response rather than end it.
   */
  open(id: string): Promise<Readable>;
  /** The metadata (purged documents included); undefined for an unknown id. */
  info(id: string): Promise<DocumentInfo | undefined>;
  /** Deletes the content of documents whose retention is over at `now` (metadata and hash stay), and abandoned uploads. */
  purgeExpired(now: Date): Promise<PurgeResult>;
  /**
   * The document's verification code, derived from it and what it attests: issued (written) the
   * first time, read after that — a reprint gives the same code and writes nothing.
   */
  issueVerification(documentId: string, about?: VerificationAbout, opts?: IssueOptions): Promise<string>;
  /**
   * Whether wasl issued the paper carrying `code`. A purged document's code still answers valid:
   * the paper copy is as genuine after the retention as before it. Not rate-limited here.
   */
  verify(code: string): Promise<Verification>;
  /** A download link for `channel`, good for `ttlSeconds` from `now`. */
  signLink(documentId: string, channel: string, ttlSeconds: number, now?: Date): string;
  /** The link's document and channel; a LinkError when it has expired at `now` or is not one this hub signed. */
  checkLink(token: string, now?: Date): { documentId: string; channel: string };
}

/** Options common to both back ends' `openDocumentStore`. */
export interface DocumentStoreOptions {
  /** DocumentKeys.from({ secret: config.secret, dataDir: config.dataDir }). */
  keys: DocumentKeys;
  /** Stamps created_at (tests inject one); the wall clock by default. */
  clock?: () => Date;
  /** Retention when a put names none; none (kept until one is set) by default. */
  defaultRetentionDays?: number;
  /** Bytes per chunk; CHUNK_SIZE (256 KiB) by default. Reading takes any. */
  chunkSize?: number;
  /** The longest a signed link may live, in seconds; a day by default. */
  maxLinkTtlSeconds?: number;
  /** An upload not completed after this long is abandoned (its process died) and swept by purgeExpired; an hour by default. */
  abandonAfterMs?: number;
}

/**
 * The document store's typed errors. Their messages name a document by id at most — never its
 * content, its file name or the order's citizen — so they can be logged and answered as they are.
 * The HTTP layer maps them (a suggestion: not-found 404, purged 410, corrupt/key 500, link-expired
 * 410, link-invalid 404, so that a forged link is told apart from nothing).
 */

export type DocumentErrorCode =
  /** No stored document of that id (or one still streaming in, or abandoned). */
  | 'document-not-found'
  /** Its retention is over: the content is gone, the metadata and the hash stay. */
  | 'document-purged'
  /** The content does not authenticate: a changed, missing, reordered or foreign chunk. */
  | 'document-corrupt'
  /** It was sealed under another key (WASL_SECRET changed, or another sandbox's key file). */
  | 'document-key';

export class DocumentError extends Error {
  override name = 'DocumentError';
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type LinkErrorCode = 'link-expired' | 'link-invalid';

/** A signed link that does not hold: out of date, or not one this hub signed (or altered). */
export class LinkError extends Error {
  override name = 'LinkError';
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

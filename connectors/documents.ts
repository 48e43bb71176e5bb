/**
 * Binary content a provider returns (a signed PDF: an extract, a certificate, a statement) as the
 * connectors hand it on: never as megabytes inside a message, but streamed into a document sink
 * (the hub's encrypted document store, hub/documents/) and carried on as a handle — id, media
 * type, size and SHA-256. A connector without a sink refuses binary content with a typed error
 * rather than buffering it.
 */
import type { Readable } from 'node:stream';

/** What a flow, the timeline and the audit trail carry of a document: never its bytes. */
export interface DocumentHandle {
  /** The store's id of the document (opaque, URL-safe, unguessable). */
  id: string;
  /** As the provider declared it (`application/pdf`…), lower-case, without parameters. */
  mediaType: string;
  /** Bytes of content. */
  size: number;
  /** Lower-case hex SHA-256 of the content, computed as it streamed in. */
  sha256: string;
  /** The part's or response's file name, when the provider gave one (Content-Disposition). */
  filename?: string;
}

/** Where a document comes from, kept beside it. */
export interface DocumentOrigin {
  /** The order the call was made for, when there is one. */
  orderId?: string;
  /** That order's service, when the caller said (CallContext.service): its retention applies. */
  service?: string;
  provider: string;
  operation: string;
  /** Where in the answer it was: a content id (`cid:…`), a JSON pointer or `body`. */
  source: string;
}

/**
 * Takes documents as they stream in. `put` consumes `content` to its end, stores it (encrypted),
 * and rejects with an UnsafeResponse of limit `document-size` (connectors/errors.ts) as soon as
 * more than `maxBytes` arrive — having held at most that much.
 */
export interface DocumentSink {
  put(content: Readable | Buffer, meta: { mediaType: string; filename?: string; origin: DocumentOrigin; maxBytes: number }): Promise<DocumentHandle>;
}

/** The default largest document a provider may return, in bytes, when its provider file sets none. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/**
 * Reads a stored document back, to send it on (an MTOM part or inline base64 of a SOAP request).
 * `open` rejects when the id is unknown; `size` and `mediaType` are the stored ones.
 */
export interface DocumentSource {
  open(id: string): Promise<{ stream: Readable; mediaType: string; size: number }>;
}

/** The first bytes of a few unambiguous formats (their "magic numbers"). */
export const MEDIA_SIGNATURES: Readonly<Record<string, Buffer>> = Object.freeze({
  'application/pdf': Buffer.from('%PDF-'),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
});

/**
 * The media type of content whose provider declared none (an inline base64Binary without
 * xmime:contentType — the usual case: contracts put the type in a sibling element of their own),
 * from its first bytes; undefined when they are not one of MEDIA_SIGNATURES'.
 */
export function sniffMediaType(head: Uint8Array): string | undefined {
  for (const [type, sig] of Object.entries(MEDIA_SIGNATURES)) if (head.length >= sig.length && Buffer.from(head.buffer, head.byteOffset, sig.length).equals(sig)) return type;
  return undefined;
}

/** Whether a value has the shape of a DocumentHandle (a flow hands one back to send the document on). */
export function isDocumentHandle(v: unknown): v is DocumentHandle {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  const h = v as Record<string, unknown>;
  return typeof h.id === 'string' && typeof h.mediaType === 'string' && typeof h.size === 'number' && typeof h.sha256 === 'string';
}

/**
 * The JSON Schema of a DocumentHandle, for output schemas that carry documents: a connector puts
 * it where its contract has binary content (a binary response, a base64 field), so what it
 * validates and what a flow reads describe the handle, not the bytes.
 */
export const DOCUMENT_HANDLE_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  additionalProperties: false,
  required: ['id', 'mediaType', 'size', 'sha256'],
  properties: {
    id: { type: 'string', minLength: 1 },
    mediaType: { type: 'string', minLength: 3 },
    size: { type: 'integer', minimum: 0 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    filename: { type: 'string' },
  },
});

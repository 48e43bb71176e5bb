/**
 * Documents in a SOAP request. An input value of a base64Binary element may be a Buffer or a
 * DocumentHandle (a document kept earlier, read back through a DocumentSource), besides the
 * base64 text itself. When the provider file asks for MTOM (`soap.mtom`), each such value leaves
 * the envelope as an MTOM/XOP part — the element holds `<xop:Include href="cid:…"/>` — and the
 * request is multipart/related as CXF and Metro write it (root part `application/xop+xml`,
 * binary parts `Content-Transfer-Encoding: binary`). Otherwise the value is written inline as
 * base64.
 *
 * The encoder (encode.ts) is synchronous and does no I/O: it asks an OutgoingBinaries for the
 * element's content, which is the XOP include, base64 of a Buffer, or for a stored document a
 * marker (`\u0000<n>\u0000`, which no XML text can hold, escape.ts refuses U+0000) replaced by
 * its base64 once read. The documents are read once per call; the request body is built once and
 * sent as is by every attempt.
 */
import { randomUUID } from 'node:crypto';
import { ContractViolation } from '../errors';
import { isDocumentHandle, type DocumentHandle, type DocumentSource } from '../documents';
import { XOP_NS } from './binary';
import type { SoapVersion } from './envelope';

type Content = Uint8Array | DocumentHandle;

export class OutgoingBinaries {
  /** MTOM parts, in the order the envelope references them. */
  readonly parts: Array<{ cid: string; content: Content }> = [];
  /** Stored documents to write inline, by marker number. */
  readonly inline: DocumentHandle[] = [];
  private readonly prefix = randomUUID();

  constructor(readonly mtom: boolean) {}

  /** The element content that stands for `v` (raw XML, not to be escaped). */
  add(v: Content): string {
    if (this.mtom) {
      const cid = `${this.parts.length + 1}.${this.prefix}@wasl`;
      this.parts.push({ cid, content: v });
      return `<xop:Include xmlns:xop="${XOP_NS}" href="cid:${encodeURIComponent(cid)}"/>`;
    }
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    this.inline.push(v);
    return `\u0000${this.inline.length - 1}\u0000`;
  }

  get empty(): boolean {
    return this.parts.length === 0 && this.inline.length === 0;
  }
}

/** Whether a value is one the encoder takes as binary content (rather than base64 text). */
export function isBinaryContent(v: unknown): v is Content {
  return v instanceof Uint8Array || isDocumentHandle(v);
}

/**
 * The input as the JSON Schema sees it: Buffers (which JSON has no word for) as empty base64
 * text. Only copies what holds a Buffer; the encoder still gets the original.
 */
export function schemaView(v: unknown): unknown {
  if (v instanceof Uint8Array) return '';
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = schemaView(v[i]);
      if (x !== v[i]) (copy ??= [...v])[i] = x;
    }
    return copy ?? v;
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const k of Object.keys(o)) {
      const x = schemaView(o[k]);
      if (x !== o[k]) (copy ??= { ...o })[k] = x;
    }
    return copy ?? v;
  }
  return v;
}

function refused(message: string): ContractViolation {
  return new ContractViolation('request', [{ pointer: '', message }]);
}

/** A stored document's bytes, checked against its handle and the provider's limit. */
async function readDocument(source: DocumentSource | undefined, h: DocumentHandle, maxBytes: number): Promise<Buffer> {
  if (!source) throw refused('a document handle is given but the connector has no document source to read it from');
  if (h.size > maxBytes) throw refused(`a document of ${h.size} bytes is over the provider's documents.maxBytes`);
  const { stream } = await source.open(h.id);
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > h.size || n > maxBytes) throw refused('a stored document is larger than its handle says');
      chunks.push(c);
    }
  } finally {
    stream.destroy();
  }
  if (n !== h.size) throw refused('a stored document is smaller than its handle says');
  return Buffer.concat(chunks, n);
}

/** The body XML with every inline document marker replaced by the document's base64. */
export async function inlineDocuments(body: string, out: OutgoingBinaries, source: DocumentSource | undefined, maxBytes: number): Promise<string> {
  if (out.inline.length === 0) return body;
  const base64: string[] = [];
  for (const h of out.inline) base64.push((await readDocument(source, h, maxBytes)).toString('base64'));
  return body.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => base64[Number(i)]!);
}

export interface MtomRequest {
  body: Buffer;
  /** The HTTP Content-Type of the multipart/related request. */
  contentType: string;
}

/**
 * The MTOM request: the envelope as the root part, then each part. SOAP 1.2's action travels in
 * `start-info` (the root's media type), as CXF writes it; SOAP 1.1 keeps its SOAPAction header.
 */
export async function mtomRequest(envelope: string, out: OutgoingBinaries, version: SoapVersion, soapAction: string, source: DocumentSource | undefined, maxBytes: number): Promise<MtomRequest> {
  const boundary = `uuid:${randomUUID()}`;
  const root = `<root.message.${randomUUID()}@wasl>`;
  const soapType = version === '1.2' ? `application/soap+xml${soapAction ? `; action=\\"${soapAction.replace(/"/g, '%22')}\\"` : ''}` : 'text/xml';
  const chunks: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="${soapType}"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: ${root}\r\n\r\n`,
      'latin1',
    ),
    Buffer.from(envelope, 'utf8'),
  ];
  for (const p of out.parts) {
    const bytes = p.content instanceof Uint8Array ? p.content : await readDocument(source, p.content, maxBytes);
    const mediaType = p.content instanceof Uint8Array ? 'application/octet-stream' : safeMediaType(p.content.mediaType);
    chunks.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${mediaType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${p.cid}>\r\n\r\n`, 'latin1'));
    chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="${root}"; start-info="${soapType}"`,
  };
}

/** A stored media type written into a part header: a plain type/subtype, or octet-stream. */
function safeMediaType(t: string): string {
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(t) ? t : 'application/octet-stream';
}

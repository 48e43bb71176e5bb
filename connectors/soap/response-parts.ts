/**
 * The documents of a SOAP response: the MIME parts of a multipart/related answer (MTOM/XOP, SOAP
 * with Attachments) and the inline base64Binary values, each put into the document sink and
 * replaced in the decoded output by its DocumentHandle.
 *
 * A multipart answer is read as it streams (multipart.ts): the root part first — the envelope,
 * held whole but never beyond the XML limit — which the connector decodes, so the parts it
 * references are known before they arrive; then each referenced part streams into the sink, never
 * more than `documents.maxBytes` of it (UnsafeResponse 'document-size' the moment it is crossed,
 * which ends the exchange and tears its socket down). Parts nobody references are read and
 * dropped under the same limit. The root must be the first part (every SOAP stack writes it so;
 * a part before it could only be held or stored blind). A connector without a sink refuses a
 * referenced part (UnsafeResponse 'attachment') before reading a byte of it; inline base64,
 * already inside the envelope, then stays the base64 text of the mapping's B1.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { sniffMediaType, type DocumentHandle, type DocumentOrigin, type DocumentSink } from '../documents';
import { ContractViolation, UnsafeResponse } from '../errors';
import { decodeBase64Text, findPending, type FoundBinary } from './binary';
import { Base64Decoder, contentId, filenameOf, parseMediaType, readMultipart, type MediaType, type MultipartEvent } from './multipart';

export interface DocumentContext {
  sink?: DocumentSink;
  maxBytes: number;
  origin: Omit<DocumentOrigin, 'source'>;
}

/** Media types a root part may have: XOP (MTOM), and the two SOAP envelopes (SwA). */
const ROOT_TYPES = new Set(['application/xop+xml', 'text/xml', 'application/soap+xml']);

function tooLarge(maxBytes: number): UnsafeResponse {
  return new UnsafeResponse('document-size', `a document over ${maxBytes} bytes`);
}

/** A multipart/related body being read: its root part, then its documents. */
export class RelatedParts {
  private readonly events: AsyncGenerator<MultipartEvent>;
  private readonly start: string | undefined;

  constructor(source: AsyncIterable<Buffer> | Iterable<Buffer>, media: MediaType) {
    const boundary = media.params.boundary;
    if (!boundary) throw new UnsafeResponse('malformed', 'a multipart response without a boundary');
    this.events = readMultipart(source, boundary);
    this.start = media.params.start ? contentId(media.params.start) : undefined;
  }

  /** The root part's bytes, at most `maxBytes` (UnsafeResponse 'size' beyond). */
  async root(maxBytes: number): Promise<Buffer> {
    const first = await this.events.next();
    if (first.done || first.value.kind !== 'part') throw new UnsafeResponse('malformed', 'multipart body: no part');
    const h = first.value.headers;
    const id = h['content-id'] !== undefined ? contentId(h['content-id']) : undefined;
    if (this.start !== undefined && id !== this.start) throw new UnsafeResponse('attachment', 'the root part (start) is not the first part');
    const type = parseMediaType(h['content-type'])?.type;
    if (type !== undefined && !ROOT_TYPES.has(type)) throw new UnsafeResponse('malformed', 'the root part is not a SOAP envelope');
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const ev = await this.events.next();
      if (ev.done) throw new UnsafeResponse('malformed', 'multipart body: the root part does not end');
      if (ev.value.kind === 'end-part') break;
      if (ev.value.kind !== 'data') continue;
      n += ev.value.chunk.length;
      if (n > maxBytes) throw new UnsafeResponse('size', `response body over ${maxBytes} bytes`);
      chunks.push(ev.value.chunk);
    }
    const cte = h['content-transfer-encoding']?.toLowerCase();
    const body = Buffer.concat(chunks, n);
    if (cte === 'base64') {
      const d = new Base64Decoder();
      return Buffer.concat([d.write(body), d.end()]);
    }
    return body;
  }

  /**
   * Streams every part after the root: referenced ones (`wanted`, by Content-ID) into the sink,
   * the others dropped. Returns the handles by Content-ID; a referenced part that never comes
   * is UnsafeResponse 'malformed'.
   */
  async documents(wanted: ReadonlySet<string>, ctx: DocumentContext): Promise<Map<string, DocumentHandle>> {
    if (wanted.size > 0 && !ctx.sink) throw new UnsafeResponse('attachment', 'the response carries a document and the connector has no document sink');
    const handles = new Map<string, DocumentHandle>();
    for (;;) {
      const ev = await this.events.next();
      if (ev.done) break;
      if (ev.value.kind !== 'part') continue;
      const h = ev.value.headers;
      const id = h['content-id'] !== undefined ? contentId(h['content-id']) : undefined;
      const decoder = transferDecoder(h['content-transfer-encoding']);
      if (id !== undefined && wanted.has(id) && !handles.has(id)) {
        const mediaType = parseMediaType(h['content-type'])?.type ?? 'application/octet-stream';
        const filename = filenameOf(h['content-disposition']);
        const content = new PassThrough();
        const put = ctx.sink!.put(content, { mediaType, ...(filename ? { filename } : {}), origin: { ...ctx.origin, source: `cid:${id}` }, maxBytes: ctx.maxBytes });
        handles.set(id, await this.feed(content, put, decoder, ctx.maxBytes));
      } else {
        await this.feed(undefined, undefined, decoder, ctx.maxBytes);
      }
    }
    for (const id of wanted) if (!handles.has(id)) throw new UnsafeResponse('malformed', 'a part the envelope references is missing');
    return handles;
  }

  /** One part's content into `content` (or nowhere), within the limit, at the sink's pace. */
  private async feed(content: PassThrough, put: Promise<DocumentHandle>, decoder: Base64Decoder | undefined, maxBytes: number): Promise<DocumentHandle>;
  private async feed(content: undefined, put: undefined, decoder: Base64Decoder | undefined, maxBytes: number): Promise<undefined>;
  private async feed(content: PassThrough | undefined, put: Promise<DocumentHandle> | undefined, decoder: Base64Decoder | undefined, maxBytes: number): Promise<DocumentHandle | undefined> {
    // The sink may fail (its own limit, its storage) while we wait for it to drain: that ends the wait too.
    const sinkDone = put?.then(
      () => {
        throw new UnsafeResponse('malformed', 'the document sink finished before the document ended');
      },
      (err: unknown) => {
        throw err;
      },
    );
    sinkDone?.catch(() => {});
    let n = 0;
    const write = async (chunk: Buffer) => {
      if (chunk.length === 0) return;
      n += chunk.length;
      if (n > maxBytes) throw tooLarge(maxBytes);
      if (content && !content.write(chunk)) await Promise.race([once(content, 'drain'), sinkDone]);
    };
    try {
      for (;;) {
        const ev = await this.events.next();
        if (ev.done) throw new UnsafeResponse('malformed', 'multipart body: a part does not end');
        if (ev.value.kind === 'end-part') break;
        if (ev.value.kind === 'data') await write(decoder ? decoder.write(ev.value.chunk) : ev.value.chunk);
      }
      if (decoder) await write(decoder.end());
      if (!content || !put) return undefined;
      content.end();
      return await put;
    } catch (err) {
      content?.destroy(err as Error);
      await put?.catch(() => {});
      throw err;
    }
  }

  /** Ends the reading: releases the response (a stream not read to its end is destroyed, with its socket). */
  async close(): Promise<void> {
    await this.events.return(undefined);
  }
}

function transferDecoder(cte: string | undefined): Base64Decoder | undefined {
  const v = cte?.trim().toLowerCase();
  if (v === undefined || v === 'binary' || v === '8bit' || v === '7bit') return undefined;
  if (v === 'base64') return new Base64Decoder();
  throw new UnsafeResponse('attachment', 'a part in a transfer encoding other than binary, 8bit, 7bit or base64');
}

/**
 * Puts the documents of a decoded output in place: referenced parts from `parts` (when the
 * response is multipart), inline base64 into the sink. Without a sink inline values stay text.
 */
export async function settleDocuments(output: unknown, parts: RelatedParts | undefined, ctx: DocumentContext): Promise<void> {
  const found = findPending(output);
  const byCid = new Map<string, FoundBinary[]>();
  const inline: FoundBinary[] = [];
  for (const f of found) {
    if (f.value.cid === undefined) inline.push(f);
    else {
      const list = byCid.get(f.value.cid) ?? [];
      list.push(f);
      byCid.set(f.value.cid, list);
    }
  }
  if (byCid.size > 0 && !parts) throw new UnsafeResponse('malformed', 'the envelope references a MIME part but the response is not multipart');
  const handles = parts ? await parts.documents(new Set(byCid.keys()), ctx) : new Map<string, DocumentHandle>();
  for (const [cid, list] of byCid) for (const f of list) f.set(handles.get(cid));
  for (const f of inline) {
    if (!ctx.sink) {
      f.set(f.value.text);
      continue;
    }
    const bytes = decodeBase64Text(f.value.text);
    if (!bytes) throw new ContractViolation('response', [{ pointer: f.pointer, message: 'is not base64' }]);
    if (bytes.length > ctx.maxBytes) throw tooLarge(ctx.maxBytes);
    // Undeclared (no xmime:contentType): told by its first bytes, as the bytes are all in hand.
    f.set(await ctx.sink.put(bytes, { mediaType: f.value.mediaType ?? sniffMediaType(bytes) ?? 'application/octet-stream', origin: { ...ctx.origin, source: f.pointer }, maxBytes: ctx.maxBytes }));
  }
}

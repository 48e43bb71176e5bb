/**
 * For the SOAP connector's document tests: an in-memory DocumentSink and DocumentSource that
 * keep what they were given and how much of it they ever held, a PDF-like payload, and
 * multipart/related bodies written byte for byte as Apache CXF, Metro (JAX-WS RI) and Axis 1
 * write them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DocumentHandle, DocumentOrigin, DocumentSink, DocumentSource } from '../../../connectors/documents';
import { UnsafeResponse } from '../../../connectors/errors';

export const FIXTURE_WSDL = `${__dirname}/../../fixtures/soap/documents.wsdl`;
export const TNS = 'http://docs.example.gov.sy/registry';

/** `size` bytes that look like a PDF: a %PDF header, random content, a false boundary lead or two, %%EOF. */
export function pdfLike(size: number, falseLead = '\r\n--uuid:'): Buffer {
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n', 'latin1');
  const body = randomBytes(size - head.length - tail.length);
  // A delimiter's beginning inside the content: the parser must not take it for one.
  Buffer.from(falseLead, 'latin1').copy(body, Math.floor(body.length / 3));
  Buffer.from('\r\n--', 'latin1').copy(body, body.length - 2);
  return Buffer.concat([head, body, tail]);
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface StoredDocument {
  handle: DocumentHandle;
  bytes: Buffer;
  meta: { mediaType: string; filename?: string; origin: DocumentOrigin; maxBytes: number };
}

/** A DocumentSink in memory that refuses past maxBytes as the interface says, and records the most it ever held. */
export class MemorySink implements DocumentSink {
  readonly stored = new Map<string, StoredDocument>();
  /** Bytes received by the put calls that failed, one entry per failure, and why. */
  readonly aborted: Array<{ received: number; error: unknown }> = [];
  /** The most bytes any one put held at once. */
  maxHeld = 0;

  async put(content: Readable | Buffer, meta: StoredDocument['meta']): Promise<DocumentHandle> {
    const chunks: Buffer[] = [];
    let n = 0;
    const hash = createHash('sha256');
    const take = (c: Buffer) => {
      n += c.length;
      if (n > meta.maxBytes) throw new UnsafeResponse('document-size', `document over ${meta.maxBytes} bytes`);
      hash.update(c);
      chunks.push(c);
      this.maxHeld = Math.max(this.maxHeld, n);
    };
    try {
      if (Buffer.isBuffer(content)) take(content);
      else for await (const c of content as AsyncIterable<Buffer>) take(c);
    } catch (err) {
      this.aborted.push({ received: n, error: err });
      if (!Buffer.isBuffer(content)) content.destroy();
      throw err;
    }
    const bytes = Buffer.concat(chunks, n);
    const handle: DocumentHandle = { id: randomUUID(), mediaType: meta.mediaType, size: n, sha256: hash.digest('hex'), ...(meta.filename ? { filename: meta.filename } : {}) };
    this.stored.set(handle.id, { handle, bytes, meta });
    return handle;
  }

  /** The same documents, to read back. */
  source(): DocumentSource {
    return {
      open: async (id) => {
        const d = this.stored.get(id);
        if (!d) throw new Error('no such document');
        // Several chunks, as a store's stream gives them.
        const parts: Buffer[] = [];
        for (let i = 0; i < d.bytes.length; i += 64 * 1024) parts.push(d.bytes.subarray(i, i + 64 * 1024));
        return { stream: Readable.from(parts), mediaType: d.handle.mediaType, size: d.handle.size };
      },
    };
  }
}

export interface Part {
  headers: Array<[string, string]>;
  body: Buffer | string;
}

/** A multipart body: `lead` before the first delimiter (CXF and Axis write a CRLF there), parts, the close delimiter. */
export function multipart(boundary: string, parts: Part[], lead = ''): Buffer {
  const out: Buffer[] = [Buffer.from(lead, 'latin1')];
  parts.forEach((p, i) => {
    out.push(Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\n${p.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1'));
    out.push(typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body);
  });
  out.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(out);
}

export interface Answer {
  contentType: string;
  body: Buffer;
}

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const XOP = 'http://www.w3.org/2004/08/xop/include';

/** GetDocumentResponse with the content as an XOP include, as Apache CXF 3/4 writes it (SOAP 1.1 or 1.2). */
export function cxfMtom(pdf: Buffer, version: '1.1' | '1.2' = '1.1'): Answer {
  const boundary = `uuid:${randomUUID()}`;
  const cid = `${randomUUID()}-1@cxf.apache.org`;
  const soapType = version === '1.1' ? 'text/xml' : 'application/soap+xml';
  const envelope =
    `<soap:Envelope xmlns:soap="${version === '1.1' ? SOAP11 : SOAP12}"><soap:Body><ns2:GetDocumentResponse xmlns:ns2="${TNS}">` +
    `<mediaType>application/pdf</mediaType><content><xop:Include xmlns:xop="${XOP}" href="cid:${cid}"/></content>` +
    `</ns2:GetDocumentResponse></soap:Body></soap:Envelope>`;
  return {
    contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<root.message@cxf.apache.org>"; start-info="${soapType}"`,
    body: multipart(
      boundary,
      [
        { headers: [['Content-Type', `application/xop+xml; charset=UTF-8; type="${soapType}"`], ['Content-Transfer-Encoding', 'binary'], ['Content-ID', '<root.message@cxf.apache.org>']], body: envelope },
        { headers: [['Content-Type', 'application/pdf'], ['Content-Transfer-Encoding', 'binary'], ['Content-ID', `<${cid}>`], ['Content-Disposition', 'attachment;name="extract.pdf"; filename="extract-123.pdf"']], body: pdf },
      ],
      '\r\n',
    ),
  };
}

/** The same as Metro (the JAX-WS RI in GlassFish/WebLogic) writes it: `rootpart*` ids, headers in its order, no spaces after `;`. */
export function metroMtom(pdf: Buffer): Answer {
  const uuid = randomUUID();
  const boundary = `uuid:${uuid}`;
  const root = `<rootpart*${uuid}@example.jaxws.sun.com>`;
  const cid = `${randomUUID()}@example.jaxws.sun.com`;
  const envelope =
    `<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S="${SOAP11}"><S:Body><ns2:GetDocumentResponse xmlns:ns2="${TNS}">` +
    `<mediaType>application/pdf</mediaType><content><xop:Include xmlns:xop="${XOP}" href="cid:${cid}"></xop:Include></content>` +
    `</ns2:GetDocumentResponse></S:Body></S:Envelope>`;
  return {
    contentType: `multipart/related;start="${root}";type="application/xop+xml";boundary="${boundary}";start-info="text/xml"`,
    body: multipart(boundary, [
      { headers: [['Content-Id', root], ['Content-Type', 'application/xop+xml;charset=utf-8;type="text/xml"'], ['Content-Transfer-Encoding', 'binary']], body: envelope },
      { headers: [['Content-Id', `<${cid}>`], ['Content-Type', 'application/octet-stream'], ['Content-Transfer-Encoding', 'binary']], body: pdf },
    ]),
  };
}

/** SOAP with Attachments as Axis 1.4 writes it: `----=_Part_` boundary, `Content-Id`, the part referenced by an href attribute. */
export function axisSwa(pdf: Buffer): Answer {
  const boundary = `----=_Part_0_${Math.floor(Math.random() * 1e9)}.${Date.now()}`;
  const root = randomBytes(16).toString('hex').toUpperCase();
  const cid = randomBytes(16).toString('hex').toUpperCase();
  const envelope =
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><ns1:GetDocumentResponse xmlns:ns1="${TNS}"><mediaType>application/pdf</mediaType><content href="cid:${cid}"/></ns1:GetDocumentResponse></soapenv:Body></soapenv:Envelope>`;
  return {
    contentType: `multipart/related; type="text/xml"; start="<${root}>"; \tboundary="${boundary}"`,
    body: multipart(
      boundary,
      [
        { headers: [['Content-Type', 'text/xml; charset=UTF-8'], ['Content-Transfer-Encoding', 'binary'], ['Content-Id', `<${root}>`]], body: envelope },
        { headers: [['Content-Type', 'application/pdf'], ['Content-Transfer-Encoding', 'binary'], ['Content-Id', `<${cid}>`]], body: pdf },
      ],
      '\r\n',
    ),
  };
}

/** SwA with a WS-I swaRef (GetAttachmentResponse), as the JAX-WS RI writes it; the part in base64, as some stacks send it. */
export function swaRef(pdf: Buffer, transferEncoding: 'binary' | 'base64' = 'binary'): Answer {
  const uuid = randomUUID();
  const boundary = `uuid:${uuid}`;
  const root = `<rootpart*${uuid}@example.jaxws.sun.com>`;
  const cid = `file=${randomUUID()}@example.jaxws.sun.com`;
  const envelope = `<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S="${SOAP11}"><S:Body><ns2:GetAttachmentResponse xmlns:ns2="${TNS}"><file>cid:${encodeURIComponent(cid)}</file></ns2:GetAttachmentResponse></S:Body></S:Envelope>`;
  const body = transferEncoding === 'base64' ? pdf.toString('base64').replace(/.{76}/g, '$&\r\n') : pdf;
  return {
    contentType: `multipart/related;start="${root}";type="text/xml";boundary="${boundary}"`,
    body: multipart(boundary, [
      { headers: [['Content-Id', root], ['Content-Type', 'text/xml; charset=utf-8'], ['Content-Transfer-Encoding', 'binary']], body: envelope },
      { headers: [['Content-Id', `<${cid}>`], ['Content-Type', 'application/pdf'], ['Content-Transfer-Encoding', transferEncoding]], body },
    ]),
  };
}

/** A plain (not multipart) GetDocumentResponse with the PDF inline as base64, wrapped at 76 columns as Axis and .NET write it. */
export function inlineBase64(pdf: Buffer, version: '1.1' | '1.2' = '1.1'): Answer {
  const b64 = pdf.toString('base64').replace(/.{76}/g, '$&\n');
  return {
    contentType: version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8',
    body: Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${version === '1.1' ? SOAP11 : SOAP12}"><soap:Body><GetDocumentResponse xmlns="${TNS}">` +
        `<mediaType xmlns="">application/pdf</mediaType><content xmlns="" xmlns:xmime="http://www.w3.org/2005/05/xmlmime" xmime:contentType="application/pdf">${b64}</content></GetDocumentResponse></soap:Body></soap:Envelope>`,
    ),
  };
}

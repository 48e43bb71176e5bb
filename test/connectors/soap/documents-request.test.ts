/**
 * The SOAP connector sends documents: a base64Binary input given as a Buffer or as the
 * DocumentHandle of a stored document goes out as an MTOM/XOP part when the provider file sets
 * `soap.mtom` (checked part by part by a server that reads the multipart itself, SOAP 1.1 and
 * 1.2), and inline as base64 otherwise (checked by the `soap` package's own server).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DocumentHandle } from '../../../connectors/documents';
import { ContractViolation } from '../../../connectors/errors';
import { SoapConnector } from '../../../connectors/soap/connector';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import type { ProviderDefinition } from '../../../contracts/types';
import { FIXTURE_WSDL, MemorySink, multipart, pdfLike, sha256, TNS } from './documents-helpers';
import { startSoapServer, testProvider } from './servers';

const soap11 = compileWsdlFile(FIXTURE_WSDL).model;
const soap12 = compileWsdlFile(FIXTURE_WSDL, { port: 'DocumentsSoap12' }).model;
const MB = 1024 * 1024;
const XOP = 'http://www.w3.org/2004/08/xop/include';

interface SeenPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart body the plain way (not with the connector's reader): by its delimiter lines. */
function splitParts(body: Buffer, boundary: string): SeenPart[] {
  const delim = Buffer.from(`--${boundary}`);
  const out: SeenPart[] = [];
  let at: number = body.indexOf(delim);
  assert.equal(at, 0, 'the body starts with the first delimiter');
  for (;;) {
    const lineEnd: number = at + delim.length;
    if (body.subarray(lineEnd, lineEnd + 2).toString() === '--') break;
    assert.equal(body.subarray(lineEnd, lineEnd + 2).toString(), '\r\n');
    const headEnd = body.indexOf('\r\n\r\n', lineEnd);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(lineEnd + 2, headEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headEnd + 4);
    assert.ok(next > 0, 'each part ends with a delimiter');
    out.push({ headers, body: body.subarray(headEnd + 4, next) });
    at = next + 2;
  }
  return out;
}

interface Checked {
  contentType: string;
  soapAction?: string;
  parts: SeenPart[];
}

/** A server that reads an MTOM request, resolves its include, and answers with what it received (as CXF with MTOM on answers: multipart, no attachment). */
async function mtomServer(): Promise<{ url: string; seen: Checked[]; close(): Promise<void> }> {
  const seen: Checked[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type']!;
      const boundary = /boundary="([^"]+)"/.exec(contentType)![1]!;
      const parts = splitParts(body, boundary);
      seen.push({ contentType, soapAction: req.headers.soapaction as string | undefined, parts });
      const envelope = parts[0]!.body.toString('utf8');
      const cid = decodeURIComponent(new RegExp(`<xop:Include xmlns:xop="${XOP}" href="cid:([^"]+)"/>`).exec(envelope)![1]!);
      const part = parts.find((p) => p.headers['content-id'] === `<${cid}>`)!;
      const v12 = envelope.includes('http://www.w3.org/2003/05/soap-envelope');
      const ns = v12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
      const answer = `<soap:Envelope xmlns:soap="${ns}"><soap:Body><ns2:SubmitDocumentResponse xmlns:ns2="${TNS}"><receipt>${sha256(part.body)}</receipt><size>${part.body.length}</size></ns2:SubmitDocumentResponse></soap:Body></soap:Envelope>`;
      const b = 'uuid:7c3a5a4e-1f0e-4f7b-9d55-2b8f3c9a0e11';
      const type = v12 ? 'application/soap+xml' : 'text/xml';
      res.writeHead(200, { 'content-type': `multipart/related; type="application/xop+xml"; boundary="${b}"; start="<root.message@cxf.apache.org>"; start-info="${type}"` });
      res.end(multipart(b, [{ headers: [['Content-Type', `application/xop+xml; charset=UTF-8; type="${type}"`], ['Content-Transfer-Encoding', 'binary'], ['Content-ID', '<root.message@cxf.apache.org>']], body: answer }], '\r\n'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/documents`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('soap/connector: documents in requests', function () {
  const pdf = pdfLike(MB);
  const mtom: Partial<ProviderDefinition> = { soap: { mtom: true } };

  describe('MTOM (soap.mtom: true)', () => {
    let srv: Awaited<ReturnType<typeof mtomServer>>;
    before(async () => (srv = await mtomServer()));
    after(() => srv.close());

    it('SOAP 1.1: a Buffer goes out as an XOP part, as CXF and Metro expect it', async () => {
      const conn = new SoapConnector(testProvider(soap11, srv.url, mtom));
      const r = await conn.call<{ receipt: string; size: number }>('SubmitDocument', { reference: 'EXT-1', content: pdf });
      assert.deepEqual(r.output, { receipt: sha256(pdf), size: pdf.length });
      const s = srv.seen.at(-1)!;
      assert.match(s.contentType, /^multipart\/related; type="application\/xop\+xml"; boundary="uuid:[0-9a-f-]{36}"; start="<[^>]+>"; start-info="text\/xml"$/);
      assert.equal(s.soapAction, '"urn:SubmitDocument"');
      assert.equal(s.parts.length, 2);
      const [root, bin] = s.parts as [SeenPart, SeenPart];
      assert.equal(root.headers['content-type'], 'application/xop+xml; charset=UTF-8; type="text/xml"');
      assert.equal(root.headers['content-transfer-encoding'], 'binary');
      assert.equal(`<${/start="<([^>]+)>"/.exec(s.contentType)![1]}>`, root.headers['content-id']);
      assert.equal(bin.headers['content-transfer-encoding'], 'binary');
      assert.equal(bin.headers['content-type'], 'application/octet-stream');
      assert.ok(bin.body.equals(pdf));
      assert.ok(!root.body.toString('latin1').includes('%PDF'), 'the envelope carries no content');
    });

    it('SOAP 1.2: a stored document, read back through the DocumentSource, goes out as an XOP part; the action travels in start-info', async () => {
      const sink = new MemorySink();
      const handle = await sink.put(pdf, { mediaType: 'application/pdf', origin: { provider: 'p', operation: 'o', source: 'body' }, maxBytes: 10 * MB });
      const conn = new SoapConnector(testProvider(soap12, srv.url, mtom), 'sandbox', { documents: { source: sink.source() } });
      const r = await conn.call<{ receipt: string; size: number }>('SubmitDocument', { reference: 'EXT-1', content: handle });
      assert.deepEqual(r.output, { receipt: handle.sha256, size: handle.size });
      const s = srv.seen.at(-1)!;
      assert.match(s.contentType, /start-info="application\/soap\+xml; action=\\"urn:SubmitDocument\\""$/);
      assert.equal(s.parts[0]!.headers['content-type'], 'application/xop+xml; charset=UTF-8; type="application/soap+xml; action=\\"urn:SubmitDocument\\""');
      assert.equal(s.parts[1]!.headers['content-type'], 'application/pdf');
    });

    it('a handle without a DocumentSource, or one the store cannot match, is refused before anything is sent', async () => {
      const n = srv.seen.length;
      const handle: DocumentHandle = { id: 'doc-1', mediaType: 'application/pdf', size: 10, sha256: sha256(Buffer.alloc(10)) };
      const conn = new SoapConnector(testProvider(soap11, srv.url, mtom));
      await assert.rejects(conn.call('SubmitDocument', { reference: 'x', content: handle }), (e: unknown) => e instanceof ContractViolation && e.direction === 'request');
      const sink = new MemorySink();
      const stored = await sink.put(Buffer.alloc(20), { mediaType: 'application/pdf', origin: { provider: 'p', operation: 'o', source: 'body' }, maxBytes: MB });
      const liar = new SoapConnector(testProvider(soap11, srv.url, mtom), 'sandbox', { documents: { source: sink.source() } });
      await assert.rejects(liar.call('SubmitDocument', { reference: 'x', content: { ...stored, size: 10 } }), (e: unknown) => e instanceof ContractViolation);
      assert.equal(srv.seen.length, n);
    });
  });

  describe('inline (no soap.mtom), to the soap package server', () => {
    let received: Buffer[] = [];
    let srv: Awaited<ReturnType<typeof startSoapServer>>;
    before(async () => {
      srv = await startSoapServer({
        wsdlFile: FIXTURE_WSDL,
        path: '/documents',
        services: {
          DocumentsService: {
            DocumentsSoap11: {
              SubmitDocument: (args: { content: string }) => {
                const bytes = Buffer.from(args.content, 'base64');
                received.push(bytes);
                return { receipt: sha256(bytes), size: bytes.length };
              },
            },
          },
        },
      });
    });
    after(() => srv.close());
    beforeEach(() => (received = []));

    it('a Buffer and a stored document are written as base64 text the server decodes to the same bytes', async () => {
      const sink = new MemorySink();
      const handle = await sink.put(pdf, { mediaType: 'application/pdf', origin: { provider: 'p', operation: 'o', source: 'body' }, maxBytes: 10 * MB });
      const conn = new SoapConnector(testProvider(soap11, srv.url), 'sandbox', { documents: { source: sink.source() } });
      for (const content of [pdf, handle, pdf.toString('base64')]) {
        const r = await conn.call<{ receipt: string; size: number }>('SubmitDocument', { reference: 'EXT-1', content });
        assert.deepEqual(r.output, { receipt: sha256(pdf), size: pdf.length });
      }
      assert.equal(received.length, 3);
      assert.ok(received.every((b) => b.equals(pdf)));
      assert.match(srv.received.at(-1)!.headers['content-type'] ?? '', /^text\/xml/);
    });
  });
});

/**
 * The SOAP connector carries documents in responses: MTOM/XOP (SOAP 1.1 and 1.2, as CXF and
 * Metro write it), SOAP with Attachments (Axis 1 hrefs, WS-I swaRef, binary or base64 parts) and
 * inline base64Binary — each streamed into a DocumentSink and handed on as a DocumentHandle,
 * byte-exact; over the provider's limit refused having held at most the limit; without a sink
 * refused before a byte is read; malformed multipart refused with a typed error.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallRecord } from '../../../connectors/connector';
import type { DocumentHandle } from '../../../connectors/documents';
import { UnsafeResponse } from '../../../connectors/errors';
import { observeCalls } from '../../../connectors/observe';
import { SoapConnector } from '../../../connectors/soap/connector';
import { serviceSchemas } from '../../../connectors/soap/json-schema';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import type { ProviderDefinition } from '../../../contracts/types';
import { axisSwa, cxfMtom, FIXTURE_WSDL, inlineBase64, MemorySink, metroMtom, multipart, pdfLike, sha256, swaRef, type Answer } from './documents-helpers';
import { testProvider } from './servers';

const soap11 = compileWsdlFile(FIXTURE_WSDL).model;
const soap12 = compileWsdlFile(FIXTURE_WSDL, { port: 'DocumentsSoap12' }).model;
const MB = 1024 * 1024;

interface Server {
  url: string;
  /** Bytes the last answer wrote before it ended or its connection closed. */
  written: number;
  /** Whether the last answer's connection closed before the answer was complete. */
  cut: boolean;
  answer: (res: http.ServerResponse) => void;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const state = { url: '', written: 0, cut: false, answer: (_res: http.ServerResponse) => {}, close: async () => {} } as Server;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => state.answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/documents`;
  state.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}

/** Sends a whole answer. */
function send(srv: Server, a: Answer): void {
  srv.answer = (res) => {
    srv.written = a.body.length;
    res.writeHead(200, { 'content-type': a.contentType }).end(a.body);
  };
}

/** Streams `head`, then `size` bytes of a part in 64 KB writes at the socket's pace, then `tail`, counting what was written. */
function sendHuge(srv: Server, contentType: string, head: Buffer, size: number, tail: Buffer): void {
  srv.answer = (res) => {
    srv.written = 0;
    srv.cut = false;
    res.writeHead(200, { 'content-type': contentType });
    res.write(head);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let left = size;
    res.on('close', () => (srv.cut = !res.writableFinished));
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const n = Math.min(left, chunk.length);
        left -= n;
        srv.written += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(tail);
    };
    pump();
  };
}

function connector(url: string, opts: { sink?: MemorySink; v12?: boolean; extra?: Partial<ProviderDefinition> } = {}): SoapConnector {
  return new SoapConnector(testProvider(opts.v12 ? soap12 : soap11, url, opts.extra ?? {}), 'sandbox', opts.sink ? { documents: { sink: opts.sink } } : {});
}

function handleOf(v: unknown): DocumentHandle {
  const h = v as DocumentHandle;
  assert.equal(typeof h.id, 'string');
  return h;
}

describe('soap/connector: documents in responses', function () {
  let srv: Server;
  const records: CallRecord[] = [];
  let stop: () => void;
  before(async () => {
    srv = await startServer();
    stop = observeCalls((r) => records.push(r));
  });
  after(async () => {
    stop();
    await srv.close();
  });
  beforeEach(() => (records.length = 0));

  const pdf = pdfLike(MB);

  /** Calls GetDocument and checks the PDF arrived whole in the sink and as a handle in the output. */
  async function carried(a: Answer, opts: { v12?: boolean } = {}): Promise<{ handle: DocumentHandle; sink: MemorySink }> {
    send(srv, a);
    const sink = new MemorySink();
    const r = await connector(srv.url, { sink, ...opts }).call<{ mediaType: string; content: DocumentHandle }>('GetDocument', { reference: 'EXT-1' }, { orderId: 'ord-7' });
    assert.equal(r.output.mediaType, 'application/pdf');
    const handle = handleOf(r.output.content);
    assert.equal(handle.size, pdf.length);
    assert.equal(handle.sha256, sha256(pdf));
    const stored = sink.stored.get(handle.id)!;
    assert.ok(stored.bytes.equals(pdf), 'the stored bytes are the PDF, byte for byte');
    assert.deepEqual(Object.keys(r.output).sort(), ['content', 'mediaType']);
    assert.equal(stored.meta.origin.orderId, 'ord-7');
    assert.equal(stored.meta.origin.provider, 'test-provider');
    assert.equal(stored.meta.origin.operation, 'GetDocument');
    assert.equal(stored.meta.maxBytes, 10 * MB);
    return { handle, sink };
  }

  it('MTOM/XOP as Apache CXF writes it (SOAP 1.1): the 1 MB PDF reaches the sink byte-exact, the output holds its handle', async () => {
    const a = cxfMtom(pdf);
    const { handle, sink } = await carried(a);
    assert.equal(handle.mediaType, 'application/pdf');
    assert.equal(handle.filename, 'extract-123.pdf');
    assert.match([...sink.stored.values()][0]!.meta.origin.source, /^cid:.+-1@cxf\.apache\.org$/);
  });

  it('MTOM/XOP in SOAP 1.2 (application/soap+xml root)', async () => {
    const { handle } = await carried(cxfMtom(pdf, '1.2'), { v12: true });
    assert.equal(handle.mediaType, 'application/pdf');
  });

  it('MTOM/XOP as Metro (JAX-WS RI) writes it: rootpart* ids, no spaces, Content-Id first', async () => {
    const { handle } = await carried(metroMtom(pdf));
    assert.equal(handle.mediaType, 'application/octet-stream');
  });

  it('SOAP with Attachments as Axis 1 writes it: the part referenced by an href attribute', async () => {
    await carried(axisSwa(pdf));
  });

  it('SOAP with Attachments with a WS-I swaRef, the part binary or base64-encoded', async () => {
    for (const cte of ['binary', 'base64'] as const) {
      send(srv, swaRef(pdf, cte));
      const sink = new MemorySink();
      const r = await connector(srv.url, { sink }).call<{ file: DocumentHandle }>('GetAttachment', { reference: 'EXT-1' });
      assert.equal(r.output.file.sha256, sha256(pdf), cte);
      assert.ok(sink.stored.get(r.output.file.id)!.bytes.equals(pdf), cte);
    }
  });

  it('base64Binary inline in a plain SOAP 1.1 and 1.2 answer: stored, its media type from xmime:contentType', async () => {
    for (const v of ['1.1', '1.2'] as const) {
      const { handle, sink } = await carried(inlineBase64(pdf, v), { v12: v === '1.2' });
      assert.equal(handle.mediaType, 'application/pdf');
      assert.equal([...sink.stored.values()][0]!.meta.origin.source, '/content');
    }
  });

  it('a multipart answer with no document in it (CXF with MTOM on wraps every answer) reads like a plain one', async () => {
    const a = cxfMtom(pdf);
    // Only the root part, with the content inline.
    const inline = inlineBase64(pdfLike(2000));
    const boundary = /boundary="([^"]+)"/.exec(a.contentType)![1]!;
    send(srv, { contentType: a.contentType, body: multipart(boundary, [{ headers: [['Content-Type', 'application/xop+xml; charset=UTF-8; type="text/xml"'], ['Content-ID', '<root.message@cxf.apache.org>']], body: inline.body }], '\r\n') });
    const sink = new MemorySink();
    const r = await connector(srv.url, { sink }).call<{ content: DocumentHandle }>('GetDocument', { reference: 'x' });
    assert.equal(r.output.content.size, 2000);
  });

  it('the output schema describes a document as a handle; one stored before documents were carried (base64 text) is widened to take it', async () => {
    const schemas = serviceSchemas(soap11).operations;
    assert.deepEqual((schemas.GetDocument!.output as { properties: { content: unknown } }).properties.content, {
      anyOf: [{ type: 'string', contentEncoding: 'base64' }, { ...(schemas.GetDocument!.output as { properties: { content: { anyOf: unknown[] } } }).properties.content.anyOf[1] as object }],
    });
    const handleSchema = (schemas.GetDocument!.output as { properties: { content: { anyOf: Array<{ required: string[] }> } } }).properties.content.anyOf[1]!;
    assert.deepEqual(handleSchema.required, ['id', 'mediaType', 'size', 'sha256']);
    // As `wasl provider import` wrote it before: the base64 string alone.
    const legacy = JSON.parse(JSON.stringify(schemas), (_k, v: { anyOf?: Array<{ contentEncoding?: string }> }) => (v && Array.isArray(v.anyOf) && v.anyOf[0]?.contentEncoding === 'base64' ? v.anyOf[0] : v)) as typeof schemas;
    assert.ok(!JSON.stringify(legacy.GetDocument!.output).includes('sha256'));
    send(srv, cxfMtom(pdf));
    const sink = new MemorySink();
    const conn = new SoapConnector({ ...testProvider(soap11, srv.url), schemas: legacy }, 'sandbox', { documents: { sink } });
    const r = await conn.call<{ content: DocumentHandle }>('GetDocument', { reference: 'x' });
    assert.equal(r.output.content.sha256, sha256(pdf));
  });

  describe('the limit', () => {
    const limited = { documents: { maxBytes: MB } };

    it('a document one byte over documents.maxBytes is refused (document-size), the sink having held at most the limit', async () => {
      const over = pdfLike(MB + 1);
      for (const a of [cxfMtom(over), axisSwa(over), inlineBase64(over)]) {
        send(srv, a);
        const sink = new MemorySink();
        await assert.rejects(connector(srv.url, { sink, extra: limited }).call('GetDocument', { reference: 'x' }), (e: unknown) => e instanceof UnsafeResponse && e.limit === 'document-size');
        assert.equal(sink.stored.size, 0);
        assert.ok(sink.maxHeld <= MB, `held ${sink.maxHeld}`);
      }
    });

    it('a 50 MB part: refused as it streams, the connection torn down long before the server got it out', async () => {
      const a = cxfMtom(Buffer.alloc(0));
      const boundary = /boundary="([^"]+)"/.exec(a.contentType)![1]!;
      const split = a.body.indexOf(`\r\n--${boundary}--`);
      const sink = new MemorySink();
      sendHuge(srv, a.contentType, a.body.subarray(0, split), 50 * MB, a.body.subarray(split));
      const before = process.memoryUsage().arrayBuffers;
      await assert.rejects(connector(srv.url, { sink, extra: limited }).call('GetDocument', { reference: 'x' }), (e: unknown) => e instanceof UnsafeResponse && e.limit === 'document-size');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(srv.cut, 'the server saw its connection closed before the answer ended');
      assert.ok(srv.written < 16 * MB, `the server got out ${srv.written} bytes of 50 MB`);
      assert.ok(sink.maxHeld <= MB, `the sink held ${sink.maxHeld}`);
      assert.equal(sink.aborted.length, 1);
      assert.ok(sink.aborted[0]!.received <= MB);
      const rec = records.at(-1)!;
      assert.equal(rec.outcome, 'unsafe-response');
      assert.ok(rec.responseBytes < 4 * MB, `read ${rec.responseBytes} bytes off the socket`);
      assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MB, 'the answer was never buffered');
    });

    it('without a sink, a referenced part is refused (attachment) before a byte of it is read', async () => {
      const a = cxfMtom(Buffer.alloc(0));
      const boundary = /boundary="([^"]+)"/.exec(a.contentType)![1]!;
      const split = a.body.indexOf(`\r\n--${boundary}--`);
      sendHuge(srv, a.contentType, a.body.subarray(0, split), 50 * MB, a.body.subarray(split));
      await assert.rejects(connector(srv.url).call('GetDocument', { reference: 'x' }), (e: unknown) => e instanceof UnsafeResponse && e.limit === 'attachment');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(srv.cut);
      assert.ok(srv.written < 16 * MB, `the server got out ${srv.written} bytes`);
      assert.ok(records.at(-1)!.responseBytes < 2 * MB, `read ${records.at(-1)!.responseBytes} bytes`);
    });

    it('without a sink, inline base64 stays the base64 text (it is inside the envelope, under the XML limit)', async () => {
      const small = pdfLike(3000);
      send(srv, inlineBase64(small));
      const r = await connector(srv.url).call<{ content: string }>('GetDocument', { reference: 'x' });
      assert.ok(Buffer.from(r.output.content, 'base64').equals(small));
    });
  });

  describe('malformed multipart', () => {
    const sink = new MemorySink();
    const refusedAs = (limit: string) => (e: unknown) => e instanceof UnsafeResponse && e.limit === limit;

    it('a part the envelope references is missing', async () => {
      const a = cxfMtom(pdf);
      const boundary = /boundary="([^"]+)"/.exec(a.contentType)![1]!;
      const second = a.body.indexOf(`\r\n--${boundary}\r\n`, 10);
      send(srv, { contentType: a.contentType, body: Buffer.concat([a.body.subarray(0, second), Buffer.from(`\r\n--${boundary}--\r\n`)]) });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('malformed'));
    });

    it('the body does not use the declared boundary', async () => {
      const a = cxfMtom(pdf);
      send(srv, { contentType: a.contentType.replace(/boundary="uuid:/, 'boundary="uuid:0'), body: a.body });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('malformed'));
    });

    it('no boundary at all, a truncated body, a root part that is not first, a reference in a plain answer', async () => {
      const a = cxfMtom(pdf);
      send(srv, { contentType: 'multipart/related; type="application/xop+xml"', body: a.body });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('malformed'));
      send(srv, { contentType: a.contentType, body: a.body.subarray(0, a.body.length - 200_000) });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('malformed'));
      send(srv, { contentType: a.contentType.replace('start="<root.message@cxf.apache.org>"', 'start="<other@cxf.apache.org>"'), body: a.body });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('attachment'));
      const root = a.body.subarray(a.body.indexOf('<soap:Envelope'), a.body.indexOf('</soap:Envelope>') + 16);
      send(srv, { contentType: 'text/xml; charset=utf-8', body: root });
      await assert.rejects(connector(srv.url, { sink }).call('GetDocument', { reference: 'x' }), refusedAs('malformed'));
      assert.equal(sink.stored.size, 0);
    });
  });
});

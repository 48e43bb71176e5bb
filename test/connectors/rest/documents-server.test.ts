/**
 * Documents in REST answers against a real node:http server on an OS-assigned port: a 1 MB PDF
 * sent chunked arrives byte-exact (a gzipped one is left out: with nock loaded in the same run,
 * its pass-through socket resets a large gzipped answer read as a stream, though the same
 * exchange without nock arrives whole); one over the limit from a server that would
 * stream 50 MB is refused with the typed error, with at most the limit passed on and the socket
 * torn down long before the server is done.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { UnsafeResponse } from '../../../connectors/errors';
import { HttpClient } from '../../../connectors/http/client';
import { RestConnector } from '../../../connectors/rest/connector';
import { documentOperations, fakePdf, MemorySink, sha256 } from './document-fixtures';
import { provider, type Operations } from './helpers';

const MB = 1024 * 1024;

describe('REST connector: documents against a real server', () => {
  let operations: Operations;
  let server: http.Server;
  let port: number;
  const pdf = fakePdf(MB, 42);
  /** What the 50 MB stream managed to write before its socket went away, and when it went. */
  let flood: { written: number; closed: Promise<number> } | undefined;

  before(async () => {
    nock.enableNetConnect();
    operations = await documentOperations();
    server = http.createServer((req, res) => {
      if (req.url === '/v1/extracts/PDF/pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        // Chunked and unevenly cut, as a real server's writes arrive.
        for (let at = 0; at < pdf.length; at += 65_521) res.write(pdf.subarray(at, at + 65_521));
        res.end();
      } else if (req.url === '/v1/extracts/FLOOD/pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        const state = { written: 0, closed: new Promise<number>((ok) => res.on('close', () => ok(state.written))) };
        flood = state;
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const pump = () => {
          while (state.written < 50 * MB && !res.destroyed) {
            state.written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      } else if (req.url === '/v1/extracts/BIG/pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(50 * MB) });
        res.write(Buffer.alloc(1024));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"NOT_FOUND"}');
      }
    });
    port = await new Promise<number>((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as AddressInfo).port)));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  function connector(sink: MemorySink, maxBytes?: number) {
    const definition = provider({ environments: { sandbox: { endpoint: `http://127.0.0.1:${port}/v1` } }, ...(maxBytes ? { documents: { maxBytes } } : {}) });
    const client = new HttpClient();
    return new RestConnector({ definition, operations, client, documents: sink });
  }

  it('carries a 1 MB PDF byte-exact, sent chunked, twice over the keep-alive socket', async () => {
    const sink = new MemorySink();
    const rest = connector(sink);
    try {
      for (const ref of ['PDF', 'PDF']) {
        const { output } = await rest.call<{ sha256: string; size: number }>('GetExtractPdf', { path: { reference: ref } });
        assert.equal(output.size, MB);
        assert.equal(output.sha256, sha256(pdf));
      }
      for (const doc of sink.stored.values()) assert.ok(doc.content.equals(pdf));
      assert.equal(sink.stored.size, 2);
    } finally {
      await rest.close();
    }
  });

  it('refuses a document over the limit from a server that would stream 50 MB: typed error, at most the limit held, the socket torn down early', async () => {
    const sink = new MemorySink();
    const rest = connector(sink, 2 * MB);
    const started = Date.now();
    try {
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'FLOOD' } }), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'document-size');
      assert.ok(sink.mostHeld <= 2 * MB, `the sink held ${sink.mostHeld} bytes`);
      assert.equal(sink.stored.size, 0);
      const written = await flood!.closed;
      // What the server got written before the socket closed: the limit plus what socket buffers took.
      assert.ok(written < 12 * MB, `the server wrote ${written} bytes`);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await rest.close();
    }
  });

  it('refuses a declared 50 MB body at its head, before the sink sees a byte', async () => {
    const sink = new MemorySink();
    const rest = connector(sink, 2 * MB);
    try {
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'BIG' } }), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'document-size');
      assert.equal(sink.puts, 0);
    } finally {
      await rest.close();
    }
  });
});

/**
 * requestStream's buffer(): the body read whole, as the buffered client reads it (straight off
 * the response, no streams between), with the same limits and the same error tree, against a
 * real local server.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { HttpClient } from '../../../connectors/http/client';
import { requestStream, type StreamRequest } from '../../../connectors/http/stream';
import { TimeoutError, TransportError, UnsafeResponse } from '../../../connectors/errors';
import { answerEndlessly } from './endless';

const base = { method: 'GET', connectTimeoutMs: 2000, timeoutMs: 5000 } satisfies Partial<StreamRequest>;
const text = 'شهادة قيد فردي — '.repeat(200);

describe('connectors/http/stream: buffer() (real server)', () => {
  let server: http.Server;
  let url: string;
  let client: HttpClient;
  let nockWasActive = false;

  before(async () => {
    nockWasActive = nock.isActive();
    if (nockWasActive) nock.restore();
    server = http.createServer((req, res) => {
      switch (req.url) {
        case '/text':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          // Several writes: the body arrives in more than one chunk.
          for (let i = 0; i < text.length; i += 500) res.write(text.slice(i, i + 500));
          res.end();
          return;
        case '/declared':
          res.writeHead(200, { 'content-length': String(64 * 1024) });
          res.end(Buffer.alloc(64 * 1024, 0x61));
          return;
        case '/endless':
          answerEndlessly(res);
          return;
        case '/gzip':
          res.writeHead(200, { 'content-encoding': 'gzip' });
          res.end(gzipSync(Buffer.from(text)));
          return;
        case '/bomb':
          // 1 kB on the wire, 8 MB decoded.
          res.writeHead(200, { 'content-encoding': 'gzip' });
          res.end(gzipSync(Buffer.alloc(8 << 20)));
          return;
        case '/badgzip':
          res.writeHead(200, { 'content-encoding': 'gzip' });
          res.end('this is not gzip at all');
          return;
        case '/cut':
          res.writeHead(200, { 'content-length': '100' });
          res.write('only part', () => res.socket?.destroy());
          return;
        case '/trickle':
          res.writeHead(200, { 'content-length': '100' });
          res.write('a');
          return; // and never more
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (nockWasActive && !nock.isActive()) nock.activate();
  });
  beforeEach(() => {
    client = new HttpClient();
  });
  afterEach(() => client.close());

  const buffered = async (path: string, maxBytes: number, extra: Partial<StreamRequest> = {}) => {
    const res = await requestStream(client, { ...base, url: `${url}${path}`, ...extra });
    return { res, body: await res.buffer(maxBytes) };
  };

  it('returns the whole body, byte for byte, and counts it over the wire', async () => {
    const { res, body } = await buffered('/text', 1 << 20);
    assert.equal(res.status, 200);
    assert.equal(body.toString('utf8'), text);
    assert.equal(res.bytesReceived, Buffer.byteLength(text));
  });

  it('decodes gzip, counting the bytes on the wire, not the decoded ones', async () => {
    const { res, body } = await buffered('/gzip', 1 << 20);
    assert.equal(body.toString('utf8'), text);
    assert.equal(res.bytesReceived, gzipSync(Buffer.from(text)).length);
  });

  it('refuses a body declared over the limit before reading it', async () => {
    const res = await requestStream(client, { ...base, url: `${url}/declared` });
    await assert.rejects(res.buffer(1024), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'size');
    assert.equal(res.bytesReceived, 0, 'not a byte of it read');
  });

  it('stops an endless body at the limit', async () => {
    await assert.rejects(buffered('/endless', 256 * 1024), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'size');
  });

  it('stops a body whose decoded size passes the limit (a compression bomb)', async () => {
    await assert.rejects(buffered('/bomb', 1 << 20), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'size');
  });

  it('maps a body that cannot be decoded to UnsafeResponse(malformed)', async () => {
    await assert.rejects(buffered('/badgzip', 1 << 20), (err: unknown) => err instanceof UnsafeResponse && err.limit === 'malformed');
  });

  it('maps a connection cut mid-body to TransportError', async () => {
    await assert.rejects(buffered('/cut', 1 << 20), (err: unknown) => err instanceof TransportError);
  });

  it('ends a body that stops coming with the total timeout', async () => {
    await assert.rejects(buffered('/trickle', 1 << 20, { timeoutMs: 200 }), (err: unknown) => err instanceof TimeoutError && err.phase === 'total');
  });

  it('ends with the signal\'s reason when aborted mid-body', async () => {
    const ctl = new AbortController();
    const res = await requestStream(client, { ...base, url: `${url}/trickle`, signal: ctl.signal });
    const reading = res.buffer(1 << 20);
    ctl.abort(new Error('the order was cancelled'));
    await assert.rejects(reading, /the order was cancelled/);
  });

  it('reads a body once', async () => {
    const res = await requestStream(client, { ...base, url: `${url}/text` });
    await res.buffer(1 << 20);
    await assert.rejects(res.buffer(1 << 20), /read once/);
  });
});

/** The shared HTTP client's error mapping, timeouts and size limits, with nock at the HTTP level. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import nock from 'nock';
import { HttpClient, type HttpRequest } from '../../../connectors/http/client';
import { TimeoutError, TransportError, UnsafeResponse } from '../../../connectors/errors';

const ORIGIN = 'http://ministry.test';
const base = { url: `${ORIGIN}/ws`, method: 'POST', connectTimeoutMs: 1000, timeoutMs: 2000, maxResponseBytes: 64 * 1024 } satisfies HttpRequest;

describe('connectors/http/client (nock)', () => {
  const client = new HttpClient();
  before(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
  });
  after(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await client.close();
  });
  afterEach(() => nock.cleanAll());

  for (const errno of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']) {
    it(`maps ${errno} to a transient TransportError(${errno}) without the cause's text`, async () => {
      // An Error instance: nock 14 drops a plain-object error on the floor.
      nock(ORIGIN).post('/ws').replyWithError(Object.assign(new Error(`connect ${errno} ministry.test secret-path`), { code: errno }));
      const err = await client.request(base).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, errno);
      assert.equal(err.transient, true);
      assert.equal(err.message, `transport failure: ${errno}`);
    });
  }

  it('maps "socket hang up" (ECONNRESET) and an error without a code (EUNKNOWN)', async () => {
    nock(ORIGIN).post('/ws').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.equal(((await client.request(base).catch((e: unknown) => e)) as TransportError).errno, 'ECONNRESET');
    nock(ORIGIN).post('/ws').replyWithError('something odd with 01020304050');
    const err = (await client.request(base).catch((e: unknown) => e)) as TransportError;
    assert.ok(err instanceof TransportError);
    assert.equal(err.errno, 'EUNKNOWN');
    assert.doesNotMatch(err.message, /01020304050/);
  });

  it('ends with a connect timeout when the connection is not made in time', async () => {
    nock(ORIGIN).post('/ws').delayConnection(500).reply(200, 'late');
    const started = Date.now();
    const err = await client.request({ ...base, connectTimeoutMs: 50 }).catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    assert.equal(err.phase, 'connect');
    assert.equal(err.timeoutMs, 50);
    assert.ok(Date.now() - started < 400);
  });

  it('ends with a total timeout when the body is too slow, even once connected', async () => {
    nock(ORIGIN).post('/ws').delayBody(500).reply(200, 'late');
    const err = await client.request({ ...base, connectTimeoutMs: 50, timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    assert.equal(err.phase, 'total');
  });

  it('answers with status, headers, body and sizes; sends the body with its length', async () => {
    let seen: { body: unknown; headers: Record<string, unknown> } | undefined;
    nock(ORIGIN)
      .post('/ws')
      .reply(function (_uri, body) {
        seen = { body, headers: this.req.headers };
        return [500, 'عطل', { 'x-trace': 'abc' }];
      });
    const res = await client.request({ ...base, body: '<a>ب</a>', headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
    assert.equal(res.status, 500, 'an error status is an answer, not an exception: the connector decides');
    assert.equal(res.headers['x-trace'], 'abc');
    assert.equal(res.body.toString('utf8'), 'عطل');
    assert.equal(res.bytesSent, Buffer.byteLength('<a>ب</a>'));
    assert.equal(res.bytesReceived, Buffer.byteLength('عطل'));
    assert.equal(seen?.body, '<a>ب</a>');
    assert.equal(seen?.headers['content-length'], String(Buffer.byteLength('<a>ب</a>')));
    assert.equal(seen?.headers['accept-encoding'], undefined);
  });

  it('refuses at once a response whose Content-Length is over the limit', async () => {
    // The header alone decides: the (short) body is never read.
    nock(ORIGIN).post('/ws').reply(200, Buffer.alloc(1024), { 'content-length': String(50 << 20) });
    const err = await client.request(base).catch((e: unknown) => e);
    assert.ok(err instanceof UnsafeResponse, String(err));
    assert.equal(err.limit, 'size');
  });

  // nock produces the whole mock body regardless of back-pressure; test/connectors/http/client.test.ts
  // shows with a real endless server that reading stops at the limit.
  it('stops a 50 MB chunked response as soon as it passes the limit, in bounded time and memory', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const body = new Readable({
      read() {
        if (sent >= 50 << 20) return this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    nock(ORIGIN).post('/ws').reply(200, () => body);
    const heap = process.memoryUsage().heapUsed;
    const started = Date.now();
    const err = await client.request({ ...base, maxResponseBytes: 1 << 20 }).catch((e: unknown) => e);
    assert.ok(err instanceof UnsafeResponse, String(err));
    assert.equal(err.limit, 'size');
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
    assert.ok(process.memoryUsage().heapUsed - heap < 100 << 20);
  });

  it('decodes a gzip response within the limit', async () => {
    const text = 'نص عربي '.repeat(100);
    nock(ORIGIN).post('/ws').reply(200, zlib.gzipSync(text), { 'content-encoding': 'gzip' });
    const res = await client.request({ ...base, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.body.toString('utf8'), text);
    assert.ok(res.bytesReceived < Buffer.byteLength(text));
  });

  it('stops a decompression bomb at the limit of decoded bytes', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(100 << 20)); // 100 MB of zeros in ~100 KB
    nock(ORIGIN).post('/ws').reply(200, bomb, { 'content-encoding': 'gzip' });
    const heap = process.memoryUsage().heapUsed;
    const err = await client.request({ ...base, maxResponseBytes: 1 << 20 }).catch((e: unknown) => e);
    assert.ok(err instanceof UnsafeResponse, String(err));
    assert.equal(err.limit, 'size');
    assert.ok(process.memoryUsage().heapUsed - heap < 100 << 20);
  });

  it('refuses a body that claims gzip but is not', async () => {
    nock(ORIGIN).post('/ws').reply(200, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    const err = await client.request(base).catch((e: unknown) => e);
    assert.ok(err instanceof UnsafeResponse, String(err));
    assert.equal(err.limit, 'malformed');
  });

  it('aborts through the signal while waiting', async () => {
    nock(ORIGIN).post('/ws').delayBody(1000).reply(200, 'late');
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 20);
    await assert.rejects(client.request({ ...base, signal: ctl.signal }), { name: 'AbortError' });
  });

  it('rejects a URL that is not http(s) before any I/O', async () => {
    await assert.rejects(client.request({ ...base, url: 'file:///etc/passwd' }), TypeError);
    await assert.rejects(client.request({ ...base, url: 'not a url' }), TypeError);
  });
});

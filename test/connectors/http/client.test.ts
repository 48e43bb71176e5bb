/** The shared HTTP client against real local servers: keep-alive reuse, timeouts, TLS and mutual TLS. */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpClient, sharedHttpClient, type HttpRequest } from '../../../connectors/http/client';
import { TimeoutError, TransportError, UnsafeResponse } from '../../../connectors/errors';
import nock from 'nock';
import { makePki, type TestPki } from './certs';
import { answerEndlessly } from './endless';

const base = { connectTimeoutMs: 2000, timeoutMs: 5000, maxResponseBytes: 1 << 20 } satisfies Partial<HttpRequest>;

function listen<S extends net.Server>(server: S): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    (server as http.Server).closeAllConnections?.();
    server.close(() => resolve());
  });
}

describe('connectors/http/client (real servers)', () => {
  let client: HttpClient;
  // nock (loaded by other suites of the same run) wraps every socket, and its pass-through never
  // reuses one: socket reuse can only be observed with it off.
  let nockWasActive = false;
  before(() => {
    nockWasActive = nock.isActive();
    if (nockWasActive) nock.restore();
  });
  after(() => {
    if (nockWasActive && !nock.isActive()) nock.activate();
  });
  beforeEach(() => {
    client = new HttpClient();
  });
  afterEach(() => client.close());

  describe('over plain HTTP', () => {
    let server: http.Server;
    let port: number;
    let connections = 0;
    before(async () => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.url === '/silent') return; // accepts and never answers
          if (req.url === '/endless') {
            answerEndlessly(res);
            return;
          }
          if (req.url === '/cut') {
            res.writeHead(200, { 'content-length': '100' });
            res.write('only part');
            setTimeout(() => res.socket?.destroy(), 10);
            return;
          }
          const body = Buffer.concat(chunks);
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-method': req.method ?? '', 'x-accept-encoding': String(req.headers['accept-encoding'] ?? '') });
          res.end(body.length ? body : 'ok');
        });
      });
      server.on('connection', () => connections++);
      port = await listen(server);
    });
    after(() => close(server));
    beforeEach(() => {
      connections = 0;
    });

    it('echoes an Arabic body byte for byte and counts bytes both ways', async () => {
      const text = 'ريم خالد الأحمد — دمشق، المزة ١٢٣ 👍';
      const res = await client.request({ ...base, url: `http://127.0.0.1:${port}/echo`, method: 'POST', body: text });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString('utf8'), text);
      assert.deepEqual(res.body, Buffer.from(text, 'utf8'));
      assert.equal(res.bytesSent, Buffer.byteLength(text));
      assert.equal(res.bytesReceived, Buffer.byteLength(text));
      assert.equal(res.headers['x-accept-encoding'], '', 'no Accept-Encoding is sent');
    });

    it('reuses one keep-alive socket for sequential requests', async () => {
      for (let i = 0; i < 20; i++) await client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
      assert.equal(connections, 1);
      assert.deepEqual(client.socketCounts()[`http://127.0.0.1:${port}`], { active: 0, idle: 1 });
    });

    it('opens at most one socket per request in flight, and reuses them afterwards', async () => {
      const burst = () => Promise.all(Array.from({ length: 8 }, () => client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' })));
      await burst();
      const afterFirst = connections;
      assert.ok(afterFirst <= 8 && afterFirst >= 1, `connections: ${afterFirst}`);
      await burst();
      await burst();
      assert.equal(connections, afterFirst);
    });

    it('closes a keep-alive socket idle for idleSocketMs, before the server would', async () => {
      const short = new HttpClient({ idleSocketMs: 80 });
      try {
        await short.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
        assert.deepEqual(short.socketCounts()[`http://127.0.0.1:${port}`], { active: 0, idle: 1 });
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(short.socketCounts()[`http://127.0.0.1:${port}`], { active: 0, idle: 0 });
        await short.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
        assert.equal(connections, 2);
      } finally {
        await short.close();
      }
    });

    it('keeps a socket in use past idleSocketMs while its request is slow', async () => {
      const short = new HttpClient({ idleSocketMs: 50 });
      try {
        await short.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
        const err = await short.request({ ...base, timeoutMs: 200, url: `http://127.0.0.1:${port}/silent`, method: 'GET' }).catch((e: unknown) => e);
        assert.ok(err instanceof TimeoutError && err.phase === 'total', String(err));
      } finally {
        await short.close();
      }
    });

    it('shares one agent across clients of the process through sharedHttpClient', async () => {
      await sharedHttpClient.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
      await sharedHttpClient.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
      assert.equal(connections, 1);
      await sharedHttpClient.close();
    });

    it('ends with a total timeout when the server accepts but never answers, and drops that socket', async () => {
      const started = Date.now();
      const err = await client.request({ ...base, timeoutMs: 150, url: `http://127.0.0.1:${port}/silent`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof TimeoutError, String(err));
      assert.equal(err.phase, 'total');
      assert.equal(err.timeoutMs, 150);
      assert.equal(err.transient, true);
      assert.ok(Date.now() - started < 1000);
      // The next request must not be stuck behind the silent one.
      const ok = await client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' });
      assert.equal(ok.status, 200);
    });

    it('stops an endless response at maxResponseBytes, with bounded memory', async () => {
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      const err = await client.request({ ...base, maxResponseBytes: 2 << 20, url: `http://127.0.0.1:${port}/endless`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof UnsafeResponse, String(err));
      assert.equal(err.limit, 'size');
      assert.ok(Date.now() - started < 2000);
      assert.ok(process.memoryUsage().heapUsed - heapBefore < 50 << 20);
    });

    it('maps a connection cut mid-body to TransportError(ECONNRESET)', async () => {
      const err = await client.request({ ...base, url: `http://127.0.0.1:${port}/cut`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, 'ECONNRESET');
    });

    it('aborts through the signal, before or during the request', async () => {
      const pre = AbortSignal.abort();
      await assert.rejects(client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET', signal: pre }), { name: 'AbortError' });
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 30);
      await assert.rejects(client.request({ ...base, url: `http://127.0.0.1:${port}/silent`, method: 'GET', signal: ctl.signal }), { name: 'AbortError' });
    });
  });

  it('reaches an IPv6 literal, and refuses credentials written in the URL', async () => {
    const server = http.createServer((_req, res) => res.end('v6'));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', () => resolve((server.address() as AddressInfo).port));
    }).catch(() => 0);
    try {
      if (port) assert.equal((await client.request({ ...base, url: `http://[::1]:${port}/`, method: 'GET' })).body.toString(), 'v6');
      await assert.rejects(client.request({ ...base, url: `http://user:pw@127.0.0.1:${port || 1}/`, method: 'GET' }), (e: Error) => e instanceof TypeError && !e.message.includes('pw'));
    } finally {
      if (port) await close(server);
    }
  });

  it('maps a refused connection to TransportError(ECONNREFUSED)', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await close(server);
    const err = await client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' }).catch((e: unknown) => e);
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.errno, 'ECONNREFUSED');
    assert.equal(err.message, 'transport failure: ECONNREFUSED');
  });

  it('maps an unknown host to TransportError(ENOTFOUND or EAI_AGAIN)', async () => {
    const err = await client.request({ ...base, url: 'http://no-such-host.invalid/', method: 'GET' }).catch((e: unknown) => e);
    assert.ok(err instanceof TransportError, String(err));
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(err.errno), err.errno);
  });

  it('maps a socket closed before any response to TransportError(ECONNRESET) (socket hang up)', async () => {
    const server = net.createServer((s) => s.once('data', () => s.destroy()));
    const port = await listen(server);
    try {
      const err = await client.request({ ...base, url: `http://127.0.0.1:${port}/`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, 'ECONNRESET');
    } finally {
      await close(server);
    }
  });

  describe('over TLS', () => {
    let pki: TestPki;
    const servers: net.Server[] = [];
    before(function () {
      this.timeout(10_000);
      pki = makePki();
    });
    after(async () => {
      await Promise.all(servers.map(close));
      pki.cleanup();
    });
    const tlsServer = async (opts: https.ServerOptions): Promise<number> => {
      const server = https.createServer(opts, (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.end(peer?.subject?.CN ?? 'anonymous');
      });
      servers.push(server);
      return listen(server);
    };

    it('connects with a private CA and reuses the TLS socket', async () => {
      const port = await tlsServer({ cert: pki.server.cert, key: pki.server.key });
      let handshakes = 0;
      servers[servers.length - 1]!.on('secureConnection', () => handshakes++);
      for (const host of ['localhost', '127.0.0.1']) {
        const res = await client.request({ ...base, url: `https://${host}:${port}/`, method: 'GET', tls: { ca: pki.ca } });
        assert.equal(res.status, 200);
      }
      await client.request({ ...base, url: `https://localhost:${port}/`, method: 'GET', tls: { ca: pki.ca } });
      assert.equal(handshakes, 2, 'one per origin');
    });

    it('refuses a server whose CA it does not trust (UNABLE_TO_VERIFY_LEAF_SIGNATURE)', async () => {
      const port = await tlsServer({ cert: pki.server.cert, key: pki.server.key });
      const err = await client.request({ ...base, url: `https://localhost:${port}/`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it('refuses a self-signed server certificate (DEPTH_ZERO_SELF_SIGNED_CERT), unless told not to verify', async () => {
      const port = await tlsServer({ cert: pki.selfSigned.cert, key: pki.selfSigned.key });
      const err = await client.request({ ...base, url: `https://localhost:${port}/`, method: 'GET' }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      const res = await client.request({ ...base, url: `https://localhost:${port}/`, method: 'GET', tls: { rejectUnauthorized: false } });
      assert.equal(res.status, 200);
    });

    it('refuses an expired server certificate (CERT_HAS_EXPIRED)', async () => {
      const port = await tlsServer({ cert: pki.expired.cert, key: pki.expired.key });
      const err = await client.request({ ...base, url: `https://localhost:${port}/`, method: 'GET', tls: { ca: pki.ca } }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.errno, 'CERT_HAS_EXPIRED');
    });

    it('mutual TLS: the server accepts our client certificate and refuses a client without one', async () => {
      const port = await tlsServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true });
      const url = `https://localhost:${port}/`;
      const res = await client.request({ ...base, url, method: 'GET', tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'wasl-client');
      // Same origin, other identity: another agent, so no socket authenticated as the client is reused.
      const err = await client.request({ ...base, url, method: 'GET', tls: { ca: pki.ca } }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.errno, /^(ECONNRESET|EPIPE|ERR_SSL_\w+)$/);
      assert.equal(Object.keys(client.socketCounts()).length, 1);
    });

    it('ends with a connect timeout when the TLS handshake never completes', async () => {
      // A TCP server that accepts and stays silent: TCP connects, TLS never does.
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => sockets.push(s));
      servers.push(server);
      const port = await listen(server);
      const started = Date.now();
      const err = await client.request({ ...base, connectTimeoutMs: 100, url: `https://localhost:${port}/`, method: 'GET', tls: { ca: pki.ca } }).catch((e: unknown) => e);
      sockets.forEach((s) => s.destroy());
      assert.ok(err instanceof TimeoutError, String(err));
      assert.equal(err.phase, 'connect');
      assert.ok(Date.now() - started < 1000);
    });
  });
});

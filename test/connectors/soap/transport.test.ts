/**
 * The SOAP connector over a misbehaving network: timeouts, retries (only with an idempotency
 * key), the circuit breaker, refused connections — against slow and failing node:http servers
 * and nock — and hostile responses (billion laughs, XXE, 10,000-deep nesting, 50 MB), each
 * ending in a clear UnsafeResponse in bounded time.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import type { CallRecord } from '../../../connectors/connector';
import { CircuitOpenError, ProviderFault, TimeoutError, TransportError, UnsafeResponse } from '../../../connectors/errors';
import { observeCalls } from '../../../connectors/observe';
import { SoapConnector } from '../../../connectors/soap/connector';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import type { ProviderDefinition } from '../../../contracts/types';
import { CORPUS } from './codec-helpers';
import { startBareServer, testProvider, XROAD_CONFIG, type BareServer } from './servers';

const model = compileWsdlFile(`${CORPUS}/xroad-example-adapter/example-adapter.wsdl`).model;
const OK = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:helloServiceResponse xmlns:p="http://test.x-road.global/producer"><p:message>مرحبا</p:message></p:helloServiceResponse></e:Body></e:Envelope>';

function connector(url: string, extra: Partial<ProviderDefinition> = {}): SoapConnector {
  return new SoapConnector(testProvider(model, url, { xroad: XROAD_CONFIG, ...extra }));
}

describe('soap/connector: transport, resilience and hostile responses', function () {
  const records: CallRecord[] = [];
  let stop: () => void;
  before(() => (stop = observeCalls((r) => records.push(r))));
  after(() => stop());
  beforeEach(() => (records.length = 0));

  describe('timeouts and retries against a slow / failing server', () => {
    let srv: BareServer;
    let behaviour: (hit: number, res: http.ServerResponse) => void;
    before(async () => {
      srv = await startBareServer((_req, _body, res, hit) => behaviour(hit, res));
    });
    after(() => srv.close());

    const ok = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(OK);

    it('a response slower than timeoutMs is a TimeoutError; without an idempotency key it is not retried', async () => {
      const base = srv.hits;
      behaviour = (_h, res) => setTimeout(() => ok(res), 400);
      const conn = connector(srv.url, { resilience: { timeoutMs: 100, retry: { maxAttempts: 3 } } });
      const t0 = Date.now();
      await assert.rejects(conn.call('helloService', { name: 'x' }), (e: unknown) => e instanceof TimeoutError && e.phase === 'total' && e.attempt === 1);
      assert.ok(Date.now() - t0 < 350, 'gave up at the timeout');
      assert.equal(srv.hits - base, 1);
      assert.deepEqual(records.map((r) => [r.outcome, r.attempts]), [['timeout', 1]]);
    });

    it('with an idempotency key, transient failures are retried and the same X-Road id is sent each time', async () => {
      const base = srv.hits;
      behaviour = (hit, res) => (hit - base === 1 ? setTimeout(() => ok(res), 400) : hit - base === 2 ? res.writeHead(503).end() : ok(res));
      const conn = connector(srv.url, { resilience: { timeoutMs: 100, retry: { maxAttempts: 3 } } });
      const r = await conn.call('helloService', { name: 'x' }, { idempotencyKey: 'order-42-step-3' });
      assert.equal(r.attempts, 3);
      assert.deepEqual(r.output, { message: 'مرحبا' });
      const ids = srv.received.slice(base).map((q) => /<xro:id>([^<]*)<\/xro:id>/.exec(q.body)?.[1]);
      assert.deepEqual(ids, ['order-42-step-3', 'order-42-step-3', 'order-42-step-3']);
      assert.deepEqual(records.map((x) => [x.outcome, x.attempts, x.status]), [['success', 3, 200]]);
    });

    it('gives up after maxAttempts with the last error, attempts counted', async () => {
      behaviour = (_h, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
      const conn = connector(srv.url, { resilience: { retry: { maxAttempts: 2 } } });
      await assert.rejects(conn.call('helloService', { name: 'x' }, { idempotencyKey: 'k' }), (e: unknown) => e instanceof ProviderFault && e.status === 502 && e.transient && e.attempt === 2);
    });

    it('the circuit breaker opens after consecutive transient failures; then nothing is sent', async () => {
      behaviour = (_h, res) => res.writeHead(503).end();
      const conn = connector(srv.url, { resilience: { circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 } } });
      for (let i = 0; i < 2; i++) await assert.rejects(conn.call('helloService', { name: 'x' }), ProviderFault);
      const base = srv.hits;
      await assert.rejects(conn.call('helloService', { name: 'x' }), CircuitOpenError);
      assert.equal(srv.hits, base);
      assert.equal(records.at(-1)?.outcome, 'circuit-open');
    });
  });

  it('a refused connection is a TransportError', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    await assert.rejects(connector(`http://127.0.0.1:${port.port}/soap`).call('helloService', { name: 'x' }), (e: unknown) => e instanceof TransportError && e.errno === 'ECONNREFUSED');
  });

  describe('nock (HTTP-level behaviour)', () => {
    before(() => {
      if (!nock.isActive()) nock.activate();
      nock.disableNetConnect();
    });
    after(() => {
      nock.cleanAll();
      nock.enableNetConnect();
    });
    afterEach(() => nock.cleanAll());
    // An Error instance: nock 14 drops a plain-object error.
    const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    it('a connection reset is retried with an idempotency key; the envelope and SOAPAction are what nock saw', async () => {
      let seen = '';
      nock('http://ministry.example.sy')
        .post('/ws')
        .replyWithError(reset())
        .post('/ws', (b: string) => ((seen = b), true))
        .matchHeader('soapaction', '""')
        .reply(200, OK, { 'content-type': 'text/xml' });
      const r = await connector('http://ministry.example.sy/ws').call('helloService', { name: 'ريم' }, { idempotencyKey: 'k-1' });
      assert.equal(r.attempts, 2);
      assert.match(seen, /<ns1:name>ريم<\/ns1:name>/);
    });

    it('without an idempotency key a reset is final', async () => {
      nock('http://ministry.example.sy').post('/ws').replyWithError(reset());
      await assert.rejects(connector('http://ministry.example.sy/ws').call('helloService', { name: 'x' }), (e: unknown) => e instanceof TransportError && e.attempt === 1);
    });
  });

  describe('hostile responses', () => {
    let srv: BareServer;
    let send: (res: http.ServerResponse) => void;
    before(async () => {
      srv = await startBareServer((_req, _body, res) => send(res));
    });
    after(() => srv.close());

    const LAUGHS =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>' +
      '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:helloServiceResponse xmlns:p="http://test.x-road.global/producer"><p:message>&lol9;</p:message></p:helloServiceResponse></e:Body></e:Envelope>';
    const XXE =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:helloServiceResponse xmlns:p="http://test.x-road.global/producer"><p:message>&xxe;</p:message></p:helloServiceResponse></e:Body></e:Envelope>';
    const DEEP = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>' + '<a>'.repeat(10_000) + '</a>'.repeat(10_000) + '</e:Body></e:Envelope>';

    const cases: Array<[string, () => void, UnsafeResponse['limit'], number?]> = [
      ['billion laughs', () => (send = (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(LAUGHS)), 'dtd'],
      ['XXE', () => (send = (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(XXE)), 'dtd'],
      ['XXE on a 500 (hostile whatever the status)', () => (send = (res) => res.writeHead(500, { 'content-type': 'text/xml' }).end(XXE)), 'dtd'],
      ['10,000-deep nesting', () => (send = (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(DEEP)), 'depth'],
      [
        '50 MB response',
        () =>
          (send = (res) => {
            res.writeHead(200, { 'content-type': 'text/xml' });
            const chunk = Buffer.alloc(1024 * 1024, 'x');
            let sent = 0;
            const pump = () => {
              while (sent < 50 && res.write(chunk)) sent++;
              if (sent < 50) res.once('drain', pump);
              else res.end();
            };
            res.write('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><m>');
            res.on('error', () => {});
            pump();
          }),
        'size',
      ],
    ];

    for (const [name, arrange, limit] of cases) {
      it(`${name}: UnsafeResponse (${limit}) in bounded time and memory`, async () => {
        arrange();
        const rss0 = process.memoryUsage().rss;
        const t0 = Date.now();
        await assert.rejects(connector(srv.url).call('helloService', { name: 'x' }, { idempotencyKey: 'k' }), (e: unknown) => {
          assert.ok(e instanceof UnsafeResponse, String(e));
          assert.equal(e.limit, limit);
          assert.equal(e.attempt, 1, 'never retried');
          assert.equal(e.operation, 'helloService');
          assert.ok(!e.message.includes('passwd') && !e.message.includes('lol'), 'says what rule broke, not the content');
          return true;
        });
        assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
        assert.ok(process.memoryUsage().rss - rss0 < 64 * 1024 * 1024, 'memory stayed bounded');
        assert.equal(records.at(-1)?.outcome, 'unsafe-response');
      });
    }

    it('the provider\'s own xml limits apply', async () => {
      send = (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(OK.replace('<p:message>', '<p:message>' + 'ب'.repeat(4000)));
      await assert.rejects(connector(srv.url, { xml: { maxBytes: 2048 } }).call('helloService', { name: 'x' }), (e: unknown) => e instanceof UnsafeResponse && e.limit === 'size');
      send = (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(OK);
      await assert.rejects(connector(srv.url, { xml: { maxElements: 16, maxDepth: 3 } }).call('helloService', { name: 'x' }), (e: unknown) => e instanceof UnsafeResponse && e.limit === 'depth');
    });
  });
});

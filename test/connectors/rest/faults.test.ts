/**
 * The REST connector when things go wrong, with nock: business refusals mapped by rules, provider
 * faults, retries (only when allowed), timeouts, the circuit breaker, and malformed or hostile
 * responses — each ending in a clear typed error.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import nock from 'nock';
import {
  BusinessRefusal,
  CircuitOpenError,
  ContractViolation,
  ProviderFault,
  TimeoutError,
  TransportError,
  UnsafeResponse,
} from '../../../connectors/errors';
import { RestConnector } from '../../../connectors/rest/connector';
import { ARABIC, importedOperations, NN, origin, provider, recordCalls, type Operations } from './helpers';

const json = { 'content-type': 'application/json' };
const personInput = { path: { nationalNumber: NN }, headers: { 'X-Centre-Code': 'DAM-01' } };
const person = JSON.stringify({ nationalNumber: NN, fullName: ARABIC });
const extractInput = { path: { nationalNumber: NN }, body: { purpose: 'travel', copies: 1 } };

describe('REST connector faults', () => {
  let civil: Operations;
  let vehicles: Operations;
  before(async () => {
    civil = await importedOperations('civil');
    vehicles = await importedOperations('vehicles');
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describe('error statuses', () => {
    const errors = {
      rules: [
        { status: 404, faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' },
        { status: 422, codePointer: '/error/reason', faultCode: 'RECORD_SEALED', reason: 'record-sealed' },
        { faultCodePattern: '^FEES_', reason: 'fees-unpaid' },
      ],
    };

    it('maps a 4xx business code to a BusinessRefusal by rule, never retried', async () => {
      const def = provider({ errors });
      const api = nock(origin(def)).get(`/v1/persons/${NN}`).reply(404, JSON.stringify({ code: 'PERSON_NOT_FOUND', message: `لا يوجد ${NN}` }), json);
      const c = new RestConnector({ definition: def, operations: civil });
      await assert.rejects(c.call('getPerson', personInput), (e: BusinessRefusal) => {
        assert.ok(e instanceof BusinessRefusal, String(e));
        assert.equal(e.reason, 'person-not-found');
        assert.equal(e.providerCode, 'PERSON_NOT_FOUND');
        assert.equal(e.attempt, 1);
        assert.equal(e.provider, def.code);
        assert.equal(e.operation, 'getPerson');
        assert.ok(!e.message.includes(NN));
        return true;
      });
      assert.ok(api.isDone());
    });

    it('finds the code where the rule points (codePointer)', async () => {
      const def = provider({ errors });
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(422, JSON.stringify({ error: { reason: 'RECORD_SEALED' } }), json);
      const c = new RestConnector({ definition: def, operations: civil });
      await assert.rejects(c.call('getPerson', personInput), (e: BusinessRefusal) => e instanceof BusinessRefusal && e.reason === 'record-sealed');
    });

    it('matches a code pattern on a POST (409)', async () => {
      const def = provider({ errors });
      nock(origin(def)).post(`/v1/persons/${NN}/extracts`).reply(409, JSON.stringify({ code: 'FEES_UNPAID' }), json);
      const c = new RestConnector({ definition: def, operations: civil });
      await assert.rejects(c.call('requestExtract', extractInput), (e: BusinessRefusal) => e instanceof BusinessRefusal && e.reason === 'fees-unpaid');
    });

    it('an unmapped 4xx is a permanent ProviderFault with the body code, not retried even on a GET', async () => {
      const def = provider({ errors });
      const api = nock(origin(def)).get(`/v1/persons/${NN}`).reply(400, JSON.stringify({ code: 'BAD_CENTRE', message: 'centre unknown' }), json);
      const c = new RestConnector({ definition: def, operations: civil });
      await assert.rejects(c.call('getPerson', personInput), (e: ProviderFault) => {
        assert.ok(e instanceof ProviderFault);
        assert.equal(e.status, 400);
        assert.equal(e.faultCode, 'BAD_CENTRE');
        assert.equal(e.providerMessage, 'centre unknown');
        assert.equal(e.transient, false);
        assert.equal(e.attempt, 1);
        return true;
      });
      assert.ok(api.isDone());
    });

    it('reads an XML error body for the code', async () => {
      const def = provider({ errors: { rules: [{ faultCode: 'PLATE_BLOCKED', reason: 'vehicle-blocked' }] } });
      nock(origin(def)).post('/v1/ownership-statements').reply(400, '<error><code>PLATE_BLOCKED</code><text>محجوز</text></error>', { 'content-type': 'application/xml' });
      const c = new RestConnector({ definition: def, operations: vehicles });
      await assert.rejects(c.call('issueStatement', { body: { '@plate': '123456', OwnerName: 'x' } }), (e: BusinessRefusal) => e instanceof BusinessRefusal && e.reason === 'vehicle-blocked');
    });
  });

  describe('retries', () => {
    it('retries a transient 5xx on a GET and succeeds', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(503, '').get(`/v1/persons/${NN}`).reply(502, '').get(`/v1/persons/${NN}`).reply(200, person, json);
      const { records, stop } = recordCalls();
      const res = await new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput).finally(stop);
      assert.equal(res.attempts, 3);
      const r = records.find((x) => x.provider === def.code)!;
      assert.deepEqual([r.outcome, r.attempts, r.status], ['success', 3, 200]);
    });

    it('gives up after maxAttempts with a transient ProviderFault that says how many', async () => {
      const def = provider();
      const api = nock(origin(def)).get(`/v1/persons/${NN}`).times(3).reply(500, JSON.stringify({ code: 'DB_DOWN' }), json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: ProviderFault) => {
        assert.ok(e instanceof ProviderFault);
        assert.equal(e.transient, true);
        assert.equal(e.faultCode, 'DB_DOWN');
        assert.equal(e.attempt, 3);
        return true;
      });
      assert.ok(api.isDone());
    });

    it('does not retry a POST without an idempotency key', async () => {
      const def = provider();
      const api = nock(origin(def)).post(`/v1/persons/${NN}/extracts`).reply(503, '');
      const extra = nock(origin(def)).post(`/v1/persons/${NN}/extracts`).reply(201, JSON.stringify({ id: 'x', status: 'pending' }), json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('requestExtract', extractInput), (e: ProviderFault) => e instanceof ProviderFault && e.status === 503 && e.attempt === 1);
      assert.ok(api.isDone());
      assert.ok(!extra.isDone());
    });

    it('retries a POST that carries an idempotency key, sending the same key each time', async () => {
      const def = provider();
      const keys: string[] = [];
      nock(origin(def))
        .post(`/v1/persons/${NN}/extracts`)
        .reply(function () {
          keys.push(String(this.req.headers['idempotency-key']));
          return [503, ''];
        })
        .post(`/v1/persons/${NN}/extracts`)
        .reply(function () {
          keys.push(String(this.req.headers['idempotency-key']));
          return [201, JSON.stringify({ id: 'x', status: 'pending' }), json];
        });
      const res = await new RestConnector({ definition: def, operations: civil }).call('requestExtract', extractInput, { idempotencyKey: 'ord_1:submit' });
      assert.equal(res.attempts, 2);
      assert.deepEqual(keys, ['ord_1:submit', 'ord_1:submit']);
    });

    it('times out a slow response (total timeout), retries with backoff, and ends in a TimeoutError', async () => {
      const def = provider({ resilience: { timeoutMs: 80, retry: { maxAttempts: 2, baseDelayMs: 40, maxDelayMs: 40 }, circuitBreaker: { failureThreshold: 50 } } });
      nock(origin(def)).get(`/v1/persons/${NN}`).times(2).delay(400).reply(200, person, json);
      const t0 = Date.now();
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: TimeoutError) => {
        assert.ok(e instanceof TimeoutError, String(e));
        assert.equal(e.phase, 'total');
        assert.equal(e.attempt, 2);
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 160 && took < 1000, `took ${took} ms`);
    });

    it('a connection not made in time is a connect TimeoutError', async () => {
      const def = provider({ resilience: { connectTimeoutMs: 50, retry: { maxAttempts: 1 } } });
      nock(origin(def)).get(`/v1/persons/${NN}`).delayConnection(300).reply(200, person, json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: TimeoutError) => e instanceof TimeoutError && e.phase === 'connect' && e.timeoutMs === 50);
    });

    it('retries a connection failure on a GET', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).get(`/v1/persons/${NN}`).reply(200, person, json);
      const res = await new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput);
      assert.equal(res.attempts, 2);
    });
  });

  describe('circuit breaker', () => {
    it('opens after repeated failures (nothing sent while open), then lets a trial through and closes', async () => {
      const def = provider({ resilience: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 100 } } });
      const c = new RestConnector({ definition: def, operations: civil });
      nock(origin(def)).get(`/v1/persons/${NN}`).times(3).reply(503, '');
      for (let i = 0; i < 3; i++) await assert.rejects(c.call('getPerson', personInput), ProviderFault);
      assert.deepEqual(c.breakerStates(), { [def.environments.sandbox.endpoint]: 'open' });

      const notSent = nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, person, json);
      await assert.rejects(c.call('getPerson', personInput), (e: CircuitOpenError) => e instanceof CircuitOpenError && e.endpoint === def.environments.sandbox.endpoint);
      assert.ok(!notSent.isDone());

      await new Promise((r) => setTimeout(r, 120));
      const res = await c.call('getPerson', personInput);
      assert.equal(res.status, 200);
      assert.ok(notSent.isDone());
      assert.deepEqual(c.breakerStates(), { [def.environments.sandbox.endpoint]: 'closed' });
    });

    it('does not count business refusals and 4xx as failures', async () => {
      const def = provider({ resilience: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 1000 } } });
      const c = new RestConnector({ definition: def, operations: civil });
      nock(origin(def)).get(`/v1/persons/${NN}`).times(4).reply(404, JSON.stringify({ code: 'X' }), json);
      for (let i = 0; i < 4; i++) await assert.rejects(c.call('getPerson', personInput), ProviderFault);
      assert.deepEqual(c.breakerStates(), { [def.environments.sandbox.endpoint]: 'closed' });
    });
  });

  describe('malformed and hostile responses', () => {
    const expectViolation = (message: RegExp) => (e: ContractViolation) => {
      assert.ok(e instanceof ContractViolation, String(e));
      assert.equal(e.direction, 'response');
      assert.match(e.message, message);
      assert.ok(!e.message.includes(NN) && !e.message.includes(ARABIC));
      return true;
    };

    it('truncated JSON is a response contract violation', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, person.slice(0, 20), json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), expectViolation(/is not valid JSON/));
    });

    it('an HTML error page with a JSON content type is a contract violation, not retried', async () => {
      const def = provider();
      const api = nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, '<html><body>Gateway says hello</body></html>', json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), expectViolation(/is not valid JSON/));
      assert.ok(api.isDone());
    });

    it('an HTML page where JSON is expected is named by its media type', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, '<html></html>', { 'content-type': 'text/html; charset=utf-8' });
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), expectViolation(/is text\/html, not JSON/));
    });

    it('JSON that does not match the output schema names the pointers, never the values', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, JSON.stringify({ nationalNumber: 'x' + NN, fullName: ARABIC, maritalStatus: 'complicated' }), json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: ContractViolation) => {
        expectViolation(/does not match/)(e);
        assert.deepEqual(e.violations.map((v) => v.pointer).sort(), ['/maritalStatus', '/nationalNumber']);
        return true;
      });
    });

    it('a 50 MB body is stopped at the size limit: UnsafeResponse, in bounded time', async () => {
      const def = provider();
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const body = new Readable({
        read() {
          sent++;
          this.push(sent <= 50 ? chunk : null);
        },
      });
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, () => body, json);
      const t0 = Date.now();
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'size');
      // nock buffers what it replays, so only the time is measured here; the client's streaming
      // limit itself is tested against a real server in test/connectors/http.
      assert.ok(Date.now() - t0 < 5000);
    });

    it('honours a smaller size limit from the provider xml limits', async () => {
      const def = provider({ xml: { maxBytes: 2048 } });
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, JSON.stringify({ nationalNumber: NN, fullName: 'x'.repeat(5000) }), json);
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'size');
    });

    it('hostile XML (billion laughs, external entity, 10,000-deep nesting) ends in UnsafeResponse', async () => {
      const def = provider();
      const c = new RestConnector({ definition: def, operations: vehicles });
      const input = { body: { '@plate': '123456', OwnerName: 'x' } };
      const xmlHeaders = { 'content-type': 'application/xml' };
      const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Statement number="1"><owner>&lol2;</owner></Statement>';
      const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Statement number="1"><owner>&x;</owner></Statement>';
      const deep = `<Statement number="1">${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}</Statement>`;
      nock(origin(def)).post('/v1/ownership-statements').reply(201, laughs, xmlHeaders).post('/v1/ownership-statements').reply(201, xxe, xmlHeaders).post('/v1/ownership-statements').reply(201, deep, xmlHeaders);
      await assert.rejects(c.call('issueStatement', input), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'dtd');
      await assert.rejects(c.call('issueStatement', input), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'dtd');
      await assert.rejects(c.call('issueStatement', input), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'depth');
    });

    it('malformed XML is UnsafeResponse (malformed); XML where JSON is expected is a contract violation', async () => {
      const def = provider();
      nock(origin(def)).post('/v1/ownership-statements').reply(201, '<Statement number="1"><owner>x</Statement>', { 'content-type': 'application/xml' });
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, '<person/>', { 'content-type': 'application/xml' });
      await assert.rejects(new RestConnector({ definition: def, operations: vehicles }).call('issueStatement', { body: { '@plate': '1', OwnerName: 'x' } }), (e: UnsafeResponse) => e instanceof UnsafeResponse && e.limit === 'malformed');
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), expectViolation(/is application\/xml, not JSON/));
    });

    it('a connection reset is a TransportError (not retried when retries are off)', async () => {
      const def = provider({ resilience: { retry: { maxAttempts: 1 } } });
      nock(origin(def)).get(`/v1/persons/${NN}`).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      await assert.rejects(new RestConnector({ definition: def, operations: civil }).call('getPerson', personInput), (e: TransportError) => e instanceof TransportError && e.errno === 'ECONNRESET');
    });
  });
});

/**
 * The REST connector at the HTTP level, with nock: parameters in every location, JSON and XML
 * bodies (Arabic byte for byte), every auth scheme, a hand-described provider, call records.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { ContractViolation, ProviderFault, TransportError } from '../../../connectors/errors';
import { RestConnector } from '../../../connectors/rest/connector';
import { ARABIC, importedOperations, NN, origin, provider, recordCalls, withEnv, type Operations } from './helpers';

interface Seen {
  uri: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A nock reply function that keeps what the connector sent. */
function capture(into: Seen[], status: number, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return function (this: { req: { headers: Record<string, string> } }, uri: string, requestBody: unknown): [number, string | Buffer, Record<string, string>] {
    into.push({ uri, headers: { ...this.req.headers }, body: typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody) });
    return [status, body, headers];
  };
}

const person = { nationalNumber: NN, fullName: ARABIC, motherName: 'سلمى', maritalStatus: null, children: [] };

describe('REST connector', () => {
  let civil: Operations;
  let vehicles: Operations;
  before(async () => {
    civil = await importedOperations('civil');
    vehicles = await importedOperations('vehicles');
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describe('parameters and bodies', () => {
    it('puts path, query (arrays as repeated keys) and header parameters where they belong, and returns the validated output', async () => {
      const def = provider();
      const seen: Seen[] = [];
      const json = Buffer.from(JSON.stringify(person), 'utf8');
      const scope = nock(origin(def)).get(`/v1/persons/${NN}`).query(true).reply(capture(seen, 200, json));
      const c = new RestConnector({ definition: def, operations: civil });
      const res = await c.call('getPerson', { path: { nationalNumber: NN }, query: { include: ['family', 'addresses'] }, headers: { 'X-Centre-Code': 'DAM-01' } });
      assert.ok(scope.isDone());
      assert.equal(seen[0]!.uri, `/v1/persons/${NN}?include=family&include=addresses`);
      assert.equal(seen[0]!.headers['x-centre-code'], 'DAM-01');
      assert.equal(seen[0]!.headers.accept, 'application/json');
      assert.deepEqual(res.output, person);
      assert.equal(res.status, 200);
      assert.equal(res.attempts, 1);
      // Arabic came back exactly: same bytes when encoded again.
      assert.deepEqual(Buffer.from(JSON.stringify(res.output), 'utf8'), json);
    });

    it('sends a JSON body as UTF-8 byte for byte, with Idempotency-Key and X-Wasl-Order-Id on a POST', async () => {
      const def = provider();
      const seen: Seen[] = [];
      const body = { purpose: 'travel', copies: 2, note: null, applicantName: ARABIC };
      nock(origin(def)).post(`/v1/persons/${NN}/extracts`).reply(capture(seen, 201, JSON.stringify({ id: 'ex-1', status: 'pending' })));
      const c = new RestConnector({ definition: def, operations: civil });
      const res = await c.call('requestExtract', { path: { nationalNumber: NN }, body }, { idempotencyKey: 'idem-1', orderId: 'ord_01J0000000000000000000000' });
      assert.deepEqual(res.output, { id: 'ex-1', status: 'pending' });
      assert.equal(res.status, 201);
      assert.equal(seen[0]!.body, JSON.stringify(body));
      assert.equal(Buffer.byteLength(seen[0]!.body), Buffer.byteLength(JSON.stringify(body), 'utf8'));
      assert.equal(seen[0]!.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(seen[0]!.headers['idempotency-key'], 'idem-1');
      assert.equal(seen[0]!.headers['x-wasl-order-id'], 'ord_01J0000000000000000000000');
    });

    it('does not send Idempotency-Key on idempotent methods; a 204 is null', async () => {
      const def = provider();
      const seen: Seen[] = [];
      nock(origin(def)).delete('/v1/extracts/ex-1').reply(capture(seen, 204, ''));
      const c = new RestConnector({ definition: def, operations: civil });
      const res = await c.call('cancelExtract', { path: { extractId: 'ex-1' } }, { idempotencyKey: 'idem-2' });
      assert.equal(res.output, null);
      assert.equal(res.status, 204);
      assert.equal(seen[0]!.headers['idempotency-key'], undefined);
    });

    it('writes an XML body and reads an XML response in the XML mapping, Arabic byte for byte both ways', async () => {
      const def = provider();
      const seen: Seen[] = [];
      const responseXml = `<?xml version="1.0" encoding="UTF-8"?><Statement number="ST-9"><owner>${ARABIC}</owner><fee>2500</fee><line>first</line></Statement>`;
      nock(origin(def)).post('/v1/ownership-statements').reply(capture(seen, 201, Buffer.from(responseXml, 'utf8'), { 'content-type': 'application/xml; charset=utf-8' }));
      const c = new RestConnector({ definition: def, operations: vehicles });
      const res = await c.call('issueStatement', { body: { '@plate': '123456', OwnerName: ARABIC, copies: 2, urgent: false, Purposes: { Purpose: ['sale', 'بيع'] } } }, { idempotencyKey: 'k' });
      assert.equal(
        seen[0]!.body,
        `<?xml version="1.0" encoding="UTF-8"?><StatementRequest xmlns="urn:mot:statements" plate="123456"><OwnerName>${ARABIC}</OwnerName><copies>2</copies><urgent>false</urgent><Purposes><Purpose>sale</Purpose><Purpose>بيع</Purpose></Purposes></StatementRequest>`,
      );
      assert.equal(seen[0]!.headers['content-type'], 'application/xml; charset=utf-8');
      assert.equal(seen[0]!.headers.accept, 'application/xml');
      // The schema makes `line` an array although it came once, and `fee` a number.
      assert.deepEqual(res.output, { '@number': 'ST-9', owner: ARABIC, fee: 2500, line: ['first'] });
      assert.equal(Buffer.from((res.output as { owner: string }).owner, 'utf8').toString('hex'), Buffer.from(ARABIC, 'utf8').toString('hex'));
    });

    it('refuses input that does not match the contract before sending anything', async () => {
      const def = provider();
      const c = new RestConnector({ definition: def, operations: civil });
      const { records, stop } = recordCalls();
      try {
        await assert.rejects(c.call('getPerson', { path: { nationalNumber: 'not-a-number' }, headers: {} }), (e: ContractViolation) => {
          assert.ok(e instanceof ContractViolation);
          assert.equal(e.direction, 'request');
          assert.deepEqual(e.violations.map((v) => v.pointer).sort(), ['/headers/X-Centre-Code', '/path/nationalNumber']);
          assert.ok(!e.message.includes('not-a-number'));
          assert.equal(e.provider, def.code);
          assert.equal(e.operation, 'getPerson');
          return true;
        });
        await assert.rejects(c.call('getPerson', { path: { nationalNumber: NN }, headers: { 'X-Centre-Code': 'DAM-01' } }, { headers: { 'X-Bad': 'a\nb' } }), ContractViolation);
        await assert.rejects(c.call('noSuchOperation', {}), /no operation "noSuchOperation"/);
      } finally {
        stop();
      }
      assert.deepEqual(records.map((r) => [r.outcome, r.attempts, r.requestBytes]), [['contract-violation', 0, 0], ['contract-violation', 0, 0], ['contract-violation', 0, 0]]);
    });

    it('reports every call: outcome, status, attempts, sizes, order', async () => {
      const def = provider();
      nock(origin(def)).get(`/v1/persons/${NN}`).reply(200, JSON.stringify(person), { 'content-type': 'application/json' });
      const c = new RestConnector({ definition: def, operations: civil });
      const { records, stop } = recordCalls();
      try {
        await c.call('getPerson', { path: { nationalNumber: NN }, headers: { 'X-Centre-Code': 'DAM-01' } }, { orderId: 'ord_X' });
      } finally {
        stop();
      }
      const mine = records.filter((r) => r.provider === def.code);
      assert.equal(mine.length, 1);
      const r = mine[0]!;
      assert.equal(r.outcome, 'success');
      assert.equal(r.operation, 'getPerson');
      assert.equal(r.endpoint, def.environments.sandbox.endpoint);
      assert.equal(r.orderId, 'ord_X');
      assert.equal(r.status, 200);
      assert.equal(r.attempts, 1);
      assert.equal(r.responseBytes, Buffer.byteLength(JSON.stringify(person)));
      assert.ok(r.durationMs >= 0);
      assert.ok(!Number.isNaN(Date.parse(r.startedAt)));
    });
  });

  describe('authentication', () => {
    let restore: () => void;
    beforeEach(() => {
      restore = withEnv({ T_API_KEY: 'key-abc-1', T_TOKEN: 'static-token', T_USER: 'wasl', T_PASS: 'p@ss:word', T_CLIENT_ID: 'wasl-client', T_CLIENT_SECRET: 's3cret/+=' });
    });
    afterEach(() => restore());

    const get = (c: RestConnector) => c.call('getOwnership', { path: { plate: '123456' } });
    const ownership = JSON.stringify({ plate: '123456', owner: { name: ARABIC } });

    it('sends an API key in a header', async () => {
      const def = provider({ security: { apiKey: { in: 'header', name: 'X-Api-Key', valueEnv: 'T_API_KEY' } } });
      const seen: Seen[] = [];
      nock(origin(def)).get('/v1/vehicles/123456/ownership').reply(capture(seen, 200, ownership));
      await get(new RestConnector({ definition: def, operations: vehicles }));
      assert.equal(seen[0]!.headers['x-api-key'], 'key-abc-1');
    });

    it('sends an API key in the query', async () => {
      const def = provider({ security: { apiKey: { in: 'query', name: 'api_key', valueEnv: 'T_API_KEY' } } });
      const seen: Seen[] = [];
      nock(origin(def)).get('/v1/vehicles/123456/ownership').query({ asOf: '2024-01-02', api_key: 'key-abc-1' }).reply(capture(seen, 200, ownership));
      await new RestConnector({ definition: def, operations: vehicles }).call('getOwnership', { path: { plate: '123456' }, query: { asOf: '2024-01-02' } });
      assert.equal(seen[0]!.uri, '/v1/vehicles/123456/ownership?asOf=2024-01-02&api_key=key-abc-1');
    });

    it('sends a bearer token and HTTP basic credentials', async () => {
      const bearer = provider({ security: { bearer: { tokenEnv: 'T_TOKEN' } } });
      const basic = provider({ security: { basic: { usernameEnv: 'T_USER', passwordEnv: 'T_PASS' } } });
      const seen: Seen[] = [];
      nock(origin(bearer)).get('/v1/vehicles/123456/ownership').reply(capture(seen, 200, ownership));
      nock(origin(basic)).get('/v1/vehicles/123456/ownership').reply(capture(seen, 200, ownership));
      await get(new RestConnector({ definition: bearer, operations: vehicles }));
      await get(new RestConnector({ definition: basic, operations: vehicles }));
      assert.equal(seen[0]!.headers.authorization, 'Bearer static-token');
      assert.equal(seen[1]!.headers.authorization, `Basic ${Buffer.from('wasl:p@ss:word').toString('base64')}`);
    });

    it('uses the environment security over the provider one', async () => {
      const def = provider({ security: { bearer: { tokenEnv: 'T_TOKEN' } } });
      def.environments.sandbox.security = { apiKey: { in: 'header', name: 'X-Key', valueEnv: 'T_API_KEY' } };
      const seen: Seen[] = [];
      nock(origin(def)).get('/v1/vehicles/123456/ownership').reply(capture(seen, 200, ownership));
      await get(new RestConnector({ definition: def, operations: vehicles }));
      assert.equal(seen[0]!.headers.authorization, undefined);
      assert.equal(seen[0]!.headers['x-key'], 'key-abc-1');
    });

    it('fails clearly, naming the variable only, when a secret is not set', async () => {
      const def = provider({ security: { bearer: { tokenEnv: 'T_UNSET_TOKEN' } } });
      await assert.rejects(get(new RestConnector({ definition: def, operations: vehicles })), /T_UNSET_TOKEN/);
    });

    describe('OAuth2 client credentials', () => {
      const oauthDef = () =>
        provider({
          security: { oauth2: { tokenUrl: 'https://auth.mot.test/oauth/token', clientIdEnv: 'T_CLIENT_ID', clientSecretEnv: 'T_CLIENT_SECRET', scopes: ['ownership:read', 'statements:write'] } },
        });
      const tokenReply = (token: string, expiresIn = 3600) => JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });

      it('asks for a token with the client credentials, caches it across calls', async () => {
        const def = oauthDef();
        const tokenSeen: Seen[] = [];
        const apiSeen: Seen[] = [];
        const auth = nock('https://auth.mot.test').post('/oauth/token').reply(capture(tokenSeen, 200, tokenReply('tok-1')));
        nock(origin(def)).get('/v1/vehicles/123456/ownership').times(3).reply(capture(apiSeen, 200, ownership));
        const c = new RestConnector({ definition: def, operations: vehicles });
        for (let i = 0; i < 3; i++) await get(c);
        assert.ok(auth.isDone());
        assert.equal(tokenSeen.length, 1);
        assert.equal(tokenSeen[0]!.body, 'grant_type=client_credentials&scope=ownership%3Aread+statements%3Awrite');
        assert.equal(tokenSeen[0]!.headers.authorization, `Basic ${Buffer.from('wasl-client:s3cret%2F%2B%3D').toString('base64')}`);
        assert.equal(tokenSeen[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.deepEqual(apiSeen.map((s) => s.headers.authorization), ['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
      });

      it('shares one token request among concurrent calls', async () => {
        const def = oauthDef();
        const tokenSeen: Seen[] = [];
        nock('https://auth.mot.test').post('/oauth/token').delay(30).reply(capture(tokenSeen, 200, tokenReply('tok-shared')));
        nock(origin(def)).get('/v1/vehicles/123456/ownership').times(10).reply(200, ownership, { 'content-type': 'application/json' });
        const c = new RestConnector({ definition: def, operations: vehicles });
        const results = await Promise.all(Array.from({ length: 10 }, () => get(c)));
        assert.equal(results.length, 10);
        assert.equal(tokenSeen.length, 1);
      });

      it('fetches a new token shortly before the old one expires', async () => {
        const def = oauthDef();
        const apiSeen: Seen[] = [];
        // 50 ms of life: refreshed a tenth of it early.
        nock('https://auth.mot.test').post('/oauth/token').reply(200, tokenReply('tok-short', 0.05)).post('/oauth/token').reply(200, tokenReply('tok-next'));
        nock(origin(def)).get('/v1/vehicles/123456/ownership').times(3).reply(capture(apiSeen, 200, ownership));
        const c = new RestConnector({ definition: def, operations: vehicles });
        // The token's clock stands still between the first two calls and then moves 60 ms, so a
        // slow machine cannot make the second call find the token already due for refresh.
        const realNow = Date.now;
        const t0 = realNow();
        let now = t0;
        Date.now = () => now;
        try {
          await get(c);
          await get(c);
          now = t0 + 60;
          await get(c);
        } finally {
          Date.now = realNow;
        }
        assert.deepEqual(apiSeen.map((s) => s.headers.authorization), ['Bearer tok-short', 'Bearer tok-short', 'Bearer tok-next']);
      });

      it('on a 401 fetches a new token and retries the call once', async () => {
        const def = oauthDef();
        const apiSeen: Seen[] = [];
        nock('https://auth.mot.test').post('/oauth/token').reply(200, tokenReply('tok-revoked')).post('/oauth/token').reply(200, tokenReply('tok-fresh'));
        nock(origin(def))
          .get('/v1/vehicles/123456/ownership')
          .reply(capture(apiSeen, 401, JSON.stringify({ code: 'TOKEN_REVOKED' })))
          .get('/v1/vehicles/123456/ownership')
          .reply(capture(apiSeen, 200, ownership));
        const res = await get(new RestConnector({ definition: def, operations: vehicles }));
        assert.equal(res.status, 200);
        assert.deepEqual(apiSeen.map((s) => s.headers.authorization), ['Bearer tok-revoked', 'Bearer tok-fresh']);
      });

      it('a second 401 is a provider fault, not a loop', async () => {
        const def = oauthDef();
        nock('https://auth.mot.test').post('/oauth/token').times(2).reply(200, tokenReply('tok'));
        const api = nock(origin(def)).get('/v1/vehicles/123456/ownership').times(2).reply(401, JSON.stringify({ code: 'UNAUTHORIZED' }), { 'content-type': 'application/json' });
        await assert.rejects(get(new RestConnector({ definition: def, operations: vehicles })), (e: ProviderFault) => e instanceof ProviderFault && e.status === 401 && !e.transient);
        assert.ok(api.isDone());
      });

      it('token endpoint failures are provider faults or transport errors without secrets in the message', async () => {
        const def = { ...oauthDef(), resilience: { retry: { maxAttempts: 1 } } };
        nock('https://auth.mot.test').post('/oauth/token').reply(401, JSON.stringify({ error: 'invalid_client', error_description: 'bad secret s3cret/+=' }), { 'content-type': 'application/json' });
        const c = new RestConnector({ definition: def, operations: vehicles });
        await assert.rejects(get(c), (e: ProviderFault) => {
          assert.ok(e instanceof ProviderFault);
          assert.equal(e.faultCode, 'oauth2:invalid_client');
          assert.equal(e.status, 401);
          assert.ok(!e.message.includes('s3cret') && !e.message.includes('wasl-client'));
          assert.ok(!JSON.stringify(e.toJSON()).includes('s3cret'));
          return true;
        });
        nock('https://auth.mot.test').post('/oauth/token').replyWithError(Object.assign(new Error('connect ECONNREFUSED auth.mot.test s3cret'), { code: 'ECONNREFUSED' }));
        await assert.rejects(get(c), (e: TransportError) => e instanceof TransportError && e.errno === 'ECONNREFUSED' && !e.message.includes('s3cret'));
        nock('https://auth.mot.test').post('/oauth/token').reply(200, '<html>login</html>', { 'content-type': 'text/html' });
        await assert.rejects(get(c), (e: ProviderFault) => e instanceof ProviderFault && e.faultCode === 'oauth2:invalid-token-response');
      });

      it('retries a GET when the token endpoint is down for a moment (503)', async () => {
        const def = oauthDef();
        nock('https://auth.mot.test').post('/oauth/token').reply(503, '').post('/oauth/token').reply(200, tokenReply('tok-after'));
        nock(origin(def)).get('/v1/vehicles/123456/ownership').reply(200, ownership, { 'content-type': 'application/json' });
        const res = await get(new RestConnector({ definition: def, operations: vehicles }));
        assert.equal(res.attempts, 2);
      });
    });
  });

  describe('a provider described by hand (no OpenAPI)', () => {
    it('calls its operations with the same input convention, JSON and XML', async () => {
      const def = provider({
        contract: { type: 'manual' },
        operations: {
          getFee: {
            method: 'GET',
            path: '/fees/{service}',
            parameters: [
              { name: 'service', in: 'path', schema: { type: 'string' } },
              { name: 'governorate', in: 'query', required: true, schema: { type: 'string' } },
            ],
            response: { schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'integer' }, label: { type: 'string' } } } },
          },
          registerParcel: {
            method: 'POST',
            path: '/parcels',
            requestBody: { mediaType: 'application/xml', rootElement: 'parcel', schema: { type: 'object', properties: { to: { type: 'string' } } } },
            response: { mediaType: 'application/xml', schema: { type: 'object', properties: { '@id': { type: 'string' }, weight: { type: 'number' } } } },
          },
        },
      });
      const seen: Seen[] = [];
      nock(origin(def))
        .get('/v1/fees/extract')
        .query({ governorate: 'دمشق' })
        .reply(capture(seen, 200, JSON.stringify({ amount: 2500, label: 'رسم' })))
        .post('/v1/parcels')
        .reply(capture(seen, 201, `<parcel id="P1"><weight>0.5</weight></parcel>`, { 'content-type': 'text/xml' }));
      const c = new RestConnector({ definition: def });
      assert.deepEqual(c.operations().map((o) => [o.name, o.idempotent]), [['getFee', true], ['registerParcel', false]]);
      const fee = await c.call('getFee', { path: { service: 'extract' }, query: { governorate: 'دمشق' } });
      assert.deepEqual(fee.output, { amount: 2500, label: 'رسم' });
      const parcel = await c.call('registerParcel', { body: { to: ARABIC } });
      assert.equal(seen[1]!.body, `<?xml version="1.0" encoding="UTF-8"?><parcel><to>${ARABIC}</to></parcel>`);
      assert.deepEqual(parcel.output, { '@id': 'P1', weight: 0.5 });
      await assert.rejects(c.call('getFee', { path: { service: 'extract' } }), (e: ContractViolation) => e.violations[0]!.pointer === '/query');
    });

    it('refuses at once a hand-written schema the validator cannot compile, naming the operation', () => {
      const def = provider({ contract: { type: 'manual' }, operations: { broken: { method: 'GET', path: '/x', response: { schema: { properties: { a: { type: 'string' } } } } } } });
      assert.throws(() => new RestConnector({ definition: def }), /operation broken: its schemas do not compile: .*missing type "object"/);
    });
  });
});

/**
 * The REST connector with a secret reader of its own (`readSecret`, as the wasl-provider node
 * gives from its credentials): bearer, basic and OAuth2 client credentials come from the reader,
 * not the environment; createConnector passes the reader to REST as it does to SOAP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { createConnector } from '../../../connectors';
import { importOpenApi } from '../../../connectors/import/openapi';
import { writeProvider } from '../../../connectors/import/write';
import { loadProvider } from '../../../connectors/provider-files';
import { RestConnector } from '../../../connectors/rest/connector';
import { ARABIC, importedOperations, origin, provider, withEnv, type Operations } from './helpers';

const ownership = JSON.stringify({ plate: '123456', owner: { name: ARABIC } });

function reader(values: Record<string, string>): { read: (envName: string) => string; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    read: (envName) => {
      asked.push(envName);
      const v = values[envName];
      if (v === undefined) throw new Error(`no ${envName}`);
      return v;
    },
  };
}

describe('REST connector with a secret reader', () => {
  let vehicles: Operations;
  let restore: () => void;
  before(async () => {
    vehicles = await importedOperations('vehicles');
    nock.disableNetConnect();
  });
  beforeEach(() => {
    // The environment holds other values: the reader must win.
    restore = withEnv({ R_TOKEN: 'env-token', R_USER: 'env-user', R_PASS: 'env-pass', R_CID: 'env-client', R_CSECRET: 'env-secret' });
  });
  afterEach(() => {
    restore();
    nock.cleanAll();
  });
  after(() => nock.enableNetConnect());

  const get = (c: RestConnector) => c.call('getOwnership', { path: { plate: '123456' } });

  it('sends the bearer token and the basic credentials the reader gives', async () => {
    const bearer = provider({ security: { bearer: { tokenEnv: 'R_TOKEN' } } });
    const basic = provider({ security: { basic: { usernameEnv: 'R_USER', passwordEnv: 'R_PASS' } } });
    const seen: string[] = [];
    const record = function (this: { req: { headers: Record<string, string> } }) {
      seen.push(this.req.headers.authorization ?? '');
      return [200, ownership, { 'content-type': 'application/json' }] as [number, string, Record<string, string>];
    };
    nock(origin(bearer)).get('/v1/vehicles/123456/ownership').reply(record);
    nock(origin(basic)).get('/v1/vehicles/123456/ownership').reply(record);
    const r1 = reader({ R_TOKEN: 'node-token' });
    const r2 = reader({ R_USER: 'node-user', R_PASS: 'node:pa ss' });
    await get(new RestConnector({ definition: bearer, operations: vehicles, readSecret: r1.read }));
    await get(new RestConnector({ definition: basic, operations: vehicles, readSecret: r2.read }));
    assert.deepEqual(seen, ['Bearer node-token', `Basic ${Buffer.from('node-user:node:pa ss').toString('base64')}`]);
    assert.deepEqual(r1.asked, ['R_TOKEN']);
    assert.deepEqual(r2.asked.sort(), ['R_PASS', 'R_USER']);
  });

  it('asks for the OAuth2 token with the client credentials the reader gives', async () => {
    const def = provider({ security: { oauth2: { tokenUrl: 'https://auth.reader.test/token', clientIdEnv: 'R_CID', clientSecretEnv: 'R_CSECRET' } } });
    let tokenAuth = '';
    let apiAuth = '';
    nock('https://auth.reader.test')
      .post('/token')
      .reply(function (this: { req: { headers: Record<string, string> } }) {
        tokenAuth = this.req.headers.authorization ?? '';
        return [200, JSON.stringify({ access_token: 'tok-r', token_type: 'Bearer', expires_in: 60 }), { 'content-type': 'application/json' }];
      });
    nock(origin(def))
      .get('/v1/vehicles/123456/ownership')
      .reply(function (this: { req: { headers: Record<string, string> } }) {
        apiAuth = this.req.headers.authorization ?? '';
        return [200, ownership, { 'content-type': 'application/json' }];
      });
    await get(new RestConnector({ definition: def, operations: vehicles, readSecret: reader({ R_CID: 'node-client', R_CSECRET: 'node-secret' }).read }));
    assert.equal(tokenAuth, `Basic ${Buffer.from('node-client:node-secret').toString('base64')}`);
    assert.equal(apiAuth, 'Bearer tok-r');
  });

  it('reads the environment without a reader, as before', async () => {
    const def = provider({ security: { bearer: { tokenEnv: 'R_TOKEN' } } });
    let auth = '';
    nock(origin(def))
      .get('/v1/vehicles/123456/ownership')
      .reply(function (this: { req: { headers: Record<string, string> } }) {
        auth = this.req.headers.authorization ?? '';
        return [200, ownership, { 'content-type': 'application/json' }];
      });
    await get(new RestConnector({ definition: def, operations: vehicles }));
    assert.equal(auth, 'Bearer env-token');
  });

  it('createConnector hands the reader to a REST provider', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-rest-reader-'));
    try {
      const doc = join(root, 'api.json');
      writeFileSync(
        doc,
        JSON.stringify({
          openapi: '3.0.3',
          info: { title: 'T', version: '1' },
          servers: [{ url: 'https://reader-rest.moi.test' }],
          components: { securitySchemes: { b: { type: 'http', scheme: 'bearer' } } },
          security: [{ b: [] }],
          paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } } } },
        }),
      );
      await writeProvider(join(root, 'providers'), 'moi-reader', await importOpenApi('moi-reader', doc));
      const def = loadProvider('moi-reader', join(root, 'providers')).definition;
      const tokenEnv = (def.environments.sandbox?.security ?? def.security)?.bearer?.tokenEnv;
      assert.ok(tokenEnv, `the import declares a bearer token variable: ${JSON.stringify(def.security)}`);
      let auth = '';
      // The sandbox calls the provider's simulator, never the contract's address.
      const sandbox = new URL(def.environments.sandbox?.endpoint ?? '');
      assert.equal(sandbox.hostname, '127.0.0.1');
      nock(sandbox.origin)
        .get(`${sandbox.pathname}/x`)
        .reply(function (this: { req: { headers: Record<string, string> } }) {
          auth = this.req.headers.authorization ?? '';
          return [200, '{}', { 'content-type': 'application/json' }];
        });
      const c = createConnector('moi-reader', 'sandbox', { providersRoot: join(root, 'providers'), readSecret: reader({ [tokenEnv]: 'from-reader' }).read });
      await c.call('getX', {});
      await c.close();
      assert.equal(auth, 'Bearer from-reader');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

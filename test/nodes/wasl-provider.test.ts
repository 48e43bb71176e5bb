/**
 * wasl-provider: one connector per config node counted like Node-RED's MQTT broker node, the
 * credentials that replace the provider file's environment variables, and the editors' admin
 * endpoint listing providers and operations.
 */
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector } from '../../connectors/connector';
import { importOpenApi } from '../../connectors/import/openapi';
import { writeProvider } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { createLogger } from '../../hub/log';
import { setHubContext } from '../../hub/runtime/context';
import type { Store } from '../../hub/store';
import type { Workers } from '../../hub/workers';
import { buildConnector, credentialOverrides, SharedConnector } from '../../nodes/lib/provider-connector';
import waslProvider from '../../nodes/wasl-provider';

const helper = require('node-red-node-test-helper') as {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): unknown;
  request(): { get(path: string): { expect(status: number): Promise<{ body: unknown }> } };
};
helper.init(require.resolve('node-red'));

function fakeConnector(log: string[]): Connector {
  return {
    provider: 'x',
    environment: 'sandbox',
    operations: () => [],
    call: async () => {
      throw new Error('not called');
    },
    close: async () => {
      log.push('closed');
    },
  };
}

describe('wasl-provider node', () => {
  describe('SharedConnector', () => {
    it('builds one connector on the first register and shares it', () => {
      const log: string[] = [];
      let built = 0;
      const s = new SharedConnector(() => (built++, fakeConnector(log)));
      assert.equal(s.open, false);
      const a = s.register('a');
      const b = s.register('b');
      assert.equal(a, b);
      assert.equal(built, 1);
      assert.equal(s.userCount, 2);
    });

    it('keeps the connector across a redeploy, closes it when the last user is really removed', async () => {
      const log: string[] = [];
      const s = new SharedConnector(() => fakeConnector(log));
      s.register('a');
      s.register('b');
      await s.deregister('a', true);
      assert.deepEqual(log, []);
      await s.deregister('b', false);
      assert.deepEqual(log, [], 'a redeploy (not removed) keeps it');
      s.register('b');
      await s.deregister('b', true);
      assert.deepEqual(log, ['closed']);
      assert.equal(s.open, false);
    });

    it('closes with the config node and refuses new users then', async () => {
      const log: string[] = [];
      const s = new SharedConnector(() => fakeConnector(log));
      s.register('a');
      await s.close();
      assert.deepEqual(log, ['closed']);
      assert.throws(() => s.register('c'), /closing/);
    });
  });

  describe('credentials', () => {
    it('replace the variables named by the security block, only when given', () => {
      const m = credentialOverrides(
        { basic: { usernameEnv: 'MOI_USER', passwordEnv: 'MOI_PASS' }, apiKey: { in: 'header', name: 'X-Key', valueEnv: 'MOI_KEY' }, oauth2: { tokenUrl: 'https://t', clientIdEnv: 'CID', clientSecretEnv: 'CSECRET' } },
        { username: 'u', password: 'p', apiKey: '', clientSecret: 's' },
      );
      assert.deepEqual([...m.entries()].sort(), [['CSECRET', 's'], ['MOI_PASS', 'p'], ['MOI_USER', 'u']]);
      assert.equal(credentialOverrides(undefined, { password: 'p' }).size, 0);
    });
  });

  describe('buildConnector', () => {
    it("loads the provider once: a SOAP provider's contract is read and compiled once per connector", async () => {
      const code = 'moi-civil-registry';
      const wsdl = join(DEFAULT_PROVIDERS_ROOT, code, loadProvider(code).definition.contract.file!);
      // Every read of the contract's WSDL file, whoever makes it (the compiler reads it once per compile).
      const read = fs.readFileSync;
      let reads = 0;
      const counting = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (file === wsdl) reads++;
        return (read as (...a: unknown[]) => unknown)(file, ...rest);
      }) as typeof fs.readFileSync;
      const count = (f: () => unknown): number => {
        reads = 0;
        fs.readFileSync = counting;
        try {
          f();
        } finally {
          fs.readFileSync = read;
        }
        return reads;
      };
      const once = count(() => loadProvider(code));
      assert.ok(once >= 1, 'the control: loading the provider reads its contract');
      for (const credentials of [undefined, { username: 'u', password: 'p' }]) {
        let c: Connector | undefined;
        assert.equal(count(() => (c = buildConnector(code, 'sandbox', credentials ? { credentials } : {}))), once, `${credentials ? 'with' : 'without'} credentials`);
        assert.deepEqual(c!.operations().map((o) => o.name).sort(), ['IssueCivilDocument', 'IssueFamilyExtract', 'IssueIndividualExtract']);
        await c!.close();
      }
    });
  });

  describe('in a flow', () => {
    let root: string;
    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'wasl-provider-'));
      const doc = join(root, 'registry.json');
      writeFileSync(doc, JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, servers: [{ url: 'http://127.0.0.1:8099' }], paths: { '/x': { get: { operationId: 'getX', summary: 'An x', responses: { '200': { description: 'ok' } } } } } }));
      await writeProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc));
      setHubContext({ store: undefined as unknown as Store, workers: undefined as unknown as Workers, env: 'sandbox', providersRoot: join(root, 'providers'), logger: createLogger('silent') });
    });
    after(() => {
      setHubContext(undefined);
      rmSync(root, { recursive: true, force: true });
    });
    afterEach(() => helper.unload());

    it('lists providers, their operations and the order $defs for the editors', async () => {
      await helper.load([waslProvider], [{ id: 'p', type: 'wasl-provider', code: 'moi-test' }]);
      const res = await helper.request().get('/wasl/providers').expect(200);
      const body = res.body as { providers: Array<{ code: string; kind: string; operations: Array<{ name: string; idempotent: boolean }> }>; orderDefs: string[] };
      assert.deepEqual(body.providers.map((p) => p.code), ['moi-test']);
      assert.equal(body.providers[0]?.kind, 'rest');
      assert.deepEqual(body.providers[0]?.operations.map((o) => [o.name, o.idempotent]), [['getX', true]]);
      assert.ok(body.orderDefs.includes('OrderRequest'));
    });

    it('uses the hub environment by default and holds credentials as credentials', async () => {
      await helper.load([waslProvider], [{ id: 'p', type: 'wasl-provider', code: 'moi-test', environment: '' }], { p: { password: 'pw' } });
      const p = helper.getNode('p') as { register(n: { id: string }): Connector; environment: string; credentials: Record<string, string>; password?: unknown };
      const c = p.register({ id: 'user' });
      assert.equal(c.environment, 'sandbox');
      assert.equal(p.environment, 'sandbox');
      assert.deepEqual(c.operations().map((o) => o.name), ['getX']);
      assert.equal(p.credentials.password, 'pw');
      assert.equal(p.password, undefined, 'not a property');
    });

    it('gives its credentials to a REST provider: bearer token and HTTP basic from the node, not the environment', async () => {
      const seen: string[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers.authorization ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      const port = (server.address() as AddressInfo).port;
      const restore = { ...process.env };
      // The variables the imported provider files name hold other values: the node's must win.
      Object.assign(process.env, { MOI_BEARER_TOKEN: 'env-token', MOI_BASIC_USERNAME: 'env-user', MOI_BASIC_PASSWORD: 'env-pass' });
      try {
        for (const [code, scheme] of [['moi-bearer', { type: 'http', scheme: 'bearer' }], ['moi-basic', { type: 'http', scheme: 'basic' }]] as const) {
          const doc = join(root, `${code}.json`);
          writeFileSync(
            doc,
            JSON.stringify({
              openapi: '3.0.3',
              info: { title: 'T', version: '1' },
              servers: [{ url: `http://127.0.0.1:${port}` }],
              components: { securitySchemes: { s: scheme } },
              security: [{ s: [] }],
              paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } } } },
            }),
          );
          await writeProvider(join(root, 'providers'), code, await importOpenApi(code, doc));
          // The import points the sandbox at the provider's simulator: here, this test's server.
          const file = join(root, 'providers', code, 'provider.json');
          const def = JSON.parse(fs.readFileSync(file, 'utf8'));
          def.environments.sandbox.endpoint = `http://127.0.0.1:${port}`;
          writeFileSync(file, JSON.stringify(def));
        }
        await helper.load(
          [waslProvider],
          [
            { id: 'pb', type: 'wasl-provider', code: 'moi-bearer', environment: 'sandbox' },
            { id: 'pa', type: 'wasl-provider', code: 'moi-basic', environment: 'sandbox' },
          ],
          { pb: { token: 'node-token' }, pa: { username: 'node-user', password: 'node-pass' } },
        );
        for (const id of ['pb', 'pa']) {
          const c = (helper.getNode(id) as { register(n: { id: string }): Connector }).register({ id: `user-${id}` });
          await c.call('getX', {});
        }
        assert.deepEqual(seen, ['Bearer node-token', `Basic ${Buffer.from('node-user:node-pass').toString('base64')}`]);
        // Without credentials on the node, the environment is read as before.
        await helper.unload();
        await helper.load([waslProvider], [{ id: 'pe', type: 'wasl-provider', code: 'moi-bearer', environment: 'sandbox' }]);
        await (helper.getNode('pe') as { register(n: { id: string }): Connector }).register({ id: 'user-pe' }).call('getX', {});
        assert.equal(seen[2], 'Bearer env-token');
      } finally {
        process.env = restore;
        await new Promise((ok) => server.close(ok));
      }
    });

    it('fails clearly for a provider that is not imported', async () => {
      await helper.load([waslProvider], [{ id: 'p', type: 'wasl-provider', code: 'moi-nothing' }]);
      const p = helper.getNode('p') as { register(n: { id: string }): Connector };
      assert.throws(() => p.register({ id: 'user' }), /no provider "moi-nothing"/);
    });
  });
});

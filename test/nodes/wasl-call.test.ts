/**
 * wasl-call with node-red-node-test-helper against a REAL REST server (node:http), through a
 * provider imported from an OpenAPI document into a temporary providers folder: exactly once per
 * order step across redeliveries, typed refusals reaching a Catch node, credentials kept out of
 * the exported flow, and one shared connector.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOpenApi } from '../../connectors/import/openapi';
import { writeProvider } from '../../connectors/import/write';
import { createLogger } from '../../hub/log';
import { setHubContext } from '../../hub/runtime/context';
import { SqliteStore } from '../../hub/store/sqlite';
import type { Workers } from '../../hub/workers';
import waslCall from '../../nodes/wasl-call';
import waslProvider from '../../nodes/wasl-provider';
 
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (red: unknown) => void;

// The helper ships no types: the part these tests use.
const helper = require('node-red-node-test-helper') as {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): unknown;
};
helper.init(require.resolve('node-red'));

const ARABIC = 'ريم خالد الأحمد';

const openapi = (port: number) => ({
  openapi: '3.0.3',
  info: { title: 'Test registry', version: '1.0.0' },
  servers: [{ url: `http://127.0.0.1:${port}/api` }],
  components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
  security: [{ key: [] }],
  paths: {
    '/certificates': {
      post: {
        operationId: 'issueCertificate',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['nationalNumber'], additionalProperties: false, properties: { nationalNumber: { type: 'string' }, name: { type: 'string' } } } } },
        },
        responses: {
          '201': { description: 'issued', content: { 'application/json': { schema: { type: 'object', required: ['reference'], properties: { reference: { type: 'string' }, name: { type: 'string' } } } } } },
          '404': { description: 'no such person', content: { 'application/json': { schema: { type: 'object', properties: { code: { type: 'string' } } } } } },
        },
      },
    },
  },
});

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

interface Seen {
  key?: string;
  idempotencyKey?: string;
  body: { nationalNumber: string; name?: string };
}

describe('wasl-call node', () => {
  let server: http.Server;
  let root: string;
  let store: SqliteStore;
  const seen: Seen[] = [];

  before(async () => {
    server = http.createServer(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as Seen['body'];
      seen.push({ key: req.headers['x-api-key'] as string | undefined, idempotencyKey: req.headers['idempotency-key'] as string | undefined, body });
      if (body.nationalNumber === '00000000000') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'PERSON_NOT_FOUND' }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ reference: `CERT-${seen.length}`, name: body.name }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    root = mkdtempSync(join(tmpdir(), 'wasl-nodes-'));
    const doc = join(root, 'registry.json');
    writeFileSync(doc, JSON.stringify(openapi(port)));
    const written = await writeProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc));
    assert.equal(written.status, 'created');
    const file = join(root, 'providers', 'moi-test', 'provider.json');
    const def = JSON.parse(readFileSync(file, 'utf8'));
    def.environments.sandbox.endpoint = `http://127.0.0.1:${port}/api`;
    def.errors = { rules: [{ status: 404, faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' }] };
    def.resilience = { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } };
    def.security = { apiKey: { in: 'header', name: 'X-Api-Key', valueEnv: 'WASL_TEST_MOI_KEY' } };
    writeFileSync(file, JSON.stringify(def, null, 2));
    process.env.WASL_TEST_MOI_KEY = 'env-key';
  });

  after(async () => {
    delete process.env.WASL_TEST_MOI_KEY;
    await new Promise((ok) => server.close(ok));
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
    store = new SqliteStore({ file: ':memory:' });
    setHubContext({ store, workers: undefined as unknown as Workers, env: 'sandbox', providersRoot: join(root, 'providers'), logger: createLogger('silent') });
  });

  afterEach(async () => {
    await helper.unload();
    setHubContext(undefined);
    store.close();
  });

  const flow = (extra: Record<string, unknown> = {}) => [
    { id: 'f1', type: 'tab', label: 'service' },
    { id: 'p', z: 'f1', type: 'wasl-provider', name: 'MoI', code: 'moi-test', environment: '' },
    { id: 'c', z: 'f1', type: 'wasl-call', name: 'issue', provider: 'p', operation: 'issueCertificate', wires: [['out']], ...extra },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'k', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];

  type Helper = { on(ev: 'input', cb: (msg: Record<string, unknown>) => void): void; receive(msg: unknown): void };
  const node = (id: string) => helper.getNode(id) as unknown as Helper;
  const next = (id: string) => new Promise<Record<string, unknown>>((ok) => node(id).on('input', ok));

  it('calls the ministry once per order step: a redelivered message gets the recorded outcome', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow());
    const msg = () => ({ orderId: 'ord_1', payload: { body: { nationalNumber: '01020304050', name: ARABIC } } });

    let got = Promise.race([next('out'), next('caught').then((m) => assert.fail(JSON.stringify(m.error)))]);
    node('c').receive(msg());
    const first = await got;
    assert.deepEqual(first.payload, { reference: 'CERT-1', name: ARABIC });
    const wasl = first.wasl as Record<string, unknown>;
    assert.equal(wasl.replayed, false);
    assert.equal(wasl.step, 'moi-test.issueCertificate');
    assert.equal(wasl.idempotencyKey, 'ord_1:moi-test.issueCertificate');
    assert.equal(wasl.status, 201);

    got = next('out');
    node('c').receive(msg());
    const again = await got;
    assert.deepEqual(again.payload, first.payload);
    assert.equal((again.wasl as Record<string, unknown>).replayed, true);
    assert.equal(seen.length, 1, 'the server was called once');
    assert.equal(seen[0]?.idempotencyKey, 'ord_1:moi-test.issueCertificate');
    assert.equal(seen[0]?.key, 'env-key');

  });

  it('sends a business refusal to a Catch node with msg.error.code, once, and again from the journal', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow());
    let caught = next('caught');
    node('c').receive({ orderId: 'ord_9', payload: { body: { nationalNumber: '00000000000' } } });
    const first = await caught;
    const error = first.error as Record<string, unknown>;
    assert.equal(error.code, 'business-refusal');
    assert.match(String(error.message), /person-not-found/);
    assert.equal(((error.source as Record<string, unknown>).id), 'c');
    const detail = (first.wasl as { error: Record<string, unknown> }).error;
    assert.equal(detail.reason, 'person-not-found');
    assert.equal(detail.providerCode, 'PERSON_NOT_FOUND');

    caught = next('caught');
    node('c').receive({ orderId: 'ord_9', payload: { body: { nationalNumber: '00000000000' } } });
    const again = await caught;
    assert.equal((again.error as Record<string, unknown>).code, 'business-refusal');
    assert.equal((again.wasl as { replayed: boolean }).replayed, true);
    assert.equal(seen.length, 1, 'a refusal is not asked again');
  });

  it('reports a message without an order id to Catch, and calls nothing', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow());
    const caught = next('caught');
    node('c').receive({ payload: { body: { nationalNumber: '01020304050' } } });
    assert.equal(((await caught).error as Record<string, unknown>).code, 'order-id-missing');
    assert.equal(seen.length, 0);
  });

  it('takes the input, the order id and the step name from configured places', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow({ input: 'request', orderIdProperty: 'order.id', step: 'issue-certificate' }));
    const got = next('out');
    node('c').receive({ order: { id: 'ord_5' }, request: { body: { nationalNumber: '01020304050' } } });
    const out = await got;
    assert.equal((out.wasl as Record<string, unknown>).idempotencyKey, 'ord_5:issue-certificate');
    assert.ok(await store.journalGet('ord_5', 'issue-certificate'));
  });

  it('finds the order id in msg.payload.orderId when msg.orderId is absent', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow({ input: 'request' }));
    const got = next('out');
    node('c').receive({ payload: { orderId: 'ord_6' }, request: { body: { nationalNumber: '01020304051' } } });
    assert.equal(((await got).wasl as Record<string, unknown>).orderId, 'ord_6');
    assert.equal(seen.length, 1);
  });

  it('keeps credentials out of the exported flow, and holds them on the config node', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow(), { p: { apiKey: 'flow-secret-key', password: 'flow-password' } });
    const redNodes = (helper as unknown as { _redNodes: { getFlows(): { flows: unknown[] } } })._redNodes;
    const exported = JSON.stringify(redNodes.getFlows().flows);
    assert.ok(exported.includes('wasl-provider'));
    assert.equal(exported.includes('flow-secret-key'), false);
    assert.equal(exported.includes('flow-password'), false);
    const p = helper.getNode('p') as unknown as { credentials: Record<string, string>; toJSON?: () => unknown };
    assert.equal(p.credentials.apiKey, 'flow-secret-key');
    if (typeof p.toJSON === 'function') assert.equal(JSON.stringify(p.toJSON()).includes('flow-secret-key'), false);
  });

  it('shares one connector between every node using the same provider config', async () => {
    const f = flow();
    f.push({ id: 'c2', z: 'f1', type: 'wasl-call', name: 'again', provider: 'p', operation: 'issueCertificate', wires: [['out']] });
    await helper.load([waslProvider, waslCall, catchNode], f);
    const p = helper.getNode('p') as unknown as { register(n: { id: string }): unknown };
    const a = p.register({ id: 'probe-a' });
    const b = p.register({ id: 'probe-b' });
    assert.equal(a, b, 'one connector instance');
  });

  it('shows a configuration error when the operation does not exist', async () => {
    await helper.load([waslProvider, waslCall, catchNode], flow({ operation: 'noSuchOperation' }));
    const caught = next('caught');
    node('c').receive({ orderId: 'ord_1', payload: {} });
    assert.equal(((await caught).error as Record<string, unknown>).code, 'misconfigured');
    assert.equal(seen.length, 0);
  });
});

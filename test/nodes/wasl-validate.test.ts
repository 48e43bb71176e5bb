/** wasl-validate with node-red-node-test-helper: the order contract, one of its $defs, and a provider operation's input. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOpenApi } from '../../connectors/import/openapi';
import { writeProvider } from '../../connectors/import/write';
import { createLogger } from '../../hub/log';
import { setHubContext } from '../../hub/runtime/context';
import type { Store } from '../../hub/store';
import type { Workers } from '../../hub/workers';
import waslValidate from '../../nodes/wasl-validate';

const helper = require('node-red-node-test-helper') as {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): unknown;
};
helper.init(require.resolve('node-red'));

type Port = { on(ev: 'input', cb: (msg: Record<string, unknown>) => void): void; receive(msg: unknown): void };
const node = (id: string) => helper.getNode(id) as Port;
const next = (id: string) => new Promise<Record<string, unknown>>((ok) => node(id).on('input', ok));

const TEST_OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Test registry', version: '1.0.0' },
  servers: [{ url: 'http://127.0.0.1:8099/api' }],
  paths: {
    '/certificates': {
      post: {
        operationId: 'issueCertificate',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['nationalNumber'], additionalProperties: false, properties: { nationalNumber: { type: 'string', pattern: '^\\d{11}$' }, name: { type: 'string' } } } } } },
        responses: { '201': { description: 'issued', content: { 'application/json': { schema: { type: 'object', required: ['reference'], properties: { reference: { type: 'string' } } } } } } },
      },
    },
  },
};

describe('wasl-validate node', () => {
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'wasl-validate-'));
    const doc = join(root, 'registry.json');
    writeFileSync(doc, JSON.stringify(TEST_OPENAPI));
    await writeProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc));
    setHubContext({ store: undefined as unknown as Store, workers: undefined as unknown as Workers, env: 'sandbox', providersRoot: join(root, 'providers'), logger: createLogger('silent') });
  });
  after(() => {
    setHubContext(undefined);
    rmSync(root, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  const flow = (props: Record<string, unknown>) => [
    { id: 'v', type: 'wasl-validate', ...props, wires: [['ok'], ['bad']] },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];

  it('sends a valid national number ($defs/NationalNumber of the order) to output 1', async () => {
    await helper.load([waslValidate], flow({ schema: 'order', def: 'NationalNumber' }));
    const ok = next('ok');
    node('v').receive({ payload: '01020304050' });
    assert.equal((await ok).payload, '01020304050');
  });

  it('sends an invalid order request to output 2 with JSON pointers, in English and Arabic, without values', async () => {
    await helper.load([waslValidate], flow({ schema: 'order', def: 'OrderRequest' }));
    const bad = next('bad');
    node('v').receive({ payload: { serviceCode: 42, secret: 'ريم' } });
    const msg = await bad;
    const errors = msg.errors as Array<{ pointer: string; detail: string; detailAr: string }>;
    assert.ok(errors.length > 0);
    assert.ok(errors.some((e) => e.pointer === '/secret' && e.detail === 'is not allowed here'));
    assert.ok(errors.every((e) => typeof e.detailAr === 'string' && !e.detail.includes('ريم')));
    assert.equal(msg.schema, 'order#/$defs/OrderRequest');
  });

  it("checks a provider operation's input schema", async () => {
    await helper.load([waslValidate], flow({ schema: 'input', provider: 'moi-test', operation: 'issueCertificate' }));
    const ok = next('ok');
    node('v').receive({ payload: { body: { nationalNumber: '01020304050' } } });
    await ok;
    const bad = next('bad');
    node('v').receive({ payload: { body: { nationalNumber: 'x' } } });
    const errors = (await bad).errors as Array<{ pointer: string }>;
    assert.deepEqual(errors.map((e) => e.pointer), ['/body/nationalNumber']);
  });

  it('checks a configured property instead of msg.payload', async () => {
    await helper.load([waslValidate], flow({ schema: 'order', def: 'NationalNumber', property: 'order.nn' }));
    const bad = next('bad');
    node('v').receive({ payload: '01020304050', order: { nn: 'abc' } });
    assert.equal(((await bad).errors as unknown[]).length, 1);
  });

  it('reports an unknown operation to Catch on every message (done(err))', async () => {
    await helper.load([waslValidate], flow({ schema: 'input', provider: 'moi-test', operation: 'nope' }));
    const v = helper.getNode('v') as { on(ev: string, cb: (call: { args: unknown[] }) => void): void; receive(m: unknown): void };
    const called = new Promise<unknown>((ok) => v.on('call:error', (call) => (call.args[0] as { code?: string })?.code && ok(call.args[0])));
    v.receive({ payload: {} });
    const err = (await called) as { code: string; message: string };
    assert.equal(err.code, 'misconfigured');
    assert.match(err.message, /no operation nope/);
  });
});

/** wasl-map with node-red-node-test-helper: JSONata from the order model to an operation's input, checked against its schema. */
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
import waslMap from '../../nodes/wasl-map';
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (red: unknown) => void;

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

const ARABIC = 'ريم خالد الأحمد';
const OPENAPI = {
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

describe('wasl-map node', () => {
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'wasl-map-'));
    const doc = join(root, 'registry.json');
    writeFileSync(doc, JSON.stringify(OPENAPI));
    await writeProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc));
    setHubContext({ store: undefined as unknown as Store, workers: undefined as unknown as Workers, env: 'sandbox', providersRoot: join(root, 'providers'), logger: createLogger('silent') });
  });
  after(() => {
    setHubContext(undefined);
    rmSync(root, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  const flow = (props: Record<string, unknown>) => [
    { id: 'f1', type: 'tab' },
    { id: 'm', z: 'f1', type: 'wasl-map', schema: 'input', provider: 'moi-test', operation: 'issueCertificate', ...props, wires: [['out']] },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'k', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
  const order = { id: 'ord_1', serviceCode: 'moi-extract', applicant: { nationalNumber: '01020304050', name: { ar: ARABIC } } };

  it("maps the order to the operation's input, Arabic intact, and checks it", async () => {
    await helper.load([waslMap, catchNode], flow({ expression: '{"body": {"nationalNumber": payload.applicant.nationalNumber, "name": payload.applicant.name.ar}}' }));
    const out = next('out');
    node('m').receive({ orderId: 'ord_1', payload: order });
    const msg = await out;
    assert.deepEqual(msg.payload, { body: { nationalNumber: '01020304050', name: ARABIC } });
    assert.equal(msg.orderId, 'ord_1');
  });

  it('writes to a configured property', async () => {
    await helper.load([waslMap, catchNode], flow({ expression: '{"body": {"nationalNumber": payload.applicant.nationalNumber}}', property: 'request' }));
    const out = next('out');
    node('m').receive({ payload: order });
    const msg = await out;
    assert.deepEqual(msg.request, { body: { nationalNumber: '01020304050' } });
    assert.deepEqual(msg.payload, order);
  });

  it('reports a result that does not match the target schema to Catch, with the pointers', async () => {
    await helper.load([waslMap, catchNode], flow({ expression: '{"body": {"nationalNumber": "12", "extra": payload.id}}' }));
    const caught = next('caught');
    node('m').receive({ payload: order });
    const msg = await caught;
    const error = msg.error as { code: string; message: string };
    assert.equal(error.code, 'mapping-mismatch');
    assert.match(error.message, /\/body\/nationalNumber/);
    assert.match(error.message, /\/body\/extra/);
    const pointers = (msg.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/body/extra', '/body/nationalNumber']);
  });

  it('reports a failing expression to Catch', async () => {
    await helper.load([waslMap, catchNode], flow({ expression: '$error("no applicant")' }));
    const caught = next('caught');
    node('m').receive({ payload: order });
    const error = (await caught).error as { code: string; message: string };
    assert.equal(error.code, 'mapping-failed');
    assert.match(error.message, /no applicant/);
  });

  it('maps without a check when the target is "none"', async () => {
    await helper.load([waslMap, catchNode], flow({ schema: 'none', expression: 'payload.id' }));
    const out = next('out');
    node('m').receive({ payload: order });
    assert.equal((await out).payload, 'ord_1');
  });
});

/**
 * Documents through the nodes, with node-red-node-test-helper: a wasl-call against a local SOAP
 * stand-in answering with a 200 KB PDF as Apache CXF writes MTOM, through a real encrypted
 * document store (hub/documents/sqlite.ts) on the store's SQLite database — the output carries a
 * handle, the document stored for the order, byte-exact; then wasl-order-update stores a
 * results.documents entry naming it with its sha256 (which reaches the step's audit record), and
 * refuses a forged hash, a made-up reference, an entry without the hash and another order's
 * document, storing nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentHandle } from '../../connectors/documents';
import { importWsdl } from '../../connectors/import/wsdl';
import { writeProvider } from '../../connectors/import/write';
import { DocumentKeys } from '../../hub/documents/keys';
import { openDocumentStore } from '../../hub/documents/sqlite';
import type { DocumentStore } from '../../hub/documents/store';
import { createLogger } from '../../hub/log';
import { setHubContext } from '../../hub/runtime/context';
import waslCall from '../../nodes/wasl-call';
import orderUpdate from '../../nodes/wasl-order-update';
import waslProvider from '../../nodes/wasl-provider';
import { cxfMtom, FIXTURE_WSDL, pdfLike, sha256 } from '../connectors/soap/documents-helpers';
import { helper, nodeTestHub, storedOrder, type NodeTestHub } from './wasl-order-helpers';

const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (red: unknown) => void;
const CODE = 'docs-registry';

async function readAll(store: DocumentStore, id: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.open(id)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('documents through wasl-call and wasl-order-update', function () {
  this.timeout(30_000);
  let hub: NodeTestHub;
  let documents: DocumentStore;
  let server: http.Server;
  let root: string;
  const pdf = pdfLike(200 * 1024);

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const a = cxfMtom(pdf);
        res.writeHead(200, { 'content-type': a.contentType }).end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    root = mkdtempSync(join(tmpdir(), 'wasl-doc-providers-'));
    await writeProvider(root, CODE, await importWsdl(CODE, FIXTURE_WSDL, { allowUnresolved: true }));
    // The stand-in is the provider's sandbox endpoint.
    const file = join(root, CODE, 'provider.json');
    const def = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, { endpoint: string }> };
    def.environments = { sandbox: { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/documents` } };
    writeFileSync(file, JSON.stringify(def, null, 2));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    hub = await nodeTestHub();
    documents = openDocumentStore(hub.store.database, { keys: DocumentKeys.ephemeral() });
    setHubContext({ store: hub.store, workers: hub.workers, env: 'sandbox', providersRoot: root, logger: createLogger('silent'), documents });
    await helper.startServer();
  });

  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await hub.close();
  });

  /** Calls GetDocument for a new order through the nodes; the message wasl-call sends on. */
  async function callFor(orderId: string): Promise<Record<string, unknown>> {
    await helper.load(
      [waslProvider, waslCall],
      [
        { id: 'p', type: 'wasl-provider', code: CODE, environment: 'sandbox' },
        { id: 'c', type: 'wasl-call', provider: 'p', operation: 'GetDocument', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
    );
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    helper.getNode('c')!.receive({ orderId, payload: { reference: 'EXT-1' } });
    const msg = await out;
    await helper.unload();
    return msg;
  }

  it('wasl-call hands on a handle for an MTOM PDF, stored encrypted for the order, byte-exact', async () => {
    const order = await storedOrder(hub.store);
    const msg = await callFor(order.id);
    const out = msg.payload as { mediaType: string; content: DocumentHandle };
    assert.equal(out.mediaType, 'application/pdf');
    const handle = out.content;
    assert.equal(handle.mediaType, 'application/pdf');
    assert.equal(handle.size, pdf.length);
    assert.equal(handle.sha256, sha256(pdf));
    assert.equal(handle.filename, 'extract-123.pdf');
    assert.deepEqual((msg.wasl as { documents?: DocumentHandle[] }).documents, [handle], 'msg.wasl.documents lists the handles');
    const info = await documents.info(handle.id);
    assert.equal(info?.orderId, order.id, 'the document is the order’s');
    assert.equal(info?.origin.provider, CODE);
    assert.equal(info?.origin.operation, 'GetDocument');
    assert.ok((await readAll(documents, handle.id)).equals(pdf));
    assert.ok(!JSON.stringify(msg.payload).includes(pdf.subarray(0, 64).toString('base64')), 'no bytes in the message');
  });

  it('wasl-order-update stores an entry naming the stored document, its sha256 in the order and the audit record', async () => {
    const order = await storedOrder(hub.store);
    const handle = ((await callFor(order.id)).payload as { content: DocumentHandle }).content;
    await helper.load([orderUpdate], [{ id: 'u', type: 'wasl-order-update', status: 'awaiting-payment', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const out = new Promise<Record<string, unknown>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const entry = { type: 'civil-registry-individual-extract', reference: handle.id, sha256: handle.sha256, issuedAt: new Date().toISOString(), issuer: CODE };
    helper.getNode('u')!.receive({ payload: order, results: { documents: [entry], providerReferences: [] } });
    await out;
    const stored = await hub.store.getOrder(order.id);
    assert.deepEqual(stored?.results?.documents, [entry]);
    const steps = (await hub.store.readAudit({ subject: order.id, limit: 100 })).filter((r) => r.kind === 'order.step');
    assert.deepEqual(steps.at(-1)?.data.documents, [{ id: handle.id, sha256: handle.sha256 }], 'the step’s audit record has the id and the hash');
    assert.equal(steps[0]?.data.documents, undefined, 'and the steps before it none');
  });

  it('wasl-order-update refuses a forged hash, a made-up reference, a missing hash and another order’s document, storing nothing', async () => {
    const order = await storedOrder(hub.store);
    const other = await storedOrder(hub.store);
    const handle = ((await callFor(order.id)).payload as { content: DocumentHandle }).content;
    const theirs = ((await callFor(other.id)).payload as { content: DocumentHandle }).content;
    await helper.load(
      [orderUpdate, catchNode],
      [
        { id: 'u', type: 'wasl-order-update', z: 'f', status: 'awaiting-payment', wires: [['out']] },
        { id: 'out', type: 'helper', z: 'f' },
        { id: 'k', type: 'catch', z: 'f', scope: ['u'], wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f' },
        { id: 'f', type: 'tab' },
      ],
    );
    const base = { type: 'civil-registry-individual-extract', issuedAt: new Date().toISOString() };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['document-hash-mismatch', { ...base, reference: handle.id, sha256: 'f'.repeat(64) }],
      ['document-not-found', { ...base, reference: 'doc_made_up', sha256: handle.sha256 }],
      ['document-hash-missing', { ...base, reference: handle.id }],
      ['document-other-order', { ...base, reference: theirs.id, sha256: theirs.sha256 }],
    ];
    for (const [code, entry] of cases) {
      const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
      helper.getNode('u')!.receive({ payload: order, results: { documents: [{ ...base, reference: 'MINISTRY-REF-1' }, entry], providerReferences: [] } });
      const err = (await caught).error as { code?: string; message: string };
      assert.equal(err.code, code, err.message);
      const stored = await hub.store.getOrder(order.id);
      assert.equal(stored?.status, order.status, `${code}: the order did not move`);
      assert.deepEqual(stored?.results, order.results, `${code}: nothing stored`);
    }
  });

  it('wasl-order-update refuses an entry with a sha256 where the hub keeps no documents', async () => {
    setHubContext({ store: hub.store, workers: hub.workers, env: 'sandbox', providersRoot: root, logger: createLogger('silent') });
    const order = await storedOrder(hub.store);
    await helper.load(
      [orderUpdate, catchNode],
      [
        { id: 'u', type: 'wasl-order-update', z: 'f', status: 'awaiting-payment' },
        { id: 'k', type: 'catch', z: 'f', scope: ['u'], wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f' },
        { id: 'f', type: 'tab' },
      ],
    );
    const caught = new Promise<Record<string, unknown>>((resolve) => helper.getNode('caught')!.on('input', resolve));
    helper.getNode('u')!.receive({ payload: order, results: { documents: [{ type: 't', reference: 'doc_x', sha256: 'a'.repeat(64), issuedAt: new Date().toISOString() }], providerReferences: [] } });
    assert.equal(((await caught).error as { code?: string }).code, 'document-store-missing');
  });
});

/**
 * Flow files change only when their content does (issue 21, item 2; hub/runtime/storage.ts,
 * flow-file.ts). Through the real runtime, on a copy of the repository's flows/: the editor's
 * Deploy (POST /red/flows with the full flow set) of one renamed node changes that node's file by
 * one line and no other file; the same flows in another order, nodes and keys, change nothing; a
 * tab that is not a service is refused and writes nothing; deleting a tab removes its flow.json
 * (kept in the data dir) and keeps the service's folder, except for a live service or a pattern
 * that services name, which are refused. The audit of each deploy names exactly the tabs it changed.
 */
import assert from 'node:assert/strict';
import { once, type EventEmitter } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { canonicalNode, canonicalOrder, flowFileText } from '../../../hub/runtime/flow-file';
import type { FlowNode } from '../../../hub/runtime/node-types';
import { FLOWS_DIR, type TestHub } from '../../helpers';
import { currentFlows, deploy, runtimeHub, until } from '../../security/runtime-hub';

type Node = Record<string, unknown> & { id: string; type: string; z?: string };

/** Node-RED's runtime events (the process's one runtime). */
const nodeRedEvents = () => (require('node-red') as { events: EventEmitter }).events;

/** Every file under `dir`, by path relative to it, with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.set(relative(dir, join(d, e.name)), readFileSync(join(d, e.name), 'base64'));
    }
  };
  walk(dir);
  return out;
}

/** The paths whose bytes differ between two snapshots, or that only one of them has. */
function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p)).sort();
}

/** The same object with its keys in reverse order. */
const reversedKeys = (n: Node): Node => Object.fromEntries(Object.entries(n).reverse()) as Node;

const CR = 'civil-registry-individual-extract';
const VEHICLE = 'vehicle-ownership-statement';

describe('flow files change only when their content does', function () {
  this.timeout(120_000);
  let hub: TestHub;
  let url = '';
  let flowsDir = '';

  before(async () => {
    flowsDir = join(mkdtempSync(join(tmpdir(), 'wasl-test-flows-')), 'flows');
    cpSync(FLOWS_DIR, flowsDir, { recursive: true });
    // A service with a flow of its own that is not live: its tab may be deleted.
    const def = join(flowsDir, VEHICLE, 'service.json');
    writeFileSync(def, `${JSON.stringify({ ...JSON.parse(readFileSync(def, 'utf8')), lifecycle: 'certified' }, null, 2)}\n`);
    ({ hub, url } = await runtimeHub({ flowsDir }));
  });

  after(async () => {
    await hub?.close();
  });

  /** The deploy records so far, oldest first. */
  const deploys = async () => (await hub.store.readAudit({ subject: 'editor', limit: 1000 })).filter((a) => a.data.action === 'deploy');
  /**
   * Deploys `flows` as the editor does; the status, the body, and the audit record of an accepted
   * deploy, once its flows have started (Node-RED answers before: a hub closed while they start
   * leaves their nodes to the next test's hub).
   */
  const deployAndAudit = async (change: (flows: Node[]) => Node[]) => {
    const { rev, flows } = await currentFlows(url);
    const seen = (await deploys()).length;
    const abort = new AbortController();
    const started = once(nodeRedEvents(), 'flows:started', { signal: abort.signal });
    const res = await deploy(url, rev, change(flows as Node[]));
    if (res.status !== 200) {
      abort.abort();
      await started.catch(() => undefined);
      return { status: res.status, body: JSON.parse(res.body) as { code: string; message: string } };
    }
    await started;
    await until(async () => (await deploys()).length > seen, 5_000, 'the deploy in the audit trail');
    return { status: res.status, audit: (await deploys()).at(-1)!.data };
  };

  it('the repository keeps its flow files in the canonical form', () => {
    const files = [join(FLOWS_DIR, 'shared.json'), ...readdirSync(FLOWS_DIR).map((d) => join(FLOWS_DIR, d, 'flow.json')).filter((f) => existsSync(f))];
    assert.ok(files.length >= 10, `${files.length} flow files`);
    for (const f of files) assert.equal(readFileSync(f, 'utf8'), flowFileText(JSON.parse(readFileSync(f, 'utf8')) as FlowNode[]), `${relative(FLOWS_DIR, f)} is not canonical`);
  });

  it('a Deploy of the flows as they run, or in another order of nodes and keys, writes nothing and names no tab', async () => {
    const before = snapshot(flowsDir);
    const same = await deployAndAudit((flows) => flows);
    assert.equal(same.status, 200);
    assert.deepEqual(same.audit!.tabs, []);
    const shuffled = await deployAndAudit((flows) => [...flows].reverse().map(reversedKeys));
    assert.equal(shuffled.status, 200);
    assert.deepEqual(shuffled.audit!.tabs, []);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), []);
  });

  it("renaming one node changes one file, by that node's name line, and the audit names that tab only", async () => {
    const before = snapshot(flowsDir);
    const { status, audit } = await deployAndAudit((flows) => flows.map((n) => (n.id === 'cr-pay' ? { ...n, name: 'طلب الدفع' } : n)));
    assert.equal(status, 200);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), [`${CR}/flow.json`]);
    const lines = (text: string) => Buffer.from(text, 'base64').toString('utf8').split('\n');
    const [was, now] = [lines(before.get(`${CR}/flow.json`)!), lines(snapshot(flowsDir).get(`${CR}/flow.json`)!)];
    assert.equal(now.length, was.length);
    assert.deepEqual(
      now.flatMap((l, i) => (l === was[i] ? [] : [[was[i], l]])),
      [['    "name": "request payment",', '    "name": "طلب الدفع",']],
    );
    assert.deepEqual(audit!.tabs, [{ id: CR, label: CR, change: 'changed' }]);
    assert.equal(audit!.changed, 1);

    // A node of a pattern's flow: that pattern's file; a config node: shared.json.
    const mid = snapshot(flowsDir);
    const pattern = await deployAndAudit((flows) => flows.map((n) => (n.id === 'psix-pay' ? { ...n, name: 'payment' } : n)));
    assert.equal(pattern.status, 200);
    assert.deepEqual(changedFiles(mid, snapshot(flowsDir)), ['pattern-sif-insurance/flow.json']);
    assert.deepEqual(pattern.audit!.tabs, [{ id: 'pattern-sif-insurance', label: 'pattern-sif-insurance', change: 'changed' }]);
    const last = snapshot(flowsDir);
    const config = await deployAndAudit((flows) => flows.map((n) => (n.id === 'provider-sif-insurance' ? { ...n, name: 'التأمين' } : n)));
    assert.equal(config.status, 200);
    assert.deepEqual(changedFiles(last, snapshot(flowsDir)), ['shared.json']);
    assert.deepEqual([config.audit!.tabs, config.audit!.configNodes], [[], ['provider-sif-insurance']]);
  });

  it('a tab that is not a service is refused, with a message naming it, and nothing is written', async () => {
    const before = snapshot(flowsDir);
    const tab = (id: string, label: string): Node[] => [
      { id, type: 'tab', label, disabled: false, info: '' },
      { id: `${id}-note`, type: 'comment', z: id, name: 'scratch', info: '', x: 100, y: 100, wires: [] },
    ];
    const cases: Array<[Node[], RegExp]> = [
      [tab('scratch1', 'Flow 1'), /tab "Flow 1" is not named after a service/],
      [tab('scratch2', 'birth-certificate-draft'), /tab "birth-certificate-draft" is not a service: there is no flows\/birth-certificate-draft\/service\.json/],
      [tab('scratch3', 'birth-certificate-extract'), /service birth-certificate-extract is carried by the flow of pattern-moi-civil-registry/],
      [tab('scratch4', CR), new RegExp(`tabs "${CR}" and "${CR}" are both the flow of ${CR}`)],
    ];
    for (const [nodes, message] of cases) {
      const res = await deployAndAudit((flows) => [...flows, ...nodes]);
      assert.equal(res.status, 400, `${nodes[0]!.label as string}: ${JSON.stringify(res)}`);
      assert.match(res.body!.message, message);
      assert.match(res.body!.code, /^tab-(not-a-service|folder-taken)$/);
    }
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), []);
    assert.equal(existsSync(join(flowsDir, 'birth-certificate-draft')), false);
  });

  it("deleting a tab removes its flow.json, kept in the data dir, and leaves the service's folder; refused for a live service and a pattern services name", async () => {
    const before = snapshot(flowsDir);
    const without = (tab: string) => (flows: Node[]) => flows.filter((n) => n.id !== tab && n.z !== tab);
    const live = await deployAndAudit(without(CR));
    assert.equal(live.status, 400);
    assert.equal(live.body!.code, 'live-service-flow-deleted');
    assert.match(live.body!.message, new RegExp(`${CR}, which is live: retire the service first`));
    const pattern = await deployAndAudit(without('pattern-mot-vehicle-registry'));
    assert.equal(pattern.status, 400);
    assert.equal(pattern.body!.code, 'pattern-in-use');
    assert.match(pattern.body!.message, /is the flow of \d+ services \(.*vehicle-lien-statement.*\): point their definitions/);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), []);

    // A service that is not live: its flow goes, its definition, scenarios, certificate and lifecycle stay.
    const vehicleTab = (await currentFlows(url)).flows.filter((n) => n.id === VEHICLE || n.z === VEHICLE) as Node[];
    assert.ok(vehicleTab.length > 10);
    const deleted = await deployAndAudit(without(VEHICLE));
    assert.equal(deleted.status, 200);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), [`${VEHICLE}/flow.json`]);
    assert.equal(existsSync(join(flowsDir, VEHICLE, 'flow.json')), false);
    for (const f of ['service.json', 'certificate.json', 'lifecycle.json', 'scenarios']) assert.ok(existsSync(join(flowsDir, VEHICLE, f)), `${f} kept`);
    const kept = join(hub.config.dataDir, 'node-red', 'deleted-flows');
    const copies = readdirSync(kept).filter((f) => f.startsWith(`${VEHICLE}-`));
    assert.equal(copies.length, 1);
    assert.equal(readFileSync(join(kept, copies[0]!), 'base64'), before.get(`${VEHICLE}/flow.json`));
    assert.deepEqual(deleted.audit!.tabs, [{ id: VEHICLE, label: VEHICLE, change: 'removed' }]);

    // Undone (the tab deployed again): the same bytes as before, so its certificate holds as it did.
    const undone = await deployAndAudit((flows) => [...flows, ...vehicleTab]);
    assert.equal(undone.status, 200);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), []);

    // A pattern no service names: written as one, and deleting it removes its folder.
    const added = await deployAndAudit((flows) => [...flows, { id: 'pattern-scratch', type: 'tab', label: 'pattern-scratch', disabled: false, info: '' }]);
    assert.equal(added.status, 200);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), ['pattern-scratch/flow.json']);
    assert.equal((await deployAndAudit(without('pattern-scratch'))).status, 200);
    assert.equal(existsSync(join(flowsDir, 'pattern-scratch')), false);
    assert.deepEqual(changedFiles(before, snapshot(flowsDir)), []);
  });
});

describe('the canonical form of a flow file', () => {
  const nodes: FlowNode[] = [
    { id: 'b', type: 'change', z: 't', wires: [['a']], rules: [{ t: 'set', p: 'payload', to: { y: 1, x: 2 } }], name: 'second', x: 10, y: 20 },
    { id: 't', type: 'tab', label: 'svc', info: '', disabled: false },
    { id: 'a', type: 'wasl-order-in', z: 't', types: ['order.received', 'order.paid'], name: 'first', wires: [[]] },
  ];

  it('is the same bytes whatever the order of nodes and keys, and keeps the order of array elements', () => {
    const text = flowFileText(nodes);
    const shuffled = [...nodes].reverse().map((n) => Object.fromEntries(Object.entries(n).reverse()) as FlowNode);
    assert.equal(flowFileText(shuffled), text);
    const parsed = JSON.parse(text) as FlowNode[];
    assert.deepEqual(parsed.map((n) => n.id), ['t', 'a', 'b'], 'the tab, then its nodes by id');
    assert.deepEqual(Object.keys(parsed[2]!), ['id', 'type', 'z', 'name', 'rules', 'wires', 'x', 'y']);
    assert.deepEqual(parsed[2]!.rules, [{ p: 'payload', t: 'set', to: { x: 2, y: 1 } }]);
    assert.deepEqual(parsed[1]!.types, ['order.received', 'order.paid']);
    assert.ok(text.endsWith('}\n]\n'));
  });

  it('keeps config nodes and subflows apart, each subflow followed by its nodes, and a key named __proto__ as a key', () => {
    const order = canonicalOrder([
      { id: 'sf-node', type: 'change', z: 'sf' },
      { id: 'zz-config', type: 'wasl-provider' },
      { id: 'sf', type: 'subflow' },
      { id: 'a-config', type: 'wasl-provider' },
    ]).map((n) => n.id);
    assert.deepEqual(order, ['a-config', 'sf', 'sf-node', 'zz-config']);
    const odd = canonicalNode(JSON.parse('{"id":"n","type":"comment","info":{"__proto__":{"polluted":true}}}') as FlowNode);
    assert.equal(JSON.stringify(odd), '{"id":"n","type":"comment","info":{"__proto__":{"polluted":true}}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

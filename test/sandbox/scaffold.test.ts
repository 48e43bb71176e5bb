/** `wasl service new`: a draft service scaffolded from a provider's contract. */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue } from '../../hub/catalogue';
import { flowFileText } from '../../hub/runtime/flow-file';
import type { FlowNode } from '../../hub/runtime/node-types';
import { scaffoldService, ScaffoldError, skeletonExpression } from '../../sandbox/scaffold/scaffold';
import { loadScenarios } from '../../sandbox/runner/scenarios';
import { FLOWS_DIR, testHub } from '../helpers';

describe('sandbox: scaffolding a service', () => {
  let flowsDir: string;
  beforeEach(() => {
    flowsDir = join(mkdtempSync(join(tmpdir(), 'wasl-scaffold-')), 'flows');
    mkdirSync(flowsDir);
    cpSync(join(FLOWS_DIR, 'shared.json'), join(flowsDir, 'shared.json'));
  });
  afterEach(() => rmSync(join(flowsDir, '..'), { recursive: true, force: true }));

  it('writes a valid draft definition, a staged flow wired to the operation, and a valid first scenario', () => {
    const r = scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', names: { ar: 'بيان ولادة', en: 'Birth certificate' }, flowsDir });
    assert.equal(r.operation, 'IssueIndividualExtract');
    const cat = Catalogue.load(flowsDir);
    const def = cat.get('birth-certificate')!.definition;
    assert.equal(def.lifecycle, 'draft');
    assert.deepEqual(def.provider, { code: 'moi-civil-registry', operation: 'IssueIndividualExtract' });
    const text = readFileSync(join(flowsDir, 'birth-certificate', 'flow.json'), 'utf8');
    assert.doesNotMatch(text, /\{\{/, 'no placeholder left');
    assert.doesNotMatch(text, /vehicle|mot-/, 'nothing of the template\'s origin');
    const flow = JSON.parse(text) as Array<Record<string, unknown>>;
    const ids = flow.map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length, 'ids unique');
    const call = flow.find((n) => n.type === 'wasl-call')!;
    assert.equal(call.operation, 'IssueIndividualExtract');
    assert.equal(call.provider, 'provider-moi-civil-registry', 'the existing shared config node');
    const mapIn = flow.find((n) => n.type === 'wasl-map' && n.schema === 'input')!;
    assert.match(String(mapIn.expression), /"nationalNumber": \$error\("TODO: map nationalNumber from the order"\)/);
    // One order-in node per stage (the file lists nodes by id: flow-file.ts).
    assert.deepEqual(
      flow.filter((n) => n.type === 'wasl-order-in').map((n) => (n.types as string[]).join()).sort(),
      ['order.received', 'order.paid', 'order.submitted-to-provider', 'order.provider-completed', 'order.returned', 'order.rejected,order.failed,order.cancelled'].sort(),
    );
    assert.equal(text, flowFileText(flow as FlowNode[]), 'written as the editor\'s Deploy writes it');
    const [scenario] = loadScenarios('birth-certificate', flowsDir);
    assert.deepEqual(scenario?.scenario.expect.calls, { 'moi-civil-registry': { IssueIndividualExtract: 1 } });
  });

  it('starts in the runtime: the flow loads, its order-in nodes subscribe, and no node reports an error', async function () {
    this.timeout(30_000);
    scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir });
    const hub = await testHub({ flowsDir }, undefined, { runtime: true, watchEveryMs: 0 });
    try {
      await hub.startBackground();
      assert.equal(hub.workers.count, 1, 'one subscription for the service');
      assert.deepEqual(hub.logs.lines.filter((l) => /"level":"(error|fatal)"/.test(l)), []);
    } finally {
      await hub.close();
    }
  });

  it('adds the provider\'s config node to flows/shared.json when it is not there', () => {
    writeFileSync(join(flowsDir, 'shared.json'), '[]\n');
    scaffoldService({ code: 'vehicle-history', provider: 'mot-vehicle-registry', flowsDir });
    const shared = JSON.parse(readFileSync(join(flowsDir, 'shared.json'), 'utf8')) as Array<Record<string, unknown>>;
    assert.deepEqual(shared.map((n) => [n.id, n.type, n.code]), [['provider-mot-vehicle-registry', 'wasl-provider', 'mot-vehicle-registry']]);
  });

  it('refuses an existing service, an unknown operation, a bad code', () => {
    scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir });
    assert.throws(() => scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir }), ScaffoldError);
    assert.throws(() => scaffoldService({ code: 'other-one', provider: 'moi-civil-registry', operation: 'Nope', flowsDir }), /has no operation Nope: it has IssueIndividualExtract/);
    assert.throws(() => scaffoldService({ code: 'Bad Code', provider: 'moi-civil-registry', flowsDir }), /lower-case/);
  });

  it('names each required member of the input in the skeleton, nested', () => {
    const expr = skeletonExpression({ type: 'object', required: ['path', 'body'], properties: { path: { type: 'object', required: ['plate'], properties: { plate: { type: 'string' } } }, body: { type: 'object', properties: { n: { type: 'integer' } } } } });
    assert.match(expr, /"path": \{\n {4}"plate": \$error\("TODO: map plate from the order"\)\n {2}\}/);
    assert.match(expr, /"n": \$error\("TODO: map n from the order"\)/, 'every leaf, whatever its type');
  });
});

/**
 * Shipped and scaffolded flows are laid out so that a person can read them in the editor (issue
 * 24): no two nodes of a tab overlap, none is past the canvas's top or left edge, every wire runs
 * left to right (hub/runtime/flow-layout.ts sizes the nodes as the editor does, a little wider).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProvider } from '../../../connectors/provider-files';
import { flowFileText } from '../../../hub/runtime/flow-file';
import { boxOf, layoutIssues, layOut } from '../../../hub/runtime/flow-layout';
import type { FlowNode } from '../../../hub/runtime/node-types';
import { scaffoldService } from '../../../sandbox/scaffold/scaffold';
import { FLOWS_DIR } from '../../helpers';

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];

function shippedFlowFiles(): string[] {
  return readdirSync(FLOWS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FLOWS_DIR, d.name, 'flow.json')))
    .map((d) => join(FLOWS_DIR, d.name, 'flow.json'));
}

describe('flow layout', () => {
  it('sizes a node from its label as the editor does, rounded up to the grid, at least 100 × 30', () => {
    assert.deepEqual(boxOf({ id: 'a', type: 'wasl-order-update', z: 't', name: 'rejected', x: 100, y: 40, wires: [[]] }), { id: 'a', z: 't', label: 'rejected', x: 100, y: 40, w: 120, h: 30 });
    assert.equal(boxOf({ id: 'b', type: 'switch', z: 't', name: 'delivery method', x: 100, y: 40, wires: [[], [], []] }).h, 60);
    assert.equal(boxOf({ id: 'c', type: 'wasl-order-update', z: 't', x: 100, y: 40, status: 'rejected' }).label, '→ rejected');
  });

  it('finds overlapping nodes, nodes past the edge and wires running right to left (the layout the shipped flows had)', () => {
    const nodes: FlowNode[] = [
      { id: 't', type: 'tab', label: 't' },
      { id: 'pickup', type: 'wasl-order-update', z: 't', name: 'ready for pickup', x: 640, y: 480, wires: [[]] },
      { id: 'retry', type: 'function', z: 't', name: 'not a refusal: let the bus retry', x: 610, y: 480, wires: [[]] },
      { id: 'map', type: 'wasl-map', z: 't', name: 'order → IssueIndividualExtract', x: 600, y: 240, wires: [['call']] },
      { id: 'call', type: 'wasl-call', z: 't', name: 'إخراج قيد — السجل المدني', x: 60, y: 340, wires: [[]] },
    ];
    assert.deepEqual(
      layoutIssues(nodes).map((i) => i.kind),
      ['overlap', 'off-canvas', 'backward-wire'],
    );
    assert.deepEqual(layoutIssues(layOut(nodes)), []);
  });

  for (const file of shippedFlowFiles()) {
    const name = file.slice(FLOWS_DIR.length + 1);
    it(`${name}: no overlap, nothing past the edge, wires left to right, in the canonical form`, () => {
      const nodes = read(file);
      assert.deepEqual(layoutIssues(nodes).map((i) => i.message), []);
      assert.equal(readFileSync(file, 'utf8'), flowFileText(nodes));
    });
  }

  it('a flow `wasl service new` scaffolds is laid out as well, for every ministry and operation', () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-scaffold-'));
    try {
      const problems: string[] = [];
      const providers = read(join(FLOWS_DIR, 'shared.json')).filter((n) => n.type === 'wasl-provider').map((n) => String(n.code));
      let scaffolded = 0;
      for (const provider of providers) {
        for (const operation of Object.keys(loadProvider(provider).operations)) {
          const flowsDir = join(root, `${provider}-${operation}`.toLowerCase());
          mkdirSync(flowsDir);
          cpSync(join(FLOWS_DIR, 'shared.json'), join(flowsDir, 'shared.json'));
          scaffoldService({ code: 'new-service', provider, operation, flowsDir });
          scaffolded++;
          problems.push(...layoutIssues(read(join(flowsDir, 'new-service', 'flow.json'))).map((i) => `${provider} ${operation}: ${i.message}`));
        }
      }
      assert.ok(scaffolded >= 10, `${scaffolded} scaffolded`);
      assert.deepEqual(problems, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * Runtime metrics (hub/runtime/metrics.ts) from Node-RED's messaging hooks, in the hub's runtime:
 * a small flow (http in → function → http response, two Catch nodes) driven over HTTP, then the
 * snapshot's counts per node and per flow. And the histogram and error de-duplication on their own.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION_BUCKETS_MS, RuntimeMetrics, type Hooks } from '../../../hub/runtime/metrics';
import { FLOWS_DIR, testHub } from '../../helpers';
import { until } from '../bus/contract';

const SERVICE = 'civil-registry-individual-extract';

function flowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  const fn = [
    "if (msg.req.query.mode === 'throw') throw new Error('boom');",
    "if (msg.req.query.mode === 'log') { node.send(msg); node.error('logged, not caught'); return null; }",
    'return msg;',
  ].join('\n');
  const flow = [
    { id: 'tabm', type: 'tab', label: SERVICE },
    { id: 'in1', z: 'tabm', type: 'http in', url: '/metrics-test', method: 'get', x: 100, y: 100, wires: [['fn1']] },
    { id: 'fn1', z: 'tabm', type: 'function', name: 'work', func: fn, outputs: 1, x: 300, y: 100, wires: [['resp1']] },
    { id: 'resp1', z: 'tabm', type: 'http response', x: 500, y: 100, wires: [] },
    // Two Catch nodes get the thrown error: it still counts once.
    { id: 'catch1', z: 'tabm', type: 'catch', scope: ['fn1'], uncaught: false, x: 100, y: 200, wires: [['resp1']] },
    { id: 'catch2', z: 'tabm', type: 'catch', scope: null, uncaught: false, x: 100, y: 300, wires: [[]] },
  ];
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify(flow, null, 2));
  return dir;
}

describe('runtime metrics', () => {
  it('counts messages received and sent, errors and time per node and per flow in the hub\'s runtime', async function () {
    this.timeout(60_000);
    // The flow is driven over HTTP: the http nodes, outside wasl's allow-list, are added as an operator would (WASL_EXTRA_NODE_TYPES).
    const hub = await testHub({ flowsDir: flowsDir(), extraNodeTypes: ['http in', 'http response'] }, undefined, { runtime: true });
    try {
      await hub.startBackground();
      const metrics = hub.runtime!.metrics;
      const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      for (const mode of ['ok', 'throw', 'log', 'ok']) {
        const res = await fetch(`${url}/svc/metrics-test?mode=${mode}`);
        assert.equal(res.status, 200, mode);
        await res.text();
      }
      await until(async () => (metrics.snapshot().nodes.find((n) => n.node === 'resp1')?.durationMs.count ?? 0) >= 4, 5_000, 'responses completed');
      const snap = metrics.snapshot();
      const node = (id: string) => {
        const n = snap.nodes.find((x) => x.node === id);
        assert.ok(n, `metrics for ${id}: ${JSON.stringify(snap.nodes.map((x) => x.node))}`);
        return n;
      };
      assert.deepEqual([node('in1').received, node('in1').sent, node('in1').errors], [0, 4, 0]);
      const fn1 = node('fn1');
      assert.equal(fn1.type, 'function');
      assert.equal(fn1.name, 'work');
      assert.equal(fn1.flow, 'tabm');
      assert.deepEqual([fn1.received, fn1.sent, fn1.errors], [4, 3, 2], 'done(err) caught once, node.error logged once');
      assert.equal(fn1.durationMs.count, 4);
      assert.ok(fn1.durationMs.sumMs >= 0);
      assert.deepEqual(fn1.durationMs.buckets.at(-1), { le: '+Inf', count: 4 });
      assert.equal(fn1.durationMs.buckets.length, DURATION_BUCKETS_MS.length + 1);
      assert.deepEqual([node('catch1').received, node('catch1').sent, node('catch2').received], [1, 1, 1]);
      const resp = node('resp1');
      assert.deepEqual([resp.received, resp.sent, resp.errors, resp.durationMs.count], [4, 0, 0, 4]);

      const flow = snap.flows.find((f) => f.flow === 'tabm');
      assert.ok(flow);
      assert.equal(flow.label, SERVICE);
      assert.deepEqual([flow.received, flow.sent, flow.errors], [4 + 4 + 1 + 1, 4 + 3 + 1, 2]);
      assert.equal(flow.durationMs.count, snap.nodes.filter((n) => n.flow === 'tabm').reduce((a, n) => a + n.durationMs.count, 0));
      assert.ok(!Number.isNaN(Date.parse(snap.since)));
      // Plain data, ready for a scrape.
      assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    } finally {
      await hub.close();
    }
  });

  describe('on its own', () => {
    function fakeHooks() {
      const handlers = new Map<string, (e: unknown) => void>();
      const hooks: Hooks = {
        add: (name, h) => handlers.set(name.split('.')[0]!, h as (e: unknown) => void),
        remove: (name) => {
          if (name === '*.wasl-metrics') handlers.clear();
        },
      };
      return { hooks, fire: (name: string, e: unknown) => handlers.get(name)?.(e), handlers };
    }

    it('observes preDeliver → onComplete into cumulative buckets, per destination node', async () => {
      const m = new RuntimeMetrics();
      const { hooks, fire } = fakeHooks();
      m.install(hooks);
      const node = { id: 'n1', type: 'function', z: 'tab' };
      const msg = { _msgid: 'a' };
      fire('preDeliver', { msg, destination: { id: 'n1', node } });
      await new Promise((r) => setTimeout(r, 30));
      fire('onComplete', { msg, node: { id: 'n1', node } });
      // A second completion of the same message is not observed again.
      fire('onComplete', { msg, node: { id: 'n1', node } });
      const d = m.snapshot().nodes[0]!.durationMs;
      assert.equal(d.count, 1);
      assert.ok(d.sumMs >= 25 && d.sumMs < 5000, String(d.sumMs));
      const le = (b: number | '+Inf') => d.buckets.find((x) => x.le === b)!.count;
      assert.equal(le(25), 0);
      assert.equal(le(30000), 1);
      assert.equal(le('+Inf'), 1);
    });

    it('counts an error logged for a node, and stops counting once uninstalled', () => {
      const m = new RuntimeMetrics();
      const { hooks, fire, handlers } = fakeHooks();
      m.install(hooks);
      m.loggedError({ id: 'n2', type: 'wasl-call', z: 'tab' });
      m.loggedError({ msg: 'no node' } as never);
      fire('onSend', [{ source: { id: 'n2', node: { id: 'n2', type: 'wasl-call', z: 'tab' } } }]);
      m.uninstall();
      assert.equal(handlers.size, 0);
      assert.deepEqual(m.snapshot().nodes.map((n) => [n.node, n.flow, n.sent, n.errors]), [['n2', 'tab', 1, 1]]);
    });
  });
});

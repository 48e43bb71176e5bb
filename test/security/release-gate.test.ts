/**
 * The release gate in production (issue 21; hub/release-gate.ts). An `exec` node added to a live
 * flow once ran in production, which only logged a warning; and production loaded every flow file.
 * Now, per service:
 *
 *  - a live service whose flow holds a node type outside the allow-list, or whose certificate does
 *    not hold, is not started: its orders get 503 service-not-certified (English and Arabic, no
 *    internal names), operators see why (GET /v1/services, the dashboard, /metrics), the refusal
 *    is in the log and the audit trail (system:release-gate) — and every other service runs
 *    normally;
 *  - only live services' folders, the patterns that carry them and the config nodes they use are
 *    loaded; a non-live service's folder, a stray tab, an unused config node are not, and are
 *    reported;
 *  - a service promoted while the hub runs starts taking orders without a restart, and an order of
 *    another service in flight at that moment completes untouched; a retired one stops.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogueEntry, Order } from '../../contracts/types';
import { onDecision } from '../../hub/bus/consume';
import { retire } from '../../hub/lifecycle';
import { hashPassword } from '../../hub/operators';
import type { AuditRecord } from '../../hub/audit/chain';
import { until } from '../hub/bus/contract';
import type { TestHub } from '../helpers';
import { currentFlows, deploy, raw, runtimeHub } from './runtime-hub';
import { certificateReader } from '../../sandbox/certificate';
import { BIRTH, CIVIL, copyService, gateFlows, gateHub, orderCompletes, PATTERN, runningTabs, serviceFlow, STATUS, submit, TRUST, VEHICLE } from './gate-flows';

const PASSWORD = 'release-gate-viewer-1';
const basic = { authorization: `Basic ${Buffer.from(`noor:${PASSWORD}`).toString('base64')}` };

async function gateRecords(hub: TestHub, action: string): Promise<AuditRecord[]> {
  return (await hub.store.listOperatorActions({ limit: 200 })).filter((r) => r.actor === 'system:release-gate' && r.data.action === action);
}

describe('security: the release gate in production', function () {
  this.timeout(120_000);
  let operators: Awaited<ReturnType<typeof operatorsOf>>;
  const operatorsOf = async () => [{ user: 'noor', passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }), role: 'viewer' as const }];
  before(async () => {
    operators = await operatorsOf();
  });

  it('refuses a live service whose flow gained an exec node (503, reported) and serves another normally', async () => {
    const g = gateFlows();
    const marker = join(mkdtempSync(join(tmpdir(), 'wasl-gate-exec-')), 'pwned');
    // After its promotion, someone adds to the live flow an exec node fired once at start.
    g.writeFlow(
      CIVIL,
      serviceFlow(CIVIL, 'tab-civil', {
        extra: [
          { id: 'go', type: 'inject', z: 'tab-civil', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 200, wires: [['sh']] },
          { id: 'sh', type: 'exec', z: 'tab-civil', command: `touch ${marker}`, addpay: '', append: '', useSpawn: 'false', timer: '', oldrc: false, x: 300, y: 200, wires: [[], [], []] },
        ],
      }),
    );
    const hub = await gateHub(g.flowsDir, { operators });
    try {
      const refused = await submit(hub, CIVIL);
      assert.equal(refused.statusCode, 503, refused.body);
      assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
      const problem = refused.json<{ code: string; title: string; titleAr: string; detail: string; detailAr: string }>();
      assert.equal(problem.code, 'service-not-certified');
      assert.match(problem.titleAr, /[\u0600-\u06FF]/);
      assert.match(problem.detail, /node type/);
      assert.match(problem.detailAr, /[\u0600-\u06FF]/);
      assert.doesNotMatch(`${problem.detail} ${problem.detailAr}`, /flows\/|\.json|exec|tab-civil|\bsh\b/, 'no internal names');

      // The other live service takes an order and its flow finishes it.
      const order = await orderCompletes(hub, VEHICLE);
      assert.deepEqual(order.timeline.map((s) => s.status), ['received', 'awaiting-payment']);

      // Nothing of the refused flow ran.
      assert.ok(!(await runningTabs(hub)).includes('tab-civil'), 'its tab is not loaded');
      assert.ok((await runningTabs(hub)).includes('tab-vehicle'));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(existsSync(marker), false, 'the command did not run');

      // Reported: the catalogue, GET /v1/services for operators, the dashboard, /metrics, the log, the audit trail.
      assert.equal(hub.catalogue.refusal(CIVIL)?.reason, 'node-type');
      const services = (await hub.app.inject({ url: '/v1/services', headers: basic })).json<{ services: CatalogueEntry[] }>().services;
      const civil = services.find((s) => s.code === CIVIL)!;
      assert.equal(civil.refused?.reason, 'node-type');
      assert.match(civil.refused?.message ?? '', /exec \(sh\)/);
      assert.equal(services.find((s) => s.code === VEHICLE)!.refused, undefined);
      const overview = (await hub.app.inject({ url: '/monitor/api/overview', headers: basic })).json<{ refusedServices: Array<{ service: string; reason: string }> }>();
      assert.deepEqual(overview.refusedServices.map((r) => [r.service, r.reason]), [[CIVIL, 'node-type']]);
      const page = (await hub.app.inject({ url: '/monitor', headers: basic })).body;
      assert.match(page, /id="refusedRows"/);
      assert.match(page, /Services the release gate did not start/);
      const metrics = (await hub.app.inject({ url: '/metrics', headers: basic })).body;
      assert.match(metrics, new RegExp(`wasl_service_refused\\{service="${CIVIL}",reason="node-type"\\} 1`));
      assert.doesNotMatch(metrics, new RegExp(`wasl_service_refused\\{service="${VEHICLE}"`));
      const line = hub.logs.records.find((r) => r.gate === 'refuse-start' && r.service === CIVIL);
      assert.ok(line, 'a log line');
      assert.deepEqual(line.nodes, [{ id: 'sh', type: 'exec' }]);
      await until(async () => (await gateRecords(hub, 'refuse-start')).length > 0, 5_000, 'the audit record');
      const [record] = await gateRecords(hub, 'refuse-start');
      assert.equal(record!.subject, `service:${CIVIL}`);
      assert.equal(record!.data.reason, 'node-type');
    } finally {
      await hub.close();
    }
  });

  it('refuses an exec node even inside a certified flow: the certificate holds and is signed, the service is still refused', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'wasl-gate-certified-exec-')), 'pwned');
    // QA certified (and signed) the flow with the exec node in it; release promoted it.
    const g = gateFlows({
      beforeRelease: ({ writeFlow }) =>
        writeFlow(
          CIVIL,
          serviceFlow(CIVIL, 'tab-civil', {
            extra: [
              { id: 'go', type: 'inject', z: 'tab-civil', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 200, wires: [['sh']] },
              { id: 'sh', type: 'exec', z: 'tab-civil', command: `touch ${marker}`, addpay: '', append: '', useSpawn: 'false', timer: '', oldrc: false, x: 300, y: 200, wires: [[], [], []] },
            ],
          }),
        ),
    });
    const problem = certificateReader.check(CIVIL, g.roots, TRUST);
    assert.equal(problem, undefined, `the certificate holds: ${problem?.message ?? ''}`);
    const hub = await gateHub(g.flowsDir);
    try {
      const res = await submit(hub, CIVIL);
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json<{ code: string }>().code, 'service-not-certified');
      assert.equal(hub.catalogue.refusal(CIVIL)?.reason, 'node-type');
      assert.ok(!(await runningTabs(hub)).includes('tab-civil'), 'its tab is not loaded');
      await orderCompletes(hub, VEHICLE);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(existsSync(marker), false, 'the command did not run');
    } finally {
      await hub.close();
    }
  });

  it('refuses a live service whose certificate no longer holds (a changed flow file) and serves the others', async () => {
    const g = gateFlows();
    // An allowed change, but not what was certified.
    const file = join(g.flowsDir, CIVIL, 'flow.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"fees-due"', '"fees-due-now"'));
    const hub = await gateHub(g.flowsDir);
    try {
      const res = await submit(hub, CIVIL);
      assert.equal(res.statusCode, 503, res.body);
      const problem = res.json<{ code: string; detail: string }>();
      assert.equal(problem.code, 'service-not-certified');
      assert.match(problem.detail, /certificate/);
      assert.doesNotMatch(problem.detail, /flows\/|\.json/);
      assert.equal(hub.catalogue.refusal(CIVIL)?.reason, 'certificate');
      assert.ok(!(await runningTabs(hub)).includes('tab-civil'));
      await orderCompletes(hub, VEHICLE);
      await orderCompletes(hub, STATUS);
      await orderCompletes(hub, BIRTH);
    } finally {
      await hub.close();
    }
  });

  it("runs a pattern's tab for its certified services and refuses the one whose certificate does not hold", async () => {
    const g = gateFlows();
    // BIRTH's definition edited after its certification: BIRTH alone is refused; the tab it shares runs for STATUS.
    const def = join(g.flowsDir, BIRTH, 'service.json');
    writeFileSync(def, readFileSync(def, 'utf8').replace(/"hours": \d+/, '"hours": 999'));
    const hub = await gateHub(g.flowsDir);
    try {
      assert.ok((await runningTabs(hub)).includes('tab-pattern'));
      assert.equal((await submit(hub, BIRTH)).statusCode, 503);
      assert.equal(hub.catalogue.refusal(BIRTH)?.reason, 'certificate');
      await orderCompletes(hub, STATUS);
      // Its events are not taken: no subscription for it in this process.
      assert.equal(hub.gate.serves(BIRTH), false);
      assert.equal(hub.gate.serves(STATUS), true);
    } finally {
      await hub.close();
    }
  });

  it('loads only live services, their patterns and the config nodes they use: a non-live folder, a stray tab and an unused config node are left out and reported', async () => {
    // A tab of another folder that takes CIVIL's cancellations is part of what CIVIL runs on (its certificate covers it).
    const g = gateFlows({
      notLive: [VEHICLE],
      beforeRelease: ({ writeFlow }) =>
        writeFlow('civil-cancellations', [
          { id: 'tab-cancel', type: 'tab', label: 'civil-cancellations' },
          { id: 'cancel-in', type: 'wasl-order-in', z: 'tab-cancel', service: CIVIL, types: ['order.cancelled'], timeout: 30, x: 100, y: 100, wires: [[]] },
        ]),
    });
    // A tab that is no service (a folder without service.json), left behind in flows/.
    g.writeFlow('scratch', [
      { id: 'tab-scratch', type: 'tab', label: 'scratch' },
      { id: 'note', type: 'comment', z: 'tab-scratch', name: 'left over', x: 100, y: 100, wires: [] },
    ]);
    const hub = await gateHub(g.flowsDir);
    try {
      assert.deepEqual(await runningTabs(hub), ['tab-cancel', 'tab-civil', 'tab-pattern']);
      const running = await hub.runtime!.running();
      assert.ok(!running.some((n) => n.id === 'provider-moj-judicial-records'), 'the unused config node is not loaded');
      assert.equal((await submit(hub, VEHICLE)).statusCode, 400, 'not live: not a service here');
      await orderCompletes(hub, CIVIL);
      await until(async () => (await gateRecords(hub, 'flow-not-loaded')).length >= 3, 5_000, 'the reports');
      const reports = new Map((await gateRecords(hub, 'flow-not-loaded')).map((r) => [r.subject, r.data.reason]));
      assert.equal(reports.get(`flows:${VEHICLE}`), 'not-live');
      assert.equal(reports.get('flows:scratch'), 'not-a-service');
      assert.equal(reports.get('flows:shared.json#provider-moj-judicial-records'), 'not-used');
      assert.ok(hub.logs.records.some((r) => r.gate === 'flow-not-loaded' && r.folder === 'scratch'), 'a log line each');
      assert.equal(reports.size, 3, 'nothing else');
    } finally {
      await hub.close();
    }
  });

  it('starts a promoted service without a restart while an order of another is in flight, which completes untouched; a retired one stops', async () => {
    // CIVIL's ministry is slow (its flow holds each order 1.5 s); VEHICLE and BIRTH are certified, not live.
    const g = gateFlows({ notLive: [VEHICLE, BIRTH], civilDelayMs: 1500 });
    const decisions: Array<[string, string]> = [];
    const unlisten = onDecision((service, decision) => decisions.push([service, decision]));
    const hub = await gateHub(g.flowsDir);
    try {
      assert.equal((await submit(hub, VEHICLE)).statusCode, 400);
      assert.equal((await submit(hub, BIRTH)).statusCode, 400);
      const first = await submit(hub, CIVIL);
      assert.equal(first.statusCode, 202, first.body);
      const civilId = first.json<Order>().id;
      await until(async () => (await hub.bus.depth(CIVIL)).inFlight === 1, 5_000, "CIVIL's order in its flow");

      // Promoted by another process (`wasl service promote`) while CIVIL's order waits on its ministry.
      g.release(VEHICLE);
      g.release(BIRTH);
      await until(async () => hub.gate.serves(VEHICLE) && hub.gate.serves(BIRTH), 10_000, 'the promotions applied');
      assert.equal((await hub.store.getOrder(civilId))?.status, 'received', 'still in flight when they started');
      const vehicle = await orderCompletes(hub, VEHICLE);
      assert.equal(vehicle.status, 'awaiting-payment');
      await orderCompletes(hub, BIRTH);
      assert.ok((await runningTabs(hub)).includes('tab-vehicle'));

      // CIVIL's order completes once, on its first delivery: its tab was never restarted.
      await until(async () => (await hub.store.getOrder(civilId))?.status === 'awaiting-payment', 10_000, "CIVIL's order done");
      const civil = (await hub.store.getOrder(civilId))!;
      assert.deepEqual(civil.timeline.map((s) => s.status), ['received', 'awaiting-payment']);
      await until(async () => (await hub.bus.depth(CIVIL)).inFlight === 0, 5_000, 'acknowledged');
      assert.deepEqual(decisions.filter(([s]) => s === CIVIL), [], 'no redelivery, no retry');
      assert.equal((await hub.store.listDeadLetters({ limit: 10 })).length, 0);
      await until(async () => (await gateRecords(hub, 'service-started')).length === 2, 5_000, 'the starts audited');

      // A service new to this hub, on the pattern already running: it joins the tab's order-in nodes.
      const DEATH = 'death-certificate-extract';
      copyService(g, DEATH);
      g.release(DEATH);
      await until(async () => hub.gate.serves(DEATH), 10_000, 'the new service started');
      await orderCompletes(hub, DEATH);

      // Retired: its orders are refused, its tab stops; the others go on.
      retire(VEHICLE, g.roots, 'release-test');
      await until(async () => !(await runningTabs(hub)).includes('tab-vehicle'), 10_000, "VEHICLE's tab stopped");
      assert.equal((await submit(hub, VEHICLE)).statusCode, 400);
      await orderCompletes(hub, STATUS);
      assert.deepEqual(await runningTabs(hub), ['tab-civil', 'tab-pattern']);
      assert.ok(hub.logs.records.some((r) => r.gate === 'service-stopped' && r.service === VEHICLE));
    } finally {
      unlisten();
      await hub.close();
    }
  });

  it('a pattern with no live service is not loaded until one of its services is promoted', async () => {
    const g = gateFlows({ notLive: [STATUS, BIRTH] });
    const hub = await gateHub(g.flowsDir);
    try {
      assert.deepEqual(await runningTabs(hub), ['tab-civil', 'tab-vehicle']);
      g.release(STATUS);
      await until(async () => (await runningTabs(hub)).includes('tab-pattern'), 10_000, `${PATTERN} loaded`);
      await orderCompletes(hub, STATUS);
      assert.equal((await submit(hub, BIRTH)).statusCode, 400, 'its other service is still not live');
    } finally {
      await hub.close();
    }
  });
});

describe('security: the release gate in the sandbox', function () {
  this.timeout(60_000);

  it('leaves out a tab that uses a subflow holding an exec node, and an MQTT config node: their services are refused, the others run', async () => {
    const g = gateFlows();
    const shared = join(g.flowsDir, 'shared.json');
    const nodes = JSON.parse(readFileSync(shared, 'utf8')) as Array<Record<string, unknown>>;
    nodes.push(
      { id: 'sf-run', type: 'subflow', name: 'run something', in: [{ x: 50, y: 30, wires: [{ id: 'sf-sh' }] }], out: [] },
      { id: 'sf-sh', type: 'exec', z: 'sf-run', command: 'id', addpay: '', append: '', useSpawn: 'false', timer: '', oldrc: false, x: 200, y: 30, wires: [[], [], []] },
      { id: 'mq', type: 'mqtt-broker', name: 'somewhere', broker: '127.0.0.1', port: '1883' },
    );
    writeFileSync(shared, JSON.stringify(nodes, null, 2));
    g.writeFlow(PATTERN, serviceFlow(PATTERN, 'tab-pattern', { pattern: true, extra: [{ id: 'use-sf', type: 'subflow:sf-run', z: 'tab-pattern', x: 100, y: 200, wires: [] }] }));
    const hub = await gateHub(g.flowsDir, { env: 'sandbox' });
    try {
      const running = await hub.runtime!.running();
      const ids = new Set(running.map((n) => n.id));
      for (const id of ['tab-pattern', 'use-sf', 'sf-run', 'sf-sh', 'mq']) assert.ok(!ids.has(id), `${id} is not loaded`);
      assert.ok(ids.has('provider-moj-judicial-records'), 'the sandbox loads the other config nodes');
      for (const code of [STATUS, BIRTH]) {
        const res = await submit(hub, code);
        assert.equal(res.statusCode, 503, `${code}: ${res.body}`);
        assert.equal(hub.catalogue.refusal(code)?.reason, 'node-type');
      }
      await orderCompletes(hub, CIVIL);
      await orderCompletes(hub, VEHICLE);
      await until(async () => (await gateRecords(hub, 'flow-not-loaded')).length >= 2, 5_000, 'the reports');
      const reports = new Set((await gateRecords(hub, 'flow-not-loaded')).map((r) => r.subject));
      for (const subject of ['flows:shared.json#sf-run', 'flows:shared.json#mq', `flows:${PATTERN}#tab-pattern`]) assert.ok(reports.has(subject), subject);
    } finally {
      await hub.close();
    }
  });

  it("loads the flow files as they are when the editor restarts the flows: a deploy is not undone by the gate's choice at start", async () => {
    const { hub, url } = await runtimeHub();
    try {
      const { rev, flows } = await currentFlows(url);
      const saved = await deploy(url, rev, [...flows, { id: 'note1', type: 'comment', z: 'tab1', name: 'deployed', x: 100, y: 300, wires: [] }]);
      assert.equal(saved.status, 200, saved.body);
      const restart = await raw(`${url}/red/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'node-red-api-version': 'v2', 'node-red-deployment-type': 'reload' }, body: JSON.stringify({ flows: [] }) });
      assert.equal(restart.status, 200, restart.body);
      await until(async () => (await currentFlows(url)).flows.some((n) => n.id === 'note1'), 5_000, 'the deployed node after the restart');
    } finally {
      await hub.close();
    }
  });
});

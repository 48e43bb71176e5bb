/**
 * Code-running nodes (issue 19, item 2; hub/runtime/node-types.ts): whoever may deploy must not
 * get a shell. An `exec` node deployed to the open sandbox ran a command as the hub's user; now:
 *
 *  - exec, file, raw TCP/UDP, http request and the other core nodes that reach the host or the
 *    network outside a connector are not in the palette, and a deploy holding one is refused,
 *    runs nothing and writes nothing;
 *  - a flow file holding one does not start, in the sandbox or in production: the service it
 *    carries is refused (its orders get 503 service-not-certified, the refusal is reported) and the
 *    other services run (the release gate: release-gate.test.ts);
 *  - only an admin adds a function node or changes its code;
 *  - flows cannot read the hub's environment (WASL_SECRET and the rest), only WASL_FLOW_*;
 *  - every Node-RED core node is classified, allowed or refused, so a Node-RED upgrade that
 *    brings a new one fails here until someone decides.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, parseOperators } from '../../hub/operators';
import { CORE_ALLOWED, CORE_REFUSED, coreNodeFiles, nodeTypePolicy, waslNodeTypes } from '../../hub/runtime/node-types';
import { CIVIL, gateFlows, gateHub, orderCompletes, runningTabs, serviceFlow, submit, VEHICLE } from './gate-flows';
import { currentFlows, deploy, editorLogin, raw, runtimeHub, SERVICE, serviceFlowsDir, until } from './runtime-hub';

const PASSWORD = 'node-types-password-2026';

describe('security: the node types flows may hold', function () {
  this.timeout(60_000);

  it('classifies every core node of the installed Node-RED as allowed or refused, with a reason', () => {
    const unclassified = coreNodeFiles()
      .flatMap((f) => f.types)
      .filter((t) => !(t in CORE_ALLOWED) && !(t in CORE_REFUSED));
    assert.deepEqual(unclassified, []);
    for (const t of ['exec', 'file', 'file in', 'watch', 'tcp in', 'tcp out', 'tcp request', 'udp in', 'udp out', 'http request', 'websocket-client', 'mqtt-broker']) assert.ok(t in CORE_REFUSED, t);
    const policy = nodeTypePolicy();
    for (const f of ['90-exec.js', '10-file.js', '23-watch.js', '31-tcpin.js', '32-udp.js', '21-httprequest.js', '22-websocket.js', '10-mqtt.js']) assert.ok(policy.excludedFiles.includes(f), f);
    assert.ok(!policy.excludedFiles.includes('10-function.js') && !policy.excludedFiles.includes('15-change.js'));
    assert.ok(nodeTypePolicy(['http request']).allowed.has('http request'), 'WASL_EXTRA_NODE_TYPES extends the list');
    assert.ok(!nodeTypePolicy(['http request']).excludedFiles.includes('21-httprequest.js'));
  });

  it('keeps the refused nodes out of the palette; wasl nodes and the allowed core nodes are there', async () => {
    const { hub, url } = await runtimeHub();
    try {
      const res = await raw(`${url}/red/nodes`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      const types = new Set((JSON.parse(res.body) as Array<{ types: string[] }>).flatMap((s) => s.types));
      for (const t of Object.keys(CORE_REFUSED)) assert.ok(!types.has(t), `${t} is in the palette`);
      for (const t of ['function', 'change', 'switch', 'catch', 'debug', ...waslNodeTypes()]) assert.ok(types.has(t), `${t} is missing`);
    } finally {
      await hub.close();
    }
  });

  it('refuses a deploy with an exec node: nothing runs, nothing is written, the attempt is audited', async () => {
    const flowsDir = serviceFlowsDir();
    const marker = join(mkdtempSync(join(tmpdir(), 'wasl-exec-')), 'pwned');
    const { hub, url } = await runtimeHub({ flowsDir });
    try {
      const before = readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8');
      const { rev, flows } = await currentFlows(url);
      const attack = [
        ...flows,
        { id: 'go', type: 'inject', z: 'tab1', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['sh']] },
        { id: 'sh', type: 'exec', z: 'tab1', command: `touch ${marker}`, addpay: '', append: '', useSpawn: 'false', timer: '', oldrc: false, x: 300, y: 100, wires: [[], [], []] },
      ];
      const res = await deploy(url, rev, attack);
      assert.equal(res.status, 400, res.body);
      const body = JSON.parse(res.body) as { code: string; message: string };
      assert.equal(body.code, 'node-type-not-allowed');
      assert.match(body.message, /"exec"/);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(existsSync(marker), false, 'the command did not run');
      assert.equal(readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8'), before, 'nothing was written');
      assert.equal((await currentFlows(url)).rev, rev, 'the running flows did not change');
      const refusal = async () => (await hub.store.readAudit({ subject: 'editor', limit: 50 })).find((a) => a.data.action === 'deploy-refused');
      await until(async () => (await refusal()) !== undefined, 5_000, 'the refusal in the audit trail');
      const refused = (await refusal())!;
      assert.deepEqual((refused.data.nodes as Array<{ type: string }>).map((n) => n.type), ['exec']);
      // Each of the other doors, the same way.
      for (const [type, extra] of [['file', { filename: marker }], ['file in', { filename: '/etc/passwd' }], ['tcp request', { server: '127.0.0.1', port: '22' }], ['udp out', { addr: '127.0.0.1', port: '9' }], ['http request', { url: 'http://127.0.0.1:1/' }]] as const) {
        const r = await deploy(url, rev, [...flows, { id: 'x1', type, z: 'tab1', x: 100, y: 200, wires: [], ...extra }]);
        assert.equal(r.status, 400, `${type}: ${r.body}`);
      }
    } finally {
      await hub.close();
    }
  });

  it('does not start a flow whose file holds a refused node, in the sandbox or in production: its service is refused, the others run', async () => {
    for (const env of ['sandbox', 'production'] as const) {
      const g = gateFlows();
      const marker = join(mkdtempSync(join(tmpdir(), 'wasl-exec-')), 'pwned');
      const exec = [
        { id: 'go', type: 'inject', z: 'tab-civil', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 200, wires: [['sh']] },
        { id: 'sh', type: 'exec', z: 'tab-civil', command: `touch ${marker}`, addpay: '', append: '', useSpawn: 'false', timer: '', oldrc: false, x: 300, y: 200, wires: [[], [], []] },
      ];
      g.writeFlow(CIVIL, serviceFlow(CIVIL, 'tab-civil', { extra: exec }));
      const hub = await gateHub(g.flowsDir, { env });
      try {
        assert.ok(hub.runtime, `${env}: the runtime runs`);
        assert.ok(!(await runningTabs(hub)).includes('tab-civil'), `${env}: the flow with the exec node is not loaded`);
        const res = await submit(hub, CIVIL);
        assert.equal(res.statusCode, 503, `${env}: ${res.body}`);
        assert.equal(res.json<{ code: string }>().code, 'service-not-certified');
        assert.equal(hub.catalogue.refusal(CIVIL)?.reason, 'node-type', `${env}: reported`);
        assert.ok(hub.logs.records.some((r) => r.gate === 'refuse-start' && r.service === CIVIL), `${env}: logged`);
        await orderCompletes(hub, VEHICLE);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(existsSync(marker), false, `${env}: the command did not run`);
      } finally {
        await hub.close();
      }
    }
  });

  it('lets only an admin add a function node or change its code; an operator may still move one', async () => {
    const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    const operators = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'admin' }, { user: 'maha', passwordHash: hash, role: 'operator' }]));
    const fn = { id: 'fn1', type: 'function', z: 'tab1', name: 'shape', func: 'return msg;', outputs: 1, x: 100, y: 100, wires: [[]] };
    const flowsDir = serviceFlowsDir([fn]);
    const { hub, url } = await runtimeHub({ flowsDir, operators });
    try {
      const bearer = async (user: string) => ({ authorization: `Bearer ${(await editorLogin(url, user, PASSWORD)).token!}` });
      const operator = await bearer('maha');
      const admin = await bearer('rana');
      const { rev, flows } = await currentFlows(url, operator);
      const codeChange = flows.map((n) => (n.id === 'fn1' ? { ...n, func: "return global.get('x');" } : n));
      const refused = await deploy(url, rev, codeChange, operator);
      assert.equal(refused.status, 400, refused.body);
      assert.equal((JSON.parse(refused.body) as { code: string }).code, 'function-node-admin-only');
      const added = await deploy(url, rev, [...flows, { ...fn, id: 'fn2', y: 200 }], operator);
      assert.equal(added.status, 400, 'a new function node, even a copy');
      const retyped = await deploy(url, rev, [...flows, { id: 'c9', type: 'change', z: 'tab1', rules: [], x: 1, y: 1, wires: [[]] }], operator);
      assert.equal(retyped.status, 200, retyped.body);
      const moved = await currentFlows(url, operator);
      const move = await deploy(url, moved.rev, moved.flows.map((n) => (n.id === 'fn1' ? { ...n, x: 400 } : n)), operator);
      assert.equal(move.status, 200, move.body);
      const now = await currentFlows(url, admin);
      const byAdmin = await deploy(url, now.rev, now.flows.map((n) => (n.id === 'fn1' ? { ...n, func: 'msg.payload = 1;\nreturn msg;' } : n)), admin);
      assert.equal(byAdmin.status, 200, byAdmin.body);
      assert.match(readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8'), /msg\.payload = 1/);
    } finally {
      await hub.close();
    }
  });

  it("gives flows none of the hub's environment but WASL_FLOW_*, however a deployed node asks for it", async () => {
    const saved = { secret: process.env.WASL_SECRET, flow: process.env.WASL_FLOW_GREETING };
    process.env.WASL_SECRET = `env-secret-${Date.now()}-0123456789abcdef`;
    process.env.WASL_FLOW_GREETING = 'مرحبا';
    try {
      const { hub, url } = await runtimeHub();
      try {
        const { rev, flows } = await currentFlows(url);
        const reader = [
          { id: 'go', type: 'inject', z: 'tab1', once: true, onceDelay: 0.1, repeat: '0.2', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['set']] },
          {
            id: 'set',
            type: 'change',
            z: 'tab1',
            rules: [
              { t: 'set', p: 'leak', pt: 'global', to: 'WASL_SECRET', tot: 'env' },
              { t: 'set', p: 'leak2', pt: 'global', to: "$env('WASL_SECRET')", tot: 'jsonata' },
              { t: 'set', p: 'greeting', pt: 'global', to: 'WASL_FLOW_GREETING', tot: 'env' },
            ],
            x: 300,
            y: 100,
            wires: [[]],
          },
        ];
        const res = await deploy(url, rev, [...flows, ...reader]);
        assert.equal(res.status, 200, res.body);
        // Node-RED answers a key not set yet with the format "undefined".
        const read = async (key: string) => JSON.parse((await raw(`${url}/red/context/global/${key}`, { headers: { accept: 'application/json' } })).body) as { msg?: string; format?: string };
        await until(async () => (await read('greeting')).format !== 'undefined', 5_000, 'the flow to run');
        assert.equal((await read('greeting')).msg, 'مرحبا', 'the control: WASL_FLOW_* is readable');
        for (const key of ['leak', 'leak2']) assert.ok(!String((await read(key)).msg ?? '').includes(process.env.WASL_SECRET!), `${key} holds WASL_SECRET`);
      } finally {
        await hub.close();
      }
    } finally {
      for (const [name, v] of [['WASL_SECRET', saved.secret], ['WASL_FLOW_GREETING', saved.flow]] as const) {
        if (v === undefined) delete process.env[name];
        else process.env[name] = v;
      }
    }
  });
});

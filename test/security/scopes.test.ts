/**
 * Authenticated is not authorised: each key and each login does only what it was given.
 *
 *  - Channel scopes (WASL_CHANNEL_KEYS `services`, `readAll`): a channel submits only its
 *    services, sees only its own orders — by id, receipt, list or filter — and changes only its
 *    own; `readAll` lets a back office read every channel's orders, and nothing more (it does not
 *    let it cancel them: a cancellation of a paid order is a refund).
 *  - Operator roles on /monitor: every role reads; only `operator` and `admin` replay or discard
 *    dead letters (test/hub/monitor.test.ts shows a viewer's replay refused; here the discard too,
 *    and that a refused action leaves the dead letter where it was).
 *  - Operator roles in the editor (hub/operators.ts runtimePermissions): test/hub/runtime/auth.test.ts
 *    shows a production viewer cannot deploy; here the sandbox, where deploying is possible at all:
 *    a viewer cannot deploy, press an inject button or change the palette, an operator deploys,
 *    and in production even an operator only reads.
 * Each refusal is checked against the store or the files: a refused request changed nothing.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Order } from '../../contracts/types';
import type { ChannelKey, HubConfig } from '../../hub/config';
import { auth, FLOWS_DIR, KEYS, newKey, setProviderCallbackSecrets, testHub, validRequest, type TestHub } from '../helpers';
import { threeOperators } from './routes';

const PASSWORD = 'security-roles-password-1';
const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}` });
const CIVIL = 'civil-registry-individual-extract';
const NCR = 'no-criminal-record-certificate';

const operators = () => threeOperators(PASSWORD);

describe('security: channel scopes and operator roles', function () {
  this.timeout(60_000);
  let ops: NonNullable<HubConfig['operators']>;
  before(async () => {
    ops = await operators();
  });

  describe('channels', () => {
    let hub: TestHub;
    /** The centre's order of a service the portal may not submit, and the portal's own. */
    let centreOrder: Order;
    let portalOrder: Order;
    const submit = async (key: ChannelKey, body = validRequest()) => hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(key), 'idempotency-key': newKey() }, payload: body });
    const snapshot = async () => JSON.stringify({ orders: (await hub.store.listOrders({ limit: 100 })).items, outbox: (await hub.store.outboxPending(1000)).length, centre: await hub.store.getOrder(centreOrder.id) });

    before(async () => {
      hub = await testHub();
      const a = await submit(KEYS.centre, validRequest({ service: NCR, fields: { purpose: 'travel', copies: 1 } }));
      assert.equal(a.statusCode, 202, a.body);
      centreOrder = a.json<Order>();
      const b = await submit(KEYS.portal);
      assert.equal(b.statusCode, 202, b.body);
      portalOrder = b.json<Order>();
      assert.ok(!KEYS.portal.services.includes(NCR), 'the fixture: the portal is not scoped to the centre order\'s service');
    });
    after(async () => hub?.close());

    it('submits only the services it is scoped to, and sees only those in the catalogue', async () => {
      const before = await snapshot();
      const res = await submit(KEYS.portal, validRequest({ service: NCR, fields: { purpose: 'travel', copies: 1 } }));
      assert.equal(res.statusCode, 403);
      assert.equal(res.json<{ code: string }>().code, 'service-not-permitted');
      assert.equal(await snapshot(), before, 'nothing was stored');
      const services = (await hub.app.inject({ url: '/v1/services', headers: auth(KEYS.portal) })).json<{ services: Array<{ code: string }> }>().services.map((s) => s.code);
      assert.ok(services.length > 0 && services.every((c) => KEYS.portal.services.includes(c)), services.join(', '));
    });

    it("cannot read, list, filter for, get the receipt of or cancel another channel's order — even with every service in scope", async () => {
      const before = await snapshot();
      for (const key of [KEYS.portal, KEYS.expat]) {
        const read = await hub.app.inject({ url: `/v1/orders/${centreOrder.id}`, headers: auth(key) });
        assert.equal(read.statusCode, 404, `${key.channel} read it`);
        assert.ok(!read.body.includes(centreOrder.applicant.nationalNumber), 'nothing of the order in the refusal');
        assert.equal((await hub.app.inject({ url: `/v1/orders/${centreOrder.id}/receipt`, headers: auth(key) })).statusCode, 404);
        assert.equal((await hub.app.inject({ method: 'POST', url: `/v1/orders/${centreOrder.id}/cancel`, headers: auth(key), payload: {} })).statusCode, 404);
        assert.equal((await hub.app.inject({ url: `/v1/orders?channel=${KEYS.centre.channel}`, headers: auth(key) })).statusCode, 403);
        for (const q of ['', `?service=${NCR}`, `?status=received`, `?channel=${key.channel}`]) {
          const items = (await hub.app.inject({ url: `/v1/orders${q}`, headers: auth(key) })).json<{ items: Array<{ id: string }> }>().items;
          assert.ok(!items.some((o) => o.id === centreOrder.id), `${key.channel} listed it with "${q}"`);
        }
      }
      assert.equal(await snapshot(), before, 'nothing changed');
      // The control: its own order, the portal reads.
      assert.equal((await hub.app.inject({ url: `/v1/orders/${portalOrder.id}`, headers: auth(KEYS.portal) })).statusCode, 200);
    });

    it("readAll reads every channel's orders, and changes none of them", async () => {
      const office = KEYS.backOffice;
      assert.equal((await hub.app.inject({ url: `/v1/orders/${centreOrder.id}`, headers: auth(office) })).statusCode, 200);
      const listed = (await hub.app.inject({ url: `/v1/orders?channel=${KEYS.centre.channel}`, headers: auth(office) })).json<{ items: Array<{ id: string }> }>().items;
      assert.ok(listed.some((o) => o.id === centreOrder.id));
      const before = await snapshot();
      const cancel = await hub.app.inject({ method: 'POST', url: `/v1/orders/${centreOrder.id}/cancel`, headers: auth(office), payload: { reason: { code: 'back-office' } } });
      assert.equal(cancel.statusCode, 404, `a read-all key cancelled another channel's order: ${cancel.statusCode}`);
      assert.equal(await snapshot(), before, 'the order is as it was');
      // Its own orders it cancels like any channel.
      const own = (await submit(office)).json<Order>();
      assert.equal((await hub.app.inject({ method: 'POST', url: `/v1/orders/${own.id}/cancel`, headers: auth(office), payload: {} })).statusCode, 200);
    });

    it('cannot take another channel\'s identity: the order is the key\'s channel\'s, whatever the body says', async () => {
      const body = { ...validRequest(), channel: { id: KEYS.centre.channel, kind: 'centre' } } as unknown as ReturnType<typeof validRequest>;
      const res = await submit(KEYS.portal, body);
      if (res.statusCode === 202) assert.equal(res.json<Order>().channel.id, KEYS.portal.channel);
      else assert.equal(res.statusCode, 400, res.body);
    });
  });

  describe('operators on /monitor', () => {
    let hub: TestHub;
    before(async () => {
      hub = await testHub({ operators: ops });
    });
    after(async () => hub?.close());

    const deadLetter = async () => {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      const orderId = res.json<Order>().id;
      await hub.store.recordDeadLetter({ message: { eventId: `evt-${newKey()}`, orderId, service: CIVIL, type: 'order.received', occurredAt: new Date().toISOString(), payload: {} } as never, reason: 'attempts-exhausted', history: [] });
      const [dl] = await hub.store.listDeadLetters({ limit: 500 }).then((l) => l.filter((d) => d.message.orderId === orderId));
      return { id: dl!.id, orderId };
    };
    const act = (id: string, action: string, headers: Record<string, string>) => hub.app.inject({ method: 'POST', url: `/monitor/api/dead-letters/${id}/${action}`, headers });
    const stillDead = async (id: string) => (await hub.store.listDeadLetters({ ids: [id], limit: 1 })).length === 1;

    it('a viewer reads the dead letters but can neither replay nor discard one; nothing moves', async () => {
      const dl = await deadLetter();
      const listed = await hub.app.inject({ url: '/monitor/api/dead-letters', headers: basic('sami') });
      assert.equal(listed.statusCode, 200);
      const audit = (await hub.store.readAudit({ limit: 10_000 })).length;
      const timeline = (await hub.store.getOrder(dl.orderId))!.timeline.length;
      for (const action of ['replay', 'discard']) {
        const res = await act(dl.id, action, basic('sami'));
        assert.equal(res.statusCode, 403, `viewer ${action}`);
        assert.ok(await stillDead(dl.id), `the dead letter is still there after a viewer's ${action}`);
      }
      assert.equal((await hub.store.getOrder(dl.orderId))!.timeline.length, timeline, 'no operator step on the timeline');
      assert.equal((await hub.store.readAudit({ limit: 10_000 })).length, audit, 'no action was recorded as done');
    });

    it('an operator discards, an admin replays', async () => {
      const a = await deadLetter();
      assert.equal((await act(a.id, 'discard', basic('maha'))).statusCode, 200);
      assert.ok(!(await stillDead(a.id)));
      const b = await deadLetter();
      assert.equal((await act(b.id, 'replay', basic('rana'))).statusCode, 200);
      assert.ok(!(await stillDead(b.id)));
    });
  });

  describe('operators in the editor', () => {
    const flowsDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
      mkdirSync(join(dir, CIVIL));
      copyFileSync(join(FLOWS_DIR, CIVIL, 'service.json'), join(dir, CIVIL, 'service.json'));
      const flow = [
        { id: 'tab1', type: 'tab', label: CIVIL },
        { id: 'inject1', z: 'tab1', type: 'inject', name: 'poke', props: [{ p: 'payload' }], repeat: '', once: false, topic: '', payload: '', payloadType: 'date', x: 100, y: 100, wires: [[]] },
      ];
      writeFileSync(join(dir, CIVIL, 'flow.json'), JSON.stringify(flow, null, 2));
      return dir;
    };
    const running = async (overrides: Partial<HubConfig>) => {
      const restore = setProviderCallbackSecrets();
      const hub = await testHub({ flowsDir: flowsDir(), operators: ops, ...overrides }, undefined, { runtime: true }).finally(restore);
      try {
        await hub.startBackground();
        return { hub, url: await hub.app.listen({ host: '127.0.0.1', port: 0 }) };
      } catch (err) {
        await hub.close();
        throw err;
      }
    };
    const token = async (url: string, username: string) => {
      const res = await fetch(`${url}/red/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '', username, password: PASSWORD }) });
      assert.equal(res.status, 200);
      return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
    };
    /** A full deploy of the service's tab with one node renamed. */
    const deploy = async (url: string, authorization: string, name: string) => {
      const headers = { authorization, 'content-type': 'application/json', 'node-red-api-version': 'v2' };
      const current = (await (await fetch(`${url}/red/flows`, { headers })).json()) as { rev: string; flows: Array<Record<string, unknown>> };
      const flows = current.flows.map((n) => (n.id === 'inject1' ? { ...n, name } : n));
      return fetch(`${url}/red/flows`, { method: 'POST', headers: { ...headers, 'node-red-deployment-type': 'full' }, body: JSON.stringify({ rev: current.rev, flows }) });
    };

    it('sandbox: a viewer cannot deploy, press an inject button or touch the palette; an operator deploys', async () => {
      const { hub, url } = await running({});
      try {
        const file = join(hub.config.flowsDir, CIVIL, 'flow.json');
        const before = readFileSync(file, 'utf8');
        const viewer = await token(url, 'sami');
        assert.equal((await fetch(`${url}/red/flows`, { headers: { authorization: viewer } })).status, 200, 'a viewer reads');
        assert.equal((await deploy(url, viewer, 'by the viewer')).status, 401);
        assert.equal((await fetch(`${url}/red/inject/inject1`, { method: 'POST', headers: { authorization: viewer } })).status, 401);
        assert.equal((await fetch(`${url}/red/flow/tab1`, { method: 'DELETE', headers: { authorization: viewer } })).status, 401);
        assert.equal((await fetch(`${url}/red/nodes/wasl`, { method: 'PUT', headers: { authorization: viewer, 'content-type': 'application/json' }, body: '{"enabled":false}' })).status, 401);
        assert.equal(readFileSync(file, 'utf8'), before, 'the flow file is untouched');

        const operator = await token(url, 'maha');
        const res = await deploy(url, operator, 'by the operator');
        assert.equal(res.status, 200, await res.text());
        assert.match(readFileSync(file, 'utf8'), /by the operator/);
        // The palette is not the operator's (admin only), and installing is off for everyone.
        assert.equal((await fetch(`${url}/red/nodes/wasl`, { method: 'PUT', headers: { authorization: operator, 'content-type': 'application/json' }, body: '{"enabled":false}' })).status, 401);
        const install = await fetch(`${url}/red/nodes`, { method: 'POST', headers: { authorization: await token(url, 'rana'), 'content-type': 'application/json' }, body: '{"module":"node-red-contrib-anything"}' });
        assert.ok(install.status >= 400, `installing a module answered ${install.status}`);
      } finally {
        await hub.close();
      }
    });

    it('production: an operator reads and deploys nothing', async () => {
      const { hub, url } = await running({ env: 'production', secret: 's'.repeat(40) });
      try {
        const file = join(hub.config.flowsDir, CIVIL, 'flow.json');
        const before = readFileSync(file, 'utf8');
        const operator = await token(url, 'maha');
        assert.equal((await fetch(`${url}/red/flows`, { headers: { authorization: operator } })).status, 200);
        assert.equal((await deploy(url, operator, 'in production')).status, 401);
        assert.equal((await fetch(`${url}/red/inject/inject1`, { method: 'POST', headers: { authorization: operator } })).status, 401);
        assert.equal(readFileSync(file, 'utf8'), before);
      } finally {
        await hub.close();
      }
    });
  });
});

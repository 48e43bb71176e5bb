/**
 * Editor and admin API login (adminAuth from WASL_OPERATORS, hub/operators.ts): a production hub
 * refuses /red/flows without a token and answers once an operator has logged in with the OAuth2
 * password grant Node-RED's admin API speaks; roles limit what a token may do; a sandbox with
 * operators asks for a login too, one without stays open.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../../../hub/config';
import { hashPassword, parseOperators } from '../../../hub/operators';
import { FLOWS_DIR, testHub, type TestHub, setProviderCallbackSecrets } from '../../helpers';
import { gateFlows } from '../../security/gate-flows';

const SERVICE = 'civil-registry-individual-extract';
const PASSWORD = 'كلمة سر المشغّل 2026';

function flowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  const flow = [
    { id: 'tab1', type: 'tab', label: SERVICE },
    { id: 'in1', z: 'tab1', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], timeout: 30, x: 100, y: 100, wires: [['up1']] },
    { id: 'up1', z: 'tab1', type: 'wasl-order-update', status: 'awaiting-payment', reason: 'fees-due', complete: true, x: 300, y: 100, wires: [[]] },
  ];
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify(flow, null, 2));
  return dir;
}

async function runningHub(overrides: Partial<HubConfig>, opts: { demoOperator?: boolean } = {}): Promise<{ hub: TestHub; url: string }> {
  // Read when the hub starts; put back at once.
  const restore = setProviderCallbackSecrets();
  // Production runs only certified, live services' flows (the release gate): those of gate-flows.ts there.
  const dir = overrides.env === 'production' ? gateFlows().flowsDir : flowsDir();
  const hub = await testHub({ flowsDir: dir, ...overrides }, undefined, { runtime: true, ...opts }).finally(restore);
  try {
    await hub.startBackground();
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    return { hub, url };
  } catch (err) {
    await hub.close();
    throw err;
  }
}

/** Node-RED's admin login; the editor asks for scope "" (whatever the user may do). */
async function login(url: string, username: string, password: string, scope = '*'): Promise<Response> {
  return fetch(`${url}/red/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
}

describe('Node-RED runtime: operators log in', function () {
  this.timeout(60_000);
  let operators: HubConfig['operators'];
  before(async () => {
    const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    operators = parseOperators(
      JSON.stringify([
        { user: 'rana', passwordHash: hash, role: 'admin' },
        { user: 'sami', passwordHash: hash, role: 'viewer' },
      ]),
    );
  });

  it('in production, refuses /red/flows without a token and accepts an operator\'s after POST /red/auth/token', async () => {
    const { hub, url } = await runningHub({ env: 'production', secret: 's'.repeat(40), operators });
    try {
      assert.equal((await fetch(`${url}/red/flows`)).status, 401);
      assert.equal((await fetch(`${url}/red/flows`, { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
      // The login scheme is advertised, with no anonymous user.
      const scheme = (await (await fetch(`${url}/red/auth/login`)).json()) as { type?: string };
      assert.equal(scheme.type, 'credentials');

      assert.equal((await login(url, 'rana', 'wrong password')).status, 403);
      assert.equal((await login(url, 'nobody', PASSWORD)).status, 403);

      const res = await login(url, 'rana', PASSWORD);
      assert.equal(res.status, 200);
      const token = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      assert.equal(token.token_type, 'Bearer');
      assert.equal(token.expires_in, 12 * 60 * 60);
      const flows = await fetch(`${url}/red/flows`, { headers: { authorization: `Bearer ${token.access_token}`, 'node-red-api-version': 'v2' } });
      assert.equal(flows.status, 200);
      const body = (await flows.json()) as { flows: Array<{ type: string }> };
      assert.ok(body.flows.some((n) => n.type === 'wasl-order-in'));
      // The wasl nodes' editor endpoint (wasl.read) answers the admin too.
      assert.equal((await fetch(`${url}/red/wasl/providers`, { headers: { authorization: `Bearer ${token.access_token}` } })).status, 200);
      assert.equal((await fetch(`${url}/red/wasl/providers`)).status, 401);
    } finally {
      await hub.close();
    }
  });

  it('gives a viewer read access only', async () => {
    const { hub, url } = await runningHub({ env: 'production', secret: 's'.repeat(40), operators });
    try {
      assert.equal((await login(url, 'sami', PASSWORD, '*')).status, 403, 'a viewer may not ask for every permission');
      const res = await login(url, 'sami', PASSWORD, '');
      assert.equal(res.status, 200);
      const { access_token: token } = (await res.json()) as { access_token: string };
      const headers = { authorization: `Bearer ${token}` };
      assert.equal((await fetch(`${url}/red/flows`, { headers })).status, 200);
      assert.equal((await fetch(`${url}/red/wasl/providers`, { headers })).status, 200);
      const deploy = await fetch(`${url}/red/flows`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '[]' });
      assert.equal(deploy.status, 401, 'a viewer may not deploy');
    } finally {
      await hub.close();
    }
  });

  it('in the sandbox, asks for a login when WASL_OPERATORS is set, and stays open when it is not', async () => {
    const withOps = await runningHub({ operators });
    try {
      assert.equal((await fetch(`${withOps.url}/red/flows`)).status, 401);
      const res = await login(withOps.url, 'rana', PASSWORD);
      assert.equal(res.status, 200);
      assert.notEqual((await login(withOps.url, 'rana', 'not the password')).status, 200);
      assert.notEqual((await login(withOps.url, 'mallory', 'guess')).status, 200);
      // Appended beside the login, not before its answer.
      let logins: unknown[][] = [];
      for (let i = 0; i < 50 && logins.length < 3; i++, await new Promise((r) => setTimeout(r, 20))) logins = (await withOps.hub.store.readAudit({ subject: 'editor', limit: 10 })).map((a) => [a.actor, a.data.action]);
      assert.deepEqual(logins, [['operator:rana', 'login'], ['operator:rana', 'login-failed'], ['operator:(unknown)', 'login-failed']], 'editor logins are audited, a name no operator has is not recorded');
    } finally {
      await withOps.hub.close();
    }
    const open = await runningHub({});
    try {
      assert.equal((await fetch(`${open.url}/red/flows`)).status, 200);
    } finally {
      await open.hub.close();
    }
  });

  it("in the sandbox without WASL_OPERATORS, `wasl start`'s demo operator opens /monitor, keeps its password across restarts, and leaves the editor open", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wasl-test-data-'));
    const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
    const first = await runningHub({ dataDir }, { demoOperator: true });
    let password: string;
    try {
      const demo = first.hub.demoOperator!;
      assert.equal(demo.user, 'monitor');
      assert.equal(demo.role, 'operator');
      password = demo.password;
      assert.ok(password.length >= 16);
      assert.equal((await fetch(`${first.url}/monitor`)).status, 401);
      assert.equal((await fetch(`${first.url}/monitor`, { headers: basic('monitor', 'not-the-password') })).status, 401);
      assert.equal((await fetch(`${first.url}/monitor`, { headers: basic('monitor', password) })).status, 200);
      assert.equal((await fetch(`${first.url}/red/flows`)).status, 200, 'the editor stays open for local development');
      assert.notEqual((await login(first.url, 'monitor', password)).status, 200, 'the demo operator is not an editor login');
    } finally {
      await first.hub.close();
    }
    assert.equal((statSync(join(dataDir, 'demo-operator')).mode & 0o777).toString(8), '600');
    const again = await runningHub({ dataDir }, { demoOperator: true });
    try {
      assert.equal(again.hub.demoOperator?.password, password, 'the same login after a restart');
      assert.equal((await fetch(`${again.url}/monitor`, { headers: basic('monitor', password) })).status, 200);
    } finally {
      await again.hub.close();
    }
    const withOps = await runningHub({ operators }, { demoOperator: true });
    try {
      assert.equal(withOps.hub.demoOperator, undefined, 'none when WASL_OPERATORS names the operators');
      assert.equal((await fetch(`${withOps.url}/monitor`, { headers: basic('monitor', password) })).status, 401);
    } finally {
      await withOps.hub.close();
    }
    const prod = await runningHub({ env: 'production', secret: 'x'.repeat(32) }, { demoOperator: true });
    try {
      assert.equal(prod.hub.demoOperator, undefined, 'never in production');
    } finally {
      await prod.hub.close();
    }
  });
});

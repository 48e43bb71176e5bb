/**
 * Every endpoint refuses unauthenticated access — the gateway's, /metrics, /monitor and its API,
 * the Node-RED editor and admin API under /red and the flows' endpoints under /svc — and the
 * editor cannot be reached at all in production.
 *
 * Why enumerate: a route added tomorrow without its check must fail this test tomorrow. The routes
 * are listed from the running servers (routes.ts: the gateway's Fastify router, the runtime's
 * Express apps), every one is probed, and only a small allow-list may answer without credentials:
 * health and readiness, the API description and its page in the sandbox (README "Set up and
 * run": in production /openapi.json needs a key and there is no /docs), and for Node-RED the login
 * scheme and the editor's static shell, and a printed document's verification code (checked by
 * anyone, rate-limited per address). Provider callbacks authenticate by signature
 * (callbacks.test.ts); here they are only shown to refuse an unsigned request. A signed document
 * link's token is its own credential (test/hub/gateway/documents.test.ts); here a made-up one is
 * shown to get nothing.
 *
 * Each protected route is probed with no credentials, a wrong or malformed key, unknown or wrong
 * Basic credentials, a channel key where an operator is needed and an operator's (valid) Basic
 * login where a channel is needed — and, as the control that the probe reaches the check at all,
 * with the right credentials, which must not be refused.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { HubConfig } from '../../hub/config';
import { ADMIN_ROOT, NODE_ROOT } from '../../hub/runtime/runtime';
import { auth, FLOWS_DIR, KEYS, setProviderCallbackSecrets, testHub, validRequest, type TestHub } from '../helpers';
import { expressRoutes, gatewayRoutes, recordExpressApps, threeOperators, type Route } from './routes';

const PASSWORD = 'security-suite-password-1';
const METRICS_TOKEN = 'prometheus-scrape-token-security-0123';
const basic = (user: string, pw = PASSWORD) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPS = { admin: basic('rana'), operator: basic('maha'), viewer: basic('sami') };
const SERVICE = 'civil-registry-individual-extract';

type Headers = Record<string, string>;
type Kind = 'public' | 'signature' | 'link' | 'runtime' | 'operator' | 'channel';

/** What answers without credentials, by design (README "Set up and run", "For monitoring teams"). */
function kindOf(r: Route, env: 'sandbox' | 'production'): Kind {
  const { route } = r;
  if (route === '/health' || route === '/ready') return 'public';
  if (env === 'sandbox' && (route === '/openapi.json' || route === '/docs' || route.startsWith('/docs/'))) return 'public';
  if (route === '/v1/callbacks/:provider') return 'signature';
  // A printed copy's verification code: anyone may check one, rate-limited per address (docs/documents.md).
  if (route === '/v1/documents/verify/:code') return 'public';
  // A signed download link: the token in the path is the credential.
  if (route === '/v1/documents/links/:token') return 'link';
  // The runtime's admin API, whether Node-RED or wasl answers a route of it (wasl answers the login,
  // /red/auth/token and /red/auth/revoke): probed over HTTP with the runtime's routes below.
  if ([ADMIN_ROOT, NODE_ROOT].includes(route) || route.startsWith(`${ADMIN_ROOT}/`) || route.startsWith(`${NODE_ROOT}/`)) return 'runtime';
  if (route === '/metrics' || route === '/monitor' || route.startsWith('/monitor/')) return 'operator';
  // Anything else — a route nobody has classified yet included — is for channels only.
  return 'channel';
}

/** Credentials that must all be refused on a route of `kind`. */
function badCredentials(kind: 'operator' | 'channel', r: Route): Array<[string, Headers]> {
  const bad: Array<[string, Headers]> = [
    ['no credentials', {}],
    ['an unknown bearer key', { authorization: 'Bearer k-unknown-0123456789abcdefghijk' }],
    ['a key one character off', { authorization: `Bearer ${KEYS.centre.key.slice(0, -1)}x` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a bare scheme', { authorization: 'Bearer' }],
    ['another scheme', { authorization: `Token ${KEYS.centre.key}` }],
    ['an unknown operator', basic('mallory')],
    ['a wrong password', basic('rana', 'not-the-password')],
    ['Basic without a password', { authorization: `Basic ${Buffer.from('rana').toString('base64')}` }],
  ];
  if (kind === 'operator') {
    bad.push(['a channel key', auth(KEYS.centre)], ['a read-all channel key', auth(KEYS.backOffice)]);
    if (r.route !== '/metrics') bad.push(['the metrics token', { authorization: `Bearer ${METRICS_TOKEN}` }]);
  } else {
    // Operators read the catalogue (README "Services"); every other channel route refuses their login.
    if (!(r.method === 'GET' && r.route === '/v1/services')) bad.push(['an admin operator login', OPS.admin], ['a viewer login', OPS.viewer]);
    bad.push(['the metrics token', { authorization: `Bearer ${METRICS_TOKEN}` }]);
  }
  return bad;
}

const operators = () => threeOperators(PASSWORD);

/** Probes every gateway route; returns what went wrong, one line each. */
async function probeGateway(hub: TestHub, env: 'sandbox' | 'production'): Promise<{ problems: string[]; routes: Route[]; kinds: Map<string, Kind> }> {
  const routes = gatewayRoutes(hub.app);
  const problems: string[] = [];
  const kinds = new Map<string, Kind>();
  const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const send = async (r: Route, headers: Headers) => {
    // The live stream would never end under inject: it is read over HTTP until its headers come,
    // and the connection cut (HEAD on an open stream may send nothing before the first event:
    // an open stream, not a refusal).
    if (r.route === '/monitor/api/stream') return { statusCode: await streamStatus(`${url}${r.path}`, r.method, headers), body: '' };
    return hub.app.inject({ method: r.method as 'GET', url: r.path, headers });
  };
  for (const r of routes) {
    const kind = kindOf(r, env);
    const name = `${r.method} ${r.route}`;
    kinds.set(name, kind);
    if (kind === 'public' || kind === 'runtime') continue;
    if (kind === 'signature') {
      const res = await send(r, { 'content-type': 'application/json' });
      if (res.statusCode !== 401) problems.push(`${name}: an unsigned callback answered ${res.statusCode}`);
      continue;
    }
    if (kind === 'link') {
      // A made-up token, with and without a channel's key (the key opens nothing here).
      for (const headers of [{}, auth(KEYS.centre)]) {
        const res = await send(r, headers);
        if (res.statusCode !== 404) problems.push(`${name}: a made-up link answered ${res.statusCode}`);
      }
      continue;
    }
    for (const [what, headers] of badCredentials(kind, r)) {
      const res = await send(r, headers);
      if (res.statusCode !== 401 && res.statusCode !== 403) problems.push(`${name} (${r.path}) with ${what}: ${res.statusCode}`);
    }
    const good = kind === 'operator' ? OPS.admin : auth(KEYS.centre);
    const res = await send(r, good);
    if (res.statusCode === 401 || res.statusCode === 403) problems.push(`${name}: refused the right credentials too (${res.statusCode}), so the probe proves nothing`);
  }
  return { problems, routes, kinds };
}

function streamStatus(url: string, method: string, headers: Headers): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(200);
    }, 2_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      if (!req.destroyed || (err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

/**
 * These probes send wrong credentials to every route from one address, to see each route's own
 * check refuse them: the login limits (which would answer 429 before any check after a few
 * failures) are set out of the way here, and tested in login-limits.test.ts.
 */
const EACH_CHECK = { freeFailures: Number.MAX_SAFE_INTEGER, userThreshold: Number.MAX_SAFE_INTEGER };

function flowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify([{ id: 'tab1', type: 'tab', label: SERVICE }], null, 2));
  return dir;
}

/** A hub with the flows runtime, listening; the Express apps Node-RED made while it started. */
async function runtimeHub(overrides: Partial<HubConfig>): Promise<{ hub: TestHub; url: string; routes: Route[] }> {
  const restore = setProviderCallbackSecrets();
  const hub = await testHub({ flowsDir: flowsDir(), ...overrides }, undefined, { runtime: true, loginGuard: EACH_CHECK }).finally(restore);
  const recorder = recordExpressApps();
  try {
    await hub.startBackground();
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    return { hub, url, routes: expressRoutes(recorder.apps, [ADMIN_ROOT, NODE_ROOT]) };
  } catch (err) {
    await hub.close();
    throw err;
  } finally {
    recorder.stop();
  }
}

async function editorToken(url: string, username: string, scope = '*'): Promise<string> {
  const res = await fetch(`${url}/red/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD }) });
  assert.equal(res.status, 200, `${username} logs in to the editor`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Probes every /red and /svc route without credentials and with ones Node-RED must not take;
 * returns what answered 2xx outside `allowed`, and what was allowed and answered.
 */
async function probeRuntime(url: string, routes: Route[], allowed: Set<string>): Promise<{ problems: string[]; open: string[] }> {
  const problems: string[] = [];
  const open: string[] = [];
  // An allow-list entry naming no route is stale: it would let the next route of that name through unseen.
  const names = new Set(routes.map((r) => `${r.method} ${r.route}`));
  for (const a of allowed) if (!names.has(a)) problems.push(`allow-listed but not a route any more: ${a}`);
  const bad: Array<[string, Headers]> = [
    ['no credentials', {}],
    ['a made-up token', { authorization: 'Bearer not-a-token-0123456789' }],
    ['a channel key', auth(KEYS.centre)],
    ['an operator Basic login', OPS.admin],
  ];
  for (const r of routes) {
    const name = `${r.method} ${r.route}`;
    for (const [what, headers] of bad) {
      const init: RequestInit = { method: r.method, headers: { ...headers, ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { 'content-type': 'application/json' }) }, redirect: 'manual' };
      if (init.method !== 'GET' && init.method !== 'HEAD') init.body = '{}';
      const res = await fetch(`${url}${r.path}`, init);
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) {
        if (allowed.has(name)) open.push(name);
        else problems.push(`${name} (${r.path}) with ${what}: ${res.status}`);
      }
    }
  }
  return { problems, open: [...new Set(open)] };
}

/** Opens the editor's websocket and says what it answers to a subscription without a token (or with `token`). */
function comms(url: string, token?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/red/comms`);
    const done = (what: string) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(what);
    };
    const timer = setTimeout(() => done('no answer'), 5_000);
    ws.on('open', () => ws.send(JSON.stringify(token ? { auth: token } : { subscribe: 'debug' })));
    ws.on('message', (data) => done(String(data)));
    ws.on('unexpected-response', (_req, res) => done(`http ${res.statusCode}`));
    ws.on('error', (err) => done(`error ${err.message}`));
    ws.on('close', () => done('closed'));
  });
}

describe('security: every endpoint refuses unauthenticated access', function () {
  this.timeout(90_000);
  let ops: NonNullable<HubConfig['operators']>;
  before(async () => {
    ops = await operators();
  });

  describe('the gateway', () => {
    it('lists its routes from the running router, the ones the README names among them', async () => {
      const hub = await testHub();
      try {
        const names = gatewayRoutes(hub.app).map((r) => `${r.method} ${r.route}`);
        for (const n of ['GET /health', 'GET /ready', 'GET /openapi.json', 'POST /v1/orders', 'GET /v1/orders', 'GET /v1/orders/:id', 'GET /v1/orders/:id/receipt', 'POST /v1/orders/:id/cancel', 'GET /v1/services', 'POST /v1/callbacks/:provider', 'GET /metrics', 'GET /monitor', 'GET /monitor/api/overview', 'GET /monitor/api/stream', 'GET /monitor/api/dead-letters', 'POST /monitor/api/dead-letters/:id/:action', 'GET /monitor/api/orders', 'GET /monitor/api/orders/:id', 'GET /red/*', 'POST /svc/*']) {
          assert.ok(names.includes(n), `${n} not among ${names.join(', ')}`);
        }
      } finally {
        await hub.close();
      }
    });

    it('sandbox: only health, readiness and the API description answer without credentials', async () => {
      const hub = await testHub({ operators: ops, metricsToken: METRICS_TOKEN }, undefined, { loginGuard: EACH_CHECK });
      try {
        const { problems, routes, kinds } = await probeGateway(hub, 'sandbox');
        assert.deepEqual(problems, []);
        // What may answer anyone, answers: the allow-list is not hiding a broken route.
        for (const r of routes.filter((x) => kinds.get(`${x.method} ${x.route}`) === 'public' && x.method === 'GET' && !x.route.includes('*'))) {
          const res = await hub.app.inject({ url: r.path });
          assert.ok(res.statusCode < 400, `${r.route}: ${res.statusCode}`);
        }
        assert.ok([...kinds.values()].filter((k) => k === 'channel').length >= 8);
        assert.ok([...kinds.values()].filter((k) => k === 'operator').length >= 8);
      } finally {
        await hub.close();
      }
    });

    it('production: only health and readiness answer without credentials; the API description needs a key', async () => {
      // Kept while the hub runs: it reads the callback secrets when a callback comes.
      const restore = setProviderCallbackSecrets();
      const hub = await testHub({ env: 'production', secret: 'x'.repeat(40), operators: ops, metricsToken: METRICS_TOKEN }, undefined, { loginGuard: EACH_CHECK }).catch((err: unknown) => {
        restore();
        throw err;
      });
      try {
        const { problems, kinds } = await probeGateway(hub, 'production');
        assert.deepEqual(problems, []);
        assert.equal(kinds.get('GET /openapi.json'), 'channel');
        assert.deepEqual([...kinds].filter(([, k]) => k === 'public').map(([n]) => n).sort(), ['GET /health', 'GET /ready', 'GET /v1/documents/verify/:code', 'HEAD /health', 'HEAD /ready', 'HEAD /v1/documents/verify/:code']);
      } finally {
        await hub.close();
        restore();
      }
    });

    it('without operators nor a metrics token, nobody reads /metrics or /monitor — a channel key included', async () => {
      const hub = await testHub();
      try {
        for (const r of gatewayRoutes(hub.app).filter((x) => kindOf(x, 'sandbox') === 'operator' && x.route !== '/monitor/api/stream')) {
          for (const headers of [{}, auth(KEYS.centre), auth(KEYS.backOffice), basic('rana'), { authorization: `Bearer ${METRICS_TOKEN}` }]) {
            const res = await hub.app.inject({ method: r.method as 'GET', url: r.path, headers });
            assert.ok(res.statusCode === 401 || res.statusCode === 403, `${r.method} ${r.route}: ${res.statusCode}`);
          }
        }
      } finally {
        await hub.close();
      }
    });

    it('a refused request changes nothing: no order, no outbox event', async () => {
      const hub = await testHub({ operators: ops });
      try {
        for (const headers of [{}, OPS.admin, { authorization: 'Bearer k-unknown-0123456789abcdefghijk' }]) {
          const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...headers, 'idempotency-key': 'refused-1' }, payload: validRequest() });
          assert.equal(res.statusCode, 401);
        }
        assert.equal((await hub.store.outboxPending(10)).length, 0);
        assert.equal((await hub.store.listOrders({ limit: 10 })).items.length, 0);
      } finally {
        await hub.close();
      }
    });
  });

  describe('the flows runtime under /red and /svc', () => {
    it('production: no route answers without an editor login but the login scheme; the editor itself is gone', async () => {
      const { hub, url, routes } = await runtimeHub({ env: 'production', secret: 's'.repeat(40), operators: ops });
      try {
        const names = routes.map((r) => `${r.method} ${r.route}`);
        for (const n of ['GET /red/flows', 'POST /red/flows', 'GET /red/nodes', 'GET /red/settings', 'POST /red/auth/token', 'GET /red/wasl/providers', 'POST /red/inject/:id']) assert.ok(names.includes(n), `${n} not among the runtime's routes`);
        assert.ok(!names.includes('GET /red/'), 'no editor page is even registered');
        const allowed = new Set([
          // Node-RED's login scheme (what the login form asks), no data.
          'GET /red/auth/login',
          // The debug node's pop-out page, static HTML and scripts shipped with Node-RED; its data comes over the authenticated websocket.
          'GET /red/debug/view/view.html',
          'GET /red/debug/view/*',
        ]);
        const { problems } = await probeRuntime(url, routes, allowed);
        assert.deepEqual(problems, []);

        // The editor: no page, no scripts, whoever asks (README "Architecture": in production the editor is disabled).
        const token = await editorToken(url, 'rana');
        for (const path of ['/red', '/red/', '/red/flows', '/red/red/red.min.js', '/red/vendor/vendor.js', '/red/theme', '/red/locales/editor']) {
          for (const headers of [{}, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
            const res = await fetch(`${url}${path}`, { headers, redirect: 'manual' });
            const body = await res.text();
            if (path === '/red/flows' && headers.authorization) continue; // the admin API's read: below
            assert.ok(res.status === 404 || res.status === 401, `${path}${headers.authorization ? ' (logged in)' : ''}: ${res.status}`);
            assert.ok(!/<html|<!DOCTYPE|RED\.|node-red/i.test(body), `${path}: the answer looks like the editor: ${body.slice(0, 80)}`);
          }
        }
        // The admin, logged in, reads the flows but cannot change them: they come from the repository.
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'node-red-api-version': 'v2' };
        const read = await fetch(`${url}/red/flows`, { headers });
        assert.equal(read.status, 200);
        const before = readFileSync(join(hub.config.flowsDir, SERVICE, 'flow.json'), 'utf8');
        const { rev } = (await read.json()) as { rev: string };
        const deploy = await fetch(`${url}/red/flows`, { method: 'POST', headers: { ...headers, 'node-red-deployment-type': 'full' }, body: JSON.stringify({ rev, flows: [{ id: 'tab1', type: 'tab', label: SERVICE }, { id: 'c1', z: 'tab1', type: 'comment', name: 'changed' }] }) });
        assert.ok(deploy.status >= 400, `an admin's deploy in production answered ${deploy.status}`);
        assert.equal(readFileSync(join(hub.config.flowsDir, SERVICE, 'flow.json'), 'utf8'), before, 'the flow file is untouched');
        // The editor's websocket is not served at all.
        assert.doesNotMatch(await comms(url), /^\{/);
      } finally {
        await hub.close();
      }
    });

    it('sandbox with WASL_OPERATORS: the admin API, the nodes\' endpoints and the websocket need a login; only the editor\'s shell is open', async () => {
      const { hub, url, routes } = await runtimeHub({ operators: ops });
      try {
        const allowed = new Set([
          // The editor's page and what it loads before the login form: static, no flows, no data.
          'GET /red/',
          'GET /red/icons/:module/:icon',
          'GET /red/icons/:scope/:module/:icon',
          'GET /red<^\\/resources\\/((?:@[^\\/]+\\/)?[^\\/]+)\\/(.+)$>',
          'GET /red<^\\/locales\\/(.+)\\/?$>',
          'GET /red/theme/',
          'GET /red/auth/login',
          'GET /red/debug/view/view.html',
          'GET /red/debug/view/*',
        ]);
        const { problems, open } = await probeRuntime(url, routes, allowed);
        assert.deepEqual(problems, []);
        assert.ok(open.includes('GET /red/') && open.includes('GET /red/auth/login'), `the control: the editor's page answers (${open.join(', ')})`);
        // The websocket carries debug messages (orders as flows see them): nothing without a token.
        assert.equal(await comms(url), '{"auth":"fail"}');
        assert.equal(await comms(url, await editorToken(url, 'sami', '')), '{"auth":"ok"}');
        // The control for the rest: a login opens the admin API.
        const token = await editorToken(url, 'rana');
        assert.equal((await fetch(`${url}/red/flows`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      } finally {
        await hub.close();
      }
    });

    it('no flow serves an HTTP endpoint under /svc: it would answer anyone', () => {
      // /svc is Node-RED's httpNode, without authentication: an "http in" node there is a public route.
      const offenders: string[] = [];
      for (const file of flowFiles()) {
        const nodes = JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string; type: string; url?: string }>;
        for (const n of nodes) if (n.type === 'http in' || n.type === 'websocket-listener' || n.type === 'tcp in' || n.type === 'udp in') offenders.push(`${file}: ${n.type} ${n.url ?? n.id}`);
      }
      assert.deepEqual(offenders, []);
    });
  });
});

function flowFiles(): string[] {
  const files = [join(FLOWS_DIR, 'shared.json')];
  for (const d of readdirSync(FLOWS_DIR, { withFileTypes: true })) if (d.isDirectory() && existsSync(join(FLOWS_DIR, d.name, 'flow.json'))) files.push(join(FLOWS_DIR, d.name, 'flow.json'));
  return files;
}

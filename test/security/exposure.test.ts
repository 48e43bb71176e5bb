/**
 * The sandbox on a shared server, tried as an attacker on the same network or behind a web page
 * open in an engineer's browser would (issue 19, item 1; hub/gateway/exposure.ts):
 *
 *  - `npm start` listens on 127.0.0.1, says so, and refuses another address without operators;
 *  - the editor's admin API sends no permissive CORS headers, and a deploy from another origin
 *    (Origin, Sec-Fetch-Site) is refused and changes nothing, as is its WebSocket;
 *  - a foreign Host (DNS rebinding) is refused everywhere but the probes machines make by address;
 *  - /red and /monitor may not be framed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../hub/config';
import { startHub } from '../../hub/hub';
import { createLogger } from '../../hub/log';
import { hashPassword, parseOperators } from '../../hub/operators';
import { LogSink, setProviderCallbackSecrets, TEST_CERT_KEYS, testConfig } from '../helpers';
import { currentFlows, deploy, raw, runtimeHub, SERVICE, serviceFlowsDir } from './runtime-hub';

const EVIL = 'http://evil.example';

/** A WebSocket upgrade of the editor's comms: 101 when it opens, the refusal's status otherwise. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/red/comms`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
      agent: false,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security: what the sandbox opens on a shared server', function () {
  this.timeout(60_000);

  // startHub is handed no simulators here (HubOptions.simulators): none start beside these hubs.
  describe('where it listens', () => {
    it('binds 127.0.0.1 by default in the sandbox (0.0.0.0 in production), and its log line names the address really bound', async () => {
      assert.equal(loadConfig({}).host, '127.0.0.1');
      assert.equal(loadConfig({ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: JSON.stringify([{ channel: 'c', key: 'k'.repeat(30), services: ['*'] }]), WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey }).host, '0.0.0.0');
      const logs = new LogSink();
      const config = testConfig({ host: loadConfig({}).host, port: 0, flowsDir: serviceFlowsDir() });
      const restore = setProviderCallbackSecrets();
      const hub = await startHub(config, { logger: createLogger('info', logs) }).finally(restore);
      try {
        const started = logs.records.find((r) => r.msg === 'wasl hub started');
        const port = (hub.app.server.address() as { port: number }).port;
        assert.equal(started?.listening, `127.0.0.1:${port}`);
      } finally {
        await hub.close();
      }
    });

    it('refuses to open the sandbox on another address without operators, naming WASL_OPERATORS in English and Arabic', async () => {
      for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
        await assert.rejects(
          () => startHub(testConfig({ host, port: 0 }), { logger: createLogger('silent') }),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.match(err.message, /WASL_OPERATORS/);
            assert.match(err.message, /لا يستمع/);
            return true;
          },
          host,
        );
      }
    });

    it('opens 0.0.0.0 with operators and the names it answers to, and says so in its log line', async () => {
      const operators = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: await hashPassword('pw-exposure-1', { N: 1024, r: 8, p: 1 }), role: 'admin' }]));
      await assert.rejects(() => startHub(testConfig({ host: '0.0.0.0', port: 0, operators }), { logger: createLogger('silent') }), /WASL_PUBLIC_URL/, 'names to answer to are required');
      const logs = new LogSink();
      const restore = setProviderCallbackSecrets();
      const hub = await startHub(testConfig({ host: '0.0.0.0', port: 0, operators, publicUrl: 'https://wasl-qa.example', flowsDir: serviceFlowsDir() }), { logger: createLogger('info', logs) }).finally(restore);
      try {
        const port = (hub.app.server.address() as { port: number }).port;
        assert.equal(logs.records.find((r) => r.msg === 'wasl hub started')?.listening, `0.0.0.0:${port}`);
        assert.equal((await raw(`http://127.0.0.1:${port}/health`, { headers: { host: 'wasl-qa.example' } })).status, 200);
        assert.equal((await raw(`http://127.0.0.1:${port}/red/flows`, { headers: { host: 'wasl-qa.example' } })).status, 401, 'the editor needs a login');
        assert.equal((await raw(`http://127.0.0.1:${port}/red/flows`, { headers: { host: 'other.example' } })).status, 421);
      } finally {
        await hub.close();
      }
    });
  });

  describe('the editor and the dashboard, from a web page on another origin', () => {
    it("sends no permissive CORS header from the admin API, to a simple request or a preflight", async () => {
      const { hub, url } = await runtimeHub();
      try {
        const get = await raw(`${url}/red/flows`, { headers: { origin: EVIL } });
        assert.equal(get.status, 200, 'the control: the open sandbox editor answers a same-machine tool');
        assert.equal(get.headers['access-control-allow-origin'], undefined);
        const preflight = await raw(`${url}/red/flows`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
        assert.equal(preflight.headers['access-control-allow-origin'], undefined);
        assert.equal(preflight.headers['access-control-allow-methods'], undefined);
        for (const path of ['/monitor', '/v1/services', '/health']) assert.equal((await raw(`${url}${path}`, { headers: { origin: EVIL } })).headers['access-control-allow-origin'], undefined, path);
      } finally {
        await hub.close();
      }
    });

    it('refuses a deploy from another origin or site, and it changes nothing; the same origin deploys', async () => {
      const flowsDir = serviceFlowsDir();
      const { hub, url, port } = await runtimeHub({ flowsDir });
      try {
        const before = readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8');
        const { rev, flows } = await currentFlows(url);
        const next = [...flows, { id: 'c1', type: 'comment', z: 'tab1', name: 'from a page', x: 100, y: 100, wires: [] }];
        for (const headers of [{ origin: EVIL }, { origin: 'null' }, { origin: `http://127.0.0.1:${port + 1}` }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }] as Array<Record<string, string>>) {
          const res = await deploy(url, rev, next, headers);
          assert.equal(res.status, 403, JSON.stringify(headers));
          assert.equal((JSON.parse(res.body) as { code: string }).code, 'cross-origin-refused');
        }
        assert.equal(readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8'), before, 'no flow file changed');
        assert.equal((await currentFlows(url)).rev, rev, 'the running flows did not change');
        const same = await deploy(url, rev, next, { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
        assert.equal(same.status, 200, same.body);
        assert.match(readFileSync(join(flowsDir, SERVICE, 'flow.json'), 'utf8'), /from a page/);
      } finally {
        await hub.close();
      }
    });

    it("refuses the editor's WebSocket to another origin and to a foreign Host", async () => {
      const { hub, url, port } = await runtimeHub();
      try {
        assert.equal(await upgrade(url, {}), 101, 'the control: a same-machine client opens it');
        assert.equal(await upgrade(url, { origin: `http://127.0.0.1:${port}` }), 101, 'the editor page itself opens it');
        assert.equal(await upgrade(url, { origin: EVIL }), 403);
        assert.equal(await upgrade(url, { host: `evil.example:${port}` }), 403);
      } finally {
        await hub.close();
      }
    });

    it('refuses a foreign Host everywhere but /health, /ready and /metrics (DNS rebinding)', async () => {
      const { hub, url, port } = await runtimeHub();
      try {
        for (const path of ['/red/flows', '/red/', '/monitor', '/v1/services', '/openapi.json', '/docs']) {
          const res = await raw(`${url}${path}`, { headers: { host: `evil.example:${port}` } });
          assert.equal(res.status, 421, path);
          assert.equal((JSON.parse(res.body) as { code: string }).code, 'host-not-allowed', path);
        }
        const { rev, flows } = await currentFlows(url);
        assert.equal((await deploy(url, rev, flows, { host: `evil.example:${port}` })).status, 421);
        for (const path of ['/health', '/ready']) assert.equal((await raw(`${url}${path}`, { headers: { host: `evil.example:${port}` } })).status, 200, path);
        // Loopback names answer.
        for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `wasl.localhost:${port}`]) assert.equal((await raw(`${url}/red/flows`, { headers: { host } })).status, 200, host);
      } finally {
        await hub.close();
      }
    });

    it('forbids framing /red and /monitor', async () => {
      const { hub, url } = await runtimeHub();
      try {
        for (const path of ['/red/', '/red/flows', '/monitor', '/health']) {
          const res = await raw(`${url}${path}`);
          assert.equal(res.headers['x-frame-options'], 'DENY', path);
          assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, path);
        }
      } finally {
        await hub.close();
      }
    });
  });
});

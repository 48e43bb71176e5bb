/**
 * Contract drift (issue 23, item 3): `wasl provider check` against a WSDL and an OpenAPI document
 * served by a local server — unchanged, an operation added, a member removed, unreachable, a
 * redirect to another host — the classification of drift.ts, and the hub's scheduled check with
 * its metrics.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diffContracts, summarize, type ContractModel } from '../../../connectors/import/drift';
import { checkProvider, contractUrl, defaultEnvironment } from '../../../connectors/import/drift-check';
import { importOpenApi } from '../../../connectors/import/openapi';
import { importWsdl } from '../../../connectors/import/wsdl';
import { writeProvider } from '../../../connectors/import/write';
import { ConfigError, loadConfig } from '../../../hub/config';
import { createLogger } from '../../../hub/log';
import { HubMetrics } from '../../../hub/metrics';
import { ProviderDriftMonitor } from '../../../hub/provider-drift';
import { testHub } from '../../helpers';
import { makePki } from '../http/certs';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'wasl.js');
const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures');
const WSDL_DIR = path.join(FIXTURES, 'wsdl');
const OPENAPI = path.join(FIXTURES, 'openapi', 'vehicle-registry.json');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it; every variable it depends on set here. */
function wasl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, WASL_LOG_LEVEL: 'silent' };
    delete env.WASL_PROVIDER_CHECK_MINUTES;
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const wsdlText = readFileSync(path.join(WSDL_DIR, 'civil-registry.wsdl'), 'utf8');
const xsds: Record<string, string> = { 'common.xsd': readFileSync(path.join(WSDL_DIR, 'common.xsd'), 'utf8'), 'remark.xsd': readFileSync(path.join(WSDL_DIR, 'remark.xsd'), 'utf8') };
const openapiText = readFileSync(OPENAPI, 'utf8');

/** WSDL variants: as imported; NotifyDeath2 added; GetCitizen's output element `active` removed. */
const WSDL_VARIANTS: Record<string, string> = {
  same: wsdlText,
  added: wsdlText.replace(/<wsdl:operation name="NotifyDeath">[\s\S]*?<\/wsdl:operation>/g, (m) => `${m}\n    ${m.replace('name="NotifyDeath"', 'name="NotifyDeath2"')}`),
  removed: wsdlText.replace(/\s*<xsd:element name="active" type="xsd:boolean"\/>/, ''),
};

function openapiVariant(edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(openapiText) as Record<string, any>;
  edit(doc);
  return JSON.stringify(doc, null, 2);
}

/** OpenAPI variants: as imported; an operation added; a member of the statement request (input body) removed. */
const OPENAPI_VARIANTS: Record<string, string> = {
  same: openapiText,
  added: openapiVariant((d) => {
    d.paths['/vehicles/{plate}'] = { get: { operationId: 'getVehicle', parameters: [{ name: 'plate', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { plate: { type: 'string' } } } } } } } } };
  }),
  removed: openapiVariant((d) => {
    const req = d.components.schemas.StatementRequest as { properties: Record<string, unknown>; required?: string[] };
    const name = Object.keys(req.properties)[0] as string;
    delete req.properties[name];
    if (req.required) req.required = req.required.filter((r) => r !== name);
  }),
};

describe('contract drift: wasl provider check', function () {
  this.timeout(120_000);
  let root: string;
  let server: http.Server;
  let other: http.Server;
  let base: string;
  let closedPort: number;
  const requests: string[] = [];

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-drift-'));
    // A host for the "another origin" redirect (never to be reached).
    other = http.createServer((_req, res) => res.end('no')).listen(0, '127.0.0.1');
    await new Promise((r) => other.once('listening', r));
    const otherPort = (other.address() as AddressInfo).port;
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url.pathname + url.search);
      // /<variant>/civil/soap11?wsdl and /<variant>/civil/<schema>.xsd; /<variant>/vehicles/v2/openapi.json
      const m = /^\/([a-z]+)\/(civil|vehicles)\/(.*)$/.exec(url.pathname);
      if (m && m[1] === 'redirect') {
        res.writeHead(302, { location: `http://localhost:${otherPort}/elsewhere` }).end();
        return;
      }
      if (m && m[2] === 'civil' && m[3] === 'soap11' && url.searchParams.has('wsdl') && WSDL_VARIANTS[m[1]!]) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(WSDL_VARIANTS[m[1]!]);
        return;
      }
      if (m && m[2] === 'civil' && xsds[m[3]!]) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(xsds[m[3]!]);
        return;
      }
      if (m && m[2] === 'vehicles' && m[3] === 'v2/openapi.json' && OPENAPI_VARIANTS[m[1]!]) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(OPENAPI_VARIANTS[m[1]!]);
        return;
      }
      if (url.pathname === '/huge/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`{"x":"${'a'.repeat(64 * 1024)}"}`);
        return;
      }
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = http.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));

    // Two providers imported from the fixtures, their production endpoints on the local server's "same" variant.
    await writeProvider(root, 'civil', await importWsdl('civil', path.join(WSDL_DIR, 'civil-registry.wsdl')));
    await writeProvider(root, 'vehicles', await importOpenApi('vehicles', OPENAPI));
    for (const [code, endpoint] of [
      ['civil', `${base}/same/civil/soap11`],
      ['vehicles', `${base}/same/vehicles/v2`],
    ] as const) {
      const file = path.join(root, code, 'provider.json');
      const def = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, { endpoint: string }> };
      def.environments.production = { endpoint };
      writeFileSync(file, `${JSON.stringify(def, null, 2)}\n`);
    }
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('has --help naming its options', async () => {
    const r = await wasl(['provider', 'check', '--help']);
    assert.equal(r.status, 0);
    for (const o of ['--env', '--url', '--json', '--root']) assert.ok(r.stdout.includes(o), o);
  });

  describe('WSDL (SOAP provider)', () => {
    it('unchanged: exit 0, "no drift"; fetched at <endpoint>?wsdl with its schemas relative to it', async () => {
      requests.length = 0;
      const r = await wasl(['provider', 'check', 'civil', '--root', root]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`checked ${base}/same/civil/soap11\\?wsdl \\(production\\)`));
      assert.match(r.stdout, /provider civil: no drift/);
      assert.ok(requests.includes('/same/civil/soap11?wsdl'));
      assert.ok(requests.includes('/same/civil/common.xsd'));
      assert.ok(requests.includes('/same/civil/remark.xsd'));
    });

    it('an operation added: reported as compatible, exit 0', async () => {
      const r = await wasl(['provider', 'check', 'civil', '--root', root, '--url', `${base}/added/civil/soap11?wsdl`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /1 change\(s\), 0 breaking, 1 compatible/);
      assert.match(r.stdout, /\[compatible\] operation NotifyDeath2 added/);
    });

    it("an element of an operation's output removed: breaking, exit 1; --json is machine-readable", async () => {
      const [text, json] = await Promise.all([
        wasl(['provider', 'check', 'civil', '--root', root, '--url', `${base}/removed/civil/soap11?wsdl`]),
        wasl(['provider', 'check', 'civil', '--root', root, '--url', `${base}/removed/civil/soap11?wsdl`, '--json']),
      ]);
      assert.equal(text.status, 1, text.stderr);
      assert.match(text.stdout, /\[breaking\] GetCitizen output active: required member removed/);
      assert.equal(json.status, 1);
      const report = JSON.parse(json.stdout) as { status: string; summary: { breaking: number }; changes: Array<Record<string, unknown>> };
      assert.equal(report.status, 'breaking');
      assert.equal(report.summary.breaking, 1);
      assert.deepEqual(
        report.changes.map((c) => ({ kind: c.kind, severity: c.severity, operation: c.operation, direction: c.direction, path: c.path })),
        [{ kind: 'member-removed', severity: 'breaking', operation: 'GetCitizen', direction: 'output', path: 'active' }],
      );
    });

    it('unreachable: exit 2, saying the fetch failed', async () => {
      const r = await wasl(['provider', 'check', 'civil', '--root', root, '--url', `http://127.0.0.1:${closedPort}/civil?wsdl`]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /could not fetch the contract: .*ECONNREFUSED/);
    });

    it('a redirect to another host is not followed: exit 2, naming it', async () => {
      const r = await checkProvider('civil', { root, url: `${base}/redirect/civil/soap11?wsdl` });
      assert.equal(r.status, 'error');
      assert.equal(r.error?.stage, 'fetch');
      assert.match(r.error?.message ?? '', /another origin|other-origin/);
    });

    it('a document that is not a WSDL: exit 2, saying it could not be read', async () => {
      const r = await checkProvider('civil', { root, url: `${base}/same/vehicles/v2/openapi.json` });
      assert.equal(r.status, 'error');
      assert.equal(r.error?.stage, 'parse');
    });
  });

  describe('OpenAPI (REST provider)', () => {
    it('unchanged: exit 0, "no drift"; fetched at <endpoint>/openapi.json', async () => {
      const r = await wasl(['provider', 'check', 'vehicles', '--root', root]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`checked ${base}/same/vehicles/v2/openapi\\.json \\(production\\)`));
      assert.match(r.stdout, /provider vehicles: no drift/);
    });

    it('an operation added: reported as compatible, exit 0', async () => {
      const r = await wasl(['provider', 'check', 'vehicles', '--root', root, '--url', `${base}/added/vehicles/v2/openapi.json`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\[compatible\] operation getVehicle added/);
      assert.match(r.stdout, /0 breaking/);
    });

    it("a member of an operation's input removed: breaking, exit 1", async () => {
      const r = await wasl(['provider', 'check', 'vehicles', '--root', root, '--url', `${base}/removed/vehicles/v2/openapi.json`, '--json']);
      assert.equal(r.status, 1, r.stderr);
      const report = JSON.parse(r.stdout) as { changes: Array<{ kind: string; severity: string; direction: string; path: string }> };
      const removed = report.changes.find((c) => c.kind === 'member-removed');
      assert.ok(removed, r.stdout);
      assert.equal(removed.severity, 'breaking');
      assert.equal(removed.direction, 'input');
      assert.match(removed.path, /^body\./);
    });

    it('unreachable: exit 2, saying the fetch failed (--json says the stage)', async () => {
      const r = await wasl(['provider', 'check', 'vehicles', '--root', root, '--url', `http://127.0.0.1:${closedPort}/openapi.json`, '--json']);
      assert.equal(r.status, 2);
      const report = JSON.parse(r.stdout) as { status: string; error: { stage: string; message: string } };
      assert.equal(report.status, 'error');
      assert.equal(report.error.stage, 'fetch');
    });

    it('a document over the size limit is refused: a fetch error', async () => {
      const r = await checkProvider('vehicles', { root, url: `${base}/huge/openapi.json`, maxBytes: 16 * 1024 });
      assert.equal(r.status, 'error');
      assert.equal(r.error?.stage, 'fetch');
    });
  });

  it("uses the provider's TLS settings: its private CA and client certificate (mutual TLS)", async () => {
    const pki = makePki();
    const tlsServer = https.createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      if (req.url === '/v2/openapi.json') res.writeHead(200, { 'content-type': 'application/json' }).end(OPENAPI_VARIANTS.added);
      else res.writeHead(404).end();
    });
    tlsServer.listen(0, '127.0.0.1');
    await new Promise((r) => tlsServer.once('listening', r));
    try {
      const endpoint = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/v2`;
      await writeProvider(root, 'vehicles-tls', await importOpenApi('vehicles-tls', OPENAPI));
      const file = path.join(root, 'vehicles-tls', 'provider.json');
      const def = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
      def.environments.production = { endpoint };
      def.security = { ...(def.security ?? {}), tls: { caEnv: 'DRIFT_TEST_CA', certEnv: 'DRIFT_TEST_CERT', keyEnv: 'DRIFT_TEST_KEY' } };
      writeFileSync(file, `${JSON.stringify(def, null, 2)}\n`);
      const secrets: Record<string, string> = { DRIFT_TEST_CA: pki.ca, DRIFT_TEST_CERT: pki.client.cert, DRIFT_TEST_KEY: pki.client.key };
      const ok = await checkProvider('vehicles-tls', { root, readSecret: (n) => secrets[n] as string });
      assert.equal(ok.status, 'compatible', JSON.stringify(ok.error));
      assert.equal(ok.url, `${endpoint}/openapi.json`);
      // Without the provider's CA the server is not trusted; a missing secret is named, never shown.
      const untrusted = await checkProvider('vehicles-tls', { root, readSecret: (n) => (n === 'DRIFT_TEST_CA' ? pki.selfSigned.cert : (secrets[n] as string)) });
      assert.equal(untrusted.status, 'error');
      assert.equal(untrusted.error?.stage, 'fetch');
      const missing = await checkProvider('vehicles-tls', { root, readSecret: (n) => { throw new Error(`secret ${n}: the environment variable is not set`); } });
      assert.equal(missing.error?.stage, 'provider');
      assert.match(missing.error?.message ?? '', /DRIFT_TEST_CA/);
    } finally {
      await new Promise((r) => tlsServer.close(r));
      pki.cleanup();
    }
  });

  it('an unknown provider or environment: exit 2', async () => {
    const [nobody, env] = await Promise.all([wasl(['provider', 'check', 'nobody', '--root', root]), wasl(['provider', 'check', 'civil', '--env', 'test', '--root', root])]);
    assert.equal(nobody.status, 2);
    assert.match(nobody.stderr, /no provider "nobody"/);
    assert.equal(env.status, 2);
    assert.match(env.stderr, /has no test environment/);
  });

  it('the hub schedule checks each provider with a production endpoint and shows the breaking count in the metrics', async () => {
    // The civil provider now published with an element removed; vehicles unreachable.
    const scheduled = mkdtempSync(path.join(tmpdir(), 'wasl-drift-hub-'));
    try {
      for (const code of ['civil', 'vehicles']) {
        await writeProvider(scheduled, code, code === 'civil' ? await importWsdl(code, path.join(WSDL_DIR, 'civil-registry.wsdl')) : await importOpenApi(code, OPENAPI));
        const file = path.join(scheduled, code, 'provider.json');
        const def = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, { endpoint: string }> };
        def.environments.production = { endpoint: code === 'civil' ? `${base}/removed/civil/soap11` : `http://127.0.0.1:${closedPort}/v2` };
        writeFileSync(file, `${JSON.stringify(def, null, 2)}\n`);
      }
      const ticks: Array<() => void> = [];
      let cleared = false;
      const logLines: string[] = [];
      const logger = createLogger('info', { write: (l: string) => void logLines.push(l) });
      const monitor = new ProviderDriftMonitor({
        providersRoot: scheduled,
        logger,
        everyMs: 60_000,
        now: () => new Date('2026-12-06T10:00:00Z'),
        setInterval: (fn, ms) => {
          assert.equal(ms, 60_000);
          ticks.push(fn);
          return { unref: () => undefined };
        },
        clearInterval: () => (cleared = true),
      });
      monitor.start();
      await monitor.tick(); // the first run, started by start()
      assert.equal(ticks.length, 1);
      const hub = await testHub();
      try {
        const metrics = new HubMetrics({ store: hub.store, bus: hub.bus, catalogue: hub.catalogue, contractChecks: () => monitor.results() });
        const text = await metrics.registry.metrics();
        metrics.close();
        assert.match(text, /wasl_provider_contract_drift\{provider="civil",severity="breaking"\} 1\n/);
        assert.match(text, /wasl_provider_contract_drift\{provider="civil",severity="compatible"\} 0\n/);
        assert.match(text, /wasl_provider_contract_check_failed\{provider="civil"\} 0\n/);
        assert.match(text, /wasl_provider_contract_check_failed\{provider="vehicles"\} 1\n/);
        assert.match(text, new RegExp(`wasl_provider_contract_check_timestamp_seconds\\{provider="civil"\\} ${Date.parse('2026-12-06T10:00:00Z') / 1000}\\n`));
        assert.doesNotMatch(text, /wasl_provider_contract_drift\{provider="vehicles"/);
      } finally {
        await hub.close();
      }
      // The next tick runs again (the interval's function), and stop clears the timer.
      ticks[0]!();
      await monitor.tick();
      await monitor.stop();
      assert.ok(cleared);
      assert.ok(logLines.some((l) => /provider contract changed: breaking changes/.test(l) && /"provider":"civil"/.test(l)));
      assert.ok(logLines.some((l) => /provider contract check failed/.test(l) && /"provider":"vehicles"/.test(l) && /"stage":"fetch"/.test(l)));
    } finally {
      rmSync(scheduled, { recursive: true, force: true });
    }
  });
});

describe('contract drift: the hub runs the check on its schedule', function () {
  this.timeout(60_000);
  it('WASL_PROVIDER_CHECK_MINUTES: minutes, unset by default, a wrong value named', () => {
    assert.equal(loadConfig({ WASL_ENV: 'sandbox' }).providerCheckMinutes, undefined);
    assert.equal(loadConfig({ WASL_ENV: 'sandbox', WASL_PROVIDER_CHECK_MINUTES: '15' }).providerCheckMinutes, 15);
    assert.throws(() => loadConfig({ WASL_ENV: 'sandbox', WASL_PROVIDER_CHECK_MINUTES: 'soon' }), (e: unknown) => e instanceof ConfigError && /WASL_PROVIDER_CHECK_MINUTES/.test(e.message));
  });

  it('starts with the hub (providerCheckEveryMs / WASL_PROVIDER_CHECK_MINUTES), serves the gauges and stops with it', async () => {
    const hub = await testHub({ providerCheckMinutes: 0 }, undefined, { providerCheckEveryMs: 20 });
    try {
      await hub.startBackground();
      await new Promise((r) => setTimeout(r, 100));
      const text = await hub.metricsRegistry.metrics();
      for (const m of ['wasl_provider_contract_drift', 'wasl_provider_contract_check_timestamp_seconds', 'wasl_provider_contract_check_failed']) assert.match(text, new RegExp(`# TYPE ${m} gauge`));
      // The repository's providers have only sandbox endpoints: none is checked, nothing failed.
      assert.doesNotMatch(text, /wasl_provider_contract_check_failed\{/);
    } finally {
      await hub.close();
    }
  });
});

describe('contract drift: classification (drift.ts)', () => {
  const op = (inputSchema: Record<string, unknown>, outputSchema: Record<string, unknown> = { type: 'object' }, binding: Record<string, unknown> = { method: 'GET', path: '/x' }) => ({ name: 'Op', inputSchema, outputSchema, binding });
  const model = (o: ReturnType<typeof op>, endpoints: string[] = []): ContractModel => ({ kind: 'rest', operations: [o], endpoints });
  const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required });

  it('input: a new required member, a member that became required, a type change and a removed enum value are breaking; optional additions are not', () => {
    const before = model(op(obj({ a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string', enum: ['x', 'y'] }, d: { type: 'integer' } })));
    const after = model(op(obj({ a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string', enum: ['x'] }, d: { type: 'string' }, e: { type: 'string' }, f: { type: 'string' } }, ['b', 'e'])));
    const changes = diffContracts(before, after);
    const by = (p: string) => changes.filter((c) => c.path === p).map((c) => `${c.kind}/${c.aspect ?? ''}/${c.severity}`);
    assert.deepEqual(by('b'), ['member-changed/required/breaking']);
    assert.deepEqual(by('c'), ['member-changed/enum/breaking']);
    assert.deepEqual(by('d'), ['member-changed/type/breaking']);
    assert.deepEqual(by('e'), ['member-added//breaking']);
    assert.deepEqual(by('f'), ['member-added//compatible']);
    assert.deepEqual(summarize(changes), { breaking: 4, compatible: 1 });
  });

  it('output: a removed member or one no longer required is breaking; additions are compatible; $refs are followed, their names not compared', () => {
    const before = model(op({ type: 'object' }, { $ref: '#/$defs/A', $defs: { A: obj({ x: { type: 'string' }, y: { type: 'string' }, n: { $ref: '#/$defs/N' } }, ['y']), N: { type: 'string' } } }));
    const after = model(op({ type: 'object' }, { $ref: '#/$defs/Renamed', $defs: { Renamed: obj({ y: { type: 'string' }, n: { $ref: '#/$defs/N2' }, z: { type: 'string' } }, ['z']), N2: { type: 'string' } } }));
    const changes = diffContracts(before, after);
    assert.deepEqual(
      changes.map((c) => `${c.path} ${c.kind}/${c.aspect ?? ''}/${c.severity}`),
      ['x member-removed//breaking', 'z member-added//compatible', 'y member-changed/required/breaking'],
    );
  });

  it('operations added and removed, a changed method, changed addresses', () => {
    const before: ContractModel = { kind: 'rest', operations: [{ ...op({}), name: 'Old' }, op({})], endpoints: ['https://a.example.sy'] };
    const after: ContractModel = { kind: 'rest', operations: [{ ...op({}), name: 'New' }, op({}, { type: 'object' }, { method: 'POST', path: '/x' })], endpoints: ['https://b.example.sy'] };
    assert.deepEqual(
      diffContracts(before, after).map((c) => `${c.kind}/${c.severity}/${c.operation ?? ''}`),
      ['operation-removed/breaking/Old', 'operation-added/compatible/New', 'binding-changed/breaking/Op', 'endpoint-removed/compatible/', 'endpoint-added/compatible/'],
    );
    assert.deepEqual(diffContracts(before, before), []);
  });

  it('where a contract is fetched by default, and which environment', () => {
    assert.equal(contractUrl('soap', 'https://h.sy/ws/Civil'), 'https://h.sy/ws/Civil?wsdl');
    assert.equal(contractUrl('soap', 'https://h.sy/ws?v=2'), 'https://h.sy/ws?v=2&wsdl');
    assert.equal(contractUrl('rest', 'https://h.sy/api/v1/'), 'https://h.sy/api/v1/openapi.json');
    const def = (envs: Record<string, { endpoint: string }>) => ({ environments: envs }) as unknown as Parameters<typeof defaultEnvironment>[0];
    assert.equal(defaultEnvironment(def({ sandbox: { endpoint: 'http://127.0.0.1:1' } })), undefined);
    assert.equal(defaultEnvironment(def({ sandbox: { endpoint: 'http://127.0.0.1:1' }, production: { endpoint: 'https://p.sy' } })), 'production');
    assert.equal(defaultEnvironment(def({ sandbox: { endpoint: 'http://127.0.0.1:1' }, test: { endpoint: 'https://t.sy' }, production: { endpoint: 'https://p.sy' } })), 'test');
  });
});

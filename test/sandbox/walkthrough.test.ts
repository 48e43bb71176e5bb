/**
 * The README's walk-through ("From a ministry's WSDL to a live service"), step by step, on a copy
 * of the repository, with the CLI as a new user runs it: import a corpus WSDL, edit provider.json,
 * scaffold the service, fill in the mappings and scenarios, prove it in the sandbox (signed by QA's
 * key), promote it while a production hub runs — which starts it without a restart — with every
 * other certificate still holding, and have the sandbox hub answer a real order.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { CORPUS } from '../corpus';
import { TEST_CERT_KEYS } from '../helpers';
import { hubStartedAt } from '../hub-process';

const REPO = resolve(__dirname, '..', '..');
const SERVICE = 'civil-person-details';
const PROVIDER = 'moi-population-register';

describe('README walk-through: from a WSDL of the corpus to a live service answering orders', function () {
  this.timeout(180_000);
  let dir: string;
  let hub: ChildProcess | undefined;
  let production: ChildProcess | undefined;

  // The shell a new user has: no key of the release gate unless a step sets one.
  const cleanEnv = () => {
    const env: NodeJS.ProcessEnv = { ...process.env, WASL_LOG_LEVEL: 'warn', USER: 'walkthrough' };
    for (const name of ['WASL_ENV', 'WASL_CERT_SIGNING_KEY', 'WASL_CERT_TRUSTED_KEYS', 'WASL_CHANNEL_KEYS', 'WASL_OPERATORS', 'DATABASE_URL', 'AMQP_URL', 'WASL_DATA_DIR']) delete env[name];
    return env;
  };
  const wasl = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'wasl.js'), ...args], { cwd: dir, env: { ...cleanEnv(), ...extra }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const editJson = (file: string, edit: (v: any) => void) => {  
    const p = join(dir, file);
    const v = JSON.parse(readFileSync(p, 'utf8'));
    edit(v);
    writeFileSync(p, `${JSON.stringify(v, null, 2)}\n`);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-walkthrough-'));
    // The catalogue as it is, certificates included: adding this ministry must leave them holding.
    for (const entry of ['bin', 'config', 'connectors', 'contracts', 'flows', 'hub', 'nodes', 'resources', 'sandbox', 'package.json', 'tsconfig.json']) {
      cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  });
  after(async () => {
    for (const child of [hub, production]) {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('1-2. imports the WSDL and takes the edits to provider.json', () => {
    const r = wasl(['provider', 'import', PROVIDER, '--wsdl', join(CORPUS, 'xroad-example-adapter', 'example-adapter.wsdl')]);
    assert.equal(r.status, 0, r.out);
    // The sandbox is the generated simulator, on the first port no other simulator takes; the
    // contract's own address is a build placeholder, so production is left to fill in.
    const imported = JSON.parse(readFileSync(join(dir, 'contracts', 'providers', PROVIDER, 'provider.json'), 'utf8'));
    assert.deepEqual(imported.environments, { sandbox: { endpoint: `http://127.0.0.1:8099/${PROVIDER}` } });
    assert.match(r.out, /environments\.production is left out — fill in environments\.production\.endpoint/);
    editJson(`contracts/providers/${PROVIDER}/provider.json`, (p) => {
      p.names = { ar: 'وزارة الداخلية — سجل السكان', en: 'Ministry of Interior — Population register' };
      // The ministry's production system is out of reach here: a closed loopback port.
      p.environments.production = { endpoint: 'http://127.0.0.1:9/moi/population' };
      p.xroad = { protocolVersion: '4.0', client: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'WASL', subsystemCode: 'hub' }, service: { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'MOI', subsystemCode: 'population' } };
      p.errors = { rules: [{ faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' }] };
    });
  });

  it('3. scaffolds the service as a draft, its mappings proposed and a scenario per declared refusal', () => {
    const r = wasl(['service', 'new', SERVICE, '--provider', PROVIDER, '--operation', 'personDetails', '--name-ar', 'بيان قيد شخصي', '--name-en', 'Personal record statement']);
    assert.equal(r.status, 0, r.out);
    assert.match(readFileSync(join(dir, 'flows', SERVICE, 'service.json'), 'utf8'), /"lifecycle": "draft"/);
    // ssn is the applicant's national number (a known synonym); the answer has no reference, so the ssn it echoes names it.
    assert.match(r.out, /ssn ← payload\.applicant\.nationalNumber\n\s+ssn is the applicant's national number/);
    assert.match(r.out, /providerReferences\[0\]\.reference ← payload\.person\.ssn/);
    assert.match(r.out, /Scenarios: happy-path\.json, refused-person-not-found\.json/);
  });

  it('4-6. its scenarios pass as scaffolded, but it is certified only once the proposals are reviewed', () => {
    const unreviewed = wasl(['sandbox', 'test', SERVICE, '--report-dir', join(dir, 'report-0')], { WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey });
    assert.match(unreviewed.out, /civil-person-details: 2\/2 passed, not certified: 4 mappings proposed by `wasl service new` not reviewed/);
    assert.match(readFileSync(join(dir, 'flows', SERVICE, 'service.json'), 'utf8'), /"lifecycle": "draft"/);

    // Edit 2 of 2: the engineer reads each proposal in flow.json (or the editor) and, agreeing, deletes its mark.
    const flowFile = join(dir, 'flows', SERVICE, 'flow.json');
    writeFileSync(flowFile, readFileSync(flowFile, 'utf8').replace(/ \/\* wasl:proposed: [^*]*\*\//g, ''));
    const r = wasl(['sandbox', 'test', SERVICE, '--report-dir', join(dir, 'report')], { WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /civil-person-details: 2\/2 passed, certified [0-9a-f]{12}/);
    assert.match(readFileSync(join(dir, 'flows', SERVICE, 'service.json'), 'utf8'), /"lifecycle": "certified"/);
  });

  it('7. promoted while a production hub runs: it starts there without a restart, and every other certificate still holds', async () => {
    const trust = { WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey };
    const channelKey = 'walkthrough-centre-key-0123456789';
    production = startHub({
      WASL_ENV: 'production',
      WASL_DATA_DIR: join(dir, 'data-production'),
      WASL_SECRET: 'walkthrough-secret-0123456789abcdef0123456789',
      WASL_CHANNEL_KEYS: JSON.stringify([{ channel: 'centre-dam-01', key: channelKey, services: ['*'], kind: 'centre' }]),
      SY_EPAY_CALLBACK_SECRET: 'walkthrough-sy-epay-0123456789',
      INTL_PAY_WEBHOOK_SECRET: 'walkthrough-intl-pay-0123456789',
      SY_POST_CALLBACK_SECRET: 'walkthrough-sy-post-0123456789',
      ...trust,
    });
    const url = await startedAt(production);
    const order = (key: string) =>
      request(`${url}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${channelKey}`, 'idempotency-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(orderFor(SERVICE)),
      });

    // Certified, not yet live: the production hub does not take its orders.
    const before = await order('before-promotion');
    const refused = (await before.body.json()) as { type: string };
    assert.equal(before.statusCode, 400, JSON.stringify(refused));
    assert.match(refused.type, /unknown-service/);

    const p = wasl(['service', 'promote', SERVICE, '--by', 'release-manager'], trust);
    assert.equal(p.status, 0, p.out);
    assert.match(p.out, /civil-person-details is live/);

    // The running hub sees the promotion and starts the service alone: no restart.
    let accepted: { statusCode: number; body: string } | undefined;
    for (let i = 0; i < 200; i++) {
      const r = await order(`after-promotion-${i}`);
      accepted = { statusCode: r.statusCode, body: await r.body.text() };
      if (r.statusCode === 202) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(accepted?.statusCode, 202, accepted?.body);
    assert.equal(production.exitCode, null, 'the production hub kept running');

    // Adding the ministry, its config node and the service voided no certificate: all 49 hold,
    // each signed by the trusted QA key, and every one is live.
    const status = wasl(['service', 'status', '--all', '--json'], trust);
    assert.equal(status.status, 0, status.out);
    const report = JSON.parse(status.out) as { services: Array<{ service: string; lifecycle: string; holds: boolean; certificate?: { signedBy?: string } }> };
    const catalogue = readdirSync(join(REPO, 'flows')).filter((f) => existsSync(join(REPO, 'flows', f, 'service.json')));
    assert.equal(report.services.length, catalogue.length + 1);
    assert.deepEqual(report.services.filter((s) => !s.holds || s.lifecycle !== 'live' || s.certificate?.signedBy !== TEST_CERT_KEYS.keyId).map((s) => s.service), []);
    assert.ok(report.services.some((s) => s.service === SERVICE));
  });

  it('8. the sandbox hub started, it answers a real order through the generated simulator', async () => {
    hub = startHub({ WASL_DATA_DIR: join(dir, 'data') });
    const url = await startedAt(hub);
    const key = readFileSync(join(dir, 'data', 'demo-channel-key'), 'utf8').trim();
    const auth = { authorization: `Bearer ${key}` };
    const submitted = await request(`${url}/v1/orders`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'first-order', 'content-type': 'application/json' },
      body: JSON.stringify(orderFor(SERVICE)),
    });
    const body = (await submitted.body.json()) as { id: string };
    assert.equal(submitted.statusCode, 202, JSON.stringify(body));
    let order: { status: string; results: { providerReferences: Array<{ provider: string; reference: string }> } } | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await request(`${url}/v1/orders/${body.id}`, { headers: auth });
      order = (await r.body.json()) as typeof order;
      if (order?.status === 'ready-for-pickup') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(order?.status, 'ready-for-pickup', JSON.stringify(order));
    // The generated simulator answered with the request's own ssn where its answer has one.
    assert.deepEqual(order?.results.providerReferences.map((p) => [p.provider, p.reference]), [[PROVIDER, '01020304050']]);
  });

  function startHub(extra: NodeJS.ProcessEnv): ChildProcess {
    return spawn(process.execPath, [join(dir, 'bin', 'wasl.js'), 'start'], { cwd: dir, env: { ...cleanEnv(), PORT: '0', HOST: '127.0.0.1', WASL_LOG_LEVEL: 'info', ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  const startedAt = (child: ChildProcess) => hubStartedAt(child);
});

function orderFor(service: string) {
  return {
    service,
    centre: { code: 'DAM-01', governorate: 'damascus' },
    applicant: { nationalNumber: '01020304050', fullName: { ar: 'ريم خالد الأحمد' }, fatherName: 'خالد', motherName: 'سلمى', birthDate: '1990-04-12', phone: '+963944123456' },
    fields: {},
    paymentMethod: 'cash-at-counter',
    delivery: { method: 'counter' },
  };
}

/**
 * Issue 23's story, end to end, on a copy of the repository with the CLI as an integration
 * engineer runs it: a SOAP ministry the project never saw (a VAT-number check stand-in whose
 * refusals and outages are both soap:Server faults, told apart only by their faultstring) is
 * imported, its refusal rule written on the fault's text, a service scaffolded and certified;
 * real orders through a hub then end rejected and refunded with the rule's bilingual reason for
 * an invalid number, and complete after a retry for a temporary fault; and once both are recorded
 * from the ministry's test system, the sandbox reproduces both from the recordings — masked, and
 * said so in the certificate.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { TEST_CERT_KEYS } from '../helpers';
import { hubStartedAt } from '../hub-process';
import { BUSY, INVALID, NAME, VALID, VAT_WSDL, vatStandIn } from '../fixtures/vat-stand-in';

const REPO = resolve(__dirname, '..', '..');
const SERVICE = 'vat-number-check';
const PROVIDER = 'vat-check';
const REFUSAL_TEXT = { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' };

describe('a SOAP ministry that refuses only in faultstring: rule, real orders, and the sandbox replaying it', function () {
  this.timeout(240_000);
  let dir: string;
  let standIn: ReturnType<typeof vatStandIn>;
  let standInUrl: string;
  let hub: ChildProcess | undefined;

  const cleanEnv = () => {
    const env: NodeJS.ProcessEnv = { ...process.env, WASL_LOG_LEVEL: 'warn', USER: 'vat-e2e' };
    for (const name of ['WASL_ENV', 'WASL_CERT_SIGNING_KEY', 'WASL_CERT_TRUSTED_KEYS', 'WASL_CHANNEL_KEYS', 'WASL_OPERATORS', 'DATABASE_URL', 'AMQP_URL', 'WASL_DATA_DIR', 'WASL_SIMULATORS', 'WASL_SIM_PORTS']) delete env[name];
    return env;
  };
  const wasl = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'wasl.js'), ...args], { cwd: dir, env: { ...cleanEnv(), ...extra }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  // Asynchronously when the stand-in must answer: it runs in this process, which spawnSync would block.
  const waslAsync = (args: string[], input: string) =>
    new Promise<{ status: number | null; stdout: string; out: string }>((done) => {
      const child = spawn(process.execPath, [join(dir, 'bin', 'wasl.js'), ...args], { cwd: dir, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('close', (status) => done({ status, stdout, out: stdout + stderr }));
      child.stdin.end(input);
    });
  const providerFile = () => join(dir, 'contracts', 'providers', PROVIDER, 'provider.json');
  const editJson = (file: string, edit: (v: any) => void) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    edit(v);
    writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
  };
  /** The certificate's provenance per scenario, by file name. */
  const behaviour = () => {
    const cert = JSON.parse(readFileSync(join(dir, 'flows', SERVICE, 'certificate.json'), 'utf8')) as { report: { behaviour?: Record<string, string> } };
    return Object.fromEntries(Object.entries(cert.report.behaviour ?? {}).map(([file, b]) => [file.split('/').pop()!, b]));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-vat-e2e-'));
    for (const entry of ['bin', 'config', 'connectors', 'contracts', 'flows', 'hub', 'nodes', 'resources', 'sandbox', 'package.json', 'tsconfig.json']) {
      cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    standIn = vatStandIn();
    await new Promise<void>((r) => standIn.server.listen(0, '127.0.0.1', r));
    standInUrl = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}/vat`;
  });
  after(async () => {
    if (hub && hub.exitCode === null) {
      hub.kill('SIGTERM');
      await new Promise((r) => hub!.once('exit', r));
    }
    await new Promise<void>((r) => standIn.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the WSDL, maps the refusal on the fault text, and certifies a scaffolded service against the generated simulator', () => {
    const wsdl = join(dir, 'vat.wsdl');
    writeFileSync(wsdl, VAT_WSDL);
    const imported = wasl(['provider', 'import', PROVIDER, '--wsdl', wsdl]);
    assert.equal(imported.status, 0, imported.out);
    editJson(providerFile(), (p) => {
      p.names = { ar: 'التحقق من الرقم الضريبي', en: 'VAT number check' };
      // The ministry's test system and production are the stand-in; the sandbox stays the simulator.
      p.environments.test = { endpoint: standInUrl };
      p.environments.production = { endpoint: standInUrl };
      p.errors = { rules: [{ faultString: 'INVALID_INPUT', reason: 'invalid-vat-number', message: REFUSAL_TEXT }, { faultString: 'MS_UNAVAILABLE', kind: 'transient' }] };
      p.resilience = { retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } };
    });
    assert.match(readFileSync(providerFile(), 'utf8'), /"sandbox": \{\s*"endpoint": "http:\/\/127\.0\.0\.1:\d+\/vat-check"/, 'the sandbox endpoint is the simulator, never the contract\'s address');

    const created = wasl(['service', 'new', SERVICE, '--provider', PROVIDER, '--name-ar', 'التحقق من رقم ضريبي', '--name-en', 'VAT number check']);
    assert.equal(created.status, 0, created.out);
    assert.match(created.out, /countryCode ← payload\.fields\.countryCode/);
    assert.match(created.out, /vatNumber ← payload\.fields\.vatNumber/);
    // The answer is a check, not a document: what it says becomes the order's typed result data.
    const definition = JSON.parse(readFileSync(join(dir, 'flows', SERVICE, 'service.json'), 'utf8')) as { result?: { schema: { properties: Record<string, unknown> } } };
    assert.deepEqual(Object.keys(definition.result?.schema.properties ?? {}), ['countryCode', 'vatNumber', 'requestDate', 'valid', 'name', 'address']);
    assert.match(created.out, /Scenarios: happy-path\.json, refused-invalid-vat-number\.json, temporary-ms-unavailable\.json/);
    const flowFile = join(dir, 'flows', SERVICE, 'flow.json');
    writeFileSync(flowFile, readFileSync(flowFile, 'utf8').replace(/ \/\* wasl:proposed: [^*]*\*\//g, ''));

    const r = wasl(['sandbox', 'test', SERVICE, '--report-dir', join(dir, 'report-1')], { WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /vat-number-check: 3\/3 passed, certified/);
    // Nothing recorded yet: every scenario ran against generated behaviour — faults shaped as the rules read them.
    assert.deepEqual(behaviour(), { 'happy-path.json': 'generated', 'refused-invalid-vat-number.json': 'generated', 'temporary-ms-unavailable.json': 'generated' });
  });

  it('real orders against the ministry: an invalid number ends rejected and refunded with the bilingual reason; a temporary fault is retried and the order completes', async () => {
    // This hub's provider node calls the ministry's own system instead of the simulator.
    editJson(join(dir, 'flows', 'shared.json'), (nodes: Array<Record<string, unknown>>) => {
      const node = nodes.find((n) => n.type === 'wasl-provider' && n.code === PROVIDER)!;
      node.environment = 'production';
    });
    standIn.attempts.clear();
    standIn.state.busyFor = 1;
    hub = spawn(process.execPath, [join(dir, 'bin', 'wasl.js'), 'start'], { cwd: dir, env: { ...cleanEnv(), PORT: '0', HOST: '127.0.0.1', WASL_LOG_LEVEL: 'info', WASL_DATA_DIR: join(dir, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await hubStartedAt(hub);
    const auth = { authorization: `Bearer ${readFileSync(join(dir, 'data', 'demo-channel-key'), 'utf8').trim()}` };
    const submit = async (key: string, vatNumber: string) => {
      const r = await request(`${url}/v1/orders`, {
        method: 'POST',
        headers: { ...auth, 'idempotency-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          service: SERVICE,
          centre: { code: 'DAM-01', governorate: 'damascus' },
          applicant: { nationalNumber: '01020304050', fullName: { ar: 'ريم خالد الأحمد' }, fatherName: 'خالد', motherName: 'سلمى', birthDate: '1990-04-12', phone: '+963944123456' },
          fields: { countryCode: 'DE', vatNumber },
          paymentMethod: 'e-payment',
          delivery: { method: 'counter' },
        }),
      });
      const body = (await r.body.json()) as { id: string };
      assert.equal(r.statusCode, 202, JSON.stringify(body));
      return body.id;
    };
    type Seen = { status: string; timeline: Array<{ status: string }>; results?: { data?: Record<string, unknown> }; rejection?: { reason: string; provider: string; message: { ar: string; en: string } } };
    const settled = async (id: string, status: string): Promise<Seen> => {
      let order: Seen | undefined;
      for (let i = 0; i < 300; i++) {
        const r = await request(`${url}/v1/orders/${id}`, { headers: auth });
        order = (await r.body.json()) as Seen;
        if (order.status === status) return order;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`order ${id} did not reach ${status}: ${JSON.stringify(order)}`);
    };

    const refused = await settled(await submit('vat-invalid', INVALID), 'refunded');
    assert.ok(refused.timeline.some((e) => e.status === 'rejected'), JSON.stringify(refused.timeline));
    assert.equal(refused.rejection?.reason, 'invalid-vat-number');
    assert.equal(refused.rejection?.provider, PROVIDER);
    assert.deepEqual(refused.rejection?.message, REFUSAL_TEXT, 'the rule\'s bilingual reason, for the citizen');
    assert.equal(standIn.attempts.get(INVALID), 1, 'a refusal is not retried');

    const completed = await settled(await submit('vat-busy', BUSY), 'ready-for-pickup');
    assert.equal(completed.rejection, undefined);
    assert.equal(completed.results?.data?.valid, true, 'the ministry\'s answer, typed, on the order');
    assert.match(String(completed.results?.data?.name), new RegExp(NAME));
    assert.equal(standIn.attempts.get(BUSY), 2, 'the temporary fault retried once, then answered');

    hub.kill('SIGTERM');
    await new Promise((r) => hub!.once('exit', r));
    editJson(join(dir, 'flows', 'shared.json'), (nodes: Array<Record<string, unknown>>) => {
      nodes.find((n) => n.type === 'wasl-provider' && n.code === PROVIDER)!.environment = '';
    });
  });

  it('records both from the ministry\'s test system, masked, and the sandbox reproduces both from the recordings', async () => {
    standIn.attempts.clear();
    standIn.state.busyFor = Infinity;
    const record = async (label: string, vatNumber: string) => {
      const r = await waslAsync(['provider', 'record', PROVIDER, '--env', 'test', '--operation', 'checkVat', '--input', '-', '--name', label, '--keep', 'countryCode'], JSON.stringify({ countryCode: 'DE', vatNumber }));
      assert.equal(r.status, 0, r.out);
      return (JSON.parse(r.stdout) as { input: { countryCode: string; vatNumber: string } }).input;
    };
    const invalid = await record('invalid', INVALID);
    await record('unavailable', BUSY);
    await record('valid', VALID);
    assert.equal(invalid.countryCode, 'DE', 'kept in clear as asked');
    assert.notEqual(invalid.vatNumber, INVALID, 'the citizen\'s number masked');

    // No citizen's value anywhere in the contract folder.
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const file of walk(join(dir, 'contracts', 'providers', PROVIDER))) {
      const text = readFileSync(file, 'utf8');
      for (const value of [INVALID, BUSY, VALID, NAME]) assert.ok(!text.includes(value), `${value} in ${file}`);
    }

    // The recorded refusal, asked for by its masked input as `record` printed it; the recorded outage, played once.
    const scenarios = join(dir, 'flows', SERVICE, 'scenarios');
    writeFileSync(
      join(scenarios, 'recorded-invalid-number.json'),
      JSON.stringify({
        $schema: '../../../contracts/scenario.schema.json',
        name: 'the number the ministry refused, as recorded: rejected, the fee refunded',
        order: { fields: invalid },
        payment: { mode: 'approve' },
        expect: { status: 'refunded', reason: 'invalid-vat-number', deadLettered: false },
      }),
    );
    writeFileSync(
      join(scenarios, 'recorded-unavailable-once.json'),
      JSON.stringify({
        $schema: '../../../contracts/scenario.schema.json',
        name: 'the ministry unavailable once, as recorded: retried, and the order completes',
        order: { delivery: { method: 'counter' } },
        payment: { mode: 'approve' },
        providers: { [PROVIDER]: { checkVat: { fault: { kind: 'soap-fault', code: 'MS_UNAVAILABLE', times: 1 } } } },
        expect: { status: 'ready-for-pickup', calls: { [PROVIDER]: { checkVat: 2 } }, deadLettered: false },
      }),
    );
    const r = wasl(['sandbox', 'test', SERVICE, '--report-dir', join(dir, 'report-2')], { WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /vat-number-check: 5\/5 passed, certified/);
    const played = behaviour();
    assert.equal(played['recorded-invalid-number.json'], 'recorded');
    assert.match(played['recorded-unavailable-once.json'] ?? '', /^(recorded|mixed)$/, 'the outage played from its recording');
    assert.equal(played['refused-invalid-vat-number.json'], 'recorded', 'the declared refusal now played as recorded');
  });
});

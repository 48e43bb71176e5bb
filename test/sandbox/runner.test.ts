/**
 * The sandbox runner (sandbox/runner/runner.ts) on a copy of the repository's flows: scenarios run
 * through the real hub (gateway over HTTP, store, bus, Node-RED flows, connectors) against the
 * simulators; each kind of injected fault reaches its outcome; a failing scenario says how it
 * differs; certification follows the run, a one-character change to the flow voids it, promotion
 * is refused then accepted after certifying again. And the CLI: progress, reports, exit codes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_PROVIDERS_ROOT } from '../../connectors/provider-files';
import { certificateReader, readCertificate, CertificationError } from '../../sandbox/certificate';
import { promote, type ServiceRoots } from '../../hub/lifecycle';
import type { RunReport, ScenarioResult } from '../../sandbox/runner/results';
import { runSandbox } from '../../sandbox/runner/runner';
import { loadScenarios } from '../../sandbox/runner/scenarios';
import { FLOWS_DIR } from '../helpers';

const VEHICLE = 'vehicle-ownership-statement';
const CIVIL = 'civil-registry-individual-extract';
const REPO = resolve(__dirname, '..', '..');
const CASH = { paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } };

/** Keeps only `keep` among a service's scenarios (a focused, quick run). */
function onlyScenarios(flows: string, service: string, keep: string[]): void {
  const dir = join(flows, service, 'scenarios');
  for (const f of readdirSync(dir)) if (!keep.includes(f)) unlinkSync(join(dir, f));
}

function copyFlows(): { dir: string; flows: string; roots: ServiceRoots } {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-runner-'));
  const flows = join(dir, 'flows');
  cpSync(FLOWS_DIR, flows, { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
  return { dir, flows, roots: { flowsDir: flows, providersRoot: DEFAULT_PROVIDERS_ROOT, base: dir } };
}

function scenario(flows: string, service: string, file: string, body: Record<string, unknown>): void {
  writeFileSync(join(flows, service, 'scenarios', `${file}.json`), JSON.stringify(body, null, 2));
}

const fault = (f: Record<string, unknown>) => ({ 'mot-vehicle-registry': { GetOwnershipStatement: { fault: f } } });
const byName = (r: RunReport, name: string): ScenarioResult => {
  const found = r.services.flatMap((s) => s.scenarios).find((s) => s.scenario === name);
  assert.ok(found, `scenario ${name} in the report`);
  return found;
};

describe('sandbox runner', function () {
  this.timeout(180_000);

  describe('scenarios through the hub against the simulators', () => {
    const { dir, flows, roots } = copyFlows();
    let report: RunReport;
    const seen: string[] = [];

    before(async () => {
      const ready = { status: 'ready-for-pickup', timeline: ['received', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup'], deadLettered: false };
      scenario(flows, VEHICLE, 'f-refusal', { name: 'refusal', order: CASH, providers: fault({ kind: 'http-error', status: 404, code: 'VEHICLE_NOT_FOUND' }), expect: { status: 'rejected', reason: 'vehicle-not-found', calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 1 } } } });
      scenario(flows, VEHICLE, 'f-503', { name: '503 once', order: CASH, providers: fault({ kind: 'http-error', status: 503, times: 1 }), expect: { ...ready, calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 2 } } } });
      scenario(flows, VEHICLE, 'f-timeout', { name: 'timeout once', order: CASH, providers: fault({ kind: 'timeout', times: 1 }), expect: { ...ready, calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 2 } } } });
      scenario(flows, VEHICLE, 'f-drip', { name: 'drip once', order: CASH, providers: fault({ kind: 'drip', times: 1 }), expect: { ...ready, calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 2 } } } });
      scenario(flows, VEHICLE, 'f-latency', { name: 'slow ministry', order: CASH, providers: { 'mot-vehicle-registry': { '*': { latencyMs: 400 } } }, expect: ready });
      scenario(flows, VEHICLE, 'f-malformed', { name: 'malformed answer', order: CASH, providers: fault({ kind: 'malformed' }), expect: { status: 'submitted-to-provider', deadLettered: 'attempts-exhausted', calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 1 } } } });
      scenario(flows, VEHICLE, 'f-hostile', { name: 'hostile answer', order: CASH, providers: fault({ kind: 'hostile' }), expect: { status: 'submitted-to-provider', deadLettered: 'attempts-exhausted' } });
      scenario(flows, VEHICLE, 'f-respond', {
        name: 'the ministry answers what the scenario says, the order carries it',
        order: { ...CASH, fields: { plateNumber: '445566', plateGovernorate: 'aleppo' } },
        providers: { 'mot-vehicle-registry': { GetOwnershipStatement: { respond: { statementNumber: 'VOS-2026-424242' } } } },
        expect: { ...ready, received: { 'mot-vehicle-registry': { GetOwnershipStatement: { path: { plate: '445566' }, query: { governorate: 'aleppo' } } } }, results: { providerReferences: [{ provider: 'mot-vehicle-registry', reference: 'VOS-2026-424242' }] } },
      });
      scenario(flows, VEHICLE, 'z-wrong', { name: 'expects the wrong thing', order: CASH, expect: { status: 'delivered', timeline: ['received', 'delivered'], calls: { 'mot-vehicle-registry': { GetOwnershipStatement: 3 } } } });
      report = await runSandbox({ flowsDir: flows, services: [VEHICLE, CIVIL], by: 'qa-test', onScenario: (r) => seen.push(`${r.service} › ${r.scenario}`) });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('each scenario is reported once, as it finishes', () => {
      const total = loadScenarios(VEHICLE, flows).length + loadScenarios(CIVIL, flows).length;
      assert.ok(total >= 13);
      assert.equal(report.scenarios, total);
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
    });

    for (const name of ['paid in cash at the centre, statement ready for pickup', 'the ministry is down for 3 s: the order waits submitted, then completes', 'refusal', '503 once', 'timeout once', 'drip once', 'slow ministry', 'malformed answer', 'hostile answer', 'the ministry answers what the scenario says, the order carries it']) {
      it(`${VEHICLE}: "${name}" reaches its expected outcome`, () => {
        const r = byName(report, name);
        assert.deepEqual(r.differences, []);
        assert.equal(r.error, undefined);
        assert.ok(r.passed);
        assert.ok(r.orderId);
      });
    }

    it(`${CIVIL} (SOAP, paid online, posted; a sealed record refunded) passes and is certified`, () => {
      const svc = report.services.find((s) => s.service === CIVIL)!;
      assert.equal(svc.scenarios.length, loadScenarios(CIVIL, flows).length);
      for (const s of svc.scenarios) assert.deepEqual([s.scenario, s.passed, s.differences], [s.scenario, true, []]);
      assert.ok(svc.certificate, svc.notCertified);
      assert.equal(readCertificate(CIVIL, roots)?.by, 'qa-test');
      assert.match(readFileSync(join(flows, CIVIL, 'service.json'), 'utf8'), /"lifecycle": "certified"/);
    });

    it('the report keeps the timeline and what each provider received and answered', () => {
      const r = byName(report, '503 once');
      assert.deepEqual(r.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup']);
      assert.deepEqual(r.exchanges.map((e) => [e.provider, e.operation, e.status]), [
        ['mot-vehicle-registry', 'GetOwnershipStatement', 503],
        ['mot-vehicle-registry', 'GetOwnershipStatement', 200],
      ]);
      const paid = byName(report, 'paid online, extract issued, delivered by domestic post');
      assert.deepEqual([...new Set(paid.exchanges.map((e) => `${e.provider}.${e.operation}`))].sort(), ['moi-civil-registry.IssueIndividualExtract', 'sy-epay.CreateInvoice', 'sy-post.CreateShipment']);
    });

    it('a failing scenario says how the run differed from what it expected; the service is not certified', () => {
      const r = byName(report, 'expects the wrong thing');
      assert.equal(r.passed, false);
      assert.deepEqual(r.differences.map((d) => d.what), ['status', 'timeline', 'calls.mot-vehicle-registry.GetOwnershipStatement']);
      assert.deepEqual(r.differences[0], { what: 'status', expected: 'delivered', actual: 'ready-for-pickup' });
      assert.deepEqual(r.differences[2], { what: 'calls.mot-vehicle-registry.GetOwnershipStatement', expected: 3, actual: 1 });
      const svc = report.services.find((s) => s.service === VEHICLE)!;
      assert.equal(svc.certificate, undefined);
      assert.equal(svc.notCertified, `1 of ${loadScenarios(VEHICLE, flows).length} scenarios failed`);
      assert.equal(existsSync(join(flows, VEHICLE, 'certificate.json')), false);
      assert.equal(report.failed, 1);
    });
  });

  describe('certification and promotion', () => {
    const { dir, flows, roots } = copyFlows();
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('certified by a passing run; a one-character change to the flow refuses promotion; certified again, promoted', async () => {
      onlyScenarios(flows, VEHICLE, ['cash-counter.json', 'std-electronic.json']);
      const first = await runSandbox({ flowsDir: flows, services: [VEHICLE], by: 'qa' });
      assert.equal(first.failed, 0);
      const digest = first.services[0]!.certificate?.digest;
      assert.ok(digest);

      const flowFile = join(flows, VEHICLE, 'flow.json');
      const text = readFileSync(flowFile, 'utf8');
      const i = text.indexOf('"name": "') + '"name": "'.length;
      writeFileSync(flowFile, `${text.slice(0, i)}X${text.slice(i + 1)}`);
      assert.throws(() => promote(VEHICLE, roots, 'ops', certificateReader), (err: CertificationError) => {
        assert.ok(err instanceof CertificationError);
        assert.deepEqual(err.changed, ['flows/vehicle-ownership-statement/flow.json']);
        assert.match(err.message, /changed since it was certified/);
        return true;
      });

      const second = await runSandbox({ flowsDir: flows, services: [VEHICLE], by: 'qa' });
      assert.equal(second.failed, 0);
      assert.notEqual(second.services[0]!.certificate?.digest, digest);
      const change = promote(VEHICLE, roots, 'ops', certificateReader);
      assert.equal(change.lifecycle, 'live');
      assert.match(readFileSync(join(flows, VEHICLE, 'service.json'), 'utf8'), /"lifecycle": "live"/);

      // Certified again on the same files, a live service stays live.
      const third = await runSandbox({ flowsDir: flows, services: [VEHICLE], by: 'qa' });
      assert.equal(third.services[0]!.certificate?.digest, second.services[0]!.certificate?.digest);
      assert.match(readFileSync(join(flows, VEHICLE, 'service.json'), 'utf8'), /"lifecycle": "live"/);
    });
  });

  describe('wasl sandbox test (CLI)', () => {
    const { dir, flows } = copyFlows();
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('prints progress and a summary, writes JUnit XML and HTML, exits 1 on a failure and 2 for an unknown service', () => {
      onlyScenarios(flows, VEHICLE, ['cash-counter.json']);
      scenario(flows, VEHICLE, 'z-wrong', { name: 'expects delivery', order: CASH, expect: { status: 'delivered' } });
      const reports = join(dir, 'reports');
      const env = { ...process.env, WASL_FLOWS_DIR: flows, WASL_LOG_LEVEL: 'silent' };
      const r = spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'sandbox', 'test', VEHICLE, '--report-dir', reports, '--no-certify'], { env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 1, r.stderr + r.stdout);
      assert.match(r.stdout, /running 2 scenarios/);
      assert.match(r.stdout, /✗ vehicle-ownership-statement › expects delivery\n {4}status: expected "delivered", got "ready-for-pickup"/);
      assert.match(r.stdout, /2 scenarios, 1 passed, 1 failed in [0-9.]+ s/);
      const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(reports, 'junit.xml'), 'utf8')) as { testsuites: { tests: string; failures: string } };
      assert.equal(junit.testsuites.tests, '2');
      assert.equal(junit.testsuites.failures, '1');
      assert.match(readFileSync(join(reports, 'report.html'), 'utf8'), /expects delivery/);

      const unknown = spawnSync(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'sandbox', 'test', 'no-such-service', '--report-dir', reports], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /no service no-such-service/);
    });

    it('--watch runs again when a scenario changes, until interrupted', async () => {
      const reports = join(dir, 'reports-watch');
      const env = { ...process.env, WASL_FLOWS_DIR: flows, WASL_LOG_LEVEL: 'silent' };
      const child = spawn(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'sandbox', 'test', VEHICLE, '--report-dir', reports, '--no-certify', '--watch'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const waitFor = async (re: RegExp, ms: number) => {
        const end = Date.now() + ms;
        while (!re.test(out)) {
          if (Date.now() > end || child.exitCode !== null) assert.fail(`no ${re} in: ${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        await waitFor(/watching flows\//, 60_000);
        assert.match(out, /2 scenarios, 1 passed, 1 failed/);
        scenario(flows, VEHICLE, 'z-wrong', { name: 'expects delivery', order: CASH, expect: { status: 'ready-for-pickup' } });
        await waitFor(/changed: running again[\s\S]*2 scenarios, 2 passed, 0 failed/, 60_000);
      } finally {
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      }
    });
  });
});

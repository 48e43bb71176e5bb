/**
 * Simulators from what the provider really does (issue 23, item 2): `wasl provider record`
 * records exchanges with a provider's real (test) system, masked, and the generated simulator
 * replays them — against a VAT-number-check-like SOAP 1.1 stand-in whose refusals and outages are
 * both soap:Server faults told apart only by their faultstring, and a small REST stand-in. The
 * citizens' values never reach the provider folder; the connector maps replayed faults through
 * the same rules as real ones; generated faults follow the declared rules, and a fault neither
 * declared nor recorded is a SIMULATOR error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnector } from '../../connectors';
import { BusinessRefusal, ProviderFault } from '../../connectors/errors';
import { importOpenApi } from '../../connectors/import/openapi';
import { importWsdl } from '../../connectors/import/wsdl';
import { writeProvider } from '../../connectors/import/write';
import { leavesOf, Masker, shapeLike } from '../../connectors/recording/mask';
import { recordingProblems } from '../../connectors/recording/record';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import type { Recording } from '../../contracts/types';
import { ScenarioScripts, startContractSimulator, type GeneratedSimulator } from '../../sandbox/generated';
import { withEchoedHeaders } from '../../sandbox/generated/soap';
import { faultShape, type FaultShape } from '../../sandbox/generated/recordings';
import { atPointer, matchRule, type FaultFacts } from '../../connectors/error-mapping';
import { parseXml, type XmlElement } from '../../connectors/xml/parse';
import type { ErrorMapping } from '../../contracts/types';
import { compare } from '../../sandbox/runner/runner';
import { certify, checkCertificate } from '../../sandbox/certificate';
import { junitXml } from '../../sandbox/runner/report';
import { cpSync, mkdirSync } from 'node:fs';
import releaseKeys from '../fixtures/release-keys.json';
import { scenarioBehaviour } from '../../sandbox/runner/results';
import { ADDRESS, BUSY, INVALID, NAME, NAME_AR, VALID, VAT_WSDL, vatStandIn } from '../fixtures/vat-stand-in';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wasl.js');

function wasl(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WASL_LOG_LEVEL: 'silent', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under dir, as text. */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    out += statSync(p).isDirectory() ? allText(p) : `${readFileSync(p, 'utf8')}\n`;
  }
  return out;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
const close = (server: http.Server) => new Promise<void>((r) => server.close(() => r()));

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...headers } }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
describe('recordings: masking', () => {
  it('keeps the shape: digits, Arabic and Latin letters, separators; dates stay dates', () => {
    for (let i = 0; i < 50; i++) {
      const s = shapeLike('AB-12 34/ص');
      assert.match(s, /^[A-Z]{2}-[1-9]\d \d{2}\/[\u0621-\u064A]$/);
      assert.match(shapeLike('2026-02-28T10:00:00Z'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.ok(!Number.isNaN(Date.parse(shapeLike('1990-05-17'))));
    }
  });

  it('the same original gets the same substitute everywhere: input, raw XML, raw JSON, texts', () => {
    const m = new Masker();
    m.add('123456789');
    m.add('Ahmad');
    const sub = m.text('123456789');
    assert.notEqual(sub, '123456789');
    assert.equal(m.text('VAT 123456789 unknown'), `VAT ${sub} unknown`);
    assert.equal(m.xml('<a x="123456789"><v>123456789</v><n>Ahmad</n></a>'), `<a x="${sub}"><v>${sub}</v><n>${m.text('Ahmad')}</n></a>`);
    assert.equal(m.json('{"123456789": 123456789, "v": "123456789"}'), `{"123456789": ${sub}, "v": "${sub}"}`, 'member names kept, numbers stay numbers');
    assert.deepEqual(m.value({ a: 123456789, b: ['Ahmad'] }), { a: Number(sub), b: [m.text('Ahmad')] });
  });

  it('a replayed envelope carries the request\'s SOAP header blocks (X-Road echoes them), in place of the recorded ones', () => {
    const b = '<x:id xmlns:x="urn:x">k-1</x:id>';
    assert.equal(withEchoedHeaders('<s:Envelope><s:Header/><s:Body/></s:Envelope>', b), `<s:Envelope><s:Header>${b}</s:Header><s:Body/></s:Envelope>`);
    assert.equal(withEchoedHeaders('<s:Envelope><s:Header><x:id>recorded</x:id></s:Header><s:Body/></s:Envelope>', b), `<s:Envelope><s:Header>${b}</s:Header><s:Body/></s:Envelope>`);
    assert.equal(withEchoedHeaders('<s:Envelope><s:Body/></s:Envelope>', b), `<s:Envelope><s:Header>${b}</s:Header><s:Body/></s:Envelope>`);
    assert.equal(withEchoedHeaders('<s:Envelope><s:Body/></s:Envelope>', ''), '<s:Envelope><s:Body/></s:Envelope>', 'no headers: byte for byte');
  });

  it('enumerated values are no personal data', () => {
    const schema = { type: 'object', properties: { kind: { $ref: '#/$defs/K' }, n: { type: 'string' } }, $defs: { K: { enum: ['a', 'b'] } } };
    assert.deepEqual(
      leavesOf({ kind: 'a', n: 'x' }, schema).map((l) => [l.pointer, l.enumerated]),
      [
        ['/kind', true],
        ['/n', false],
      ],
    );
  });
});

/** What the connector's fault reader makes of a generated fault of this shape (SOAP, or a REST JSON error body). */
function factsOf(shape: FaultShape, kind: 'soap' | 'rest'): FaultFacts {
  if (kind === 'rest') {
    const body: Record<string, unknown> = {};
    const set = (pointer: string, v: string) => {
      const parts = pointer.split('/').slice(1);
      let cur = body;
      for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
      cur[parts.at(-1)!] = v;
    };
    if (shape.errorCode !== undefined) set(shape.codePointer ?? '/code', shape.errorCode);
    set(shape.messagePointer ?? '/message', shape.text);
    assert.equal(atPointer(body, shape.messagePointer ?? '/message'), shape.text);
    return { status: shape.status ?? 422, body };
  }
  const inner = shape.detailPath ? shape.detailPath.steps.reduceRight((acc, step) => `<${step}>${acc}</${step}>`, shape.detailPath.value) : '';
  const detail = parseXml(`<detail>${shape.errorCode ? `<Fault><errorCode>${shape.errorCode}</errorCode></Fault>` : ''}${inner}</detail>`).children.filter((c): c is XmlElement => typeof c !== 'string');
  return { faultCode: shape.errorCode ?? shape.soapCode ?? 'Server', faultString: shape.text, status: shape.status ?? 500, detail };
}

describe('recordings: generated faults go through the declared rule', () => {
  const REPO = path.resolve(__dirname, '..', '..');
  it('for every rule of every catalogue provider, and rules on text, detail and patterns', () => {
    const cases: Array<{ provider: string; kind: 'soap' | 'rest'; rules: ErrorMapping }> = [];
    for (const code of readdirSync(path.join(REPO, 'contracts', 'providers'))) {
      const def = JSON.parse(readFileSync(path.join(REPO, 'contracts', 'providers', code, 'provider.json'), 'utf8')) as { kind: 'soap' | 'rest'; errors?: ErrorMapping };
      if (def.errors?.rules?.length) cases.push({ provider: code, kind: def.kind, rules: def.errors });
    }
    assert.ok(cases.length >= 8);
    cases.push({
      provider: 'vat-like',
      kind: 'soap',
      rules: {
        rules: [
          { faultCode: 'Server', faultStringPattern: '^INVALID_INPUT\\b', reason: 'invalid-vat-number' },
          { faultStringPattern: '^(SERVICE_UNAVAILABLE|MS_UNAVAILABLE)\\b', kind: 'transient' },
          { detailPath: 'ns2:ValidationError/Code', detailValue: 'E042', reason: 'e042' },
          { detailPath: 'Problem/Retry', detailPattern: '^PT[0-9]+M$', kind: 'transient' },
        ],
      },
    });
    cases.push({ provider: 'iban-like', kind: 'rest', rules: { rules: [{ status: 400, messagePointer: '/error/description', faultStringPattern: '^Invalid IBAN', reason: 'invalid-iban' }, { faultString: 'Account closed', reason: 'account-closed' }] } });
    for (const c of cases) {
      c.rules.rules!.forEach((rule, i) => {
        const code = rule.faultCode && !['Server', 'Client'].includes(rule.faultCode) ? rule.faultCode : (rule.reason ?? rule.faultString ?? rule.detailValue ?? (rule.detailPattern ? 'PT5M' : 'MS_UNAVAILABLE'));
        const shape = faultShape(c.rules, code);
        assert.ok(shape, `${c.provider} rules[${i}]: ${code}`);
        assert.equal(shape.rule, i, `${c.provider}: ${code} names rules[${i}]`);
        assert.equal(matchRule(c.rules, factsOf(shape, c.kind))?.index, i, `${c.provider} rules[${i}] (${code}): ${JSON.stringify(shape)}`);
      });
    }
    assert.equal(faultShape(cases[0]!.rules, 'NOT_DECLARED_ANYWHERE'), undefined);
  });
});

describe('recordings: record and replay a SOAP provider (VAT-number check stand-in)', function () {
  this.timeout(120_000);
  let root: string;
  let dataDir: string;
  let standIn: ReturnType<typeof vatStandIn>;
  let standInUrl: string;
  let sim: GeneratedSimulator;
  let scripts: ScenarioScripts;
  let restore: () => void;
  const printed: Record<string, { input: Record<string, unknown>; file: string }> = {};
  const recording = (label: string) => JSON.parse(readFileSync(path.join(root, 'vat-check', 'recordings', 'checkVat', `${label}.json`), 'utf8')) as Recording;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-rec-providers-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-rec-data-'));
    const src = path.join(root, 'src.wsdl');
    writeFileSync(src, VAT_WSDL);
    await writeProvider(root, 'vat-check', await importWsdl('vat-check', src));
    rmSync(src);
    standIn = vatStandIn();
    standInUrl = `${await listen(standIn.server)}/vat`;
    const pfile = path.join(root, 'vat-check', 'provider.json');
    const def = JSON.parse(readFileSync(pfile, 'utf8')) as Record<string, any>;
    // Its test system is the stand-in; its declared rules read the fault text only.
    def.environments.test = { endpoint: standInUrl };
    def.errors = {
      rules: [
        { faultString: 'INVALID_INPUT', reason: 'invalid-vat-number', message: { ar: 'رقم التعريف الضريبي غير صالح', en: 'The VAT number is not valid' } },
        { faultString: 'MS_UNAVAILABLE', kind: 'transient' },
        { faultString: 'VAT_BLOCKED', reason: 'vat-blocked' },
      ],
    };
    def.resilience = { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, circuitBreaker: { failureThreshold: 50 } };
    writeFileSync(pfile, JSON.stringify(def, null, 2));
  });

  after(async () => {
    restore?.();
    await sim?.close();
    await close(standIn.server);
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const record = async (label: string, vatNumber: string, extra: string[] = []) => {
    const input = path.join(dataDir, `${label}.json`);
    writeFileSync(input, JSON.stringify({ countryCode: 'DE', vatNumber }));
    const r = await wasl(['provider', 'record', 'vat-check', '--env', 'test', '--operation', 'checkVat', '--input', input, '--name', label, '--keep', 'countryCode', '--root', root, ...extra], { WASL_DATA_DIR: dataDir });
    rmSync(input);
    return r;
  };

  it('refuses --env sandbox: recording the simulator is pointless', async () => {
    const r = await wasl(['provider', 'record', 'vat-check', '--env', 'sandbox', '--operation', 'checkVat', '--input', '-', '--root', root], { WASL_DATA_DIR: dataDir });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not sandbox/);
  });

  it('records from the provider\'s own test system only: a provider without environments.test is refused, its sandbox simulator never called', async () => {
    const pfile = path.join(root, 'vat-check', 'provider.json');
    const before = readFileSync(pfile, 'utf8');
    const def = JSON.parse(before) as Record<string, any>;
    delete def.environments.test;
    writeFileSync(pfile, JSON.stringify(def, null, 2));
    try {
      const r = await record('no-test-env', VALID);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /has no test environment in provider\.json: add environments\.test\.endpoint/);
      assert.equal(existsSync(path.join(root, 'vat-check', 'recordings', 'checkVat', 'no-test-env.json')), false);
    } finally {
      writeFileSync(pfile, before);
    }
  });

  it('records the valid answer, the refusal and the transient fault as on the wire, with the rule that matched', async () => {
    for (const [label, vat, extra] of [
      ['valid', VALID, []],
      ['invalid', INVALID, []],
      ['unavailable', BUSY, []],
      ['by-number', VALID, ['--match', 'vatNumber']],
    ] as const) {
      const r = await record(label, vat, [...extra]);
      assert.equal(r.status, 0, r.stderr);
      for (const secret of [VALID, INVALID, BUSY, NAME, NAME_AR, ADDRESS, 'Ahmad', 'Haddad', 'حداد']) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${label}: ${secret} printed`);
      }
      const out = JSON.parse(r.stdout) as { input: Record<string, unknown>; file: string; label: string };
      assert.equal(out.label, label);
      assert.equal(out.input.countryCode, 'DE', 'kept in clear (--keep)');
      printed[label] = out;
    }
    const valid = recording('valid');
    assert.deepEqual(recordingProblems(valid), []);
    assert.equal(valid.outcome, 'answer');
    assert.equal(valid.environment, 'test');
    assert.equal(valid.response.status, 200);
    assert.match(valid.response.contentType!, /^text\/xml/);
    assert.deepEqual(valid.match, ['/countryCode', '/vatNumber']);
    const masked = printed.valid!.input.vatNumber as string;
    assert.match(masked, /^[1-9]\d{8}$/, 'nine digits, another number');
    assert.notEqual(masked, VALID);
    // The same substitute everywhere: input, request, raw answer, decoded output.
    assert.ok(valid.request.body!.includes(`>${masked}<`));
    assert.ok(valid.response.body.includes(`<t:vatNumber>${masked}</t:vatNumber>`));
    assert.equal((valid.output as Record<string, unknown>).vatNumber, masked);
    const name = (valid.output as Record<string, string>).name!;
    assert.match(name, /^[A-Za-z]{5} [A-Za-z]{6} \/ [\u0621-\u064A]{4} [\u0621-\u064A]{4}$/, 'Latin by Latin, Arabic by Arabic, separators kept');
    assert.ok(valid.response.body.includes(`<t:name>${name}</t:name>`));
    assert.ok(valid.response.body.includes('<t:valid>true</t:valid>'), 'booleans are no personal data');

    const invalid = recording('invalid');
    assert.equal(invalid.outcome, 'fault');
    assert.equal(invalid.response.status, 500);
    assert.deepEqual(invalid.fault, { error: 'business-refusal', faultCode: 'Server', text: 'INVALID_INPUT', transient: false, reason: 'invalid-vat-number', kind: 'refusal', rule: 0 });
    assert.ok(invalid.response.body.includes('<faultstring>INVALID_INPUT</faultstring>'), 'the fault text is not from the input: kept');
    const busy = recording('unavailable');
    assert.deepEqual(busy.fault, { error: 'provider-fault', faultCode: 'Server', text: 'MS_UNAVAILABLE', status: 500, transient: true, kind: 'transient', rule: 1 });
    assert.equal(busy.attempts, 3);
    const byNumber = recording('by-number');
    assert.deepEqual(byNumber.match, ['/vatNumber']);
    assert.notEqual(printed['by-number']!.input.vatNumber, masked, 'each recording masks on its own');
  });

  it('no citizen value anywhere in the provider folder', () => {
    const all = allText(path.join(root, 'vat-check'));
    for (const secret of [VALID, INVALID, BUSY, NAME, NAME_AR, ADDRESS, 'Ahmad', 'Haddad', 'حداد', 'Baghdad']) assert.ok(!all.includes(secret), secret);
  });

  describe('the generated simulator replays', () => {
    const connector = () => createConnector('vat-check', 'sandbox', { providersRoot: root });
    before(async () => {
      scripts = new ScenarioScripts(0);
      sim = await startContractSimulator('vat-check', { port: 0, providersRoot: root, scripts });
      restore = overrideSandbox({ endpoints: { 'vat-check': sim.url } });
    });

    it('the recorded answer, byte for byte, for the masked input; marked recorded', async () => {
      const valid = recording('valid');
      const raw = await post(sim.url, valid.request.body!);
      assert.equal(raw.status, 200);
      assert.equal(raw.contentType, valid.response.contentType);
      assert.equal(raw.body, valid.response.body);
      const r = await connector().call('checkVat', printed.valid!.input, { idempotencyKey: 'ord-r1:vat' });
      assert.deepEqual(r.output, valid.output);
      const rec = sim.requests.at(-1)!;
      assert.equal(rec.behaviour, 'recorded');
      assert.equal(rec.recording, 'checkVat/valid');
      assert.equal(rec.outcome, 'ok');
    });

    it('the recorded refusal: the connector maps it through the faultString rule', async () => {
      await assert.rejects(connector().call('checkVat', printed.invalid!.input, { idempotencyKey: 'ord-r2:vat' }), (e: unknown) => {
        assert.ok(e instanceof BusinessRefusal, String(e));
        assert.equal(e.reason, 'invalid-vat-number');
        assert.equal(e.rule?.index, 0);
        return true;
      });
      assert.equal(sim.requests.at(-1)!.behaviour, 'recorded');
    });

    it('the recorded transient fault: transient, retried', async () => {
      const before = sim.requests.length;
      await assert.rejects(connector().call('checkVat', printed.unavailable!.input, { idempotencyKey: 'ord-r3:vat' }), (e: unknown) => {
        assert.ok(e instanceof ProviderFault, String(e));
        assert.equal(e.transient, true);
        assert.equal(e.rule?.kind, 'transient');
        assert.equal(e.attempt, 3);
        return true;
      });
      const seen = sim.requests.slice(before);
      assert.equal(seen.length, 3);
      assert.ok(seen.every((r) => r.behaviour === 'recorded' && r.recording === 'checkVat/unavailable'));
    });

    it('--match: only the fields named must be equal', async () => {
      const r = await connector().call('checkVat', { ...printed['by-number']!.input, countryCode: 'FR' }, { idempotencyKey: 'ord-r9:vat' });
      assert.deepEqual(r.output, recording('by-number').output);
      assert.equal(sim.requests.at(-1)!.recording, 'checkVat/by-number');
    });

    it('other inputs: a generated answer, marked generated', async () => {
      const r = await connector().call('checkVat', { countryCode: 'DE', vatNumber: '111222333' }, { idempotencyKey: 'ord-r4:vat' });
      assert.equal((r.output as Record<string, unknown>).vatNumber, '111222333');
      assert.equal(sim.requests.at(-1)!.behaviour, 'generated');
      assert.equal(sim.requests.at(-1)!.recording, undefined);
    });

    it('a scenario asking for a recorded fault by its reason gets the recorded fault', async () => {
      scripts.set('ord-r5', { providers: { 'vat-check': { checkVat: { fault: { kind: 'soap-fault', code: 'invalid-vat-number' } } } } });
      await assert.rejects(connector().call('checkVat', { countryCode: 'DE', vatNumber: '111222333' }, { idempotencyKey: 'ord-r5:vat' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'invalid-vat-number');
      assert.equal(sim.requests.at(-1)!.recording, 'checkVat/invalid');
    });

    it('a generated fault for a faultString rule carries the text in faultstring, not in faultcode', async () => {
      assert.deepEqual(faultShape({ rules: [{ faultString: 'VAT_BLOCKED', reason: 'vat-blocked' }] }, 'vat-blocked'), { text: 'VAT_BLOCKED', rule: 0 });
      scripts.set('ord-r6', { providers: { 'vat-check': { checkVat: { fault: { kind: 'soap-fault', code: 'vat-blocked' } } } } });
      const env = (key: string) =>
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="urn:wasl:test:vat:types"><soap:Header/><soap:Body><t:checkVat><t:countryCode>DE</t:countryCode><t:vatNumber>444555666</t:vatNumber></t:checkVat></soap:Body></soap:Envelope>' +
        key;
      const raw = await post(sim.url, env(""), { "idempotency-key": "ord-r6:vat" });
      assert.equal(raw.status, 500);
      assert.match(raw.body, /<faultcode>soap:Server<\/faultcode>/);
      assert.match(raw.body, /<faultstring>VAT_BLOCKED<\/faultstring>/);
      scripts.set('ord-r7', { providers: { 'vat-check': { checkVat: { fault: { kind: 'soap-fault', code: 'vat-blocked' } } } } });
      await assert.rejects(connector().call('checkVat', { countryCode: 'DE', vatNumber: '444555666' }, { idempotencyKey: 'ord-r7:vat' }), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'vat-blocked' && e.rule?.index === 2);
      assert.equal(sim.requests.at(-1)!.behaviour, 'generated');
    });

    it('a fault neither declared nor recorded: an explicit SIMULATOR error, and the scenario fails', async () => {
      scripts.set('ord-r8', { providers: { 'vat-check': { checkVat: { fault: { kind: 'soap-fault', code: 'NOT_DECLARED' } } } } });
      await assert.rejects(connector().call('checkVat', { countryCode: 'DE', vatNumber: '444555666' }, { idempotencyKey: 'ord-r8:vat' }), (e: unknown) => {
        assert.ok(e instanceof ProviderFault, String(e));
        assert.match(e.providerMessage ?? '', /^SIMULATOR: the fault NOT_DECLARED is neither declared in vat-check's errors\.rules nor recorded/);
        return true;
      });
      const r = sim.requests.at(-1)!;
      assert.equal(r.outcome, 'SIMULATOR_FAULT_UNDECLARED');
      const diffs = compare({ status: "delivered" }, { status: "delivered", timeline: [] } as never, [{ provider: 'vat-check', operation: 'checkVat', at: r.at, method: 'POST', path: r.path, input: r.input, outcome: r.outcome, repeated: false, violations: r.violations! }], []);
      assert.equal(diffs.length, 1);
      assert.match(JSON.stringify(diffs[0]!.actual), /neither declared/);
    });

    it('a scenario ran against recorded, generated or mixed behaviour', () => {
      const ex = (behaviour?: 'recorded' | 'generated') => ({ provider: 'p', at: '', method: 'POST', path: '/', input: {}, outcome: 'ok', repeated: false, ...(behaviour ? { behaviour } : {}) });
      assert.equal(scenarioBehaviour([ex('recorded'), ex('recorded')]), 'recorded');
      assert.equal(scenarioBehaviour([ex('generated'), ex()]), 'generated');
      assert.equal(scenarioBehaviour([ex('recorded'), ex('generated')]), 'mixed');
      assert.equal(scenarioBehaviour([]), 'generated');
      assert.equal(scenarioBehaviour([ex('recorded'), ex()]), 'recorded', 'wasl\'s own payment and postal simulators say nothing of the ministry');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A REST stand-in: GET /persons/{nationalNumber}, 404 with a code and a message naming the number.

const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Persons', version: '1.0' },
  servers: [{ url: 'http://127.0.0.1:1/reg/v1' }],
  paths: {
    '/persons/{nationalNumber}': {
      get: {
        operationId: 'GetPerson',
        parameters: [{ name: 'nationalNumber', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{11}$' } }],
        responses: {
          '200': {
            description: 'the person',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['nationalNumber', 'fullName', 'birthDate', 'gender'],
                  properties: { nationalNumber: { type: 'string' }, fullName: { type: 'string' }, birthDate: { type: 'string', format: 'date' }, gender: { type: 'string', enum: ['male', 'female'] }, children: { type: 'integer' } },
                },
              },
            },
          },
          '404': { description: 'no such person', content: { 'application/json': { schema: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } },
        },
      },
    },
  },
};

const NN = '01234567890';
const NN_MISSING = '09900000001';
const FULL_NAME = 'فاطمة الزهراء';

describe('recordings: record and replay a REST provider', function () {
  this.timeout(120_000);
  let root: string;
  let dataDir: string;
  let server: http.Server;
  let sim: GeneratedSimulator;
  let restore: () => void;
  const printed: Record<string, { input: { path: { nationalNumber: string } } }> = {};

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-rec-rest-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-rec-rest-data-'));
    server = http.createServer((req, res) => {
      const nn = decodeURIComponent(req.url!.split('/').pop()!);
      if (nn === NN_MISSING) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'PERSON_NOT_FOUND', message: `no person ${nn}` }));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(`{\n  "nationalNumber": "${nn}",\n  "fullName": "${FULL_NAME}",\n  "birthDate": "1990-05-17",\n  "gender": "female",\n  "children": 3\n}`);
    });
    const base = await listen(server);
    const src = path.join(root, 'src.json');
    writeFileSync(src, JSON.stringify(OPENAPI));
    await writeProvider(root, 'persons', await importOpenApi('persons', src));
    rmSync(src);
    const pfile = path.join(root, 'persons', 'provider.json');
    const def = JSON.parse(readFileSync(pfile, 'utf8')) as Record<string, any>;
    def.environments.test = { endpoint: `${base}/reg/v1` };
    def.errors = { rules: [{ status: 404, faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' }] };
    writeFileSync(pfile, JSON.stringify(def, null, 2));
  });

  after(async () => {
    restore?.();
    await sim?.close();
    await close(server);
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records an answer and a 404 refusal, masked', async () => {
    for (const [label, nn] of [
      ['found', NN],
      ['missing', NN_MISSING],
    ] as const) {
      const input = path.join(dataDir, `${label}.json`);
      writeFileSync(input, JSON.stringify({ path: { nationalNumber: nn } }));
      const r = await wasl(['provider', 'record', 'persons', '--env', 'test', '--operation', 'GetPerson', '--input', input, '--name', label, '--root', root], { WASL_DATA_DIR: dataDir });
      assert.equal(r.status, 0, r.stderr);
      printed[label] = JSON.parse(r.stdout);
    }
    const all = allText(path.join(root, 'persons'));
    for (const secret of [NN, NN_MISSING, FULL_NAME, "فاطمة", "1990-05-17"]) assert.ok(!all.includes(secret), `${secret} in ${all.slice(Math.max(0, all.indexOf(secret) - 300), all.indexOf(secret) + 100)}`);
    const found = JSON.parse(readFileSync(path.join(root, 'persons', 'recordings', 'GetPerson', 'found.json'), 'utf8')) as Recording;
    const nn = printed.found!.input.path.nationalNumber;
    assert.match(nn, /^0\d{10}$/);
    assert.equal(found.request.path, `/reg/v1/persons/${nn}`);
    assert.equal(found.response.contentType, 'application/json; charset=utf-8');
    const body = JSON.parse(found.response.body) as Record<string, unknown>;
    assert.equal(body.nationalNumber, nn);
    assert.equal(body.gender, 'female', 'an enumerated value is kept');
    assert.match(String(body.fullName), /^[\u0621-\u064A]{5} [\u0621-\u064A]{7}$/);
    assert.match(found.response.body, /^\{\n {2}"nationalNumber"/, 'the layout as received');
    const missing = JSON.parse(readFileSync(path.join(root, 'persons', 'recordings', 'GetPerson', 'missing.json'), 'utf8')) as Recording;
    assert.equal(missing.response.status, 404);
    assert.equal(missing.fault?.reason, 'person-not-found');
    assert.equal(JSON.parse(missing.response.body).message, `no person ${printed.missing!.input.path.nationalNumber}`, 'the number in the text masked like everywhere else');
  });

  it('the simulator replays them; other inputs are generated', async () => {
    sim = await startContractSimulator('persons', { port: 0, providersRoot: root });
    restore = overrideSandbox({ endpoints: { persons: sim.url } });
    const found = JSON.parse(readFileSync(path.join(root, 'persons', 'recordings', 'GetPerson', 'found.json'), 'utf8')) as Recording;
    const raw = await fetch(`${sim.url}/persons/${printed.found!.input.path.nationalNumber}`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('content-type'), found.response.contentType);
    assert.equal(await raw.text(), found.response.body);
    const c = createConnector('persons', 'sandbox', { providersRoot: root });
    assert.deepEqual((await c.call('GetPerson', printed.found!.input)).output, found.output);
    assert.equal(sim.requests.at(-1)!.behaviour, 'recorded');
    await assert.rejects(c.call('GetPerson', printed.missing!.input), (e: unknown) => e instanceof BusinessRefusal && e.reason === 'person-not-found');
    assert.equal(sim.requests.at(-1)!.recording, 'GetPerson/missing');
    await c.call('GetPerson', { path: { nationalNumber: '05555555555' } });
    assert.equal(sim.requests.at(-1)!.behaviour, 'generated');
  });
});

describe('recordings: provenance in the report and the certificate', () => {
  const REPO = path.resolve(__dirname, '..', '..');
  const CODE = 'civil-registry-individual-extract';
  let root: string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-rec-cert-'));
    cpSync(path.join(REPO, 'flows', CODE), path.join(root, 'flows', CODE), { recursive: true, filter: (src) => !/(certificate|lifecycle)\.json$/.test(src) });
    cpSync(path.join(REPO, 'flows', 'shared.json'), path.join(root, 'flows', 'shared.json'));
    for (const p of ['moi-civil-registry', 'sy-epay', 'intl-pay', 'sy-post']) cpSync(path.join(REPO, 'contracts', 'providers', p), path.join(root, 'contracts', 'providers', p), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the certificate says per scenario what it ran against, signed with the rest; a new recording voids it', () => {
    const roots = { flowsDir: path.join(root, 'flows'), providersRoot: path.join(root, 'contracts', 'providers'), base: root };
    const behaviour = { [`flows/${CODE}/scenarios/a.json`]: 'recorded', [`flows/${CODE}/scenarios/b.json`]: 'mixed' } as const;
    const cert = certify(CODE, { scenarios: 2, passed: 2, failed: 0, durationMs: 10, behaviour }, roots, 'qa', { signingKey: releaseKeys.signingKey });
    assert.deepEqual(cert.report.behaviour, behaviour);
    const trust = { publicKeys: [releaseKeys.publicKey] };
    assert.equal(checkCertificate(CODE, roots, trust), undefined);
    // The behaviour is signed: changing it breaks the signature.
    const file = path.join(roots.flowsDir, CODE, 'certificate.json');
    const edited = JSON.parse(readFileSync(file, 'utf8'));
    edited.report.behaviour[`flows/${CODE}/scenarios/b.json`] = 'recorded';
    writeFileSync(file, JSON.stringify(edited));
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /does not match its signature/);
    certify(CODE, { scenarios: 2, passed: 2, failed: 0, durationMs: 10, behaviour }, roots, 'qa', { signingKey: releaseKeys.signingKey });
    // What the simulator replays is part of what the service was tested against.
    mkdirSync(path.join(roots.providersRoot, 'moi-civil-registry', 'recordings', 'GetPerson'), { recursive: true });
    writeFileSync(path.join(roots.providersRoot, 'moi-civil-registry', 'recordings', 'GetPerson', 'x.json'), '{}');
    assert.match(checkCertificate(CODE, roots, trust)?.message ?? '', /contracts\/providers\/moi-civil-registry\/recordings\/GetPerson\/x\.json added/);
  });

  it('the JUnit report says it per scenario', () => {
    const xml = junitXml({
      startedAt: '2026-12-06T00:00:00Z',
      durationMs: 1,
      scenarios: 1,
      passed: 1,
      failed: 0,
      services: [
        {
          service: 's',
          names: { ar: 'س', en: 's' },
          scenarios: [{ service: 's', scenario: 'x', file: 'f', passed: true, durationMs: 1, timeline: [], differences: [], behaviour: 'mixed', exchanges: [{ provider: 'p', operation: 'op', at: '', method: 'POST', path: '/', input: {}, outcome: 'ok', repeated: false, behaviour: 'recorded', recording: 'op/found' }] }],
        },
      ],
    });
    assert.match(xml, /behaviour: mixed \(p op\/found\)/);
  });
});

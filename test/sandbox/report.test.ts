/** Reports of a sandbox run (sandbox/runner/report.ts): JUnit XML, HTML, files on disk, console lines. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { htmlReport, junitXml, summaryLines, writeReports } from '../../sandbox/runner/report';
import type { RunReport, ScenarioResult } from '../../sandbox/runner/results';
import type { TimelineEvent } from '../../contracts/types';

const NASTY = 'رفض <script>alert(1)</script> "quotes" & ampersands \'too\'';
const CIVIL = 'civil-registry-individual-extract';
const VEHICLE = 'vehicle-ownership-certificate';

const timeline: TimelineEvent[] = [
  { seq: 1, at: '2025-03-01T10:00:00.000Z', event: 'order.received', status: 'received', actor: { kind: 'channel', id: 'counter-damascus' } },
  { seq: 2, at: '2025-03-01T10:00:01.000Z', event: 'payment.requested', from: 'received', status: 'awaiting-payment', actor: { kind: 'system', id: 'flow' } },
  { seq: 3, at: '2025-03-01T10:00:02.000Z', event: 'order.failed', from: 'awaiting-payment', status: 'failed', actor: { kind: 'provider', id: 'sy-epay' }, reason: { code: 'payment-declined', message: { en: 'card <declined>', ar: 'البطاقة مرفوضة' } } },
];

function scenario(over: Partial<ScenarioResult> & Pick<ScenarioResult, 'service' | 'scenario'>): ScenarioResult {
  return { file: `flows/${over.service}/scenarios/x.json`, passed: true, durationMs: 1234, timeline: [], exchanges: [], differences: [], ...over };
}

function fixture(): RunReport {
  const passing = scenario({ service: CIVIL, scenario: 'المسار السعيد happy path', file: `flows/${CIVIL}/scenarios/happy-path.json`, orderId: 'ord-1', status: 'delivered', durationMs: 812 });
  const failing = scenario({
    service: CIVIL,
    scenario: NASTY,
    file: `flows/${CIVIL}/scenarios/declined.json`,
    passed: false,
    durationMs: 2047,
    orderId: 'ord-2',
    status: 'failed',
    timeline,
    differences: [
      { what: 'status', expected: 'rejected', actual: 'failed' },
      { what: 'calls.sy-epay.Charge', expected: 1, actual: 2 },
    ],
    exchanges: [
      {
        provider: 'sy-epay',
        operation: 'Charge',
        at: '2025-03-01T10:00:01.500Z',
        method: 'POST',
        path: '/payments',
        idempotencyKey: 'ord-2:charge',
        input: { amount: 5000, currency: 'SYP', payer: 'محمد <b>' },
        outcome: 'fault:declined',
        status: 402,
        response: { error: 'declined', detail: 'x & y' },
        violations: ['/amount: must be integer'],
        repeated: false,
      },
    ],
  });
  const errored = scenario({ service: VEHICLE, scenario: 'no simulator', passed: false, durationMs: 5, error: 'no simulator for provider mot-vehicle-registry\nsecond line' });
  return {
    startedAt: '2025-03-01T10:00:00.000Z',
    durationMs: 4321,
    scenarios: 3,
    passed: 1,
    failed: 2,
    services: [
      { service: CIVIL, names: { en: 'Individual civil registry extract', ar: 'إخراج قيد فردي' }, scenarios: [passing, failing], notCertified: 'a scenario failed' },
      // Certified despite the error only so that both certification outcomes get rendered.
      { service: VEHICLE, names: { en: 'Vehicle ownership certificate', ar: 'شهادة ملكية مركبة' }, scenarios: [errored], certificate: { digest: 'abcdef0123456789abcdef', certifiedAt: '2025-03-01T10:05:00.000Z' } },
    ],
  };
}

interface Case {
  name: string;
  classname: string;
  failure?: { message: string; type: string; '#text': string };
  error?: { message: string };
  'system-out': string;
}
interface Suite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  testcase: Case[];
}
interface Parsed {
  testsuites: { name: string; tests: string; failures: string; errors: string; testsuite: Suite[] };
}

function parse(xml: string): Parsed {
  assert.equal(XMLValidator.validate(xml), true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => name === 'testsuite' || name === 'testcase',
  });
  return parser.parse(xml) as Parsed;
}

describe('sandbox: run reports', () => {
  it('writes well-formed JUnit XML with the counts, names and differences', () => {
    const xml = junitXml(fixture());
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    const { testsuites } = parse(xml);
    assert.equal(testsuites.name, 'wasl sandbox');
    assert.deepEqual([testsuites.tests, testsuites.failures, testsuites.errors], ['3', '1', '1']);

    const [civil, vehicle] = testsuites.testsuite;
    assert.ok(civil && vehicle);
    assert.equal(civil.name, CIVIL);
    assert.deepEqual([civil.tests, civil.failures, civil.errors], ['2', '1', '0']);
    assert.deepEqual([vehicle.tests, vehicle.failures, vehicle.errors], ['1', '0', '1']);

    assert.deepEqual(civil.testcase.map((c) => c.name), ['المسار السعيد happy path', NASTY]);
    assert.ok(civil.testcase.every((c) => c.classname === CIVIL));
    const failed = civil.testcase[1];
    assert.equal(failed?.failure?.type, 'expectation');
    assert.match(failed?.failure?.message ?? '', /^status: expected "rejected", got "failed"/);
    assert.deepEqual(failed?.failure?.['#text'].split('\n'), ['status: expected "rejected", got "failed"', 'calls.sy-epay.Charge: expected 1, got 2']);
    assert.match(failed?.['system-out'] ?? '', /ord-2/);
    assert.match(failed?.['system-out'] ?? '', /received → awaiting-payment → failed/);
    assert.equal(civil.testcase[0]?.failure, undefined);

    assert.match(vehicle.testcase[0]?.error?.message ?? '', /^no simulator for provider mot-vehicle-registry$/);
    assert.match(xml, /<testcase [^>]*time="0\.005"/);
  });

  it('strips characters XML 1.0 cannot carry instead of breaking the document', () => {
    const report = fixture();
    const first = report.services[0]?.scenarios[0];
    assert.ok(first);
    first.scenario = 'bell\u0001 and nul\u0000 and lone \uD800 but 🙂 stays';
    first.differences = [{ what: 'x\u001F', expected: '\u0002', actual: null }];
    first.passed = false;
    const xml = junitXml(report);
    assert.doesNotMatch(xml, /[\x00-\x08\x0B\x0C\x0E-\x1F]/);
    const name = parse(xml).testsuites.testsuite[0]?.testcase[0]?.name;
    assert.equal(name, 'bell and nul and lone  but 🙂 stays');
  });

  it('renders an escaped, self-contained HTML page that marks failures', () => {
    const page = htmlReport(fixture());
    assert.match(page, /<html lang="en">/);
    assert.match(page, /<meta charset="utf-8">/);
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /\b(src|href)=/);
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot; &amp; ampersands &#39;too&#39;'));
    assert.match(page, /<span dir="rtl" lang="ar">إخراج قيد فردي<\/span>/);

    // Differences: expected and actual values, JSON-rendered.
    assert.match(page, /<td>status<\/td><td class="expected"><pre>&quot;rejected&quot;<\/pre><\/td><td class="actual"><pre>&quot;failed&quot;<\/pre><\/td>/);
    assert.match(page, /<td>calls\.sy-epay\.Charge<\/td><td class="expected"><pre>1<\/pre><\/td><td class="actual"><pre>2<\/pre><\/td>/);

    // The failing scenario is open, marked, and listed before the passing one.
    const failing = page.indexOf('<details class="scenario fail" open>');
    const passing = page.indexOf('<details class="scenario pass">');
    assert.ok(failing >= 0 && passing >= 0 && failing < passing);
    assert.match(page, /<span class="badge fail">FAIL<\/span>/);

    // Timeline, exchanges and certification.
    assert.ok(page.includes('payment-declined <span class="muted">card &lt;declined&gt; · <span dir="rtl" lang="ar">البطاقة مرفوضة</span></span>'));
    assert.match(page, /POST \/payments/);
    assert.ok(page.includes('&quot;payer&quot;: &quot;محمد &lt;b&gt;&quot;'));
    assert.ok(page.includes('/amount: must be integer'));
    assert.match(page, /digest <code>abcdef012345<\/code>/);
    assert.match(page, /Not certified: a scenario failed/);
    assert.match(page, /no simulator for provider mot-vehicle-registry/);
  });

  it('writes both files into a fresh directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'wasl-report-'));
    try {
      const report = fixture();
      const dir = join(root, 'nested', 'reports');
      const paths = writeReports(report, dir);
      assert.equal(paths.junit, join(dir, 'junit.xml'));
      assert.equal(paths.html, join(dir, 'report.html'));
      assert.equal(readFileSync(paths.junit, 'utf8'), junitXml(report));
      assert.equal(readFileSync(paths.html, 'utf8'), htmlReport(report));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('summarises the run for the terminal', () => {
    const lines = summaryLines(fixture());
    assert.deepEqual(lines, [
      `✗ ${CIVIL} › ${NASTY}`,
      '    status: expected "rejected", got "failed"',
      '    calls.sy-epay.Charge: expected 1, got 2',
      `✗ ${VEHICLE} › no simulator`,
      '    no simulator for provider mot-vehicle-registry',
      '    second line',
      `${CIVIL}: 1/2 passed, not certified: a scenario failed`,
      `${VEHICLE}: 0/1 passed, certified abcdef012345`,
      '3 scenarios, 1 passed, 2 failed in 4.32 s',
    ]);
    assert.ok(lines.every((l) => !l.includes('\x1b')));
  });
});

/**
 * No citizen's data appears in clear in any log line written during the whole test run.
 *
 * Why a run-wide check: hub/log.ts censors members named like personal data, but a message
 * string, an error text or a member with an unexpected name is not censored, and each test only
 * looks at the lines it cares about. Here every line any logger of the mocha process writes — and
 * every hub log line a child process prints where a test captures it — is collected
 * (log-collector.ts) and, once every suite has run (a root-level `after`, which mocha runs after
 * all the suites of every file), scanned for the seed citizens' national numbers, phones and
 * Arabic and Latin names and for the tests' citizen (test/helpers.ts CITIZEN). A finding fails
 * the run naming the logger and the test, with the data masked.
 *
 * Not vacuous: the scanner is shown to catch what it looks for (unit controls); deliberate leaks
 * through a real logger on a LogSink, one on a file descriptor and a child process are shown to be
 * caught by the collector (end-to-end controls, kept out of the verdict by their marker); a hub is
 * driven with the citizen's data through success and failure paths; and the final hook checks its
 * taps are still live and that a whole-suite run gave it more than a thousand lines.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pino from 'pino';
import type { Order } from '../../contracts/types';
import { createLogger } from '../../hub/log';
import { hashPassword } from '../../hub/operators';
import { citizens } from '../../sandbox/data/citizens';
import { auth, CITIZEN, KEYS, LogSink, newKey, testHub, validRequest } from '../helpers';
import { logCollector, mask, maskLine, PiiScanner, knownPeople } from './log-collector';

const collector = logCollector();
const REPO = resolve(__dirname, '..', '..');
/** Lines a whole-suite run must have given the scan, for it to mean something. */
const FULL_SUITE_MIN_LINES = 1000;

// Root-level hooks: they apply to every test of every file in the run.
beforeEach(function () {
  const t = this.currentTest;
  collector.test = t ? `${t.file ? relative(REPO, t.file) : '?'} › ${t.fullTitle()}` : '(unknown test)';
});
afterEach(function () {
  // Lines written after a test ended (a hub closing in a later hook) are still that test's doing.
  collector.test = `${collector.test} (after it ended)`;
});

after(async function () {
  this.timeout(60_000);
  // Still live? A line through a fresh logger must reach the collector.
  const before = collector.counts.pino;
  createLogger('info', new LogSink()).info({ check: 'collector still live' }, 'security canary');
  assert.equal(collector.counts.pino, before + 1, 'the pino tap no longer sees the lines: the scan below would prove nothing');
  collector.flush();

  const files = loadedFiles(this.test?.parent);
  const onDisk = testFilesOnDisk();
  const wholeSuite = onDisk.every((f) => files.has(f));
  const c = collector.counts;
  console.log(
    `      security: ${collector.total} log lines scanned for citizens' data (pino ${c.pino}, of which to LogSinks ${c.pinoToLogSink}; written straight into a LogSink ${c.logSinkDirect}; hub lines from child processes ${c.child}), from ${collector.bySource.size} loggers during ${collector.testsWithLines.size} tests${wholeSuite ? ' (whole suite)' : ` (${files.size} of ${onDisk.length} test files)`}`,
  );
  // Every line a sink received was seen by a tap: the sinks are not a blind spot.
  assert.ok(c.pinoToLogSink + c.logSinkDirect >= c.logSinkReceived, `LogSinks received ${c.logSinkReceived} lines, the taps saw ${c.pinoToLogSink + c.logSinkDirect}`);
  if (wholeSuite) assert.ok(collector.total > FULL_SUITE_MIN_LINES, `only ${collector.total} log lines in a whole-suite run: the collector is not collecting`);
  else assert.ok(collector.total > 10, `only ${collector.total} log lines: the collector is not collecting`);

  if (collector.offences.length) {
    const shown = collector.offences.slice(0, 25).map((o) => `  [${o.source}] during "${o.test}": ${o.findings.map((f) => `${f.kind} ${mask(f.value)}`).join(', ')}\n      ${maskLine(o.line, o.findings)}`);
    assert.fail(`${collector.offences.length} log line(s) hold citizens' data in clear:\n${shown.join('\n')}${collector.offences.length > 25 ? `\n  … and ${collector.offences.length - 25} more` : ''}`);
  }
});

function loadedFiles(root: Mocha.Suite | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (s: Mocha.Suite) => {
    if (s.file) out.add(resolve(s.file));
    for (const t of s.tests) if (t.file) out.add(resolve(t.file));
    s.suites.forEach(walk);
  };
  if (root) walk(root);
  return out;
}

function testFilesOnDisk(): string[] {
  return (readdirSync(join(REPO, 'test'), { recursive: true }) as string[]).filter((f) => f.endsWith('.test.ts')).map((f) => resolve(REPO, 'test', f));
}

describe('security: citizens\' data never appears in a log line', function () {
  this.timeout(30_000);
  const scanner = new PiiScanner(knownPeople());
  const seed = citizens();

  describe('the scanner (unit controls)', () => {
    it('catches a national number, wherever it sits in the line', () => {
      for (const line of [
        `{"level":"info","msg":"order for ${CITIZEN.nationalNumber}"}`,
        `{"level":"info","reference":"population:${seed[0]!.nationalNumber}"}`,
        `no JSON at all ${seed[seed.length - 1]!.nationalNumber}.`,
      ]) {
        const found = scanner.scan(line);
        assert.ok(found.some((f) => f.kind === 'national number'), line);
      }
    });

    it('catches Arabic and Latin names, phones, e-mails and addresses, also as JSON \\u escapes', () => {
      const someone = seed[42]!;
      assert.deepEqual(scanner.scan(`{"msg":"${someone.fullNameAr}"}`).map((f) => f.kind), ['name']);
      assert.deepEqual(scanner.scan(`{"msg":"${someone.fullNameLatin}"}`).map((f) => f.kind), ['name']);
      assert.deepEqual(scanner.scan(JSON.stringify({ msg: CITIZEN.fullNameAr }).replace(/[\u0600-\u06FF]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)).map((f) => f.kind), ['name']);
      assert.deepEqual(scanner.scan(`{"to":"${CITIZEN.phone}"}`).map((f) => f.kind), ['phone']);
      assert.deepEqual(scanner.scan(`{"to":"${CITIZEN.email.toUpperCase()}"}`).map((f) => f.kind), ['e-mail']);
      assert.deepEqual(scanner.scan(`{"to":"${CITIZEN.address}"}`).map((f) => f.kind), ['address']);
    });

    it('leaves alone what only looks like them: masked numbers, ids, timestamps, other numbers', () => {
      for (const line of [
        '{"nationalNumber":"0311*****54","applicant":"[redacted]"}',
        '{"orderId":"ord_01JZ3K5Q0Z8Y7X6W5V4T3S2R1Q","ms":12.5,"time":"2026-03-01T10:00:00.000Z","epoch":1767225600000}',
        `{"msg":"number ${CITIZEN.nationalNumber}9 is longer"}`,
        '{"msg":"وزارة الداخلية — السجل المدني"}',
      ]) {
        assert.deepEqual(scanner.scan(line), [], line);
      }
    });

    it('masks what it shows', () => {
      assert.equal(mask(CITIZEN.nationalNumber), '0311*****54');
      const line = `{"msg":"${CITIZEN.nationalNumber} ${CITIZEN.fullNameAr}"}`;
      const shown = maskLine(line, scanner.scan(line));
      assert.ok(!shown.includes(CITIZEN.nationalNumber) && !shown.includes(CITIZEN.fullNameAr), shown);
    });
  });

  describe('the collector (end-to-end controls)', () => {
    // Deliberate leaks carry a marker: the final verdict leaves them out, these tests require them.
    const marker = `security-control-${randomUUID()}`;
    before(() => collector.controlMarkers.add(marker));
    const caught = (tag: string) => {
      collector.flush();
      return collector.controlOffences.filter((o) => o.line.includes(`${marker}-${tag}`));
    };

    it('catches a citizen put in a message string through a hub logger on a LogSink (the censor only sees members)', () => {
      const sink = new LogSink();
      createLogger('info', sink).child({ component: 'careless' }).info(`${marker}-sink applicant ${CITIZEN.nationalNumber}`);
      assert.equal(sink.lines.length, 1);
      const found = caught('sink');
      assert.equal(found.length, 1);
      assert.match(found[0]!.source, /^pino→LogSink \(component=careless\)$/);
      assert.deepEqual(found[0]!.findings.map((f) => f.kind), ['national number']);
      assert.match(found[0]!.test, /security\/pii-in-logs\.test\.ts › .*LogSink/);
    });

    it('catches one written by a logger that does not write to a LogSink (a file descriptor)', async () => {
      const dest = pino.destination({ dest: '/dev/null', sync: true });
      createLogger('info', dest).warn({ note: `${marker}-fd` }, CITIZEN.fullNameAr);
      assert.equal(caught('fd').length, 1);
    });

    it('catches one written into a LogSink by hand', () => {
      new LogSink().write(`{"level":"info","msg":"${marker}-direct ${seed[7]!.fullNameLatin}"}\n`);
      assert.equal(caught('direct').length, 1);
      assert.equal(caught('direct')[0]!.source, 'LogSink (written directly)');
    });

    it("catches a hub log line a child process prints, and ignores the child's other output", async () => {
      const line = JSON.stringify({ level: 'info', app: 'wasl', msg: `${marker}-child ${CITIZEN.nationalNumber}` });
      const script = `console.log(${JSON.stringify(line)}); console.log(${JSON.stringify(`${marker}-child-plain ${CITIZEN.nationalNumber}`)})`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      for await (const chunk of child.stdout) out += String(chunk);
      assert.ok(out.includes(`${marker}-child-plain`), 'the test still reads what the child printed');
      assert.equal(caught('child ').length, 1);
      assert.match(caught('child ')[0]!.source, /^child process/);
      assert.equal(caught('child-plain').length, 0, 'not a log line: the command\'s own output');
    });
  });

  it("a hub handling the citizen's order — accepted, refused, replayed, read, searched, cancelled — logs none of it", async () => {
    const cost = { N: 1024, r: 8, p: 1 };
    const hub = await testHub({ operators: [{ user: 'lama', passwordHash: await hashPassword('monitor-password-1', cost), role: 'operator' }], metricsToken: 'metrics-token-0123456789abcdef' });
    const first = collector.bySource.size;
    const linesBefore = collector.counts.pino;
    try {
      const post = (body: unknown, key = newKey(), headers: Record<string, string> = auth(KEYS.centre)) => hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...headers, 'idempotency-key': key }, payload: body as object });
      const key = newKey();
      const res = await post(validRequest(), key);
      assert.equal(res.statusCode, 202);
      const id = res.json<Order>().id;
      // Refusals that hold the citizen's data in the body: invalid, not permitted, unauthenticated, a conflict.
      const bad = validRequest();
      bad.applicant.birthDate = `${CITIZEN.nationalNumber}`;
      assert.equal((await post(bad)).statusCode, 400);
      assert.equal((await post(validRequest({ service: 'no-criminal-record-certificate' }), newKey(), auth(KEYS.portal))).statusCode, 403);
      assert.equal((await post(validRequest(), newKey(), { authorization: `Bearer ${CITIZEN.nationalNumber}-not-a-key` })).statusCode, 401);
      assert.equal((await post(validRequest(), key)).headers['idempotency-replayed'], 'true');
      assert.equal((await post(validRequest({ fields: { purpose: 'travel', copies: 1 } }), key)).statusCode, 409);
      // The query string is never logged, whatever it holds.
      assert.equal((await hub.app.inject({ url: `/v1/orders/${id}`, headers: { ...auth(KEYS.centre), 'x-request-id': 'counter-7-req-000123' } })).statusCode, 200);
      assert.equal((await hub.app.inject({ url: `/v1/orders?service=${CITIZEN.nationalNumber}`, headers: auth(KEYS.centre) })).statusCode, 400);
      // The operator looks the citizen up by national number, opens the order, and scrapes metrics.
      const op = { authorization: `Basic ${Buffer.from('lama:monitor-password-1').toString('base64')}` };
      assert.equal((await hub.app.inject({ url: `/monitor/api/orders?q=${CITIZEN.nationalNumber}`, headers: op })).statusCode, 200);
      assert.equal((await hub.app.inject({ url: `/monitor/api/orders/${id}`, headers: op })).statusCode, 200);
      assert.equal((await hub.app.inject({ url: '/metrics', headers: op })).statusCode, 200);
      assert.equal((await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre), payload: { reason: { code: 'citizen-asked' } } })).statusCode, 200);
      // A component logging a whole order object, as a careless flow might: the censor takes out
      // the citizen's members. (Free text a channel typed, such as a reason's message, it cannot
      // know about; nothing in the hub logs one — the step lines carry the reason's code only.)
      hub.logger.child({ component: 'careless-flow' }).info({ order: (await hub.store.getOrder(id))! }, 'order as it is');

      // Each of those requests was logged, and the collector saw it.
      assert.ok(collector.counts.pino - linesBefore >= 14, `the collector saw ${collector.counts.pino - linesBefore} lines from this hub`);
      assert.ok(hub.logs.lines.length >= 14);
      assert.ok(collector.bySource.size >= first);
      collector.flush();
      const mine = collector.offences.filter((o) => o.test.includes('a hub handling the citizen'));
      assert.deepEqual(mine.map((o) => `[${o.source}] ${maskLine(o.line, o.findings)}`), []);
    } finally {
      await hub.close();
    }
  });
});

/**
 * Hostile input, gateway: fast-check sends more than 10,000 generated requests per run to a real
 * hub (testHub: SQLite in memory, every gateway route, callbacks, metrics and the monitoring API
 * with an operator) through Fastify's in-process injection — arbitrary and mutated JSON bodies,
 * raw bytes with a JSON content type, wrong and garbage content types, odd Authorization and
 * Idempotency-Key headers, huge headers, random paths with encoded characters, dot segments and
 * query strings — and holds, for every single one:
 *
 *   - no 5xx for anything a client sends: the gateway refuses, it does not break;
 *   - every 4xx is application/problem+json with a title and its status, and says nothing about
 *     the inside (no stack frame, source file, absolute path or framework error code);
 *   - a refused request changes nothing in the store (order counts by service and status, and
 *     the audit trail's head, before and after);
 *   - nothing is logged as an unexpected error, no promise is left rejected, and no key is
 *     added to Object.prototype (prototype-pollution bodies and query strings);
 *   - the heap stays bounded over the run (see MEMORY_BOUND_MB).
 *
 * Why: the gateway is the only part of wasl the public reaches (centres' software, two portals);
 * hand-written bad-input tests (test/hub/gateway/bad-input.test.ts) prove the cases someone
 * thought of, this proves the properties over what nobody did.
 *
 * Reproduce a failure with the seed fast-check prints: FC_SEED=<seed> npx mocha … this file.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { signCallback } from '../../hub/callbacks/signature';
import { hashPassword } from '../../hub/operators';
import { KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x0a11_f0b1;
const MIN_REQUESTS = 10_000;
const PROBLEM = 'application/problem+json; charset=utf-8';
const BODY_LIMIT = 256 * 1024;
/** Every request is answered well within this (they take about a millisecond): more is a hang. */
const REQUEST_BOUND_MS = 10_000;

/**
 * How much the heap (after a full GC) may grow between the first and the last third of the run.
 * The run sends hundreds of bodies up to the 256 KiB limit and headers up to 16 KiB: keeping even
 * one in ten of the large ones, or ~3 KiB per request, would pass it. What legitimately grows is
 * small: orders and idempotency keys live in SQLite's own memory, not V8's heap, and the log
 * lines the test hub collects are emptied after every request. Without a GC to call, heap and
 * RSS only drift with the collector's timing, so the bound is then four times looser: it still
 * catches a leak of whole bodies, not a slow one.
 */
const MEMORY_BOUND_MB = 24;

const OPERATOR = { user: 'fuzz-op', password: 'fuzz-operator-password-1' };
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;
const OPERATOR_BASIC = basic(`${OPERATOR.user}:${OPERATOR.password}`);
const CENTRE = `Bearer ${KEYS.centre.key}`;

/** What leaks the inside of the process: stack frames, sources, absolute paths, Fastify's codes. */
const LEAKS: RegExp[] = [/\n\s+at /, /\bat [\w.<>]+ \(/, /\bat \//, /\.[cm]?[jt]s:\d+/, /\b[A-Z][A-Za-z]*Error: /, /node_modules/, /(?:^|[\s"'(=])\/(?:work|home|usr|tmp|opt|root|srv|var|etc|app)\//, /FST_[A-Z_]+/];

/** The real collector when the process has one; else Node's flag can still expose it. */
function collector(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

// light-my-request (Fastify's own injector, a dependency of fastify) normalises URLs through
// WHATWG URL, which removes `..` and `%2e%2e` segments and turns `\` into `/`. A raw HTTP client
// sends them as they are, so raw paths are injected with the URL set on the request as given.
type Dispatch = (req: { url: string }, res: unknown) => void;
type Inject = (dispatch: Dispatch, opts: InjectOptions) => Promise<LightMyRequestResponse>;
const lightMyRequest = createRequire(require.resolve('fastify'))('light-my-request') as Inject;

interface Sent extends InjectOptions {
  /** The request target exactly as sent on the wire (dot segments and all). */
  raw?: string;
}

// ---------- arbitraries ----------

/** A character a header value may carry on the wire (Node's parser takes tab, visible ASCII, obs-text). */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
).map((c) => String.fromCharCode(c));
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });
const hugeHeader = fc.integer({ min: 1_000, max: 16_000 }).map((n) => 'h'.repeat(n));

const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>(CENTRE) },
  fc.constantFrom<string | undefined>(
    undefined,
    `Bearer ${KEYS.backOffice.key}`,
    `Bearer ${KEYS.portal.key}`,
    `Bearer ${KEYS.expat.key}`,
    OPERATOR_BASIC,
    `Bearer ${METRICS_TOKEN}`,
    'Bearer',
    'Bearer ',
    `bearer ${KEYS.centre.key}`,
    `Bearer  ${KEYS.centre.key}`,
    `Bearer ${KEYS.centre.key} `,
    `Bearer ${KEYS.centre.key.slice(0, -1)}`,
    `Bearer ${KEYS.centre.key}x`,
    `Token ${KEYS.centre.key}`,
    `Bearer ${KEYS.centre.key}, Bearer ${KEYS.portal.key}`,
    'Basic',
    'Basic ',
    'Basic ====',
    'Basic !!!!',
    `Basic ${'A'.repeat(2_000)}`,
    basic(OPERATOR.user),
    basic(`:${OPERATOR.password}`),
    basic(`${OPERATOR.user}:wrong`),
    basic(`ghost:${OPERATOR.password}`),
    basic(`${OPERATOR.user}:${OPERATOR.password}\u0000`),
    basic('مشغل:كلمة'),
    `Bearer ${'k'.repeat(257)}`,
    `Bearer ${'k'.repeat(12_000)}`,
  ),
  headerText(300),
  headerText(300).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 80 }).map(basic),
  fc.base64String({ maxLength: 120 }).map((s) => `Basic ${s}`),
);

const idempotencyKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>(undefined).map(() => newKey()) },
  fc.constantFrom<string | undefined>(undefined, '', ' ', 'a', 'x'.repeat(255), 'x'.repeat(256), 'with space', 'tab\there', 'κλειδί', 'مفتاح', 'a,b', '"quoted"', 'fixed-reused-key'),
  fc.integer({ min: 256, max: 16_000 }).map((n) => 'k'.repeat(n)),
  headerText(300),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
  fc.constantFrom<string | undefined>(
    undefined,
    '',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-16',
    'application/json; charset=latin1',
    'application/json; charset=',
    'application/json;;;',
    'application/json; boundary=x',
    'APPLICATION/JSON',
    'application/json\t',
    ' application/json',
    'application/problem+json',
    'application/merge-patch+json',
    'application/jsonx',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'text/plain',
    'text/html',
    'application/xml',
    'application/octet-stream',
    '*/*',
    'application/*',
    'json',
    ';',
    '/',
  ),
  headerText(200),
  hugeHeader,
);

const requestId = fc.oneof(fc.constant<string | undefined>(undefined), fc.stringMatching(/^[A-Za-z0-9._-]{8,64}$/), headerText(100), hugeHeader);

/** Strings that hurt: control and bidi characters, lone surrogates, injections, number look-alikes. */
const nastyString = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\u202Eabc',
  'ريم\u202Eخالد',
  '\u200F\u200E',
  '\uFEFF',
  '\uD800',
  '\uDFFF',
  'a\uD800b',
  '\uDBFF\uDFFF',
  'ﷺ',
  '٠١٢٣٤٥٦٧٨٩٠',
  '\r\n\r\n',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '$(id)',
  '../../etc/passwd',
  '%00',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'null',
  '__proto__',
  'constructor',
);

const hostileString = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  // Large strings, a few of them over the body limit.
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(nastyString, fc.integer({ min: 100, max: 20_000 })).map(([s, n]) => s.repeat(n)) },
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, [], {}, [[]], [null], { '': '' }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
);

/** JSON text that JSON.stringify cannot write: odd numbers, and what is not JSON at all. */
const rawToken = fc.constantFrom(
  '1e308',
  '1e309',
  '-1e309',
  '-0',
  '-0.0',
  '1E-400',
  '123456789012345678901234567890',
  '9007199254740993',
  '0.1e1',
  '"NaN"',
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"\\u0000"',
  '"\\u202e"',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '01',
  '+1',
  '.5',
  'undefined',
  "'single'",
  '"unterminated',
  '"bad \\x escape"',
  '[',
  '{',
  '}',
  '',
  '/* comment */ 1',
  'true false',
);

const deepText = fc.record({ depth: fc.integer({ min: 50, max: 50_000 }), kind: fc.constantFrom('array', 'object', 'proto') }).map(({ depth, kind }) =>
  kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'{"a":'.repeat(depth)}{"__proto__":{"polluted":1}}${'}'.repeat(depth)}`,
);

/** Every JSON pointer of a valid order request, as key paths; [] is the whole body. */
function pathsOf(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}
const ORDER_PATHS = pathsOf(validRequest());
const CALLBACK_PROVIDERS = ['sy-epay', 'intl-pay', 'sy-post'];
const SIGNATURE_HEADERS = ['x-epay-signature', 'intl-pay-signature', 'intl-pay-timestamp', 'x-post-signature', 'x-signature', 'x-timestamp'];
const SERVICES = ['civil-registry-individual-extract', 'no-criminal-record-certificate', 'vehicle-ownership-statement', 'moon-landing-permit', ''];

type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'raw'; at: number; token: string }
  | { kind: 'nest'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(ORDER_PATHS.length - 1), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(ORDER_PATHS.length - 1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      at: fc.nat(ORDER_PATHS.length - 1),
      key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'status', 'id', 'fees', 'channel', ''), fc.string({ maxLength: 12 })),
      value: fc.oneof(hostileValue, fc.constant({ prototype: { polluted: 1 } }), fc.constant({ polluted: 1 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('raw' as const), at: fc.nat(ORDER_PATHS.length - 1), token: rawToken }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), at: fc.nat(ORDER_PATHS.length - 1), text: deepText }) },
);

const RAW = (i: number) => `\u0001RAW${i}\u0001`;

/** The valid order request with the mutations applied, as the JSON text sent. */
function mutated(service: string, mutations: Mutation[]): string {
  let body: unknown = validRequest();
  if (service) (body as { service: string }).service = service;
  const raws: string[] = [];
  for (const m of mutations) {
    const path = ORDER_PATHS[m.at]!;
    const value = m.kind === 'raw' ? RAW(raws.push(m.token) - 1) : m.kind === 'nest' ? RAW(raws.push(m.text) - 1) : m.kind === 'replace' || m.kind === 'add' ? m.value : undefined;
    if (m.kind === 'add') {
      const target = path.length ? get(body, path) : body;
      // defineProperty, not assignment: `__proto__` must become a member, not the prototype.
      if (target && typeof target === 'object') Object.defineProperty(target, m.key, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    if (path.length === 0) {
      if (m.kind !== 'delete') body = value;
      continue;
    }
    const parent = get(body, path.slice(0, -1));
    if (!parent || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    if (m.kind === 'delete') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete (parent as Record<string, unknown>)[key];
    } else (parent as Record<string | number, unknown>)[key] = value;
  }
  let text = JSON.stringify(body) ?? '';
  raws.forEach((r, i) => (text = text.replace(JSON.stringify(RAW(i)), () => r)));
  return text;
}

function get(v: unknown, path: Array<string | number>): unknown {
  let cur = v;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[k] : undefined;
  return cur;
}

/** Bytes with a JSON content type that are not (quite) JSON. */
const validText = JSON.stringify(validRequest());
const rawBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.uint8Array({ maxLength: 2_000 }).map((a) => Buffer.from(a)),
  fc.nat(validText.length).map((n) => validText.slice(0, n)),
  fc.tuple(fc.nat(validText.length), rawToken).map(([n, t]) => validText.slice(0, n) + t + validText.slice(n)),
  fc.tuple(fc.nat(Buffer.byteLength(validText) - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
    const b = Buffer.from(validText, 'utf8');
    b[i] = b[i]! ^ x;
    return b;
  }),
  deepText,
  fc.constantFrom<string | Buffer>(
    '',
    ' ',
    'null',
    '""',
    '0',
    '[]',
    '{}',
    'true',
    `\uFEFF${validText}`,
    `${validText}${validText}`,
    `${validText}\u0000`,
    validText.replace('{', '{"service":"x",'),
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    Buffer.from(validText, 'utf16le'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(validText)]),
    Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe]),
    Buffer.from(validText.replace('"DAM-01"', '"DAM-\xC0\xAF"'), 'latin1'),
    'service=x&applicant=y',
    '<order/>',
  ),
);

/** A character that may appear raw in a request target segment. */
const urlChar = fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x23 && c !== 0x2f && c !== 0x3f).map((c) => String.fromCharCode(c));
const segment = (ids: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%2E%2E%2F', '..%2F..', '%2F', '%5C', '\\..\\', '%00', '%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '~', ';', ';x=1', '*', '%20', '+', '@', 'ord_', ''),
    },
    { weight: 2, arbitrary: fc.stringMatching(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/) },
    { weight: 2, arbitrary: fc.string({ unit: urlChar, maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.integer({ min: 90, max: 5_000 }).map((n) => `ord_${'A'.repeat(n)}`) },
  );

const queryKey = fc.oneof(
  fc.constantFrom('status', 'service', 'channel', 'from', 'to', 'cursor', 'limit', 'q', '__proto__', 'constructor', '__proto__[polluted]', 'constructor[prototype][polluted]', 'toString', 'hasOwnProperty', 'a[b]', 'limit[]', ''),
  fc.string({ unit: urlChar, maxLength: 12 }),
);
const queryValue = fc.oneof(
  fc.constantFrom('', '1', '0', '-1', '101', '1e2', '20', 'received', 'cancelled', 'DELIVERED', 'centre-dam-01', 'portal', '2024-01-01T00:00:00Z', '2024-13-45T99:99:99Z', 'now', '%', '%zz', '%00', '%E2%80%AE', 'a%26b%3Dc', '1&limit=2', 'polluted'),
  fc.string({ unit: urlChar, maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 200, max: 8_000 }).map((n) => 'c'.repeat(n)),
);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.array(fc.tuple(queryKey, fc.option(queryValue, { nil: undefined })), { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&')}`) },
  { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&&&', '?=', '?==', '?limit=1&limit=2', '?a=1;b=2') },
);

const ROUTES = [
  '/v1/orders',
  '/v1/orders/{id}',
  '/v1/orders/{id}/cancel',
  '/v1/orders/{id}/receipt',
  '/v1/services',
  '/v1/callbacks/{provider}',
  '/health',
  '/ready',
  '/openapi.json',
  '/metrics',
  '/monitor',
  '/monitor/api/overview',
  '/monitor/api/dead-letters',
  '/monitor/api/dead-letters/{id}/replay',
  '/monitor/api/dead-letters/{id}/discard',
  '/monitor/api/dead-letters/{id}/{id}',
  '/monitor/api/orders',
  '/monitor/api/orders/{id}',
  '/docs',
  '/docs/json',
  '/docs/static/{id}',
  '/',
  '/{id}',
];

const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });

interface PathPlan {
  route: string;
  ids: string[];
  extra: readonly string[];
  style: 'plain' | 'trailing-slash' | 'double-slash' | 'upper' | 'dot-prefix';
  query: string;
}

function target(p: PathPlan): string {
  let i = 0;
  let path = p.route.replace(/\{id\}|\{provider\}/g, () => p.ids[i++ % p.ids.length] ?? '');
  if (p.extra.length) path += `/${p.extra.join('/')}`;
  if (p.style === 'trailing-slash') path += '/';
  else if (p.style === 'double-slash') path = path.replace('/', '//');
  else if (p.style === 'upper') path = path.toUpperCase();
  else if (p.style === 'dot-prefix') path = `/v1/../..${path}`;
  return path + p.query;
}

// ---------- the suite ----------

const REFUSED_LOGIN = new Set(['login-failed', 'login-throttled']);

describe('hostile input: gateway fuzzing', function () {
  this.timeout(180_000);
  let hub: TestHub;
  let sent = 0;
  let fingerprint = '';
  let auditSeq = 0;
  let auditOther = 0;
  const ids: string[] = [];
  const heap: number[] = [];
  const rss: number[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  const gc = collector();
  // Taken when this suite starts, not when the file loads: other suites' libraries (node-red-node-test-helper's `should`) extend Object.prototype on purpose, earlier in the run.
  let prototypeKeys: string[] = [];
  let started = 0;

  before(async () => {
    prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    process.on('unhandledRejection', onRejection);
    // A cheap scrypt cost, for this test only: operator requests must cost microseconds, not 50 ms.
    const passwordHash = await hashPassword(OPERATOR.password, { N: 16, r: 1, p: 1 });
    hub = await testHub({ bodyLimit: BODY_LIMIT, operators: [{ user: OPERATOR.user, passwordHash, role: 'operator' }], metricsToken: METRICS_TOKEN });
    // Orders of three channels, so generated paths and cancellations meet real ids (own and not own).
    for (const key of [KEYS.centre, KEYS.centre, KEYS.centre, KEYS.backOffice, KEYS.expat]) {
      const body = key === KEYS.expat ? validRequest({ centre: undefined, delivery: { method: 'electronic' } }) : validRequest();
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'idempotency-key': newKey() }, payload: JSON.stringify(body) });
      assert.equal(res.statusCode, 202, res.body);
      ids.push(res.json<{ id: string }>().id);
    }
    fingerprint = await storeFingerprint();
    hub.logs.lines.length = 0;
    started = performance.now();
  });

  after(async () => {
    process.off('unhandledRejection', onRejection);
    await hub?.close();
  });

  /**
   * What a refused request must leave as it was: orders by service and status, and the audit
   * trail but for the one record a refused login leaves by design (its user and address: issue
   * 19), which is appended beside the answer and may land after it.
   */
  async function storeFingerprint(): Promise<string> {
    for (;;) {
      const more = await hub.store.readAudit({ afterSeq: auditSeq, limit: 1_000 });
      if (more.length === 0) break;
      auditSeq = more[more.length - 1]!.seq;
      auditOther += more.filter((a) => !(a.kind === 'operator.action' && REFUSED_LOGIN.has(String(a.data.action)))).length;
    }
    const counts = (await hub.store.orderCounts()).map((c) => `${c.service}/${c.status}=${c.count}`).sort();
    return `${counts.join(',')}|audit records other than refused logins: ${auditOther}`;
  }

  function where(req: Sent, res: LightMyRequestResponse): string {
    const url = req.raw ?? String(req.url);
    return `${req.method ?? 'GET'} ${url.length > 200 ? `${url.slice(0, 200)}…` : url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  }

  async function send(req: Sent): Promise<LightMyRequestResponse> {
    const answer = req.raw === undefined ? hub.app.inject(req) : lightMyRequest((r, s) => ((r.url = req.raw!), hub.app.routing(r as never, s as never)), req);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), REQUEST_BOUND_MS)));
    const res = await Promise.race([answer, late]).finally(() => clearTimeout(timer));
    sent++;
    assert.ok(res, `no answer within ${REQUEST_BOUND_MS} ms: ${req.method ?? 'GET'} ${(req.raw ?? String(req.url)).slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 300)}`);
    const at = where(req, res);
    assert.ok(res.statusCode < 500, `a 5xx for a client's request: ${at}`);
    assert.ok(res.headers['x-request-id'], `every answer names its request: ${at}`);
    if (res.statusCode >= 400) {
      assert.equal(res.headers['content-type'], PROBLEM, `a refusal is a problem document: ${at}`);
      if (req.method !== 'HEAD') {
        const p = JSON.parse(res.body) as { title?: unknown; titleAr?: unknown; status?: unknown; type?: unknown };
        assert.ok(typeof p.title === 'string' && p.title.length > 0, `with a title: ${at}`);
        assert.ok(typeof p.titleAr === 'string' && p.titleAr.length > 0, `with an Arabic title: ${at}`);
        assert.equal(p.status, res.statusCode, at);
        assert.match(String(p.type), /^urn:wasl:problem:[a-z-]+$/, at);
        for (const leak of LEAKS) assert.doesNotMatch(res.body, leak, `nothing from the inside: ${at}`);
      }
    }
    const now = await storeFingerprint();
    if (res.statusCode >= 400) assert.equal(now, fingerprint, `a refused request changed the store: ${at}`);
    fingerprint = now;
    for (const line of hub.logs.lines) assert.doesNotMatch(line, /"level":(?:50|60)/, `an error was logged for: ${at}\n${line.slice(0, 500)}`);
    hub.logs.lines.length = 0;
    if (sent % 500 === 0) {
      gc?.();
      const m = process.memoryUsage();
      heap.push(m.heapUsed);
      rss.push(m.rss);
    }
    return res;
  }

  /** Statuses and problem codes by family, printed with FUZZ_STATS=1: to see what the generators reach. */
  const stats = new Map<string, number>();
  const run = <T>(family: string, arb: fc.Arbitrary<T>, numRuns: number, request: (t: T) => Sent) =>
    fc.assert(
      fc.asyncProperty(arb, async (t) => {
        const req = request(t);
        const res = await send(req);
        const code = res.statusCode >= 400 && req.method !== 'HEAD' ? (JSON.parse(res.body) as { code: string }).code : '';
        const key = `${family} ${res.statusCode} ${code}`;
        stats.set(key, (stats.get(key) ?? 0) + 1);
      }),
      { seed: SEED, numRuns },
    );

  const order = (payload: string | Buffer, headers: Record<string, string | undefined> = {}): Sent => ({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: CENTRE, 'content-type': 'application/json', 'idempotency-key': newKey(), ...headers } as Record<string, string>,
    payload,
  });

  it('arbitrary JSON as an order: refused with a problem, or accepted', async () => {
    await run('json', fc.jsonValue({ maxDepth: 6 }), 1_500, (v) => order(JSON.stringify(v) ?? 'null'));
  });

  it('a valid order mutated: wrong types, huge strings, deep nesting, unicode, prototype keys, odd numbers', async () => {
    const arb = fc.record({ service: fc.constantFrom(...SERVICES), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }), reuseKey: fc.boolean() });
    await run('mutated', arb, 3_000, ({ service, mutations, reuseKey }) => order(mutated(service, mutations), reuseKey ? { 'idempotency-key': 'mutations-reused-key' } : {}));
  });

  it('bytes with a JSON content type that are not JSON, or not quite', async () => {
    await run('raw', fc.tuple(rawBody, fc.constantFrom('application/json', 'application/json; charset=utf-8')), 1_500, ([body, type]) => order(body, { 'content-type': type }));
  });

  it('generated headers: Authorization, Idempotency-Key, Content-Type, request ids, huge and unknown headers', async () => {
    const arb = fc.record({
      authorization,
      key: idempotencyKey,
      type: contentType,
      requestId,
      body: fc.oneof({ weight: 3, arbitrary: fc.constant(validText) }, { weight: 1, arbitrary: rawBody }),
      extra: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.oneof(headerText(100), hugeHeader), { maxKeys: 4 }),
      length: fc.option(fc.constantFrom('0', '1', '-1', '99999999', 'abc', '1, 2'), { nil: undefined, freq: 10 }),
    });
    await run('headers', arb, 1_500, (h) => {
      const headers: Record<string, string> = {};
      // Generated names could shadow the ones under test; those are set last.
      for (const [k, v] of Object.entries(h.extra)) if (!['host', 'content-length', 'transfer-encoding'].includes(k)) headers[k] = v;
      for (const [k, v] of Object.entries({ authorization: h.authorization, 'idempotency-key': h.key, 'content-type': h.type, 'x-request-id': h.requestId, 'content-length': h.length })) if (v !== undefined) headers[k] = v;
      return { method: 'POST', url: '/v1/orders', headers, payload: h.body };
    });
  });

  it('generated paths and query strings across every route, raw dot segments included', async () => {
    const arb = fc.record({
      method,
      authorization,
      plan: fc.record({
        route: fc.constantFrom(...ROUTES),
        ids: fc.array(segment(ids), { minLength: 1, maxLength: 2 }),
        extra: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.array(segment(ids), { minLength: 1, maxLength: 3 }) }),
        style: fc.oneof({ weight: 6, arbitrary: fc.constant('plain' as const) }, { weight: 1, arbitrary: fc.constantFrom('trailing-slash' as const, 'double-slash' as const, 'upper' as const, 'dot-prefix' as const) }),
        query,
      }),
      body: fc.option(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), rawBody), { nil: undefined }),
      raw: fc.boolean(),
    });
    await run(
      'paths',
      arb.filter(({ plan, authorization: a }) => !isUnservable(target(plan), a)),
      2_500,
      ({ method: m, authorization: a, plan, body, raw }) => {
        const url = target(plan);
        const headers: Record<string, string> = { 'idempotency-key': newKey() };
        if (a !== undefined) headers.authorization = a;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const req: Sent = { method: m as InjectOptions['method'], url: '/', headers, ...(body !== undefined && m !== 'GET' && m !== 'HEAD' ? { payload: body } : {}) };
        // What WHATWG URL cannot read (a path that starts with a backslash) a raw client still sends.
        if (raw || !URL.canParse(url, 'http://localhost')) req.raw = url;
        else req.url = url;
        return req;
      },
    );
  });

  it('listing with generated filters and cursors, real and forged', async () => {
    const first = await send({ url: '/v1/orders?limit=1', headers: { authorization: CENTRE } });
    const cursor = first.json<{ nextCursor?: string }>().nextCursor ?? 'none';
    const forged = fc.oneof(
      fc.constant(cursor),
      fc.tuple(fc.nat(cursor.length - 1), fc.integer({ min: 1, max: 127 })).map(([i, x]) => cursor.slice(0, i) + String.fromCharCode(cursor.charCodeAt(i) ^ x) + cursor.slice(i + 1)),
      fc.nat(cursor.length).map((n) => cursor.slice(0, n)),
      fc.base64String({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.constant(Buffer.from(JSON.stringify({ id: "' OR 1=1 --", at: '__proto__' })).toString('base64url')),
    );
    const arb = fc.record({
      channel: fc.constantFrom(CENTRE, `Bearer ${KEYS.backOffice.key}`, `Bearer ${KEYS.portal.key}`),
      status: fc.option(fc.constantFrom('received', 'cancelled', 'Received', 'nope', ''), { nil: undefined }),
      service: fc.option(fc.constantFrom(...SERVICES, '../x', 'A'.repeat(300)), { nil: undefined }),
      ch: fc.option(fc.constantFrom('centre-dam-01', 'portal', 'back-office', '*', '%', '%25'), { nil: undefined }),
      from: fc.option(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('yesterday', '2024-02-30T00:00:00Z', '0000-00-00T00:00:00Z', '0000-01-01T00:00:00Z', '2016-12-31T23:59:60Z', '2016-12-31T23:59:60.999+03:00', '+275760-09-13T00:00:00.000Z')), { nil: undefined }),
      to: fc.option(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59Z', '2016-12-31T23:59:60Z')), { nil: undefined }),
      cursor: fc.option(forged, { nil: undefined }),
      limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 205 }).map(String), fc.constantFrom('1.5', '1e1', 'ten', '')), { nil: undefined }),
    });
    await run('list', arb, 700, ({ channel, ch, ...q }) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...q, channel: ch })) if (v !== undefined) params.append(k, v);
      return { url: `/v1/orders?${params.toString()}`, headers: { authorization: channel } };
    });
  });

  it('cancelling real and made-up orders with generated bodies', async () => {
    const arb = fc.record({
      id: fc.oneof(fc.constantFrom(...ids), segment(ids)),
      channel: fc.constantFrom(CENTRE, `Bearer ${KEYS.backOffice.key}`, `Bearer ${KEYS.expat.key}`),
      body: fc.option(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
          fc.record({ reason: fc.record({ code: hostileString, text: fc.option(hostileString, { nil: undefined }) }) }).map((v) => JSON.stringify(v)),
          rawBody,
        ),
        { nil: undefined },
      ),
    });
    await run('cancel', arb, 600, ({ id, channel, body }) => ({
      method: 'POST',
      url: `/v1/orders/${id}/cancel`,
      headers: { authorization: channel, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: body } : {}),
    }));
  });

  it('provider callbacks with forged signatures, any content type and any body', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const stamp = fc.oneof(fc.integer({ min: now - 400, max: now + 400 }).map(String), fc.constantFrom('', '0', '-1', '1e10', '999999999999999', 'now', `${now}.5`));
    const signature = fc.oneof(
      fc.tuple(stamp, fc.array(hex, { minLength: 1, maxLength: 3 })).map(([t, vs]) => [`t=${t}`, ...vs.map((v) => `v1=${v}`)].join(',')),
      hex.map((h) => `sha256=${h}`),
      fc.constantFrom('', 't=', 'v1=', 't=1,v1=', ',,,', '=', 'sha256=', 'sha256=zz'),
      headerText(200),
      hugeHeader,
    );
    const arb = fc.record({
      provider: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CALLBACK_PROVIDERS) }, fc.constantFrom('unknown-provider', 'SY-EPAY', 'a', '__proto__', 'constructor'), segment(ids)),
      names: fc.array(fc.constantFrom(...SIGNATURE_HEADERS), { maxLength: 3 }),
      signature,
      stamp,
      type: contentType,
      body: fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''), rawBody, fc.integer({ min: 60_000, max: 80_000 }).map((n) => 'b'.repeat(n))),
    });
    await run('callbacks', arb, 600, ({ provider, names, signature: sig, stamp: ts, type, body }) => {
      const headers: Record<string, string> = {};
      for (const n of names) headers[n] = n.endsWith('timestamp') ? ts : sig;
      if (type !== undefined) headers['content-type'] = type;
      return { method: 'POST', url: `/v1/callbacks/${provider}`, headers, payload: body };
    });
  });

  it('provider callbacks correctly signed (the sandbox secrets) around malformed and hostile events', async () => {
    // A provider's signature makes its body trusted, not well formed: whatever it sends, a bad
    // event must be a 4xx (the provider stops) and never a 5xx (it would send it again for ever).
    // Events name made-up orders only: one for a real order may refund, which calls the payment
    // simulator, and a provider that is down is a 5xx on purpose.
    const ref = fc.oneof(fc.stringMatching(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/), hostileString);
    const anyField = fc.oneof(hostileValue, ref);
    const epay = fc.record(
      { eventId: anyField, type: fc.oneof(fc.constantFrom('invoice.paid', 'invoice.declined', 'invoice.expired', 'refund.completed'), hostileString), merchantReference: ref, invoiceId: anyField, transactionId: anyField, amount: hostileValue, currency: anyField, occurredAt: anyField },
      { requiredKeys: [] },
    );
    const intl = fc.record(
      {
        id: anyField,
        type: fc.oneof(fc.constantFrom('payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'), hostileString),
        created: fc.oneof(hostileValue, fc.constantFrom(1e308, -1e308, 8.64e12, 2 ** 53, -1, 0.5)),
        data: fc.record({ object: fc.record({ id: anyField, payment_intent: anyField, order_ref: ref, amount_minor: hostileValue, currency: anyField }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const post = fc.record(
      { eventId: anyField, status: fc.oneof(fc.constantFrom('created', 'in-transit', 'delivered', 'returned'), hostileString), trackingNumber: anyField, reference: ref, at: anyField },
      { requiredKeys: [] },
    );
    const arb = fc.oneof(
      fc.record({ provider: fc.constant('sy-epay'), event: fc.oneof({ weight: 3, arbitrary: epay }, hostileValue) }),
      fc.record({ provider: fc.constant('intl-pay'), event: fc.oneof({ weight: 3, arbitrary: intl }, hostileValue) }),
      fc.record({ provider: fc.constant('sy-post'), event: fc.oneof({ weight: 3, arbitrary: post }, hostileValue) }),
    );
    const raw = fc.record({ provider: fc.constantFrom(...CALLBACK_PROVIDERS), body: rawBody });
    await run('signed', fc.oneof({ weight: 4, arbitrary: arb.map(({ provider, event }) => ({ provider, body: JSON.stringify(event) ?? 'null' })) }, { weight: 1, arbitrary: raw }), 800, ({ provider, body }) => {
      const receiver = hub.fulfilments.receiver(provider)!;
      return { method: 'POST', url: `/v1/callbacks/${provider}`, headers: { 'content-type': 'application/json', ...signCallback(receiver.scheme, receiver.secret(), body) }, payload: body };
    });
  });

  it('metrics and the monitoring API with generated credentials, ids and searches', async () => {
    const arb = fc.record({
      path: fc.constantFrom('/metrics', '/monitor', '/monitor/api/overview', '/monitor/api/dead-letters', '/monitor/api/orders', '/monitor/api/orders/{id}', '/monitor/api/dead-letters/{id}/{action}', '/monitor/api/stream'),
      method: fc.constantFrom('GET', 'POST', 'GET', 'DELETE'),
      authorization,
      id: fc.oneof(fc.constantFrom(...ids), segment(ids)),
      action: fc.oneof(fc.constantFrom('replay', 'discard', 'REPLAY', '__proto__', ''), fc.string({ unit: urlChar, maxLength: 10 })),
      q: fc.option(fc.oneof(fc.constantFrom('03110987654', ' 03110987654 ', '0311098765', '٠٣١١٠٩٨٧٦٥٤', ...ids, `${ids[0]} `, '%', ''), fc.string({ unit: 'grapheme', maxLength: 30 })), { nil: undefined }),
    });
    await run(
      'monitor',
      // The event stream never ends for an operator (server-sent events): injecting it would wait
      // for ever, so only its refusals are fuzzed here.
      arb.filter((r) => !(r.path === '/monitor/api/stream' && signsIn(r.authorization))),
      700,
      ({ path, method: m, authorization: a, id, action, q }) => {
        const url = path.replace('{id}', id).replace('{action}', encodeURIComponent(action)) + (q !== undefined ? `?q=${encodeURIComponent(q)}` : '');
        return { method: m as InjectOptions['method'], url, headers: a !== undefined ? { authorization: a } : {} };
      },
    );
  });

  it(`sent at least ${MIN_REQUESTS} requests, left no rejected promise, polluted no prototype, and kept the heap bounded`, () => {
    const seconds = (performance.now() - started) / 1000;
    const third = Math.floor(heap.length / 3);
    const settled = (xs: number[]) => Math.min(...xs);
    const mb = (n: number) => n / 2 ** 20;
    const growth = mb(settled(heap.slice(-third)) - settled(heap.slice(0, third)));
    const bound = gc ? MEMORY_BOUND_MB : 4 * MEMORY_BOUND_MB;
    if (process.env.FUZZ_STATS) console.log([...stats].sort().map(([k, n]) => `      ${k}: ${n}`).join('\n'));
    console.log(`      (${sent} generated requests in ${seconds.toFixed(1)} s, seed ${SEED}; heap ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB from the first to the last third, GC ${gc ? 'forced' : 'not available'})`);
    assert.ok(sent >= MIN_REQUESTS, `only ${sent} requests were sent`);
    assert.deepEqual(rejections, []);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(third >= 2, `too few memory samples (${heap.length})`);
    assert.ok(growth < bound, `the heap grew by ${growth.toFixed(1)} MB between the first and last thirds of the run (bound ${bound} MB)`);
    if (!gc) {
      const rssGrowth = mb(settled(rss.slice(-third)) - settled(rss.slice(0, third)));
      assert.ok(rssGrowth < bound * 2, `RSS grew by ${rssGrowth.toFixed(1)} MB`);
    }
  });
});

/**
 * Whether these credentials open the operator's session. Decoded as the gateway decodes them; and
 * trailing NULs do not change a password under scrypt (its HMAC pads keys with zero bytes), so
 * `password\0` signs in too — harmless, it needs the password.
 */
function signsIn(authorization: string | undefined): boolean {
  const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(authorization ?? '');
  return !!m && Buffer.from(m[1]!, 'base64').toString('utf8').replace(/\0+$/, '') === `${OPERATOR.user}:${OPERATOR.password}`;
}

/**
 * Requests the properties do not cover. Node-RED's editor and its flows' endpoints (/red, /svc)
 * are Node-RED's own Express apps, mounted on the gateway, and answer 503 text while the runtime
 * is not running in this process (a testHub without flows). The operators' event stream never
 * ends once signed in, so an injected request would wait for ever.
 */
function isUnservable(url: string, authorization: string | undefined): boolean {
  const path = url.split('?')[0]!.toLowerCase();
  return /^\/+(?:red|svc)(?:[/\\]|$)/.test(path) || (/^\/+monitor\/+api\/+stream\/*$/.test(path) && signsIn(authorization));
}

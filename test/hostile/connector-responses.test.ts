/**
 * Hostile input, connectors: what a ministry (or whatever answers at its address) sends back.
 * A real node:http simulator on 127.0.0.1 answers the SOAP connector (personDetails of the X-Road
 * example adapter, from the WSDL corpus) and the REST connector (the civil registry's JSON
 * getPerson, the vehicle registry's XML issueStatement) with responses built by fast-check from
 * valid ones: truncated at every byte, bytes flipped, invalid UTF-8 spliced in, wrong content
 * types and encodings, bodies over the size limit (plain and as a gzip bomb), billion laughs,
 * XXE and other DOCTYPEs, deep nesting, HTML error pages with 200, empty bodies, SOAP faults and
 * JSON errors full of garbage, and connections cut, reset, left hanging or answered with a broken
 * status line. For every call:
 *
 *   - it resolves with output that is valid against the operation's output schema, or rejects
 *     with a typed ConnectorError (isConnectorError) — never anything untyped;
 *   - it settles within a bound (no hang), and the process neither crashes nor is left with an
 *     unhandled rejection;
 *   - the error's message and its JSON (what logs carry) hold none of the citizen data planted
 *     in the body, and never the body itself.
 *
 * Why: the flows turn these errors into order steps, retries and logs. An untyped exception is a
 * bug that dead-letters an order; a hang holds a worker; a message that quotes the body puts a
 * citizen's record into the logs. A provider's own text may hold personal data, so it is only in
 * `providerMessage` (docs/connector-errors.md). Codes are echoed by design when they look like
 * codes (`PERSON_NOT_FOUND`), so the planted data goes everywhere else, and into codes only where
 * they are not code-shaped (spaces, Arabic, length).
 *
 * Reproduce a failure with the seed fast-check prints: FC_SEED=<seed> npx mocha … this file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import type { CallContext, Connector } from '../../connectors/connector';
import { isConnectorError } from '../../connectors/errors';
import { HttpClient } from '../../connectors/http/client';
import { RestConnector } from '../../connectors/rest/connector';
import { SoapConnector } from '../../connectors/soap/connector';
import { compileWsdlFile } from '../../connectors/soap/wsdl/compile';
import { createAjv } from '../../contracts';
import type { ProviderDefinition } from '../../contracts/types';
import { CORPUS } from '../corpus';
import { importedOperations, provider } from '../connectors/rest/helpers';
import { testProvider, XROAD_CONFIG } from '../connectors/soap/servers';
import { CITIZEN } from '../helpers';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed_c0de;
/** Small, so "over the limit" costs little: the limit is what is under test, not its default. */
const MAX_BYTES = 128 * 1024;
/** An attempt's own timeout; a hanging server costs this per attempt. */
const TIMEOUT_MS = 250;
/** No call may take longer than this, whatever it meets (two attempts, backoff, slack for a loaded CI machine). */
const CALL_BOUND_MS = 5_000;

/** Citizen data planted in hostile bodies: none of it may reach an error's message. */
const MARKERS = [CITIZEN.nationalNumber, CITIZEN.fullNameAr, CITIZEN.email, CITIZEN.address];
const NN = CITIZEN.nationalNumber;
const NAME = CITIZEN.fullNameAr;

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';
const PRODUCER = 'http://test.x-road.global/producer';

// The corpus's own example answer, carrying our test citizen instead of its sample person.
const SOAP_OK = readFileSync(join(CORPUS, 'xroad-example-adapter', 'examples', 'personDetailsResponse.xml'), 'utf8')
  .replace('<prod:ssn>1235</prod:ssn>', `<prod:ssn>${NN}</prod:ssn>`)
  .replace('Michelle', CITIZEN.fullNameLatin)
  .replace('Some Street 3, Some City, Some Country', CITIZEN.address)
  .replace('other@email.nil', CITIZEN.email);
const JSON_OK = JSON.stringify({ nationalNumber: NN, fullName: NAME, motherName: CITIZEN.motherName, maritalStatus: 'married', birthPlace: { governorate: 'damascus', city: 'دمشق' }, children: [{ nationalNumber: '01020304050', fullName: 'سامي القاسم' }] });
const XML_OK = `<?xml version="1.0" encoding="UTF-8"?><Statement number="ST-${NN}"><owner>${NAME}</owner><fee>2500</fee><line>${CITIZEN.address}</line><line>${CITIZEN.email}</line></Statement>`;

// ---------- the simulator ----------

type Wire = 'normal' | 'cut' | 'chunked-cut' | 'reset' | 'hang' | 'bad-status';

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  wire: Wire;
}

/** A node:http server that answers every request with the reply it is given. */
class Simulator {
  reply: Reply = { status: 200, headers: {}, body: Buffer.alloc(0), wire: 'normal' };
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => this.serve(res));
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private serve(res: http.ServerResponse): void {
    const r = this.reply;
    switch (r.wire) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      case 'bad-status':
        res.socket?.end(`HTTP/1.1 2x0 Not A Status\r\ncontent-length: ${r.body.length}\r\n\r\n`);
        return;
      case 'cut':
        // Promises more than it sends, then hangs up.
        res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length + 64) });
        res.write(r.body);
        setImmediate(() => res.socket?.destroy());
        return;
      case 'chunked-cut':
        res.writeHead(r.status, r.headers);
        res.write(r.body.subarray(0, Math.ceil(r.body.length / 2)));
        setImmediate(() => res.socket?.destroy());
        return;
      default:
        res.writeHead(r.status, r.headers);
        res.end(r.body);
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.socket?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

// ---------- hostile bodies ----------

/** A byte-level change to a valid body. */
const damage = (valid: Buffer): fc.Arbitrary<Buffer> =>
  fc.oneof(
    fc.nat(valid.length - 1).map((n) => valid.subarray(0, n)),
    fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = Buffer.from(valid);
      for (const [i, x] of flips) b[i] = b[i]! ^ x;
      return b;
    }),
    fc.tuple(fc.nat(valid.length), fc.constantFrom(...INVALID_UTF8, ...SPLICES.map((s) => Buffer.from(s)))).map(([i, bad]) => Buffer.concat([valid.subarray(0, i), bad, valid.subarray(i)])),
    fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([a, b]) => Buffer.concat([valid.subarray(0, Math.min(a, b)), valid.subarray(Math.max(a, b))])),
  );

const INVALID_UTF8 = [Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0x80, 0x80]), Buffer.from([0xfe, 0xff])];
const SPLICES = ['\u0000', '<', '>', '&', '&lol;', '&#0;', '&#xD800;', '&#x110000;', ']]>', '<!--', '<![CDATA[', '<?xml version="1.0"?>', '<!DOCTYPE x>', '"', '{', '}', '[', ',', ':', '\\', '\\u00', '\uFEFF', '\u202E', NN, NAME];

const deep = (depth: number, open: string, close: string, inner = '') => open.repeat(depth) + inner + close.repeat(depth);
const depth = fc.integer({ min: 65, max: 60_000 });

/** Statuses a server may answer with; Node writes any of them. */
const status = fc.oneof({ weight: 6, arbitrary: fc.constant(200) }, fc.constantFrom(200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504, 599));

/** Content types right, wrong, and garbage (Node refuses only characters outside Latin-1). */
const contentType = (right: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<string | undefined>(right) },
    fc.constantFrom<string | undefined>(
      undefined,
      '',
      'text/html; charset=utf-8',
      'text/plain',
      'application/json',
      'application/problem+json',
      'application/xml',
      'text/xml; charset=iso-8859-1',
      'application/soap+xml; charset=utf-8',
      `${right}; charset=utf-16`,
      `${right}; charset=x-unknown`,
      'application/octet-stream',
      'multipart/related; boundary=x',
      '*/*',
      ';;;',
      'application/vnd.gov+json',
    ),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  );

const wire = fc.oneof({ weight: 40, arbitrary: fc.constant<Wire>('normal') }, { weight: 3, arbitrary: fc.constantFrom<Wire>('cut', 'chunked-cut', 'reset', 'bad-status') }, { weight: 1, arbitrary: fc.constant<Wire>('hang') });

/** Bodies over MAX_BYTES: plain, and gzip that inflates past it from a few kilobytes. */
const huge = (contentTypeOf: string): fc.Arbitrary<Partial<Reply>> =>
  fc.oneof(
    fc.integer({ min: MAX_BYTES + 1, max: 4 * MAX_BYTES }).map((n) => ({ body: Buffer.alloc(n, NN) })),
    fc.integer({ min: 2 * MAX_BYTES, max: 64 * MAX_BYTES }).map((n) => ({ body: zlib.gzipSync(Buffer.alloc(n, ' ')), headers: { 'content-type': contentTypeOf, 'content-encoding': 'gzip' } })),
    fc.constantFrom<Partial<Reply>>(
      { body: Buffer.from(NN.repeat(100)), headers: { 'content-type': contentTypeOf, 'content-encoding': 'gzip' } },
      { body: Buffer.from(NN.repeat(100)), headers: { 'content-type': contentTypeOf, 'content-encoding': 'br' } },
      { body: zlib.deflateSync(Buffer.from(NN)).subarray(0, 6), headers: { 'content-type': contentTypeOf, 'content-encoding': 'deflate' } },
    ),
  );

// XML that a hardened parser must refuse, each with the citizen inside.
const envelope = (body: string, ns = SOAP_ENV) => `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${ns}"><S:Body>${body}</S:Body></S:Envelope>`;
const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "${NN}">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><lolz>&lol9;</lolz>`;
const HOSTILE_XML = [
  laughs,
  laughs.replace('<lolz>&lol9;</lolz>', envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>&lol9;</p:ssn></p:person></p:personDetailsResponse>`).replace(/^<\?xml[^>]*>/, '')),
  `<?xml version="1.0"?><!DOCTYPE S:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>&xxe;</p:ssn></p:person></p:personDetailsResponse>`).replace(/^<\?xml[^>]*>/, '')}`,
  `<!DOCTYPE S:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">${envelope(NN)}`,
  `<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><x>${NN}</x>`,
  `<!DOCTYPE x [<!ELEMENT x ANY><!ATTLIST x a CDATA "${NN}">]><x/>`,
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>&custom;${NN}</p:ssn></p:person></p:personDetailsResponse>`),
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>&#0;${NN}</p:ssn></p:person></p:personDetailsResponse>`),
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>&#99999999999;</p:ssn><p:firstName>${NAME}</p:firstName></p:person></p:personDetailsResponse>`),
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><![CDATA[${NN} ${NAME}]]><!-- ${CITIZEN.email} --><?pi ${CITIZEN.address}?></p:personDetailsResponse>`),
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}" xmlns:p="${PRODUCER}"><p:person><p:ssn>${NN}</p:ssn></p:person></p:personDetailsResponse>`),
  envelope(`<q:personDetailsResponse><q:person>${NN}</q:person></q:personDetailsResponse>`),
  `<S:Envelope xmlns:S="${SOAP_ENV}"><S:Body>${NN}</S:Body><S:Body>${NAME}</S:Body></S:Envelope>`,
  `<S:Envelope xmlns:S="${SOAP_ENV}"><S:Header>${NAME}</S:Header></S:Envelope>`,
  `<S:Envelope xmlns:S="urn:not-soap"><S:Body><x>${NN}</x></S:Body></S:Envelope>`,
  envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person><p:ssn>${NN}</p:ssn><p:ssn>${NN}</p:ssn><p:firstName xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></p:person></p:personDetailsResponse>`, SOAP12_ENV),
  `<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>${NN} ${NAME}<br></p></body></html>`,
  `<!DOCTYPE html><html><body>${CITIZEN.address}</body></html>`,
  `<?xml version="1.0" encoding="UTF-16"?><x>${NN}</x>`,
  `<?xml version="1.0" encoding="x-unknown-charset"?><x>${NN}</x>`,
  `<?xml version="1.0" encoding="windows-1256"?><x>${NN}</x>`,
  `{"nationalNumber":"${NN}","fullName":"${NAME}"}`,
  `${NN} ${NAME}`,
];

/** Fault codes that are not codes: text, Arabic, whitespace, length — each with the citizen in it. */
const garbageCode = fc.oneof(
  fc.constantFrom(`S:Server ${NN}`, `Server.${NN} ${NAME}`, `${NAME}`, `REC ${NN}`, `REC_${NN} ${NAME}`, `PERSON_NOT_FOUND ${NN}`, `:${NN} x`, ` ${CITIZEN.email} `, `undeclared:${NN} y`),
  fc.integer({ min: 65, max: 50_000 }).map((n) => `S:Server.${'X'.repeat(n)}${NN} z`),
  // A space inside whatever the generated text is, so it never trims down to a code-shaped number.
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `${s} ${NN} x${s}`),
);
const xmlSafe = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[\uD800-\uDFFF]/g, '');

const soapFault = fc
  .record({
    version: fc.constantFrom('1.1', '1.2', 'mixed'),
    code: fc.oneof(fc.constantFrom('S:Client', 'S:Server', 'Sender', 'Receiver', 'PERSON_NOT_FOUND', 'REC_SEALED', '', 'S:Server.Busy'), garbageCode),
    subcodes: fc.array(fc.oneof(garbageCode, fc.constantFrom('REC_SEALED', 'x:Y')), { maxLength: 3 }),
    subDepth: fc.option(fc.integer({ min: 16, max: 20_000 }), { nil: undefined }),
    reason: fc.constantFrom(`${NN} ${NAME}`, `لا يوجد سجل للرقم ${NN}`, ''),
    detail: fc.oneof(
      fc.constant(`<errorCode>${NN} ${NAME}</errorCode><message>${CITIZEN.address}</message>`),
      fc.constant(`<e:RegistryFault xmlns:e="urn:e"><e:code>REC ${NN}</e:code><e:code>PERSON_NOT_FOUND</e:code></e:RegistryFault>`),
      depth.map((d) => deep(Math.min(d, 5_000), '<d>', '</d>', `<errorCode>${NN}</errorCode>`)),
      fc.constant(''),
    ),
    detailCode: garbageCode,
  })
  .map((f) => {
    const code = xmlSafe(f.code);
    const detail = f.detail + (f.detailCode ? `<faultCode>${xmlSafe(f.detailCode)}</faultCode>` : '');
    if (f.version === '1.1') return envelope(`<S:Fault><faultcode>${code}</faultcode><faultstring>${f.reason}</faultstring><detail>${detail}</detail></S:Fault>`);
    const subs = f.subDepth ? deep(f.subDepth, '<S:Subcode><S:Value>x:Deep</S:Value>', '</S:Subcode>') : f.subcodes.map((s) => `<S:Subcode><S:Value>${xmlSafe(s)}</S:Value>`).join('') + '</S:Subcode>'.repeat(f.subcodes.length);
    const fault = `<S:Fault><S:Code><S:Value>${code}</S:Value>${subs}</S:Code><S:Reason><S:Text xml:lang="ar">${f.reason}</S:Text></S:Reason><S:Detail>${detail}</S:Detail></S:Fault>`;
    return f.version === '1.2' ? envelope(fault, SOAP12_ENV) : envelope(fault);
  });

const soapBody = fc.oneof(
  { weight: 3, arbitrary: damage(Buffer.from(SOAP_OK)) },
  { weight: 2, arbitrary: soapFault.map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_XML).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: depth.map((d) => Buffer.from(envelope(deep(d, `<p:personDetailsResponse xmlns:p="${PRODUCER}">`, '</p:personDetailsResponse>', NN)))) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 40_000 }).map((n) => Buffer.from(envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:person>${'<p:ssn/>'.repeat(n)}</p:person></p:personDetailsResponse>`))) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 100_000 }).map((n) => Buffer.from(envelope(`<p:personDetailsResponse xmlns:p="${PRODUCER}"><p:x${'y'.repeat(n)}>${NN}</p:x${'y'.repeat(n)}></p:personDetailsResponse>`))) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from(' '), Buffer.from('\uFEFF'), Buffer.from(SOAP_OK, 'utf16le'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SOAP_OK)])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from(NN), Buffer.from(a)])) },
);

const HOSTILE_JSON = [
  `{"nationalNumber":"${NN}","fullName":"${NAME}","nationalNumber":1}`,
  `{"__proto__":{"nationalNumber":"${NN}"},"fullName":"${NAME}"}`,
  `{"constructor":{"prototype":{"polluted":"${NN}"}},"nationalNumber":"${NN}","fullName":"${NAME}"}`,
  `{"nationalNumber":"${NN}","fullName":"${NAME}","maritalStatus":"${NAME}"}`,
  `{"nationalNumber":${NN},"fullName":"${NAME}"}`,
  `{"nationalNumber":"${NN}0","fullName":"${NAME}"}`,
  `{"nationalNumber":"${NN}","fullName":"${NAME}","birthPlace":{"city":"${CITIZEN.email}"}}`,
  `{"nationalNumber":"${NN}","fullName":"${NAME}","children":[{"nationalNumber":"${NN}"}]}`,
  `{"nationalNumber":"${NN}","fullName":1e309}`,
  `{"nationalNumber":"${NN}","fullName":"\\ud800${NAME}"}`,
  `["${NN}","${NAME}"]`,
  `"${NN} ${NAME}"`,
  'null',
  `<html><body><h1>Service Unavailable</h1>${NN} ${NAME}</body></html>`,
  `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "${NN}">]><x>&e;</x>`,
  `NaN`,
  `{"nationalNumber":"${NN}",`,
];

/** JSON error documents: codes where the rules look, garbage where they do not expect it. */
const jsonError = fc
  .record({
    shape: fc.constantFrom('code', 'error', 'errorCode', 'errorString', 'pointer', 'array', 'deep'),
    code: fc.oneof(fc.constantFrom<unknown>('PERSON_NOT_FOUND', 'RECORD_SEALED', 'REC_X', 42, null, true, [], {}, { code: 'x' }), garbageCode),
    message: fc.constantFrom<unknown>(`${NN} ${NAME}`, { text: NN }, [NAME], null, 7),
    d: depth,
  })
  .map(({ shape, code, message, d }) =>
    shape === 'code'
      ? JSON.stringify({ code, message })
      : shape === 'error'
        ? JSON.stringify({ error: { code, message, reason: code } })
        : shape === 'errorCode'
          ? JSON.stringify({ errorCode: code, detail: message, title: message })
          : shape === 'errorString'
            ? JSON.stringify({ error: typeof code === 'string' ? code : 'server_error', error_description: message })
            : shape === 'pointer'
              ? JSON.stringify({ error: [{ reason: code }], message })
              : shape === 'array'
                ? JSON.stringify([code, message])
                : deep(Math.min(d, 20_000), '{"error":', '}', JSON.stringify({ reason: code })),
  );

const jsonBody = fc.oneof(
  { weight: 3, arbitrary: damage(Buffer.from(JSON_OK)) },
  { weight: 2, arbitrary: jsonError.map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_JSON).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: depth.map((d) => Buffer.from(deep(d, '[', ']', `"${NN}"`))) },
  { weight: 1, arbitrary: depth.map((d) => Buffer.from(`{"nationalNumber":"${NN}","fullName":"${NAME}","children":${deep(Math.min(d, 20_000), '[{"nationalNumber":"01020304050","fullName":"ab","children":', '}]', '[]')}}`)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify({ nationalNumber: NN, fullName: NAME, extra: v }))) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from(' '), Buffer.from(JSON_OK, 'utf16le'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON_OK)])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from(NN), Buffer.from(a)])) },
);

const xmlBody = fc.oneof(
  { weight: 3, arbitrary: damage(Buffer.from(XML_OK)) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_XML).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: garbageCode.map((c) => Buffer.from(`<error><code>${xmlSafe(c)}</code><text>${NN} ${NAME}</text></error>`)) },
  { weight: 1, arbitrary: depth.map((d) => Buffer.from(deep(d, '<Statement number="1">', '</Statement>', NN))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30_000 }).map((n) => Buffer.from(`<Statement number="S">${`<line>${NN}</line>`.repeat(n)}</Statement>`)) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from(`<Statement number="S"><fee>${NN}${NN}${NN}e999</fee></Statement>`), Buffer.from(`<Statement><owner>${NAME}</owner></Statement>`), Buffer.from(`<Statement number="S" number="T"/>`), Buffer.from(`<x:Statement number="S"/>`), Buffer.alloc(0)) },
);

// ---------- the suite ----------

interface Target {
  name: string;
  connector: Connector;
  operation: string;
  input: unknown;
  valid: Buffer;
  contentType: string;
  validate: (output: unknown) => boolean;
}

describe('hostile input: connectors under malformed, truncated and hostile responses', function () {
  this.timeout(300_000);
  const sim = new Simulator();
  const http1 = new HttpClient();
  const targets: Target[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let calls = 0;
  let started = 0;
  const outcomes = new Map<string, number>();

  // Fast retries (1-5 ms backoff), two attempts, and a breaker that never opens: every call must
  // meet the response under test, not a CircuitOpenError left by the previous one.
  const resilience = { timeoutMs: TIMEOUT_MS, connectTimeoutMs: TIMEOUT_MS, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, circuitBreaker: { failureThreshold: 1_000_000_000, halfOpenAfterMs: 1 } };
  const rules = {
    rules: [
      { status: 404, faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' },
      { faultCode: 'PERSON_NOT_FOUND', reason: 'person-not-found' },
      { status: 422, codePointer: '/error/reason', faultCode: 'RECORD_SEALED', reason: 'record-sealed' },
      { codePointer: '/error/0/reason', faultCodePattern: '^REC', reason: 'record-sealed' },
      { faultCodePattern: '^REC', reason: 'record-sealed' },
    ],
  };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    await sim.start();
    const ajv = createAjv();
    const validator = (c: Connector, op: string) => ajv.compile(c.operations().find((o) => o.name === op)!.outputSchema);

    const model = compileWsdlFile(join(CORPUS, 'xroad-example-adapter', 'example-adapter.wsdl')).model;
    const soap = new SoapConnector(testProvider(model, `${sim.url}/soap`, { xroad: XROAD_CONFIG, resilience, errors: rules, xml: { maxBytes: MAX_BYTES } } as Partial<ProviderDefinition>), 'sandbox', { http: http1 });
    targets.push({ name: 'soap personDetails', connector: soap, operation: 'personDetails', input: { ssn: NN }, valid: Buffer.from(SOAP_OK), contentType: 'text/xml; charset=utf-8', validate: validator(soap, 'personDetails') });

    const civil = await importedOperations('civil');
    const defJson = provider({ environments: { sandbox: { endpoint: `${sim.url}/v1` } }, resilience, errors: rules, xml: { maxBytes: MAX_BYTES } });
    const restJson = new RestConnector({ definition: defJson, operations: civil, client: http1 });
    targets.push({ name: 'rest getPerson (JSON)', connector: restJson, operation: 'getPerson', input: { path: { nationalNumber: NN }, headers: { 'X-Centre-Code': 'DAM-01' } }, valid: Buffer.from(JSON_OK), contentType: 'application/json; charset=utf-8', validate: validator(restJson, 'getPerson') });

    const vehicles = await importedOperations('vehicles');
    const defXml = provider({ environments: { sandbox: { endpoint: `${sim.url}/v1` } }, resilience, errors: rules, xml: { maxBytes: MAX_BYTES } });
    const restXml = new RestConnector({ definition: defXml, operations: vehicles, client: http1 });
    targets.push({ name: 'rest issueStatement (XML)', connector: restXml, operation: 'issueStatement', input: { body: { '@plate': '123456', OwnerName: NAME } }, valid: Buffer.from(XML_OK), contentType: 'application/xml; charset=utf-8', validate: validator(restXml, 'issueStatement') });
    started = performance.now();
  });

  after(async () => {
    process.off('unhandledRejection', onRejection);
    for (const t of targets) await t.connector.close();
    await http1.close();
    await sim.close();
  });

  const target = (name: string) => targets.find((t) => t.name.startsWith(name))!;

  /** One call against `reply`: it settles in time, with valid output or a typed error that leaks nothing. */
  async function check(t: Target, reply: Reply, ctx: CallContext = {}): Promise<void> {
    sim.reply = reply;
    calls++;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<{ hung: true }>((ok) => (timer = setTimeout(() => ok({ hung: true }), CALL_BOUND_MS)));
    const outcome = await Promise.race([
      t.connector.call(t.operation, t.input, ctx).then(
        (r) => ({ output: r.output }),
        (err: unknown) => ({ err }),
      ),
      bound,
    ]).finally(() => clearTimeout(timer));
    const what = `${t.name}: ${reply.wire} ${reply.status} ${JSON.stringify(reply.headers)} ${reply.body.length} bytes: ${JSON.stringify(reply.body.subarray(0, 160).toString('utf8'))}`;
    assert.ok(!('hung' in outcome), `no answer within ${CALL_BOUND_MS} ms: ${what}`);
    if ('output' in outcome) {
      assert.ok(t.validate(outcome.output), `resolved with output the contract does not allow: ${what}`);
      count('resolved');
      return;
    }
    const err = outcome.err;
    assert.ok(isConnectorError(err), `an untyped ${(err as Error)?.constructor?.name ?? typeof err}: ${String((err as Error)?.message ?? err).slice(0, 300)} — for ${what}`);
    count(err.code);
    const said = `${err.message}\n${JSON.stringify(err)}`;
    for (const m of MARKERS) assert.ok(!said.includes(m), `the error repeats citizen data (${m}): ${said.slice(0, 400)} — for ${what}`);
    assert.ok(err.message.length <= 1_000, `an error message of ${err.message.length} characters: ${err.message.slice(0, 200)}… — for ${what}`);
    const text = reply.body.toString('utf8');
    if (text.length >= 48) assert.ok(!said.includes(text.slice(0, 48)), `the error quotes the body: ${said.slice(0, 300)} — for ${what}`);
  }

  function count(outcome: string): void {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }

  const replyOf = (t: Target, body: fc.Arbitrary<Buffer>) =>
    fc.record({
      status,
      type: contentType(t.contentType),
      body: fc.oneof({ weight: 12, arbitrary: body.map((b): Partial<Reply> => ({ body: b })) }, { weight: 1, arbitrary: huge(t.contentType) }),
      wire,
      retry: fc.boolean(),
    }).map(({ status: s, type, body: b, wire: w, retry }) => ({
      reply: { status: s, headers: { ...(type !== undefined ? { 'content-type': type } : {}), ...b.headers }, body: b.body ?? Buffer.alloc(0), wire: w } satisfies Reply,
      // An idempotency key lets the policy retry a SOAP call or a POST: the retry meets the same answer.
      ctx: retry ? { idempotencyKey: `hostile-${calls}` } : {},
    }));

  const fuzz = (name: string, body: (t: Target) => fc.Arbitrary<Buffer>, numRuns: number) => async () => {
    const t = target(name);
    await fc.assert(
      fc.asyncProperty(replyOf(t, body(t)), async ({ reply, ctx }) => check(t, reply, ctx)),
      { seed: SEED, numRuns },
    );
  };

  for (const name of ['soap', 'rest getPerson', 'rest issueStatement']) {
    it(`${name}: the valid response truncated at every byte, as a 200 and as a connection cut there`, async () => {
      const t = target(name);
      // The whole answer first: the property is only worth something if the valid case resolves.
      sim.reply = { status: 200, headers: { 'content-type': t.contentType }, body: t.valid, wire: 'normal' };
      const ok = await t.connector.call(t.operation, t.input);
      assert.ok(t.validate(ok.output));
      for (let n = 0; n < t.valid.length; n++) {
        const body = t.valid.subarray(0, n);
        await check(t, { status: 200, headers: { 'content-type': t.contentType }, body, wire: 'normal' });
        // A tenth of the cut points again as a connection that promised the whole body.
        if (n % 10 === 0) await check(t, { status: 200, headers: { 'content-type': t.contentType }, body, wire: 'cut' });
      }
    });
  }

  it('soap: generated responses — damaged, faults with garbage, DTDs and entities, deep, wide, huge, not XML', fuzz('soap', () => soapBody, 1_000));
  it('rest JSON: generated responses — damaged, garbage error documents, deep, huge, not JSON', fuzz('rest getPerson', () => jsonBody, 1_000));
  it('rest XML: generated responses — damaged, DTDs and entities, deep, wide, huge, not XML', fuzz('rest issueStatement', () => xmlBody, 800));

  it('every call settled, typed, without an unhandled rejection or a polluted prototype', () => {
    const seconds = (performance.now() - started) / 1000;
    console.log(`      (${calls} calls with generated responses in ${seconds.toFixed(1)} s, seed ${SEED}: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')})`);
    assert.deepEqual(rejections, []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(calls > 5_000, `only ${calls} calls`);
  });
});

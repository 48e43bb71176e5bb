/**
 * Recording one exchange with a provider's real system (`wasl provider record`): an HTTP client
 * that keeps what goes over the wire (every attempt: the request as sent, the answer as
 * received), and the recording made of the last attempt — without credentials, masked
 * (./mask.ts), in the format of contracts/recording.schema.json — ready to be written under
 * contracts/providers/<code>/recordings/<operation>/<label>.json, where the provider's generated
 * sandbox simulator replays it.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createAjv, pointErrors, type ValidateFunction } from '../../contracts';
import recordingSchema from '../../contracts/recording.schema.json';
import type { ProviderDefinition, RecordedFault, Recording } from '../../contracts/types';
import { HttpClient, type HttpRequest, type HttpResponse } from '../http/client';
import { leafNamed, leavesOf, Masker, type Leaf } from './mask';

/** One attempt as it went over the wire. */
export interface WireExchange {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  response?: { status: number; headers: HttpResponse['headers']; body: string };
}

/** The shared client's behaviour, keeping every exchange (bodies as text). */
export class CapturingHttpClient extends HttpClient {
  readonly exchanges: WireExchange[] = [];
  override async request(req: HttpRequest): Promise<HttpResponse> {
    const x: WireExchange = { url: req.url, method: req.method, headers: { ...(req.headers ?? {}) }, ...(req.body !== undefined ? { body: req.body.toString() } : {}) };
    this.exchanges.push(x);
    const res = await super.request(req);
    x.response = { status: res.status, headers: res.headers, body: res.body.toString('utf8') };
    return res;
  }
}

/** What the connector made of a fault (a ConnectorError's fields). */
export interface FaultSeen {
  code: string;
  faultCode?: string;
  providerCode?: string;
  providerMessage?: string;
  status?: number;
  transient?: boolean;
  reason?: string;
  rule?: { index: number; kind: 'refusal' | 'transient' | 'permanent' };
}

export interface RecordingInput {
  definition: ProviderDefinition;
  operation: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  input: unknown;
  /** The decoded output of an answer; absent for a fault. */
  output?: unknown;
  fault?: FaultSeen;
  /** The last attempt, over the wire. */
  exchange: WireExchange;
  attempts: number;
  environment: 'test' | 'production';
  label: string;
  /** Fields kept in clear (--keep): member names, JSON pointers or dotted paths. */
  keep?: readonly string[];
  /** Fields a request must match to replay it (--match); every leaf of the input by default. */
  match?: readonly string[];
  /** Credentials the connector read, scrubbed wherever they appear. */
  secrets?: readonly string[];
  now?: Date;
}

export class RecordingError extends Error {
  override name = 'RecordingError';
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const REQUEST_HEADERS = new Set(['content-type', 'soapaction', 'accept']);

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new WeakMap<object, ValidateFunction>();
function validator(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const { $id: _id, ...rest } = schema;
    v = (ajv ??= createAjv()).compile(rest);
    compiled.set(schema, v);
  }
  return v;
}

/** A recording file's problems against contracts/recording.schema.json (none: []). */
export function recordingProblems(doc: unknown): string[] {
  const v = validator(recordingSchema as Record<string, unknown>);
  return v(doc) ? [] : pointErrors(v.errors).map((e) => `${e.pointer || '/'} ${e.message}`);
}

/** Where a provider's recordings of an operation live. */
export const recordingsDir = (providerDir: string, operation: string) => path.join(providerDir, 'recordings', operation);

const headerText = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);

/** The request's path and query, without the API key a query may carry. */
function pathOf(url: string, def: ProviderDefinition): string {
  const u = new URL(url);
  const key = def.security?.apiKey;
  if (key && key.in === 'query') u.searchParams.delete(key.name);
  return `${u.pathname}${u.search}`;
}

/** A SOAP request without its WS-Security header block (UsernameToken, signature). */
const withoutWsSecurity = (xml: string) => xml.replace(/<([\w.-]+:)?Security\b[^>]*?(\/>|>[\s\S]*?<\/\1?Security>)/g, '');

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[secret]');
  return out;
}

/** Masks the originals, drawing again those whose substitute the document's schema refuses. */
function maskFitting(masker: Masker, doc: unknown, schema: Record<string, unknown>, leaves: Leaf[], keep: (pointer: string) => boolean, what: string): unknown {
  const v = validator(schema);
  if (!v(doc)) return masker.value(doc, keep);
  for (let round = 0; round < 40; round++) {
    const masked = masker.value(doc, keep);
    if (v(masked)) return masked;
    const bad = pointErrors(v.errors).map((e) => e.pointer);
    const redraw = leaves.filter((l) => bad.some((b) => l.pointer === b || l.pointer.startsWith(`${b}/`)));
    if (!redraw.length) break;
    for (const l of redraw) masker.redraw(l.value);
  }
  throw new RecordingError(`cannot mask the ${what} to values its schema accepts (at ${[...new Set(pointErrors(v.errors).map((e) => e.pointer || '/'))].join(', ')}): keep that field in clear with --keep, if it is not personal`);
}

/** The recording of one exchange, masked; throws a RecordingError when it cannot be made safely. */
export function makeRecording(r: RecordingInput): Recording {
  if (!LABEL.test(r.label)) throw new RecordingError(`the name ${JSON.stringify(r.label)} is not a recording label: letters, digits, dots, dashes and underscores, at most 64`);
  const res = r.exchange.response;
  if (!res) throw new RecordingError('the provider did not answer: nothing to record');
  const keepNames = r.keep ?? [];
  const inputLeaves = leavesOf(r.input, r.inputSchema);
  const outputLeaves = r.output === undefined ? [] : leavesOf(r.output, r.outputSchema);
  const masker = new Masker();
  const kept = (l: Leaf) => l.enumerated || leafNamed(l, keepNames);
  for (const l of [...inputLeaves, ...outputLeaves]) if (!kept(l)) masker.add(l.value);
  const keptPointers = (leaves: Leaf[]) => {
    const set = new Set(leaves.filter(kept).map((l) => l.pointer));
    return (p: string) => set.has(p);
  };
  const input = maskFitting(masker, r.input, r.inputSchema, inputLeaves, keptPointers(inputLeaves), 'input');
  const output = r.output === undefined ? undefined : maskFitting(masker, r.output, r.outputSchema, outputLeaves, keptPointers(outputLeaves), 'output');

  const secrets = r.secrets ?? [];
  const kind = r.definition.kind;
  const contentType = headerText(res.headers['content-type']);
  const reqHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.exchange.headers)) if (REQUEST_HEADERS.has(k.toLowerCase())) reqHeaders[k.toLowerCase()] = masker.text(scrub(v, secrets));
  const reqBody = r.exchange.body === undefined ? undefined : scrub(kind === 'soap' ? withoutWsSecurity(r.exchange.body) : r.exchange.body, secrets);

  let match: string[];
  if (r.match?.length) {
    match = inputLeaves.filter((l) => leafNamed(l, r.match!)).map((l) => l.pointer);
    const unknown = r.match.filter((m) => !inputLeaves.some((l) => leafNamed(l, [m])));
    if (unknown.length) throw new RecordingError(`--match names no value of the input: ${unknown.join(', ')}`);
  } else match = inputLeaves.map((l) => l.pointer);

  let fault: RecordedFault | undefined;
  if (r.fault) {
    const f = r.fault;
    const code = f.faultCode ?? f.providerCode;
    fault = {
      error: f.code,
      ...(code ? { faultCode: code } : {}),
      ...(f.providerMessage !== undefined ? { text: masker.text(scrub(f.providerMessage, secrets)) } : {}),
      ...(f.status !== undefined ? { status: f.status } : {}),
      transient: !!f.transient,
      ...(f.reason ? { reason: f.reason } : {}),
      ...(f.rule ? { kind: f.rule.kind, rule: f.rule.index } : {}),
    };
  }
  let endpoint: string | undefined;
  try {
    const u = new URL(r.exchange.url);
    endpoint = `${u.protocol}//${u.host}${masker.path(u.pathname)}`;
  } catch {
    endpoint = undefined;
  }
  const recording: Recording = {
    $schema: 'https://contracts.wasl.sy/recording.schema.json',
    format: 1,
    provider: r.definition.code,
    operation: r.operation,
    label: r.label,
    recordedAt: (r.now ?? new Date()).toISOString(),
    environment: r.environment,
    ...(endpoint ? { endpoint } : {}),
    kind,
    match,
    input: input as Recording['input'],
    ...(output !== undefined ? { output: output as Recording['output'] } : {}),
    request: { method: r.exchange.method.toUpperCase(), path: masker.path(pathOf(r.exchange.url, r.definition)), headers: reqHeaders, ...(reqBody !== undefined ? { body: masker.body(reqBody, reqHeaders['content-type']) } : {}) },
    response: { status: res.status, ...(contentType ? { contentType } : {}), body: masker.body(scrub(res.body, secrets), contentType) },
    outcome: r.fault ? 'fault' : 'answer',
    ...(fault ? { fault } : {}),
    attempts: r.attempts,
    masking: { masked: masker.size, kept: [...keepNames] },
  };
  const problems = recordingProblems(recording);
  if (problems.length) throw new RecordingError(`the recording does not follow contracts/recording.schema.json: ${problems.join('; ')}`);
  return recording;
}

/** Writes a recording to its place; refuses to overwrite one unless told. Returns the file. */
export function writeRecording(providerDir: string, rec: Recording, overwrite = false): string {
  const dir = recordingsDir(providerDir, rec.operation);
  const file = path.join(dir, `${rec.label}.json`);
  if (existsSync(file) && !overwrite) throw new RecordingError(`${file} exists: give another --name, or --overwrite`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
  return file;
}

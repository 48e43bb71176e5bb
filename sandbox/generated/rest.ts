/**
 * A REST simulator generated from a provider's imported operations (an OpenAPI document, or
 * operations described by hand in provider.json): every operation's method and path template
 * under the sandbox endpoint's base path. A request is read into the connectors' input
 * convention ({ path, query, headers, body }, connectors/rest/binding.ts), checked against the
 * operation's input schema (400 INVALID_REQUEST with the violations when it does not hold), and
 * answered with a generated valid example under the scenario's members, in JSON or in the XML
 * mapping the contract uses. An exchange recorded from the provider's real system
 * (recordings.ts) is replayed as it was received (status, content type, body) where the request
 * matches it. A business fault a scenario asks for is a recorded fault of that code when there is
 * one, else shaped where the provider's declared rule for it reads it (status, the code at its
 * `codePointer`, /code by default, the text at its `messagePointer`, /message by default); a code
 * no rule declares and nothing recorded is a SIMULATOR error.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LoadedProvider } from '../../connectors/provider-files';
import { manualOperation } from '../../connectors/rest/manual';
import { mediaKind, type RestBinding } from '../../connectors/rest/binding';
import { fromXml, toXml } from '../../connectors/rest/xml-body';
import { parseXml } from '../../connectors/xml/parse';
import { closeServer, listen } from '../simulators/recorder';
import { Answers, checker, recordedOutcome, type GeneratedOptions, type GeneratedSimulator, type Outcome } from './common';
import { faultShape, undeclaredFault, type FaultShape } from './recordings';
import type { Recording } from '../../contracts/types';
import { exampleOf } from './examples';
import { orderOf } from './scripts';
import { gateOf } from './credentials';
import { HeldRequests, playWireFault, WIRE_FAULTS, type WireFault } from './wire-faults';
import { readBody } from '../simulators/callbacks';

type Schema = Record<string, unknown>;

interface Route {
  name: string;
  binding: RestBinding;
  pattern: RegExp;
  names: string[];
}

/** A path template (/vehicles/{plate}/ownership) as a regular expression, with its placeholders' names in order. */
export function templatePattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

function routeOf(name: string, binding: RestBinding): Route {
  return { name, binding, ...templatePattern(binding.path) };
}

/** Sets `value` at an RFC 6901 pointer, creating objects on the way. */
function setAt(doc: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur = doc;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  if (parts.length) cur[parts.at(-1)!] = value;
}

export async function startRestSimulator(provider: LoadedProvider, opts: GeneratedOptions): Promise<GeneratedSimulator> {
  const def = provider.definition;
  const endpoint = new URL(def.environments.sandbox?.endpoint ?? `http://127.0.0.1/${def.code}`);
  const base = (opts.path ?? endpoint.pathname).replace(/\/+$/, '');
  const operations = { ...provider.operations };
  for (const [name, m] of Object.entries(def.operations ?? {})) {
    if (!m) continue;
    const op = manualOperation(name, m);
    operations[name] = { inputSchema: op.inputSchema, outputSchema: op.outputSchema, binding: op.binding as unknown as Record<string, unknown>, idempotent: op.idempotent, ...(op.description ? { description: op.description } : {}) };
  }
  const routes = Object.entries(operations).map(([name, o]) => routeOf(name, o.binding as unknown as RestBinding));
  const ctx = checker(def.code, operations, opts, provider.dir, def.names.en);
  /** Recorded answers replayed, by idempotency key: a repeat gets the same bytes again. */
  const replayed = new Map<string, Recording>();
  const replay = (res: ServerResponse, rec: Recording) => {
    if (res.destroyed) return;
    res.writeHead(rec.response.status, rec.response.contentType ? { 'content-type': rec.response.contentType } : {}).end(rec.response.body);
  };
  const held = new HeldRequests();
  const answers = new Answers();
  const codePointer = def.errors?.rules?.find((r) => r.codePointer)?.codePointer ?? '/code';
  const gate = gateOf(def);

  const send = (res: ServerResponse, status: number, body: unknown, binding?: RestBinding) => {
    if (res.destroyed) return;
    if (body === undefined) return void res.writeHead(status).end();
    if (mediaKind(binding?.responseMediaType) === 'xml' && status < 400) {
      res.writeHead(status, { 'content-type': `${binding!.responseMediaType}; charset=utf-8` }).end(toXml(body, binding!.responseXmlRoot ?? 'response'));
    } else res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const errorBody = (binding: RestBinding, status: number, code: string | undefined, message: string, shape?: FaultShape) => {
    const declared = binding.errorResponses[String(status)] ?? binding.errorResponses[`${String(status)[0]}XX`] ?? binding.errorResponses.default;
    const example = declared ? exampleOf(declared.schema) : {};
    const body = (typeof example === 'object' && example !== null && !Array.isArray(example) ? example : {}) as Record<string, unknown>;
    if (code !== undefined) setAt(body, shape?.codePointer ?? codePointer, code);
    // Where the rule reads the text, it is there; elsewhere a message only where the body has none.
    if (shape?.messagePointer) setAt(body, shape.messagePointer, message);
    else if (shape && shape.errorCode === undefined) body.message = message;
    else if (!('message' in body)) body.message = message;
    return body;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    if (gate.tokenPath && url.pathname === gate.tokenPath && req.method === 'POST') {
      const t = gate.token(req, (await readBody(req)).toString('utf8'));
      return send(res, t.status, t.body);
    }
    const refused = gate.refuseHttp(req, url);
    if (refused) {
      req.resume();
      ctx.record({ method: req.method ?? '', path: url.pathname, input: {}, outcome: 'UNAUTHORIZED', status: 401, violations: [`credentials: ${refused}`], repeated: false, ...(req.headers['x-wasl-order-id'] ? { orderId: String(req.headers['x-wasl-order-id']) } : {}) });
      return send(res, 401, { code: 'UNAUTHORIZED', message: refused });
    }
    const rel = url.pathname.startsWith(base) ? url.pathname.slice(base.length) || '/' : undefined;
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of routes) {
      if (rel === undefined || r.binding.method.toUpperCase() !== req.method) continue;
      match = r.pattern.exec(rel);
      if (match) {
        route = r;
        break;
      }
    }
    if (!route || !match) {
      req.resume();
      return send(res, 404, { code: 'NOT_FOUND', message: `no operation at ${req.method} ${url.pathname}` });
    }
    const { name, binding } = route;
    const schema = operations[name]!.inputSchema;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const raw: Record<string, unknown> = {};
    const params = (where: RestBinding['parameters'][number]['in']) => binding.parameters.filter((p) => p.in === where);
    if (props.path) raw.path = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match![i + 1]!)]));
    if (props.query) {
      const q: Record<string, unknown> = {};
      for (const p of params('query')) {
        const all = url.searchParams.getAll(p.name);
        if (all.length) q[p.name] = all.length > 1 ? all : all[0];
      }
      raw.query = q;
    }
    if (props.headers) {
      const h: Record<string, unknown> = {};
      for (const p of params('header')) {
        const v = req.headers[p.name.toLowerCase()];
        if (v !== undefined) h[p.name] = Array.isArray(v) ? v.join(',') : v;
      }
      if (Object.keys(h).length) raw.headers = h;
    }
    let bodyText = '';
    try {
      const buf = await readBody(req);
      bodyText = buf.toString('utf8');
      if (binding.requestMediaType && buf.length) {
        const kind = mediaKind(binding.requestMediaType);
        raw.body = kind === 'json' ? JSON.parse(bodyText) : kind === 'xml' ? fromXml(parseXml(buf), props.body, schema) : bodyText;
      }
    } catch (err) {
      const violations = [`/body ${(err as Error).message}`];
      ctx.record({ method: req.method ?? '', path: url.pathname, operation: name, input: { body: bodyText.slice(0, 2000) }, outcome: 'INVALID_REQUEST', status: 400, violations, repeated: false });
      return send(res, 400, { code: 'INVALID_REQUEST', message: 'the body cannot be read', violations });
    }
    const input = ctx.decodeInput(name, raw);
    const key = req.headers['idempotency-key'] as string | undefined;
    const orderId = orderOf(req.headers['x-wasl-order-id'] as string | undefined, undefined, key);
    const record = (o: Outcome) => ctx.record({ method: req.method ?? '', path: url.pathname, idempotencyKey: key, orderId, operation: name, input: input as Record<string, unknown>, ...o });

    const violations = ctx.checkInput(name, input);
    if (violations.length) {
      record({ outcome: 'INVALID_REQUEST', status: 400, violations, repeated: false });
      return send(res, 400, { code: 'INVALID_REQUEST', message: 'the request does not match the contract', violations });
    }
    const success = binding.successStatuses[0] ?? 200;
    const previous = answers.get(key);
    if (previous !== undefined) {
      record({ outcome: 'ok', status: success, response: previous, repeated: true });
      return send(res, success, previous, binding);
    }
    const again = key ? replayed.get(key) : undefined;
    if (again) {
      record(recordedOutcome(again, true));
      return replay(res, again);
    }
    const { fault: f, answer } = await ctx.planAndAnswer(orderId, name, input, started);
    if (f && WIRE_FAULTS.has(f.kind)) {
      const xml = mediaKind(binding.responseMediaType) === 'xml';
      const body = xml ? toXml(answer.value, binding.responseXmlRoot ?? 'response') : JSON.stringify(answer.value);
      const status = playWireFault(f.kind as WireFault, req, res, held, { contentType: xml ? 'application/xml' : 'application/json', body }, xml);
      return record({ outcome: `fault:${f.kind}`, status, repeated: false });
    }
    if (f && !f.code) {
      // A server error without a business code: no rule is asked about.
      const status = f.status ?? 503;
      const body = errorBody(binding, status, 'SERVICE_UNAVAILABLE', 'simulated fault SERVICE_UNAVAILABLE');
      record({ outcome: 'SERVICE_UNAVAILABLE', status, response: body, repeated: false });
      return send(res, status, body);
    }
    if (f?.code) {
      const recorded = ctx.recordings.fault(name, f.code);
      if (recorded) {
        record(recordedOutcome(recorded));
        return replay(res, recorded);
      }
      const shape = faultShape(def.errors, f.code);
      if (!shape) {
        const message = undeclaredFault(def.code, name, f.code);
        record({ outcome: 'SIMULATOR_FAULT_UNDECLARED', status: 500, violations: [message], repeated: false });
        return send(res, 500, { code: 'SIMULATOR_FAULT_UNDECLARED', message });
      }
      const status = shape.status ?? f.status ?? 422;
      const body = errorBody(binding, status, shape.errorCode, shape.text, shape);
      record({ outcome: f.code, status, response: body, repeated: false });
      return send(res, status, body);
    }
    const recorded = ctx.recordings.matching(name, input);
    if (recorded) {
      if (recorded.outcome === 'answer' && key) replayed.set(key, recorded);
      record(recordedOutcome(recorded));
      return replay(res, recorded);
    }
    if (answer.violations.length) {
      record({ outcome: 'SIMULATOR_ANSWER_INVALID', status: 500, violations: answer.violations, repeated: false });
      return send(res, 500, { code: 'SIMULATOR_ANSWER_INVALID', message: "the scenario's answer does not match the contract", violations: answer.violations });
    }
    answers.set(key, answer.value);
    record({ outcome: 'ok', status: success, response: answer.value, repeated: false });
    return send(res, success, binding.responseMediaType ? answer.value : undefined, binding);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port, host);
  return ctx.running({
    kind: 'rest',
    url: `http://${host}:${port}${base}`,
    close: async () => {
      held.release();
      await closeServer(server);
    },
  });
}

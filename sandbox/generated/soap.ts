/**
 * A SOAP simulator generated from a provider's imported WSDL: the `soap` package's own server
 * (soap.listen) on the contract as imported, so it is a different SOAP stack from wasl's
 * connector and any SOAP client can call it. It serves the WSDL at `?wsdl` and the schemas it
 * imports beside it, checks each request against the operation's input schema (a Client fault
 * when it does not hold), echoes the request's SOAP headers (X-Road requires it), and answers a
 * generated valid example laid under what the scenario says — checked against the output schema
 * before it is sent. An exchange recorded from the provider's real system (recordings.ts) is
 * replayed as it was received — the request's SOAP headers echoed into its envelope — where the
 * request matches it. A business fault a scenario asks for is a recorded fault of that code when
 * there is one, else shaped the way the provider's declared error rule for that code reads it:
 * the code in the detail (`<Fault><errorCode>…`), the text in faultstring / Reason, an element at
 * the rule's detail path; a code no rule declares and nothing recorded is a SIMULATOR error.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import * as soap from 'soap';
import type { LoadedProvider } from '../../connectors/provider-files';
import { closeServer, listen } from '../simulators/recorder';
import { Answers, checker, recordedOutcome, type GeneratedOptions, type GeneratedSimulator, type Outcome } from './common';
import { faultShape, undeclaredFault, type FaultShape } from './recordings';
import type { Recording } from '../../contracts/types';
import { playWireFault, WIRE_FAULTS, HeldRequests, type WireFault } from './wire-faults';
import { orderOf } from './scripts';
import { gateOf } from './credentials';

/** Well-known schemas the connector keeps (xml.xsd…), and an empty one for any other remote import. */
const BUILTIN_SCHEMAS = join(__dirname, '..', '..', 'connectors', 'soap', 'schemas');
const EMPTY_XSD = join(__dirname, 'empty.xsd');

interface SoapBinding {
  service: string;
  port: string;
  soapVersion?: '1.1' | '1.2';
  faults?: Record<string, string>;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'object' ? ((v as { $value?: unknown }).$value as string | undefined) : String(v));

/** The soap package's parse of an element → the JSON shape of wasl's schemas (attributes as @name, text as #text). */
function fromSoap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromSoap);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'attributes' && typeof x === 'object' && x) {
      for (const [a, av] of Object.entries(x)) if (!a.startsWith('xmlns') && !a.includes(':')) out[`@${a}`] = av;
    } else if (k === '$value') out['#text'] = x;
    else if (k !== '$xml') out[k.includes(':') ? k.slice(k.indexOf(':') + 1) : k] = fromSoap(x);
  }
  return out;
}

/** wasl's JSON shape → the soap package's (attributes under `attributes`, text as `$value`). */
function toSoap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toSoap);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('@')) attributes[k.slice(1)] = x;
    else if (k === '#text') out.$value = x;
    else out[k] = toSoap(x);
  }
  if (Object.keys(attributes).length) out.attributes = attributes;
  return out;
}

/** Remote schemaLocations pointed at the copies served here: a client in a closed network can follow every import. */
const localSchemaLocations = (xml: string) => xml.replace(/schemaLocation\s*=\s*(["'])https?:\/\/[^"']*\/([^/"']+)\1/g, 'schemaLocation=$1$2$1');

const localOf = (qname: string) => qname.replace(/^\{[^}]*\}/, '');

/**
 * The request's header blocks, each made to stand alone: the namespace declarations they relied
 * on (on the request's Envelope and Header) are copied onto every top-level block, since the
 * answer's envelope declares other prefixes.
 */
export function echoHeaderBlocks(rawEnvelope: string): string {
  const env = /<(?:[\w.-]+:)?Envelope\b([^>]*)>/.exec(rawEnvelope);
  const hdr = /<(?:[\w.-]+:)?Header\b([^>]*)>([\s\S]*?)<\/(?:[\w.-]+:)?Header>/.exec(rawEnvelope);
  if (!hdr) return '';
  const decls = new Map<string, string>();
  for (const attrs of [env?.[1] ?? '', hdr[1] ?? '']) for (const m of attrs.matchAll(/\s(xmlns(?::[\w.-]+)?)\s*=\s*("[^"]*"|'[^']*')/g)) decls.set(m[1]!, m[2]!);
  let depth = 0;
  return hdr[2]!.replace(/<(\/?)([\w.-]+(?::[\w.-]+)?)([^>]*?)(\/?)>/g, (whole: string, close?: string, _name?: string, attrs = '', selfClose?: string) => {
    if (close) {
      depth--;
      return whole;
    }
    const top = depth === 0;
    if (!selfClose) depth++;
    if (!top) return whole;
    const add = [...decls].filter(([k]) => !new RegExp(`\\s${k}\\s*=`).test(attrs)).map(([k, v]) => ` ${k}=${v}`).join('');
    return whole.replace(/^<[\w.:-]+/, (t) => t + add);
  });
}

/** A recorded envelope with the request's header blocks (X-Road echoes them) in place of the recorded ones. */
export function withEchoedHeaders(envelope: string, blocks: string): string {
  if (!blocks) return envelope;
  const empty = /<([\w.-]+:)?Header\b([^>]*?)\/>/.exec(envelope);
  if (empty) return `${envelope.slice(0, empty.index)}<${empty[1] ?? ''}Header${empty[2]}>${blocks}</${empty[1] ?? ''}Header>${envelope.slice(empty.index + empty[0].length)}`;
  const hdr = /(<([\w.-]+:)?Header\b[^>]*>)[\s\S]*?(<\/\2?Header>)/.exec(envelope);
  if (hdr) return envelope.slice(0, hdr.index) + hdr[1] + blocks + hdr[3] + envelope.slice(hdr.index + hdr[0].length);
  const body = /<([\w.-]+:)?Body\b/.exec(envelope);
  if (!body) return envelope;
  const prefix = body[1] ?? '';
  return `${envelope.slice(0, body.index)}<${prefix}Header>${blocks}</${prefix}Header>${envelope.slice(body.index)}`;
}

const SOAP12_CODES: Record<string, string> = { Server: 'Receiver', Client: 'Sender' };
const SOAP11_CODES: Record<string, string> = { Receiver: 'Server', Sender: 'Client' };

export async function startSoapSimulator(provider: LoadedProvider, opts: GeneratedOptions): Promise<GeneratedSimulator> {
  const def = provider.definition;
  if (!provider.model || !def.contract.file) throw new Error(`provider ${def.code} has no WSDL contract`);
  const contractFile = def.contract.file;
  const endpoint = new URL(def.environments.sandbox?.endpoint ?? `http://127.0.0.1/${def.code}`);
  const path = opts.path ?? endpoint.pathname;
  const contractDir = join(provider.dir, dirname(contractFile));
  const wsdlFile = join(provider.dir, contractFile);
  const held = new HeldRequests();
  const answers = new Answers();
  const ctx = checker(def.code, provider.operations, opts, provider.dir, def.names.en);
  /** Recorded answers replayed, by idempotency key: a repeat gets the same bytes again. */
  const replayed = new Map<string, Recording>();
  const rawOf = new WeakMap<IncomingMessage, string>();
  const gate = gateOf(def);
  let soap12 = false;

  const services: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [name, op] of Object.entries(provider.operations)) {
    const b = op.binding as unknown as SoapBinding;
    soap12 ||= b.soapVersion === '1.2';
    const faultElement = Object.values(b.faults ?? {})[0];
    ((services[b.service] ??= {})[b.port] ??= {})[name] = async (args: unknown, _cb: unknown, headers: Record<string, unknown> | undefined, req: IncomingMessage, res: ServerResponse) => {
      const started = Date.now();
      const h = (fromSoap(headers ?? {}) ?? {}) as Record<string, unknown>;
      const key = text(h.id) ?? (req.headers['idempotency-key'] as string | undefined);
      const orderId = orderOf(req.headers['x-wasl-order-id'] as string | undefined, text(h.issue), key);
      const input = ctx.decodeInput(name, fromSoap(args ?? {})) as Record<string, unknown>;
      const base = { method: 'POST', path, idempotencyKey: key, orderId, operation: name, input };
      const record = (o: Outcome) => ctx.record({ ...base, ...o });
      const businessFault = (code: string, message: string, client = false) => {
        const detail = { [faultElement ? localOf(faultElement) : 'Fault']: { errorCode: code, errorMessage: message } };
        return soap12
          ? { Fault: { Code: { Value: client ? 'soap:Sender' : 'soap:Receiver' }, Reason: { Text: message }, Detail: detail, statusCode: 500 } }
          : { Fault: { faultcode: client ? 'soap:Client' : 'soap:Server', faultstring: message, detail, statusCode: 500 } };
      };
      /** A business fault laid out where the provider's declared rule reads it. */
      const shapedFault = (shape: FaultShape, status: number) => {
        const detail: Record<string, unknown> = {};
        if (shape.errorCode) detail[faultElement ? localOf(faultElement) : 'Fault'] = { errorCode: shape.errorCode, errorMessage: shape.text };
        if (shape.detailPath) {
          let cur = detail;
          shape.detailPath.steps.forEach((step, i) => {
            if (i === shape.detailPath!.steps.length - 1) cur[step] = shape.detailPath!.value;
            else cur = (cur[step] = typeof cur[step] === 'object' && cur[step] !== null ? cur[step] : {}) as Record<string, unknown>;
          });
        }
        const has = Object.keys(detail).length > 0;
        const code = shape.soapCode ?? 'Server';
        return soap12
          ? { Fault: { Code: { Value: `soap:${SOAP12_CODES[code] ?? code}` }, Reason: { Text: shape.text }, ...(has ? { Detail: detail } : {}), statusCode: status } }
          : { Fault: { faultcode: `soap:${SOAP11_CODES[code] ?? code}`, faultstring: shape.text, ...(has ? { detail } : {}), statusCode: status } };
      };
      /** A recorded answer or fault, as it was received; the request's SOAP headers echoed into it. */
      const replay = (rec: Recording): Promise<never> => {
        const body = withEchoedHeaders(rec.response.body, echoHeaderBlocks(rawOf.get(req) ?? ''));
        if (!res.headersSent && !res.destroyed) res.writeHead(rec.response.status, rec.response.contentType ? { 'content-type': rec.response.contentType } : {}).end(body);
        return new Promise<never>(() => undefined);
      };

      const refused = gate.refuseSoap(rawOf.get(req) ?? '');
      if (refused) {
        record({ outcome: 'FAILED_AUTHENTICATION', status: 500, violations: [`credentials: ${refused}`], repeated: false });
        throw businessFault('FAILED_AUTHENTICATION', `WS-Security: ${refused}`, true);
      }
      const violations = ctx.checkInput(name, input);
      if (violations.length) {
        record({ outcome: 'INVALID_REQUEST', status: 500, violations, repeated: false });
        throw businessFault('INVALID_REQUEST', `the request does not match the contract: ${violations.join('; ')}`, true);
      }
      const previous = answers.get(key);
      if (previous) {
        record({ outcome: 'ok', status: 200, response: previous, repeated: true });
        return toSoap(previous);
      }
      const again = key ? replayed.get(key) : undefined;
      if (again) {
        record(recordedOutcome(again, true));
        return replay(again);
      }
      const { fault: f, answer } = await ctx.planAndAnswer(orderId, name, input, started);
      if (f && WIRE_FAULTS.has(f.kind)) {
        const body = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${soap12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/'}"><soap:Body>${JSON.stringify(answer.value).replace(/[<>&]/g, '')}</soap:Body></soap:Envelope>`;
        const status = playWireFault(f.kind as WireFault, req, res, held, { contentType: soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8', body }, true);
        record({ outcome: `fault:${f.kind}`, status, repeated: false });
        return new Promise<never>(() => undefined);
      }
      if (f?.kind === 'soap-fault' || f?.kind === 'http-error') {
        if (!f.code) {
          // A server error without a business code: no rule is asked about.
          record({ outcome: 'SERVER_ERROR', status: f.status ?? 500, repeated: false });
          const fault = businessFault('SERVER_ERROR', 'simulated fault SERVER_ERROR');
          fault.Fault.statusCode = f.status ?? 500;
          throw fault;
        }
        const recorded = ctx.recordings.fault(name, f.code);
        if (recorded) {
          record(recordedOutcome(recorded));
          return replay(recorded);
        }
        const shape = faultShape(def.errors, f.code);
        if (!shape) {
          const message = undeclaredFault(def.code, name, f.code);
          record({ outcome: 'SIMULATOR_FAULT_UNDECLARED', status: 500, violations: [message], repeated: false });
          throw businessFault('SIMULATOR_FAULT_UNDECLARED', message);
        }
        const status = shape.status ?? f.status ?? 500;
        record({ outcome: f.code, status, repeated: false });
        throw shapedFault(shape, status);
      }
      const recorded = ctx.recordings.matching(name, input);
      if (recorded) {
        if (recorded.outcome === 'answer' && key) replayed.set(key, recorded);
        record(recordedOutcome(recorded));
        return replay(recorded);
      }
      if (answer.violations.length) {
        record({ outcome: 'SIMULATOR_ANSWER_INVALID', status: 500, violations: answer.violations, repeated: false });
        throw businessFault('SIMULATOR_ANSWER_INVALID', `the scenario's answer does not match the contract: ${answer.violations.join('; ')}`);
      }
      answers.set(key, answer.value);
      record({ outcome: 'ok', status: 200, response: answer.value, repeated: false });
      return toSoap(answer.value);
    };
  }

  const server = createServer();
  // Before soap.listen, which keeps earlier listeners for the paths it does not serve: the
  // schemas the WSDL imports, at the URL a client resolves their relative schemaLocation to.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const name = basename(url.pathname);
    const file = [contractDir, BUILTIN_SCHEMAS].map((d) => join(d, name)).find((f) => existsSync(f)) ?? (name.endsWith('.xsd') ? EMPTY_XSD : undefined);
    if (req.method === 'GET' && posix.dirname(url.pathname) === posix.dirname(path) && name !== basename(path) && file && /\.(xsd|wsdl)$/.test(name)) {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(localSchemaLocations(readFileSync(file, 'utf8')));
    } else res.writeHead(404).end();
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port, host);
  const soapServer = await new Promise<soap.Server>((resolve, reject) => {
    const s = soap.listen(server, {
      path,
      services: services as soap.IServices,
      // The WSDL as served names this simulator as the service's address, so a client that reads it calls here.
      xml: readFileSync(wsdlFile, 'utf8').replace(/(<(?:[\w.-]+:)?address\b[^>]*\blocation\s*=\s*)(["'])[^"']*\2/g, `$1$2http://${host}:${port}${path}$2`),
      uri: wsdlFile,
      forceSoap12Headers: soap12,
      suppressStack: true,
      enableChunkedEncoding: false,
      // Dates and times stay the text they were on the wire, as the contract's JSON Schemas read them.
      customDeserializer: { date: (text: string) => text, dateTime: (text: string) => text, time: (text: string) => text },
      wsdl_options: {
        // Schemas named by an http(s) location are taken from the contract folder, never fetched.
        overrideImportLocation: (resolved: string) => {
          if (!/^https?:/i.test(resolved)) return resolved;
          const name = decodeURIComponent(resolved.split('/').pop() ?? '');
          for (const dir of [contractDir, BUILTIN_SCHEMAS]) if (existsSync(join(dir, name))) return join(dir, name);
          return EMPTY_XSD;
        },
      },
      callback: (err: unknown) => (err ? reject(err as Error) : resolve(s)),
    } as soap.IServerOptions);
    s.log = (type: string, data: unknown, req: IncomingMessage) => {
      if (type === 'received' && req) rawOf.set(req, String(data));
    };
    // The request's SOAP headers, echoed as they came (X-Road: the response carries the same).
    s.addSoapHeader((_m: string, _a: unknown, _h: unknown, req: IncomingMessage) => {
      const raw = req ? rawOf.get(req) : undefined;
      return raw ? echoHeaderBlocks(raw) : '';
    });
  });
  void soapServer;
  return ctx.running({
    kind: 'soap',
    url: `http://${host}:${port}${path}`,
    close: async () => {
      held.release();
      await closeServer(server);
    },
  });
}

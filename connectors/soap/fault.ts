/**
 * SOAP faults of both versions, read into one shape and turned into a typed error.
 *
 *   1.1: <faultcode>QName</faultcode> <faultstring> [<faultactor>] [<detail>]
 *   1.2: <Code><Value>QName</Value>[<Subcode><Value>…</Value>…</Subcode>]</Code>
 *        <Reason><Text xml:lang>…</Text>…</Reason> [<Node>] [<Role>] [<Detail>]
 *
 * Which faults are transient (decided here, documented in the connector's README section):
 * - Client / Sender (and VersionMismatch, MustUnderstand, DataEncodingUnknown): never — the
 *   same request would fail the same way.
 * - Server / Receiver: only when the HTTP status says so — a status other than 500 that is in
 *   the policy's `retry.statuses` (a gateway's 502/503/504 carrying a fault) — or when the
 *   connector's `transientFaultCodes` option names the code (e.g. X-Road's
 *   `Server.ClientProxy.NetworkError`). A plain 500 Server fault is NOT transient by default:
 *   many ministry services report refusals and validation failures as Server faults, and
 *   retrying a non-idempotent SOAP call on those would repeat work.
 * The provider's error mapping comes first: a rule that matches the fault (its code, a 1.2
 * subcode or a code element found in the detail; its faultstring / Reason/Text; an element of
 * its detail by path) decides, by its kind: a BusinessRefusal (never retried), a transient
 * fault (retried) or a permanent one (not retried), whatever the rules above say.
 */
import type { ErrorMapping } from '../../contracts/types';
import { mapFault, matchRule } from '../error-mapping';
import { type BusinessRefusal, ProviderFault, type CallMeta } from '../errors';
import type { XmlElement } from '../xml/parse';
import type { SoapVersion } from './envelope';

export interface SoapFault {
  version: SoapVersion;
  /** Local name of the fault code QName: Client, Server, Sender, Receiver, or a dotted 1.1 code (Server.ServerProxy.X). */
  code: string;
  /** SOAP 1.2 subcodes, outermost first, local names. */
  subcodes: string[];
  /** faultstring / the first Reason/Text. */
  reason: string;
  /** Texts of code-like elements in the detail (errorCode, code, faultCode…), in document order. */
  detailCodes: string[];
  detail?: XmlElement;
}

function text(el: XmlElement | undefined): string {
  if (!el) return '';
  let s = '';
  for (const c of el.children) if (typeof c === 'string') s += c;
  return s.trim();
}

/** Children matched by local name only: many servers qualify 1.1's faultcode/faultstring, which the spec leaves unqualified. */
function child(el: XmlElement | undefined, local: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (typeof c !== 'string' && c.local === local) return c;
  return undefined;
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

/** errorCode, faultCode, code, ReturnCode, error_code… */
const CODE_ELEMENT = /code$/i;

/** Depth-bounded search of the detail for elements like <errorCode>X</errorCode> holding text only. */
function detailCodes(detail: XmlElement | undefined): string[] {
  const out: string[] = [];
  const walk = (el: XmlElement, depth: number): void => {
    for (const c of el.children) {
      if (typeof c === 'string') continue;
      const leaf = c.children.every((n) => typeof n === 'string');
      if (leaf && CODE_ELEMENT.test(c.local)) {
        const t = text(c);
        if (t) out.push(localName(t));
      } else if (!leaf && depth < 6) walk(c, depth + 1);
    }
  };
  if (detail) walk(detail, 0);
  return out;
}

/**
 * Reads either structure whatever the envelope's version: some stacks (the soap package's own
 * server among them) write a 1.2-style Code/Reason inside a 1.1 envelope, or the reverse.
 */
export function readFault(fault: XmlElement, version: SoapVersion): SoapFault {
  const as12 = child(fault, 'faultcode') ? false : child(fault, 'Code') ? true : version === '1.2';
  return as12 ? read12(fault, version) : read11(fault, version);
}

function read11(fault: XmlElement, version: SoapVersion): SoapFault {
  const detail = child(fault, 'detail');
  return {
    version,
    code: localName(text(child(fault, 'faultcode'))),
    subcodes: [],
    reason: text(child(fault, 'faultstring')),
    detailCodes: detailCodes(detail),
    detail,
  };
}

function read12(fault: XmlElement, version: SoapVersion): SoapFault {
  const codeEl = child(fault, 'Code');
  const subcodes: string[] = [];
  let sub = child(codeEl, 'Subcode');
  for (let i = 0; sub && i < 16; i++) {
    const v = text(child(sub, 'Value'));
    if (v) subcodes.push(localName(v));
    sub = child(sub, 'Subcode');
  }
  const detail = child(fault, 'Detail');
  return {
    version,
    code: localName(text(child(codeEl, 'Value'))),
    subcodes,
    reason: text(child(child(fault, 'Reason'), 'Text')),
    detailCodes: detailCodes(detail),
    detail,
  };
}

export interface FaultContext {
  status: number;
  errors?: ErrorMapping;
  /** The policy's transient HTTP statuses. */
  retryStatuses: readonly number[];
  /** Fault codes (exact, or /regex/) that are transient whatever the status. */
  transientFaultCodes?: ReadonlyArray<string | RegExp>;
  meta: CallMeta;
}

const CLIENT_SIDE = new Set(['Client', 'Sender', 'VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown']);

function isTransient(f: SoapFault, ctx: FaultContext): boolean {
  const top = f.code.split('.')[0] ?? '';
  if (CLIENT_SIDE.has(top)) return false;
  for (const p of ctx.transientFaultCodes ?? []) {
    if (typeof p === 'string' ? p === f.code : p.test(f.code)) return true;
  }
  return ctx.status !== 500 && ctx.retryStatuses.includes(ctx.status);
}

/**
 * The error a fault becomes. The provider's error mapping decides first: its rules are tried on
 * the fault code, then each subcode, then each detail code (with the fault's text and detail
 * the same for each); the first candidate a rule matches wins, and the rule's kind makes it a
 * refusal, a transient or a permanent fault. Without a matching rule, isTransient decides.
 */
export function faultToError(f: SoapFault, ctx: FaultContext): ProviderFault | BusinessRefusal {
  const unmapped = { status: ctx.status, faultCode: f.code || undefined, providerMessage: f.reason || undefined, transient: isTransient(f, ctx) };
  const meta = { ...ctx.meta, providerMessage: f.reason || undefined };
  if (ctx.errors?.rules?.length) {
    const detail = f.detail ? f.detail.children.filter((c): c is XmlElement => typeof c !== 'string') : [];
    const candidates = [f.code, ...f.subcodes, ...f.detailCodes].filter((c) => c);
    for (const code of candidates.length ? candidates : ['']) {
      const facts = { ...(code ? { faultCode: code, body: { code } } : {}), status: ctx.status, faultString: f.reason, detail };
      if (matchRule(ctx.errors, facts)) return mapFault(ctx.errors, facts, meta, unmapped);
    }
  }
  return new ProviderFault(unmapped, ctx.meta);
}

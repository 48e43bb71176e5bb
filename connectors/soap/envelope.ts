/**
 * SOAP 1.1 and 1.2 envelopes: the namespaces, the HTTP headers each version wants, building an
 * envelope from pre-serialised header and body XML, and splitting a parsed response into its
 * Header, Body and Fault.
 *
 * Envelopes are built by string concatenation on purpose: the per-operation encoders
 * (encode.ts) produce XML text, and the fixed parts here are computed once per operation.
 */
import { ContractViolation } from '../errors';
import type { XmlElement } from '../xml/parse';

export type SoapVersion = '1.1' | '1.2';

export const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Envelope prefix: the one the X-Road examples (and most SOAP stacks) use for 1.1. */
export const ENV_PREFIX: Record<SoapVersion, string> = { '1.1': 'soapenv', '1.2': 'soap' };

export function envelopeNamespace(version: SoapVersion): string {
  return version === '1.2' ? SOAP12_ENV : SOAP11_ENV;
}

/**
 * HTTP headers for a request. SOAP 1.1 carries the action in a quoted SOAPAction header (even
 * when empty: an absent header and `""` mean different things to some servers); SOAP 1.2 carries
 * it as the `action` parameter of the media type, and only when there is one.
 */
export function soapHttpHeaders(version: SoapVersion, soapAction: string | undefined): Record<string, string> {
  if (version === '1.2') {
    const action = soapAction ? `; action="${soapAction.replace(/"/g, '%22')}"` : '';
    return { 'Content-Type': `application/soap+xml; charset=utf-8${action}` };
  }
  return { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${(soapAction ?? '').replace(/"/g, '%22')}"` };
}

export interface EnvelopeTemplate {
  version: SoapVersion;
  prefix: string;
  /** `<?xml …?><p:Envelope xmlns:p="…" …>` */
  open: string;
  close: string;
}

/**
 * The fixed start and end of every envelope of one operation. `nsDecls` are extra namespace
 * declarations put on the Envelope (e.g. the X-Road header namespaces, as X-Road's own examples
 * do), as `{ prefix: uri }`.
 */
export function envelopeTemplate(version: SoapVersion, nsDecls: Record<string, string> = {}): EnvelopeTemplate {
  const prefix = ENV_PREFIX[version];
  let decls = ` xmlns:${prefix}="${envelopeNamespace(version)}"`;
  for (const [p, uri] of Object.entries(nsDecls)) decls += ` xmlns:${p}="${uri}"`;
  return {
    version,
    prefix,
    open: `<?xml version="1.0" encoding="utf-8"?><${prefix}:Envelope${decls}>`,
    close: `</${prefix}:Envelope>`,
  };
}

/**
 * A whole envelope. `header` is the inner XML of the Header (omitted when empty); `bodyAttrs`
 * are raw attributes for the Body element (WS-Security puts its wsu:Id there).
 */
export function buildEnvelope(t: EnvelopeTemplate, header: string, body: string, bodyAttrs = ''): string {
  const p = t.prefix;
  const h = header ? `<${p}:Header>${header}</${p}:Header>` : '';
  return `${t.open}${h}<${p}:Body${bodyAttrs}>${body}</${p}:Body>${t.close}`;
}

export interface ParsedEnvelope {
  version: SoapVersion;
  header?: XmlElement;
  body: XmlElement;
  /** The Fault element, when the Body holds one. */
  fault?: XmlElement;
  /** Element children of the Body (the response parts), faults excluded. */
  parts: XmlElement[];
}

function violation(message: string): ContractViolation {
  return new ContractViolation('response', [{ pointer: '', message }]);
}

/**
 * Splits a parsed response. A document that is not a SOAP envelope of either version is a
 * contract violation. The version is taken from the response's own namespace, so a 1.1 fault
 * returned to a 1.2 request (VersionMismatch, from old servers) is still read correctly.
 */
export function splitEnvelope(root: XmlElement): ParsedEnvelope {
  let version: SoapVersion;
  if (root.ns === SOAP11_ENV) version = '1.1';
  else if (root.ns === SOAP12_ENV) version = '1.2';
  else throw violation('the response is not a SOAP envelope');
  if (root.local !== 'Envelope') throw violation('the response is not a SOAP envelope');
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  for (const c of root.children) {
    if (typeof c === 'string') continue;
    if (c.ns !== root.ns) continue;
    if (c.local === 'Header' && !header && !body) header = c;
    else if (c.local === 'Body' && !body) body = c;
  }
  if (!body) throw violation('the SOAP envelope has no Body');
  const parts: XmlElement[] = [];
  let fault: XmlElement | undefined;
  for (const c of body.children) {
    if (typeof c === 'string') continue;
    if (c.local === 'Fault' && c.ns === root.ns) fault = c;
    else parts.push(c);
  }
  return { version, header, body, fault, parts };
}

/**
 * From a validated input ({ path, query, headers, body }) and an operation's binding to the URL,
 * headers and body bytes of the HTTP request. Pure: no I/O, no credentials (connectors/rest/auth.ts
 * adds those).
 *
 * Serialisation follows OpenAPI's defaults: path parameters `simple` (arrays comma-joined), query
 * parameters `form` with explode (an array is a repeated key, an object one key per property),
 * or as the binding says (`explode: false` comma-joins; `spaceDelimited`, `pipeDelimited`,
 * `deepObject`). Names and values are percent-encoded as UTF-8 (RFC 3986), so Arabic
 * survives byte for byte. Header values must be Latin-1 (HTTP); anything else is refused, as is a
 * CR or LF.
 */
import { mediaKind, RequestBuildError, type RestBinding, type RestParameter } from './binding';
import { toXml } from './xml-body';

export interface RestInput {
  path?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
}

export interface BuiltRequest {
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
}

export function buildRequest(endpoint: string, binding: RestBinding, input: RestInput): BuiltRequest {
  const params = new Map(binding.parameters.map((p) => [`${p.in}:${p.name}`, p]));
  const url = new URL(joinPath(endpoint, expandPath(binding.path, input.path ?? {}, params)));
  const query: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(input.query ?? {})) {
    if (value === undefined) continue;
    query.push(...serialiseQuery(name, value, params.get(`query:${name}`)));
  }
  if (query.length) {
    const encoded = query.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`).join('&');
    url.search = url.search ? `${url.search}&${encoded}` : `?${encoded}`;
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined || value === null) continue;
    const p = params.get(`header:${name}`);
    headers[name] = headerValue(`/headers/${name}`, p?.json ? JSON.stringify(value) : Array.isArray(value) ? value.map(scalar).join(',') : scalar(value));
  }
  if (binding.responseMediaType) headers.accept = binding.responseMediaType;
  else headers.accept = 'application/json, application/xml;q=0.9, */*;q=0.5';

  let body: Buffer | undefined;
  if (binding.requestMediaType && input.body !== undefined) {
    const kind = mediaKind(binding.requestMediaType);
    headers['content-type'] = `${binding.requestMediaType}; charset=utf-8`;
    if (kind === 'json') body = Buffer.from(JSON.stringify(input.body), 'utf8');
    else if (kind === 'xml') body = Buffer.from(toXml(input.body, binding.xmlRoot ?? 'request', binding.xmlNamespace), 'utf8');
    else if (typeof input.body === 'string') body = kind === 'binary' ? Buffer.from(input.body, 'base64') : Buffer.from(input.body, 'utf8');
    else throw new RequestBuildError('/body', `must be a string for ${binding.requestMediaType}`);
  }
  return { url, headers, ...(body ? { body } : {}) };
}

/** Header values that could split a request or are not Latin-1 are refused. */
export function headerValue(pointer: string, v: string): string {
  if (/[\r\n\0]/.test(v) || /[^\t\x20-\x7e\x80-\xff]/.test(v)) throw new RequestBuildError(pointer, 'is not a valid HTTP header value (Latin-1 text, no line breaks)');
  return v;
}

function expandPath(template: string, values: Record<string, unknown>, params: Map<string, RestParameter>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined || v === null) throw new RequestBuildError(`/path/${name}`, 'is required');
    const p = params.get(`path:${name}`);
    if (p?.json) return encodeRfc3986(JSON.stringify(v));
    if (Array.isArray(v)) return v.map((x) => encodeRfc3986(scalar(x))).join(',');
    if (typeof v === 'object') {
      const sep = p?.explode ? ['=', ','] : [',', ','];
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${encodeRfc3986(k)}${sep[0]}${encodeRfc3986(scalar(x))}`).join(sep[1]);
    }
    const text = scalar(v);
    // URL parsing would resolve a `.` or `..` segment (even percent-encoded): no way out of the path.
    if (text === '.' || text === '..') throw new RequestBuildError(`/path/${name}`, 'cannot be a dot segment');
    return encodeRfc3986(text);
  });
}

function serialiseQuery(name: string, value: unknown, p: RestParameter | undefined): Array<[string, string]> {
  if (p?.json) return [[name, JSON.stringify(value)]];
  const style = p?.style ?? 'form';
  const explode = p?.explode ?? style === 'form';
  if (Array.isArray(value)) {
    const items = value.map(scalar);
    if (style === 'spaceDelimited') return [[name, items.join(' ')]];
    if (style === 'pipeDelimited') return [[name, items.join('|')]];
    return explode ? items.map((v) => [name, v]) : [[name, items.join(',')]];
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (style === 'deepObject') return entries.map(([k, v]) => [`${name}[${k}]`, scalar(v)]);
    return explode ? entries.map(([k, v]) => [k, scalar(v)]) : [[name, entries.flatMap(([k, v]) => [k, scalar(v)]).join(',')]];
  }
  return [[name, scalar(value)]];
}

function scalar(v: unknown): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function joinPath(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

/**
 * Binary content in REST answers, carried as documents (connectors/documents.ts): it goes into
 * the connector's document sink and the flow gets a DocumentHandle in its place.
 *
 * Where the contract has binary content:
 * - the whole success body, when the operation answers a media type that is neither JSON nor
 *   XML and is binary (`application/pdf`, `application/octet-stream`, `image/*`…) or declared
 *   `format: binary` (the importer then writes a base64 string schema, as for any binary body).
 *   It is streamed into the sink, never buffered;
 * - a string field of a JSON or XML body declared `contentEncoding: base64` or `format: byte`.
 *   The body is buffered (it must be parsed), each such field decoded into the sink and replaced
 *   by its handle.
 * The output schema the connector validates against (`planDocuments().outputSchema`) has a
 * DocumentHandle at those places.
 *
 * Refusals: more than the provider's `documents.maxBytes` is UnsafeResponse('document-size'),
 * with at most that much read; binary content while the connector has no sink is
 * UnsafeResponse('attachment'), before any of it is read; a body whose media type contradicts
 * the contract (an HTML page where a PDF is expected) or a field that is not base64 is
 * ContractViolation('response').
 */
import { DOCUMENT_HANDLE_SCHEMA, type DocumentHandle, type DocumentOrigin, type DocumentSink } from '../documents';
import { ContractViolation, isConnectorError, UnsafeResponse } from '../errors';
import type { StreamedResponse } from '../http/stream';
import { mediaKind, type RestBinding } from './binding';

type Schema = Record<string, unknown>;

export interface DocumentPlan {
  /** The whole success body is a document, of this media type as the contract declares it. */
  body?: { mediaType: string };
  /** Some JSON or XML field may hold a base64 document. */
  fields: boolean;
  /** The output schema with a DocumentHandle wherever the contract has binary content. */
  outputSchema: Schema;
}

/** What the connector knows of where documents go, for one call. */
export interface DocumentTarget {
  sink?: DocumentSink;
  maxBytes: number;
  origin: Omit<DocumentOrigin, 'source'>;
}

export function planDocuments(outputSchema: Schema, binding: RestBinding): DocumentPlan {
  const declared = binding.responseMediaType;
  const kind = declared === undefined ? undefined : mediaKind(declared);
  if (declared !== undefined && kind !== 'json' && kind !== 'xml' && (kind === 'binary' || isDocumentString(outputSchema))) {
    const { $schema, title, description } = outputSchema;
    const head = Object.fromEntries(Object.entries({ $schema, title, description }).filter(([, v]) => v !== undefined));
    return { body: { mediaType: bareMediaType(declared) ?? 'application/octet-stream' }, fields: false, outputSchema: { ...head, ...handleSchema() } };
  }
  const counter = { found: 0 };
  const replaced = replaceDocuments(outputSchema, counter, 0) as Schema;
  return counter.found > 0 ? { fields: true, outputSchema: replaced } : { fields: false, outputSchema };
}

/**
 * The largest body to buffer for an operation whose fields may hold documents: the document
 * limit once base64-encoded, and room for the rest of the message.
 */
export function bufferLimitFor(plan: DocumentPlan, bodyLimit: number, maxDocumentBytes: number): number {
  return plan.fields ? Math.max(bodyLimit, Math.ceil(maxDocumentBytes / 3) * 4 + 64 * 1024) : bodyLimit;
}

/** Streams a binary success body into the sink; every refusal ends the exchange first. */
export async function receiveDocumentBody(res: StreamedResponse, declared: string, to: DocumentTarget): Promise<DocumentHandle> {
  const actual = bareMediaType(headerOf(res.headers['content-type']));
  const actualKind = actual === undefined ? undefined : mediaKind(actual);
  // JSON, XML or text where the contract promised bytes (a proxy's HTML page, typically); a text
  // type the contract itself names as binary (text/csv, format: binary) is matched below.
  if (actualKind !== undefined && actualKind !== 'binary' && (actualKind !== 'text' || mediaKind(declared) !== 'text')) {
    res.discard();
    throw new ContractViolation('response', [{ pointer: '', message: `is ${actual}, not ${declared}` }]);
  }
  const mediaType = agreedMediaType(declared, actual);
  if (mediaType === undefined) {
    res.discard();
    throw new ContractViolation('response', [{ pointer: '', message: `is ${actual}, not ${declared}` }]);
  }
  if (!to.sink) {
    res.discard();
    throw noSink();
  }
  if (Number(headerOf(res.headers['content-length'])) > to.maxBytes) {
    res.discard();
    throw tooLarge(to.maxBytes);
  }
  const body = res.body(to.maxBytes, () => tooLarge(to.maxBytes));
  const filename = filenameOf(headerOf(res.headers['content-disposition']));
  try {
    return await to.sink.put(body, { mediaType, ...(filename ? { filename } : {}), origin: { ...to.origin, source: 'body' }, maxBytes: to.maxBytes });
  } catch (err) {
    // The body's own failure (its limit, a timeout, a reset) says more than the sink's echo of it.
    const own = body.errored;
    if (!body.destroyed) body.destroy();
    throw isConnectorError(own) ? own : err;
  }
}

/** Stores a binary body that was already buffered (a response the contract did not describe). */
export async function storeBufferedBody(content: Buffer, contentType: string, to: DocumentTarget): Promise<DocumentHandle> {
  if (!to.sink) throw noSink();
  if (content.length > to.maxBytes) throw tooLarge(to.maxBytes);
  return to.sink.put(content, { mediaType: bareMediaType(contentType) ?? 'application/octet-stream', origin: { ...to.origin, source: 'body' }, maxBytes: to.maxBytes });
}

/**
 * Replaces every base64 document field of a decoded body by its handle, in place (a base64 root
 * is returned replaced). The body has been validated against the contract's own schema, so each
 * field is where the schema says; all are checked before the first is stored.
 */
export async function storeDocumentFields(output: unknown, schema: Schema, to: DocumentTarget): Promise<unknown> {
  const found: Found[] = [];
  visit(schema, schema, output, '', undefined, undefined, found, 0);
  if (found.length === 0) return output;
  if (!to.sink) throw noSink();
  const decoded = found.map((f) => {
    const clean = f.value.replace(/[\s]+/g, '');
    if (!BASE64.test(clean) || clean.length % 4 === 1) throw new ContractViolation('response', [{ pointer: f.pointer, message: 'is not base64' }]);
    const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
    if (Math.floor((clean.length * 3) / 4) - padding > to.maxBytes) throw tooLarge(to.maxBytes);
    return { ...f, clean };
  });
  let root = output;
  for (const f of decoded) {
    const meta = siblingsOf(f.parent, f.schema);
    const handle = await to.sink.put(Buffer.from(f.clean, 'base64'), { ...meta, origin: { ...to.origin, source: f.pointer }, maxBytes: to.maxBytes });
    if (f.parent === undefined) root = handle;
    else (f.parent as Record<string, unknown>)[f.key!] = handle;
  }
  return root;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,126}$/;
/** Schemas nest and refer to themselves; data bounds the walk, this bounds a `$ref` or `allOf` loop. */
const MAX_DEPTH = 64;

interface Found {
  pointer: string;
  value: string;
  schema: Schema;
  parent: Record<string, unknown> | unknown[] | undefined;
  key: string | number | undefined;
}

function isDocumentString(s: unknown): boolean {
  if (!isObject(s)) return false;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const stringy = s.type === undefined || types.includes('string');
  return stringy && (s.contentEncoding === 'base64' || s.format === 'byte' || s.format === 'binary');
}

function handleSchema(): Schema {
  return structuredClone(DOCUMENT_HANDLE_SCHEMA) as Schema;
}

function replaceDocuments(s: unknown, counter: { found: number }, depth: number): unknown {
  if (Array.isArray(s)) return s.map((x) => replaceDocuments(x, counter, depth + 1));
  if (!isObject(s) || depth > MAX_DEPTH) return s;
  if (isDocumentString(s)) {
    counter.found++;
    const notes = Object.fromEntries(['title', 'description'].filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
    const nullable = Array.isArray(s.type) && s.type.includes('null');
    return nullable ? { ...notes, anyOf: [handleSchema(), { type: 'null' }] } : { ...notes, ...handleSchema() };
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // Only schema-valued keywords: `enum`, `const`, `examples`, `default` hold data.
    out[k] = SCHEMA_KEYWORDS.has(k) ? replaceDocuments(v, counter, depth + 1) : SCHEMA_MAPS.has(k) && isObject(v) ? mapValues(v, (x) => replaceDocuments(x, counter, depth + 1)) : v;
  }
  return out;
}

const SCHEMA_KEYWORDS = new Set(['items', 'prefixItems', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'contains', 'unevaluatedProperties', 'unevaluatedItems']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

function visit(root: Schema, s: unknown, data: unknown, pointer: string, parent: Found['parent'], key: Found['key'], found: Found[], depth: number): void {
  if (!isObject(s) || depth > MAX_DEPTH || data === null || data === undefined) return;
  if (typeof s.$ref === 'string') visit(root, resolveLocal(root, s.$ref), data, pointer, parent, key, found, depth + 1);
  if (typeof data === 'string') {
    if (isDocumentString(s) && !found.some((f) => f.pointer === pointer)) found.push({ pointer, value: data, schema: s, parent, key });
  }
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[k];
    if (Array.isArray(list)) for (const b of list) visit(root, b, data, pointer, parent, key, found, depth + 1);
  }
  if (Array.isArray(data)) {
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
    data.forEach((item, i) => visit(root, prefix[i] ?? s.items, item, `${pointer}/${i}`, data, i, found, depth + 1));
  } else if (isObject(data)) {
    const props = isObject(s.properties) ? s.properties : {};
    for (const [k, v] of Object.entries(data)) {
      const sub = Object.hasOwn(props, k) ? props[k] : s.additionalProperties;
      visit(root, sub, v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, data, k, found, depth + 1);
    }
  }
}

/** `#/$defs/Name` and other pointers into the same schema; anything else is not followed. */
function resolveLocal(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let at: unknown = root;
  for (const token of ref.slice(1).split('/').slice(1)) {
    if (!isObject(at)) return undefined;
    at = at[decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return at;
}

/** The media type and file name a document field's object gives beside it, or its schema's contentMediaType. */
function siblingsOf(parent: Found['parent'], schema: Schema): { mediaType: string; filename?: string } {
  const p = isObject(parent) ? parent : {};
  const named = [p.mediaType, p.contentType, p.mimeType].find((v): v is string => typeof v === 'string' && bareMediaType(v) !== undefined);
  const mediaType = bareMediaType(named) ?? bareMediaType(typeof schema.contentMediaType === 'string' ? schema.contentMediaType : undefined) ?? 'application/octet-stream';
  const filename = [p.filename, p.fileName].find((v): v is string => typeof v === 'string');
  const clean = filename === undefined ? undefined : cleanFilename(filename);
  return { mediaType, ...(clean ? { filename: clean } : {}) };
}

/**
 * The media type a binary body is kept under: the contract's, when the provider said nothing or
 * only `application/octet-stream`; the provider's, when the contract allows any (`*\/*`,
 * `application/*`, octet-stream); undefined when the two name different things.
 */
function agreedMediaType(declared: string, actual: string | undefined): string | undefined {
  const concrete = !declared.includes('*') && declared !== 'application/octet-stream';
  if (actual === undefined || actual === 'application/octet-stream') return concrete ? declared : (actual ?? 'application/octet-stream');
  if (actual === declared) return actual;
  if (declared === 'application/octet-stream' || declared === '*/*') return actual;
  if (declared.endsWith('/*') && actual.startsWith(declared.slice(0, -1))) return actual;
  return undefined;
}

function bareMediaType(v: string | undefined): string | undefined {
  const mt = v?.split(';')[0]!.trim().toLowerCase();
  return mt && MEDIA_TYPE.test(mt) ? mt : undefined;
}

/** RFC 6266: `filename*=UTF-8''…` first, then `filename="…"` or a token. */
function filenameOf(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  let name: string | undefined;
  if (extended) {
    try {
      name = decodeURIComponent(extended[1]!.trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(disposition)?.slice(1).find((v) => v !== undefined)?.replace(/\\(.)/g, '$1');
  return name === undefined ? undefined : cleanFilename(name);
}

/** A provider's file name is a label, never a path: no directories, no control characters. */
function cleanFilename(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return base === '' || base === '.' || base === '..' ? undefined : base;
}

function headerOf(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function tooLarge(max: number): UnsafeResponse {
  return new UnsafeResponse('document-size', `document over ${max} bytes`);
}

function noSink(): UnsafeResponse {
  return new UnsafeResponse('attachment', 'the answer carries a document and this connector has no document store to put it in');
}

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapValues(o: Schema, f: (v: unknown) => unknown): Schema {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

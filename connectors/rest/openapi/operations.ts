/**
 * OpenAPI paths → one ImportedOperation per operation, in the input convention of
 * connectors/rest/binding.ts ({ path, query, headers, body }).
 *
 * - Name: the operationId (kept when it is a safe file name, else camel-cased with a warning);
 *   without one, `<method><Path>` camel-cased (`GET /persons/{id}/extracts` →
 *   `getPersonsIdExtracts`), with a warning. Duplicate operationIds are an error.
 * - Input: path-level parameters merged with the operation's (the operation's win); path
 *   parameters are always required; `Accept`, `Content-Type` and `Authorization` header
 *   parameters are ignored (OpenAPI says so), cookie parameters are dropped with a warning.
 *   Body: the application/json (or +json) schema, else the XML one (root element from `xml.name`
 *   or the component's name), else a text body as a string.
 * - Output: the 200 response, else 201, 202, 203, another 2xx, `2XX`: its JSON (or XML) schema;
 *   `{ type: "null" }` when it has no body (204). text/* is a string, unless its schema says
 *   `format: binary`; that and every other media type is a base64 string with its
 *   contentMediaType, which the connector carries as a document (connectors/rest/documents.ts).
 */
import type { ImportedOperation } from '../../import/types';
import { IDEMPOTENT_METHODS, mediaKind, type ErrorResponse, type RestBinding, type RestParameter } from '../binding';
import type { DocumentSet } from './documents';
import { SchemaBundle, type Schema, type SchemaContext, type SchemaMode } from './schemas';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

export function buildOperations(docs: DocumentSet, ctx: SchemaContext): ImportedOperation[] {
  const root = docs.rootValue as Schema;
  const paths = (root.paths ?? {}) as Schema;
  const out: ImportedOperation[] = [];
  const names = new Set<string>();
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = docs.deref(rawItem, docs.root);
    if (!isObject(item.value)) continue;
    const pathItem = item.value;
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!isObject(op)) continue;
      const name = operationName(op.operationId, method, path, ctx);
      if (names.has(name)) {
        if (typeof op.operationId === 'string') throw new Error(`operationId "${op.operationId}" is used by more than one operation`);
        throw new Error(`two operations both get the generated name "${name}": give them operationIds`);
      }
      names.add(name);
      out.push(buildOperation(docs, ctx, name, method, path, pathItem, op, item.doc));
    }
  }
  return out;
}

function buildOperation(docs: DocumentSet, ctx: SchemaContext, name: string, method: string, path: string, pathItem: Schema, op: Schema, doc: string): ImportedOperation {
  const input = new SchemaBundle(ctx, `operation ${name}`);
  const parameters = mergeParameters(docs, ctx, name, pathItem.parameters, op.parameters, doc);
  const groups: Record<'path' | 'query' | 'headers', { properties: Schema; required: string[] }> = {
    path: { properties: {}, required: [] },
    query: { properties: {}, required: [] },
    headers: { properties: {}, required: [] },
  };
  const bindingParams: RestParameter[] = [];
  for (const p of parameters) {
    const group = groups[p.in === 'header' ? 'headers' : p.in];
    let schema: Schema;
    let json = false;
    if (p.raw.schema !== undefined) schema = input.convert(p.raw.schema, p.doc);
    else if (isObject(p.raw.content)) {
      const [mt, media] = Object.entries(p.raw.content)[0] ?? [];
      schema = input.convert(isObject(media) ? media.schema : undefined, p.doc);
      json = mediaKind(mt) === 'json';
    } else schema = {};
    if (typeof p.raw.description === 'string' && schema.description === undefined && schema.$ref === undefined) schema = { description: p.raw.description, ...schema };
    group.properties[p.name] = schema;
    const required = p.in === 'path' || p.raw.required === true;
    if (required) group.required.push(p.name);
    const param: RestParameter = { name: p.name, in: p.in, required };
    if (typeof p.raw.style === 'string') param.style = p.raw.style as RestParameter['style'];
    if (typeof p.raw.explode === 'boolean') param.explode = p.raw.explode;
    if (json) param.json = true;
    bindingParams.push(param);
  }

  const properties: Schema = {};
  const required: string[] = [];
  for (const [key, g] of Object.entries(groups)) {
    if (Object.keys(g.properties).length === 0) continue;
    properties[key] = { type: 'object', additionalProperties: false, properties: g.properties, ...(g.required.length ? { required: g.required } : {}) };
    if (g.required.length) required.push(key);
  }

  const binding: RestBinding = { method: method.toUpperCase(), path, parameters: bindingParams, successStatuses: [], errorResponses: {} };
  if (op.requestBody !== undefined) {
    const rb = docs.deref(op.requestBody, doc);
    const body = isObject(rb.value) ? pickMedia(rb.value.content) : undefined;
    if (body) {
      const mode: SchemaMode = body.kind === 'xml' ? 'xml' : 'json';
      properties.body = body.kind === 'json' || body.kind === 'xml' ? input.convert(body.schema, rb.doc, mode) : { type: 'string' };
      binding.requestMediaType = body.mediaType;
      if (isObject(rb.value) && rb.value.required === true) {
        binding.requestBodyRequired = true;
        required.push('body');
      }
      if (body.kind === 'xml') {
        binding.xmlRoot = input.xmlName(body.schema, rb.doc) ?? name;
        if (!input.xmlName(body.schema, rb.doc)) ctx.warnOnce(`${name}: the XML request body names no root element; "${name}" is used`);
        const ns = input.xmlNamespace(body.schema, rb.doc);
        if (ns) binding.xmlNamespace = ns;
      }
    } else if (isObject(rb.value)) {
      ctx.warnOnce(`${name}: the request body has no media type wasl can send; it was left out`);
    }
  }

  const inputSchema = input.finish({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${pascal(name)}Input`,
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required.length ? { required } : {}),
  });

  const outputSchema = buildOutput(docs, ctx, name, op, doc, binding);
  const description = [op.summary, op.description].filter((s): s is string => typeof s === 'string' && s.trim() !== '').join('\n\n');
  return {
    name,
    ...(description ? { description } : {}),
    inputSchema,
    outputSchema,
    binding: binding as unknown as Record<string, unknown>,
    idempotent: IDEMPOTENT_METHODS.has(binding.method),
  };
}

function buildOutput(docs: DocumentSet, ctx: SchemaContext, name: string, op: Schema, doc: string, binding: RestBinding): Schema {
  const responses = isObject(op.responses) ? op.responses : {};
  const keys = Object.keys(responses);
  binding.successStatuses = keys.filter((k) => /^2\d\d$/.test(k)).map(Number);
  if (keys.includes('2XX') || binding.successStatuses.length === 0) {
    for (let s = 200; s < 300; s++) if (!binding.successStatuses.includes(s)) binding.successStatuses.push(s);
  }
  binding.successStatuses.sort((a, b) => a - b);

  for (const key of keys.filter((k) => /^[45](\d\d|XX)$/.test(k) || k === 'default')) {
    const r = docs.deref(responses[key], doc);
    const media = isObject(r.value) ? pickMedia(r.value.content) : undefined;
    if (!media || (media.kind !== 'json' && media.kind !== 'xml')) continue;
    const bundle = new SchemaBundle(ctx, `operation ${name}`);
    const schema: ErrorResponse = { mediaType: media.mediaType, schema: bundle.finish(bundle.convert(media.schema, r.doc, media.kind === 'xml' ? 'xml' : 'json')) };
    binding.errorResponses[key] = schema;
  }

  const preferred = ['200', '201', '202', '203', ...keys.filter((k) => /^2\d\d$/.test(k)).sort(), '2XX'].find((k) => k in responses);
  const output = new SchemaBundle(ctx, `operation ${name}`);
  const head = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: `${pascal(name)}Output` };
  if (!preferred) {
    ctx.warnOnce(`${name}: no success response is documented; its output is left open`);
    return { ...head };
  }
  const r = docs.deref(responses[preferred], doc);
  const media = isObject(r.value) ? pickMedia(r.value.content) : undefined;
  if (!media) return { ...head, type: 'null' };
  binding.responseMediaType = media.mediaType;
  if (media.kind === 'text' && !(isObject(media.schema) && media.schema.format === 'binary')) return { ...head, type: 'string' };
  if (media.kind === 'binary' || media.kind === 'text') return { ...head, type: 'string', contentEncoding: 'base64', contentMediaType: media.mediaType };
  if (media.kind === 'xml') {
    const root = output.xmlName(media.schema, r.doc);
    if (root) binding.responseXmlRoot = root;
  }
  const schema = output.convert(media.schema, r.doc, media.kind === 'xml' ? 'xml' : 'json');
  return output.finish({ ...head, ...schema });
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  raw: Schema;
  doc: string;
}

function mergeParameters(docs: DocumentSet, ctx: SchemaContext, op: string, pathLevel: unknown, opLevel: unknown, doc: string): Param[] {
  const byKey = new Map<string, Param>();
  for (const list of [pathLevel, opLevel]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const r = docs.deref(raw, doc);
      if (!isObject(r.value) || typeof r.value.name !== 'string') continue;
      const where = r.value.in;
      if (where === 'cookie') {
        ctx.warnOnce(`${op}: cookie parameter "${r.value.name}" is not supported and was left out`);
        continue;
      }
      if (where !== 'path' && where !== 'query' && where !== 'header') continue;
      if (where === 'header' && IGNORED_HEADERS.has(r.value.name.toLowerCase())) continue;
      byKey.set(`${where}:${r.value.name}`, { name: r.value.name, in: where, raw: r.value, doc: r.doc });
    }
  }
  return [...byKey.values()];
}

interface PickedMedia {
  mediaType: string;
  kind: ReturnType<typeof mediaKind>;
  schema: unknown;
}

/** JSON first, then XML, then anything else (the first declared). */
function pickMedia(content: unknown): PickedMedia | undefined {
  if (!isObject(content)) return undefined;
  const entries = Object.entries(content).map(([mt, media]) => ({ mediaType: mt, kind: mediaKind(mt), schema: isObject(media) ? media.schema : undefined }));
  return entries.find((e) => e.kind === 'json') ?? entries.find((e) => e.kind === 'xml') ?? entries[0];
}

function operationName(operationId: unknown, method: string, path: string, ctx: SchemaContext): string {
  if (typeof operationId === 'string' && SAFE_NAME.test(operationId)) return operationId;
  if (typeof operationId === 'string') {
    const name = camel([operationId]);
    ctx.warnOnce(`operationId "${operationId}" is not a safe file name; the operation is named "${name}"`);
    return name;
  }
  const name = camel([method, ...path.split('/')]);
  ctx.warnOnce(`${method.toUpperCase()} ${path} has no operationId; it is named "${name}"`);
  return name;
}

function camel(parts: string[]): string {
  const words = parts.flatMap((p) => p.split(/[^A-Za-z0-9]+/)).filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w[0]!.toLowerCase() + w.slice(1) : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z]/.test(joined) ? joined : `op${joined}`;
}

function pascal(name: string): string {
  const c = camel([name]);
  return c[0]!.toUpperCase() + c.slice(1);
}

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A REST provider without an OpenAPI document describes its operations by hand in provider.json
 * (`operations`, see ManualOperation in contracts/provider.schema.json). They become the same
 * operation shape an import produces — input schema in the { path, query, headers, body }
 * convention, output schema, RestBinding — so the connector cannot tell them apart.
 *
 * Without `response`, the output is open and the response is decoded by its content type (JSON,
 * XML in the XML mapping, text; an empty body is null).
 */
import type { ManualOperation } from '../../contracts/types';
import { IDEMPOTENT_METHODS, mediaKind, type RestBinding } from './binding';

export interface RestOperation {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  binding: RestBinding;
  idempotent: boolean;
}

type Schema = Record<string, unknown>;

export function manualOperation(name: string, m: ManualOperation): RestOperation {
  const groups: Record<'path' | 'query' | 'headers', { properties: Schema; required: string[] }> = {
    path: { properties: {}, required: [] },
    query: { properties: {}, required: [] },
    headers: { properties: {}, required: [] },
  };
  const declared = new Set<string>();
  for (const p of m.parameters ?? []) {
    const g = groups[p.in === 'header' ? 'headers' : p.in];
    g.properties[p.name] = (p.schema ?? { type: 'string' }) as Schema;
    if (p.in === 'path' || p.required) g.required.push(p.name);
    if (p.in === 'path') declared.add(p.name);
  }
  // A path placeholder nobody declared is a string parameter: the template says it is needed.
  for (const [, placeholder] of m.path.matchAll(/\{([^}]+)\}/g)) {
    if (declared.has(placeholder!)) continue;
    groups.path.properties[placeholder!] = { type: 'string', minLength: 1 };
    groups.path.required.push(placeholder!);
  }
  const properties: Schema = {};
  const required: string[] = [];
  for (const [key, g] of Object.entries(groups)) {
    if (Object.keys(g.properties).length === 0) continue;
    properties[key] = { type: 'object', additionalProperties: false, properties: g.properties, ...(g.required.length ? { required: g.required } : {}) };
    if (g.required.length) required.push(key);
  }
  const binding: RestBinding = {
    method: m.method,
    path: m.path,
    parameters: [
      ...(m.parameters ?? []).map((p) => ({ name: p.name, in: p.in, required: p.in === 'path' || p.required === true })),
      ...[...Object.keys(groups.path.properties)].filter((n) => !declared.has(n)).map((n) => ({ name: n, in: 'path' as const, required: true })),
    ],
    successStatuses: range(200, 300),
    errorResponses: {},
  };
  if (m.requestBody) {
    properties.body = m.requestBody.schema as Schema;
    required.push('body');
    binding.requestMediaType = m.requestBody.mediaType ?? 'application/json';
    binding.requestBodyRequired = true;
    if (mediaKind(binding.requestMediaType) === 'xml') binding.xmlRoot = m.requestBody.rootElement ?? name;
  }
  if (m.response) binding.responseMediaType = m.response.mediaType ?? 'application/json';
  return {
    name,
    ...(m.description ? { description: m.description } : {}),
    inputSchema: { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) },
    outputSchema: (m.response?.schema as Schema | undefined) ?? {},
    binding,
    idempotent: IDEMPOTENT_METHODS.has(m.method),
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

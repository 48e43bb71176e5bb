/**
 * The contracts as loaded schemas, and the one way wasl compiles them: Ajv for JSON Schema
 * 2020-12, strict about types (no coercion, nothing removed), with formats.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import orderSchema from './order.schema.json';
import serviceSchema from './service.schema.json';
import eventSchema from './event.schema.json';
import problemSchema from './problem.schema.json';
import providerSchema from './provider.schema.json';
import fulfilmentSchema from './fulfilment.schema.json';
import scenarioSchema from './scenario.schema.json';

export const CONTRACT_BASE = 'https://contracts.wasl.sy/';
export const schemas = [orderSchema, serviceSchema, eventSchema, problemSchema, providerSchema, fulfilmentSchema, scenarioSchema] as const;

/** A `$ref` to a definition of a contract, e.g. ref('order', 'OrderRequest'). */
export function ref(contract: 'order' | 'service' | 'event' | 'problem' | 'provider' | 'fulfilment' | 'scenario', def?: string): string {
  return `${CONTRACT_BASE}${contract}.schema.json${def ? `#/$defs/${def}` : ''}`;
}

export interface AjvOptions {
  /** For querystrings and path parameters, which arrive as strings: coerce them to the declared
   * types and fill declared defaults. Never for bodies, which must say what they mean. */
  forParameters?: boolean;
}

export function createAjv(opts: AjvOptions = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    discriminator: true,
    coerceTypes: opts.forParameters ?? false,
    removeAdditional: false,
    useDefaults: opts.forParameters ?? false,
  });
  addFormats(ajv);
  // OpenAPI's `example(s)` inside schemas are documentation, not validation.
  ajv.addKeyword({ keyword: 'example', schemaType: ['object', 'array', 'string', 'number', 'boolean', 'null'] });
  for (const s of schemas) ajv.addSchema(s);
  return ajv;
}

/** One Ajv error as a JSON pointer into the validated document and an English text. */
export interface PointedError {
  pointer: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

export function pointErrors(errors: ErrorObject[] | null | undefined, prefix = ''): PointedError[] {
  const out: PointedError[] = [];
  const seen = new Set<string>();
  const umbrellas: ErrorObject[] = [];
  for (const e of errors ?? []) {
    // When no branch matched, oneOf's failing branch reports itself and the umbrella error adds
    // nothing; when several matched (passingSchemas), the umbrella is the only error there is.
    if ((e.keyword === 'oneOf' && !e.params.passingSchemas) || e.keyword === 'if') {
      umbrellas.push(e);
      continue;
    }
    let pointer = prefix + e.instancePath;
    if (e.keyword === 'required') pointer += `/${escapePointer(String(e.params.missingProperty))}`;
    if (e.keyword === 'additionalProperties') pointer += `/${escapePointer(String(e.params.additionalProperty))}`;
    const message = describe(e);
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, keyword: e.keyword, message, params: e.params as Record<string, unknown> });
  }
  // An invalid document always gets at least one error.
  if (out.length === 0) for (const e of umbrellas) out.push({ pointer: prefix + e.instancePath, keyword: e.keyword, message: describe(e), params: e.params as Record<string, unknown> });
  return out;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed here';
    case 'pattern':
      return 'has characters or a form that is not allowed';
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    case 'oneOf':
      return e.params.passingSchemas ? 'matches more than one of its alternatives (exactly one is allowed)' : 'matches none of its alternatives';
    default:
      return e.message ?? 'is invalid';
  }
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export type { ValidateFunction };

/**
 * The contracts as loaded schemas, and the one way wasl compiles them: Ajv for JSON Schema
 * 2020-12, strict about types (no coercion, nothing removed), with formats, and patterns that
 * cannot stop the event loop (see `patternRegExp`).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { linearRegExp, PatternError, type LinearRegExp } from './linear-regexp';
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

/** Every regular expression written in this project's own schemas (contracts/*.schema.json). */
const PROJECT_PATTERNS: ReadonlySet<string> = new Set(schemas.flatMap((s) => patternsIn(s)));

/**
 * Ajv's regular expression engine in every wasl Ajv: a pattern written in this project's own
 * schemas runs on V8's engine (reviewed here; some need lookahead and Script_Extensions, which
 * RE2 has not, and the gateway checks them on every order); any other pattern — from a WSDL, an
 * OpenAPI document, a service definition — runs on RE2 in linear time, or is refused when the
 * schema is compiled (PatternError). A contract pattern spelled exactly like one of ours is ours.
 * Schemas written inline in wasl's code (hub/config.ts…) are not in that list: they run on RE2
 * too, which costs them nothing that matters (they are checked at start or rarely), so their
 * patterns keep to what RE2 can run; one that needs lookahead belongs in contracts/.
 * Measured: RE2 (re2js) takes 5–20x V8's time on the short strings of an order, which is why
 * the gateway's own patterns stay on V8.
 */
export const patternRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string): RegExp | LinearRegExp => (PROJECT_PATTERNS.has(pattern) ? new RegExp(pattern, flags) : linearRegExp(pattern, flags)),
  // Standalone validation code would require the engine from here; wasl compiles in process.
  { code: 'require("wasl/contracts").patternRegExp' },
);

/** The patterns a schema holds (`pattern` values and `patternProperties` names), each with its JSON pointer. */
export function patternsWithPointers(schema: unknown, at = ''): Array<{ pattern: string; pointer: string }> {
  const out: Array<{ pattern: string; pointer: string }> = [];
  const walk = (v: unknown, ptr: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${ptr}/${i}`));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        // Instance data, not schemas: an example may well have a "pattern" member.
        if (k === 'examples' || k === 'example' || k === 'const' || k === 'enum' || k === 'default') continue;
        const p = `${ptr}/${escapePointer(k)}`;
        if (k === 'pattern' && typeof x === 'string') out.push({ pattern: x, pointer: p });
        else if (k === 'patternProperties' && typeof x === 'object' && x !== null) {
          for (const name of Object.keys(x)) out.push({ pattern: name, pointer: `${p}/${escapePointer(name)}` });
        }
        walk(x, p);
      }
    }
  };
  walk(schema, at);
  return out;
}

function patternsIn(schema: unknown): string[] {
  return patternsWithPointers(schema).map((p) => p.pattern);
}

/**
 * Refuses a schema holding a pattern that patternRegExp would refuse, saying where: Ajv's own
 * error names the pattern but not its place. `where` names the schema (a service, a component).
 */
export function assertLinearPatterns(schema: unknown, where: string): void {
  for (const { pattern, pointer } of patternsWithPointers(schema)) checkPattern(pattern, `${where} at ${pointer || '/'}`);
}

/** Throws the PatternError patternRegExp would, with `where` the pattern is added to its reason. */
export function checkPattern(pattern: string, where: string): void {
  if (PROJECT_PATTERNS.has(pattern)) return;
  try {
    linearRegExp(pattern);
  } catch (err) {
    if (err instanceof PatternError) throw new PatternError(pattern, `${err.reason} (in ${where})`);
    throw err;
  }
}

/** The annotation a schema node carries to say what its rule expects, in English and Arabic. */
export const MESSAGE_KEYWORD = 'x-wasl-message';
export interface RuleMessage {
  en: string;
  ar: string;
}
const MESSAGE_META_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['en', 'ar'],
  properties: { en: { type: 'string', minLength: 1 }, ar: { type: 'string', minLength: 1 } },
} as const;

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
    // Errors carry the schema node that failed (parentSchema), so that its `x-wasl-message` speaks
    // for it (hub/field-errors.ts). They then also carry the value (`data`): ajv errors are turned
    // into pointers and texts (pointErrors, fieldErrors) and never logged or returned as they are.
    verbose: true,
    coerceTypes: opts.forParameters ?? false,
    removeAdditional: false,
    useDefaults: opts.forParameters ?? false,
    code: { regExp: patternRegExp },
  });
  addFormats(ajv);
  // OpenAPI's `example(s)` inside schemas are documentation, not validation.
  ajv.addKeyword({ keyword: 'example', schemaType: ['object', 'array', 'string', 'number', 'boolean', 'null'] });
  // What a channel and a citizen are told, in English and Arabic, when the node's form (its pattern,
  // format or discriminator) does not hold: an annotation, read by hub/field-errors.ts.
  ajv.addKeyword({ keyword: MESSAGE_KEYWORD, schemaType: 'object', metaSchema: MESSAGE_META_SCHEMA });
  for (const s of schemas) ajv.addSchema(s);
  return ajv;
}

/** One Ajv error as a JSON pointer into the validated document and an English text. */
export interface PointedError {
  pointer: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
  /** The schema node holding the failing keyword (with Ajv's `verbose`, as createAjv sets it). */
  parentSchema?: Record<string, unknown>;
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
    out.push({ pointer, keyword: e.keyword, message, params: e.params as Record<string, unknown>, ...parentOf(e) });
  }
  // An invalid document always gets at least one error.
  if (out.length === 0) for (const e of umbrellas) out.push({ pointer: prefix + e.instancePath, keyword: e.keyword, message: describe(e), params: e.params as Record<string, unknown>, ...parentOf(e) });
  return out;
}

function parentOf(e: ErrorObject): { parentSchema?: Record<string, unknown> } {
  const p = e.parentSchema as unknown;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? { parentSchema: p as Record<string, unknown> } : {};
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
export { linearRegExp, PatternError, type LinearRegExp } from './linear-regexp';

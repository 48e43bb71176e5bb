/**
 * A valid example of a JSON Schema, for a generated simulator's default answer. Deterministic
 * (the same schema gives the same example, so a scenario's report does not change from run to
 * run), and readable: for a string with a pattern it tries plausible values (a timestamp, a
 * date, a reference) before falling back to a string generated from the pattern (randexp).
 * `full` fills optional members too (to a few levels), for an answer that looks like a real
 * one; otherwise only required members are generated. The first branch of a oneOf/anyOf is
 * taken. The caller validates the result and falls back from full to minimal when "exactly one
 * of" constraints make the full one invalid; an example that still does not satisfy its schema
 * is reported, never sent silently.
 */
import RandExp from 'randexp';
import { patternRegExp } from '../../contracts';

type Schema = Record<string, unknown>;

const CANDIDATES = (now: Date) => [
  now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  now.toISOString(),
  now.toISOString().slice(0, 10),
  'SIM-000001',
  '00000001',
  '01234567890',
  'SY',
  'AB',
  'ar',
  'sandbox',
];

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let cur: unknown = root;
  for (const raw of ref.slice(2).split('/')) cur = (cur as Schema)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!cur || typeof cur !== 'object') throw new Error(`unresolved $ref ${ref}`);
  return cur as Schema;
}

/** A seeded generator so randexp's choices repeat. */
function seeded(seed: string): (a: number, b: number) => number {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (a, b) => {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    return a + (h % (b - a + 1));
  };
}

function stringOf(s: Schema, name: string, now: Date): string {
  // Tested as the validators test it (a contract's pattern in linear time); randexp only reads it.
  const pattern = typeof s.pattern === 'string' ? patternRegExp(s.pattern, 'u') : undefined;
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  const fits = (v: string) => (!pattern || pattern.test(v)) && [...v].length >= min && [...v].length <= max;
  switch (s.format) {
    case 'date-time':
      return now.toISOString();
    case 'date':
      return now.toISOString().slice(0, 10);
    case 'email':
      return 'citizen@example.org';
    case 'uri':
    case 'url':
      return `https://sandbox.wasl.sy/documents/${name || 'doc'}`;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000001';
  }
  if (s.contentEncoding === 'base64' || s.format === 'byte') return placeholderContent(name);
  const byName = /reference|number|id$/i.test(name) ? [`SIM-${name.toUpperCase().slice(0, 6)}-000001`] : /mediaType|contentType/i.test(name) ? ['application/pdf'] : [];
  // A plain string reads as what it is (its member's name); a constrained one tries plausible values first.
  const plain = !pattern && min <= 1;
  for (const c of plain ? [...byName, name || 'example'] : [...byName, ...CANDIDATES(now), name || 'example']) if (fits(c)) return c;
  if (pattern) {
    const gen = new RandExp(new RegExp(s.pattern as string, 'u'));
    gen.max = 4;
    gen.randInt = seeded(`${name}:${String(s.pattern)}`);
    for (let i = 0; i < 20; i++) {
      const v = gen.gen();
      if (fits(v)) return v;
    }
  }
  return 'x'.repeat(Math.max(1, Math.min(min, 64)));
}

/**
 * The generated content of a binary member, before documents.ts puts a real PDF in its place (an
 * async step the synchronous generator does not take): recognisable, so only it is replaced.
 */
export const placeholderContent = (name: string): string => Buffer.from(`wasl sandbox ${name}`).toString('base64');

function numberOf(s: Schema, integer: boolean): number {
  const lo = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + (integer ? 1 : 0.5) : undefined;
  const hi = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - (integer ? 1 : 0.5) : undefined;
  let v = lo !== undefined && lo > 1 ? lo : hi !== undefined && hi < 1 ? hi : 1;
  if (integer) v = Math.ceil(v);
  return v;
}

function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (a.properties || b.properties) out.properties = { ...(a.properties as Schema), ...(b.properties as Schema) };
  if (a.required || b.required) out.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
  return out;
}

export function exampleOf(schema: Schema, now = new Date(), full = false, hints: ReadonlyMap<string, unknown> = new Map()): unknown {
  const root = schema;
  const walk = (s0: Schema, name: string, depth: number): unknown => {
    let s = s0;
    if (depth > 24) return undefined;
    if (typeof s.$ref === 'string') s = merge(resolveRef(root, s.$ref), Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')));
    if (Array.isArray(s.allOf)) {
      let m: Schema = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'allOf'));
      for (const part of s.allOf as Schema[]) m = merge(m, part.$ref ? resolveRef(root, part.$ref as string) : part);
      s = m;
    }
    const branch = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    if (branch?.length) s = merge(Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'oneOf' && k !== 'anyOf')), branch[0]!.$ref ? resolveRef(root, branch[0]!.$ref as string) : branch[0]!);
    if ('const' in s) return s.const;
    // A member named like one of the request's answers with the request's value (the person asked about, the plate…).
    const hint = hints.get(name);
    if (hint !== undefined && typeof hint !== 'object' && (s.type === undefined || s.type === typeof hint || (s.type === 'integer' && Number.isInteger(hint)))) return hint;
    if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
    if ('default' in s) return s.default;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
    const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined);
    const inferred = type ?? (s.properties ? 'object' : s.items ? 'array' : 'string');
    switch (inferred) {
      case 'object': {
        const out: Record<string, unknown> = {};
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const required = new Set((s.required as string[] | undefined) ?? []);
        const keys = full && depth < 6 ? [...new Set([...required, ...Object.keys(props)])] : [...required];
        for (const key of keys) {
          const v = walk(props[key] ?? {}, key, depth + 1);
          if (v !== undefined) out[key] = v;
        }
        return out;
      }
      case 'array': {
        const n = typeof s.minItems === 'number' ? Math.max(1, s.minItems) : 1;
        const items = (s.items ?? {}) as Schema;
        return Array.from({ length: n }, () => walk(items, name, depth + 1));
      }
      case 'integer':
        return numberOf(s, true);
      case 'number':
        return numberOf(s, false);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return stringOf(s, name, now);
    }
  };
  return walk(schema, '', 0);
}

/** The scalar members of a request by name (the last one wins), to answer with them. */
export function scalarsByName(value: unknown, out = new Map<string, unknown>(), depth = 0): Map<string, unknown> {
  if (depth > 8 || typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null) scalarsByName(v, out, depth + 1);
    else if (v !== undefined && !k.startsWith('@')) out.set(k, v);
  }
  return out;
}

/** `over` laid over `base`: objects merged member by member, anything else replaced. */
export function overlay(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = overlay(base[k], v);
  return out;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `actual` has every member of `expected` (recursively; arrays element by element). */
export function contains(actual: unknown, expected: unknown): boolean {
  if (isObject(expected)) return isObject(actual) && Object.entries(expected).every(([k, v]) => contains(actual[k], v));
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((v, i) => contains(actual[i], v));
  return Object.is(actual, expected) || (typeof expected !== 'object' && String(actual) === String(expected) && typeof actual !== 'object' && actual !== undefined);
}

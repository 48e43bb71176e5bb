/**
 * JSON Schemas (2020-12) of each SOAP operation's input and output, generated from the compiled
 * model and following its JSON mapping exactly (see the header of ./model.ts, rules M/E/A/B).
 * Each schema is self-contained: named XSD types become `$defs`. The two directions differ only
 * where the mapping does — integer-like and decimal values are strings, but input also accepts
 * a JSON number — so a named type containing one gets a second definition `<Name>In` for input.
 * SOAP headers are not part of the body schemas: `headerSchema` describes them separately.
 */
import {
  BUILTINS,
  jsonKindOf,
  resolveType,
  splitKey,
  builtinName,
  type ComplexTypeModel,
  type ElementModel,
  type OperationModel,
  type ParticleModel,
  type ServiceModel,
  type SimpleTypeModel,
  type TypeModel,
  type TypeRef,
  type AttributeModel,
  type HeaderModel,
} from './model';
import { binaryKind, documentHandleSchema } from './binary';
import { xsdPatternToEcma } from './wsdl/xsd-regex';

export type JsonSchema = Record<string, unknown>;
export type Direction = 'input' | 'output';

export const RAW_XML_DESCRIPTION = 'Raw XML: the element content as an XML fragment (mapping rule E9).';

export interface OperationSchemas {
  input: JsonSchema;
  output: JsonSchema;
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Generates schemas for one service: def names are shared by every operation of it. */
export class SchemaGenerator {
  private readonly names = new Map<string, string>();
  private readonly sensitive: Set<string>;
  readonly warnings: string[] = [];

  constructor(private readonly model: ServiceModel) {
    const taken = new Set<string>();
    for (const key of Object.keys(model.types).sort()) {
      const base = splitKey(key).local.replace(/[^A-Za-z0-9_]/g, '_') || 'Type';
      let name = base;
      for (let n = 2; taken.has(name.toLowerCase()) || taken.has(`${name}In`.toLowerCase()); n++) name = `${base}_${n}`;
      taken.add(name.toLowerCase());
      taken.add(`${name}In`.toLowerCase());
      this.names.set(key, name);
    }
    this.sensitive = directionSensitive(model);
  }

  /** The `$defs` name of a named type in a direction. */
  defName(key: string, dir: Direction): string {
    const name = this.names.get(key) ?? key;
    return dir === 'input' && this.sensitive.has(key) ? `${name}In` : name;
  }

  operation(name: string): OperationSchemas {
    const op = this.model.operations[name];
    if (!op) throw new Error(`no operation ${name}`);
    return { input: this.message(op, 'input'), output: this.message(op, 'output') };
  }

  private message(op: OperationModel, dir: Direction): JsonSchema {
    const ctx = new Ctx(this, dir);
    const msg = op[dir];
    let body: JsonSchema;
    const only = msg.parts[0];
    if (msg.unwrapped && only) {
      // M1: the JSON is the wrapper element's value (never null at the root).
      body = ctx.typeSchema(only.element.type);
      const note = docOf(only.element);
      if (!body.description && note.description) body = { ...body, description: note.description };
    } else {
      const properties: Record<string, JsonSchema> = {};
      for (const p of msg.parts) properties[p.element.jsonName] = ctx.elementSchema(p.element);
      body = { type: 'object', properties, required: msg.parts.map((p) => p.element.jsonName), additionalProperties: false };
    }
    const out: JsonSchema = { $schema: DIALECT, title: `${op.name} ${dir}` };
    const description = op.documentation ?? op.title;
    if (description) out.description = description;
    Object.assign(out, body);
    if (dir === 'output' && op.oneWay) out.description = 'One-way operation: no response.';
    const defs = ctx.defs();
    if (Object.keys(defs).length) out.$defs = defs;
    return out;
  }

  /** The SOAP headers of an operation's input or output (M4), keyed by part name. */
  headers(op: OperationModel, dir: Direction): JsonSchema {
    const ctx = new Ctx(this, dir);
    const list: HeaderModel[] = dir === 'input' ? op.inputHeaders : op.outputHeaders;
    const properties: Record<string, JsonSchema> = {};
    for (const h of list) properties[h.part] = ctx.elementSchema({ ...h.element, jsonName: h.part });
    const out: JsonSchema = {
      $schema: DIALECT,
      title: `${op.name} ${dir} SOAP headers`,
      type: 'object',
      properties,
      required: list.filter((h) => h.required).map((h) => h.part),
      additionalProperties: false,
    };
    const defs = ctx.defs();
    if (Object.keys(defs).length) out.$defs = defs;
    return out;
  }

  /** Used by Ctx. */
  modelOf(): ServiceModel {
    return this.model;
  }
}

/** One schema being built: collects the `$defs` it refers to. */
class Ctx {
  private readonly built = new Map<string, JsonSchema>();

  constructor(
    private readonly gen: SchemaGenerator,
    private readonly dir: Direction,
  ) {}

  defs(): Record<string, JsonSchema> {
    const out: Record<string, JsonSchema> = {};
    for (const [name, s] of [...this.built.entries()].sort(([a], [b]) => a.localeCompare(b))) out[name] = s;
    return out;
  }

  typeSchema(ref: TypeRef): JsonSchema {
    if (typeof ref === 'string') {
      const b = builtinName(ref);
      if (b) return b === 'anyType' ? rawSchema() : this.simple({ kind: 'simple', base: b });
      const model = this.gen.modelOf();
      const t = model.types[ref];
      if (!t) return rawSchema(ref);
      const name = this.gen.defName(ref, this.dir);
      if (!this.built.has(name)) {
        this.built.set(name, {}); // placeholder: recursion refers to it by name
        const s = this.model(t);
        if (t.kind !== 'any') {
          if (t.title && !s.title) s.title = t.title;
          if (t.documentation && !s.description) s.description = t.documentation;
        }
        this.built.set(name, s);
      }
      return { $ref: `#/$defs/${name}` };
    }
    return this.model(ref);
  }

  private model(t: TypeModel): JsonSchema {
    if (t.kind === 'any') return rawSchema(t.unresolved);
    if (t.kind === 'simple') return this.simple(t);
    return this.complex(t);
  }

  /** `inRepeatingGroup`: the array comes (also) from a repeating group, so the element's own bounds do not bound it. */
  elementSchema(e: ElementModel, inRepeatingGroup = false): JsonSchema {
    let v = this.typeSchema(e.type);
    if (e.fixed !== undefined) {
      const c = lexicalToJson(e.fixed, resolveType(this.gen.modelOf(), e.type));
      if (c !== undefined) v = { ...v, const: c };
    }
    if (e.default !== undefined) {
      const d = lexicalToJson(e.default, resolveType(this.gen.modelOf(), e.type));
      if (d !== undefined) v = { ...v, default: d };
    }
    if (e.nillable) v = { anyOf: [v, { type: 'null' }] };
    if (e.array) {
      const arr: JsonSchema = { type: 'array', items: v };
      // Own bounds only when the element alone repeats (not a repeating group around it).
      if (!e.optional && e.minOccurs > 0) arr.minItems = inRepeatingGroup ? 1 : e.minOccurs;
      if (!inRepeatingGroup && typeof e.maxOccurs === 'number' && e.maxOccurs > 1) arr.maxItems = e.maxOccurs;
      v = arr;
    }
    const note = docOf(e);
    if (note.title || note.description) v = { ...v, ...note };
    return v;
  }

  simple(t: SimpleTypeModel): JsonSchema {
    if (t.list) {
      const out: JsonSchema = { type: 'array', items: this.simple(t.list) };
      if (t.length !== undefined) out.minItems = out.maxItems = t.length;
      if (t.minLength !== undefined) out.minItems = t.minLength;
      if (t.maxLength !== undefined) out.maxItems = t.maxLength;
      return out;
    }
    if (t.union) return { anyOf: t.union.map((m) => this.simple(m)) };
    const info = BUILTINS[t.base] ?? { json: 'string' as const };
    const patterns: string[] = [];
    if (info.pattern) patterns.push(info.pattern);
    for (const p of t.pattern ?? []) {
      try {
        patterns.push(xsdPatternToEcma(p));
      } catch (err) {
        // Not fatal: the provider still checks its own pattern; wasl says at import that it will not.
        const msg = `pattern ${JSON.stringify(p)}${t.name ? ` of type ${t.name}` : ''} cannot be checked by wasl (${(err as Error).message}); only the provider applies it`;
        if (!this.gen.warnings.includes(msg)) this.gen.warnings.push(msg);
      }
    }
    switch (info.json) {
      case 'boolean':
        return withEnum({ type: 'boolean' }, t, (v) => v === 'true' || v === '1');
      case 'integer': {
        const s: JsonSchema = { type: 'integer' };
        bounds(s, t, info.min, info.max);
        return withEnum(s, t, Number);
      }
      case 'number': {
        const s: JsonSchema = { type: 'number' };
        bounds(s, t);
        if (t.enumeration) return withEnum(s, t, Number);
        return { anyOf: [s, { enum: ['INF', '-INF', 'NaN'] }] };
      }
      case 'decimal-string': {
        if (t.fractionDigits !== undefined) patterns.push(`^[+-]?([0-9]*)(\\.[0-9]{0,${t.fractionDigits}}0*)?$`);
        const str = stringSchema(patterns, t);
        if (this.dir === 'output') return str;
        const num: JsonSchema = { type: t.base === 'decimal' || t.fractionDigits ? 'number' : 'integer' };
        if (info.min !== undefined && Number.isSafeInteger(Number(info.min))) num.minimum = Number(info.min);
        if (info.max !== undefined && Number.isSafeInteger(Number(info.max))) num.maximum = Number(info.max);
        bounds(num, t);
        if (t.enumeration) num.enum = t.enumeration.map(Number).filter((n) => Number.isFinite(n));
        return { anyOf: [str, num] };
      }
      case 'raw':
        return rawSchema();
      default: {
        const s = stringSchema(patterns, t);
        if (t.base === 'base64Binary') s.contentEncoding = 'base64';
        if (t.base === 'hexBinary' || t.base === 'base64Binary') {
          delete s.minLength;
          delete s.maxLength;
        }
        // A document: the connector carries it as a handle (output, and input to send one on);
        // the base64 text stays valid — first, so generated examples (simulators) write text —
        // for a connector without a document sink, and the swaRef URI likewise.
        const binary = binaryKind(t);
        if (binary === 'base64' || (binary === 'swaref' && this.dir === 'output')) return { anyOf: [s, documentHandleSchema()] };
        return s;
      }
    }
  }

  private complex(t: ComplexTypeModel): JsonSchema {
    if (t.simpleContent && t.attributes.length === 0) return this.simple(t.simpleContent); // E5
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const a of t.attributes) {
      properties[a.jsonName] = this.attribute(a);
      if (a.required) required.push(a.jsonName);
    }
    if (t.simpleContent) {
      properties.$value = this.simple(t.simpleContent);
      required.push('$value');
    } else if (t.mixed) properties.$value = { type: 'string', description: 'Text content of mixed content.' };
    const constraints: JsonSchema[] = [];
    if (t.particle) this.particle(t.particle, properties, required, constraints, { optional: false, repeated: false });
    const out: JsonSchema = { type: 'object', properties };
    if (required.length) out.required = [...new Set(required)];
    out.additionalProperties = false;
    if (t.anyAttribute) out.patternProperties = { '^@': { type: 'string' } };
    if (constraints.length) out.allOf = constraints;
    return out;
  }

  private attribute(a: AttributeModel): JsonSchema {
    const t = resolveType(this.gen.modelOf(), a.type);
    let s = this.typeSchema(a.type);
    if (a.fixed !== undefined) {
      const c = lexicalToJson(a.fixed, t);
      if (c !== undefined) s = { ...s, const: c };
    }
    if (a.default !== undefined) {
      const d = lexicalToJson(a.default, t);
      if (d !== undefined) s = { ...s, default: d };
    }
    if (a.documentation) s = { ...s, description: a.documentation };
    return s;
  }

  private particle(p: ParticleModel, props: Record<string, JsonSchema>, required: string[], constraints: JsonSchema[], ctx: { optional: boolean; repeated: boolean }): void {
    if (p.kind === 'element') {
      props[p.jsonName] = this.elementSchema(p, ctx.repeated);
      if (!p.optional) required.push(p.jsonName);
      return;
    }
    if (p.kind === 'wildcard') {
      props.$any = { type: 'array', items: { type: 'string' }, description: 'Raw XML elements matched by a wildcard (mapping rule E8).' };
      return;
    }
    const optional = ctx.optional || p.minOccurs === 0;
    const repeated = ctx.repeated || p.maxOccurs === 'unbounded' || p.maxOccurs > 1;
    const inner = { optional: optional || (p.kind === 'choice' && p.items.length > 1), repeated };
    for (const item of p.items) this.particle(item, props, required, constraints, inner);
    if (p.kind === 'choice' && p.items.length > 1 && !repeated) {
      const c = choiceConstraint(p.items, !optional);
      if (c) constraints.push(c);
    }
  }
}

/** E7: which options of a choice are present, as JSON Schema. */
function choiceConstraint(options: ParticleModel[], mustHaveOne: boolean): JsonSchema | undefined {
  const props = options.map((o) => propertyNames(o));
  const all = props.flat();
  if (new Set(all).size !== all.length || props.some((p) => p.length === 0)) return undefined;
  const presence = props.map((p) => (p.length === 1 ? { required: p } : { anyOf: p.map((x) => ({ required: [x] })) }));
  const exactlyOne = mustHaveOne && options.every((o) => requiredNames(o).length > 0);
  if (exactlyOne) return { oneOf: presence };
  return { oneOf: [...presence, { not: { anyOf: presence } }] };
}

function propertyNames(p: ParticleModel): string[] {
  if (p.kind === 'element') return [p.jsonName];
  if (p.kind === 'wildcard') return ['$any'];
  return p.items.flatMap(propertyNames);
}

/** Names an option requires when chosen (groups within it that may be absent contribute nothing). */
function requiredNames(p: ParticleModel): string[] {
  if (p.kind === 'element') return p.minOccurs > 0 ? [p.jsonName] : [];
  if (p.kind === 'wildcard' || p.minOccurs === 0) return [];
  if (p.kind === 'choice') return p.items.length === 1 ? requiredNames(p.items[0] as ParticleModel) : [];
  return p.items.flatMap(requiredNames);
}

function rawSchema(unresolved?: string): JsonSchema {
  return { type: 'string', contentMediaType: 'application/xml', description: unresolved ? `${RAW_XML_DESCRIPTION} Type ${unresolved} could not be resolved.` : RAW_XML_DESCRIPTION };
}

function stringSchema(patterns: string[], t: SimpleTypeModel): JsonSchema {
  const s: JsonSchema = { type: 'string' };
  if (patterns[0]) s.pattern = patterns[0];
  if (patterns.length > 1) s.allOf = patterns.slice(1).map((p) => ({ pattern: p }));
  if (t.length !== undefined) s.minLength = s.maxLength = t.length;
  if (t.minLength !== undefined) s.minLength = t.minLength;
  if (t.maxLength !== undefined) s.maxLength = t.maxLength;
  if (t.enumeration) s.enum = [...new Set(t.enumeration)];
  return s;
}

function withEnum(s: JsonSchema, t: SimpleTypeModel, conv: (v: string) => unknown): JsonSchema {
  if (t.enumeration) s.enum = [...new Set(t.enumeration.map(conv))];
  return s;
}

function bounds(s: JsonSchema, t: SimpleTypeModel, min?: string, max?: string): void {
  const num = (v: string | undefined) => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : undefined);
  const lo = num(t.minInclusive) ?? num(min);
  const hi = num(t.maxInclusive) ?? num(max);
  if (lo !== undefined) s.minimum = Math.max(lo, num(min) ?? lo);
  if (hi !== undefined) s.maximum = Math.min(hi, num(max) ?? hi);
  if (num(t.minExclusive) !== undefined) s.exclusiveMinimum = num(t.minExclusive);
  if (num(t.maxExclusive) !== undefined) s.exclusiveMaximum = num(t.maxExclusive);
}

/** A fixed/default lexical value as the JSON value the mapping gives it; undefined if not scalar. */
function lexicalToJson(v: string, t: TypeModel): unknown {
  const simple = t.kind === 'simple' ? t : t.kind === 'complex' && t.simpleContent && !t.attributes.length ? t.simpleContent : undefined;
  if (!simple || simple.list || simple.union) return undefined;
  switch (jsonKindOf(simple)) {
    case 'boolean':
      return v.trim() === 'true' || v.trim() === '1';
    case 'integer':
      return Number(v.trim());
    case 'number':
      return Number.isFinite(Number(v)) ? Number(v) : v.trim();
    case 'raw':
      return undefined;
    default:
      return BUILTINS[simple.base]?.preserveWhitespace ? v : v.trim();
  }
}

function docOf(e: { title?: string; documentation?: string }): { title?: string; description?: string } {
  const out: { title?: string; description?: string } = {};
  if (e.title) out.title = e.title;
  if (e.documentation) out.description = e.documentation;
  return out;
}

/** Named types whose schema differs by direction: those reaching a decimal-string value (B4). */
function directionSensitive(model: ServiceModel): Set<string> {
  const direct = new Set<string>();
  const refs = new Map<string, Set<string>>();
  const visitSimple = (s: SimpleTypeModel): boolean => (s.list ? visitSimple(s.list) : s.union ? s.union.some(visitSimple) : BUILTINS[s.base]?.json === 'decimal-string');
  const visit = (key: string, ref: TypeRef | undefined): void => {
    if (ref === undefined) return;
    if (typeof ref === 'string') {
      const b = builtinName(ref);
      if (b) {
        if (BUILTINS[b]?.json === 'decimal-string') direct.add(key);
      } else {
        const keys = refs.get(ref);
        if (keys) keys.add(key);
        else refs.set(ref, new Set([key]));
      }
      return;
    }
    if (ref.kind === 'simple') {
      if (visitSimple(ref)) direct.add(key);
    } else if (ref.kind === 'complex') {
      if (ref.simpleContent && visitSimple(ref.simpleContent)) direct.add(key);
      for (const a of ref.attributes) visit(key, a.type);
      const walk = (p: ParticleModel | undefined): void => {
        if (!p || p.kind === 'wildcard') return;
        if (p.kind === 'element') visit(key, p.type);
        else p.items.forEach(walk);
      };
      walk(ref.particle);
    }
  };
  for (const [key, t] of Object.entries(model.types)) visit(key, t);
  // Propagate to every type that refers, directly or not, to a sensitive one.
  const out = new Set(direct);
  const queue = [...direct];
  while (queue.length) {
    const k = queue.pop() as string;
    for (const user of refs.get(k) ?? []) {
      if (!out.has(user)) {
        out.add(user);
        queue.push(user);
      }
    }
  }
  return out;
}

/** Schemas of every operation of a service, with the generator's warnings. */
export function serviceSchemas(model: ServiceModel): { operations: Record<string, OperationSchemas & { inputHeaders: JsonSchema; outputHeaders: JsonSchema }>; warnings: string[] } {
  const gen = new SchemaGenerator(model);
  const operations: Record<string, OperationSchemas & { inputHeaders: JsonSchema; outputHeaders: JsonSchema }> = {};
  for (const [name, op] of Object.entries(model.operations)) {
    operations[name] = { ...gen.operation(name), inputHeaders: gen.headers(op, 'input'), outputHeaders: gen.headers(op, 'output') };
  }
  return { operations, warnings: gen.warnings };
}

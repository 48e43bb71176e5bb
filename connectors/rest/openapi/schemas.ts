/**
 * OpenAPI schemas to self-contained JSON Schema 2020-12 that wasl's strict Ajv (contracts/index.ts
 * `createAjv`) compiles, and json-schema-to-typescript turns into types.
 *
 * - Every `$ref` (local or to another file) becomes `#/$defs/<Name>` in the schema being built,
 *   with the target converted once and put in `$defs`. Names come from the component's name
 *   (`#/components/schemas/Person` → `Person`) and are shared by the whole import, so the same
 *   component has the same name in every operation's schema.
 * - OpenAPI 3.0 → 2020-12: `nullable: true` → `type: [T, "null"]` (and `null` in an `enum`, or
 *   `anyOf [..., {type: null}]` when there is no type); boolean `exclusiveMinimum/Maximum` →
 *   numeric; `example` → `examples`; keywords beside a `$ref` are ignored as 3.0 says, except
 *   `nullable`. 3.1 schemas are JSON Schema already and are kept, keywords beside `$ref` too.
 * - For both: OpenAPI-only keywords that are annotations (`x-*`, `xml`, `discriminator`,
 *   `externalDocs`) are dropped, formats Ajv does not know are dropped with a warning, and a
 *   missing `type` is added when the keywords imply exactly one (`properties` → object), since
 *   strict Ajv refuses type-specific keywords without a type.
 * - XML bodies (mode 'xml') follow the connector's XML mapping (connectors/rest/xml-body.ts):
 *   an `xml.attribute` property becomes the key `@name`, `xml.name` renames a property to the
 *   element name, a wrapped array becomes an object holding the repeated item elements.
 * - Every `pattern` (and `patternProperties` name) must be one the connector can match in linear
 *   time (contracts/linear-regexp.ts): one that cannot is refused here, at import, naming it and
 *   its schema, rather than when the connector is built.
 */
import { checkPattern } from '../../../contracts';
import type { DocumentSet } from './documents';

export type SchemaMode = 'json' | 'xml';
export type Schema = Record<string, unknown>;

const DROPPED = new Set(['xml', 'discriminator', 'externalDocs', 'nullable']);
const KNOWN_FORMATS = new Set(
  'date time date-time iso-time iso-date-time duration uri uri-reference uri-template url email hostname ipv4 ipv6 regex uuid json-pointer json-pointer-uri-fragment relative-json-pointer byte int32 int64 float double password binary'.split(' '),
);
const IMPLIES: Record<string, string> = {
  properties: 'object',
  patternProperties: 'object',
  additionalProperties: 'object',
  minProperties: 'object',
  maxProperties: 'object',
  propertyNames: 'object',
  required: 'object',
  items: 'array',
  prefixItems: 'array',
  minItems: 'array',
  maxItems: 'array',
  uniqueItems: 'array',
  contains: 'array',
  minLength: 'string',
  maxLength: 'string',
  pattern: 'string',
  minimum: 'number',
  maximum: 'number',
  exclusiveMinimum: 'number',
  exclusiveMaximum: 'number',
  multipleOf: 'number',
};
const SUBSCHEMA = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems'];
const SUBSCHEMA_MAPS = ['patternProperties', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/** Shared by all the schemas of one import: component names and warnings. */
export class SchemaContext {
  private readonly names = new Map<string, string>();
  private readonly taken = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(readonly docs: DocumentSet, readonly version: '3.0' | '3.1', readonly warnings: string[]) {}

  nameFor(key: string, base: string): string {
    let name = this.names.get(key);
    if (name) return name;
    const clean = base.replace(/[^A-Za-z0-9_]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[^A-Za-z_]+/, '') || 'Schema';
    name = clean;
    for (let i = 2; this.taken.has(name); i++) name = `${clean}${i}`;
    this.taken.add(name);
    this.names.set(key, name);
    return name;
  }

  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }
}

/** Builds one self-contained schema: convert the parts, then `finish` adds the `$defs` they used. */
export class SchemaBundle {
  private readonly defs: Record<string, Schema> = {};
  /** Where convert() is, for errors: the component, then the properties down to here. */
  private readonly at: string[] = [];

  /** `owner` names what the schemas are for (an operation), in errors about inline schemas. */
  constructor(
    private readonly ctx: SchemaContext,
    private readonly owner?: string,
  ) {}

  /** Converts `schema`, found in document `doc`. */
  convert(schema: unknown, doc: string, mode: SchemaMode = 'json'): Schema {
    if (schema === true || schema === undefined) return {};
    if (schema === false) return { not: {} };
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return {};
    const s = schema as Schema;
    if (typeof s.$ref === 'string') return this.convertRef(s, doc, mode);
    return this.convertObject(s, doc, mode);
  }

  /** The XML element name a body schema declares: its `xml.name`, or its component's name. */
  xmlName(schema: unknown, doc: string, componentName = true): string | undefined {
    if (typeof schema !== 'object' || schema === null) return undefined;
    const s = schema as Schema;
    const own = (s.xml as { name?: unknown } | undefined)?.name;
    if (typeof own === 'string') return own;
    if (typeof s.$ref === 'string') {
      const target = this.ctx.docs.resolve(s.$ref, doc);
      if (target.value === undefined) return undefined;
      return this.xmlName(target.value, target.doc, componentName) ?? (componentName ? lastToken(target.pointer, target.doc) : undefined);
    }
    return undefined;
  }

  /** The XML namespace a body schema's root declares, if any. */
  xmlNamespace(schema: unknown, doc: string): string | undefined {
    if (typeof schema !== 'object' || schema === null) return undefined;
    const s = schema as Schema;
    const ns = (s.xml as { namespace?: unknown } | undefined)?.namespace;
    if (typeof ns === 'string') return ns;
    if (typeof s.$ref === 'string') {
      const target = this.ctx.docs.resolve(s.$ref, doc);
      return target.value === undefined ? undefined : this.xmlNamespace(target.value, target.doc);
    }
    return undefined;
  }

  private where(doc: string): string {
    const [component, ...props] = this.at;
    const inline = this.owner ? `an inline schema of ${this.owner}` : 'an inline schema';
    const schema = component ? `schema ${component}${props.length ? `, property ${props.join('.')}` : ''}` : props.length ? `property ${props.join('.')} of ${inline}` : inline;
    return `${schema}, ${this.ctx.docs.display(doc)}`;
  }

  finish(root: Schema): Schema {
    if (Object.keys(this.defs).length === 0) return root;
    const sorted = Object.fromEntries(Object.entries(this.defs).sort(([a], [b]) => a.localeCompare(b)));
    return { ...root, $defs: sorted };
  }

  private convertRef(s: Schema, doc: string, mode: SchemaMode): Schema {
    const ref = s.$ref as string;
    const target = this.ctx.docs.resolve(ref, doc);
    let result: Schema;
    if (target.value === undefined) {
      result = { description: `unresolved $ref ${ref}` };
    } else {
      const key = `${mode}|${target.doc}#${target.pointer}`;
      const name = this.ctx.nameFor(key, lastToken(target.pointer, target.doc));
      if (!(name in this.defs)) {
        this.defs[name] = {}; // placeholder first: recursive schemas refer to themselves
        const outer = this.at.splice(0);
        this.at.push(name);
        try {
          this.defs[name] = this.convert(target.value, target.doc, mode);
        } finally {
          this.at.splice(0, this.at.length, ...outer);
        }
      }
      result = { $ref: `#/$defs/${name}` };
    }
    if (this.ctx.version === '3.0') {
      // 3.0: siblings of $ref are ignored, but `nullable` beside one is common and meant.
      if (s.nullable === true) return { anyOf: [result, { type: 'null' }] };
      return result;
    }
    const { $ref: _ignored, ...siblings } = s;
    if (Object.keys(siblings).length === 0) return result;
    return { ...result, ...this.convertObject(siblings, doc, mode, true) };
  }

  private convertObject(s: Schema, doc: string, mode: SchemaMode, besideRef = false): Schema {
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('x-') || DROPPED.has(k)) continue;
      if (k === 'pattern' && typeof v === 'string') checkPattern(v, this.where(doc));
      if (k === 'patternProperties' && isObject(v)) for (const p of Object.keys(v)) checkPattern(p, this.where(doc));
      if (SUBSCHEMA.includes(k)) out[k] = typeof v === 'boolean' ? v : this.convert(v, doc, mode);
      else if (SUBSCHEMA_LISTS.includes(k) && Array.isArray(v)) out[k] = v.map((x) => this.convert(x, doc, mode));
      else if (SUBSCHEMA_MAPS.includes(k) && isObject(v)) out[k] = mapValues(v, (x) => this.convert(x, doc, mode));
      else if (k === 'properties' && isObject(v)) Object.assign(out, this.convertProperties(v, s.required, doc, mode));
      else if (k === 'required' && 'properties' in s) continue; // written with the properties (renamed for XML)
      else if (k === 'format' && typeof v === 'string' && !KNOWN_FORMATS.has(v)) this.ctx.warnOnce(`format "${v}" is not known to the validator and was dropped`);
      else if (k === 'example' && this.ctx.version === '3.0') out.examples = [v];
      else if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') {
        const bound = k === 'exclusiveMinimum' ? 'minimum' : 'maximum';
        if (v && typeof s[bound] === 'number') out[k] = s[bound];
      } else out[k] = v;
    }
    // A boolean exclusive bound replaces the inclusive one it qualified.
    if (s.exclusiveMinimum === true && typeof s.minimum === 'number') delete out.minimum;
    if (s.exclusiveMaximum === true && typeof s.maximum === 'number') delete out.maximum;
    if (out.type === undefined && !besideRef) {
      const implied = new Set(Object.keys(out).map((k) => IMPLIES[k]).filter((t): t is string => t !== undefined));
      if (implied.size === 1) out.type = [...implied][0];
    }
    if (this.ctx.version === '3.0' && s.nullable === true) return nullable(out);
    return out;
  }

  private convertProperties(props: Schema, required: unknown, doc: string, mode: SchemaMode): Schema {
    const properties: Schema = {};
    const renamed = new Map<string, string>();
    for (const [name, raw] of Object.entries(props)) {
      let key = name;
      this.at.push(name);
      let converted: Schema;
      try {
        converted = this.convert(raw, doc, mode);
      } finally {
        this.at.pop();
      }
      if (mode === 'xml' && isObject(raw)) {
        const xml = (raw.xml ?? {}) as { name?: string; attribute?: boolean; wrapped?: boolean; namespace?: string };
        const elementName = typeof xml.name === 'string' ? xml.name : name;
        if (xml.namespace) this.ctx.warnOnce('XML namespaces below the root element are not supported; elements are written in the root namespace');
        // OpenAPI: array items are named by `items.xml.name`, else like the property itself.
        const itemName = raw.type === 'array' ? (this.xmlName(raw.items, doc, false) ?? elementName) : elementName;
        if (xml.attribute) key = `@${elementName}`;
        else if (raw.type === 'array' && xml.wrapped) {
          key = elementName;
          converted = { type: 'object', properties: { [itemName]: converted } };
        } else key = itemName;
      }
      renamed.set(name, key);
      properties[key] = converted;
    }
    const out: Schema = { properties };
    if (Array.isArray(required)) out.required = required.map((r) => renamed.get(String(r)) ?? r);
    return out;
  }
}

function nullable(s: Schema): Schema {
  if (typeof s.type === 'string') s.type = s.type === 'null' ? 'null' : [s.type, 'null'];
  else if (Array.isArray(s.type)) {
    if (!s.type.includes('null')) s.type = [...s.type, 'null'];
  } else if (!Array.isArray(s.enum)) {
    const { title, description, default: dflt, examples, deprecated, readOnly, writeOnly, ...rest } = s;
    const notes = Object.fromEntries(Object.entries({ title, description, default: dflt, examples, deprecated, readOnly, writeOnly }).filter(([, v]) => v !== undefined));
    return { ...notes, anyOf: [rest, { type: 'null' }] };
  }
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
  return s;
}

function lastToken(pointer: string, doc: string): string {
  if (pointer === '') return (doc.split(/[\\/]/).pop() ?? 'Schema').replace(/\.[^.]*$/, '');
  const token = pointer.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');
  return token;
}

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapValues(o: Schema, f: (v: unknown) => unknown): Schema {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

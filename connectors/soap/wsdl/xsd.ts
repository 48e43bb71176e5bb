/**
 * Compiles XML Schema components into the transport model (../model.ts): named types into
 * `types` (by key, so recursion is safe), anonymous types inline, element and attribute refs,
 * groups and attribute groups resolved, complexContent extension flattened (base content, then
 * the extension's), restriction taken as restricted, simple type facets merged down derivation
 * chains, and the form of every local element and attribute resolved to a namespace.
 *
 * Missing components: when --allow-unresolved, they become AnyTypeModel (raw XML) and each is
 * listed once in `unresolved`; otherwise the caller turns `unresolved` into an error.
 */
import type { XmlElement } from '../../xml/parse';
import {
  BUILTINS,
  XML_NS,
  XSD_NS,
  splitKey,
  typeKey,
  type AttributeModel,
  type ComplexTypeModel,
  type ElementModel,
  type GroupModel,
  type ParticleModel,
  type SimpleTypeModel,
  type TypeModel,
  type TypeRef,
} from '../model';
import { WsdlError } from './errors';
import type { ComponentKind, Decl, SchemaInfo, SchemaSet } from './schema-set';
import { annotationOf } from './annotation';
import { finalizeParticle, nameAttributes } from './json-names';
import { attr, elems } from './xml-util';

/** xml:lang, xml:space, xml:base, xml:id — the XML namespace is built in, never fetched. */
const XML_ATTRIBUTES: Record<string, SimpleTypeModel> = {
  lang: { kind: 'simple', base: 'language' },
  space: { kind: 'simple', base: 'NCName', enumeration: ['default', 'preserve'] },
  base: { kind: 'simple', base: 'anyURI' },
  id: { kind: 'simple', base: 'ID' },
};

const ANY_TYPE = typeKey(XSD_NS, 'anyType');
const ANY_SIMPLE = typeKey(XSD_NS, 'anySimpleType');

function occurs(el: XmlElement): { minOccurs: number; maxOccurs: number | 'unbounded' } {
  const min = attr(el, 'minOccurs');
  const max = attr(el, 'maxOccurs');
  return {
    minOccurs: min === undefined ? 1 : Number.parseInt(min, 10) || 0,
    maxOccurs: max === undefined ? 1 : max.trim() === 'unbounded' ? 'unbounded' : Number.parseInt(max, 10),
  };
}

interface GlobalElement {
  name: string;
  ns: string;
  type: TypeRef;
  nillable: boolean;
  default?: string;
  fixed?: string;
  abstract?: boolean;
  documentation?: string;
  title?: string;
}

const FACETS = ['length', 'minLength', 'maxLength', 'totalDigits', 'fractionDigits'] as const;
const BOUNDS = ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive'] as const;

export class TypeCompiler {
  readonly types: Record<string, TypeModel> = {};
  readonly warnings: string[] = [];
  /** Missing component key → the first place that referred to it. */
  readonly unresolved = new Map<string, string>();
  private readonly building = new Set<string>();
  private readonly pending = new Map<string, Decl>();
  private readonly globals = new Map<string, GlobalElement>();
  private readonly globalsBuilding = new Set<string>();
  private readonly promoted = new Set<string>();

  constructor(private readonly set: SchemaSet) {}

  // ───────────── lookups ─────────────

  private find(kind: ComponentKind, key: string, from: string): Decl | undefined {
    const { decl, suppliedBy } = this.set.find(kind, key);
    if (suppliedBy) this.warnings.push(`${kind} ${key} is not defined by the contract's schemas; taken from the catalogue's ${suppliedBy}`);
    if (!decl && !this.unresolved.has(`${kind} ${key}`)) this.unresolved.set(`${kind} ${key}`, from);
    return decl;
  }

  private qn(schema: SchemaInfo, el: XmlElement, value: string): string {
    const key = this.set.qname(schema, el, value);
    if (key) return key;
    throw new WsdlError('wsdl-invalid', `undeclared namespace prefix in "${value}" (${schema.doc.location.split(/[\\/]/).pop()})`);
  }

  /**
   * A reference to a type by key: builtins as they are; a named type is queued and compiled by
   * `drain` (or at once when a derivation needs it whole), so a type may contain an element of a
   * type derived from itself.
   */
  typeRef(key: string, from: string): TypeRef {
    const { ns, local } = splitKey(key);
    if (ns === XSD_NS) {
      if (local in BUILTINS) return key;
      this.warnings.push(`unknown XML Schema builtin xsd:${local} (used by ${from}) is read as xsd:string`);
      return typeKey(XSD_NS, 'string');
    }
    if (this.types[key] || this.building.has(key) || this.pending.has(key)) return key;
    const decl = this.find('type', key, from);
    if (!decl) return { kind: 'any', unresolved: key };
    this.pending.set(key, decl);
    return key;
  }

  private compileNow(key: string, from: string): TypeModel {
    const done = this.types[key];
    if (done) return done;
    if (this.building.has(key)) throw new WsdlError('wsdl-invalid', `type ${key} derives from itself (via ${from})`);
    const decl = this.pending.get(key) ?? this.find('type', key, from);
    if (!decl) return { kind: 'any', unresolved: key };
    this.building.add(key);
    try {
      const model = decl.el.local === 'simpleType' ? this.simpleType(decl.el, decl.schema, key) : this.complexType(decl.el, decl.schema, key);
      this.types[key] = model;
      return model;
    } finally {
      this.building.delete(key);
      this.pending.delete(key);
    }
  }

  /** Compiles every queued type. */
  drain(): void {
    for (let next = this.pending.keys().next(); !next.done; next = this.pending.keys().next()) this.compileNow(next.value, next.value);
  }

  /** The model a TypeRef stands for, compiling it now if it is queued. */
  ensure(ref: TypeRef): TypeModel {
    if (typeof ref !== 'string') return ref;
    const { ns, local } = splitKey(ref);
    if (ns === XSD_NS) return local === 'anyType' ? { kind: 'any' } : { kind: 'simple', base: local };
    return this.compileNow(ref, ref);
  }

  /** The compiled model of a type a derivation needs whole (base types). */
  private baseModel(key: string, from: string): TypeModel {
    if (this.building.has(key)) throw new WsdlError('wsdl-invalid', `type ${key} derives from itself (via ${from})`);
    const ref = this.typeRef(key, from);
    return typeof ref === 'string' ? this.ensure(ref) : ref;
  }

  private simpleBase(key: string, from: string): SimpleTypeModel {
    const m = this.baseModel(key, from);
    if (m.kind === 'simple') return m;
    if (m.kind === 'complex' && m.simpleContent) return m.simpleContent;
    if (m.kind === 'any' && !m.unresolved) return { kind: 'simple', base: 'anySimpleType' };
    return { kind: 'simple', base: 'string' };
  }

  // ───────────── simple types ─────────────

  simpleType(el: XmlElement, schema: SchemaInfo, name?: string): SimpleTypeModel {
    const note = annotationOf(el);
    const from = name ?? 'an anonymous simple type';
    let out: SimpleTypeModel = { kind: 'simple', base: 'string' };
    for (const c of elems(el)) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'restriction') out = this.restrictSimple(c, schema, from);
      else if (c.local === 'list') {
        const itemType = attr(c, 'itemType');
        const inline = elems(c).find((x) => x.ns === XSD_NS && x.local === 'simpleType');
        const item = itemType ? this.simpleBase(this.qn(schema, c, itemType), from) : inline ? this.simpleType(inline, schema) : { kind: 'simple' as const, base: 'string' };
        out = { kind: 'simple', base: 'anySimpleType', list: item };
      } else if (c.local === 'union') {
        const members: SimpleTypeModel[] = [];
        for (const m of (attr(c, 'memberTypes') ?? '').split(/\s+/).filter(Boolean)) members.push(this.simpleBase(this.qn(schema, c, m), from));
        for (const x of elems(c)) if (x.ns === XSD_NS && x.local === 'simpleType') members.push(this.simpleType(x, schema));
        out = { kind: 'simple', base: 'anySimpleType', union: members };
      }
    }
    if (name) out.name = name;
    if (note.documentation) out.documentation = note.documentation;
    if (note.title) out.title = note.title;
    return out;
  }

  /** xsd:restriction of a simple type (or of simple content): base's facets, overlaid by its own. */
  private restrictSimple(r: XmlElement, schema: SchemaInfo, from: string): SimpleTypeModel {
    const baseAttr = attr(r, 'base');
    const inline = elems(r).find((x) => x.ns === XSD_NS && x.local === 'simpleType');
    const base = baseAttr ? this.simpleBase(this.qn(schema, r, baseAttr), from) : inline ? this.simpleType(inline, schema) : ({ kind: 'simple', base: 'string' } as SimpleTypeModel);
    return this.applyFacets({ ...base }, r);
  }

  private applyFacets(out: SimpleTypeModel, r: XmlElement): SimpleTypeModel {
    delete out.name;
    delete out.documentation;
    delete out.title;
    const enumeration: string[] = [];
    for (const f of elems(r)) {
      if (f.ns !== XSD_NS) continue;
      const value = attr(f, 'value');
      if (value === undefined) continue;
      if (f.local === 'enumeration') enumeration.push(value);
      else if (f.local === 'pattern') out.pattern = [...(out.pattern ?? []), value];
      else if ((FACETS as readonly string[]).includes(f.local)) out[f.local as (typeof FACETS)[number]] = Number.parseInt(value, 10);
      else if ((BOUNDS as readonly string[]).includes(f.local)) out[f.local as (typeof BOUNDS)[number]] = value.trim();
    }
    if (enumeration.length) out.enumeration = enumeration;
    return out;
  }

  // ───────────── complex types ─────────────

  complexType(el: XmlElement, schema: SchemaInfo, name?: string): ComplexTypeModel {
    const from = name ?? 'an anonymous complex type';
    const note = annotationOf(el);
    const out: ComplexTypeModel = { kind: 'complex', attributes: [] };
    if (name) out.name = name;
    if (attr(el, 'mixed') === 'true') out.mixed = true;
    if (attr(el, 'abstract') === 'true') out.abstract = true;
    let own: ParticleModel | undefined;
    for (const c of elems(el)) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'simpleContent') this.simpleContent(c, schema, out, from);
      else if (c.local === 'complexContent') this.complexContent(c, schema, out, from);
      else if (c.local === 'sequence' || c.local === 'choice' || c.local === 'all' || c.local === 'group') own = this.particle(c, schema, from);
    }
    if (own) out.particle = own;
    this.mergeAttributes(out, this.attributesOf(el, schema, from, new Set()), new Set());
    if (out.particle) out.particle = finalizeParticle(out.particle, this.set.prefixes, new Map());
    out.attributes = nameAttributes(out.attributes, this.set.prefixes);
    if (note.documentation) out.documentation = note.documentation;
    if (note.title) out.title = note.title;
    return out;
  }

  private simpleContent(sc: XmlElement, schema: SchemaInfo, out: ComplexTypeModel, from: string): void {
    const d = elems(sc).find((x) => x.ns === XSD_NS && (x.local === 'extension' || x.local === 'restriction'));
    if (!d) return;
    const baseKey = this.qn(schema, d, attr(d, 'base') ?? 'xsd:anySimpleType');
    out.base = baseKey;
    const base = this.baseModel(baseKey, from);
    const prohibited = new Set<string>();
    if (base.kind === 'complex') {
      out.attributes = base.attributes.map((a) => ({ ...a }));
      if (base.anyAttribute) out.anyAttribute = true;
    }
    const baseSimple: SimpleTypeModel =
      base.kind === 'simple' ? base : base.kind === 'complex' && base.simpleContent ? base.simpleContent : { kind: 'simple', base: 'string' };
    out.simpleContent = d.local === 'restriction' ? this.applyFacets({ ...baseSimple }, d) : { ...baseSimple };
    delete out.simpleContent.name;
    this.mergeAttributes(out, this.attributesOf(d, schema, from, prohibited), prohibited);
  }

  private complexContent(cc: XmlElement, schema: SchemaInfo, out: ComplexTypeModel, from: string): void {
    if (attr(cc, 'mixed') === 'true') out.mixed = true;
    const d = elems(cc).find((x) => x.ns === XSD_NS && (x.local === 'extension' || x.local === 'restriction'));
    if (!d) return;
    const baseKey = this.qn(schema, d, attr(d, 'base') ?? 'xsd:anyType');
    out.base = baseKey;
    const base = baseKey === ANY_TYPE ? ({ kind: 'complex', attributes: [] } as ComplexTypeModel) : this.baseModel(baseKey, from);
    let ownParticle: ParticleModel | undefined;
    for (const c of elems(d)) {
      if (c.ns === XSD_NS && (c.local === 'sequence' || c.local === 'choice' || c.local === 'all' || c.local === 'group')) ownParticle = this.particle(c, schema, from);
    }
    const prohibited = new Set<string>();
    if (base.kind === 'complex') {
      out.attributes = base.attributes.map((a) => ({ ...a }));
      if (base.anyAttribute) out.anyAttribute = true;
      if (base.mixed) out.mixed = true;
    }
    if (d.local === 'extension') {
      let baseParticle: ParticleModel | undefined = base.kind === 'complex' ? base.particle : undefined;
      if (base.kind === 'any' && base.unresolved) {
        // The base's content is unknown: carry whatever it holds as raw XML ("$any").
        baseParticle = { kind: 'wildcard', minOccurs: 0, maxOccurs: 'unbounded', namespace: '##any', processContents: 'lax' };
        this.warnings.push(`${from} extends ${baseKey}, which could not be resolved: its content is carried as raw XML in "$any"`);
      }
      if (base.kind === 'complex' && base.simpleContent) out.simpleContent = base.simpleContent;
      if (baseParticle && ownParticle) out.particle = { kind: 'sequence', minOccurs: 1, maxOccurs: 1, items: [baseParticle, ownParticle] };
      else if (baseParticle ?? ownParticle) out.particle = (baseParticle ?? ownParticle) as ParticleModel;
    } else if (ownParticle) out.particle = ownParticle;
    this.mergeAttributes(out, this.attributesOf(d, schema, from, prohibited), prohibited);
  }

  private mergeAttributes(out: ComplexTypeModel, own: { attributes: AttributeModel[]; anyAttribute: boolean }, prohibited: Set<string>): void {
    const key = (a: { ns: string; name: string }) => `{${a.ns}}${a.name}`;
    const list = out.attributes.filter((a) => !prohibited.has(key(a)));
    for (const a of own.attributes) {
      const i = list.findIndex((x) => key(x) === key(a));
      if (i >= 0) list[i] = a;
      else list.push(a);
    }
    out.attributes = list;
    if (own.anyAttribute) out.anyAttribute = true;
  }

  // ───────────── particles ─────────────

  private particle(el: XmlElement, schema: SchemaInfo, from: string): ParticleModel | undefined {
    const occ = occurs(el);
    switch (el.local) {
      case 'element':
        return this.element(el, schema, from);
      case 'any': {
        const pc = attr(el, 'processContents');
        return { kind: 'wildcard', ...occ, namespace: attr(el, 'namespace') ?? '##any', processContents: pc === 'lax' || pc === 'skip' ? pc : 'strict' };
      }
      case 'sequence':
      case 'choice':
      case 'all': {
        const items: ParticleModel[] = [];
        for (const c of elems(el)) {
          if (c.ns !== XSD_NS || c.local === 'annotation') continue;
          const p = this.particle(c, schema, from);
          if (p) items.push(p);
        }
        return { kind: el.local, ...occ, items };
      }
      case 'group': {
        const ref = attr(el, 'ref');
        if (!ref) return undefined;
        const key = this.qn(schema, el, ref);
        const decl = this.find('group', key, from);
        if (!decl) return { kind: 'wildcard', minOccurs: 0, maxOccurs: 'unbounded', namespace: '##any', processContents: 'lax' };
        const body = elems(decl.el).find((c) => c.ns === XSD_NS && (c.local === 'sequence' || c.local === 'choice' || c.local === 'all'));
        if (!body) return undefined;
        const inner = this.particle(body, decl.schema, from) as GroupModel;
        if (inner.minOccurs === 1 && inner.maxOccurs === 1) return { ...inner, ...occ };
        return { kind: 'sequence', ...occ, items: [inner] };
      }
      default:
        return undefined;
    }
  }

  /** A local element declaration or an element ref, as it occurs in a content model. */
  element(el: XmlElement, schema: SchemaInfo, from: string): ElementModel {
    const occ = occurs(el);
    const note = annotationOf(el);
    const ref = attr(el, 'ref');
    if (ref) {
      const key = this.qn(schema, el, ref);
      const g = this.globalElement(key, from);
      const out: ElementModel = {
        kind: 'element',
        name: g.name,
        ns: g.ns,
        jsonName: g.name,
        type: g.type,
        ...occ,
        array: false,
        optional: false,
        nillable: g.nillable,
        ref: key,
      };
      if (g.default !== undefined) out.default = g.default;
      if (g.fixed !== undefined) out.fixed = g.fixed;
      const documentation = note.documentation ?? g.documentation;
      const title = note.title ?? g.title;
      if (documentation) out.documentation = documentation;
      if (title) out.title = title;
      return out;
    }
    const name = attr(el, 'name') ?? '';
    const form = attr(el, 'form');
    const qualified = form ? form === 'qualified' : schema.elementQualified;
    const out: ElementModel = {
      kind: 'element',
      name,
      ns: qualified ? schema.tns : '',
      jsonName: name,
      type: this.elementType(el, schema, `element ${name} in ${from}`),
      ...occ,
      array: false,
      optional: false,
      nillable: attr(el, 'nillable') === 'true',
    };
    this.valueConstraints(el, out);
    if (note.documentation) out.documentation = note.documentation;
    if (note.title) out.title = note.title;
    return out;
  }

  private valueConstraints(el: XmlElement, out: { default?: string; fixed?: string }): void {
    const d = attr(el, 'default');
    const f = attr(el, 'fixed');
    if (d !== undefined) out.default = d;
    if (f !== undefined) out.fixed = f;
  }

  private elementType(el: XmlElement, schema: SchemaInfo, from: string): TypeRef {
    const type = attr(el, 'type');
    if (type) return this.typeRef(this.qn(schema, el, type), from);
    for (const c of elems(el)) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'complexType') return this.complexType(c, schema);
      if (c.local === 'simpleType') return this.simpleType(c, schema);
    }
    const sub = attr(el, 'substitutionGroup');
    if (sub) return this.globalElement(this.qn(schema, el, sub), from).type;
    return ANY_TYPE;
  }

  /** A global element (for ref=, message parts and headers), compiled once. */
  globalElement(key: string, from: string): GlobalElement {
    const done = this.globals.get(key);
    if (done) return done;
    const { ns, local } = splitKey(key);
    if (this.globalsBuilding.has(key)) {
      // A global element whose anonymous type contains itself: its type gets a key of its own.
      this.promoted.add(key);
      return { name: local, ns, type: typeKey(ns, `${local}@element`), nillable: false };
    }
    const decl = this.find('element', key, from);
    if (!decl) {
      const g: GlobalElement = { name: local, ns, type: { kind: 'any', unresolved: key }, nillable: true };
      this.globals.set(key, g);
      return g;
    }
    this.globalsBuilding.add(key);
    try {
      const note = annotationOf(decl.el);
      const g: GlobalElement = {
        name: local,
        ns: decl.schema.tns,
        type: this.elementType(decl.el, decl.schema, `element ${key}`),
        nillable: attr(decl.el, 'nillable') === 'true',
      };
      this.valueConstraints(decl.el, g);
      if (attr(decl.el, 'abstract') === 'true') g.abstract = true;
      if (note.documentation) g.documentation = note.documentation;
      if (note.title) g.title = note.title;
      if (this.promoted.has(key) && typeof g.type !== 'string') {
        const synthetic = typeKey(ns, `${local}@element`);
        this.types[synthetic] = g.type;
        g.type = synthetic;
      }
      this.globals.set(key, g);
      return g;
    } finally {
      this.globalsBuilding.delete(key);
    }
  }

  /** A global element as a message part or header: occurs once, qualified. */
  partElement(key: string, from: string): ElementModel {
    const g = this.globalElement(key, from);
    const out: ElementModel = {
      kind: 'element',
      name: g.name,
      ns: g.ns,
      jsonName: g.name,
      type: g.type,
      minOccurs: 1,
      maxOccurs: 1,
      array: false,
      optional: false,
      nillable: g.nillable,
      ref: key,
    };
    if (g.default !== undefined) out.default = g.default;
    if (g.fixed !== undefined) out.fixed = g.fixed;
    if (g.documentation) out.documentation = g.documentation;
    if (g.title) out.title = g.title;
    return out;
  }

  // ───────────── attributes ─────────────

  private attributesOf(el: XmlElement, schema: SchemaInfo, from: string, prohibited: Set<string>, seen = new Set<string>()): { attributes: AttributeModel[]; anyAttribute: boolean } {
    const attributes: AttributeModel[] = [];
    let anyAttribute = false;
    for (const c of elems(el)) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'anyAttribute') anyAttribute = true;
      else if (c.local === 'attribute') {
        const a = this.attribute(c, schema, from);
        if (attr(c, 'use') === 'prohibited') prohibited.add(`{${a.ns}}${a.name}`);
        else attributes.push(a);
      } else if (c.local === 'attributeGroup') {
        const ref = attr(c, 'ref');
        if (!ref) continue;
        const key = this.qn(schema, c, ref);
        if (seen.has(key)) continue;
        seen.add(key);
        const decl = this.find('attributeGroup', key, from);
        if (!decl) continue;
        const inner = this.attributesOf(decl.el, decl.schema, from, prohibited, seen);
        attributes.push(...inner.attributes);
        if (inner.anyAttribute) anyAttribute = true;
      }
    }
    return { attributes, anyAttribute };
  }

  private attribute(el: XmlElement, schema: SchemaInfo, from: string): AttributeModel {
    const ref = attr(el, 'ref');
    const use = attr(el, 'use');
    let out: AttributeModel;
    if (ref) {
      const key = this.qn(schema, el, ref);
      const { ns, local } = splitKey(key);
      if (ns === XML_NS) {
        out = { name: local, ns, jsonName: `@${local}`, type: XML_ATTRIBUTES[local] ?? { kind: 'simple', base: 'string' }, required: false };
      } else {
        const decl = this.find('attribute', key, from);
        out = decl
          ? { ...this.localAttribute(decl.el, decl.schema, from, true), required: false }
          : { name: local, ns, jsonName: `@${local}`, type: { kind: 'any', unresolved: key }, required: false };
      }
    } else {
      out = this.localAttribute(el, schema, from, false);
    }
    out.required = use === 'required';
    this.valueConstraints(el, out);
    const note = annotationOf(el);
    if (note.documentation) out.documentation = note.documentation;
    return out;
  }

  private localAttribute(el: XmlElement, schema: SchemaInfo, from: string, global: boolean): AttributeModel {
    const name = attr(el, 'name') ?? '';
    const form = attr(el, 'form');
    const qualified = global || (form ? form === 'qualified' : schema.attributeQualified);
    const type = attr(el, 'type');
    const inline = elems(el).find((c) => c.ns === XSD_NS && c.local === 'simpleType');
    const out: AttributeModel = {
      name,
      ns: qualified ? schema.tns : '',
      jsonName: `@${name}`,
      type: type ? this.typeRef(this.qn(schema, el, type), `attribute ${name} in ${from}`) : inline ? this.simpleType(inline, schema) : ANY_SIMPLE,
      required: false,
    };
    this.valueConstraints(el, out);
    const note = annotationOf(el);
    if (note.documentation) out.documentation = note.documentation;
    return out;
  }
}

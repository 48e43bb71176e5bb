/**
 * The global components (elements, types, attributes, groups, attribute groups) of every schema
 * a contract loaded, keyed `{namespace}local`, each with the schema it was declared in (its
 * target namespace — after chameleon include — and its form defaults). A component the contract
 * refers to but does not define is looked up in the catalogues by namespace (supplement), so a
 * WSDL with a reduced inline copy of a well-known schema still compiles.
 */
import type { XmlElement } from '../../xml/parse';
import { XSD_NS, typeKey } from '../model';
import { DocumentSet, type LoadedDoc } from './load';
import { attr, elems } from './xml-util';

export interface SchemaInfo {
  doc: LoadedDoc;
  el: XmlElement;
  /** Effective target namespace (the includer's, for a chameleon include). */
  tns: string;
  /** Declared targetNamespace ('' for a chameleon schema). */
  ownTns: string;
  elementQualified: boolean;
  attributeQualified: boolean;
}

export interface Decl {
  el: XmlElement;
  schema: SchemaInfo;
}

export type ComponentKind = 'element' | 'type' | 'attribute' | 'group' | 'attributeGroup';

const KIND_OF: Record<string, ComponentKind> = {
  element: 'element',
  complexType: 'type',
  simpleType: 'type',
  attribute: 'attribute',
  group: 'group',
  attributeGroup: 'attributeGroup',
};

export class SchemaSet {
  private readonly components: Record<ComponentKind, Map<string, Decl>> = {
    element: new Map(),
    type: new Map(),
    attribute: new Map(),
    group: new Map(),
    attributeGroup: new Map(),
  };
  private readonly registered = new WeakSet<XmlElement>();
  private readonly supplemented = new Set<string>();
  readonly namespaces = new Set<string>();
  /** A prefix the contract uses for each namespace (for readable names). */
  readonly prefixes = new Map<string, string>();
  readonly warnings: string[] = [];

  constructor(private readonly docs: DocumentSet) {
    this.registerAll();
  }

  private registerAll(): void {
    const schemas = this.docs.schemaElements();
    // Chameleon includes: a schema without targetNamespace takes its includer's.
    const chameleon = new Map<LoadedDoc, string>();
    for (const { doc, el } of schemas) {
      const tns = attr(el, 'targetNamespace') ?? '';
      for (const c of elems(el)) {
        if (c.ns !== XSD_NS || (c.local !== 'include' && c.local !== 'redefine')) continue;
        const loc = attr(c, 'schemaLocation') ?? '';
        const target = doc.refs.find((r) => (r.kind === 'include' || r.kind === 'redefine') && r.location === loc)?.target;
        if (target && !attr(target.root, 'targetNamespace') && !chameleon.has(target)) chameleon.set(target, tns);
        if (c.local === 'redefine') this.warnings.push(`${DocumentSet.nameOf(doc)}: xsd:redefine is read as an include; its redefinitions are ignored`);
      }
    }
    for (const { doc, el } of schemas) {
      if (this.registered.has(el)) continue;
      this.registered.add(el);
      const ownTns = attr(el, 'targetNamespace') ?? '';
      const info: SchemaInfo = {
        doc,
        el,
        ownTns,
        tns: ownTns || (chameleon.get(doc) ?? ''),
        elementQualified: attr(el, 'elementFormDefault') === 'qualified',
        attributeQualified: attr(el, 'attributeFormDefault') === 'qualified',
      };
      this.namespaces.add(info.tns);
      for (const [p, ns] of doc.scopes.scope(el)) if (p && p !== 'xml' && !this.prefixes.has(ns)) this.prefixes.set(ns, p);
      for (const c of elems(el)) {
        const kind = c.ns === XSD_NS ? KIND_OF[c.local] : undefined;
        const name = attr(c, 'name');
        if (!kind || !name) continue;
        const map = this.components[kind];
        const key = typeKey(info.tns, name);
        // First declaration wins: the contract's own before catalogue supplements.
        if (!map.has(key)) map.set(key, { el: c, schema: info });
      }
    }
  }

  /** Resolves a QName value written on `el` of `schema` (chameleon-aware); undefined if its prefix is unbound. */
  qname(schema: SchemaInfo, el: XmlElement, value: string): string | undefined {
    const q = schema.doc.scopes.resolve(el, value);
    if (!q) return undefined;
    const ns = q.ns === '' && schema.ownTns === '' ? schema.tns : q.ns;
    return typeKey(ns, q.local);
  }

  get(kind: ComponentKind, key: string): Decl | undefined {
    return this.components[kind].get(key);
  }

  /**
   * Looks a component up; when missing, loads a schema for its namespace from the catalogues once
   * and tries again. `via` receives the supplementing file's name, for the warning.
   */
  find(kind: ComponentKind, key: string): { decl?: Decl; suppliedBy?: string } {
    const decl = this.components[kind].get(key);
    if (decl) return { decl };
    const ns = key.slice(1, key.indexOf('}'));
    if (this.supplemented.has(ns)) return {};
    this.supplemented.add(ns);
    const added = this.docs.supplement(ns);
    if (!added.length) return {};
    this.registerAll();
    const now = this.components[kind].get(key);
    return now ? { decl: now, suppliedBy: DocumentSet.nameOf(now.schema.doc) } : {};
  }
}

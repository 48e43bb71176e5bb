/**
 * Namespace scopes over the hardened parser's tree. WSDL and XSD name things by QName *values*
 * (type="tns:person"), whose prefixes resolve against the declarations in scope where they are
 * written, so every document is walked once to record the in-scope bindings of each element.
 */
import { namespacesInScope, type XmlElement, type XmlNode } from '../../xml/parse';
import { XML_NS } from '../model';

export type Scope = ReadonlyMap<string, string>;

const BASE: Scope = new Map([['xml', XML_NS]]);

export class NsScopes {
  private readonly scopes = new WeakMap<XmlElement, Scope>();

  constructor(root: XmlElement) {
    this.walk(root, BASE);
  }

  private walk(el: XmlElement, parent: Scope): void {
    let scope = parent;
    const bind = (prefix: string, ns: string) => {
      if (scope.get(prefix) === ns) return;
      if (scope === parent) scope = new Map(parent);
      (scope as Map<string, string>).set(prefix, ns);
    };
    // Own declarations only (the element is its own root): '' → '' there means "none declared".
    for (const [p, ns] of Object.entries(namespacesInScope(el, el) ?? {})) {
      if (p === 'xml' || (p === '' && ns === '')) continue;
      bind(p, ns);
    }
    for (const a of el.attrs) if (a.prefix && a.ns && a.prefix !== 'xml') bind(a.prefix, a.ns);
    // The element's own name proves its prefix's binding even if declarations were not kept.
    bind(el.prefix, el.ns);
    this.scopes.set(el, scope);
    for (const c of el.children) if (typeof c !== 'string') this.walk(c, scope);
  }

  scope(el: XmlElement): Scope {
    return this.scopes.get(el) ?? BASE;
  }

  /** Resolves a QName value written on `el`; undefined when its prefix is not declared. */
  resolve(el: XmlElement, qname: string): { ns: string; local: string } | undefined {
    const q = qname.trim();
    const colon = q.indexOf(':');
    const prefix = colon < 0 ? '' : q.slice(0, colon);
    const local = colon < 0 ? q : q.slice(colon + 1);
    const ns = this.scope(el).get(prefix);
    if (ns === undefined) return prefix === '' ? { ns: '', local } : undefined;
    return { ns, local };
  }

  /** A prefix bound to `ns` where `el` is, if any (for readable JSON names and messages). */
  prefixOf(el: XmlElement, ns: string): string | undefined {
    for (const [p, uri] of this.scope(el)) if (uri === ns && p) return p;
    return undefined;
  }
}

export function elems(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (typeof c !== 'string') out.push(c);
  return out;
}

export function elemsNs(el: XmlElement, ns: string, local?: string): XmlElement[] {
  return elems(el).filter((c) => c.ns === ns && (local === undefined || c.local === local));
}

export function firstNs(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  for (const c of el.children) if (typeof c !== 'string' && c.ns === ns && c.local === local) return c;
  return undefined;
}

/** An unqualified attribute's value. */
export function attr(el: XmlElement, local: string): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === '' && a.prefix === '') return a.value;
  return undefined;
}

export function attrNs(el: XmlElement, ns: string, local: string): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}

/** All text below `el`, whitespace collapsed (documentation may hold markup). */
export function textContent(el: XmlNode): string {
  if (typeof el === 'string') return el;
  return el.children.map(textContent).join(' ').replace(/\s+/g, ' ').trim();
}

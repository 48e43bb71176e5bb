/**
 * The tree parseXml returns, and the helpers to read it. Elements are plain objects of five
 * fields (they compare and serialise as such); the namespace declarations of the few elements
 * that make them ride along as a hidden property, for QName values (xsi:type, fault codes).
 */
export interface XmlAttr {
  ns: string;
  local: string;
  prefix: string;
  value: string;
}

export interface XmlElement {
  ns: string;
  local: string;
  prefix: string;
  /** Attributes, without the namespace declarations (xmlns, xmlns:p): see namespacesInScope. */
  attrs: XmlAttr[];
  children: XmlNode[];
}

/** Text (CDATA included, entities decoded, adjacent pieces merged) or an element. Whitespace-only
 * text beside elements is dropped; an element with no child elements keeps all its text. */
export type XmlNode = XmlElement | string;

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The namespace declarations of the few elements that make them, for QName values: a hidden
 * (non-enumerable) property, so the element still compares and serialises as its five fields,
 * and costs far less than a WeakMap entry per element. */
export const DECLARATIONS = Symbol('xmlns');
export type Declared = XmlElement & { [DECLARATIONS]?: Array<[prefix: string, uri: string]> };

/** The element's own text (its direct text children), '' when none. */
export function textOf(el: XmlElement): string {
  const kids = el.children;
  if (kids.length === 1 && typeof kids[0] === 'string') return kids[0];
  let out = '';
  for (const k of kids) if (typeof k === 'string') out += k;
  return out;
}

export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const k of el.children) if (typeof k !== 'string') out.push(k);
  return out;
}

export function findChild(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  for (const k of el.children) if (typeof k !== 'string' && k.local === local && k.ns === ns) return k;
  return undefined;
}

export function findChildren(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const k of el.children) if (typeof k !== 'string' && k.local === local && k.ns === ns) out.push(k);
  return out;
}

export function attrOf(el: XmlElement, ns: string, local: string): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}

/**
 * Prefix → namespace in scope at `el` (a descendant of `root`, or root itself), for values that
 * are QNames (xsi:type, SOAP faultcode). Walks down from root: elements have no parent links.
 */
export function namespacesInScope(root: XmlElement, el: XmlElement): Record<string, string> | undefined {
  const path = pathTo(root, el);
  if (!path) return undefined;
  const out: Record<string, string> = { xml: XML_NS, '': '' };
  for (const e of path) for (const [p, uri] of (e as Declared)[DECLARATIONS] ?? []) out[p] = uri;
  return out;
}

/** Resolves a QName value (prefix:local or local, in the default namespace) as seen at `el`. */
export function resolveQName(root: XmlElement, el: XmlElement, qname: string): { ns: string; local: string } | undefined {
  const scope = namespacesInScope(root, el);
  if (!scope) return undefined;
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const ns = Object.hasOwn(scope, prefix) ? scope[prefix] : undefined;
  return ns === undefined ? undefined : { ns, local: qname.slice(colon + 1) };
}

function pathTo(root: XmlElement, el: XmlElement): XmlElement[] | undefined {
  if (root === el) return [root];
  for (const k of root.children) {
    if (typeof k === 'string') continue;
    const p = pathTo(k, el);
    if (p) return [root, ...p];
  }
  return undefined;
}


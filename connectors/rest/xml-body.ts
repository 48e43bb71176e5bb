/**
 * The XML mapping of REST bodies: one simple, documented correspondence between an XML element
 * and a JSON value, used both ways.
 *
 *     <Statement number="7" xmlns="urn:mot">        { "@number": "7",
 *       <owner>سامر</owner>                            "owner": "سامر",
 *       <line>a</line><line>b</line>                   "line": ["a", "b"],
 *       <fee currency="SYP">2500</fee>                 "fee": { "@currency": "SYP", "$value": 2500 } }
 *     </Statement>
 *
 * - an object's properties are child elements, in property order; `@name` properties are
 *   attributes; `$value` is the element's own text (beside attributes or children);
 * - an array is the element repeated; `null` and `undefined` are left out;
 * - a scalar is the element's text (numbers and booleans as JSON writes them);
 * - the root element's name (and default namespace) come from the binding, not the value.
 *
 * Reading, names are local names (prefixes and namespaces are not kept), and the operation's
 * schema decides what the text alone cannot: whether a once-present element is an array, and
 * whether text is a number, a boolean or a string. Without a schema, a repeated element is an
 * array and text stays text. An element with `xsi:nil="true"` is null.
 */
import type { XmlElement } from '../xml/parse';
import { escapeAttr, escapeText } from '../xml/escape';
import { RequestBuildError } from './binding';

type Schema = Record<string, unknown>;

const XML_NAME = /^[\p{L}_][\p{L}\p{N}_.\-\u00B7]*(?::[\p{L}_][\p{L}\p{N}_.\-\u00B7]*)?$/u;
const XML_INVALID_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

// ─── writing ────────────────────────────────────────────────────────────────────────────────

export function toXml(value: unknown, root: string, namespace?: string): string {
  if (Array.isArray(value)) throw new RequestBuildError('/body', 'must not be an array: an XML document has one root element');
  const ns = namespace ? ` xmlns="${escapeAttr(namespace)}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>${element(root, value ?? {}, '/body', ns)}`;
}

function element(name: string, value: unknown, pointer: string, extra = ''): string {
  if (!XML_NAME.test(name)) throw new RequestBuildError(pointer, 'is not a valid XML name');
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v, i) => element(name, v, `${pointer}/${i}`)).join('');
  if (typeof value !== 'object') return `<${name}${extra}>${text(value, pointer)}</${name}>`;
  let attrs = extra;
  let content = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key.startsWith('@')) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'object') throw new RequestBuildError(at, 'must be a string, number or boolean (an attribute)');
      if (!XML_NAME.test(key.slice(1))) throw new RequestBuildError(at, 'is not a valid XML name');
      attrs += ` ${key.slice(1)}="${escapeAttr(checked(String(v), at))}"`;
    } else if (key === '$value') {
      if (v !== null && v !== undefined) content += text(v, at);
    } else content += element(key, v, at);
  }
  return content ? `<${name}${attrs}>${content}</${name}>` : `<${name}${attrs}/>`;
}

function text(v: unknown, pointer: string): string {
  if (typeof v === 'object' && v !== null) throw new RequestBuildError(pointer, 'must be a string, number or boolean');
  return escapeText(checked(String(v), pointer));
}

function checked(s: string, pointer: string): string {
  if (XML_INVALID_CHARS.test(s)) throw new RequestBuildError(pointer, 'holds characters XML cannot carry');
  return s;
}

// ─── reading ────────────────────────────────────────────────────────────────────────────────

/** The JSON value of `el` in this mapping, typed by `schema` (a part of the self-contained `root`). */
export function fromXml(el: XmlElement, schema?: Schema, root: Schema = schema ?? {}): unknown {
  return decode(el, schema, new SchemaView(root));
}

function decode(el: XmlElement, schema: Schema | undefined, view: SchemaView): unknown {
  const info = view.info(schema);
  const attrs = el.attrs.filter((a) => !(a.prefix === 'xmlns' || (a.prefix === '' && a.local === 'xmlns') || a.ns === XSI));
  if (el.attrs.some((a) => a.ns === XSI && a.local === 'nil' && (a.value === 'true' || a.value === '1'))) return null;
  const children = el.children.filter((c): c is XmlElement => typeof c !== 'string');
  const ownText = el.children.filter((c): c is string => typeof c === 'string').join('');
  const wantsObject = info.types.has('object') || Object.keys(info.props).length > 0;
  if (!wantsObject && children.length === 0 && attrs.length === 0) return scalar(ownText, info.types);

  const out: Record<string, unknown> = {};
  for (const a of attrs) out[`@${a.local}`] = scalar(a.value, view.info(info.props[`@${a.local}`]).types);
  const groups = new Map<string, XmlElement[]>();
  for (const c of children) {
    const list = groups.get(c.local);
    if (list) list.push(c);
    else groups.set(c.local, [c]);
  }
  for (const [name, els] of groups) {
    const propSchema = info.props[name];
    const prop = view.info(propSchema);
    if (prop.types.has('array') || els.length > 1) out[name] = els.map((e) => decode(e, prop.types.has('array') ? prop.items : propSchema, view));
    else out[name] = decode(els[0]!, propSchema, view);
  }
  if (ownText.trim() !== '' || (children.length === 0 && ownText !== '')) out.$value = scalar(ownText, view.info(info.props.$value).types);
  return out;
}

function scalar(text: string, types: Set<string>): unknown {
  const t = text.trim();
  if ((types.has('number') || types.has('integer')) && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (types.has('boolean') && (t === 'true' || t === 'false' || t === '1' || t === '0')) return t === 'true' || t === '1';
  if (types.has('null') && t === '' && !types.has('string')) return null;
  return text;
}

interface SchemaInfo {
  types: Set<string>;
  props: Record<string, Schema | undefined>;
  items?: Schema;
}

/** Just enough JSON Schema reading to type XML: $ref within the document, allOf/anyOf/oneOf merged. */
class SchemaView {
  private readonly cache = new Map<Schema, SchemaInfo>();

  constructor(private readonly root: Schema) {}

  info(schema: Schema | undefined): SchemaInfo {
    if (!schema || typeof schema !== 'object') return { types: new Set(), props: {} };
    let info = this.cache.get(schema);
    if (!info) {
      info = { types: new Set(), props: {} };
      this.cache.set(schema, info); // before merging: recursive schemas end here
      this.merge(schema, info, 0);
    }
    return info;
  }

  private merge(s: Schema, into: SchemaInfo, depth: number): void {
    if (depth > 32) return;
    if (typeof s.$ref === 'string') {
      const target = this.resolve(s.$ref);
      if (target) this.merge(target, into, depth + 1);
    }
    const type = s.type;
    if (typeof type === 'string') into.types.add(type);
    else if (Array.isArray(type)) for (const t of type) into.types.add(String(t));
    if (typeof s.properties === 'object' && s.properties !== null) {
      for (const [k, v] of Object.entries(s.properties as Schema)) if (!(k in into.props)) into.props[k] = v as Schema;
    }
    if (typeof s.items === 'object' && s.items !== null && !into.items) into.items = s.items as Schema;
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const list = s[key];
      if (Array.isArray(list)) for (const branch of list) if (typeof branch === 'object' && branch !== null) this.merge(branch as Schema, into, depth + 1);
    }
  }

  private resolve(ref: string): Schema | undefined {
    if (!ref.startsWith('#')) return undefined;
    let cur: unknown = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Schema)[token];
    }
    return typeof cur === 'object' && cur !== null ? (cur as Schema) : undefined;
  }
}

/**
 * XML -> JSON for one operation's output message and SOAP headers, compiled from the model once:
 * each complex type gets a child table (local name -> namespace, JSON name, array flag, decoder)
 * built at compile time, so decoding a response is one pass over the parsed tree (from
 * connectors/xml/parse.ts) with a map lookup per element.
 *
 * Follows the JSON mapping of model.ts (M1–M4, E1–E11, A1, B1–B9). Namespaces are matched
 * exactly as the model resolved them: a qualified child sent unqualified (or the reverse) is a
 * contract violation, as is an element the contract does not declare where there is no wildcard.
 * Attributes the contract does not declare are ignored (xsi:*, xmlns, vendor extras).
 */
import { ContractViolation } from '../errors';
import { escapeAttr, escapeText } from '../xml/escape';
import { namespacesInScope, type XmlElement, type XmlNode } from '../xml/parse';
import {
  resolveType,
  splitKey,
  XSI_NS,
  type ComplexTypeModel,
  type ElementModel,
  type HeaderModel,
  type MessageModel,
  type ParticleModel,
  type ServiceModel,
  type SimpleTypeModel,
  type TypeRef,
} from './model';
import { binaryKind, readBinary } from './binary';
import { compileScalar } from './scalars';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

class DecodeError extends Error {
  path: string[] = [];
}

function fail(message: string): never {
  throw new DecodeError(message);
}

/** An unexpected element's name for a message: the provider wrote it, so it is cut short (a name can be most of a hostile body). */
function nameOf(el: XmlElement): string {
  const name = `${el.ns ? `{${el.ns}}` : ''}${el.local}`;
  return name.length > 120 ? `${name.slice(0, 120)}…` : name;
}

function at(err: unknown, ...segments: Array<string | number>): never {
  if (err instanceof DecodeError) err.path.unshift(...segments.map(String));
  throw err;
}

/** Decodes one element; `anc` is the stack of ancestors (for QName prefixes), pushed/popped by complex decoders. */
type Decoder = (el: XmlElement, anc: XmlElement[]) => unknown;

function textOf(el: XmlElement): string {
  const c = el.children;
  if (c.length === 1 && typeof c[0] === 'string') return c[0];
  let s = '';
  for (const n of c) if (typeof n === 'string') s += n;
  return s;
}

function isNil(el: XmlElement): boolean {
  for (const a of el.attrs) if (a.local === 'nil' && a.ns === XSI_NS) return a.value === 'true' || a.value === '1';
  return false;
}

/** Resolves a QName prefix from the declarations in scope (the parser keeps them per element), else from a prefix in use nearby. */
function resolvePrefix(prefix: string, el: XmlElement, anc: XmlElement[]): string | undefined {
  const root = anc[0] ?? el;
  const scope = namespacesInScope(root, el);
  if (scope && Object.hasOwn(scope, prefix)) return scope[prefix];
  for (const e of [el, ...anc.slice().reverse()]) {
    if (e.prefix === prefix) return e.ns;
    for (const a of e.attrs) if (a.prefix === prefix && a.ns) return a.ns;
  }
  return prefix === '' ? '' : undefined;
}

function qnameToClark(text: string, el: XmlElement, anc: XmlElement[]): string {
  const t = text.trim();
  const i = t.indexOf(':');
  const prefix = i < 0 ? '' : t.slice(0, i);
  const local = i < 0 ? t : t.slice(i + 1);
  const ns = resolvePrefix(prefix, el, anc);
  if (ns === undefined) fail('QName with an undeclared prefix');
  return ns ? `{${ns}}${local}` : local;
}

/**
 * Re-serialises parsed XML for E8/E9: every element carries xmlns declarations for the prefixes
 * it uses that its serialised parent has not declared already.
 */
export function serializeRaw(node: XmlNode, declared: ReadonlyMap<string, string> = new Map()): string {
  if (typeof node === 'string') return escapeText(node);
  const decl = new Map(declared);
  let decls = '';
  const use = (prefix: string, ns: string) => {
    if (prefix === 'xml' || ns === XML_NS) return;
    if (decl.get(prefix) !== ns) {
      decl.set(prefix, ns);
      decls += prefix ? ` xmlns:${prefix}="${escapeAttr(ns)}"` : ` xmlns="${escapeAttr(ns)}"`;
    }
  };
  use(node.prefix, node.ns);
  let attrs = '';
  for (const a of node.attrs) {
    if (a.prefix) use(a.prefix, a.ns);
    attrs += ` ${a.prefix ? `${a.prefix}:` : ''}${a.local}="${escapeAttr(a.value)}"`;
  }
  const qn = node.prefix ? `${node.prefix}:${node.local}` : node.local;
  let inner = '';
  for (const c of node.children) inner += serializeRaw(c, decl);
  return `<${qn}${decls}${attrs}>${inner}</${qn}>`;
}

/** XSD wildcard namespace constraint: ##any, ##other (not the target namespace, not unqualified), or a list of URIs, ##local, ##targetNamespace. */
function wildcardAccepts(constraint: string, targetNs: string): (ns: string) => boolean {
  const c = constraint.trim() || '##any';
  if (c === '##any') return () => true;
  if (c === '##other') return (ns) => ns !== '' && ns !== targetNs;
  const allowed = new Set(c.split(/\s+/).map((t) => (t === '##local' ? '' : t === '##targetNamespace' ? targetNs : t)));
  return (ns) => allowed.has(ns);
}

interface Slot {
  ns: string;
  key: string;
  array: boolean;
  dec: Decoder;
}

export interface DecoderOptions {
  /**
   * Binary values (base64Binary, XOP includes, SwA hrefs, swaRef) become PendingBinary
   * placeholders (binary.ts) for the connector to turn into document handles. Without it they
   * decode as the mapping's B1 strings, as before documents were carried.
   */
  documents?: boolean;
}

class Compiler {
  private readonly typeDecoders = new Map<string, { d?: Decoder }>();
  constructor(
    private readonly model: ServiceModel,
    private readonly opts: DecoderOptions = {},
  ) {}

  element(el: ElementModel): Decoder {
    const saved = this.ownerNs;
    if (typeof el.type !== 'string') this.ownerNs = el.ns || saved;
    const dec = this.type(el.type);
    this.ownerNs = saved;
    return (x, anc) => (x.attrs.length && isNil(x) ? null : dec(x, anc));
  }

  type(ref: TypeRef): Decoder {
    if (typeof ref === 'string') {
      let holder = this.typeDecoders.get(ref);
      if (!holder) {
        holder = {};
        this.typeDecoders.set(ref, holder);
        holder.d = this.compileType(ref);
      }
      const h = holder;
      return h.d ?? ((x, anc) => h.d!(x, anc));
    }
    return this.compileType(ref);
  }

  private compileType(ref: TypeRef): Decoder {
    const t = resolveType(this.model, ref);
    if (t.kind === 'any') {
      return (x) => {
        let s = '';
        for (const c of x.children) s += serializeRaw(c);
        return s;
      };
    }
    if (t.kind === 'simple') return this.simple(t);
    if (t.simpleContent && t.attributes.length === 0) return this.simple(t.simpleContent);
    return this.complex(t, typeof ref === 'string' ? splitKey(ref).ns : this.ownerNs);
  }

  /** Namespace of the element whose anonymous type is being compiled: a wildcard's ##targetNamespace/##other for it. */
  private ownerNs = '';

  private simple(t: SimpleTypeModel): Decoder {
    const c = compileScalar(t);
    if (c.qname) return (x, anc) => qnameToClark(textOf(x), x, anc);
    const from = c.fromText;
    const binary = this.opts.documents ? binaryKind(t) : undefined;
    if (binary) return (x) => readBinary(x, binary, from(textOf(x)) as string);
    return (x) => from(textOf(x));
  }

  private complex(t: ComplexTypeModel, typeNs: string): Decoder {
    const attrTable = new Map<string, Array<{ ns: string; key: string; from: (s: string) => unknown; qname: boolean }>>();
    for (const a of t.attributes) {
      const at_ = resolveType(this.model, a.type);
      const c = compileScalar(at_.kind === 'simple' ? at_ : { kind: 'simple', base: 'string' });
      const list = attrTable.get(a.name) ?? [];
      list.push({ ns: a.ns, key: a.jsonName, from: c.fromText, qname: c.qname });
      attrTable.set(a.name, list);
    }
    const slots = new Map<string, Slot[]>();
    const wildcards: Array<(ns: string) => boolean> = [];
    const collect = (p: ParticleModel) => {
      if (p.kind === 'wildcard') wildcards.push(wildcardAccepts(p.namespace, typeNs));
      else if (p.kind === 'element') {
        const list = slots.get(p.name) ?? [];
        list.push({ ns: p.ns, key: p.jsonName, array: p.array, dec: this.element(p) });
        slots.set(p.name, list);
      } else for (const i of p.items) collect(i);
    };
    if (t.particle) collect(t.particle);
    const scalar = t.simpleContent ? compileScalar(t.simpleContent) : undefined;
    // A base64Binary value with attributes is a document too.
    const binary = t.simpleContent && this.opts.documents ? binaryKind(t.simpleContent) : undefined;
    const text: Decoder | undefined = !scalar ? undefined : binary ? (x) => readBinary(x, binary, scalar.fromText(textOf(x)) as string) : (x) => scalar.fromText(textOf(x));
    const mixed = !!t.mixed;
    const hasAttrs = attrTable.size > 0;

    return (x, anc) => {
      const out: Record<string, unknown> = {};
      if (hasAttrs) {
        for (const a of x.attrs) {
          const cands = attrTable.get(a.local);
          if (!cands) continue;
          for (const c of cands) {
            if (c.ns !== a.ns) continue;
            out[c.key] = c.qname ? qnameToClark(a.value, x, anc) : c.from(a.value);
            break;
          }
        }
      }
      if (text) {
        out.$value = text(x, anc);
        return out;
      }
      anc.push(x);
      let mixedText = '';
      const kids = x.children;
      for (let i = 0; i < kids.length; i++) {
        const c = kids[i]!;
        if (typeof c === 'string') {
          if (mixed) mixedText += c;
          continue;
        }
        const cands = slots.get(c.local);
        let slot: Slot | undefined;
        if (cands) {
          for (const s of cands) {
            if (s.ns === c.ns && (s.array || out[s.key] === undefined)) {
              slot = s;
              break;
            }
          }
        }
        if (!slot) {
          if (wildcards.some((w) => w(c.ns))) {
            let any = out.$any as string[] | undefined;
            if (!any) out.$any = any = [];
            any.push(serializeRaw(c));
            continue;
          }
          anc.pop();
          fail(`unexpected element ${nameOf(c)}`);
        }
        let v: unknown;
        try {
          v = slot.dec(c, anc);
        } catch (e) {
          anc.pop();
          at(e, slot.key, ...(slot.array ? [((out[slot.key] as unknown[] | undefined)?.length ?? 0)] : []));
        }
        if (slot.array) {
          const arr = out[slot.key] as unknown[] | undefined;
          if (arr) arr.push(v);
          else out[slot.key] = [v];
        } else out[slot.key] = v;
      }
      anc.pop();
      if (mixed && mixedText.trim() !== '') out.$value = mixedText;
      return out;
    };
  }
}

function pointer(path: string[]): string {
  return path.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function violation(err: unknown, prefix: string[] = []): never {
  if (err instanceof DecodeError) {
    throw new ContractViolation('response', [{ pointer: pointer([...prefix, ...err.path]), message: err.message }]);
  }
  throw err;
}

export interface MessageDecoder {
  /** The output JSON from the Body's element children; `anc` are the Envelope and the Body. */
  body(parts: XmlElement[], anc: XmlElement[]): unknown;
}

export interface HeaderDecoder {
  /** The declared output headers found, keyed by part name (M4); undefined when none. */
  headers(header: XmlElement | undefined, anc: XmlElement[]): Record<string, unknown> | undefined;
}

function findPart(parts: XmlElement[], name: string, ns: string): XmlElement | undefined {
  for (const p of parts) if (p.local === name && p.ns === ns) return p;
  return undefined;
}

export function compileMessageDecoder(model: ServiceModel, msg: MessageModel, opts: DecoderOptions = {}): MessageDecoder {
  const c = new Compiler(model, opts);
  const parts = msg.parts.map((p) => ({ name: p.element.name, ns: p.element.ns, key: p.element.jsonName, dec: c.element(p.element) }));
  const rpc = msg.rpc;

  const decodeParts = (children: XmlElement[], anc: XmlElement[]): unknown => {
    if (msg.unwrapped && parts.length === 1) {
      const p = parts[0]!;
      const el = findPart(children, p.name, p.ns);
      if (!el) fail(`missing response element {${p.ns}}${p.name}`);
      for (const other of children) if (other !== el) fail(`unexpected element ${nameOf(other)} in the Body`);
      return p.dec(el, anc);
    }
    const out: Record<string, unknown> = {};
    for (const el of children) {
      const p = parts.find((q) => q.name === el.local && q.ns === el.ns);
      if (!p) fail(`unexpected element ${nameOf(el)}`);
      try {
        out[p.key] = p.dec(el, anc);
      } catch (e) {
        at(e, p.key);
      }
    }
    return out;
  };

  return {
    body(children, anc) {
      try {
        if (!rpc) return decodeParts(children, anc);
        const wrapper = findPart(children, rpc.name, rpc.ns);
        if (!wrapper) fail(`missing response element {${rpc.ns}}${rpc.name}`);
        const inner = wrapper.children.filter((n): n is XmlElement => typeof n !== 'string');
        return decodeParts(inner, [...anc, wrapper]);
      } catch (e) {
        return violation(e);
      }
    },
  };
}

export function compileHeaderDecoder(model: ServiceModel, headers: HeaderModel[]): HeaderDecoder {
  const c = new Compiler(model);
  const table = headers.map((h) => ({ name: h.element.name, ns: h.element.ns, part: h.part, dec: c.element(h.element) }));
  return {
    headers(header, anc) {
      if (!header || table.length === 0) return undefined;
      let out: Record<string, unknown> | undefined;
      const scope = [...anc, header];
      for (const el of header.children) {
        if (typeof el === 'string') continue;
        const h = table.find((t) => t.name === el.local && t.ns === el.ns);
        if (!h) continue; // headers the contract does not declare (e.g. X-Road requestHash) are not ours to judge
        try {
          (out ??= {})[h.part] = h.dec(el, scope);
        } catch (e) {
          violation(e, ['soapHeaders', h.part]);
        }
      }
      return out;
    },
  };
}

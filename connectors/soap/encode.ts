/**
 * JSON -> XML for one operation's input message and SOAP headers, compiled from the model once
 * (per operation, at connector construction): every element, type and attribute becomes a small
 * closure that knows its qualified name, its prefix and how to write its value, so a call is a
 * straight run of string concatenations — no schema lookups, no generic tree walking.
 *
 * Follows the JSON mapping of model.ts exactly (M1–M4, E1–E11, A1, B1–B9). Namespaces: every
 * namespace the message can use gets one prefix, chosen at compile time and declared once on
 * the Envelope (X-Road's own ones as `xro` and `iden`, like its examples); unqualified elements
 * get no prefix and no default namespace is ever declared, so `elementFormDefault` is exactly
 * what the model resolved.
 */
import { ContractViolation } from '../errors';
import { escapeAttr, escapeText } from '../xml/escape';
import { parseXml } from '../xml/parse';
import {
  isRepeated,
  resolveType,
  splitKey,
  XSI_NS,
  type ComplexTypeModel,
  type ElementModel,
  type HeaderModel,
  type MessageModel,
  type ParticleModel,
  type ServiceModel,
  type TypeRef,
} from './model';
import { binaryKind } from './binary';
import { isBinaryContent, type OutgoingBinaries } from './mtom-request';
import { compileScalar, ValueError } from './scalars';

const WELL_KNOWN: Record<string, string> = {
  'http://x-road.eu/xsd/xroad.xsd': 'xro',
  'http://x-road.eu/xsd/identifiers': 'iden',
  [XSI_NS]: 'xsi',
};
const RESERVED = new Set(['soapenv', 'soap', 'xsi', 'xml', 'xmlns', 'wsse', 'wsu', 'ds', 'qn']);

/** One prefix per namespace, for a whole envelope. */
export class Prefixes {
  private readonly byNs = new Map<string, string>();
  private n = 0;
  prefix(ns: string): string {
    let p = this.byNs.get(ns);
    if (p) return p;
    p = WELL_KNOWN[ns];
    if (!p || [...this.byNs.values()].includes(p)) {
      do p = `ns${++this.n}`;
      while (RESERVED.has(p));
    }
    this.byNs.set(ns, p);
    return p;
  }
  has(ns: string): string | undefined {
    return this.byNs.get(ns);
  }
  /** `{ prefix: uri }` for the Envelope. */
  declarations(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [ns, p] of this.byNs) out[p] = ns;
    return out;
  }
}

/** An encoding failure with the JSON path to the offending value, built as it unwinds. */
class EncodeError extends Error {
  path: string[] = [];
}

function fail(message: string): never {
  throw new EncodeError(message);
}

function at(err: unknown, ...segments: Array<string | number>): never {
  // ValueError: the scalar mapping refused the value; RangeError: escape.ts refused a character XML 1.0 cannot carry.
  if (err instanceof ValueError || err instanceof RangeError) {
    const e = new EncodeError(err.message);
    e.path.unshift(...segments.map(String));
    throw e;
  }
  if (err instanceof EncodeError) err.path.unshift(...segments.map(String));
  throw err;
}

function pointer(path: string[]): string {
  return path.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Writes one value of an element's type: returns its attributes, `>`, and its content. */
type InnerWriter = (v: unknown) => string;
/** Writes the element(s) a particle contributes from the properties of `obj` (item `idx` of arrays in a repeating group, or -1). */
type ParticleWriter = (obj: Record<string, unknown>, idx: number) => string;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Raw content that is plain text needs no parse: no markup, no references, no `]]>`, nothing XML 1.0 refuses. */
const PLAIN_TEXT = /^[^<&\]\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]*$/;

/** Checks raw XML given for a wildcard (E8) or anyType (E9) is well-formed and closed, so it cannot break out of its element. */
function checkRaw(xml: string, oneElement: boolean): void {
  let root;
  try {
    root = parseXml(`<r>${xml}</r>`, { maxBytes: 16 * 1024 * 1024, maxDepth: 256, maxElements: 1_000_000 });
  } catch {
    fail('is not well-formed XML');
  }
  if (oneElement) {
    const kids = root.children.filter((c) => typeof c !== 'string' || c.trim() !== '');
    if (kids.length !== 1 || typeof kids[0] === 'string') fail('must be exactly one XML element');
  }
}

class Compiler {
  private readonly typeWriters = new Map<string, { w?: InnerWriter }>();
  /** Where binary values of the message being written go (mtom-request.ts); set for one synchronous body() call. */
  readonly binaries: { current?: OutgoingBinaries } = {};
  constructor(
    private readonly model: ServiceModel,
    readonly prefixes: Prefixes,
  ) {}

  qname(name: string, ns: string): string {
    return ns ? `${this.prefixes.prefix(ns)}:${name}` : name;
  }

  /** Writes one occurrence of the element (value not an array). */
  element(el: ElementModel): (v: unknown) => string {
    const qn = this.qname(el.name, el.ns);
    const inner = this.type(el.type);
    const close = `</${qn}>`;
    const open = `<${qn}`;
    const nil = el.nillable ? `<${qn} ${this.qname('nil', XSI_NS)}="true"/>` : '';
    return (v) => {
      if (v === null) {
        if (nil) return nil;
        fail('must not be null');
      }
      return open + inner(v) + close;
    };
  }

  /** The writer of a type, shared by every element of a named type (recursion through a holder). */
  type(ref: TypeRef): InnerWriter {
    if (typeof ref === 'string') {
      let holder = this.typeWriters.get(ref);
      if (!holder) {
        holder = {};
        this.typeWriters.set(ref, holder);
        holder.w = this.compileType(ref);
      }
      const h = holder;
      return h.w ?? ((v) => h.w!(v));
    }
    return this.compileType(ref);
  }

  private compileType(ref: TypeRef): InnerWriter {
    const t = resolveType(this.model, ref);
    if (t.kind === 'any') {
      return (v) => {
        if (typeof v !== 'string') fail('must be a string of XML content');
        if (!PLAIN_TEXT.test(v)) checkRaw(v, false);
        return '>' + v;
      };
    }
    if (t.kind === 'simple') return this.simple(t);
    if (t.simpleContent && t.attributes.length === 0) return this.simple(t.simpleContent); // E5, no attributes
    return this.complex(t);
  }

  private simple(t: Parameters<typeof compileScalar>[0]): InnerWriter {
    const c = compileScalar(t);
    if (c.qname) return (v) => this.qnameValue(v, '>');
    if (binaryKind(t) === 'base64') {
      // Base64 text as given; a Buffer or a stored document's handle as MTOM part or inline base64.
      return (v) => {
        if (!isBinaryContent(v)) return '>' + escapeText(c.toLexical(v));
        const out = this.binaries.current;
        if (out) return '>' + out.add(v);
        if (v instanceof Uint8Array) return '>' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
        fail('a document handle can only be sent in the message body');
      };
    }
    return (v) => '>' + escapeText(c.toLexical(v));
  }

  /** QName in Clark notation -> a prefix declared on the element itself when the namespace has none yet. */
  private qnameValue(v: unknown, sep: '>' | 'attr', attrName = ''): string {
    if (typeof v !== 'string') fail('must be a QName string ({namespace}local)');
    const { ns, local } = splitKey(v);
    const known = ns ? this.prefixes.has(ns) : undefined;
    const decl = ns && !known ? ` xmlns:qn="${escapeAttr(ns)}"` : '';
    const text = ns ? `${known ?? 'qn'}:${local}` : local;
    return sep === '>' ? `${decl}>${escapeText(text)}` : `${decl} ${attrName}="${escapeAttr(text)}"`;
  }

  private complex(t: ComplexTypeModel): InnerWriter {
    const attrs = t.attributes.map((a) => {
      const qn = this.qname(a.name, a.ns);
      const at_ = resolveType(this.model, a.type);
      // An attribute type that could not be resolved (AnyTypeModel) is written as text.
      const c = compileScalar(at_.kind === 'simple' ? at_ : { kind: 'simple', base: 'string' });
      const key = a.jsonName;
      return (obj: Record<string, unknown>): string => {
        const v = obj[key];
        if (v === undefined) return '';
        try {
          if (c.qname) return this.qnameValue(v, 'attr', qn);
          return ` ${qn}="${escapeAttr(c.toLexical(v))}"`;
        } catch (e) {
          return at(e, key);
        }
      };
    });
    const particle = t.particle ? this.particle(t.particle) : undefined;
    const text = t.simpleContent ? compileScalar(t.simpleContent) : undefined;
    const mixed = !!t.mixed;
    const hasAny = !!t.particle && containsWildcard(t.particle);
    return (v) => {
      if (!isObject(v)) fail('must be an object');
      let s = '';
      for (const a of attrs) s += a(v);
      s += '>';
      if (text) {
        const x = v.$value;
        if (x !== undefined) {
          try {
            s += escapeText(text.toLexical(x));
          } catch (e) {
            at(e, '$value');
          }
        }
        return s;
      }
      if (mixed && typeof v.$value === 'string') s += escapeText(v.$value);
      if (particle) s += particle(v, -1);
      if (hasAny && v.$any !== undefined) {
        const any = v.$any;
        if (!Array.isArray(any)) at(new EncodeError('must be an array of XML strings'), '$any');
        for (let i = 0; i < any.length; i++) {
          const x = any[i];
          try {
            if (typeof x !== 'string') fail('must be a string');
            checkRaw(x, true);
          } catch (e) {
            at(e, '$any', i);
          }
          s += x;
        }
      }
      return s;
    };
  }

  particle(p: ParticleModel): ParticleWriter {
    if (p.kind === 'element') return this.elementParticle(p);
    if (p.kind === 'wildcard') return () => ''; // written after the declared children (E8)
    const items = p.items.map((i) => this.particle(i));
    const seq: ParticleWriter = (obj, idx) => {
      let s = '';
      for (const w of items) s += w(obj, idx);
      return s;
    };
    if (p.kind !== 'sequence' || !isRepeated(p.maxOccurs)) return seq; // choice: the one present; repeating choice: option by option (E6)
    // E6: a repeating sequence interleaves its array children by index.
    const names = arrayNames(p);
    return (obj) => {
      let n = 0;
      for (const k of names) {
        const a = obj[k];
        if (a === undefined) continue;
        if (!Array.isArray(a)) at(new EncodeError('must be an array'), k);
        if (a.length > n) n = a.length;
      }
      let s = '';
      for (let i = 0; i < n; i++) s += seq(obj, i);
      return s;
    };
  }

  private elementParticle(el: ElementModel): ParticleWriter {
    const write = this.element(el);
    const key = el.jsonName;
    if (!el.array) {
      return (obj) => {
        const v = obj[key];
        if (v === undefined) return '';
        try {
          return write(v);
        } catch (e) {
          return at(e, key);
        }
      };
    }
    return (obj, idx) => {
      const v = obj[key];
      if (v === undefined) return '';
      if (!Array.isArray(v)) return at(new EncodeError('must be an array'), key);
      if (idx >= 0) {
        if (idx >= v.length) return '';
        try {
          return write(v[idx]);
        } catch (e) {
          return at(e, key, idx);
        }
      }
      let s = '';
      for (let i = 0; i < v.length; i++) {
        try {
          s += write(v[i]);
        } catch (e) {
          at(e, key, i);
        }
      }
      return s;
    };
  }
}

function containsWildcard(p: ParticleModel): boolean {
  if (p.kind === 'wildcard') return true;
  if (p.kind === 'element') return false;
  return p.items.some(containsWildcard);
}

function arrayNames(p: ParticleModel, out: string[] = []): string[] {
  if (p.kind === 'element') {
    if (p.array) out.push(p.jsonName);
  } else if (p.kind !== 'wildcard') for (const i of p.items) arrayNames(i, out);
  return out;
}

export interface MessageEncoder {
  /**
   * The Body's inner XML for the input JSON; throws ContractViolation('request'). Binary values
   * (Buffers, document handles) go to `binaries` when given (see mtom-request.ts).
   */
  body(input: unknown, binaries?: OutgoingBinaries): string;
}

export interface HeaderEncoder {
  /** The Header's inner XML, in `order`; a missing required header is a ContractViolation('request'). */
  headers(values: Record<string, unknown>): string;
}

function violation(err: unknown, prefix: string[] = []): never {
  if (err instanceof ValueError || err instanceof RangeError) err = Object.assign(new EncodeError(err.message), { path: [] });
  if (err instanceof EncodeError) {
    throw new ContractViolation('request', [{ pointer: pointer([...prefix, ...err.path]), message: err.message }]);
  }
  throw err;
}

/** M1–M3 for an input message. */
export function compileMessageEncoder(model: ServiceModel, msg: MessageModel, prefixes: Prefixes): MessageEncoder {
  const c = new Compiler(model, prefixes);
  const parts = msg.parts.map((p) => ({ key: p.element.jsonName, write: c.element(p.element) }));
  let inner: (input: Record<string, unknown>) => string;
  if (msg.unwrapped && parts.length === 1) {
    const w = parts[0]!.write;
    inner = (input) => w(input);
  } else {
    inner = (input) => {
      let s = '';
      for (const p of parts) {
        const v = input[p.key];
        if (v === undefined) continue;
        try {
          s += p.write(v);
        } catch (e) {
          at(e, p.key);
        }
      }
      return s;
    };
  }
  let body = inner;
  if (msg.rpc) {
    const qn = c.qname(msg.rpc.name, msg.rpc.ns);
    body = (input) => `<${qn}>${inner(input)}</${qn}>`;
  }
  return {
    body(input, binaries) {
      c.binaries.current = binaries;
      try {
        if (!isObject(input)) fail('the input must be an object');
        return body(input);
      } catch (e) {
        return violation(e);
      } finally {
        c.binaries.current = undefined;
      }
    },
  };
}

/** X-Road's header order, as its protocol specification and examples write it. */
const XROAD_ORDER = ['client', 'service', 'centralService', 'id', 'userId', 'requestHash', 'issue', 'protocolVersion'];
const XROAD_NS = 'http://x-road.eu/xsd/xroad.xsd';
/** X-Road headers that its protocol makes optional, whatever the WSDL binding says. */
const XROAD_OPTIONAL = new Set(['userId', 'issue', 'requestHash']);

export function orderHeaders(headers: HeaderModel[]): HeaderModel[] {
  const rank = (h: HeaderModel, i: number) => {
    const x = h.element.ns === XROAD_NS ? XROAD_ORDER.indexOf(h.element.name) : -1;
    return x >= 0 ? x : 100 + i;
  };
  return headers
    .map((h, i) => ({ h, r: rank(h, i) }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.h);
}

export function compileHeaderEncoder(model: ServiceModel, headers: HeaderModel[], prefixes: Prefixes): HeaderEncoder {
  const c = new Compiler(model, prefixes);
  const writers = orderHeaders(headers).map((h) => ({
    part: h.part,
    required: h.required && !(h.element.ns === XROAD_NS && XROAD_OPTIONAL.has(h.element.name)),
    write: c.element(h.element),
    // Most header values are the same object (or string) call after call — X-Road's client and
    // service come from the provider file — so the last one written is kept with its XML.
    last: undefined as unknown,
    lastXml: '',
  }));
  return {
    headers(values) {
      let s = '';
      for (const w of writers) {
        const v = values[w.part];
        if (v === undefined) {
          if (w.required) throw new ContractViolation('request', [{ pointer: `/soapHeaders/${w.part}`, message: 'required SOAP header missing' }]);
          continue;
        }
        if (v === w.last && v !== null) {
          s += w.lastXml;
          continue;
        }
        let xml: string;
        try {
          xml = w.write(v);
        } catch (e) {
          return violation(e, ['soapHeaders', w.part]);
        }
        // Only frozen objects and primitives are safe to remember: a caller's mutable object may change between calls.
        if (typeof v !== 'object' || Object.isFrozen(v)) {
          w.last = v;
          w.lastXml = xml;
        }
        s += xml;
      }
      return s;
    },
  };
}

/**
 * Binary values in SOAP messages, as the decoder finds them and the connector hands them on.
 *
 * A provider sends a document in one of three ways: inline as xsd:base64Binary text; as an
 * MTOM/XOP part, the element holding only `<xop:Include href="cid:…"/>`; or as a SOAP with
 * Attachments part, referenced by an `href="cid:…"` attribute (Axis 1) or a WS-I swaRef value.
 * The decoder (decode.ts), when compiled for documents, leaves a PendingBinary where such a value
 * is; the connector then finds them in the output (`findPending`), puts each document into the
 * sink (response-parts.ts) and sets its DocumentHandle in the PendingBinary's place. So the
 * decoder stays synchronous and free of I/O, and a response without binary values costs nothing.
 */
import { DOCUMENT_HANDLE_SCHEMA } from '../documents';
import type { XmlElement } from '../xml/parse';
import { resolveType, WSI_SWAREF_NS, type MessageModel, type ParticleModel, type ServiceModel, type SimpleTypeModel, type TypeRef } from './model';

export const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
export const XMIME_NS = 'http://www.w3.org/2005/05/xmlmime';

export type BinaryKind = 'base64' | 'swaref';

/** Which simple types carry documents: base64Binary (and types restricting it) and WS-I swaRef. */
export function binaryKind(t: SimpleTypeModel): BinaryKind | undefined {
  if (t.list || t.union) return undefined;
  if (t.name === `{${WSI_SWAREF_NS}}swaRef`) return 'swaref';
  return t.base === 'base64Binary' ? 'base64' : undefined;
}

/** A binary value found in a response, waiting for its document. */
export class PendingBinary {
  constructor(
    /** The referenced MIME part's Content-ID (without `cid:` and brackets), or undefined for inline base64 text. */
    readonly cid: string | undefined,
    /** The element's text as the legacy mapping gives it: the base64 text, or the swaRef URI. */
    readonly text: string,
    /** `xmime:contentType` of the element, lower-case without parameters, when it gives one. */
    readonly mediaType: string | undefined,
  ) {}
}

function cidOf(href: string): string | undefined {
  if (!/^cid:/i.test(href.trim())) return undefined;
  let v = href.trim().slice(4);
  try {
    v = decodeURIComponent(v);
  } catch {
    /* kept as written */
  }
  return v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
}

function mediaTypeOf(el: XmlElement): string | undefined {
  for (const a of el.attrs) if (a.local === 'contentType' && a.ns === XMIME_NS) return a.value.split(';')[0]!.trim().toLowerCase() || undefined;
  return undefined;
}

/**
 * The binary value an element holds. `text` is its text as the scalar mapping reads it. XOP
 * (an Include child) and SwA's href attribute win over text; a swaRef is a reference only when
 * its text is a `cid:` URI (otherwise it stays the string it is).
 */
export function readBinary(el: XmlElement, kind: BinaryKind, text: string): PendingBinary | string {
  const mediaType = mediaTypeOf(el);
  if (kind === 'swaref') {
    const cid = cidOf(text);
    return cid === undefined ? text : new PendingBinary(cid, text, mediaType);
  }
  for (const c of el.children) {
    if (typeof c === 'string' || c.local !== 'Include' || c.ns !== XOP_NS) continue;
    const href = c.attrs.find((a) => a.local === 'href' && a.ns === '');
    const cid = href ? cidOf(href.value) : undefined;
    if (cid !== undefined) return new PendingBinary(cid, text, mediaType);
  }
  if (text.trim() === '') {
    const href = el.attrs.find((a) => a.local === 'href' && a.ns === '');
    const cid = href ? cidOf(href.value) : undefined;
    if (cid !== undefined) return new PendingBinary(cid, text, mediaType);
  }
  return new PendingBinary(undefined, text, mediaType);
}

export interface FoundBinary {
  value: PendingBinary;
  /** JSON pointer of the value in the output. */
  pointer: string;
  set(v: unknown): void;
}

/** Every PendingBinary in a decoded output, with where it is. */
export function findPending(root: unknown, prefix = ''): FoundBinary[] {
  const out: FoundBinary[] = [];
  const walk = (v: unknown, pointer: string, set: (x: unknown) => void): void => {
    if (v instanceof PendingBinary) {
      out.push({ value: v, pointer, set });
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${pointer}/${i}`, (x) => (v[i] = x));
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) walk(o[k], `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, (x) => (o[k] = x));
    }
  };
  walk(root, prefix, () => {
    throw new Error('a binary value cannot be the whole output');
  });
  return out;
}

/** Inline base64 text as bytes; undefined when it is not base64 (whitespace is allowed anywhere, as XSD allows). */
export function decodeBase64Text(text: string): Buffer | undefined {
  const t = text.replace(/[\t\n\r ]+/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

/** The JSON Schema of a DocumentHandle (connectors/documents.ts), as output schemas describe a document. */
export function documentHandleSchema(): Record<string, unknown> {
  return { ...structuredClone(DOCUMENT_HANDLE_SCHEMA as Record<string, unknown>), description: 'A document the provider returned, kept in the document store: its handle, never its bytes.' };
}

/**
 * An output schema written before documents were carried (base64 text only) with the handle
 * allowed beside the text wherever a `contentEncoding: base64` string is: so a provider imported
 * earlier needs no new import — nor its services a new certificate — to receive documents.
 * A schema that allows a handle already is returned as it is.
 */
export function withDocumentHandles(schema: object): object {
  const walk = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(walk);
    if (typeof s !== 'object' || s === null) return s;
    const o = s as Record<string, unknown>;
    if (Array.isArray(o.anyOf) && o.anyOf.some((x) => isHandleSchema(x))) return o;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = k === 'const' || k === 'enum' || k === 'default' || k === 'examples' ? v : walk(v);
    return o.contentEncoding === 'base64' && o.type === 'string' ? { anyOf: [out, documentHandleSchema()] } : out;
  };
  return walk(schema) as object;
}

function isHandleSchema(s: unknown): boolean {
  const req = (s as { required?: unknown } | null)?.required;
  return Array.isArray(req) && req.includes('sha256') && req.includes('id');
}

/** Whether a message can hold a binary value anywhere (compile time: only such operations look for documents). */
export function messageHasBinary(model: ServiceModel, msg: MessageModel, dir: 'input' | 'output'): boolean {
  const seen = new Set<string>();
  const simple = (t: SimpleTypeModel): boolean => {
    const k = binaryKind(t);
    return k === 'base64' || (k === 'swaref' && dir === 'output');
  };
  const type = (ref: TypeRef): boolean => {
    if (typeof ref === 'string') {
      if (seen.has(ref)) return false;
      seen.add(ref);
    }
    const t = resolveType(model, ref);
    if (t.kind === 'simple') return simple(t);
    if (t.kind !== 'complex') return false;
    if (t.simpleContent && simple(t.simpleContent)) return true;
    return t.particle ? particle(t.particle) : false;
  };
  const particle = (p: ParticleModel): boolean => (p.kind === 'element' ? type(p.type) : p.kind === 'wildcard' ? false : p.items.some(particle));
  return msg.parts.some((p) => type(p.element.type));
}

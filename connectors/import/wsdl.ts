/**
 * WSDL importer: a WSDL (file or http(s) URL) and the schemas it pulls in → an ImportedContract
 * that ./write.ts writes under contracts/providers/<code>/. The contract folder it produces is
 * self-contained: the WSDL and every resolved schema (from beside it, --schemas, the built-in
 * catalogue, or fetched on a WSDL URL's origin), with schemaLocation/location attributes
 * rewritten to the local relative copies. Only what the loader accepted is copied: never a file
 * outside the WSDL's folder, --schemas and the catalogue, never a document of another origin
 * (connectors/contract-references.ts; a refused reference fails the import before anything is
 * written).
 */
import path from 'node:path';
import { serviceSchemas } from '../soap/json-schema';
import type { OperationModel, ServiceModel } from '../soap/model';
import { compileWsdl, type CompiledContract } from '../soap/wsdl/compile';
import { lastSegment, type LoadedDoc } from '../soap/wsdl/load';
import type { ImportedContract, ImportedOperation } from './types';

export interface WsdlImportOptions {
  service?: string;
  port?: string;
  /** Folder(s) of schemas to resolve imports from (--schemas). */
  schemas?: string | string[];
  allowUnresolved?: boolean;
}

export async function importWsdl(code: string, source: string, opts: WsdlImportOptions = {}): Promise<ImportedContract> {
  const compiled = await compileWsdl(source, {
    service: opts.service,
    port: opts.port,
    allowUnresolved: opts.allowUnresolved,
    schemas: opts.schemas === undefined ? undefined : Array.isArray(opts.schemas) ? opts.schemas : [opts.schemas],
  });
  const { model } = compiled;
  const files = contractFiles(compiled);
  const schemas = serviceSchemas(model);
  const operations: ImportedOperation[] = Object.values(model.operations).map((op) => {
    const s = schemas.operations[op.name] as (typeof schemas.operations)[string];
    const out: ImportedOperation = {
      name: op.name,
      inputSchema: s.input,
      outputSchema: s.output,
      binding: soapBinding(model, op, s.inputHeaders, s.outputHeaders),
      // Every SOAP call is a POST: never repeated without an idempotency key.
      idempotent: false,
    };
    const description = op.title && op.documentation ? `${op.title}: ${op.documentation}` : (op.documentation ?? op.title);
    if (description) out.description = description;
    return out;
  });
  const contract: NonNullable<ImportedContract['provider']['contract']> = { type: 'wsdl', file: `contract/${files[0]?.path ?? 'service.wsdl'}`, service: model.name, port: model.port };
  return {
    kind: 'soap',
    contractType: 'wsdl',
    files,
    operations,
    endpoints: model.endpoint ? [model.endpoint] : [],
    provider: {
      names: { ar: model.name || code, en: model.name || code },
      contract,
    },
    warnings: [...model.warnings, ...schemas.warnings],
  };
}

/** What the SOAP connector needs at run time about one operation (operations/bindings.json). */
function soapBinding(model: ServiceModel, op: OperationModel, inputHeaders: object, outputHeaders: object): Record<string, unknown> {
  const key = (e: { ns: string; name: string }) => `{${e.ns}}${e.name}`;
  const message = (m: OperationModel['input']) => ({
    message: m.message,
    unwrapped: m.unwrapped,
    ...(m.rpc ? { rpc: key(m.rpc) } : {}),
    parts: m.parts.map((p) => ({ part: p.part, element: key(p.element) })),
  });
  const out: Record<string, unknown> = {
    protocol: 'soap',
    soapVersion: model.soapVersion,
    service: model.name,
    port: model.port,
    style: op.style,
    wrapped: op.wrapped,
    soapAction: op.soapAction,
    input: message(op.input),
    output: message(op.output),
    headers: {
      input: { parts: op.inputHeaders.map((h) => ({ part: h.part, element: key(h.element), required: h.required })), schema: inputHeaders },
      output: { parts: op.outputHeaders.map((h) => ({ part: h.part, element: key(h.element), required: h.required })), schema: outputHeaders },
    },
    faults: Object.fromEntries(Object.entries(op.faults).map(([n, e]) => [n, key(e)])),
  };
  if (op.oneWay) out.oneWay = true;
  if (op.attachments) out.attachments = true;
  if (op.title) out.title = op.title;
  if (op.version) out.version = op.version;
  return out;
}

function safeName(name: string, fallbackExt: string): string {
  let n = name.replace(/[?&=#]+/g, '_').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'schema';
  if (!/\.(wsdl|xsd|xml)$/i.test(n)) n += fallbackExt;
  return n;
}

/**
 * Where each document goes under contract/, and its content with the locations it refers to
 * rewritten to those relative paths. Local files under the WSDL's folder keep their relative
 * path; everything else is placed beside the WSDL by file name (made unique).
 */
export function contractFiles(compiled: CompiledContract): Array<{ path: string; content: string }> {
  const docs = compiled.documents;
  const main = docs[0] as LoadedDoc;
  const isUrl = (s: string) => /^https?:\/\//i.test(s);
  const mainDir = isUrl(main.location) ? undefined : path.dirname(main.location);
  const taken = new Set<string>();
  const rel = new Map<LoadedDoc, string>();
  const claim = (wanted: string) => {
    let p = wanted;
    const ext = path.posix.extname(p);
    for (let n = 2; taken.has(p.toLowerCase()); n++) p = `${wanted.slice(0, wanted.length - ext.length)}-${n}${ext}`;
    taken.add(p.toLowerCase());
    return p;
  };
  for (const doc of docs) {
    const ext = doc.kind === 'wsdl' ? '.wsdl' : '.xsd';
    let wanted: string | undefined;
    if (doc !== main && mainDir && !isUrl(doc.location)) {
      const r = path.relative(mainDir, doc.location);
      if (r && !r.startsWith('..') && !path.isAbsolute(r)) wanted = r.split(path.sep).join('/');
    }
    if (doc !== main && !wanted && isUrl(doc.location) && isUrl(main.location)) {
      const base = new URL('.', main.location).href;
      if (doc.location.startsWith(base) && !/[?#]/.test(doc.location)) wanted = doc.location.slice(base.length).split('/').map((s) => safeName(decodeURIComponentSafe(s), '')).join('/');
    }
    if (!wanted) {
      const seg = isUrl(doc.location) ? lastSegment(doc.location) + (new URL(doc.location).search || '') : path.basename(doc.location);
      wanted = safeName(seg, ext);
    }
    if (doc === main && !/\.wsdl$/i.test(wanted)) wanted = wanted.replace(/\.(xml|xsd)$/i, '') + '.wsdl';
    rel.set(doc, claim(wanted));
  }
  return docs.map((doc) => {
    const own = rel.get(doc) as string;
    let content = asUtf8Text(doc.content);
    const rewrites = new Map<string, string>();
    for (const ref of doc.refs) {
      if (!ref.target || !ref.location) continue;
      const target = rel.get(ref.target) as string;
      rewrites.set(ref.location, path.posix.relative(path.posix.dirname(own), target) || path.posix.basename(target));
    }
    if (rewrites.size) {
      content = content.replace(/\b(schemaLocation|location)(\s*=\s*)(["'])(.*?)\3/gs, (all, name: string, eq: string, q: string, raw: string) => {
        const to = rewrites.get(decodeXmlAttr(raw));
        return to === undefined ? all : `${name}${eq}${q}${escapeAttr(to)}${q}`;
      });
    }
    return { path: own, content };
  });
}

/** The document as text; one declared in a legacy encoding is decoded and re-declared UTF-8 (written as UTF-8). */
function asUtf8Text(buf: Buffer): string {
  const head = buf.toString('latin1', 0, Math.min(buf.length, 256));
  const enc = /^(?:\xEF\xBB\xBF)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (!enc || enc === 'utf-8' || enc === 'utf8' || enc === 'us-ascii' || enc === 'ascii') return buf.toString('utf8');
  return new TextDecoder(enc).decode(buf).replace(/^(\uFEFF?<\?xml[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._-]+/, '$1UTF-8');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function decodeXmlAttr(raw: string): string {
  return raw.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10));
  });
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
}

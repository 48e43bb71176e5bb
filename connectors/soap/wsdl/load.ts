/**
 * Loads a WSDL and every document it pulls in (wsdl:import, xsd:import, xsd:include), parsed
 * with the hardened parser (no DTD, no entities, size/depth/count limits).
 *
 * Where a referenced schema comes from, in order:
 *  1. a relative location: resolved against the referring document (a file beside it, or — for a
 *     WSDL fetched by URL — that URL's sibling, fetched);
 *  2. an http(s) location: its last path segment (percent-decoded) beside the contract, or beside
 *     the referring document; for a WSDL fetched by URL, a location on the same origin is fetched;
 *  3. the --schemas catalogues (by file name, then by targetNamespace);
 *  4. wasl's built-in catalogue connectors/soap/schemas/ (X-Road xroad.xsd/identifiers.xsd,
 *     WS-I swaref.xsd), by file name then namespace.
 * The XML namespace (xml.xsd: xml:lang…) is built in and never loaded. Nothing else ever goes to
 * the network: an unresolved http(s) location is reported with its namespace and location.
 *
 * What a location may not do (connectors/contract-references.ts; a WsdlError `wsdl-refused`
 * naming the rule, whatever --allow-unresolved says):
 *  - lead outside the roots — the WSDL's own folder (and subfolders), the --schemas folders, the
 *    built-in catalogue — by `..`, an absolute path, a `file:` URL or a symlink, checked on the
 *    real path without ever touching a file outside (`outside-roots`, `absolute-path`); the same
 *    holds for the beside-the-contract lookup of an http(s) location's last segment and for
 *    symlinks inside a --schemas folder;
 *  - reach another origin than the WSDL URL's (scheme, host, port): a relative or
 *    protocol-relative `//host/…` location resolving elsewhere, or a redirect leaving the origin
 *    (`other-origin`; compile.ts fetches through fetchOnOrigin). A protocol-relative location in
 *    a WSDL read from a file is refused too: a file fetches nothing. An absolute http(s) location
 *    on another origin is not refused: it is never fetched, only looked up locally as in 2–4.
 *
 * Loading is synchronous over a map of already-fetched URLs; a URL not fetched yet throws
 * NeedFetch, and compile.ts fetches it and starts over (contracts have a handful of documents).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNetworkPath, LocalRoots, OffOriginRedirect, refusalMessage, safeOrigin, type ReferenceRule } from '../../contract-references';
import { parseXml, type XmlElement, type XmlLimits } from '../../xml/parse';
import { XML_NS, XSD_NS } from '../model';
import { WsdlError, type MissingSchema } from './errors';
import { attr, elems, NsScopes } from './xml-util';

export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';

/** Contracts are bigger and deeper than messages, and trusted a little more. */
export const CONTRACT_XML_LIMITS: XmlLimits = { maxBytes: 20 * 1024 * 1024, maxDepth: 256, maxElements: 1_000_000 };

export const BUILTIN_CATALOGUE = path.join(__dirname, '..', 'schemas');

export type DocOrigin = 'contract' | 'beside' | 'catalogue' | 'builtin' | 'remote';

export interface DocRef {
  kind: 'wsdl-import' | 'import' | 'include' | 'redefine';
  /** The location attribute as written. */
  location: string;
  namespace: string;
  target?: LoadedDoc;
}

export interface LoadedDoc {
  kind: 'wsdl' | 'xsd';
  /** Absolute file path or URL it was read from. */
  location: string;
  origin: DocOrigin;
  content: Buffer;
  root: XmlElement;
  scopes: NsScopes;
  refs: DocRef[];
  /** Loaded only to fill in components the contract lacks (catalogue by namespace). */
  supplementary?: boolean;
}

export class NeedFetch extends Error {
  constructor(readonly url: string) {
    super(`fetch ${url}`);
  }
}

/** A fetched URL: its body and the URL it came from after redirects (on the same origin). */
export interface FetchedDocument {
  url: string;
  body: Buffer;
}

export interface LoadOptions {
  /** Folders of schemas (--schemas; the provider's contract/ when loading an imported one). */
  catalogues?: string[];
  builtinCatalogue?: string;
  limits?: XmlLimits;
  /** Fetched URLs (the document, or the error that made them unreachable or refused). */
  fetched?: Map<string, FetchedDocument | Error>;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const hasScheme = (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);

/** `location` as a URL (against `base`), or undefined when it is not one. */
function parseUrl(location: string, base?: string): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** The real path of a folder, or the path itself when it does not exist (reading then fails clearly). */
function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

export function lastSegment(location: string): string {
  const noQuery = location.split(/[?#]/)[0] ?? '';
  const seg = noQuery.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

interface CatalogueIndex {
  /** By file name: the real path, or `refused` for a symlink that leads out of the catalogue. */
  byName: Map<string, string | 'refused'>;
  byNamespace: Map<string, string[]>;
}
const catalogueCache = new Map<string, CatalogueIndex>();

function indexCatalogue(dir: string, limits: XmlLimits): CatalogueIndex {
  const key = path.resolve(dir);
  const cached = catalogueCache.get(key);
  if (cached && key === path.resolve(BUILTIN_CATALOGUE)) return cached;
  const index: CatalogueIndex = { byName: new Map(), byNamespace: new Map() };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new WsdlError('wsdl-invalid', `schema catalogue ${dir} is not a folder`);
  }
  // Symlinks are followed only while they stay inside the catalogue: one that leads out is
  // neither read nor indexed by namespace, and asking for it by name is refused.
  const inside = new LocalRoots([dir]);
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      const found = inside.resolve(path.join(d, name));
      if ('missing' in found) continue;
      if ('outside' in found) {
        if (!index.byName.has(name)) index.byName.set(name, 'refused');
        continue;
      }
      const full = found.path;
      if (statSync(full).isDirectory()) {
        if (depth < 3) walk(full, depth + 1);
        continue;
      }
      if (!/\.(xsd|wsdl|xml)$/i.test(name)) continue;
      if (!index.byName.has(name)) index.byName.set(name, full);
      try {
        const root = parseXml(readFileSync(full), limits);
        if (root.ns !== XSD_NS || root.local !== 'schema') continue;
        const ns = attr(root, 'targetNamespace') ?? '';
        const list = index.byNamespace.get(ns) ?? [];
        list.push(full);
        index.byNamespace.set(ns, list);
      } catch {
        // Not a schema we can read: reachable by name only, and reported if used.
      }
    }
  };
  walk(realpathSync(dir), 0);
  catalogueCache.set(key, index);
  return index;
}

/** A local place a reference may lead to, and the rule that refuses it when it leads outside the roots. */
interface Candidate {
  location: string;
  origin: DocOrigin;
  rule?: ReferenceRule;
}

export class DocumentSet {
  readonly docs: LoadedDoc[] = [];
  readonly missing: MissingSchema[] = [];
  readonly warnings: string[] = [];
  readonly main: LoadedDoc;
  private readonly byLocation = new Map<string, LoadedDoc>();
  private readonly processed = new WeakSet<LoadedDoc>();
  /** Set while loading catalogue schemas to fill gaps: what is loaded then is supplementary. */
  private supplementing = false;
  private readonly limits: XmlLimits;
  private readonly catalogues: Array<{ dir: string; origin: DocOrigin }>;
  /** Real path of the WSDL's folder (a WSDL read from a file). */
  private readonly mainDir?: string;
  /** The WSDL's URL and origin (a WSDL fetched by URL): the only origin ever fetched. */
  private readonly mainUrl?: string;
  private readonly mainOrigin?: string;
  /** Where local references may lead: the WSDL's folder, the catalogues. */
  private readonly roots: LocalRoots;

  constructor(mainLocation: string, private readonly opts: LoadOptions = {}) {
    this.limits = opts.limits ?? CONTRACT_XML_LIMITS;
    this.catalogues = [
      ...(opts.catalogues ?? []).map((dir) => ({ dir, origin: 'catalogue' as const })),
      { dir: opts.builtinCatalogue ?? BUILTIN_CATALOGUE, origin: 'builtin' as const },
    ];
    let mainPath: string;
    if (isUrl(mainLocation)) {
      this.mainUrl = new URL(mainLocation).href;
      this.mainOrigin = new URL(mainLocation).origin;
      mainPath = this.mainUrl;
    } else {
      const abs = path.resolve(mainLocation);
      this.mainDir = realDir(path.dirname(abs));
      mainPath = path.join(this.mainDir, path.basename(abs));
    }
    this.roots = new LocalRoots([...(this.mainDir ? [this.mainDir] : []), ...this.catalogues.map((c) => c.dir)]);
    const main = this.read(mainPath, this.mainUrl ? 'remote' : 'contract');
    if (!main) throw new WsdlError('wsdl-invalid', `cannot read the contract ${mainLocation}`);
    if (main instanceof OffOriginRedirect) {
      throw this.refusal(`the WSDL ${mainLocation}`, { rule: 'other-origin', location: mainLocation, from: '' }, { origin: safeOrigin(main.target), redirected: true });
    }
    if (main instanceof Error) throw main;
    this.main = main;
    this.process(main);
  }

  /** Display name of a document in messages: its file name (or URL). */
  static nameOf(doc: LoadedDoc): string {
    return isUrl(doc.location) ? doc.location : path.basename(doc.location);
  }

  /**
   * Reads a document: a URL from the fetched map (NeedFetch when not fetched yet), a local path
   * that LocalRoots already confined. Returns undefined when a local file is not there.
   */
  private read(location: string, origin: DocOrigin): LoadedDoc | WsdlError | OffOriginRedirect | undefined {
    const known = this.byLocation.get(location);
    if (known) return known;
    let content: Buffer;
    let finalLocation = location;
    if (isUrl(location)) {
      // Defence in depth: resolve() never asks for another origin, and compile.ts would not fetch it.
      if (safeOrigin(location) !== this.mainOrigin) return new OffOriginRedirect(location, location);
      const got = this.opts.fetched?.get(location);
      if (got === undefined) throw new NeedFetch(location);
      if (got instanceof OffOriginRedirect) return got;
      if (got instanceof Error) {
        return new WsdlError('wsdl-unreachable', `cannot fetch ${location}: ${got.message}`, [], { cause: got });
      }
      finalLocation = got.url;
      const already = this.byLocation.get(finalLocation);
      if (already) {
        this.byLocation.set(location, already);
        return already;
      }
      content = got.body;
    } else {
      if (!existsSync(location) || !statSync(location).isFile()) return undefined;
      content = readFileSync(location);
    }
    let root: XmlElement;
    try {
      root = parseXml(content, this.limits);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return new WsdlError('wsdl-invalid', `${isUrl(location) ? location : path.basename(location)} is not acceptable XML: ${msg}`, [], { cause: err });
    }
    let kind: 'wsdl' | 'xsd';
    if (root.ns === WSDL_NS && root.local === 'definitions') kind = 'wsdl';
    else if (root.ns === XSD_NS && root.local === 'schema') kind = 'xsd';
    else {
      return new WsdlError(
        'wsdl-invalid',
        `${isUrl(location) ? location : path.basename(location)} is neither a WSDL 1.1 document nor an XML Schema (root element {${root.ns}}${root.local})`,
      );
    }
    const doc: LoadedDoc = { kind, location: finalLocation, origin, content, root, scopes: new NsScopes(root), refs: [] };
    if (this.supplementing) doc.supplementary = true;
    this.byLocation.set(location, doc);
    this.byLocation.set(finalLocation, doc);
    this.docs.push(doc);
    return doc;
  }

  /** Every xsd:schema element of the loaded documents, with its document. */
  schemaElements(): Array<{ doc: LoadedDoc; el: XmlElement }> {
    const out: Array<{ doc: LoadedDoc; el: XmlElement }> = [];
    for (const doc of this.docs) {
      if (doc.kind === 'xsd') out.push({ doc, el: doc.root });
      else
        for (const t of elems(doc.root)) {
          if (t.ns !== WSDL_NS || t.local !== 'types') continue;
          for (const s of elems(t)) if (s.ns === XSD_NS && s.local === 'schema') out.push({ doc, el: s });
        }
    }
    return out;
  }

  private process(doc: LoadedDoc): void {
    this.processed.add(doc);
    const queue: LoadedDoc[] = [doc];
    while (queue.length) {
      const d = queue.shift() as LoadedDoc;
      for (const ref of this.collectRefs(d)) {
        d.refs.push(ref);
        if (ref.namespace === XML_NS || ref.namespace === XSD_NS) continue; // built in, never loaded
        if (!ref.location) continue; // namespace-only import: resolved among loaded schemas
        const target = this.resolve(d, ref);
        if (target instanceof WsdlError) {
          this.missing.push({ namespace: ref.namespace, location: ref.location, from: DocumentSet.nameOf(d) });
          this.warnings.push(target.message);
          continue;
        }
        if (!target) {
          this.missing.push({ namespace: ref.namespace, location: ref.location, from: DocumentSet.nameOf(d) });
          continue;
        }
        ref.target = target;
        if (!this.processed.has(target)) {
          this.processed.add(target);
          queue.push(target);
        }
      }
    }
  }

  private collectRefs(doc: LoadedDoc): DocRef[] {
    const refs: DocRef[] = [];
    const fromSchema = (s: XmlElement) => {
      for (const c of elems(s)) {
        if (c.ns !== XSD_NS) continue;
        if (c.local === 'import' || c.local === 'include' || c.local === 'redefine') {
          refs.push({
            kind: c.local,
            location: attr(c, 'schemaLocation') ?? '',
            namespace: c.local === 'import' ? (attr(c, 'namespace') ?? '') : '',
          });
        }
      }
    };
    if (doc.kind === 'xsd') fromSchema(doc.root);
    else {
      for (const c of elems(doc.root)) {
        if (c.ns === WSDL_NS && c.local === 'import') {
          refs.push({ kind: 'wsdl-import', location: attr(c, 'location') ?? '', namespace: attr(c, 'namespace') ?? '' });
        } else if (c.ns === WSDL_NS && c.local === 'types') {
          for (const s of elems(c)) if (s.ns === XSD_NS && s.local === 'schema') fromSchema(s);
        }
      }
    }
    return refs;
  }

  /** The wsdl-refused error for `ref` in `from`: the rule, and the location as written. */
  private refused(from: LoadedDoc, ref: DocRef, rule: ReferenceRule, other?: { origin?: string; redirected?: boolean }): WsdlError {
    const what = `${ref.kind === 'wsdl-import' ? 'location' : 'schemaLocation'} "${ref.location}"`;
    return this.refusal(what, { rule, location: ref.location, from: DocumentSet.nameOf(from) }, other);
  }

  private refusal(what: string, refusal: { rule: ReferenceRule; location: string; from: string }, other: { origin?: string; redirected?: boolean } = {}): WsdlError {
    return new WsdlError('wsdl-refused', refusalMessage(what, refusal, { contract: 'WSDL', withSchemas: true, ...other }), [], { refusal });
  }

  /** A URL the WSDL's origin allows, or the refusal of `ref`. */
  private onOrigin(from: LoadedDoc, ref: DocRef, url: URL): Candidate {
    if (url.origin !== this.mainOrigin) throw this.refused(from, ref, 'other-origin', { origin: url.origin });
    return { location: url.href, origin: 'remote' };
  }

  private resolve(from: LoadedDoc, ref: DocRef): LoadedDoc | WsdlError | undefined {
    const loc = ref.location.trim();
    const local: DocOrigin = from.origin === 'builtin' ? 'builtin' : from.origin === 'catalogue' ? 'catalogue' : 'beside';
    const candidates: Candidate[] = [];
    if (isNetworkPath(loc)) {
      // Protocol-relative: against the WSDL URL's scheme, then held to its origin.
      if (!this.mainUrl) throw this.refused(from, ref, 'other-origin');
      const url = parseUrl(loc, isUrl(from.location) ? from.location : this.mainUrl);
      if (!url) throw this.refused(from, ref, 'other-origin');
      candidates.push(this.onOrigin(from, ref, url));
    } else if (!hasScheme(loc)) {
      if (isUrl(from.location)) {
        const url = parseUrl(loc, from.location);
        if (url) candidates.push(this.onOrigin(from, ref, url));
      } else {
        let rel = loc;
        try {
          rel = decodeURI(loc);
        } catch {
          /* keep as written */
        }
        candidates.push({ location: path.resolve(path.dirname(from.location), rel), origin: local, rule: path.isAbsolute(rel) ? 'absolute-path' : 'outside-roots' });
      }
    } else if (/^file:/i.test(loc)) {
      let file: string | undefined;
      try {
        file = fileURLToPath(loc);
      } catch {
        /* file://host/… or malformed: no local path, so nowhere inside the roots */
      }
      if (!file || !this.roots.contains(file)) throw this.refused(from, ref, 'absolute-path');
      candidates.push({ location: file, origin: local, rule: 'absolute-path' });
    } else if (isUrl(loc)) {
      const name = lastSegment(loc);
      const url = parseUrl(loc);
      if (this.mainOrigin && url && url.origin === this.mainOrigin) candidates.push({ location: url.href, origin: 'remote' });
      if (name) {
        if (this.mainDir) candidates.push({ location: path.join(this.mainDir, name), origin: 'beside', rule: 'outside-roots' });
        if (!isUrl(from.location)) candidates.push({ location: path.join(path.dirname(from.location), name), origin: from.origin === 'builtin' ? 'builtin' : 'beside', rule: 'outside-roots' });
      }
    }
    let unreachable: WsdlError | undefined;
    for (const c of candidates) {
      let location = c.location;
      if (c.origin !== 'remote') {
        const found = this.roots.resolve(location);
        if ('outside' in found) throw this.refused(from, ref, c.rule ?? 'outside-roots');
        if ('missing' in found) continue;
        location = found.path;
      }
      const got = this.read(location, c.origin);
      if (got instanceof OffOriginRedirect) throw this.refused(from, ref, 'other-origin', { origin: safeOrigin(got.target), redirected: got.target !== got.url });
      if (got instanceof WsdlError) {
        if (got.code === 'wsdl-unreachable') {
          unreachable = got;
          continue;
        }
        throw got;
      }
      if (got) return got;
    }
    const fromCatalogue = this.fromCatalogues(lastSegment(loc), ref.namespace, from, ref);
    if (fromCatalogue) return fromCatalogue;
    return unreachable;
  }

  private fromCatalogues(name: string, namespace: string, from?: LoadedDoc, ref?: DocRef): LoadedDoc | undefined {
    for (const byNs of [false, true]) {
      for (const cat of this.catalogues) {
        const index = indexCatalogue(cat.dir, this.limits);
        const file = byNs ? (namespace ? index.byNamespace.get(namespace)?.[0] : undefined) : name ? index.byName.get(name) : undefined;
        if (!file) continue;
        if (file === 'refused') {
          if (from && ref) throw this.refused(from, ref, 'outside-roots');
          continue;
        }
        const got = this.read(file, cat.origin);
        if (got instanceof OffOriginRedirect) continue; // never: catalogue files are local
        if (got instanceof WsdlError) throw got;
        if (got && (!byNs || got.kind === 'xsd')) return got;
      }
    }
    return undefined;
  }

  /**
   * A schema for `namespace` from the catalogues, loaded to fill in components the contract
   * refers to but does not define (e.g. xrd:issue in a WSDL whose inline X-Road schema is
   * reduced). Returns the newly loaded documents.
   */
  supplement(namespace: string): LoadedDoc[] {
    const before = this.docs.length;
    for (const cat of this.catalogues) {
      const file = indexCatalogue(cat.dir, this.limits).byNamespace.get(namespace)?.[0];
      if (!file || this.byLocation.has(file)) continue;
      this.supplementing = true;
      try {
        const got = this.read(file, cat.origin);
        if (got instanceof WsdlError) throw got;
        if (!got || got instanceof OffOriginRedirect) continue;
        this.process(got);
      } finally {
        this.supplementing = false;
      }
      break;
    }
    return this.docs.slice(before);
  }
}

/**
 * The OpenAPI document and every document it refers to, loaded up front so that resolving a
 * `$ref` afterwards is synchronous.
 *
 * Where a `$ref` may lead (the contract is code we did not write, so it must not make us read
 * the machine's files or fetch arbitrary URLs): a local pointer (`#/components/...`) into the
 * same document; a relative reference (`schemas/person.yaml#/Person`) next to the document that
 * holds it — a file beside a file, or a URL beside a URL that was itself fetched. An absolute
 * http(s) URL is never fetched: save a copy beside the contract and refer to it relatively. A
 * missing target is an error naming the reference and the document that holds it, unless the
 * import is lenient (`allowUnresolved`), when it is recorded and its schema becomes `{}` with a
 * warning.
 *
 * Refused whatever `allowUnresolved` says (connectors/contract-references.ts, the rules the WSDL
 * importer applies too): a file outside the contract's folder, reached by `..`, an absolute path,
 * a `file:` URL or a symlink, checked on the real path without touching anything outside
 * (`outside-roots`, `absolute-path`); for a contract fetched by URL, a reference or a redirect
 * leading to another origin than that URL's (a protocol-relative `//host/…` included), which is
 * never requested (`other-origin`); a protocol-relative reference in a contract read from a file.
 * The error is a ContractLoadError whose `refusal` names the rule and the `$ref` as written.
 */
import { readFile, stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { fetchOnOrigin, FetchStatusError, isNetworkPath, LocalRoots, OffOriginRedirect, refusalMessage, safeOrigin, type ReferenceRefusal, type ReferenceRule } from '../../contract-references';

/** Largest contract document we load (file or URL). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export interface Resolved {
  /** The value the reference points at (undefined when it is unresolved and the import lenient). */
  value: unknown;
  /** Location (absolute path or URL) of the document that holds it: its own `$ref`s are relative to it. */
  doc: string;
  /** JSON pointer inside that document ('' for the whole document). */
  pointer: string;
}

export class ContractLoadError extends Error {
  override name = 'ContractLoadError';
  /** Set when a reference was refused: which rule, which `$ref` as written, in which document. */
  readonly refusal?: ReferenceRefusal;

  constructor(message: string, opts: { refusal?: ReferenceRefusal; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    if (opts.refusal) this.refusal = opts.refusal;
  }
}

interface LoadedDocument {
  location: string;
  text: string;
  value: unknown;
}

export class DocumentSet {
  private readonly docs = new Map<string, LoadedDocument>();
  /** Where a fetched URL was redirected: relative refs in it resolve against the final URL. */
  private readonly aliases = new Map<string, string>();
  /** Unresolvable references, by `doc\0ref`, with the reason (lenient imports only). */
  private readonly unresolved = new Map<string, string>();

  /** Where each `$ref` address found in a document leads, by `doc\0address` (see place()). */
  private readonly placed = new Map<string, string>();
  /** A contract fetched by URL: its origin, the only one ever fetched. */
  private readonly origin?: string;
  /** A contract read from a file: its folder, where local references must stay. */
  private readonly roots: LocalRoots;

  private constructor(private rootLocation: string, private readonly allowUnresolved: boolean) {
    if (isUrl(rootLocation)) this.origin = new URL(rootLocation).origin;
    this.roots = new LocalRoots(isUrl(rootLocation) ? [] : [dirname(rootLocation)]);
  }

  /** Location of the main document (after redirects). */
  get root(): string {
    return this.rootLocation;
  }

  /** Loads `source` (a path or an http(s) URL) and, transitively, every document it refers to. */
  static async load(source: string, opts: { allowUnresolved?: boolean } = {}): Promise<DocumentSet> {
    let root: string;
    if (isUrl(source)) root = new URL(source).href;
    else {
      const abs = resolvePath(source);
      root = join(realDir(dirname(abs)), basename(abs));
    }
    const set = new DocumentSet(root, opts.allowUnresolved ?? false);
    await set.loadTree(root, source);
    return set;
  }

  get rootValue(): unknown {
    return this.docs.get(this.root)!.value;
  }

  get rootIsRemote(): boolean {
    return isUrl(this.root);
  }

  /** Where the reference `ref`, found in document `from`, points. */
  resolve(ref: string, from: string): Resolved {
    const { doc: address, pointer } = this.target(ref, from);
    const doc = this.aliases.get(address) ?? address;
    const loaded = this.docs.get(doc);
    const why = this.unresolved.get(`${from}\0${ref}`);
    if (!loaded) {
      if (why !== undefined || this.allowUnresolved) return { value: undefined, doc, pointer };
      throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)} cannot be resolved`);
    }
    const value = evaluatePointer(loaded.value, pointer);
    if (value === undefined) {
      if (this.allowUnresolved) {
        this.unresolved.set(`${from}\0${ref}`, 'no such pointer');
        return { value: undefined, doc, pointer };
      }
      throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)}: ${this.display(doc)} has nothing at #${pointer}`);
    }
    return { value, doc, pointer };
  }

  /** Follows `$ref` chains (parameters, request bodies, responses…) to the object they name. */
  deref(value: unknown, doc: string): Resolved {
    let cur: Resolved = { value, doc, pointer: '' };
    for (let hops = 0; isRefObject(cur.value); hops++) {
      if (hops > 32) throw new ContractLoadError(`$ref chain too long from ${this.display(doc)}`);
      cur = this.resolve(cur.value.$ref, cur.doc);
    }
    return cur;
  }

  /** Reasons references were left unresolved, for the import's warnings. */
  unresolvedWarnings(): string[] {
    return [...this.unresolved].map(([key, why]) => {
      const [from, ref] = key.split('\0');
      return `unresolved $ref "${ref}" in ${this.display(from!)} (${why}); its schema was left open ({})`;
    });
  }

  /** The documents as files for contract/, by path relative to their common folder; the root first. */
  files(): Array<{ path: string; content: string }> {
    const locations = [...this.docs.keys()];
    const paths = relativePaths(locations);
    return locations.map((loc, i) => ({ path: paths[i]!, content: this.docs.get(loc)!.text }));
  }

  /** A location as shown in messages: relative to the root's folder. */
  display(location: string): string {
    if (location === this.root) return isUrl(location) ? location : location.split(sep).pop()!;
    if (isUrl(location) || isUrl(this.root)) return location;
    return relative(dirname(this.root), location) || location;
  }

  private target(ref: string, from: string): { doc: string; pointer: string } {
    const hash = ref.indexOf('#');
    const address = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    let pointer: string;
    try {
      pointer = decodeURIComponent(fragment);
    } catch {
      throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)} has a malformed fragment`);
    }
    if (pointer !== '' && !pointer.startsWith('/')) {
      throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)}: only JSON pointer fragments are supported (anchors are not)`);
    }
    if (address === '') return { doc: from, pointer };
    if (isAbsoluteUri(address) && !/^file:/i.test(address)) return { doc: address, pointer }; // never fetched: unresolved
    return { doc: this.placed.get(`${from}\0${address}`) ?? this.place(address, ref, from), pointer };
  }

  /** The ContractLoadError refusing `ref` (as written) in document `from`. */
  private refused(ref: string, from: string, rule: ReferenceRule, other: { origin?: string; redirected?: boolean } = {}): ContractLoadError {
    const refusal: ReferenceRefusal = { rule, location: ref, from: this.display(from) };
    return new ContractLoadError(refusalMessage(`$ref "${ref}"`, refusal, { contract: 'contract', withSchemas: false, ...other }), { refusal });
  }

  /**
   * Where the address part of `ref`, found in document `from`, leads: a URL on the contract's
   * origin, or the real path of a file inside the contract's folder (the path itself when it
   * does not exist: reading it then says so). Throws the refusal when it may not lead there.
   * An absolute http(s) URL is not placed here: loadTree never fetches it.
   */
  private place(address: string, ref: string, from: string): string {
    if (isNetworkPath(address) || isUrl(from)) {
      if (!this.origin) throw this.refused(ref, from, 'other-origin');
      if (/^file:/i.test(address)) throw this.refused(ref, from, 'absolute-path');
      let url: URL;
      try {
        url = new URL(address, isUrl(from) ? from : this.root);
      } catch {
        throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)} is not a valid URL reference`);
      }
      if (url.origin !== this.origin) throw this.refused(ref, from, 'other-origin', { origin: url.origin });
      return url.href;
    }
    let file: string;
    let rule: ReferenceRule;
    if (/^file:/i.test(address)) {
      try {
        file = fileURLToPath(address);
      } catch {
        throw this.refused(ref, from, 'absolute-path');
      }
      rule = 'absolute-path';
    } else {
      let decoded: string;
      try {
        decoded = decodeURIComponent(address);
      } catch {
        throw new ContractLoadError(`$ref "${ref}" in ${this.display(from)} is not a valid relative reference`);
      }
      rule = isAbsolute(decoded) ? 'absolute-path' : 'outside-roots';
      file = resolvePath(dirname(from), decoded);
    }
    const found = this.roots.resolve(file);
    if ('outside' in found) throw this.refused(ref, from, rule);
    return 'path' in found ? found.path : file;
  }

  private async loadTree(root: string, source: string): Promise<void> {
    const queue: Array<{ location: string; ref?: string; from?: string }> = [{ location: root }];
    while (queue.length) {
      const item = queue.shift()!;
      if (this.docs.has(this.aliases.get(item.location) ?? item.location)) continue;
      let doc: LoadedDocument;
      try {
        doc = await this.fetchDocument(item.location, item.from !== undefined);
      } catch (err) {
        if (err instanceof OffOriginRedirect) {
          const redirect = { origin: safeOrigin(err.target), redirected: true };
          if (item.ref === undefined) {
            const refusal: ReferenceRefusal = { rule: 'other-origin', location: source, from: '' };
            throw new ContractLoadError(refusalMessage(`the contract ${source}`, refusal, { contract: 'contract', withSchemas: false, ...redirect }), { refusal });
          }
          throw this.refused(item.ref, item.from!, 'other-origin', redirect);
        }
        if (item.ref === undefined) throw err;
        const why = (err as Error).message;
        if (this.allowUnresolved) {
          this.unresolved.set(`${item.from}\0${item.ref}`, why);
          continue;
        }
        throw new ContractLoadError(`$ref "${item.ref}" in ${this.display(item.from!)} cannot be loaded: ${why}`);
      }
      if (doc.location !== item.location) {
        this.aliases.set(item.location, doc.location);
        if (item.location === this.rootLocation) this.rootLocation = doc.location;
        if (this.docs.has(doc.location)) continue;
      }
      this.docs.set(doc.location, doc);
      for (const ref of collectRefs(doc.value)) {
        const hash = ref.indexOf('#');
        const address = hash < 0 ? ref : ref.slice(0, hash);
        if (address === '') continue;
        if (isAbsoluteUri(address) && !/^file:/i.test(address)) {
          const why = 'an absolute URL is never fetched; save a copy beside the contract and refer to it by a relative path';
          if (!this.allowUnresolved) throw new ContractLoadError(`$ref "${ref}" in ${this.display(item.location)}: ${why}`);
          this.unresolved.set(`${item.location}\0${ref}`, why);
          continue;
        }
        // Refusals (outside the folder, another origin) are thrown here, lenient or not.
        const location = this.place(address, ref, doc.location);
        this.placed.set(`${doc.location}\0${address}`, location);
        queue.push({ location, ref, from: doc.location });
      }
    }
  }

  private async fetchDocument(location: string, referenced: boolean): Promise<LoadedDocument> {
    const fetched = isUrl(location) ? await fetchText(location, this.origin!) : { text: await readText(location, referenced), url: location };
    return { location: fetched.url, text: fetched.text, value: parseDocument(fetched.text, this.display(location)) };
  }
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

function isAbsoluteUri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);
}

/** The real path of a folder, or the path itself when it does not exist (reading then fails clearly). */
function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

function isRefObject(v: unknown): v is { $ref: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $ref?: unknown }).$ref === 'string';
}

function collectRefs(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else if (k !== 'example' && k !== 'examples') collectRefs(v, out);
    }
  }
  return out;
}

export function evaluatePointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof cur !== 'object' || cur === null || !Object.prototype.hasOwnProperty.call(cur, token)) return undefined;
    cur = (cur as Record<string, unknown>)[token];
  }
  return cur;
}

function parseDocument(text: string, name: string): unknown {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  try {
    if (trimmed.startsWith('{')) return JSON.parse(trimmed);
    // The core schema (YAML 1.2): `no` stays a string. Few aliases, so an alias bomb fails fast.
    return parseYaml(trimmed, { maxAliasCount: 1000, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ContractLoadError(`cannot parse ${name}: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function readText(path: string, referenced: boolean): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ContractLoadError(referenced ? 'no such file' : `no such file: ${path}`);
  }
  if (size > MAX_DOCUMENT_BYTES) throw new ContractLoadError(`document over ${MAX_DOCUMENT_BYTES} bytes`);
  return readFile(path, 'utf8');
}

/** GET a document of a contract fetched by URL: redirects followed on its origin only. */
async function fetchText(url: string, origin: string): Promise<{ text: string; url: string }> {
  try {
    const got = await fetchOnOrigin(url, origin, {
      accept: 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5',
      connectTimeoutMs: 5000,
      timeoutMs: 30000,
      maxBytes: MAX_DOCUMENT_BYTES,
    });
    return { text: got.body.toString('utf8'), url: got.url };
  } catch (err) {
    if (err instanceof FetchStatusError) throw new ContractLoadError(`fetching ${err.url}: ${err.message}`);
    if (err instanceof OffOriginRedirect) throw err;
    if (err instanceof Error && /^too many redirects/.test(err.message)) throw new ContractLoadError(`fetching ${url}: too many redirects`);
    throw err;
  }
}

/** Paths relative to the documents' common folder (or URL directory), so relative refs still work. */
function relativePaths(locations: string[]): string[] {
  const remote = locations.map(isUrl);
  const parts = locations.map((loc, i) => (remote[i] ? new URL(loc).pathname.split('/').map(decodeURIComponent) : loc.split(sep)));
  const dirs = parts.map((p) => p.slice(0, -1));
  let common = dirs[0]!.length;
  for (const d of dirs) {
    let n = 0;
    while (n < common && n < d.length && d[n] === dirs[0]![n]) n++;
    common = n;
  }
  return parts.map((p) => p.slice(common).join('/') || 'openapi');
}

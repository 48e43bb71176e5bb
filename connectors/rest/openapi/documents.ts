/**
 * The OpenAPI document and every document it refers to, loaded up front so that resolving a
 * `$ref` afterwards is synchronous.
 *
 * Where a `$ref` may lead (the contract is code we did not write, so it must not make us fetch
 * arbitrary URLs): a local pointer (`#/components/...`) into the same document; a relative
 * reference (`schemas/person.yaml#/Person`) next to the document that holds it — a file beside a
 * file, or a URL beside a URL that was itself fetched. An absolute URL (`https://…`, `file:…`) is
 * never fetched: save a copy beside the contract and refer to it relatively. A missing target
 * is an error naming the reference and the document that holds it, unless the import is lenient
 * (`allowUnresolved`), when it is recorded and its schema becomes `{}` with a warning.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sharedHttpClient } from '../../http/client';

/** Largest contract document we load (file or URL). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;

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

  private constructor(private rootLocation: string, private readonly allowUnresolved: boolean) {}

  /** Location of the main document (after redirects). */
  get root(): string {
    return this.rootLocation;
  }

  /** Loads `source` (a path or an http(s) URL) and, transitively, every document it refers to. */
  static async load(source: string, opts: { allowUnresolved?: boolean } = {}): Promise<DocumentSet> {
    const root = isUrl(source) ? new URL(source).href : resolvePath(source);
    const set = new DocumentSet(root, opts.allowUnresolved ?? false);
    await set.loadTree(root);
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
    return { doc: locate(address, from), pointer };
  }

  private async loadTree(root: string): Promise<void> {
    const queue: Array<{ location: string; ref?: string; from?: string }> = [{ location: root }];
    while (queue.length) {
      const item = queue.shift()!;
      if (this.docs.has(this.aliases.get(item.location) ?? item.location)) continue;
      let doc: LoadedDocument;
      try {
        doc = await this.fetchDocument(item.location, item.from !== undefined);
      } catch (err) {
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
        if (isAbsoluteUri(address)) {
          const why = 'an absolute URL is never fetched; save a copy beside the contract and refer to it by a relative path';
          if (!this.allowUnresolved) throw new ContractLoadError(`$ref "${ref}" in ${this.display(item.location)}: ${why}`);
          this.unresolved.set(`${item.location}\0${ref}`, why);
          continue;
        }
        queue.push({ location: locate(address, doc.location), ref, from: doc.location });
      }
    }
  }

  private async fetchDocument(location: string, referenced: boolean): Promise<LoadedDocument> {
    const fetched = isUrl(location) ? await fetchText(location) : { text: await readText(location, referenced), url: location };
    return { location: fetched.url, text: fetched.text, value: parseDocument(fetched.text, this.display(location)) };
  }
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

function isAbsoluteUri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);
}

/** A relative address against the document that holds it. */
function locate(address: string, from: string): string {
  if (isUrl(from)) return new URL(address, from).href;
  const path = decodeURIComponent(address);
  return isAbsolute(path) ? path : resolvePath(dirname(from), path);
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

async function fetchText(url: string): Promise<{ text: string; url: string }> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await sharedHttpClient.request({
      url: current,
      method: 'GET',
      headers: { accept: 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5' },
      connectTimeoutMs: 5000,
      timeoutMs: 30000,
      maxResponseBytes: MAX_DOCUMENT_BYTES,
    });
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
      current = new URL(location, current).href;
      continue;
    }
    if (res.status < 200 || res.status >= 300) throw new ContractLoadError(`fetching ${current}: HTTP ${res.status}`);
    return { text: res.body.toString('utf8'), url: current };
  }
  throw new ContractLoadError(`fetching ${url}: too many redirects`);
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

/**
 * Where the references inside a contract may lead — a WSDL's wsdl:import / xsd:import /
 * xsd:include / xsd:redefine locations (connectors/soap/wsdl/load.ts) and an OpenAPI document's
 * `$ref`s (connectors/rest/openapi/documents.ts). A contract is a document we did not write: its
 * references must not make an import read a file of the machine it runs on, nor make it fetch
 * from a host the operator did not name.
 *
 *  - Local files: only inside the roots — the contract's own folder (and its subfolders), the
 *    `--schemas` folders, wasl's built-in catalogue — on the real path: `..`, absolute paths,
 *    `file:` URLs and symlinks are followed only while they stay inside. `LocalRoots.resolve`
 *    walks the path one component at a time and reads a symlink's target without looking at it,
 *    so nothing outside the roots is ever opened or even stat'ed, and a refusal says the same
 *    whether the file outside exists or not.
 *  - The network: only for a contract fetched by URL, and only on that URL's exact origin
 *    (scheme, host, port), redirects included (`fetchOnOrigin`). A protocol-relative `//host/…`
 *    is resolved against the contract URL's scheme and then held to the same rule.
 *
 * A reference that breaks a rule is refused — never treated as merely missing, so
 * `--allow-unresolved` does not let it through — and the refusal names its rule
 * (`ReferenceRule`, stable codes documented in docs/import-errors.md) and the location as
 * written in the contract.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { sharedHttpClient, type TlsOptions } from './http/client';

export type ReferenceRule = 'outside-roots' | 'absolute-path' | 'other-origin';

/** What each rule refuses, as messages and docs/import-errors.md say it. */
export const REFERENCE_RULES: Readonly<Record<ReferenceRule, string>> = {
  'outside-roots': "a relative location that leads outside the contract's folder and --schemas (by `..` or through a symlink)",
  'absolute-path': "an absolute path or file: URL outside the contract's folder and --schemas",
  'other-origin': "a location on another origin than the contract's (a protocol-relative //host/… included), or a redirect to one; a contract read from a file fetches nothing",
};

export interface ReferenceRefusal {
  rule: ReferenceRule;
  /** The reference as written in the contract (or the contract URL as given, when that is refused). */
  location: string;
  /** The document that holds it (file name or URL); '' for the contract itself. */
  from: string;
}

/**
 * The sentence that says why: the rule in words, and what to do. `what` names the reference as
 * the contract writes it (`schemaLocation "…"`, `$ref "…"`); `contract` is "WSDL" or "contract";
 * `withSchemas` whether the importer takes --schemas; `origin` the other origin (when the
 * contract was fetched by URL), `redirected` when a redirect led there. Built from the rule and
 * the reference as written only: nothing about the file system.
 */
export function refusalMessage(what: string, r: ReferenceRefusal, opts: { contract: string; withSchemas: boolean; origin?: string; redirected?: boolean }): string {
  const roots = opts.withSchemas ? "the contract's folder and --schemas" : "the contract's folder";
  const where = r.from ? ` in ${r.from}` : '';
  const c = opts.contract;
  let why: string;
  if (r.rule === 'outside-roots') {
    why = `it leads outside ${roots}. A file of the contract goes beside it or in a subfolder${opts.withSchemas ? ', or in a folder given with --schemas' : ''}`;
  } else if (r.rule === 'absolute-path') {
    why = `it is an absolute path outside ${roots}. Refer to a file of the contract by a relative path`;
  } else {
    why = opts.origin
      ? `it ${opts.redirected ? 'redirects to' : 'is on'} ${opts.origin}, another origin than the ${c}'s; only the origin the ${c} was fetched from is ever fetched`
      : `it names another origin than the ${c}'s, and a ${c} read from a file fetches nothing`;
    why += `. Save a copy beside the ${c} and refer to it by a relative path`;
  }
  return `${what}${where} is refused [${r.rule}]: ${why}.`;
}

/** `//host/…` or `\\host…`: a network-path reference (RFC 3986 §4.2; WHATWG URL reads backslashes as slashes). */
export function isNetworkPath(location: string): boolean {
  return /^[\\/]{2}/.test(location);
}

type Resolution = { path: string } | { missing: true } | { outside: true };

/** The folders local references may lead into, each known by its path as given and its real path. */
export class LocalRoots {
  private readonly roots: Array<{ lexical: string; real: string }> = [];

  constructor(dirs: Iterable<string>) {
    for (const dir of dirs) {
      const lexical = path.resolve(dir);
      let real: string;
      try {
        real = realpathSync(lexical);
      } catch {
        continue; // a folder that does not exist holds nothing (the caller reports it if it matters)
      }
      if (!this.roots.some((r) => r.lexical === lexical && r.real === real)) this.roots.push({ lexical, real });
    }
  }

  /** Whether `p` is, by its path alone, inside a root (no file system access). */
  contains(p: string): boolean {
    return this.rootOf(path.resolve(p)) !== undefined;
  }

  /**
   * The real path of `p` when it exists inside a root and stays inside while its symlinks are
   * followed; `missing` when it does not exist (inside); `outside` when it leads outside — decided
   * without ever touching a path outside the roots.
   */
  resolve(p: string): Resolution {
    return this.walk(path.resolve(p), 0);
  }

  private rootOf(abs: string): { real: string; rest: string[] } | undefined {
    let best: { real: string; rest: string[] } | undefined;
    for (const r of this.roots) {
      for (const base of [r.lexical, r.real]) {
        const rel = path.relative(base, abs);
        if (rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))) {
          const rest = rel.split(path.sep).filter(Boolean);
          if (!best || rest.length < best.rest.length) best = { real: r.real, rest };
        }
      }
    }
    return best;
  }

  private walk(abs: string, hops: number): Resolution {
    const root = this.rootOf(abs);
    if (!root) return { outside: true };
    let cur = root.real;
    for (let i = 0; i < root.rest.length; i++) {
      const next = path.join(cur, root.rest[i] as string);
      let isLink: boolean;
      let isDir: boolean;
      try {
        const st = lstatSync(next);
        isLink = st.isSymbolicLink();
        isDir = st.isDirectory();
      } catch {
        return { missing: true };
      }
      if (isLink) {
        if (hops >= 40) return { missing: true }; // a symlink loop, as the OS would say ELOOP
        let target: string;
        try {
          target = readlinkSync(next);
        } catch {
          return { missing: true };
        }
        // The target is only read, never looked at: it is walked again from a root, if inside one.
        return this.walk(path.resolve(cur, target, ...root.rest.slice(i + 1)), hops + 1);
      }
      if (i < root.rest.length - 1 && !isDir) return { missing: true };
      cur = next;
    }
    return { path: cur };
  }
}

/** Why a fetch went no further: a redirect to another origin than the contract's. */
export class OffOriginRedirect extends Error {
  override name = 'OffOriginRedirect';
  constructor(
    readonly url: string,
    readonly target: string,
  ) {
    super(`${url} redirects to another origin (${safeOrigin(target)})`);
  }
}

/** An HTTP status that is not a success, from the final URL. */
export class FetchStatusError extends Error {
  override name = 'FetchStatusError';
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`HTTP ${status}`);
  }
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

export const MAX_REDIRECTS = 5;

/**
 * Tighter settings for the contract fetches made inside `withFetchSettings` (`wasl provider
 * check`, connectors/import/drift-check.ts): the provider's TLS (private CA, client certificate),
 * and limits that may only lower the importer's own (the smaller size limit and timeouts win).
 */
export interface FetchSettings {
  tls?: TlsOptions;
  maxBytes?: number;
  connectTimeoutMs?: number;
  timeoutMs?: number;
}

const fetchSettings = new AsyncLocalStorage<FetchSettings>();

/** Runs `fn` with every fetchOnOrigin inside it (WSDL and OpenAPI loading included) under `settings`. */
export function withFetchSettings<T>(settings: FetchSettings, fn: () => Promise<T>): Promise<T> {
  return fetchSettings.run(settings, fn);
}

const lower = (a: number, b: number | undefined) => (b === undefined ? a : Math.min(a, b));

/**
 * GET `url`, following redirects only while they stay on `origin` (at most MAX_REDIRECTS): a
 * redirect elsewhere is an OffOriginRedirect and is never requested. Throws FetchStatusError for
 * a final status that is not 2xx, and the HTTP client's errors for transport failures.
 */
export async function fetchOnOrigin(url: string, origin: string, opts: { accept: string; connectTimeoutMs: number; timeoutMs: number; maxBytes: number }): Promise<{ url: string; body: Buffer }> {
  if (safeOrigin(url) !== origin) throw new OffOriginRedirect(url, url);
  const scoped = fetchSettings.getStore();
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await sharedHttpClient.request({
      url: current,
      method: 'GET',
      headers: { accept: opts.accept },
      connectTimeoutMs: lower(opts.connectTimeoutMs, scoped?.connectTimeoutMs),
      timeoutMs: lower(opts.timeoutMs, scoped?.timeoutMs),
      maxResponseBytes: lower(opts.maxBytes, scoped?.maxBytes),
      ...(scoped?.tls ? { tls: scoped.tls } : {}),
    });
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
      let next: string;
      try {
        next = new URL(location, current).href;
      } catch {
        throw new FetchStatusError(current, res.status);
      }
      if (safeOrigin(next) !== origin) throw new OffOriginRedirect(current, next);
      current = next;
      continue;
    }
    if (res.status < 200 || res.status >= 300) throw new FetchStatusError(current, res.status);
    return { url: current, body: res.body };
  }
  throw new Error(`too many redirects from ${url}`);
}

/**
 * WSDL → ServiceModel. `compileWsdlFile` is synchronous (local files and catalogues only: what
 * loading an imported provider needs); `compileWsdl` also takes an http(s) URL for the WSDL and
 * fetches it — and imports relative to it, or on its origin — through the shared HTTP client with
 * the contract XML limits, following redirects only while they stay on the WSDL URL's origin
 * (fetchOnOrigin). Nothing else is ever fetched.
 */
import { fetchOnOrigin, safeOrigin } from '../../contract-references';
import type { XmlLimits } from '../../xml/parse';
import type { ServiceModel } from '../model';
import { WsdlError, type MissingSchema } from './errors';
import { CONTRACT_XML_LIMITS, DocumentSet, NeedFetch, type FetchedDocument, type LoadedDoc } from './load';
import { SchemaSet } from './schema-set';
import { ServiceBuilder, type SelectOptions } from './wsdl';
import { TypeCompiler } from './xsd';

export interface CompileOptions extends SelectOptions {
  /** Folders of schemas to resolve imports from (--schemas). */
  schemas?: string[];
  /** Compile even when schemas are missing: their types become raw XML (AnyTypeModel), each listed in warnings. */
  allowUnresolved?: boolean;
  limits?: XmlLimits;
}

export interface CompiledContract {
  model: ServiceModel;
  /** Every document read: the WSDL first, then imported WSDLs and schemas, in load order. */
  documents: LoadedDoc[];
  missing: MissingSchema[];
  warnings: string[];
}

export function compileWsdlFile(location: string, opts: CompileOptions = {}, fetched?: Map<string, FetchedDocument | Error>): CompiledContract {
  const docs = new DocumentSet(location, { catalogues: opts.schemas, limits: opts.limits, fetched });
  const warnings = [...docs.warnings];
  if (docs.missing.length && !opts.allowUnresolved) throw missingError(docs.missing);
  for (const m of docs.missing) {
    warnings.push(`schema ${m.location}${m.namespace ? ` (namespace ${m.namespace})` : ''}, imported by ${m.from}, is not available: its types are carried as raw XML`);
  }
  const set = new SchemaSet(docs);
  const types = new TypeCompiler(set);
  const builder = new ServiceBuilder(docs, types);
  const model = builder.build(opts);
  warnings.push(...set.warnings, ...types.warnings, ...builder.warnings);
  if (types.unresolved.size) {
    const list = [...types.unresolved.entries()].map(([what, from]) => `${what} (used by ${from})`);
    if (!opts.allowUnresolved) {
      throw new WsdlError(
        'wsdl-unresolved',
        `the contract refers to ${list.length} component(s) no schema defines:\n${list.map((l) => `  - ${l}`).join('\n')}\n` +
          'Provide the schema that defines them (beside the WSDL, or --schemas <dir>), or import with --allow-unresolved to carry them as raw XML.',
      );
    }
    for (const l of list) warnings.push(`unresolved ${l}: carried as raw XML`);
  }
  model.warnings = [...new Set(warnings)];
  return { model, documents: docs.docs, missing: docs.missing, warnings: model.warnings };
}

function missingError(missing: MissingSchema[]): WsdlError {
  const lines = missing.map((m) => `  - ${m.location}${m.namespace ? ` (namespace ${m.namespace})` : ''}, imported by ${m.from}`);
  const names = [...new Set(missing.map((m) => m.location.split(/[?#]/)[0]?.split('/').pop() ?? ''))].filter(Boolean);
  return new WsdlError(
    'wsdl-unresolved',
    `${missing.length} schema(s) the contract imports could not be found locally (wasl never fetches them from the internet):\n${lines.join('\n')}\n` +
      `Put a copy of each beside the WSDL, named as the last part of its location (${names.map((n) => decodeSafe(n)).join(', ')}), ` +
      'or give a folder of schemas with --schemas <dir>; or import anyway with --allow-unresolved (their types then become raw XML strings).',
    missing,
  );
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Fetches one document of a contract given by URL: GET, contract limits, redirects on `origin`
 * only (a redirect elsewhere comes back as an OffOriginRedirect, which load.ts refuses), a clear
 * error when unreachable.
 */
async function fetchDocument(url: string, origin: string, limits: XmlLimits): Promise<FetchedDocument | Error> {
  try {
    return await fetchOnOrigin(url, origin, { accept: 'text/xml, application/xml, */*', connectTimeoutMs: 10_000, timeoutMs: 60_000, maxBytes: limits.maxBytes });
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export async function compileWsdl(location: string, opts: CompileOptions = {}): Promise<CompiledContract> {
  const fetched = new Map<string, FetchedDocument | Error>();
  const origin = safeOrigin(location);
  for (;;) {
    try {
      return compileWsdlFile(location, opts, fetched);
    } catch (err) {
      if (!(err instanceof NeedFetch)) throw err;
      if (fetched.has(err.url) || fetched.size >= 200) throw new WsdlError('wsdl-unreachable', `too many documents to fetch for ${location}`);
      fetched.set(err.url, await fetchDocument(err.url, origin, opts.limits ?? CONTRACT_XML_LIMITS));
    }
  }
}

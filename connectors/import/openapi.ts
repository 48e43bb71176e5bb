/**
 * OpenAPI 3.0.x / 3.1.x importer: a document (JSON or YAML, a file or an http(s) URL) and the
 * documents it refers to → an ImportedContract that connectors/import/write.ts writes under
 * contracts/providers/<code>/.
 *
 * Each operation's input schema follows the REST input convention (connectors/rest/binding.ts):
 *
 *     { path?: {...}, query?: {...}, headers?: {...}, body?: ... }
 *
 * with each parameter under its location, typed by its own schema and required as declared (path
 * parameters always), `additionalProperties: false` in each group, and `body` the request body's
 * JSON schema (or the XML body in the connector's XML mapping). The output schema is the success
 * response's body (`{type: "null"}` when there is none). Schemas are converted to self-contained
 * JSON Schema 2020-12 (connectors/rest/openapi/schemas.ts); `$ref`s are resolved as
 * connectors/rest/openapi/documents.ts explains (local and relative, never absolute URLs; never
 * outside the contract's folder or off the origin of its URL, refused even when lenient).
 */
import type { ImportedContract } from './types';
import { DocumentSet } from '../rest/openapi/documents';
import { buildOperations } from '../rest/openapi/operations';
import { providerHints } from '../rest/openapi/provider-hints';
import { SchemaContext } from '../rest/openapi/schemas';

export interface OpenApiImportOptions {
  /** Import even when a `$ref` cannot be resolved: its schema becomes `{}` and a warning says so. */
  allowUnresolved?: boolean;
}

export async function importOpenApi(code: string, source: string, opts: OpenApiImportOptions = {}): Promise<ImportedContract> {
  const docs = await DocumentSet.load(source, opts);
  const root = docs.rootValue;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new Error(`${docs.display(docs.root)} is not an OpenAPI document`);
  const declared = (root as { openapi?: unknown; swagger?: unknown }).openapi;
  if (typeof declared !== 'string') {
    const swagger = (root as { swagger?: unknown }).swagger;
    throw new Error(swagger ? 'Swagger 2.0 is not supported: convert the document to OpenAPI 3 first' : `${docs.display(docs.root)} has no "openapi" version field`);
  }
  const version = /^3\.0\.\d+/.test(declared) ? '3.0' : /^3\.1\.\d+/.test(declared) ? '3.1' : undefined;
  if (!version) throw new Error(`OpenAPI ${declared} is not supported (3.0.x and 3.1.x are)`);

  const warnings: string[] = [];
  const ctx = new SchemaContext(docs, version, warnings);
  const operations = buildOperations(docs, ctx);
  if (operations.length === 0) warnings.push('the contract declares no operations');
  const { provider, endpoints } = providerHints(code, docs, warnings);
  warnings.push(...docs.unresolvedWarnings());

  return {
    kind: 'rest',
    contractType: 'openapi',
    files: docs.files(),
    operations,
    endpoints,
    provider,
    warnings,
  };
}

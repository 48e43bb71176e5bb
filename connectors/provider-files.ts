/**
 * Reads a provider written by `wasl provider import` (connectors/import/write.ts) from
 * contracts/providers/<code>/: provider.json validated against contracts/provider.schema.json,
 * each operation's JSON Schemas and binding, and — for a SOAP provider — its ServiceModel.
 *
 * The SOAP model is compiled from contract/ at load time (a few milliseconds), never cached on
 * disk, so it cannot drift from the contract beside it. contract/ is self-contained (the import
 * rewrote every schemaLocation to the local copies) and serves as its own schema catalogue;
 * the built-in catalogue is consulted after it. Loading is lenient about unresolved schemas: the
 * import already decided (--allow-unresolved), and their types stay raw XML.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createAjv, pointErrors, ref } from '../contracts';
import type { ProviderDefinition } from '../contracts/types';
import type { BindingsEntry } from './import/write';
import type { ServiceModel } from './soap/model';
import { compileWsdlFile } from './soap/wsdl/compile';

export const DEFAULT_PROVIDERS_ROOT = path.resolve(__dirname, '..', 'contracts', 'providers');

export interface ProviderOperationFiles {
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  binding: Record<string, unknown>;
  description?: string;
  idempotent: boolean;
}

export interface LoadedProvider {
  definition: ProviderDefinition;
  dir: string;
  operations: Record<string, ProviderOperationFiles>;
  /** SOAP providers only: compiled from contract/ at load time. */
  model?: ServiceModel;
}

export class ProviderLoadError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'ProviderLoadError';
  }
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new ProviderLoadError(`${what} is missing: ${file}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new ProviderLoadError(`${what} is not valid JSON (${file}): ${(err as Error).message}`);
  }
}

let validator: ReturnType<ReturnType<typeof createAjv>['getSchema']> | undefined;

export function validateProviderDefinition(def: unknown, where: string): ProviderDefinition {
  validator ??= createAjv().getSchema(ref('provider'));
  if (!validator) throw new ProviderLoadError('contracts/provider.schema.json is not loaded');
  if (!validator(def)) {
    const errs = pointErrors(validator.errors).map((e) => `${e.pointer || '/'} ${e.message}`);
    throw new ProviderLoadError(`${where} does not match contracts/provider.schema.json:\n${errs.map((e) => `  - ${e}`).join('\n')}`);
  }
  return def as ProviderDefinition;
}

export function loadProvider(code: string, root: string = DEFAULT_PROVIDERS_ROOT): LoadedProvider {
  const dir = path.join(root, code);
  if (!existsSync(dir)) throw new ProviderLoadError(`no provider "${code}" under ${root} (import it with: wasl provider import ${code} --wsdl <file> | --openapi <file>)`);
  const definition = validateProviderDefinition(readJson(path.join(dir, 'provider.json'), `provider.json of ${code}`), path.join(dir, 'provider.json'));
  if (definition.code !== code) throw new ProviderLoadError(`${path.join(dir, 'provider.json')} says code "${definition.code}", but its folder is "${code}"`);

  const operations: Record<string, ProviderOperationFiles> = {};
  const bindingsFile = path.join(dir, 'operations', 'bindings.json');
  if (existsSync(bindingsFile)) {
    const bindings = readJson(bindingsFile, `operations/bindings.json of ${code}`) as Record<string, BindingsEntry>;
    for (const [name, b] of Object.entries(bindings)) {
      if (!b || typeof b.inputSchema !== 'string' || typeof b.outputSchema !== 'string' || typeof b.binding !== 'object') {
        throw new ProviderLoadError(`operations/bindings.json of ${code}: entry "${name}" is malformed`);
      }
      const op: ProviderOperationFiles = {
        inputSchema: readJson(path.join(dir, 'operations', b.inputSchema), `input schema of ${code}/${name}`) as Record<string, unknown>,
        outputSchema: readJson(path.join(dir, 'operations', b.outputSchema), `output schema of ${code}/${name}`) as Record<string, unknown>,
        binding: b.binding,
        idempotent: b.idempotent === true,
      };
      if (b.description) op.description = b.description;
      operations[name] = op;
    }
  } else if (definition.contract.type !== 'manual') {
    throw new ProviderLoadError(`operations/bindings.json of ${code} is missing: re-import the provider`);
  }

  const out: LoadedProvider = { definition, dir, operations };
  if (definition.kind === 'soap' && definition.contract.type === 'wsdl') {
    if (!definition.contract.file) throw new ProviderLoadError(`${path.join(dir, 'provider.json')}: contract.file is required for a WSDL provider`);
    const file = path.join(dir, definition.contract.file);
    try {
      out.model = compileWsdlFile(file, {
        service: definition.contract.service,
        port: definition.contract.port,
        schemas: [path.join(dir, 'contract')],
        allowUnresolved: true,
      }).model;
    } catch (err) {
      throw new ProviderLoadError(`the contract of ${code} (${definition.contract.file}) does not compile: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}

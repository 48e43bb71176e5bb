/**
 * One way to get a connector for a provider, whatever it speaks: loads contracts/providers/<code>/
 * and builds the SOAP or REST connector for the environment.
 */
import type { Connector, Environment } from './connector';
import { loadProvider, type LoadedProvider } from './provider-files';
import { SoapConnector } from './soap/connector';
import { RestConnector } from './rest/connector';
import { applySandboxOverrides } from './sandbox-overrides';
import { secret } from './secrets';

export interface CreateConnectorOptions {
  /** Folder holding <code>/provider.json (default: the repository's contracts/providers). */
  providersRoot?: string;
  /**
   * Reads a secret by the environment variable name the provider file gives (connectors/secrets.ts
   * `secret` by default), for SOAP and REST alike — e.g. a wasl-provider node's credentials.
   */
  readSecret?: (envName: string) => string;
}

export function createConnector(code: string, env: Environment = 'sandbox', opts: CreateConnectorOptions = {}): Connector {
  return connectorFor(loadProvider(code, opts.providersRoot), env, opts);
}

/**
 * The connector of a provider already loaded (`loadProvider`, which compiles a SOAP provider's
 * contract): for a caller that reads the provider itself too, so the contract is compiled once.
 */
export function connectorFor(loaded: LoadedProvider, env: Environment = 'sandbox', opts: Pick<CreateConnectorOptions, 'readSecret'> = {}): Connector {
  const provider = { ...loaded, definition: applySandboxOverrides(loaded.definition, env) };
  const given = opts.readSecret ?? secret;
  const test = env === 'sandbox' ? provider.definition.sandboxSecrets : undefined;
  // In the sandbox, a variable left unset falls back to the provider's published test credentials.
  const readSecret = test ? { readSecret: (name: string) => (process.env[name] || !(name in test) ? given(name) : test[name]!) } : opts.readSecret ? { readSecret: opts.readSecret } : {};
  if (provider.definition.kind === 'soap') return new SoapConnector(provider, env, readSecret);
  return new RestConnector({ definition: provider.definition, operations: provider.operations, environment: env, ...readSecret });
}

export type { Connector, Environment, CallContext, CallResult, CallRecord } from './connector';

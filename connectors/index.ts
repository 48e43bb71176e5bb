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
import type { DocumentSink, DocumentSource } from './documents';

export interface CreateConnectorOptions {
  /** Folder holding <code>/provider.json (default: the repository's contracts/providers). */
  providersRoot?: string;
  /**
   * Reads a secret by the environment variable name the provider file gives (connectors/secrets.ts
   * `secret` by default), for SOAP and REST alike — e.g. a wasl-provider node's credentials.
   */
  readSecret?: (envName: string) => string;
  /**
   * Where the documents of the provider's answers are streamed (the hub's document store, with
   * the service's retention): without one, a connector refuses a MIME part or a binary REST
   * response and leaves inline base64 as text (docs/documents.md, "Limits").
   */
  documents?: DocumentSink;
  /** Where a DocumentHandle in a request is read back from, to send it on (SOAP: MTOM or inline base64). */
  documentSource?: DocumentSource;
}

/** What connectorFor takes of the options: not where providers live (the caller loaded it). */
export type ConnectorOptions = Pick<CreateConnectorOptions, 'readSecret' | 'documents' | 'documentSource'>;

export function createConnector(code: string, env: Environment = 'sandbox', opts: CreateConnectorOptions = {}): Connector {
  return connectorFor(loadProvider(code, opts.providersRoot), env, opts);
}

/**
 * The connector of a provider already loaded (`loadProvider`, which compiles a SOAP provider's
 * contract): for a caller that reads the provider itself too, so the contract is compiled once.
 */
export function connectorFor(loaded: LoadedProvider, env: Environment = 'sandbox', opts: ConnectorOptions = {}): Connector {
  const provider = { ...loaded, definition: applySandboxOverrides(loaded.definition, env) };
  const given = opts.readSecret ?? secret;
  const test = env === 'sandbox' ? provider.definition.sandboxSecrets : undefined;
  // In the sandbox, a variable left unset falls back to the provider's published test credentials.
  const readSecret = test ? { readSecret: (name: string) => (process.env[name] || !(name in test) ? given(name) : test[name]!) } : opts.readSecret ? { readSecret: opts.readSecret } : {};
  if (provider.definition.kind === 'soap') {
    const documents = opts.documents || opts.documentSource ? { documents: { ...(opts.documents ? { sink: opts.documents } : {}), ...(opts.documentSource ? { source: opts.documentSource } : {}) } } : {};
    return new SoapConnector(provider, env, { ...readSecret, ...documents });
  }
  // REST sends no documents (its requests are JSON): only the sink applies.
  return new RestConnector({ definition: provider.definition, operations: provider.operations, environment: env, ...readSecret, ...(opts.documents ? { documents: opts.documents } : {}) });
}

export type { Connector, Environment, CallContext, CallResult, CallRecord } from './connector';

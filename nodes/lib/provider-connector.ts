/**
 * The connector a wasl-provider config node owns, free of Node-RED so it is tested on its own:
 *
 * - buildConnector: the provider's connector (connectors/), with the config node's credentials
 *   (Node-RED credentials) read in place of the environment variables the provider file names.
 *   The provider is loaded once — for a SOAP provider, its contract (WSDL) compiled once — and
 *   that load both decides which credentials apply and builds the connector.
 * - SharedConnector: ONE connector per config node, counting its users like Node-RED's MQTT
 *   broker node: built on the first register, closed when the last user deregisters because it
 *   was really removed, or when the config node itself closes.
 * - ProviderConfigNode: what a wasl-provider node offers the nodes that use it (wasl-call).
 */
import type { Security } from '../../contracts/types';
import { connectorFor, type ConnectorOptions } from '../../connectors';
import type { DocumentSink } from '../../connectors/documents';
import type { Connector, Environment } from '../../connectors/connector';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { secret } from '../../connectors/secrets';
import { documentSource, retentionFor, type DocumentStore, type HubContext, type Retention } from '../../hub/runtime/context';
import type { Node } from './node-red';

/** The credentials a wasl-provider node may hold (declared as Node-RED credentials). */
export interface ProviderCredentials {
  username?: string;
  password?: string;
  token?: string;
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
}

export const CREDENTIAL_FIELDS = ['username', 'password', 'token', 'apiKey', 'clientId', 'clientSecret'] as const;

/**
 * Which environment variable each credential replaces, from the security block the connector
 * uses (the environment's, else the provider's). Only non-empty credentials count.
 */
export function credentialOverrides(security: Security | undefined, creds: ProviderCredentials | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!security || !creds) return out;
  const put = (envName: string | undefined, value: string | undefined) => {
    if (envName && typeof value === 'string' && value !== '') out.set(envName, value);
  };
  put(security.basic?.usernameEnv, creds.username);
  put(security.basic?.passwordEnv, creds.password);
  const ut = security.wsSecurity?.usernameToken;
  put(ut?.usernameEnv, creds.username);
  put(ut?.passwordEnv, creds.password);
  put(security.bearer?.tokenEnv, creds.token);
  put(security.apiKey?.valueEnv, creds.apiKey);
  put(security.oauth2?.clientIdEnv, creds.clientId);
  put(security.oauth2?.clientSecretEnv, creds.clientSecret);
  return out;
}

export interface BuildOptions {
  providersRoot?: string;
  credentials?: ProviderCredentials;
  /**
   * The hub's documents (hubContext().documents): the connector streams the documents of the
   * provider's answers into the store and hands the flow their handles, and reads a handle in a
   * request back from it. Without them, binary content is refused (docs/documents.md).
   */
  documents?: HubDocuments;
}

export interface HubDocuments {
  store: DocumentStore;
  /** The retention of the documents of an order (its service's); {} leaves the store's default. */
  retentionOf?: (orderId: string | undefined, service?: string) => Promise<Retention>;
}

/**
 * The sink a provider's connector streams documents into. The connector is one per wasl-provider
 * config node, shared by every service that calls this provider (a pattern flow serves many), so
 * the retention — a service's — cannot be fixed when the connector is built: it is looked up for
 * the order each put is for (the origin's orderId, which the connectors set from the call).
 */
export function documentSinkOf(docs: HubDocuments): DocumentSink {
  return {
    async put(content, meta) {
      let retention: Retention = {};
      // A document is never lost to a failed lookup: the store's default retention (the hub's) applies then.
      if (docs.retentionOf) retention = await docs.retentionOf(meta.origin.orderId, meta.origin.service).catch(() => ({}));
      return docs.store.put(content, { ...meta, ...retention });
    },
  };
}

/** The retention of an order's documents: its service's (retentionFor); {} for an unknown order or service. */
export async function serviceRetention(ctx: Pick<HubContext, 'store' | 'catalogue'>, orderId: string | undefined, service?: string): Promise<Retention> {
  // The caller named the service (wasl-call does): no read of the order.
  if (service) return retentionFor(ctx.catalogue?.get(service)?.definition);
  if (!orderId) return {};
  const code = (await ctx.store.getOrder(orderId))?.service.code;
  return retentionFor(code ? ctx.catalogue?.get(code)?.definition : undefined);
}

/** The connector options that give it the hub's documents, none without them. */
function documentOptions(docs: HubDocuments | undefined): ConnectorOptions {
  return docs ? { documents: documentSinkOf(docs), documentSource: documentSource(docs.store) } : {};
}

/** The provider's connector (SOAP or REST), reading the node's credentials before the environment. */
export function buildConnector(code: string, environment: Environment, opts: BuildOptions = {}): Connector {
  const loaded = loadProvider(code, opts.providersRoot ?? DEFAULT_PROVIDERS_ROOT);
  const def = loaded.definition;
  const security = def.environments[environment]?.security ?? def.security;
  const overrides = credentialOverrides(security, opts.credentials);
  const documents = documentOptions(opts.documents);
  if (overrides.size === 0) return connectorFor(loaded, environment, documents);
  // Read at each call, like the environment variables, so a secret rotated in the environment
  // is still picked up for the variables the node does not override.
  const readSecret = (envName: string) => overrides.get(envName) ?? secret(envName);
  return connectorFor(loaded, environment, { readSecret, ...documents });
}

/** One connector shared by every node using a provider config node. */
export class SharedConnector {
  private readonly users = new Set<string>();
  private connector?: Connector;
  private closing = false;

  constructor(private readonly make: () => Connector) {}

  /** Adds a user and returns the connector, building it on the first register. Throws when it cannot be built. */
  register(userId: string): Connector {
    if (this.closing) throw new Error('the provider configuration is closing');
    this.connector ??= this.make();
    this.users.add(userId);
    return this.connector;
  }

  /** Removes a user; closes the connector when it was the last one and it was really removed (not a redeploy). */
  async deregister(userId: string, removed: boolean): Promise<void> {
    this.users.delete(userId);
    if (removed && !this.closing && this.users.size === 0) await this.closeConnector();
  }

  /** The config node itself closes: the connector goes whatever the users. */
  async close(): Promise<void> {
    this.closing = true;
    await this.closeConnector();
  }

  get userCount(): number {
    return this.users.size;
  }

  get open(): boolean {
    return this.connector !== undefined;
  }

  private async closeConnector(): Promise<void> {
    const c = this.connector;
    this.connector = undefined;
    if (c) await c.close();
  }
}

/** What a wasl-call node gets from its wasl-provider config node. */
export interface ProviderConfigNode extends Node {
  code: string;
  environment: Environment;
  /** The shared connector; builds it on the first register. Throws when the provider does not load. */
  register(user: Node): Connector;
  /** `removed`: the user was deleted (not a redeploy): the last one closes the connector. */
  deregister(user: Node, removed: boolean, done: () => void): void;
}

/**
 * What wasl's provider-facing nodes (wasl-provider, wasl-call, wasl-validate, wasl-map) share,
 * free of Node-RED so it is tested on its own:
 *
 * - SharedConnector: ONE connector per wasl-provider config node, counting its users like
 *   Node-RED's MQTT broker node: built on the first register, closed when the last user
 *   deregisters because it was really removed, or when the config node itself closes.
 * - buildConnector: the provider's connector, with the config node's credentials (Node-RED
 *   credentials) read in place of the environment variables the provider file names.
 * - describeProviders: the providers and their operations, for the editors.
 * - contractValidator: a compiled contract schema (the order, one of its $defs, an operation's
 *   input or output), compiled once per process and reference, never per message.
 */
import { createAjv, ref, type ValidateFunction } from '../../contracts';
import orderSchema from '../../contracts/order.schema.json';
import type { Security } from '../../contracts/types';
import type { Connector, Environment } from '../../connectors/connector';
import { createConnector } from '../../connectors';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { secret } from '../../connectors/secrets';
import { manualOperation } from '../../connectors/rest/manual';

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
}

/** The provider's connector (SOAP or REST), reading the node's credentials before the environment. */
export function buildConnector(code: string, environment: Environment, opts: BuildOptions = {}): Connector {
  const root = opts.providersRoot ?? DEFAULT_PROVIDERS_ROOT;
  const def = loadProvider(code, root).definition;
  const security = def.environments[environment]?.security ?? def.security;
  const overrides = credentialOverrides(security, opts.credentials);
  if (overrides.size === 0) return createConnector(code, environment, { providersRoot: root });
  // Read at each call, like the environment variables, so a secret rotated in the environment
  // is still picked up for the variables the node does not override.
  const readSecret = (envName: string) => overrides.get(envName) ?? secret(envName);
  return createConnector(code, environment, { providersRoot: root, readSecret });
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

export interface ProviderSummary {
  code: string;
  names?: { ar: string; en: string };
  kind?: string;
  environments?: string[];
  operations: Array<{ name: string; description?: string; idempotent: boolean }>;
  /** Set when the provider folder does not load. */
  error?: string;
}

export function describeProviders(root: string = DEFAULT_PROVIDERS_ROOT): ProviderSummary[] {
  return listProviders(root).map((code) => {
    try {
      const p = loadProvider(code, root);
      return {
        code,
        names: p.definition.names,
        kind: p.definition.kind,
        environments: Object.keys(p.definition.environments),
        operations: Object.entries(p.operations)
          .map(([name, op]) => ({ name, idempotent: op.idempotent, ...(op.description ? { description: op.description } : {}) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    } catch (err) {
      return { code, operations: [], error: (err as Error).message };
    }
  });
}

export const ORDER_DEFS: readonly string[] = Object.keys((orderSchema as { $defs?: Record<string, unknown> }).$defs ?? {}).sort();

/** Which contract schema a node checks against. */
export type SchemaChoice =
  | { kind: 'order'; def?: string }
  | { kind: 'input' | 'output'; provider: string; operation: string };

/** From a node's properties: `schema` is 'order', 'input' or 'output'; then `def`, or `provider` and `operation`. */
export function schemaChoice(props: { schema?: string; def?: string; provider?: string; operation?: string }): SchemaChoice {
  const kind = props.schema || 'order';
  if (kind === 'order') return props.def ? { kind, def: props.def } : { kind };
  if (kind !== 'input' && kind !== 'output') throw new Error(`unknown schema kind "${kind}" (order, input or output)`);
  if (!props.provider || !props.operation) throw new Error(`an operation's ${kind} schema needs a provider and an operation`);
  return { kind, provider: props.provider, operation: props.operation };
}

export function describeChoice(c: SchemaChoice): string {
  return c.kind === 'order' ? `order${c.def ? `#/$defs/${c.def}` : ''}` : `${c.provider}.${c.operation} ${c.kind}`;
}

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new Map<string, ValidateFunction>();

export function contractValidator(choice: SchemaChoice, providersRoot: string = DEFAULT_PROVIDERS_ROOT): ValidateFunction {
  ajv ??= createAjv();
  if (choice.kind === 'order') {
    if (choice.def && !ORDER_DEFS.includes(choice.def)) throw new Error(`the order contract has no $defs/${choice.def}`);
    const v = ajv.getSchema(ref('order', choice.def));
    if (!v) throw new Error(`the order contract is not loaded`);
    return v;
  }
  const key = `${providersRoot}\u0000${choice.provider}\u0000${choice.operation}\u0000${choice.kind}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const loaded = loadProvider(choice.provider, providersRoot);
  // Imported operations, or those a REST provider without an OpenAPI document describes by hand.
  const manual = loaded.definition.operations?.[choice.operation];
  const op = loaded.operations[choice.operation] ?? (manual ? manualOperation(choice.operation, manual) : undefined);
  if (!op) throw new Error(`provider ${choice.provider} has no operation ${choice.operation}`);
  const schema = choice.kind === 'input' ? op.inputSchema : op.outputSchema;
  // Operation schemas are self-contained; an $id would clash with an earlier compile of another root.
  const { $id: _id, ...anonymous } = schema as { $id?: unknown };
  const v = ajv.compile(anonymous);
  compiled.set(key, v);
  return v;
}

/**
 * wasl-provider (config node): one provider (contracts/providers/<code>/) in one environment,
 * with credentials held as Node-RED credentials — never properties, so never in exported flows —
 * that replace the environment variables the provider file names. It owns ONE connector, shared
 * by every node that uses it, built on the first register and closed when the last user is
 * really removed or the config node itself closes (Node-RED's MQTT broker node does the same).
 *
 * Also serves the editors: GET /wasl/providers (permission wasl.read) lists the providers, their
 * operations and the order contract's $defs.
 */
import type { Environment } from '../connectors/connector';
import { DEFAULT_PROVIDERS_ROOT } from '../connectors/provider-files';
import { hubContext } from '../hub/runtime/context';
import { describeProviders, ORDER_DEFS } from './lib/contract-schemas';
import type { NodeAPI, NodeDef } from './lib/node-red';
import { buildConnector, CREDENTIAL_FIELDS, serviceRetention, SharedConnector, type ProviderConfigNode, type ProviderCredentials } from './lib/provider-connector';

function providersRoot(): string {
  try {
    return hubContext().providersRoot;
  } catch {
    return DEFAULT_PROVIDERS_ROOT;
  }
}

function environmentOf(configured: unknown): Environment {
  if (configured === 'sandbox' || configured === 'production') return configured;
  return hubContext().env;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType(
    'wasl-provider',
    function WaslProvider(this: ProviderConfigNode, def: NodeDef) {
      RED.nodes.createNode(this, def);
      const node = this;
      node.code = String(def.code ?? '');
      const configuredEnv = def.environment;
      const credentials: ProviderCredentials = {};
      for (const f of CREDENTIAL_FIELDS) {
        const v = node.credentials?.[f];
        if (typeof v === 'string' && v !== '') credentials[f] = v;
      }
      const shared = new SharedConnector(() => {
        node.environment = environmentOf(configuredEnv);
        const ctx = hubContext();
        // The hub's document store, when it has one: the answers' documents reach the flow as handles.
        const documents = ctx.documents ? { documents: { store: ctx.documents, retentionOf: (orderId: string | undefined, service?: string) => serviceRetention(ctx, orderId, service) } } : {};
        return buildConnector(node.code, node.environment, { providersRoot: ctx.providersRoot, credentials, ...documents });
      });
      node.environment = configuredEnv === 'sandbox' || configuredEnv === 'production' ? configuredEnv : 'sandbox';

      node.register = (user) => shared.register(user.id);
      node.deregister = (user, removed, done) => {
        shared.deregister(user.id, removed).then(done, (err) => {
          node.error(err);
          done();
        });
      };
      node.on('close', (_removed, done) => {
        shared.close().then(done, (err) => {
          node.error(err);
          done();
        });
      });
    },
    {
      credentials: {
        username: { type: 'text' },
        password: { type: 'password' },
        token: { type: 'password' },
        apiKey: { type: 'password' },
        clientId: { type: 'text' },
        clientSecret: { type: 'password' },
      },
    },
  );

  RED.httpAdmin.get('/wasl/providers', RED.auth.needsPermission('wasl.read'), (_req, res) => {
    try {
      res.json({ providers: describeProviders(providersRoot()), orderDefs: ORDER_DEFS });
    } catch (err) {
      res.status(500).json({ error: (err as Error).message });
    }
  });
}

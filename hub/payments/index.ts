/**
 * Payments and delivery, put together for a hub: the adapters of the providers that
 * config/fulfilment.json names — each the one its provider file names in `adapter`
 * (connectors/adapters.ts), over its connector from contracts/providers/<code>/ — the payment
 * and postal desks, the receivers of their signed callbacks, and the watcher that polls for
 * callbacks that never came and cancels orders unpaid at their deadline — in one process at a
 * time (a lease in the store).
 */
import type { DocumentStore } from '../documents/store';
import { createConnector } from '../../connectors';
import { AdapterChoiceError, paymentAdapterFor, postalAdapterFor } from '../../connectors/adapters';
import type { Connector } from '../../connectors/connector';
import type { PaymentAdapter } from '../../connectors/payment/adapter';
import { loadProvider } from '../../connectors/provider-files';
import type { Catalogue } from '../catalogue';
import type { WaslEnv } from '../config';
import { ConfigError } from '../config';
import type { Fulfilment } from '../fulfilment';
import type { Logger } from '../log';
import type { CallbackStore, LeaseStore, OrderStore, StepJournal } from '../store';
import { DEFAULT_TOLERANCE_S, type SignatureScheme } from '../callbacks/signature';
import { PaymentDesk, type Applied } from './desk';
import { PostDesk } from './post';
import { reconcile, type Reconciliation } from './reconcile';

/** An adapter the provider's file names; a file that names none, or one of the other kind, is a configuration error. */
function configured<A>(choose: () => A): A {
  try {
    return choose();
  } catch (err) {
    if (err instanceof AdapterChoiceError) throw new ConfigError(err.message);
    throw err;
  }
}

export interface CallbackReceiver {
  scheme: SignatureScheme;
  /** Read at each callback, so a rotated secret takes effect without a restart. */
  secret(): string;
  toleranceS: number;
  accept(body: unknown): Promise<string>;
}

export interface CallbackDesk {
  receiver(provider: string): CallbackReceiver | undefined;
}

export interface Fulfilments extends CallbackDesk {
  payments: PaymentDesk;
  post: PostDesk;
  /** Matches what the payment providers settled on `date` (YYYY-MM-DD) against the hub's records. */
  reconcile(date: string): Promise<Reconciliation>;
  /** Starts the watcher (every `everyMs`); returns its stop. */
  watch(everyMs: number, holder: string): () => Promise<void>;
}

export interface OpenFulfilmentsOptions {
  /** The desks' roles (orders, step journal, callbacks), and a lease for the watch. */
  store: OrderStore & StepJournal & CallbackStore & LeaseStore;
  catalogue: Catalogue;
  fulfilment: Fulfilment;
  env: WaslEnv;
  providersRoot?: string;
  publicUrl: () => string;
  logger: Logger;
  /** Tests give their own connectors. */
  connectorFor?: (code: string) => Connector;
  /** Tests move time (deadlines). */
  now?: () => Date;
  /** The document store: the post's labels carry the documents' verification codes. */
  documents?: DocumentStore;
}

/**
 * A connector made on its first call: a provider's production endpoint is added to its file at
 * go-live, and a hub must start (and say so) before that, not refuse to.
 */
function lazyConnector(code: string, env: WaslEnv, make: () => Connector): Connector {
  let real: Connector | undefined;
  const get = () => (real ??= make());
  return {
    provider: code,
    environment: env,
    operations: () => get().operations(),
    call: (operation, input, ctx) => get().call(operation, input, ctx),
    close: async () => {
      await real?.close();
    },
  };
}

export function openFulfilments(o: OpenFulfilmentsOptions): Fulfilments {
  const connectorFor =
    o.connectorFor ?? ((code: string) => lazyConnector(code, o.env, () => createConnector(code, o.env, o.providersRoot ? { providersRoot: o.providersRoot } : {})));
  const names = new Map<string, { ar: string; en: string }>();
  const receivers = new Map<string, Omit<CallbackReceiver, 'accept'>>();

  const load = (code: string) => {
    const p = loadProvider(code, o.providersRoot);
    names.set(code, p.definition.names);
    if (!p.definition.environments[o.env]) o.logger.warn({ provider: code, env: o.env }, `provider ${code} has no ${o.env} endpoint in its provider.json: its calls will fail until one is added`);
    const cb = p.definition.callbacks;
    if (!cb) throw new ConfigError(`provider ${code} has no callbacks section: a payment or postal provider must say how it signs its callbacks`);
    const scheme: SignatureScheme = cb.signature.scheme === 't-v1' ? { kind: 't-v1', header: cb.signature.header } : { kind: 'sha256-hex', header: cb.signature.header, timestampHeader: cb.signature.timestampHeader ?? '' };
    const fromEnv = () => process.env[cb.secretEnv];
    if (o.env === 'production' && !fromEnv()) throw new ConfigError(`${cb.secretEnv} is required in production: the secret provider ${code} signs its callbacks with`);
    receivers.set(code, {
      scheme,
      secret: () => {
        const s = fromEnv() || (o.env === 'sandbox' ? cb.sandboxSecret : undefined);
        if (!s) throw new ConfigError(`${cb.secretEnv} is not set: callbacks of ${code} cannot be verified`);
        return s;
      },
      toleranceS: cb.toleranceSeconds ?? DEFAULT_TOLERANCE_S,
    });
    return p;
  };

  const adapters = new Map<string, PaymentAdapter>();
  const pay = o.fulfilment.config.payments;
  for (const code of new Set([pay.domestic.provider, pay.international.provider])) {
    const p = load(code);
    adapters.set(code, configured(() => paymentAdapterFor(p, connectorFor(code))));
  }
  const postCode = o.fulfilment.postalProvider;
  const postProvider = load(postCode);
  const postAdapter = configured(() => postalAdapterFor(postProvider, connectorFor(postCode)));
  const payments = new PaymentDesk({ store: o.store, catalogue: o.catalogue, fulfilment: o.fulfilment, adapters, providerNames: (c) => names.get(c) ?? { ar: c, en: c }, publicUrl: o.publicUrl, logger: o.logger, ...(o.now ? { now: o.now } : {}) });
  const post = new PostDesk({ store: o.store, adapter: postAdapter, publicUrl: o.publicUrl, logger: o.logger, ...(o.now ? { now: o.now } : {}), ...(o.documents ? { documents: o.documents } : {}) });

  return {
    payments,
    post,
    reconcile: (date) => reconcile(o.store, adapters, date),
    receiver(provider) {
      const r = receivers.get(provider);
      if (!r) return undefined;
      const adapter = adapters.get(provider);
      const handle = adapter
        ? (body: unknown) => {
            const e = adapter.parseCallback(body);
            return { described: PaymentDesk.describe(e), apply: () => payments.apply(provider, e) };
          }
        : (body: unknown) => {
            const e = postAdapter.parseCallback(body);
            return { described: PostDesk.describe(e), apply: async (): Promise<{ outcome: string; anomaly?: Applied['anomaly'] }> => ({ outcome: await post.onCallback(e) }) };
          };
      return {
        ...r,
        // Once per provider event id: a repeat is answered, and changes nothing.
        accept: async (body) => {
          const { described, apply } = handle(body);
          if (await o.store.getCallback(provider, described.eventId)) return 'duplicate';
          const { outcome, anomaly } = await apply();
          // Two deliveries racing past the check above: the second applied nothing new (the
          // state machine refused it) and is not recorded twice.
          await o.store.recordCallback({ provider, ...described, outcome, ...(anomaly ? { anomaly } : {}), receivedAt: new Date().toISOString() });
          o.logger.info({ orderId: described.orderId, provider, eventId: described.eventId, type: described.type, outcome }, 'provider callback');
          return outcome;
        },
      };
    },
    watch(everyMs, holder) {
      let running: Promise<void> | undefined;
      const pass = async () => {
        if (!(await o.store.tryLease('fulfilment-watch', holder, everyMs * 3))) return;
        await payments.watch();
        await post.watch();
      };
      const timer = setInterval(() => {
        running ??= pass()
          .catch((err: unknown) => o.logger.warn({ err: { message: (err as Error).message } }, 'fulfilment watch pass failed'))
          .finally(() => (running = undefined));
      }, everyMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
        await o.store.releaseLease('fulfilment-watch', holder).catch(() => undefined);
      };
    },
  };
}

/**
 * A hub process: the store, the bus and, by role, the gateway (HTTP), the outbox relay and the
 * workers (consumers). `wasl start` runs them all; `wasl start --no-workers` the gateway and the
 * relay; `wasl worker` only the workers — for scaling out on RabbitMQ and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Bus, RetryPolicy } from './bus/bus';
import { openBus } from './bus';
import { SqliteStore } from './store/sqlite';
import { OutboxRelay } from './bus/relay';
import { Catalogue } from './catalogue';
import { Fulfilment } from './fulfilment';
import { openFulfilments, type Fulfilments } from './payments';
import type { Connector } from '../connectors/connector';
import { ConfigError, type ChannelKey, type HubConfig } from './config';
import { demoChannelKey } from './demo-key';
import { demoOperator, type DemoOperator } from './demo-operator';
import { buildGateway } from './gateway/server';
import { certificateTrust, type CertificateReader } from './lifecycle';
import { ReleaseGate, type GateChange } from './release-gate';
import { HubMetrics } from './metrics';
import { ProviderDriftMonitor } from './provider-drift';
import { forgetSimulators, recordSimulators, simulatorsFile, useRecordedSimulators } from './simulator-addresses';
import { listenMetrics } from './metrics-listener';
import type { Registry } from 'prom-client';
import { captureBodies, observeCalls } from '../connectors/observe';
import { BodyKey } from './audit/bodies';
import { callEntry } from './audit/entries';
import { createLogger, type Logger } from './log';
import { auditKeysOf, openStore, type Store } from './store';
import type { AuditKeys } from './audit/keys';
import type { Seal } from './audit/seal';
import { sealTrail } from './audit/trail';
import { observeSteps, stepLogger } from './store/observed';
import { finishWithCalls, HeldCalls } from './held-calls';
import { Workers } from './workers';
import { NodeRedRuntime, ADMIN_ROOT, NODE_ROOT } from './runtime/runtime';
import { dispatcherFor } from './runtime/dispatcher';
import { nodeTypePolicy } from './runtime/node-types';
import { RuntimeMount } from './runtime/routes';
import { bindProblem, Exposure } from './gateway/exposure';
import type { LoginGuardOptions } from './login-guard';
import { OperatorAuth } from './operator-auth';
import { privateDir } from './private-files';
import { EditorLogin } from './runtime/editor-login';
import { mountAuditor, type AuditAction } from './runtime/admin-actions';
import { openHubDocuments, schedulePurge } from './documents/open';
import type { DocumentStore } from './documents/store';

export interface Roles {
  gateway: boolean;
  relay: boolean;
  workers: boolean;
}

export const ALL_ROLES: Roles = { gateway: true, relay: true, workers: true };

export interface Hub {
  config: HubConfig;
  roles: Roles;
  app: FastifyInstance;
  store: Store;
  bus: Bus;
  relay?: OutboxRelay;
  workers: Workers;
  catalogue: Catalogue;
  /** Which services run in this hub (release-gate.ts): the others' orders are refused, their flows not loaded. */
  gate: ReleaseGate;
  logger: Logger;
  /** Set when the sandbox made a demo channel because WASL_CHANNEL_KEYS is unset. */
  demoKey?: ChannelKey;
  /** The sandbox's demo operator for /monitor (HubOptions.demoOperator, WASL_OPERATORS unset). */
  demoOperator?: DemoOperator;
  /** The address it listens on, once listening. */
  url?: string;
  /** Where a process without the gateway serves /metrics (WASL_METRICS_PORT), once listening. */
  metricsUrl?: string;
  /** The process's Prometheus metrics (hub/metrics.ts). */
  metricsRegistry: Registry;
  /** The Node-RED runtime (flows), once started: processes with the workers role that asked for it. */
  runtime?: NodeRedRuntime;
  /** Payments and postal delivery: desks, callbacks, watcher. */
  fulfilments: Fulfilments;
  /** The audit trail's chain and seal keys (hub/audit/keys.ts). */
  auditKeys: AuditKeys;
  /** The encrypted document store on the store's database (hub/documents/); absent on a store that is not wasl's (a test's fake). */
  documents?: DocumentStore;
  /** Seals the audit trail's heads now (hub/audit/trail.ts sealTrail); also every WASL_AUDIT_SEAL_MINUTES and at close. */
  sealAudit(): Promise<Seal | undefined>;
  /** Starts the relay and the workers its roles ask for (the gateway starts with listen). */
  startBackground(): Promise<void>;
  /** Whether the flows runtime (where asked for) started and the workers subscribed: a worker's readiness (`checks.flows`). False before startBackground ends and once close begins. */
  flowsStarted(): boolean;
  close(): Promise<void>;
}

export interface HubOptions {
  logger?: Logger;
  /** A store of the caller's; the hub closes it. */
  store?: Store;
  /** A bus of the caller's; the hub closes it. */
  bus?: Bus;
  roles?: Roles;
  /** Run the services' flows in Node-RED (with the workers role): startHub's default; tests opt in. */
  runtime?: boolean;
  /** Connectors of the payment and postal providers (tests); from contracts/providers by default. */
  connectorFor?: (code: string) => Connector;
  /** The login limits' options (tests); hub/login-guard.ts's defaults otherwise. */
  loginGuard?: LoginGuardOptions;
  /** The payment and postal desks' clock (tests move it past deadlines). */
  clock?: () => Date;
  /** How often the payment and postal watcher runs (WASL_FULFILMENT_WATCH_MS, 5 s by default); 0: never. */
  watchEveryMs?: number;
  /** How often the audit trail is sealed, in ms (tests); WASL_AUDIT_SEAL_MINUTES otherwise. */
  auditSealEveryMs?: number;
  /** How often the providers' contracts are checked for drift, in ms (tests); WASL_PROVIDER_CHECK_MINUTES otherwise (hub/provider-drift.ts). */
  providerCheckEveryMs?: number;
  /** Retries of the flows' bus subscriptions (the sandbox runner's shorter delays); the bus default otherwise. */
  busRetry?: RetryPolicy;
  /** In the sandbox with WASL_OPERATORS unset, make (or reuse) a demo operator who may open /monitor; `wasl start` asks for one. */
  demoOperator?: boolean;
  /**
   * Reads and verifies services' certificates (the sandbox's, handed in at start): a production
   * hub starts only the live services whose certificate holds (release-gate.ts); operators see each
   * certificate in GET /v1/services. Without one, a production hub starts no service, and
   * certificates are not shown.
   */
  certificates?: CertificateReader;
  /** Starts the sandbox's simulated providers beside a sandbox hub (startHub), closed after it. */
  simulators?: StartSimulators;
}

/**
 * Starts simulated providers (the sandbox's: WASL_SIMULATORS=off in env starts none), logging to the
 * hub's logger; `endpoints` are where they listen (provider code → URL), recorded in the data dir.
 * `dataDir` is the hub's: where simulators may keep what must outlive them (what they settled).
 */
export type StartSimulators = (env: NodeJS.ProcessEnv, logger: Logger, dataDir?: string) => Promise<{ endpoints?: Record<string, string>; close(): Promise<void> }>;

/** What the hub receives from outside hub/ at start: the sandbox's simulators and certificate reader (sandbox/extension.ts). */
export type HubExtensions = Pick<HubOptions, 'certificates' | 'simulators'>;

export async function createHub(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const roles = opts.roles ?? ALL_ROLES;
  // Citizens' data, keys and sessions live here: owner-only (private-files.ts).
  privateDir(config.dataDir);
  const catalogue = Catalogue.load(config.flowsDir);
  catalogue.fulfilment = Fulfilment.load(config.fulfilmentFile);
  const demoKey = config.channelKeys ? undefined : demoChannelKey(config.dataDir);
  const channelKeys = config.channelKeys ?? (demoKey ? [demoKey] : []);
  const demoOp = opts.demoOperator && config.env === 'sandbox' && !config.operators ? await demoOperator(config.dataDir) : undefined;
  // The demo operator reaches the gateway's operator routes only; the runtime reads config.operators, so the editor stays open.
  const gatewayConfig = demoOp ? { ...config, operators: [demoOp] } : config;
  const auditKeys = auditKeysOf(config);
  const rawStore = opts.store ?? (await openStore(config, auditKeys));
  let relay: OutboxRelay | undefined;
  // Set once the bus is open; the store's step observer reads it (undefined before).
  // eslint-disable-next-line prefer-const
  let metrics: HubMetrics | undefined;
  // A store that publishes each step's event itself (the embedded bus in its database) leaves
  // the relay nothing to move: no wake-up per step then, only its poll for anything older.
  let inline = false;
  // A provider call's records go in with the journal finish that follows the call, else on their own a moment later.
  const heldCalls = new HeldCalls(
    (records, audit) => rawStore.recordProviderCalls(records, audit),
    (err, records) => logger.error({ err: { message: (err as Error).message }, calls: records.map((r) => ({ provider: r.provider, orderId: r.orderId })) }, 'could not keep the operational and audit records of provider calls'),
  );
  const store = finishWithCalls(observeSteps(rawStore, stepLogger(logger), () => inline || relay?.kick(), (order) => metrics?.onStep(order)), heldCalls);
  const opened = opts.bus ? { bus: opts.bus, close: () => opts.bus!.close() } : await openBus(config, rawStore, logger).catch(async (err: unknown) => {
    await rawStore.close();
    throw err;
  });
  const bus = opened.bus;
  inline = opened.inline === true;
  // The providers' published contracts, checked for drift on a schedule by the process that relays (as it seals), shown at /metrics.
  const checkEvery = opts.providerCheckEveryMs ?? (config.providerCheckMinutes ?? 0) * 60_000;
  const drift = roles.relay && checkEvery > 0 ? new ProviderDriftMonitor({ providersRoot: PROVIDERS_ROOT, logger, everyMs: checkEvery }) : undefined;
  const sqlite = [...(rawStore instanceof SqliteStore ? [{ name: 'wasl', db: rawStore.database }] : []), ...(opened.database ? [{ name: 'bus', db: opened.database }] : [])];
  metrics = new HubMetrics({
    store,
    bus,
    catalogue,
    flows: () => hub.runtime?.metrics.snapshot(),
    contractChecks: () => drift?.results(),
    sqlite: () => sqlite.map((d) => ({ database: d.name, walBytes: d.db.walBytes, checkpointStats: d.db.checkpointStats })),
    chainRetries: () => rawStore.chainRetries,
    seenHeadWrites: () => rawStore.knownOrders,
  });
  // Every provider exchange this process makes goes into the audit trail (its metadata; order steps go in with their transaction).
  const bodyKey = config.auditBodies && config.secret ? new BodyKey(config.secret) : undefined;
  const uncapture = roles.workers && config.auditBodies ? captureBodies(config.auditBodies) : () => undefined;
  const unobserve = roles.workers
    ? observeCalls((r) => heldCalls.add(r, callEntry(r, bodyKey)))
    : () => undefined;
  const unaudit = () => {
    unobserve();
    uncapture();
  };
  if (roles.relay) relay = new OutboxRelay({ store, bus, logger });
  // Operators' actions and logins, into the audit trail beside the step that caused nothing to wait on it.
  const auditAction: AuditAction = (actor, action, data) => {
    store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor, subject: typeof data.surface === 'string' ? data.surface : 'editor', data: { action, ...data } }]).catch((err: unknown) => logger.error({ err: { message: (err as Error).message }, action }, 'could not append an operator action to the audit trail'));
  };
  const operatorAuth = new OperatorAuth(gatewayConfig.operators ?? [], (e) => auditAction(`operator:${e.user}`, e.action, { surface: e.surface, address: e.address, ...(e.by ? { by: e.by } : {}) }), opts.loginGuard);
  // The editor's login is wasl's wherever the editor needs one: outside the sandbox, and in it with operators.
  const editorLogin = config.env === 'production' || config.operators ? new EditorLogin(operatorAuth, config.env, join(config.dataDir, 'node-red', 'editor-sessions.json')) : undefined;
  const exposure = Exposure.forConfig(config);
  const workers = new Workers((err, service) => logger.error({ err: { message: (err as Error).message }, service }, 'could not subscribe to the bus'), opts.busRetry);
  // The release gate: which services run here; a refused one's orders get 503, its events wait in its queue.
  const gate = new ReleaseGate({
    flowsDir: config.flowsDir,
    providersRoot: PROVIDERS_ROOT,
    fulfilmentFile: config.fulfilmentFile,
    env: config.env,
    catalogue,
    allowedTypes: nodeTypePolicy(config.extraNodeTypes).allowed,
    ...(opts.certificates ? { certificates: opts.certificates } : {}),
    trust: () => certificateTrust(config),
    logger,
    audit: (entry) => void store.appendAudit([entry]).catch((err: unknown) => logger.error({ err: { message: (err as Error).message }, action: entry.data.action }, 'could not append a release gate action to the audit trail')),
  });
  workers.gate = (service) => gate.serves(service);
  const mount = new RuntimeMount(
    mountAuditor((req) => {
      if (!editorLogin) return 'operator:(local)';
      const bearer = /^Bearer (\S{1,256})$/.exec(req.headers.authorization ?? '')?.[1];
      const user = bearer ? editorLogin.user(bearer) : undefined;
      return user ? `operator:${user.username}` : 'operator:(anonymous)';
    }, auditAction),
  );
  let app: FastifyInstance;
  let fulfilments: Fulfilments;
  let documents: DocumentStore | undefined;
  try {
    // On the store's own database: the same backups and access control as the orders that cite them.
    documents = await openHubDocuments(rawStore, config);
    gate.start();
    // Providers call back at the public URL; before it is configured, at the address listened on.
    const publicUrl = () => config.publicUrl ?? hub.url ?? `http://127.0.0.1:${config.port}`;
    fulfilments = openFulfilments({ store, catalogue, fulfilment: catalogue.fulfilment!, env: config.env, providersRoot: PROVIDERS_ROOT, publicUrl, logger, ...(opts.connectorFor ? { connectorFor: opts.connectorFor } : {}), ...(opts.clock ? { now: opts.clock } : {}), ...(documents ? { documents } : {}) });
    app = await buildGateway({ config: gatewayConfig, store, bus, catalogue, logger, channelKeys, version: VERSION, callbacks: fulfilments, metrics: metrics.registry, observeRequest: metrics.observeRequest, ...(documents ? { documents, observeDocument: metrics.observeDocument } : {}), monitorBus: bus, operatorAuth, exposure, ...(opts.certificates ? { certificates: opts.certificates } : {}), ...(roles.workers && opts.runtime ? { editorReady: () => mount.attached, flowsReady: () => flowsStarted && !closing } : {}) });
    editorLogin?.register(app);
    mount.register(app, [ADMIN_ROOT, NODE_ROOT]);
    await app.ready();
  } catch (err) {
    metrics.close();
    unaudit();
    await heldCalls.close();
    await opened.close();
    await rawStore.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let stopPurge: (() => Promise<void>) | undefined;
  let sealTimer: NodeJS.Timeout | undefined;
  const sealAudit = () => sealTrail(rawStore, auditKeys, { file: config.audit.witnessFile, ...(config.audit.witnessUrl ? { url: config.audit.witnessUrl } : {}) });
  const sealQuietly = () =>
    sealAudit().catch((err: unknown) => {
      logger.error({ err: { message: (err as Error).message } }, 'could not seal the audit trail');
      return undefined;
    });
  let stopWatch: (() => Promise<void>) | undefined;
  let flowsStarted = false;
  let stopGate: (() => Promise<void>) | undefined;
  // A promotion or a retirement under a running hub: that service alone starts or stops.
  const applyGate = async (change: GateChange) => {
    // What no longer runs stops taking events first (what it holds is finished), then the tabs change.
    await workers.regate();
    if (change.flowsChanged) await hub.runtime?.reload();
    const dispatcher = dispatcherFor(workers);
    for (const code of change.started) {
      const pattern = catalogue.get(code)?.definition.flow?.pattern;
      if (pattern) dispatcher.adopt(code, catalogue.all().filter((s) => s.definition.flow?.pattern === pattern && s.definition.code !== code).map((s) => s.definition.code));
    }
    await workers.regate();
  };
  const hub: Hub = {
    config,
    roles,
    app,
    store,
    bus,
    relay,
    workers,
    catalogue,
    gate,
    logger,
    demoKey,
    ...(demoOp ? { demoOperator: demoOp } : {}),
    fulfilments,
    auditKeys,
    ...(documents ? { documents } : {}),
    sealAudit,
    metricsRegistry: metrics.registry,
    flowsStarted: () => flowsStarted && !closing,
    async startBackground() {
      relay?.start();
      const every = opts.watchEveryMs ?? watchEveryMs();
      if (roles.relay && every > 0) stopWatch = fulfilments.watch(every, `${process.pid}:${randomUUID()}`);
      if (roles.relay) {
        // Operational records older than their retention go, now and every hour (idempotent: any process may).
        const days = config.callRecordsDays ?? 30;
        const prune = () => void store.pruneProviderCalls(new Date(Date.now() - days * 86_400_000)).catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'could not prune the operational records'));
        prune();
        pruneTimer = setInterval(prune, 3_600_000);
        pruneTimer.unref();
        // The chains' heads, sealed to the witness outside the store (any process may: the store numbers the seals).
        const sealEvery = opts.auditSealEveryMs ?? config.audit.sealMinutes * 60_000;
        if (sealEvery > 0) {
          sealTimer = setInterval(() => void sealQuietly(), sealEvery);
          sealTimer.unref();
        }
        drift?.start();
        // Documents past their retention lose their content (the hash stays): hourly by default.
        const purgeEvery = (config.documentPurgeMinutes ?? 60) * 60_000;
        if (documents && purgeEvery > 0) stopPurge = schedulePurge(documents, purgeEvery, logger);
      }
      if (roles.workers && opts.runtime) {
        // The flows' order-in nodes register with the workers as they start.
        hub.runtime = await NodeRedRuntime.start({
          config,
          logger,
          server: app.server,
          mount,
          ...(editorLogin ? { adminAuth: editorLogin.adminAuth() } : {}),
          roleOf: (user) => operatorAuth.find(user)?.role,
          audit: auditAction,
          exposure,
          context: { store, workers, env: config.env, providersRoot: PROVIDERS_ROOT, logger, payments: fulfilments.payments, post: fulfilments.post, catalogue, ...(documents ? { documents } : {}) },
          flows: () => gate.selection(),
        });
      }
      if (roles.workers) await workers.start(bus);
      flowsStarted = !closing;
      // Production follows promotions and retirements made while it runs (`wasl service promote`).
      if (config.env === 'production') stopGate ??= await gate.watch(applyGate);
    },
    close: () =>
      (closing ??= (async () => {
        // New requests stop first, then the relay finishes its pass, then consumers finish what
        // they hold, and only then do the bus and the store close.
        await app.close();
        await stopGate?.();
        clearInterval(pruneTimer);
        await stopPurge?.();
        await stopWatch?.();
        await relay?.stop();
        await workers.stop();
        await hub.runtime?.stop();
        clearInterval(sealTimer);
        await drift?.stop();
        unaudit();
        await heldCalls.close();
        // What this process appended is sealed before it goes.
        if (roles.relay) await sealQuietly();
        metrics?.close();
        await opened.close();
        await rawStore.close();
      })()),
  };
  return hub;
}

const PROVIDERS_ROOT = resolve(__dirname, '..', 'contracts', 'providers');

function watchEveryMs(): number {
  const v = Number(process.env.WASL_FULFILMENT_WATCH_MS ?? 5000);
  return Number.isInteger(v) && v >= 0 ? v : 5000;
}

/** What startHub adds around the hub is closed after it, whether or not its own close failed. */
function closeAfter(hub: Hub, close: () => Promise<void>): void {
  const closeHub = hub.close;
  hub.close = async () => {
    try {
      await closeHub();
    } finally {
      await close();
    }
  };
}

export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
  const roles = opts.roles ?? ALL_ROLES;
  const problem = roles.gateway ? bindProblem(config) : undefined;
  if (problem) throw new ConfigError(problem);
  const hub = await createHub(config, { runtime: true, ...opts });
  // The simulated providers (handed in: the sandbox's) run beside a sandbox hub and stop after it closes.
  // A worker beside a sandbox hub on the same data dir calls that hub's simulators (recorded there).
  const recorded = config.env === 'sandbox' && !hub.roles.gateway ? useRecordedSimulators(config.dataDir) : undefined;
  if (config.env === 'sandbox' && opts.simulators && !recorded) {
    const sims = await opts.simulators(process.env, hub.logger, config.dataDir).catch(async (err: unknown) => {
      await hub.close();
      throw err;
    });
    closeAfter(hub, () => sims.close());
    // Where they are (free ports unless pinned), for the log and for `wasl provider call` from another shell.
    if (sims.endpoints && Object.keys(sims.endpoints).length > 0) {
      const endpoints = sims.endpoints;
      try {
        recordSimulators(config.dataDir, endpoints);
      } catch (err) {
        await hub.close();
        throw err;
      }
      closeAfter(hub, async () => forgetSimulators(config.dataDir));
      hub.logger.info({ simulators: endpoints, file: simulatorsFile(config.dataDir) }, 'sandbox simulators listening');
    } else useRecordedSimulators(config.dataDir);
  } else if (config.env === 'sandbox' && !recorded) {
    // None of its own (WASL_SIMULATORS=off, a worker): the ones a live process recorded in the data dir, if any.
    useRecordedSimulators(config.dataDir);
  }
  try {
    if (hub.roles.gateway) hub.url = await hub.app.listen({ host: config.host, port: config.port });
    else if (config.metricsPort !== undefined) {
      // Beside /metrics, liveness and readiness for orchestrators: the store, the bus, the flows started.
      const listener = await listenMetrics(config, config.metricsPort, hub.metricsRegistry, { store: hub.store, bus: hub.bus, flows: () => hub.flowsStarted(), logger: hub.logger });
      hub.metricsUrl = listener.url;
      closeAfter(hub, () => listener.close());
    }
    await hub.startBackground();
  } catch (err) {
    await hub.close();
    throw err;
  }
  // The address really bound (Fastify's url names one interface of 0.0.0.0, not the bind).
  const bound = hub.roles.gateway ? (hub.app.server.address() as AddressInfo | null) : null;
  hub.logger.info(
    { url: hub.url, ...(bound ? { listening: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` } : {}), ...(hub.metricsUrl ? { metricsUrl: hub.metricsUrl } : {}), env: config.env, store: hub.store.kind, bus: hub.bus.kind, roles: hub.roles, services: hub.catalogue.all().length, refused: hub.catalogue.refused().map((r) => r.service) },
    'wasl hub started',
  );
  return hub;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;

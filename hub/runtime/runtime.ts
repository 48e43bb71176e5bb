/**
 * Node-RED 4.1, embedded in the hub process: on the hub's HTTP server, its editor and admin API
 * under /red and the flows' own HTTP endpoints under /svc (routes.ts hands those paths from
 * Fastify to Node-RED's Express apps). Flows come from the repository (storage.ts), wasl's
 * nodes from the package.json "node-red" section (nodes/lib/node-red.ts). `start` resolves once
 * the flows have started — Node-RED's admin API answers before they do. The editor and admin API
 * need an operator's login (editor-login.ts) outside the sandbox, and in it once WASL_OPERATORS is
 * set; messages, errors and time per flow and node are counted from the messaging hooks
 * (metrics.ts, `runtime.metrics.snapshot()`). What it loads is the release gate's choice
 * (../release-gate.ts: in production only live, certified services' tabs and what they need, and
 * never a node type outside the allow-list, node-types.ts); `reload` applies a change of that
 * choice while the hub runs, restarting only the tabs that changed. Flows cannot read the hub's
 * environment (its secrets), and the editor's WebSocket gets the gateway's Host and Origin checks
 * (gateway/exposure.ts).
 *
 * Node-RED is a process-wide singleton: one runtime per process at a time.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { HubConfig } from '../config';
import type { Exposure } from '../gateway/exposure';
import type { Logger } from '../log';
import type { OperatorRole } from '../operators';
import { setHubContext, type HubContext } from './context';
import { credentialSecret } from './credential-key';
import type { FlowSelection } from './flow-selection';
import { RuntimeMetrics, type Hooks } from './metrics';
import { nodeTypePolicy, type FlowNode } from './node-types';
import type { RuntimeMount } from './routes';
import { createFlowStorage, type DeployerRole } from './storage';

/** The parts of node-red's module API used here (node-red ships no types). */
interface NodeRedModule {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: RequestHandlerApp;
  httpNode: RequestHandlerApp;
  events: { on(e: string, f: (ev: Record<string, unknown>) => void): void; removeListener(e: string, f: (ev: Record<string, unknown>) => void): void };
  hooks: Hooks;
  /** The runtime API: what the admin API's GET and POST /flows call. */
  runtime: {
    flows: {
      getFlows(opts: { user?: unknown }): Promise<{ flows: FlowNode[]; rev: string }>;
      setFlows(opts: { flows: { flows: FlowNode[]; credentials?: unknown }; deploymentType: 'full' | 'nodes' | 'flows'; user?: unknown }): Promise<{ rev: string }>;
    };
  };
}

/** The storage module as the runtime uses it besides Node-RED (storage.ts). */
interface FlowStorage {
  getFlows(): Promise<FlowNode[]>;
  getCredentials(): Promise<unknown>;
  saveFlows(flows: FlowNode[], user?: unknown): Promise<void>;
}

/**
 * The "user" of the runtime's own deploys (a reload of the release gate's choice): the storage
 * writes nothing for them — the flows came from the files — however it treats an editor's deploy.
 */
const RELOAD = Object.freeze({ username: '(release gate)' });
type RequestHandlerApp = (req: unknown, res: unknown, next?: (err?: unknown) => void) => void;

export const ADMIN_ROOT = '/red';
export const NODE_ROOT = '/svc';
const REPO_ROOT = resolve(__dirname, '..', '..');
const AUDIT = 98;
const LEVELS: Record<number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' };

export interface RuntimeOptions {
  config: HubConfig;
  logger: Logger;
  server: Server;
  context: HubContext;
  mount: RuntimeMount;
  /** Node-RED's adminAuth (editor-login.ts): set outside the sandbox, and in it when WASL_OPERATORS is. */
  adminAuth?: Record<string, unknown>;
  /** An operator's role by name (the deploy rules); undefined: no such operator. */
  roleOf?: (user: string) => OperatorRole | undefined;
  /** Appends an admin action to the audit trail. */
  audit?: (actor: string, action: string, data: Record<string, unknown>) => void;
  /** The gateway's Host and Origin rules, applied to the editor's WebSocket too. */
  exposure?: Exposure;
  /** How long start waits for the flows; 30 s by default. */
  startTimeoutMs?: number;
  /** What Node-RED loads (the release gate's choice: ../release-gate.ts); every flow file, all or nothing, without it. */
  flows?: () => FlowSelection;
}

let running = false;

/** What the runtime's settings need besides the configuration. */
export interface RuntimeSettingsExtras {
  /** Counts the errors Node-RED logs for nodes (see metrics.ts). */
  metrics?: RuntimeMetrics;
  adminAuth?: Record<string, unknown>;
  roleOf?: (user: string) => OperatorRole | undefined;
  audit?: (actor: string, action: string, data: Record<string, unknown>) => void;
  /** What Node-RED loads (RuntimeOptions.flows). */
  flows?: () => FlowSelection;
}

/**
 * The environment variables flows may read (Node-RED's `env` type, JSONata's `$env`, `env.get`):
 * WASL_FLOW_* only. The others hold WASL_SECRET, keys, passwords and database URLs, and anyone
 * who may deploy a change node could otherwise read them.
 */
export function flowEnvExcludes(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env).filter((name) => !name.startsWith('WASL_FLOW_'));
}

export function runtimeSettings(config: HubConfig, logger: Logger, extras: RuntimeSettingsExtras = {}): Record<string, unknown> {
  const production = config.env === 'production';
  const log = logger.child({ component: 'node-red' });
  const stateDir = join(config.dataDir, 'node-red');
  const policy = nodeTypePolicy(config.extraNodeTypes);
  const secret = credentialSecret(config.secret, stateDir);
  // Who deployed: Node-RED hands the storage the session's user, none when the editor has no login.
  const deployer = (user: unknown): { actor: string; role: DeployerRole } | undefined => {
    if (!extras.adminAuth) return { actor: 'operator:(local)', role: 'local' };
    const name = (user as { username?: unknown } | undefined)?.username;
    const role = typeof name === 'string' ? extras.roleOf?.(name) : undefined;
    return role && typeof name === 'string' ? { actor: `operator:${name}`, role } : undefined;
  };
  const storage = createFlowStorage({
    flowsDir: config.flowsDir,
    stateDir,
    readOnly: production,
    allowedTypes: policy.allowed,
    deployer,
    credentialSecret: secret,
    // Before credential keys were derived, WASL_SECRET itself was the key.
    legacySecrets: config.secret ? [config.secret] : [],
    ...(extras.audit ? { audit: extras.audit } : {}),
    ...(extras.flows ? { select: extras.flows } : {}),
  });
  return {
    userDir: stateDir,
    // The runtime's own deploys (RELOAD) put into effect what the files already say: nothing to save.
    storageModule: { ...storage, saveFlows: (flows: FlowNode[], user?: unknown) => (user === RELOAD ? Promise.resolve() : storage.saveFlows(flows, user)) },
    credentialSecret: secret,
    nodesExcludes: policy.excludedFiles,
    envVarExcludes: flowEnvExcludes(),
    httpAdminRoot: ADMIN_ROOT,
    httpNodeRoot: NODE_ROOT,
    disableEditor: production,
    // Outside the sandbox the editor and admin API need an operator's login (WASL_OPERATORS; with
    // none, nobody can log in and they stay closed). In the sandbox they need one too once
    // WASL_OPERATORS is set; without it the sandbox editor stays open, for local development on
    // this machine (the sandbox then listens on loopback only: hub/gateway/exposure.ts).
    ...(extras.adminAuth ? { adminAuth: extras.adminAuth } : {}),
    nodesDir: [REPO_ROOT],
    editorTheme: { palette: { editable: false }, projects: { enabled: false }, tours: false, page: { title: 'wasl' }, header: { title: 'wasl' } },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    runtimeState: { enabled: false },
    logging: {
      console: { level: 'off' },
      wasl: {
        level: 'info',
        metrics: false,
        // Node-RED's audit events: the one wasl records that no other place sees is a refused
        // permission (a viewer's deploy, an operator's attempt at an admin's action).
        audit: true,
        handler: () => (m: { level: number; msg: unknown; type?: string; id?: string; name?: string; z?: string; event?: string; path?: string; permissions?: unknown; user?: { username?: string } }) => {
          if (m.level === AUDIT) {
            if (m.event === 'permission.fail') extras.audit?.(m.user?.username ? `operator:${m.user.username}` : 'operator:(anonymous)', 'permission-denied', { path: String(m.path ?? '').slice(0, 200), permissions: m.permissions });
            return;
          }
          const level = LEVELS[m.level] ?? 'info';
          if (m.level <= 20 && m.id) extras.metrics?.loggedError(m);
          const text = m.msg instanceof Error ? m.msg.message : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg);
          log[level]({ node: m.id, nodeType: m.type, nodeName: m.name }, text);
        },
      },
    },
  };
}

export class NodeRedRuntime {
  private constructor(
    private readonly red: NodeRedModule,
    private readonly mount: RuntimeMount,
    /** Messages, errors and time per flow and node (metrics.ts); `snapshot()` for monitoring. */
    readonly metrics: RuntimeMetrics,
    private readonly storage: FlowStorage,
    private readonly startTimeoutMs: number,
    private readonly unguard?: () => void,
  ) {}

  static async start(opts: RuntimeOptions): Promise<NodeRedRuntime> {
    if (running) throw new Error('a Node-RED runtime already runs in this process');
    running = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const red = require('node-red') as NodeRedModule;
    const metrics = new RuntimeMetrics();
    let unguard: (() => void) | undefined;
    try {
      if (opts.config.env === 'production' && !opts.adminAuth) throw new Error('a production runtime needs adminAuth: its admin API is never open');
      setHubContext(opts.context);
      const settings = runtimeSettings(opts.config, opts.logger, { metrics, ...pick(opts) });
      const storage = settings.storageModule as FlowStorage;
      // Node-RED swallows a storage error while it loads the flows (and then never starts them):
      // flows it cannot read (shared.json) are refused here, with the storage's own message.
      await storage.getFlows();
      red.init(opts.server, settings);
      metrics.install(red.hooks, red.events);
      const started = flowsStarted(red, opts.startTimeoutMs ?? 30_000);
      await red.start();
      // The editor's comms WebSocket listens on the server from here on.
      unguard = opts.exposure?.guardUpgrades(opts.server);
      await started;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const express = require('express') as () => { use(path: string, app: RequestHandlerApp): void };
      const outer = express();
      outer.use(ADMIN_ROOT, red.httpAdmin);
      outer.use(NODE_ROOT, red.httpNode);
      opts.mount.attach(outer);
      return new NodeRedRuntime(red, opts.mount, metrics, storage, opts.startTimeoutMs ?? 30_000, unguard);
    } catch (err) {
      unguard?.();
      forgetModules();
      await red.stop().catch(() => undefined);
      metrics.uninstall();
      setHubContext(undefined);
      running = false;
      throw err;
    }
  }

  /**
   * Loads what the storage gives now (the release gate's choice after a promotion or a retirement)
   * as a deploy of the changed flows: Node-RED stops and starts the tabs whose nodes changed, and
   * leaves every other tab — and the messages it holds — running. Resolves once they have started.
   */
  async reload(): Promise<void> {
    const flows = await this.storage.getFlows();
    // The credentials as kept, so that none of a tab's is forgotten while it is out.
    const credentials = await this.storage.getCredentials();
    const hasCredentials = typeof credentials === 'object' && credentials !== null && Object.keys(credentials).length > 0;
    const started = flowsStarted(this.red, this.startTimeoutMs);
    try {
      await this.red.runtime.flows.setFlows({ flows: { flows, ...(hasCredentials ? { credentials } : {}) }, deploymentType: 'flows', user: RELOAD });
    } catch (err) {
      void started.catch(() => undefined);
      throw err;
    }
    await started;
  }

  /** The flows Node-RED runs now. */
  async running(): Promise<FlowNode[]> {
    return (await this.red.runtime.flows.getFlows({})).flows;
  }

  async stop(): Promise<void> {
    this.mount.detach();
    this.unguard?.();
    forgetModules();
    await this.red.stop();
    this.metrics.uninstall();
    setHubContext(undefined);
    running = false;
  }
}

/**
 * Node-RED's registry keeps which node sets each module had across a stop and the next init (its
 * clear() forgets the modules' configs but not that list), and the next start then fails on
 * "wasl". Removing the modules as the runtime stops lets a process start it again (tests do). It
 * is done just before the stop; removeModule refuses when the runtime's settings say they are
 * unavailable — which node-red-node-test-helper makes them say for the rest of the process once it
 * has run — so for that one in-memory call (skipSave: nothing is written) they are let through.
 */
function forgetModules(): void {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const registry = require('@node-red/registry') as { getModuleList(): Record<string, unknown>; removeModule(name: string, skipSave: boolean): unknown };
    const settings = require('@node-red/runtime/lib/settings') as { available(): boolean };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const available = settings.available;
    settings.available = () => true;
    try {
      for (const name of Object.keys(registry.getModuleList())) {
        if (name === 'node-red') continue;
        try {
          registry.removeModule(name, true);
        } catch {
          // not loaded: nothing to forget
        }
      }
    } finally {
      settings.available = available;
    }
  } catch {
    // a registry without these functions: nothing to do
  }
}

function pick(o: RuntimeOptions): Omit<RuntimeSettingsExtras, 'metrics'> {
  return { ...(o.adminAuth ? { adminAuth: o.adminAuth } : {}), ...(o.roleOf ? { roleOf: o.roleOf } : {}), ...(o.audit ? { audit: o.audit } : {}), ...(o.flows ? { flows: o.flows } : {}) };
}

function flowsStarted(red: NodeRedModule, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      red.events.removeListener('flows:started', onStarted);
      red.events.removeListener('runtime-event', onState);
      if (err) reject(err);
      else resolve();
    };
    const onStarted = () => done();
    const onState = (ev: Record<string, unknown>) => {
      const p = ev.payload as { state?: string; error?: string; types?: string[]; modules?: unknown } | undefined;
      if (ev.id === 'runtime-state' && p?.state === 'stop' && p.error) {
        done(new Error(`the flows did not start: ${p.error}${p.types ? ` (${p.types.join(', ')})` : ''}`));
      }
    };
    const timer = setTimeout(() => done(new Error(`the flows did not start within ${timeoutMs} ms`)), timeoutMs);
    red.events.on('flows:started', onStarted);
    red.events.on('runtime-event', onState);
  });
}

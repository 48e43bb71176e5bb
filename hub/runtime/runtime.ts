/**
 * Node-RED 4.1, embedded in the hub process: on the hub's HTTP server, its editor and admin API
 * under /red and the flows' own HTTP endpoints under /svc (routes.ts hands those paths from
 * Fastify to Node-RED's Express apps). Flows come from the repository (storage.ts), wasl's
 * nodes from the package.json "node-red" section (nodes/lib/node-red.ts). `start` resolves once
 * the flows have started — Node-RED's admin API answers before they do. The editor and admin API
 * need an operator's login (hub/operators.ts) outside the sandbox, and in it once WASL_OPERATORS is
 * set; messages, errors and time per flow and node are counted from the messaging hooks
 * (metrics.ts, `runtime.metrics.snapshot()`).
 *
 * Node-RED is a process-wide singleton: one runtime per process at a time.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { HubConfig } from '../config';
import type { Logger } from '../log';
import { operatorsAdminAuth } from '../operators';
import { setHubContext, type HubContext } from './context';
import { RuntimeMetrics, type Hooks } from './metrics';
import type { RuntimeMount } from './routes';
import type { Store } from '../store';
import { createFlowStorage } from './storage';

/** The parts of node-red's module API used here (node-red ships no types). */
interface NodeRedModule {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: RequestHandlerApp;
  httpNode: RequestHandlerApp;
  events: { on(e: string, f: (ev: Record<string, unknown>) => void): void; removeListener(e: string, f: (ev: Record<string, unknown>) => void): void };
  hooks: Hooks;
}
type RequestHandlerApp = (req: unknown, res: unknown, next?: (err?: unknown) => void) => void;

export const ADMIN_ROOT = '/red';
export const NODE_ROOT = '/svc';
const REPO_ROOT = resolve(__dirname, '..', '..');
const LEVELS: Record<number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' };

export interface RuntimeOptions {
  config: HubConfig;
  logger: Logger;
  server: Server;
  context: HubContext;
  mount: RuntimeMount;
  /** How long start waits for the flows; 30 s by default. */
  startTimeoutMs?: number;
}

let running = false;

/** `metrics`, when given, counts the errors Node-RED logs for nodes (see metrics.ts). */
export function runtimeSettings(config: HubConfig, logger: Logger, metrics?: RuntimeMetrics, store?: Pick<Store, 'appendAudit'>): Record<string, unknown> {
  const production = config.env === 'production';
  const log = logger.child({ component: 'node-red' });
  // Editor logins go into the audit trail like the dashboard's; an unknown name is kept only as a count of failures, not as typed.
  const onLogin = (user: string, ok: boolean) => {
    const known = config.operators?.some((o) => o.user === user) ?? false;
    store
      ?.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: known ? `operator:${user}` : 'operator:(unknown)', subject: 'editor', data: { action: ok ? 'login' : 'login-failed' } }])
      .catch((err: unknown) => log.error({ err: { message: (err as Error).message } }, 'could not append an editor login to the audit trail'));
  };
  return {
    userDir: join(config.dataDir, 'node-red'),
    storageModule: createFlowStorage({ flowsDir: config.flowsDir, stateDir: join(config.dataDir, 'node-red'), readOnly: production }),
    // Without WASL_SECRET (the sandbox only: production refuses to start) Node-RED makes a key and keeps it in the data dir.
    ...(config.secret ? { credentialSecret: config.secret } : {}),
    httpAdminRoot: ADMIN_ROOT,
    httpNodeRoot: NODE_ROOT,
    disableEditor: production,
    // Outside the sandbox the editor and admin API need an operator's login (WASL_OPERATORS; with
    // none, nobody can log in and they stay closed). In the sandbox they need one too once
    // WASL_OPERATORS is set; without it the sandbox editor stays open, for local development.
    ...(production || config.operators ? { adminAuth: operatorsAdminAuth(config.operators ?? [], config.env, onLogin) } : {}),
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
        audit: false,
        handler: () => (m: { level: number; msg: unknown; type?: string; id?: string; name?: string; z?: string }) => {
          const level = LEVELS[m.level] ?? 'info';
          if (m.level <= 20 && m.id) metrics?.loggedError(m);
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
  ) {}

  static async start(opts: RuntimeOptions): Promise<NodeRedRuntime> {
    if (running) throw new Error('a Node-RED runtime already runs in this process');
    running = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const red = require('node-red') as NodeRedModule;
    const metrics = new RuntimeMetrics();
    try {
      setHubContext(opts.context);
      red.init(opts.server, runtimeSettings(opts.config, opts.logger, metrics, opts.context.store));
      metrics.install(red.hooks, red.events);
      const started = flowsStarted(red, opts.startTimeoutMs ?? 30_000);
      await red.start();
      await started;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const express = require('express') as () => { use(path: string, app: RequestHandlerApp): void };
      const outer = express();
      outer.use(ADMIN_ROOT, red.httpAdmin);
      outer.use(NODE_ROOT, red.httpNode);
      opts.mount.attach(outer);
      return new NodeRedRuntime(red, opts.mount, metrics);
    } catch (err) {
      forgetModules();
      await red.stop().catch(() => undefined);
      metrics.uninstall();
      setHubContext(undefined);
      running = false;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.mount.detach();
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

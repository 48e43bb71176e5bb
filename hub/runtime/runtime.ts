/**
 * Node-RED 4.1, embedded in the hub process: on the hub's HTTP server, its editor and admin API
 * under /red and the flows' own HTTP endpoints under /svc (routes.ts hands those paths from
 * Fastify to Node-RED's Express apps). Flows come from the repository (storage.ts), wasl's
 * nodes from the package.json "node-red" section (nodes/lib/node-red.ts). `start` resolves once
 * the flows have started — Node-RED's admin API answers before they do.
 *
 * Node-RED is a process-wide singleton: one runtime per process at a time.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { HubConfig } from '../config';
import type { Logger } from '../log';
import { setHubContext, type HubContext } from './context';
import type { RuntimeMount } from './routes';
import { createFlowStorage } from './storage';

/** The parts of node-red's module API used here (node-red ships no types). */
interface NodeRedModule {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: RequestHandlerApp;
  httpNode: RequestHandlerApp;
  events: { on(e: string, f: (ev: Record<string, unknown>) => void): void; removeListener(e: string, f: (ev: Record<string, unknown>) => void): void };
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

export function runtimeSettings(config: HubConfig, logger: Logger): Record<string, unknown> {
  const production = config.env === 'production';
  const log = logger.child({ component: 'node-red' });
  return {
    userDir: join(config.dataDir, 'node-red'),
    storageModule: createFlowStorage({ flowsDir: config.flowsDir, stateDir: join(config.dataDir, 'node-red'), readOnly: production }),
    // Without WASL_SECRET (the sandbox only: production refuses to start) Node-RED makes a key and keeps it in the data dir.
    ...(config.secret ? { credentialSecret: config.secret } : {}),
    httpAdminRoot: ADMIN_ROOT,
    httpNodeRoot: NODE_ROOT,
    disableEditor: production,
    // Outside the sandbox the admin API needs a login. Operators' accounts (WASL_OPERATORS) are
    // the monitoring issue's; until then nobody can log in there, which keeps it closed.
    ...(production ? { adminAuth: { type: 'credentials', users: async () => null, authenticate: async () => null, default: undefined } } : {}),
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
        handler: () => (m: { level: number; msg: unknown; type?: string; id?: string; name?: string }) => {
          const level = LEVELS[m.level] ?? 'info';
          const text = m.msg instanceof Error ? m.msg.message : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg);
          log[level]({ node: m.id, nodeType: m.type, nodeName: m.name }, text);
        },
      },
    },
  };
}

export class NodeRedRuntime {
  private constructor(private readonly red: NodeRedModule, private readonly mount: RuntimeMount) {}

  static async start(opts: RuntimeOptions): Promise<NodeRedRuntime> {
    if (running) throw new Error('a Node-RED runtime already runs in this process');
    running = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const red = require('node-red') as NodeRedModule;
    try {
      setHubContext(opts.context);
      red.init(opts.server, runtimeSettings(opts.config, opts.logger));
      const started = flowsStarted(red, opts.startTimeoutMs ?? 30_000);
      await red.start();
      await started;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const express = require('express') as () => { use(path: string, app: RequestHandlerApp): void };
      const outer = express();
      outer.use(ADMIN_ROOT, red.httpAdmin);
      outer.use(NODE_ROOT, red.httpNode);
      opts.mount.attach(outer);
      return new NodeRedRuntime(red, opts.mount);
    } catch (err) {
      await red.stop().catch(() => undefined);
      setHubContext(undefined);
      running = false;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.mount.detach();
    await this.red.stop();
    setHubContext(undefined);
    running = false;
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

/**
 * The sandbox environment a run needs: a whole hub — the gateway over HTTP on a free port, an
 * in-memory store, the embedded bus, the Node-RED flows, the connectors — and a simulator of every
 * provider on free ports, the connectors pointed at them (connectors/sandbox-overrides.ts), so it
 * works beside a hub already serving the sandbox. Provider time-outs, breaker cool-downs and bus
 * retry delays are shortened, so that a scenario about an outage takes seconds. The runner
 * (runner.ts), `npm run demo` (../demo.ts) and the dashboard's browser tests start one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelKind } from '../../contracts/types';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { listProviders } from '../../connectors/import/write';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import type { RestBinding } from '../../connectors/rest/binding';
import { ScenarioScripts, startContractSimulator } from '../generated';
import { templatePattern } from '../generated/rest';
import type { RunningSimulator } from '../simulators/recorder';
import { startEpay, startIntlPay, startPost } from '../simulators';
import { auditConfig, type ChannelKey, type HubConfig } from '../../hub/config';
import { DEFAULT_FULFILMENT_FILE } from '../../hub/fulfilment';
import { createHub, type Hub } from '../../hub/hub';
import { createLogger } from '../../hub/log';
import type { Operator } from '../../hub/operators';
import { SqliteStore } from '../../hub/store/sqlite';
import { certificateReader } from '../certificate';
import { isStateful, type StatefulProvider } from './simulator-sources';

/** The payment and postal companies have stateful simulators of their own (callbacks, refunds, tracking): simulator-sources.ts names them, for certificates too. */
const STATEFUL: Record<StatefulProvider, typeof startEpay | typeof startIntlPay | typeof startPost> = { 'sy-epay': startEpay, 'intl-pay': startIntlPay, 'sy-post': startPost };

export interface EnvironmentOptions {
  flowsDir: string;
  providersRoot?: string;
  fulfilmentFile?: string;
  /** Operators who may open the dashboard (/monitor). */
  operators?: Operator[];
}

export interface SandboxEnvironment {
  hub: Hub;
  url: string;
  keys: Record<ChannelKind, ChannelKey>;
  scripts: ScenarioScripts;
  sims: RunningSimulator[];
  /** Operation of a request to a stateful simulator, by provider and method+path. */
  operationOf(provider: string, method: string, path: string): string | undefined;
  close(): Promise<void>;
}

function routesOf(code: string, root: string): Array<{ name: string; method: string; pattern: RegExp }> {
  const p = loadProvider(code, root);
  const base = new URL(p.definition.environments.sandbox?.endpoint ?? 'http://x/').pathname.replace(/\/+$/, '');
  return Object.entries(p.operations).map(([name, o]) => {
    const b = o.binding as unknown as RestBinding;
    return { name, method: b.method.toUpperCase(), pattern: templatePattern(`${base}${b.path}`).pattern };
  });
}

export async function startEnvironment(opts: EnvironmentOptions, logDestination?: NodeJS.WritableStream): Promise<SandboxEnvironment> {
  const root = opts.providersRoot ?? DEFAULT_PROVIDERS_ROOT;
  const scripts = new ScenarioScripts();
  const sims: RunningSimulator[] = [];
  const routes = new Map<string, ReturnType<typeof routesOf>>();
  let restore: (() => void) | undefined;
  let dataDir: string | undefined;
  try {
    for (const code of listProviders(root)) {
      const stateful = isStateful(code) ? STATEFUL[code] : undefined;
      if (stateful) {
        routes.set(code, routesOf(code, root));
        // Each simulator reads its own part of the scenario: payment modes for the payment companies, delivery modes for the post.
        const forThis = async (ref: string) => {
          const s = await scripts.forOrder(ref);
          const b = code === 'sy-post' ? s?.delivery : s?.payment;
          return b?.mode ? (b as { mode: string; lateMs?: number; paidAmount?: number }) : undefined;
        };
        sims.push(await stateful({ port: 0, payDelayMs: 50, postDelayMs: 50, callbackRetryDelaysMs: [100, 400], behaviourFor: forThis } as never));
      } else sims.push(await startContractSimulator(code, { port: 0, providersRoot: root, scripts }));
    }
    restore = overrideSandbox({ endpoints: Object.fromEntries(sims.map((s) => [s.name, s.url])), maxTimeoutMs: 2_000, maxHalfOpenAfterMs: 1_000 });

    const keys = Object.fromEntries(
      (['centre', 'portal', 'expat-portal'] as const).map((kind) => [kind, { channel: `sandbox-${kind}`, key: randomBytes(24).toString('base64url'), services: ['*'], kind, readAll: true }]),
    ) as unknown as Record<ChannelKind, ChannelKey>;
    dataDir = mkdtempSync(join(tmpdir(), 'wasl-sandbox-run-'));
    const config: HubConfig = {
      env: 'sandbox',
      host: '127.0.0.1',
      port: 0,
      dataDir,
      flowsDir: opts.flowsDir,
      fulfilmentFile: opts.fulfilmentFile ?? DEFAULT_FULFILMENT_FILE,
      audit: auditConfig({}, dataDir),
      channelKeys: Object.values(keys),
      logLevel: 'info',
      bodyLimit: 256 * 1024,
      rateLimitPerMinute: 1_000_000,
      ...(opts.operators ? { operators: opts.operators } : {}),
    };
    const logger = createLogger(config.logLevel, logDestination ?? { write: () => true });
    const hub = await createHub(config, {
      runtime: true,
      logger,
      certificates: certificateReader,
      store: new SqliteStore({ file: ':memory:' }),
      watchEveryMs: 500,
      busRetry: { maxAttempts: 5, delaysMs: [200, 500, 1_000, 2_000] },
    });
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    hub.url = url;
    await hub.startBackground();
    const dir = dataDir;
    const undo = restore;
    return {
      hub,
      url,
      keys,
      scripts,
      sims,
      operationOf: (provider, method, path) => routes.get(provider)?.find((r) => r.method === method && r.pattern.test(path))?.name,
      close: async () => {
        await hub.close();
        await Promise.all(sims.map((s) => s.close()));
        undo();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(sims.map((s) => s.close()));
    restore?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

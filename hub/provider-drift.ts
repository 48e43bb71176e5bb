/**
 * The hub's scheduled contract check (WASL_PROVIDER_CHECK_MINUTES > 0): every so often, each
 * provider with a test or production environment (connectors/import/drift-check.ts
 * defaultEnvironment) and an imported contract is checked as `wasl provider check` would, one at a
 * time, and the latest result is kept for GET /metrics (hub/metrics.ts):
 *
 *   wasl_provider_contract_drift{provider,severity="breaking|compatible"}   changes found by the last successful check
 *   wasl_provider_contract_check_timestamp_seconds{provider}                 when that check ran
 *   wasl_provider_contract_check_failed{provider}                            1 when the last check could not be made
 *
 * A failing check never stops the hub: it is logged (stage and reason, the URL without its query
 * or credentials, never a secret) and counted as failed; the drift of the last successful check
 * stays shown. The timer is unref'd, a run never overlaps the previous one, and stop() waits for
 * the run under way. The interval, the clock and the check itself are injectable (tests).
 */
import type { CheckOptions, CheckReport } from '../connectors/import/drift-check';
import type { Logger } from './log';

export interface ContractCheckState {
  provider: string;
  /** The last check made, successful or not. */
  last: CheckReport;
  /** The last check that compared contracts (status other than error). */
  lastSuccess?: CheckReport;
}

export interface ProviderDriftOptions {
  providersRoot: string;
  logger: Logger;
  /** How often, in ms (> 0). */
  everyMs: number;
  now?: () => Date;
  /** The check (connectors/import/drift-check.ts checkProvider by default). */
  check?: (code: string, opts: CheckOptions) => Promise<CheckReport>;
  /** The providers to check (every provider under providersRoot with a test or production endpoint and an imported contract by default). */
  providers?: () => string[];
  setInterval?: (fn: () => void, ms: number) => { unref?: () => unknown };
  clearInterval?: (timer: unknown) => void;
}

/** Strips credentials and queries from URLs in a message: logs name where, not how. */
function safeText(s: string): string {
  return s.replace(/\b(https?:\/\/)[^\s/@]*@/g, '$1').replace(/(\bhttps?:\/\/[^\s?#]*)\?[^\s#]*/g, (_m, base: string) => `${base}?…`);
}

export class ProviderDriftMonitor {
  private readonly states = new Map<string, ContractCheckState>();
  private timer: unknown;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: ProviderDriftOptions) {}

  /** The latest state of each provider checked, by provider code. */
  results(): ContractCheckState[] {
    return [...this.states.values()];
  }

  /** Runs now, then every everyMs until stop(). */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    void this.tick();
    const every = this.opts.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
    const t = every(() => void this.tick(), this.opts.everyMs);
    t.unref?.();
    this.timer = t;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) (this.opts.clearInterval ?? ((x: unknown) => clearInterval(x as NodeJS.Timeout)))(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run over every provider (skipped while the previous one is still under way). */
  tick(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((err: unknown) => this.opts.logger.error({ err: { message: safeText((err as Error).message) } }, 'the contract check could not run'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running ?? Promise.resolve();
  }

  async runOnce(): Promise<ContractCheckState[]> {
    /* eslint-disable @typescript-eslint/no-require-imports -- the importers load when a check runs, not at every start */
    const drift = require('../connectors/import/drift-check') as typeof import('../connectors/import/drift-check');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const check = this.opts.check ?? drift.checkProvider;
    const codes = (this.opts.providers ?? (() => this.checkable()))();
    for (const code of codes) {
      if (this.stopped) break;
      let report: CheckReport;
      try {
        report = await check(code, { root: this.opts.providersRoot, ...(this.opts.now ? { now: this.opts.now } : {}) });
      } catch (err) {
        // checkProvider does not throw; an injected check might.
        report = { provider: code, status: 'error', summary: { breaking: 0, compatible: 0 }, changes: [], warnings: [], checkedAt: (this.opts.now?.() ?? new Date()).toISOString(), error: { stage: 'fetch', message: (err as Error).message } };
      }
      const prev = this.states.get(code);
      const state: ContractCheckState = { provider: code, last: report, ...(report.status !== 'error' ? { lastSuccess: report } : prev?.lastSuccess ? { lastSuccess: prev.lastSuccess } : {}) };
      this.states.set(code, state);
      this.log(report);
    }
    for (const code of [...this.states.keys()]) if (!codes.includes(code)) this.states.delete(code);
    return this.results();
  }

  private log(r: CheckReport): void {
    const base = { provider: r.provider, environment: r.environment, ...(r.url ? { url: safeText(r.url) } : {}) };
    if (r.status === 'error') {
      this.opts.logger.warn({ ...base, stage: r.error?.stage, reason: safeText(r.error?.message ?? '') }, 'provider contract check failed');
    } else if (r.status === 'breaking') {
      this.opts.logger.error({ ...base, breaking: r.summary.breaking, compatible: r.summary.compatible, changes: r.changes.filter((c) => c.severity === 'breaking').slice(0, 20).map((c) => c.message) }, 'provider contract changed: breaking changes');
    } else if (r.status === 'compatible') {
      this.opts.logger.info({ ...base, compatible: r.summary.compatible, changes: r.changes.slice(0, 20).map((c) => c.message) }, 'provider contract changed: compatible changes only');
    } else this.opts.logger.debug(base, 'provider contract: no drift');
  }

  /** Providers with a test or production endpoint and an imported contract. */
  private checkable(): string[] {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { listProviders } = require('../connectors/import/write') as typeof import('../connectors/import/write');
    const { loadProvider } = require('../connectors/provider-files') as typeof import('../connectors/provider-files');
    const { defaultEnvironment } = require('../connectors/import/drift-check') as typeof import('../connectors/import/drift-check');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const out: string[] = [];
    for (const code of listProviders(this.opts.providersRoot)) {
      try {
        const def = loadProvider(code, this.opts.providersRoot).definition;
        if (def.contract.type !== 'manual' && def.contract.file && defaultEnvironment(def)) out.push(code);
      } catch (err) {
        this.opts.logger.warn({ provider: code, reason: safeText((err as Error).message) }, 'provider contract check: the provider does not load');
      }
    }
    return out;
  }
}

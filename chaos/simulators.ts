/**
 * The chaos suite's ministries, payment companies and post: the sandbox's simulators on the
 * ports their providers' sandbox endpoints name (so the hub processes need no override), in the
 * suite's own process so that it can take one down, slow it, and read every request each
 * simulator received — across restarts — to count side effects.
 *
 * A side effect is a request that changes something at the provider (any method but GET/HEAD).
 * The same order step asked again with the same idempotency key (X-Road message id, or the
 * Idempotency-Key header) is one effect: a ministry deduplicates on it. Two different keys for
 * the same order, provider and operation are the same step done twice — what must never happen.
 */
import { listProviders } from '../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../connectors/provider-files';
import { startContractSimulator } from '../sandbox/generated';
import { startEpay, startIntlPay, startPost, type RunningSimulator, type SimRequest } from '../sandbox/simulators';

type Start = () => Promise<RunningSimulator>;

const STATEFUL: Record<string, (o: { port: number; host: string }) => Promise<RunningSimulator>> = {
  'sy-epay': (o) => startEpay({ ...o, payDelayMs: 200 }),
  'intl-pay': (o) => startIntlPay({ ...o, payDelayMs: 200 }),
  'sy-post': (o) => startPost({ ...o, postDelayMs: 200 }),
};

export interface Duplicate {
  provider: string;
  orderId: string;
  operation: string;
  keys: number;
}

export class ChaosSimulators {
  private readonly running = new Map<string, RunningSimulator>();
  private readonly starts = new Map<string, Start>();
  /** Requests of simulator instances that were closed (a restart starts an empty record). */
  private readonly past: SimRequest[] = [];

  static async start(): Promise<ChaosSimulators> {
    const sims = new ChaosSimulators();
    for (const code of listProviders(DEFAULT_PROVIDERS_ROOT)) {
      const endpoint = loadProvider(code).definition.environments.sandbox?.endpoint;
      const url = endpoint ? new URL(endpoint) : undefined;
      if (!url || !['127.0.0.1', 'localhost'].includes(url.hostname)) continue;
      const port = Number(url.port || 80);
      const stateful = STATEFUL[code];
      sims.starts.set(code, stateful ? () => stateful({ port, host: '127.0.0.1' }) : () => startContractSimulator(code, { port, host: '127.0.0.1' }));
    }
    try {
      for (const code of sims.starts.keys()) await sims.up(code);
    } catch (err) {
      await sims.close();
      throw err;
    }
    return sims;
  }

  codes(): string[] {
    return [...this.starts.keys()];
  }

  async up(code: string): Promise<void> {
    if (this.running.has(code)) return;
    const start = this.starts.get(code);
    if (!start) throw new Error(`no simulator for ${code}`);
    this.running.set(code, await start());
  }

  /** Closes the simulator and its open connections: the ministry's host is gone. */
  async down(code: string): Promise<void> {
    const sim = this.running.get(code);
    if (!sim) return;
    this.running.delete(code);
    this.past.push(...sim.requests);
    await sim.close();
  }

  setDelay(code: string, ms: number): void {
    this.running.get(code)?.setDelay(ms);
  }

  requests(): SimRequest[] {
    return [...this.past, ...[...this.running.values()].flatMap((s) => s.requests)];
  }

  /** Effects done twice for one order step (see the header), among these orders; and how many effects there were. */
  duplicates(orders: ReadonlySet<string>): { effects: number; duplicates: Duplicate[] } {
    return duplicateEffects(this.requests(), orders);
  }

  async close(): Promise<void> {
    const all = [...this.running.keys()];
    for (const code of all) await this.down(code);
  }
}

/** The effects on providers of these orders' steps, and the steps done under more than one idempotency key. */
export function duplicateEffects(requests: readonly SimRequest[], orders: ReadonlySet<string>): { effects: number; duplicates: Duplicate[] } {
  const keys = new Map<string, Set<string>>();
  let anonymous = 0;
  for (const r of requests) {
    if (!r.orderId || !orders.has(r.orderId)) continue;
    if (r.method === 'GET' || r.method === 'HEAD') continue;
    // Refused at the door (credentials, a request the contract does not allow) or cut by a
    // scripted fault: nothing happened there.
    if (r.status === 401 || r.outcome === 'INVALID_REQUEST' || r.outcome.startsWith('fault:')) continue;
    const step = `${r.simulator}\u0000${r.orderId}\u0000${r.operation ?? `${r.method} ${r.path}`}`;
    const set = keys.get(step) ?? new Set<string>();
    set.add(r.idempotencyKey ?? `(none ${++anonymous})`);
    keys.set(step, set);
  }
  const duplicates: Duplicate[] = [];
  for (const [step, set] of keys) {
    if (set.size < 2) continue;
    const [provider, orderId, operation] = step.split('\u0000') as [string, string, string];
    duplicates.push({ provider, orderId, operation, keys: set.size });
  }
  return { effects: keys.size, duplicates };
}

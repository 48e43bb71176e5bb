/**
 * Per-order behaviour of the simulators, so that scenarios run side by side against one set of
 * simulators without seeing each other's faults: the runner registers what a scenario asks of
 * each provider (contracts/scenario.schema.json `providers`, `payment`, `delivery`) under the
 * order id the gateway gave it; a simulator looks the order up from the request (X-Wasl-Order-Id,
 * the X-Road `issue` header, or the idempotency key's order part).
 *
 * The gateway answers before the runner can register, and a flow may already call a provider by
 * then; so the runner announces a submission first (`expect()`), and while one is announced a
 * simulator asked about an order it does not know waits (up to `waitMs`) for it to be registered.
 * Without any announcement (npm start, a demo) nothing waits and the defaults apply.
 */
import type { Scenario } from '../../contracts/types';
import { contains } from './examples';

export type ProviderBehaviour = NonNullable<NonNullable<NonNullable<Scenario['providers']>[string]>[string]>;
export type Fault = NonNullable<ProviderBehaviour['fault']>;

export interface Script {
  providers?: Scenario['providers'];
  payment?: Scenario['payment'];
  delivery?: Scenario['delivery'];
}

/** What a simulator should do with one call. */
export interface CallPlan {
  /** Members laid over the generated answer. */
  respond?: Record<string, unknown>;
  latencyMs?: number;
  /** The fault to play instead of answering, when it applies to this call. */
  fault?: Fault;
  /** 1 for the first call of this operation for this order. */
  call: number;
}

export class ScenarioScripts {
  private readonly scripts = new Map<string, Script>();
  private readonly counts = new Map<string, number>();
  private readonly firstCall = new Map<string, number>();
  private announced = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly waitMs = 5_000) {}

  /** A submission is on its way; call the returned function once its order is registered (or failed). */
  expect(): () => void {
    this.announced++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.announced--;
      this.wake();
    };
  }

  set(orderId: string, script: Script): void {
    this.scripts.set(orderId, script);
    this.wake();
  }

  delete(orderId: string): void {
    this.scripts.delete(orderId);
  }

  /** The order's script; waits for it while a submission is announced. */
  async forOrder(orderId: string | undefined): Promise<Script | undefined> {
    if (!orderId) return undefined;
    const deadline = Date.now() + this.waitMs;
    while (!this.scripts.has(orderId) && this.announced > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.scripts.get(orderId);
  }

  /** The plan for one call of `provider.operation` for the order, counting the call. */
  async plan(orderId: string | undefined, provider: string, operation: string, input: unknown, now = Date.now()): Promise<CallPlan> {
    const key = `${orderId ?? '-'}\u0000${provider}\u0000${operation}`;
    const call = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, call);
    if (!this.firstCall.has(key)) this.firstCall.set(key, now);
    const script = await this.forOrder(orderId);
    const byOp = script?.providers?.[provider];
    const b = byOp?.[operation] ?? byOp?.['*'];
    if (!b || (b.when && !contains(input, b.when))) return { call };
    const plan: CallPlan = { call, ...(b.respond ? { respond: b.respond } : {}), ...(b.latencyMs ? { latencyMs: b.latencyMs } : {}) };
    const f = b.fault;
    if (!f) return plan;
    const applies = f.kind === 'outage' ? now - this.firstCall.get(key)! < (f.forMs ?? Infinity) && (f.times === undefined || call <= f.times) : f.times === undefined || call <= f.times;
    return applies ? { ...plan, fault: f } : plan;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** The order a request is for: X-Wasl-Order-Id, else X-Road `issue`, else the idempotency key's order part (`<order>:<provider>.<operation>`). */
export function orderOf(headerOrder: string | undefined, xroadIssue: string | undefined, idempotencyKey: string | undefined): string | undefined {
  if (headerOrder) return headerOrder;
  if (xroadIssue) return xroadIssue;
  const i = idempotencyKey?.indexOf(':') ?? -1;
  return i > 0 ? idempotencyKey!.slice(0, i) : undefined;
}

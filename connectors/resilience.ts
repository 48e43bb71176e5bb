/**
 * Resilience as a policy applied to a connector's calls, never a loop inside it (Camel's
 * RedeliveryPolicy, Polly/cockatiel policies). One ProviderPolicy per provider, configured by
 * the provider file's `resilience` (provider level, overridden per operation), with the
 * defaults declared once in contracts/provider.schema.json.
 *
 * Each attempt goes through, outermost first:
 *   retry      cockatiel RetryPolicy; exponential backoff with full jitter; only ConnectorErrors
 *              that are transient, and only for idempotent calls or calls with an idempotency key
 *              (got's rule: POST, so SOAP, is not retried without one). Never into an open
 *              breaker or a full bulkhead: those shed load, retrying would add it back.
 *   bulkhead   per provider (cockatiel): maxConcurrent in flight, maxQueued waiting, the rest
 *              refused at once with BulkheadRejectedError.
 *   rate limit per provider, a token bucket (cockatiel has none). A call waits for its token
 *              in order of arrival, as long as the wait is shorter than its timeoutMs; otherwise
 *              it is refused at once with RateLimitedError(retryAfterMs = the wait). Nothing is
 *              sent in either case.
 *   breaker    per endpoint (cockatiel ConsecutiveBreaker): opens after failureThreshold
 *              consecutive transport failures, timeouts or transient provider faults; any other
 *              outcome (a business refusal, a 4xx, a contract violation) is an exchange that
 *              worked and closes the count. Open → CircuitOpenError, nothing sent; after
 *              halfOpenAfterMs one trial call goes through, and its outcome closes or reopens it.
 *
 * An operation that overrides circuitBreaker, bulkhead or rateLimit gets a breaker, bulkhead or
 * bucket of its own; the others share the provider's. The caller's AbortSignal ends any wait
 * (queue, token, backoff) at once with the signal's reason.
 */
import {
  BrokenCircuitError,
  type BulkheadPolicy,
  BulkheadRejectedError as CockatielBulkheadRejected,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  type RetryPolicy,
  bulkhead as cockatielBulkhead,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  retry,
  TaskCancelledError,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import providerSchema from '../contracts/provider.schema.json';
import type { Policy, Resilience } from '../contracts/types';
import {
  BulkheadRejectedError,
  CircuitOpenError,
  ConnectorError,
  ProviderFault,
  RateLimitedError,
  TimeoutError,
  TransportError,
} from './errors';

type Required2<T> = { [K in keyof T]-?: T[K] extends object | undefined ? Required<NonNullable<T[K]>> : T[K] };

/** An operation's policy with every default filled in. */
export interface EffectivePolicy extends Omit<Required2<Policy>, 'rateLimit'> {
  /** Absent when the provider sets no rate limit. */
  rateLimit?: { perSecond: number; burst: number };
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface PolicyCall {
  operation: string;
  /** The endpoint (URL) the call goes to: one breaker each. */
  endpoint: string;
  idempotent: boolean;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface PolicyResult<T> {
  value: T;
  attempts: number;
  durationMs: number;
}

export interface ProviderPolicy {
  readonly provider: string;
  /** The merged policy of an operation (provider level over defaults, operation over that). */
  effective(operation: string): EffectivePolicy;
  execute<T>(call: PolicyCall, attempt: (n: number, policy: EffectivePolicy) => Promise<T>): Promise<PolicyResult<T>>;
  /** Breaker state per endpoint (`endpoint` or `endpoint#operation` for an operation with its own). */
  breakerStates(): Record<string, BreakerState>;
  /** Called on every breaker transition; returns a function that removes the listener. */
  onBreakerChange(listener: (endpoint: string, state: BreakerState) => void): () => void;
}

export interface PolicyOptions {
  /** For tests: the source of jitter (default Math.random). */
  random?: () => number;
  /** For tests: the rate limit's clock and its wait for a token (default performance.now and a timer). */
  clock?: RateLimitClock;
}

export interface RateLimitClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
}

const REAL_CLOCK: RateLimitClock = { now: () => performance.now(), sleep };

/** The defaults of Policy, read from the schema's `default` keywords (nothing repeated here). */
export const POLICY_DEFAULTS = defaultsOf(providerSchema.$defs.Policy) as EffectivePolicy;

function defaultsOf(node: unknown): unknown {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as { default?: unknown; properties?: Record<string, unknown> };
  if ('default' in n) return structuredClone(n.default);
  if (!n.properties) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n.properties)) {
    const d = defaultsOf(v);
    if (d !== undefined) out[k] = d;
  }
  return Object.keys(out).length ? out : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Merges defaults, the provider level and (when given) the operation's overrides. */
export function effectivePolicy(resilience: Resilience | undefined, operation?: string): EffectivePolicy {
  const { operations, ...providerLevel } = resilience ?? {};
  const own = operation === undefined || !operations || !Object.hasOwn(operations, operation) ? undefined : operations[operation];
  const merged = deepMerge(deepMerge(POLICY_DEFAULTS, providerLevel), own) as EffectivePolicy;
  if (merged.rateLimit) merged.rateLimit = { perSecond: merged.rateLimit.perSecond, burst: merged.rateLimit.burst ?? Math.ceil(merged.rateLimit.perSecond) };
  return merged;
}

/** Whether an HTTP status counts as transient for this operation (the connector's ProviderFault). */
export function isTransientStatus(policy: EffectivePolicy, status: number): boolean {
  return policy.retry.statuses.includes(status);
}

/** What the breaker counts: the endpoint failed to answer, or answered that it is unwell. */
function breakerFailure(err: unknown): boolean {
  return err instanceof TransportError || err instanceof TimeoutError || (err instanceof ProviderFault && err.transient);
}

/** What may be retried (the call must also be idempotent or carry an idempotency key). */
export function isRetryable(err: unknown): boolean {
  return err instanceof ConnectorError && err.transient && !(err instanceof CircuitOpenError) && !(err instanceof BulkheadRejectedError);
}

/** Full jitter (AWS architecture blog): a random wait up to min(max, base·2^(n-1)); at least a
 * rate-limited error's retryAfterMs. */
class FullJitterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {}
  next(ctx: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** (ctx.attempt - 1));
    let duration = Math.floor(this.random() * cap);
    const err = 'error' in ctx.result ? ctx.result.error : undefined;
    if (err instanceof RateLimitedError) duration = Math.max(duration, err.retryAfterMs);
    return { duration, next: (c) => this.next(c) };
  }
}

/** A token bucket with reservations: waiters are served in order of arrival. */
class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: RateLimitClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  async take(maxWaitMs: number, signal: AbortSignal | undefined): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens * 1000) / this.perSecond);
    if (waitMs > maxWaitMs) {
      this.tokens += 1;
      throw new RateLimitedError(waitMs);
    }
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (err) {
      this.tokens += 1; // the reservation is given back
      throw err;
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with p, or rejects with the signal's reason as soon as it aborts (p runs on, ignored). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

interface OperationPlan {
  policy: EffectivePolicy;
  retry: RetryPolicy;
  bulkhead: BulkheadPolicy;
  bucket?: TokenBucket;
  /** Suffix of the breaker key when the operation has a breaker of its own. */
  breakerSuffix: string;
}

/** An attempt's outcome that the breaker must see as a working exchange, carried past it. */
class PassThrough {
  constructor(readonly error: unknown) {}
}

/** Every policy in the process, for the metrics of all breakers (held weakly: a closed connector's goes). */
const live = new Set<WeakRef<ProviderPolicy & { provider: string }>>();

/** The state of every circuit breaker in the process, by provider and endpoint. */
export function allBreakerStates(): Array<{ provider: string; endpoint: string; state: BreakerState }> {
  const out: Array<{ provider: string; endpoint: string; state: BreakerState }> = [];
  for (const ref of live) {
    const p = ref.deref();
    if (!p) {
      live.delete(ref);
      continue;
    }
    for (const [endpoint, state] of Object.entries(p.breakerStates())) out.push({ provider: p.provider, endpoint, state });
  }
  return out;
}

export function createPolicy(provider: string, resilience?: Resilience, opts: PolicyOptions = {}): ProviderPolicy {
  const policy = buildPolicy(provider, resilience, opts);
  live.add(new WeakRef(Object.assign(policy, { provider })));
  return policy;
}

function buildPolicy(provider: string, resilience?: Resilience, opts: PolicyOptions = {}): ProviderPolicy {
  const random = opts.random ?? Math.random;
  const clock = opts.clock ?? REAL_CLOCK;
  const plans = new Map<string, OperationPlan>();
  const breakers = new Map<string, CircuitBreakerPolicy>();
  const listeners = new Set<(endpoint: string, state: BreakerState) => void>();
  const providerLevel = effectivePolicy(resilience);
  const sharedBulkhead = cockatielBulkhead(providerLevel.bulkhead.maxConcurrent, providerLevel.bulkhead.maxQueued);
  const sharedBucket = providerLevel.rateLimit ? new TokenBucket(providerLevel.rateLimit.perSecond, providerLevel.rateLimit.burst, clock) : undefined;

  const plan = (operation: string): OperationPlan => {
    let p = plans.get(operation);
    if (p) return p;
    const policy = effectivePolicy(resilience, operation);
    const ops = resilience?.operations;
    const own = ops && Object.hasOwn(ops, operation) ? ops[operation]! : {};
    p = {
      policy,
      retry: retry(handleWhen(isRetryable), {
        maxAttempts: policy.retry.maxAttempts - 1, // cockatiel counts retries, we count attempts
        backoff: new FullJitterBackoff(policy.retry.baseDelayMs, policy.retry.maxDelayMs, random),
      }),
      bulkhead: own.bulkhead ? cockatielBulkhead(policy.bulkhead.maxConcurrent, policy.bulkhead.maxQueued) : sharedBulkhead,
      bucket: own.rateLimit && policy.rateLimit ? new TokenBucket(policy.rateLimit.perSecond, policy.rateLimit.burst, clock) : sharedBucket,
      breakerSuffix: own.circuitBreaker ? `#${operation}` : '',
    };
    plans.set(operation, p);
    return p;
  };

  const breakerFor = (key: string, policy: EffectivePolicy): CircuitBreakerPolicy => {
    let b = breakers.get(key);
    if (b) return b;
    b = circuitBreaker(handleWhen(breakerFailure), {
      halfOpenAfter: policy.circuitBreaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(policy.circuitBreaker.failureThreshold),
    });
    b.onStateChange((s) => {
      for (const l of listeners) l(key, STATE_NAMES[s]);
    });
    breakers.set(key, b);
    return b;
  };

  const translate = (err: unknown, endpoint: string, signal: AbortSignal | undefined): unknown => {
    // instanceof, not cockatiel's is…Error helpers: in 3.2.1 two of them test the wrong marker.
    if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) return new CircuitOpenError(endpoint);
    if (err instanceof CockatielBulkheadRejected) return new BulkheadRejectedError();
    if (err instanceof TaskCancelledError && signal?.aborted) return signal.reason;
    return err;
  };

  return {
    provider,
    effective: (operation) => structuredClone(plan(operation).policy),

    async execute<T>(call: PolicyCall, attempt: (n: number, policy: EffectivePolicy) => Promise<T>): Promise<PolicyResult<T>> {
      const started = performance.now();
      const p = plan(call.operation);
      const { policy } = p;
      const breaker = breakerFor(call.endpoint + p.breakerSuffix, policy);
      const signal = call.signal;
      let attempts = 0;

      const once = async (): Promise<T> => {
        if (signal?.aborted) throw signal.reason;
        const n = ++attempts;
        try {
          return await abortable(
            p.bulkhead.execute(async () => {
              await p.bucket?.take(policy.timeoutMs, signal);
              const r = await breaker.execute(async () => {
                try {
                  return await attempt(n, policy);
                } catch (err) {
                  if (breakerFailure(err)) throw err;
                  return new PassThrough(err);
                }
              });
              if (r instanceof PassThrough) throw r.error;
              return r;
            }, signal),
            signal,
          );
        } catch (err) {
          throw translate(err, call.endpoint, signal);
        }
      };

      const mayRetry = policy.retry.maxAttempts > 1 && (call.idempotent || !!call.idempotencyKey);
      try {
        const value = mayRetry ? await abortable(p.retry.execute(once, signal), signal) : await once();
        return { value, attempts, durationMs: Math.round(performance.now() - started) };
      } catch (err) {
        if (err instanceof ConnectorError) err.at({ provider, operation: call.operation, attempt: Math.max(attempts, 1), durationMs: Math.round(performance.now() - started) });
        throw err;
      }
    },

    breakerStates() {
      const out: Record<string, BreakerState> = {};
      for (const [k, b] of breakers) out[k] = STATE_NAMES[b.state];
      return out;
    },

    onBreakerChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

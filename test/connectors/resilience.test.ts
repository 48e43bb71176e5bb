import assert from 'node:assert/strict';
import providerSchema from '../../contracts/provider.schema.json';
import {
  BulkheadRejectedError,
  BusinessRefusal,
  CircuitOpenError,
  ContractViolation,
  ProviderFault,
  RateLimitedError,
  TimeoutError,
  TransportError,
  UnsafeResponse,
} from '../../connectors/errors';
import { POLICY_DEFAULTS, createPolicy, effectivePolicy, isTransientStatus, type BreakerState, type PolicyCall, type RateLimitClock } from '../../connectors/resilience';

const EP = 'https://civil-registry.test/ws';
const idem: PolicyCall = { operation: 'getPerson', endpoint: EP, idempotent: true };
const post: PolicyCall = { operation: 'submit', endpoint: EP, idempotent: false };
const fast = { retry: { baseDelayMs: 1, maxDelayMs: 2 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An attempt function that fails with the given errors in turn, then answers 'ok'. */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const fn = async (n: number) => {
    calls.push(n);
    const e = errors.shift();
    if (e) throw e;
    return 'ok';
  };
  return { fn, calls };
}

describe('connectors/resilience', () => {
  describe('policy', () => {
    it('takes every default from provider.schema.json', () => {
      const p = providerSchema.$defs.Policy.properties;
      const eff = effectivePolicy(undefined, 'any');
      assert.equal(eff.connectTimeoutMs, p.connectTimeoutMs.default);
      assert.equal(eff.timeoutMs, p.timeoutMs.default);
      assert.deepEqual(eff.retry, {
        maxAttempts: p.retry.properties.maxAttempts.default,
        baseDelayMs: p.retry.properties.baseDelayMs.default,
        maxDelayMs: p.retry.properties.maxDelayMs.default,
        statuses: p.retry.properties.statuses.default,
      });
      assert.deepEqual(eff.circuitBreaker, { failureThreshold: p.circuitBreaker.properties.failureThreshold.default, halfOpenAfterMs: p.circuitBreaker.properties.halfOpenAfterMs.default });
      assert.deepEqual(eff.bulkhead, { maxConcurrent: p.bulkhead.properties.maxConcurrent.default, maxQueued: p.bulkhead.properties.maxQueued.default });
      assert.equal(eff.rateLimit, undefined);
      assert.deepEqual(POLICY_DEFAULTS, eff);
    });

    it('merges the operation over the provider over the defaults, arrays replaced', () => {
      const eff = effectivePolicy(
        { timeoutMs: 5000, retry: { maxAttempts: 5, statuses: [503] }, rateLimit: { perSecond: 2.5 }, operations: { submit: { retry: { baseDelayMs: 10 }, timeoutMs: 60000 } } },
        'submit',
      );
      assert.equal(eff.timeoutMs, 60000);
      assert.equal(eff.connectTimeoutMs, POLICY_DEFAULTS.connectTimeoutMs);
      assert.deepEqual(eff.retry, { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: POLICY_DEFAULTS.retry.maxDelayMs, statuses: [503] });
      assert.deepEqual(eff.rateLimit, { perSecond: 2.5, burst: 3 });
      assert.equal(isTransientStatus(eff, 503), true);
      assert.equal(isTransientStatus(eff, 500), false);
      // An operation named like an Object.prototype member is just an operation without overrides.
      assert.deepEqual(effectivePolicy({ operations: {} }, 'toString'), POLICY_DEFAULTS);
      // The defaults themselves are never modified by a merge.
      assert.deepEqual(POLICY_DEFAULTS.retry.statuses, providerSchema.$defs.Policy.properties.retry.properties.statuses.default);
    });

    it('hands the merged policy to each attempt, with its number', async () => {
      const policy = createPolicy('moi', { connectTimeoutMs: 111, operations: { getPerson: { timeoutMs: 222 } } });
      const seen: Array<[number, number, number]> = [];
      const r = await policy.execute(idem, async (n, eff) => {
        seen.push([n, eff.connectTimeoutMs, eff.timeoutMs]);
        return 42;
      });
      assert.deepEqual(seen, [[1, 111, 222]]);
      assert.equal(r.value, 42);
      assert.equal(r.attempts, 1);
      assert.ok(r.durationMs >= 0);
      assert.equal(policy.effective('getPerson').timeoutMs, 222);
    });
  });

  describe('retry', () => {
    for (const [name, make] of [
      ['TransportError', () => new TransportError('ECONNRESET')],
      ['TimeoutError', () => new TimeoutError('total', 10)],
      ['a transient ProviderFault', () => new ProviderFault({ status: 503, transient: true })],
      ['RateLimitedError', () => new RateLimitedError(1)],
    ] as const) {
      it(`retries ${name} on an idempotent call, up to maxAttempts`, async () => {
        const policy = createPolicy('moi', { ...fast, retry: { ...fast.retry, maxAttempts: 3 } });
        const ok = failing(make(), make());
        const r = await policy.execute(idem, ok.fn);
        assert.deepEqual(ok.calls, [1, 2, 3]);
        assert.equal(r.attempts, 3);
        const ko = failing(make(), make(), make(), make());
        const err = await policy.execute(idem, ko.fn).catch((e: unknown) => e);
        assert.deepEqual(ko.calls, [1, 2, 3]);
        assert.equal((err as TransportError).attempt, 3);
        assert.equal((err as TransportError).provider, 'moi');
        assert.equal((err as TransportError).operation, 'getPerson');
      });
    }

    it('never retries a non-idempotent call without an idempotency key, and does with one', async () => {
      const policy = createPolicy('moi', fast);
      const once = failing(new TransportError('ECONNRESET'));
      await assert.rejects(policy.execute(post, once.fn), TransportError);
      assert.deepEqual(once.calls, [1]);
      const keyed = failing(new TransportError('ECONNRESET'));
      const r = await policy.execute({ ...post, idempotencyKey: 'ord_1:submit' }, keyed.fn);
      assert.deepEqual(keyed.calls, [1, 2]);
      assert.equal(r.attempts, 2);
    });

    for (const [name, make] of [
      ['a business refusal', () => new BusinessRefusal('person-not-found', 'E404')],
      ['a contract violation', () => new ContractViolation('response', [{ pointer: '/x', message: 'is required' }])],
      ['an unsafe response', () => new UnsafeResponse('dtd', 'DOCTYPE')],
      ['a non-transient provider fault', () => new ProviderFault({ status: 400, transient: false })],
      ['an open circuit', () => new CircuitOpenError(EP)],
      ['a full bulkhead', () => new BulkheadRejectedError()],
      ['an error that is not a ConnectorError', () => new TypeError('bug')],
    ] as const) {
      it(`never retries ${name}, even on an idempotent call`, async () => {
        const policy = createPolicy('moi', fast);
        const f = failing(make());
        const err = await policy.execute(idem, f.fn).catch((e: unknown) => e);
        assert.equal((err as Error).constructor, make().constructor);
        assert.deepEqual(f.calls, [1]);
      });
    }

    it('records the attempt count and the total duration on the error', async () => {
      const policy = createPolicy('moi', { retry: { maxAttempts: 2, baseDelayMs: 30, maxDelayMs: 30 } }, { random: () => 0.999 });
      const f = failing(new TimeoutError('total', 5), new TimeoutError('total', 5));
      const err = (await policy.execute(idem, f.fn).catch((e: unknown) => e)) as TimeoutError;
      assert.equal(err.attempt, 2);
      assert.ok(err.durationMs >= 25, `durationMs ${err.durationMs}`);
      assert.deepEqual(
        { code: err.code, provider: err.provider, operation: err.operation, attempt: err.attempt },
        { code: 'timeout', provider: 'moi', operation: 'getPerson', attempt: 2 },
      );
    });

    it('backs off exponentially up to maxDelayMs (full jitter at its top)', async () => {
      const policy = createPolicy('moi', { retry: { maxAttempts: 5, baseDelayMs: 15, maxDelayMs: 70 } }, { random: () => 0.999 });
      const times: number[] = [];
      await policy
        .execute(idem, async () => {
          times.push(performance.now());
          throw new TransportError('ECONNREFUSED');
        })
        .catch(() => undefined);
      const gaps = times.slice(1).map((t, k) => t - times[k]!);
      assert.equal(gaps.length, 4);
      // ~15, ~30, ~60, then capped at ~70
      const expected = [15, 30, 60, 70];
      gaps.forEach((g, k) => assert.ok(g >= expected[k]! - 2 && g < expected[k]! + 60, `gap ${k}: ${g.toFixed(1)} ms, expected ~${expected[k]}`));
      assert.ok(gaps[2]! > gaps[0]!);
    });

    it('draws each wait at random below the cap (full jitter)', async () => {
      const draws = [0, 0.5];
      const policy = createPolicy('moi', { retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 1000 } }, { random: () => draws.shift() ?? 0 });
      const times: number[] = [];
      await policy.execute(idem, async () => {
        times.push(performance.now());
        if (times.length < 3) throw new TransportError('ECONNRESET');
      });
      assert.ok(times[1]! - times[0]! < 15, 'random 0: no wait');
      assert.ok(times[2]! - times[1]! >= 38, 'random 0.5 of 80: ~40 ms');
    });

    it("waits at least a rate-limited error's retryAfterMs", async () => {
      const policy = createPolicy('moi', fast, { random: () => 0 });
      const times: number[] = [];
      await policy.execute(idem, async () => {
        times.push(performance.now());
        if (times.length === 1) throw new RateLimitedError(60);
      });
      assert.ok(times[1]! - times[0]! >= 58, `${times[1]! - times[0]!}`);
    });

    it('stops waiting for the next attempt when the signal aborts', async () => {
      const policy = createPolicy('moi', { retry: { maxAttempts: 3, baseDelayMs: 5000, maxDelayMs: 5000 } }, { random: () => 0.999 });
      const ctl = new AbortController();
      const f = failing(new TransportError('ECONNRESET'), new TransportError('ECONNRESET'));
      const started = performance.now();
      setTimeout(() => ctl.abort(), 30);
      await assert.rejects(policy.execute({ ...idem, signal: ctl.signal }, f.fn), { name: 'AbortError' });
      assert.ok(performance.now() - started < 500);
      await sleep(20);
      assert.deepEqual(f.calls, [1], 'no attempt after the abort');
    });

    it('does not start when the signal is already aborted', async () => {
      const policy = createPolicy('moi');
      const f = failing();
      await assert.rejects(policy.execute({ ...idem, signal: AbortSignal.abort() }, f.fn), { name: 'AbortError' });
      assert.deepEqual(f.calls, []);
    });
  });

  describe('circuit breaker', () => {
    const cfg = { circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 60 }, retry: { maxAttempts: 1 } };

    it('goes closed → open → half-open → closed, observably, and sends nothing while open', async () => {
      const policy = createPolicy('moi', cfg);
      const changes: Array<[string, BreakerState]> = [];
      const off = policy.onBreakerChange((ep, s) => changes.push([ep, s]));
      for (let k = 0; k < 3; k++) await policy.execute(idem, failing(new TransportError('ECONNREFUSED')).fn).catch(() => undefined);
      assert.deepEqual(policy.breakerStates(), { [EP]: 'open' });
      const blocked = failing();
      const err = await policy.execute(idem, blocked.fn).catch((e: unknown) => e);
      assert.ok(err instanceof CircuitOpenError, String(err));
      assert.equal(err.endpoint, EP);
      assert.equal(err.provider, 'moi');
      assert.deepEqual(blocked.calls, [], 'nothing sent');
      await sleep(70);
      const trial = failing();
      await policy.execute(idem, trial.fn);
      assert.deepEqual(trial.calls, [1]);
      assert.deepEqual(policy.breakerStates(), { [EP]: 'closed' });
      assert.deepEqual(changes, [
        [EP, 'open'],
        [EP, 'half-open'],
        [EP, 'closed'],
      ]);
      off();
    });

    it('reopens when the trial call fails', async () => {
      const policy = createPolicy('moi', cfg);
      for (let k = 0; k < 3; k++) await policy.execute(idem, failing(new TimeoutError('connect', 5)).fn).catch(() => undefined);
      await sleep(70);
      await policy.execute(idem, failing(new ProviderFault({ status: 503, transient: true })).fn).catch(() => undefined);
      assert.deepEqual(policy.breakerStates(), { [EP]: 'open' });
      await assert.rejects(policy.execute(idem, failing().fn), CircuitOpenError);
    });

    it('counts only transient failures: a business refusal or a 4xx is an exchange that worked', async () => {
      const policy = createPolicy('moi', cfg);
      const fail = () => policy.execute(idem, failing(new TransportError('ECONNRESET')).fn).catch(() => undefined);
      await fail();
      await fail();
      await policy.execute(idem, failing(new BusinessRefusal('record-sealed', 'S1')).fn).catch(() => undefined);
      await fail();
      await fail();
      await policy.execute(idem, failing(new ProviderFault({ status: 400, transient: false })).fn).catch(() => undefined);
      await policy.execute(idem, failing(new UnsafeResponse('size', 'big')).fn).catch(() => undefined);
      await fail();
      await fail();
      assert.deepEqual(policy.breakerStates(), { [EP]: 'closed' });
      await fail();
      assert.deepEqual(policy.breakerStates(), { [EP]: 'open' });
    });

    it('keeps one breaker per endpoint, and one of its own for an operation that overrides it', async () => {
      const policy = createPolicy('moi', { ...cfg, operations: { slow: { circuitBreaker: { failureThreshold: 1 } } } });
      for (let k = 0; k < 3; k++) await policy.execute(idem, failing(new TransportError('ECONNRESET')).fn).catch(() => undefined);
      await policy.execute({ ...idem, endpoint: 'https://other.test/ws' }, failing().fn);
      await policy.execute({ ...idem, operation: 'slow' }, failing(new TransportError('ECONNRESET')).fn).catch(() => undefined);
      assert.deepEqual(policy.breakerStates(), { [EP]: 'open', 'https://other.test/ws': 'closed', [`${EP}#slow`]: 'open' });
    });

    it('does not retry into an open breaker', async () => {
      const policy = createPolicy('moi', { circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 10_000 }, retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 } });
      const f = failing(new TransportError('ECONNRESET'), new TransportError('ECONNRESET'), new TransportError('ECONNRESET'));
      const err = await policy.execute(idem, f.fn).catch((e: unknown) => e);
      assert.ok(err instanceof CircuitOpenError, String(err));
      assert.deepEqual(f.calls, [1, 2]);
      assert.equal(err.attempt, 3);
    });
  });

  describe('bulkhead', () => {
    it('runs maxConcurrent at once, queues maxQueued, refuses the rest at once', async () => {
      const policy = createPolicy('moi', { bulkhead: { maxConcurrent: 2, maxQueued: 1 } });
      let inFlight = 0;
      let peak = 0;
      const release: Array<() => void> = [];
      const attempt = async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return 'ok';
      };
      const calls = [1, 2, 3].map(() => policy.execute(idem, attempt));
      await sleep(5);
      // Refused at once: before the event loop turns, however busy the machine is.
      const refused = policy.execute(idem, attempt).catch((e: unknown) => e);
      const err = await Promise.race([refused, new Promise((r) => setImmediate(() => r('not yet')))]);
      assert.ok(err instanceof BulkheadRejectedError, String(err));
      assert.equal(err.provider, 'moi');
      assert.equal(release.length, 2);
      // Free the two slots: the queued call starts, then free it too.
      release.splice(0).forEach((r) => r());
      await sleep(5);
      assert.equal(release.length, 1);
      release.splice(0).forEach((r) => r());
      const results = await Promise.all(calls);
      assert.deepEqual(results.map((r) => r.value), ['ok', 'ok', 'ok']);
      assert.equal(peak, 2);
    });

    it('lets a queued call go when its signal aborts, without running it', async () => {
      const policy = createPolicy('moi', { bulkhead: { maxConcurrent: 1, maxQueued: 5 } });
      let release!: () => void;
      const first = policy.execute(idem, () => new Promise<string>((r) => (release = () => r('first'))));
      const ctl = new AbortController();
      const queued = failing();
      const waiting = policy.execute({ ...idem, signal: ctl.signal }, queued.fn);
      setTimeout(() => ctl.abort(), 10);
      await assert.rejects(waiting, { name: 'AbortError' });
      release();
      assert.equal((await first).value, 'first');
      await sleep(5);
      assert.deepEqual(queued.calls, []);
    });

    it('gives an operation that overrides it a bulkhead of its own', async () => {
      const policy = createPolicy('moi', { bulkhead: { maxConcurrent: 1, maxQueued: 0 }, operations: { report: { bulkhead: { maxConcurrent: 1, maxQueued: 0 } } } });
      let release!: () => void;
      const busy = policy.execute(idem, () => new Promise<void>((r) => (release = r)));
      await sleep(1);
      await assert.rejects(policy.execute(idem, failing().fn), BulkheadRejectedError);
      assert.equal((await policy.execute({ ...idem, operation: 'report' }, failing().fn)).value, 'ok');
      release();
      await busy;
    });
  });

  describe('rate limit', () => {
    /**
     * The bucket's clock, held by the test: `sleep` records the wait the bucket asked for and
     * resolves at once (or, with `hold`, when the signal aborts), so what is asserted is the
     * schedule, not how busy the machine was while it ran.
     */
    function testClock() {
      let t = 1_000;
      const waits: number[] = [];
      let hold = false;
      const clock: RateLimitClock = {
        now: () => t,
        sleep: (ms, signal) => {
          waits.push(ms);
          if (!hold) return Promise.resolve();
          return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
        },
      };
      return { clock, waits, advance: (ms: number) => (t += ms), hold: (on: boolean) => (hold = on) };
    }

    it('lets a burst through, then spaces calls at perSecond', async () => {
      const c = testClock();
      const policy = createPolicy('moi', { rateLimit: { perSecond: 20, burst: 2 } }, { clock: c.clock });
      const ran: number[] = [];
      await Promise.all([1, 2, 3, 4].map((i) => policy.execute(idem, async () => ran.push(i))));
      assert.deepEqual(c.waits, [50, 100], 'two at once, the third 50 ms later, the fourth 100 ms later');
      assert.deepEqual(ran.sort(), [1, 2, 3, 4]);
      // Refilled at perSecond: after 100 ms, two tokens again (the burst), no more.
      c.advance(200);
      await Promise.all([1, 2, 3].map(() => policy.execute(idem, async () => 'ok')));
      assert.deepEqual(c.waits, [50, 100, 50]);
    });

    it('waits for real on the default clock', async () => {
      const policy = createPolicy('moi', { rateLimit: { perSecond: 20, burst: 1 } });
      const started = performance.now();
      const at: number[] = [];
      await Promise.all([1, 2].map(() => policy.execute(idem, async () => at.push(performance.now() - started))));
      at.sort((a, b) => a - b);
      // A lower bound only: a busy machine may run it later, never sooner.
      assert.ok(at[1]! >= 45, `second after ~50 ms: ${at[1]}`);
    });

    it('refuses at once, with the wait, a call that would wait longer than its timeout', async () => {
      const c = testClock();
      const policy = createPolicy('moi', { timeoutMs: 30, rateLimit: { perSecond: 10, burst: 1 }, retry: { maxAttempts: 1 } }, { clock: c.clock });
      await policy.execute(idem, failing().fn);
      const err = await policy.execute(idem, failing().fn).catch((e: unknown) => e);
      assert.ok(err instanceof RateLimitedError, String(err));
      assert.equal(err.retryAfterMs, 100);
      assert.deepEqual(c.waits, [], 'refused without waiting');
      // 75 ms later the wait (25 ms) fits in the timeout: it waits instead.
      c.advance(75);
      assert.equal((await policy.execute(idem, failing().fn)).value, 'ok');
      assert.deepEqual(c.waits, [25]);
    });

    it('retries a rate-limited idempotent call after retryAfterMs', async () => {
      const policy = createPolicy('moi', { timeoutMs: 10, rateLimit: { perSecond: 20, burst: 1 }, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
      await policy.execute(idem, failing().fn);
      const r = await policy.execute(idem, failing().fn);
      assert.equal(r.value, 'ok');
      assert.equal(r.attempts, 2);
    });

    it('stops waiting for a token when the signal aborts, and gives the token back', async () => {
      const c = testClock();
      const policy = createPolicy('moi', { rateLimit: { perSecond: 10, burst: 1 } }, { clock: c.clock });
      await policy.execute(idem, failing().fn);
      c.hold(true);
      const ctl = new AbortController();
      const waiting = policy.execute({ ...idem, signal: ctl.signal }, failing().fn);
      ctl.abort();
      await assert.rejects(waiting, { name: 'AbortError' });
      assert.deepEqual(c.waits, [100]);
      // 100 ms on, one token has come back: with the abandoned reservation returned, the next call does not wait.
      c.hold(false);
      c.advance(100);
      await policy.execute(idem, failing().fn);
      assert.deepEqual(c.waits, [100], 'the abandoned reservation did not delay the next call');
    });
  });
});

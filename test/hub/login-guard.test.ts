/**
 * LoginGuard's cap on password checks (hub/login-guard.ts), counted rather than timed: however
 * many guesses arrive at once, one scrypt runs at a time by default, a bounded number wait, the
 * rest are answered "busy" at once, and an address the user logged in from goes before strangers.
 * test/security/login-limits.test.ts shows what that buys order intake under a real flood; this
 * pins the cap itself, which a timing on two cores can only see when it grows past two.
 */
import assert from 'node:assert/strict';
import { LoginGuard, type Attempt } from '../../hub/login-guard';

/** A password check that finishes when the test says so, counting how many run at once. */
function checks() {
  let running = 0;
  let peak = 0;
  const pending: Array<{ user: string; finish: (ok: boolean) => void }> = [];
  const verify = (user: string) => () =>
    new Promise<boolean>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      pending.push({ user, finish: (ok) => (running--, resolve(ok)) });
    });
  return { verify, pending, peak: () => peak, running: () => running };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('LoginGuard: password checks at once', () => {
  it('runs one check at a time by default, keeps 32 waiting and answers the rest busy at once', async () => {
    const guard = new LoginGuard({ now: () => Date.parse('2026-12-07T08:00:00Z') });
    const c = checks();
    const outcomes: Array<Attempt | undefined> = Array(40).fill(undefined);
    const attempts = Array.from({ length: 40 }, (_, i) => guard.attempt(`127.0.3.${i + 1}`, `user-${i}`, c.verify(`user-${i}`)).then((a) => (outcomes[i] = a)));
    await settle();
    assert.equal(c.running(), 1, 'one check runs');
    const busy = outcomes.filter((o) => o?.outcome === 'busy').length;
    assert.equal(busy, 7, '40 guesses: 1 checked, 32 waiting, 7 busy at once');
    // Each check, when it ends, lets the next one start: never two at once.
    while (c.pending.length) {
      c.pending.shift()!.finish(false);
      await settle();
      assert.ok(c.running() <= 1);
    }
    await Promise.all(attempts);
    assert.equal(c.peak(), 1);
    assert.equal(outcomes.filter((o) => o?.outcome === 'failed').length, 33);
  });

  it('lets a known address go before the strangers waiting', async () => {
    let clock = Date.parse('2026-12-07T08:00:00Z');
    const guard = new LoginGuard({ now: () => clock });
    // rana logged in from 127.0.0.1 before.
    assert.deepEqual(await guard.attempt('127.0.0.1', 'rana', async () => true), { outcome: 'ok' });
    clock += 60_000;
    const c = checks();
    const order: string[] = [];
    const strangers = Array.from({ length: 5 }, (_, i) => guard.attempt(`127.0.5.${i + 1}`, 'rana', c.verify(`stranger-${i}`)));
    const admin = guard.attempt('127.0.0.1', 'rana', c.verify('admin'));
    await settle();
    while (c.pending.length) {
      const next = c.pending.shift()!;
      order.push(next.user);
      next.finish(next.user === 'admin');
      await settle();
    }
    await Promise.all([...strangers, admin]);
    assert.deepEqual(order.slice(0, 2), ['stranger-0', 'admin'], 'the admin waits only for the check already running');
    assert.equal(c.peak(), 1);
  });

  it('runs as many at once as configured, no more', async () => {
    const guard = new LoginGuard({ concurrency: 3, queue: 2 });
    const c = checks();
    const outcomes: Attempt[] = [];
    const attempts = Array.from({ length: 8 }, (_, i) => guard.attempt(`127.0.6.${i + 1}`, `u${i}`, c.verify(`u${i}`)).then((a) => outcomes.push(a)));
    await settle();
    assert.equal(c.running(), 3);
    assert.equal(outcomes.filter((o) => o.outcome === 'busy').length, 3);
    while (c.pending.length) {
      c.pending.shift()!.finish(false);
      await settle();
    }
    await Promise.all(attempts);
    assert.equal(c.peak(), 3);
  });
});

/**
 * What stands between a password guesser and scrypt. A password check costs 32 MiB and tens of
 * milliseconds of a core (hub/operators.ts): unguarded, 300 wrong logins took the cores from
 * order intake (POST /v1/orders p50 8 ms -> 2.8 s). So, before any scrypt work:
 *
 * - **per client address** (an IPv6 address counts by its /64, which one host usually holds
 *   whole), failures back off exponentially after a few free ones (typos): an address waiting out
 *   its delay is refused at once;
 * - **per user**, once a name has many recent failures, it is checked at a slow pace for
 *   addresses it has not logged in from; an address the user logged in from before is never
 *   held back by strangers' failures. Node-RED's own rule (5 attempts per user in 10 minutes,
 *   whoever makes them) let anyone lock the admin out; nothing here does;
 * - **scrypt itself** runs at most `concurrency` at a time (one by default: on two cores the
 *   event loop keeps the other), with a bounded queue in which known addresses go first; a full
 *   queue answers "busy" at once instead of piling work up.
 *
 * State is in memory, per process, bounded (the oldest entries go first).
 */
import { isIPv6 } from 'node:net';

export interface LoginGuardOptions {
  now?: () => number;
  /** Password checks at once (default 1). */
  concurrency?: number;
  /** Checks waiting for a slot before "busy" (default 32). */
  queue?: number;
  /** Failures an address makes before it must wait (default 3). */
  freeFailures?: number;
  /** The first wait; it doubles with each failure after (default 1 s). */
  baseDelayMs?: number;
  /** The longest wait (default 15 min). */
  maxDelayMs?: number;
  /** The window over which a user's failures are counted (default 15 min). */
  userWindowMs?: number;
  /** Failures of one user within the window that slow the user down for unknown addresses (default 20). */
  userThreshold?: number;
  /** One check per this many ms for a slowed-down user from an unknown address (default 5 s). */
  userPaceMs?: number;
  /** An address or user with no failure for this long is forgotten (default 1 h); a known address is remembered 30 days. */
  forgetAfterMs?: number;
  /** Most addresses and users tracked (default 10,000 each). */
  maxTracked?: number;
}

export type Attempt =
  | { outcome: 'ok' }
  | { outcome: 'failed' }
  /** Refused before any check; `first` is the first refusal of this wait (worth one audit record). */
  | { outcome: 'throttled'; by: 'address' | 'user'; retryAfterMs: number; first: boolean }
  | { outcome: 'busy'; retryAfterMs: number };

interface AddressState {
  failures: number;
  lastFailure: number;
  waitUntil: number;
  refusedSinceWait: number;
}

interface UserState {
  failures: number[];
  nextUnknownCheck: number;
  refusedSinceWait: number;
}

const KNOWN_FOR_MS = 30 * 86_400_000;

/** The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

/** A counting semaphore whose waiters of priority 0 go before those of priority 1. */
class Slots {
  private running = 0;
  private readonly waiting: Array<Array<() => void>> = [[], []];
  constructor(
    private readonly size: number,
    private readonly queue: number,
  ) {}

  get queued(): number {
    return this.waiting[0]!.length + this.waiting[1]!.length;
  }

  /** Resolves with a release function, or undefined at once when the queue is full. */
  acquire(priority: 0 | 1): Promise<(() => void) | undefined> {
    if (this.running < this.size) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.queued >= this.queue) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting[priority]!.push(() => resolve(this.releaser())));
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting[0]!.shift() ?? this.waiting[1]!.shift();
      if (next) next();
      else this.running--;
    };
  }
}

export class LoginGuard {
  private readonly now: () => number;
  private readonly o: Required<Omit<LoginGuardOptions, 'now'>>;
  private readonly addresses = new Map<string, AddressState>();
  private readonly users = new Map<string, UserState>();
  /** user -> address key -> last successful login. */
  private readonly known = new Map<string, Map<string, number>>();
  private readonly slots: Slots;

  constructor(opts: LoginGuardOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.o = {
      concurrency: opts.concurrency ?? 1,
      queue: opts.queue ?? 32,
      freeFailures: opts.freeFailures ?? 3,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 15 * 60_000,
      userWindowMs: opts.userWindowMs ?? 15 * 60_000,
      userThreshold: opts.userThreshold ?? 20,
      userPaceMs: opts.userPaceMs ?? 5000,
      forgetAfterMs: opts.forgetAfterMs ?? 60 * 60_000,
      maxTracked: opts.maxTracked ?? 10_000,
    };
    this.slots = new Slots(this.o.concurrency, this.o.queue);
  }

  /** Checks `user`'s password with `verify` if this address and user may try now. */
  async attempt(address: string, user: string, verify: () => Promise<boolean>): Promise<Attempt> {
    const now = this.now();
    const addr = addressKey(address);
    const a = this.addressState(addr, now);
    if (a && now < a.waitUntil) {
      a.refusedSinceWait++;
      return { outcome: 'throttled', by: 'address', retryAfterMs: a.waitUntil - now, first: a.refusedSinceWait === 1 };
    }
    const known = this.isKnown(user, addr, now);
    if (!known) {
      const u = this.userState(user, now);
      if (u && u.failures.length >= this.o.userThreshold) {
        if (now < u.nextUnknownCheck) {
          u.refusedSinceWait++;
          return { outcome: 'throttled', by: 'user', retryAfterMs: u.nextUnknownCheck - now, first: u.refusedSinceWait === 1 };
        }
        u.nextUnknownCheck = now + this.o.userPaceMs;
        u.refusedSinceWait = 0;
      }
    }
    const release = await this.slots.acquire(known ? 0 : 1);
    if (!release) return { outcome: 'busy', retryAfterMs: 1000 };
    let ok: boolean;
    try {
      ok = await verify();
    } finally {
      release();
    }
    const at = this.now();
    if (ok) {
      this.addresses.delete(addr);
      this.remember(user, addr, at);
      return { outcome: 'ok' };
    }
    this.fail(addr, user, at);
    return { outcome: 'failed' };
  }

  private fail(addr: string, user: string, at: number): void {
    const a = this.addresses.get(addr) ?? { failures: 0, lastFailure: at, waitUntil: 0, refusedSinceWait: 0 };
    a.failures++;
    a.lastFailure = at;
    const over = a.failures - this.o.freeFailures;
    if (over >= 0) a.waitUntil = at + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(over, 30));
    a.refusedSinceWait = 0;
    this.put(this.addresses, addr, a);
    const u = this.users.get(user) ?? { failures: [], nextUnknownCheck: 0, refusedSinceWait: 0 };
    u.failures.push(at);
    this.put(this.users, user, u);
  }

  private addressState(addr: string, now: number): AddressState | undefined {
    const a = this.addresses.get(addr);
    if (a && now - a.lastFailure > this.o.forgetAfterMs && now >= a.waitUntil) {
      this.addresses.delete(addr);
      return undefined;
    }
    return a;
  }

  private userState(user: string, now: number): UserState | undefined {
    const u = this.users.get(user);
    if (!u) return undefined;
    while (u.failures.length && now - u.failures[0]! > this.o.userWindowMs) u.failures.shift();
    if (u.failures.length === 0 && now >= u.nextUnknownCheck) {
      this.users.delete(user);
      return undefined;
    }
    return u;
  }

  private isKnown(user: string, addr: string, now: number): boolean {
    const at = this.known.get(user)?.get(addr);
    return at !== undefined && now - at < KNOWN_FOR_MS;
  }

  private remember(user: string, addr: string, at: number): void {
    const m = this.known.get(user) ?? new Map<string, number>();
    m.delete(addr);
    m.set(addr, at);
    if (m.size > 100) m.delete(m.keys().next().value!);
    this.put(this.known, user, m);
  }

  /** Sets `key` as the newest entry, dropping the oldest beyond the bound. */
  private put<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.o.maxTracked) map.delete(map.keys().next().value!);
  }
}

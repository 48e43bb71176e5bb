/**
 * Operators' password logins, wherever they come in: HTTP Basic on the dashboard, /metrics and the
 * operators' catalogue, and the editor's login (hub/runtime/editor-login.ts). One instance per
 * process, so its LoginGuard's limits and scrypt cap hold across all of them.
 *
 * Every check that reaches a password is an audit record (`login` or `login-failed`, with the
 * user and the client address, never the password); a name that is no operator's is recorded as
 * "(unknown)", since people type passwords into the name field. An address or user held back is
 * recorded once per wait (`login-throttled`), not once per refused request.
 *
 * Browsers send Basic credentials with every request, and the dashboard polls: a successful
 * check is remembered for a few minutes under an HMAC of the header with a key of this process,
 * so an operator's session costs one scrypt, and the remembered value is no password hash.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { LoginGuard, type LoginGuardOptions } from './login-guard';
import { hashPassword, verifyPassword, type Operator, type OperatorRole } from './operators';

export interface LoginEvent {
  action: 'login' | 'login-failed' | 'login-throttled';
  /** The operator's name, or "(unknown)". */
  user: string;
  address: string;
  /** Where: editor, dashboard, metrics, api. */
  surface: string;
  /** For login-throttled: what held it back. */
  by?: 'address' | 'user' | 'busy';
}

export type LoginResult =
  | { ok: true; operator: { user: string; role: OperatorRole } }
  | { ok: false; reason: 'wrong' }
  | { ok: false; reason: 'throttled' | 'busy'; retryAfterSec: number };

const REMEMBER_MS = 5 * 60_000;
const REMEMBER_MAX = 1000;

/** A fixed hash checked for unknown users, so that a login takes as long whether or not the user exists. */
let decoy: Promise<string> | undefined;

export class OperatorAuth {
  private readonly byName: Map<string, Operator>;
  private readonly guard: LoginGuard;
  private readonly macKey = randomBytes(32);
  private readonly remembered = new Map<string, { user: string; role: OperatorRole; until: number }>();
  private readonly now: () => number;

  constructor(
    readonly operators: readonly Operator[],
    private readonly onEvent: (e: LoginEvent) => void = () => undefined,
    guard: LoginGuard | LoginGuardOptions = {},
  ) {
    this.byName = new Map(operators.map((o) => [o.user, o]));
    this.guard = guard instanceof LoginGuard ? guard : new LoginGuard(guard);
    this.now = guard instanceof LoginGuard ? Date.now : (guard.now ?? Date.now);
  }

  /** Checks a user and password from `address`, within the guard's limits. */
  async password(user: string, password: string, address: string, surface: string): Promise<LoginResult> {
    const o = this.byName.get(user);
    const name = o ? o.user : '(unknown)';
    const attempt = await this.guard.attempt(address, name, async () => {
      if (!o) {
        await verifyPassword(password, await (decoy ??= hashPassword('wasl-decoy-password')));
        return false;
      }
      return verifyPassword(password, o.passwordHash);
    });
    switch (attempt.outcome) {
      case 'ok':
        this.onEvent({ action: 'login', user: name, address, surface });
        return { ok: true, operator: { user: o!.user, role: o!.role } };
      case 'failed':
        this.onEvent({ action: 'login-failed', user: name, address, surface });
        return { ok: false, reason: 'wrong' };
      case 'throttled':
        if (attempt.first) this.onEvent({ action: 'login-throttled', user: name, address, surface, by: attempt.by });
        return { ok: false, reason: 'throttled', retryAfterSec: Math.ceil(attempt.retryAfterMs / 1000) };
      default:
        this.onEvent({ action: 'login-throttled', user: name, address, surface, by: 'busy' });
        return { ok: false, reason: 'busy', retryAfterSec: Math.ceil(attempt.retryAfterMs / 1000) };
    }
  }

  /**
   * An `Authorization: Basic` header: the operator, a refusal, or undefined when the header is no
   * Basic credentials at all. A header checked recently is answered from memory.
   */
  async basic(header: string, address: string, surface: string): Promise<LoginResult | undefined> {
    const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header);
    if (!m || this.operators.length === 0) return undefined;
    const mac = createHmac('sha256', this.macKey).update(header).digest('base64');
    const hit = this.remembered.get(mac);
    if (hit && hit.until > this.now()) return { ok: true, operator: { user: hit.user, role: hit.role } };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 1) return undefined;
    const result = await this.password(decoded.slice(0, i), decoded.slice(i + 1), address, surface);
    if (result.ok) {
      this.remembered.delete(mac);
      this.remembered.set(mac, { ...result.operator, until: this.now() + REMEMBER_MS });
      if (this.remembered.size > REMEMBER_MAX) this.remembered.delete(this.remembered.keys().next().value!);
    }
    return result;
  }

  /** The operator named `user`, as configured now (a session outlives no removal from WASL_OPERATORS). */
  find(user: string): Operator | undefined {
    return this.byName.get(user);
  }
}

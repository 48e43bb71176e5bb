/**
 * Where the sandbox's simulators are, and how long a call may wait: a sandbox hub and the
 * runner start their simulators on free ports (so any number of them share one machine) and
 * point the sandbox endpoints here at them; the runner also shortens time-outs and breaker cool-downs so that a scenario about a
 * time-out or an outage takes seconds, not minutes. Only the `sandbox` environment is ever
 * redirected; a connector built for any other environment ignores this.
 */
import type { ProviderDefinition } from '../contracts/types';
import { POLICY_DEFAULTS } from './resilience';

export interface SandboxOverrides {
  /** Provider code → endpoint (the simulator's URL). */
  endpoints: Record<string, string>;
  /** Upper bound on every provider's call time-out. */
  maxTimeoutMs?: number;
  /** Upper bound on every circuit breaker's time before it lets a call through again. */
  maxHalfOpenAfterMs?: number;
}

let current: SandboxOverrides | undefined;

/** Applies `o` to connectors built from now on; returns the function that puts things back. */
export function overrideSandbox(o: SandboxOverrides): () => void {
  const before = current;
  current = o;
  return () => {
    current = before;
  };
}

export function applySandboxOverrides(def: ProviderDefinition, environment: string): ProviderDefinition {
  const o = current;
  if (!o || environment !== 'sandbox') return def;
  const endpoint = o.endpoints[def.code];
  const env = def.environments.sandbox;
  const r = def.resilience ?? {};
  const cap = (v: number | undefined, max: number | undefined, dflt: number) => (max === undefined ? v : Math.min(v ?? dflt, max));
  // An OAuth2 token endpoint beside the API (the simulator serves both) follows it.
  const moved = (url: string | undefined) => {
    if (!url || !endpoint || !env) return url;
    const from = new URL(env.endpoint);
    const to = new URL(endpoint);
    const u = new URL(url);
    if (u.origin !== from.origin) return url;
    u.protocol = to.protocol;
    u.host = to.host;
    return u.toString();
  };
  const withToken = <S extends { oauth2?: { tokenUrl: string } } | undefined>(sec: S): S => (sec?.oauth2 ? { ...sec, oauth2: { ...sec.oauth2, tokenUrl: moved(sec.oauth2.tokenUrl)! } } : sec);
  return {
    ...def,
    ...(def.security ? { security: withToken(def.security) } : {}),
    ...(endpoint && env ? { environments: { ...def.environments, sandbox: { ...env, endpoint, ...(env.security ? { security: withToken(env.security) } : {}) } } } : {}),
    resilience: {
      ...r,
      ...(o.maxTimeoutMs !== undefined ? { timeoutMs: cap(r.timeoutMs, o.maxTimeoutMs, POLICY_DEFAULTS.timeoutMs) } : {}),
      ...(o.maxHalfOpenAfterMs !== undefined ? { circuitBreaker: { ...r.circuitBreaker, halfOpenAfterMs: cap(r.circuitBreaker?.halfOpenAfterMs, o.maxHalfOpenAfterMs, POLICY_DEFAULTS.circuitBreaker.halfOpenAfterMs) } } : {}),
    },
  };
}

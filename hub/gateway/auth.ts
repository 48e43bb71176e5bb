/**
 * Channel authentication: `Authorization: Bearer <key>`, keys from WASL_CHANNEL_KEYS. The
 * presented key is hashed and compared with every configured key's hash in constant time, so
 * neither a key's content nor which channel it belongs to can be learnt from response times.
 * Operators (WASL_OPERATORS) may instead present `Authorization: Basic` with their user and
 * password, for what the API shows operators (the whole catalogue with its lifecycle); a route
 * for channels only still refuses them (requireChannel). Their passwords are checked by
 * OperatorAuth, within its limits (hub/operator-auth.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ChannelKey } from '../config';
import { WaslError } from '../errors';
import { OperatorAuth } from '../operator-auth';
import type { Operator, OperatorRole } from '../operators';

declare module 'fastify' {
  interface FastifyRequest {
    channel?: ChannelKey;
    operator?: { user: string; role: OperatorRole };
  }
}

/** What operator credentials open (method and route). */
const OPERATOR_ROUTES: ReadonlySet<string> = new Set(['GET /v1/services']);

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export class ChannelAuthenticator {
  private readonly entries: Array<{ hash: Buffer; channel: ChannelKey }>;
  readonly operators: OperatorAuth;

  constructor(keys: ChannelKey[], operators: OperatorAuth | readonly Operator[] = []) {
    this.entries = keys.map((channel) => ({ hash: digest(channel.key), channel }));
    this.operators = operators instanceof OperatorAuth ? operators : new OperatorAuth(operators);
  }

  /**
   * The operator of a request's Basic credentials, or undefined (none, or wrong). A client or user
   * held back by the login limits gets a 429 with Retry-After, before any password is checked.
   */
  async operator(request: Pick<FastifyRequest, 'headers' | 'ip'>, surface: string): Promise<{ user: string; role: OperatorRole } | undefined> {
    const header = request.headers.authorization;
    if (!header?.startsWith('Basic ')) return undefined;
    const r = await this.operators.basic(header, request.ip, surface);
    if (!r) return undefined;
    if (r.ok) return r.operator;
    if (r.reason === 'wrong') return undefined;
    throw new WaslError('login-throttled', { detail: `Too many failed logins: try again in ${r.retryAfterSec} s.`, detailAr: `محاولات دخول فاشلة كثيرة: أعد المحاولة بعد ${r.retryAfterSec} ثانية.`, headers: { 'retry-after': String(r.retryAfterSec) }, extra: { retryAfter: r.retryAfterSec } });
  }

  /** The channel owning `key`, or undefined. Looks at every entry, whatever matches. */
  identify(key: string): ChannelKey | undefined {
    const presented = digest(key);
    let found: ChannelKey | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(presented, e.hash)) found = e.channel;
    }
    return found;
  }

  /** onRequest hook: sets request.channel or refuses with 401. */
  readonly hook = async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header?.startsWith('Basic ')) {
      // Operators read what is shown to operators; everything else is for channels.
      if (!OPERATOR_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) throw new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="wasl"' } });
      const operator = await this.operator(request, 'api');
      if (!operator) throw new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Basic realm="wasl operators"' } });
      request.operator = operator;
      return;
    }
    const match = header ? /^Bearer ([\x21-\x7E]{1,256})$/.exec(header) : null;
    const channel = match?.[1] ? this.identify(match[1]) : undefined;
    if (!channel) throw new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="wasl"' } });
    request.channel = channel;
  };
}

export function requireChannel(request: FastifyRequest): ChannelKey {
  if (!request.channel) throw new WaslError('unauthenticated');
  return request.channel;
}

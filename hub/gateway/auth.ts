/**
 * Channel authentication: `Authorization: Bearer <key>`, keys from WASL_CHANNEL_KEYS. The
 * presented key is hashed and compared with every configured key's hash in constant time, so
 * neither a key's content nor which channel it belongs to can be learnt from response times.
 * Operators (WASL_OPERATORS) may instead present `Authorization: Basic` with their user and
 * password, for what the API shows operators (the whole catalogue with its lifecycle); a route
 * for channels only still refuses them (requireChannel).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ChannelKey } from '../config';
import { WaslError } from '../errors';
import { verifyPassword, type Operator, type OperatorRole } from '../operators';

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

  constructor(
    keys: ChannelKey[],
    private readonly operators: readonly Operator[] = [],
  ) {
    this.entries = keys.map((channel) => ({ hash: digest(channel.key), channel }));
  }

  /** The operator these Basic credentials are, or undefined (an unknown user still costs a hash, so users cannot be told apart by time). */
  async operator(header: string): Promise<{ user: string; role: OperatorRole } | undefined> {
    const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header);
    if (!m || this.operators.length === 0) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 1) return undefined;
    const user = decoded.slice(0, i);
    const found = this.operators.find((o) => o.user === user);
    const ok = await verifyPassword(decoded.slice(i + 1), (found ?? this.operators[0]!).passwordHash);
    return found && ok ? { user: found.user, role: found.role } : undefined;
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
      const operator = await this.operator(header);
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

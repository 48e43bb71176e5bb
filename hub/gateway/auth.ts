/**
 * Channel authentication: `Authorization: Bearer <key>`, keys from WASL_CHANNEL_KEYS. The
 * presented key is hashed and compared with every configured key's hash in constant time, so
 * neither a key's content nor which channel it belongs to can be learnt from response times.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ChannelKey } from '../config';
import { WaslError } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    channel?: ChannelKey;
  }
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export class ChannelAuthenticator {
  private readonly entries: Array<{ hash: Buffer; channel: ChannelKey }>;

  constructor(keys: ChannelKey[]) {
    this.entries = keys.map((channel) => ({ hash: digest(channel.key), channel }));
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

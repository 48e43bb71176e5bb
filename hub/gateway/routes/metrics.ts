/**
 * GET /metrics: the hub's Prometheus metrics (hub/metrics.ts), for Prometheus with the bearer
 * token of WASL_METRICS_TOKEN, or for an operator with their login (HTTP Basic). Nothing else
 * opens it — not a channel key — and without a token or operators configured nobody can read it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { WaslError } from '../../errors';
import type { ChannelAuthenticator } from '../auth';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether a request may read the metrics: the Prometheus token, or an operator's login (within the login limits, which may throw a 429). */
export function metricsAccess(token: string | undefined, auth: ChannelAuthenticator): (request: Pick<FastifyRequest, 'headers' | 'ip'>) => Promise<boolean> {
  const want = token ? digest(token) : undefined;
  return async (request) => {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer ([\x21-\x7E]{1,256})$/.exec(header)?.[1];
    return (bearer !== undefined && want !== undefined && timingSafeEqual(digest(bearer), want)) || (header.startsWith('Basic ') && (await auth.operator(request, 'metrics')) !== undefined);
  };
}

export async function metricsRoutes(app: FastifyInstance, opts: { registry: Registry; token?: string; auth: ChannelAuthenticator }): Promise<void> {
  const allowed = metricsAccess(opts.token, opts.auth);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!(await allowed(request))) throw new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="wasl metrics"' } });
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });
}

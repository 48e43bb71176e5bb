/** Liveness and readiness: the only routes without authentication. They reveal nothing but up or down. */
import type { FastifyInstance } from 'fastify';
import { WaslError } from '../../errors';
import type { Store } from '../../store';

const status = { type: 'object', required: ['status'], properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } } };

export async function healthRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));

  app.get(
    '/ready',
    { schema: { summary: 'Readiness: the store answers', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } },
    async () => {
      try {
        await opts.store.ping();
      } catch (err) {
        app.log.warn({ err: { message: (err as Error).message } }, 'store not reachable');
        throw new WaslError('not-ready', { detail: 'The store does not answer.', detailAr: 'قاعدة البيانات لا تستجيب.', extra: { checks: { store: 'down' } } });
      }
      return { status: 'ready', checks: { store: 'up' } };
    },
  );
}

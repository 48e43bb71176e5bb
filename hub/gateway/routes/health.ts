/** Liveness and readiness: the only routes without authentication. They reveal nothing but up or down. */
import type { FastifyInstance } from 'fastify';
import { WaslError } from '../../errors';
import type { StoreConnection } from '../../store';
import type { Bus } from '../../bus/bus';

const status = { type: 'object', required: ['status'], properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } } };

export interface HealthOptions {
  store: StoreConnection;
  bus: Pick<Bus, 'health'>;
  /**
   * Whether the flows editor (/red, Node-RED's runtime) answers yet, in a process that serves it:
   * /ready waits for it too, so that /red answers at once after /ready says ready. Absent where
   * this process serves no editor.
   */
  editor?: () => boolean;
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));

  app.get(
    '/ready',
    { schema: { summary: 'Readiness: the store answers, the bus is connected and the flows editor (where this process serves it) answers', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } },
    async () => {
      const checks: Record<string, string> = { store: 'up', bus: 'up' };
      try {
        await opts.store.ping();
      } catch (err) {
        app.log.warn({ err: { message: (err as Error).message } }, 'store not reachable');
        checks.store = 'down';
      }
      const bus = opts.bus.health();
      if (!bus.ok) {
        app.log.warn({ detail: bus.detail }, 'bus not connected');
        checks.bus = 'down';
      }
      if (opts.editor) checks.editor = opts.editor() ? 'up' : 'down';
      if (Object.values(checks).includes('down')) {
        throw new WaslError('not-ready', { detail: `Not ready: ${Object.keys(checks).filter((k) => checks[k] === 'down').join(', ')} down.`, detailAr: 'المنصة غير جاهزة: خدمة أساسية لا تستجيب.', extra: { checks } });
      }
      return { status: 'ready', checks };
    },
  );
}

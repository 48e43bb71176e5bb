/** Liveness and readiness: the only routes without authentication. They reveal nothing but up or down. */
import type { FastifyInstance } from 'fastify';
import { WaslError } from '../../errors';
import type { StoreConnection } from '../../store';
import type { Bus } from '../../bus/bus';

const status = { type: 'object', required: ['status'], properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } } };

/** What a process's readiness depends on: the gateway's /ready and a worker's (hub/metrics-listener.ts) alike. */
export interface ReadinessChecks {
  store: Pick<StoreConnection, 'ping'>;
  bus: Pick<Bus, 'health'>;
  /**
   * Whether the flows editor (/red, Node-RED's runtime) answers yet, in a process that serves it:
   * /ready waits for it too, so that /red answers at once after /ready says ready. Absent where
   * this process serves no editor.
   */
  editor?: () => boolean;
  /** Whether the flows runtime started and the workers subscribed (a `wasl worker`). Absent where this process runs no workers of its own to wait for. */
  flows?: () => boolean;
}

export type HealthOptions = ReadinessChecks;

type Warn = (obj: Record<string, unknown>, msg: string) => void;

/** Every check `up` or `down`; a down store or bus is logged (the why stays in the log, not in the answer). */
export async function readiness(opts: ReadinessChecks, warn: Warn): Promise<Record<string, 'up' | 'down'>> {
  const checks: Record<string, 'up' | 'down'> = { store: 'up', bus: 'up' };
  try {
    await opts.store.ping();
  } catch (err) {
    warn({ err: { message: (err as Error).message } }, 'store not reachable');
    checks.store = 'down';
  }
  const bus = opts.bus.health();
  if (!bus.ok) {
    warn({ detail: bus.detail }, 'bus not connected');
    checks.bus = 'down';
  }
  if (opts.editor) checks.editor = opts.editor() ? 'up' : 'down';
  if (opts.flows) checks.flows = opts.flows() ? 'up' : 'down';
  return checks;
}

/** The 503 problem of a process not ready, naming what is down (`checks` beside it). */
export function notReady(checks: Record<string, string>): WaslError | undefined {
  const down = Object.keys(checks).filter((k) => checks[k] === 'down');
  if (down.length === 0) return undefined;
  return new WaslError('not-ready', { detail: `Not ready: ${down.join(', ')} down.`, detailAr: 'المنصة غير جاهزة: خدمة أساسية لا تستجيب.', extra: { checks } });
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));

  app.get(
    '/ready',
    { schema: { summary: 'Readiness: the store answers, the bus is connected and the flows editor (where this process serves it) answers', tags: ['health'], response: { 200: status } }, config: { rateLimit: false } },
    async () => {
      const checks = await readiness(opts, (obj, msg) => app.log.warn(obj, msg));
      const problem = notReady(checks);
      if (problem) throw problem;
      return { status: 'ready', checks };
    },
  );
}

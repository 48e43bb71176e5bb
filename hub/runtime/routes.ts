/**
 * Hands /red/* and /svc/* from the gateway's Fastify to Node-RED's Express apps. The routes are
 * registered with the gateway before it is ready (Fastify takes no routes after that) and answer
 * 503 until a runtime attaches. The request is hijacked in the route's onRequest hook, before
 * Fastify reads the body, so Express gets the untouched stream; the gateway's channel auth and
 * rate limits do not apply there (Node-RED has its own adminAuth), but its Host and Origin checks
 * and security headers do (the gateway's first hook, gateway/exposure.ts).
 *
 * Two things are added on the way: Node-RED's admin API answers every origin
 * (`Access-Control-Allow-Origin: *`, hard-wired), and those headers are dropped here; and every
 * request that changes something is heard when it is answered (`onAction`: the audit trail).
 */
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

type App = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const CORS = /^access-control-/i;

/** Keeps Node-RED's CORS headers off `res`, whichever way they are set. */
function withoutCors(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) => (CORS.test(name) ? res : setHeader(name, value));
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest[rest.length - 1];
    if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
      for (const k of Object.keys(headers as OutgoingHttpHeaders)) if (CORS.test(k)) delete (headers as Record<string, OutgoingHttpHeader>)[k];
    }
    return writeHead(status, ...rest);
  }) as ServerResponse['writeHead'];
}

export class RuntimeMount {
  private app?: App;

  /** Hears each request that changes something, once answered (the audit trail). */
  constructor(private readonly onAction?: (req: IncomingMessage, status: number, url: string) => void) {}

  /** An Express app that routes the roots itself (runtime.ts mounts Node-RED's apps on it). */
  attach(app: unknown): void {
    this.app = app as App;
  }

  detach(): void {
    this.app = undefined;
  }

  /** Whether a runtime is attached: /red and /svc answer (otherwise 503). */
  get attached(): boolean {
    return this.app !== undefined;
  }

  /** Registers the pass-through routes for these roots on the gateway. */
  register(app: FastifyInstance, roots: string[]): void {
    for (const root of roots) {
      for (const url of [root, `${root}/*`]) {
        app.route({
          method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
          url,
          onRequest: (request, reply, _done) => {
            const target = this.app;
            if (!target) {
              void reply.code(503).type('text/plain').send('the flows runtime is not running in this process');
              return;
            }
            reply.hijack();
            const res = reply.raw;
            withoutCors(res);
            if (!SAFE.has(request.method) && this.onAction) {
              const onAction = this.onAction;
              // Express rewrites req.url while a mounted app routes it: keep the one that came in.
              const url = request.raw.url ?? '';
              res.once('finish', () => onAction(request.raw, res.statusCode, url));
            }
            target(request.raw, res, (err) => {
              res.statusCode = err ? 500 : 404;
              res.end(err ? 'error' : 'not found');
            });
          },
          handler: async () => undefined,
        });
      }
    }
  }
}

/**
 * Hands /red/* and /svc/* from the gateway's Fastify to Node-RED's Express apps. The routes are
 * registered with the gateway before it is ready (Fastify takes no routes after that) and answer
 * 503 until a runtime attaches. The request is hijacked in the route's onRequest hook, before
 * Fastify reads the body, so Express gets the untouched stream; the gateway's channel auth and
 * rate limits do not apply there (Node-RED has its own adminAuth).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

type App = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export class RuntimeMount {
  private app?: App;

  /** An Express app that routes the roots itself (runtime.ts mounts Node-RED's apps on it). */
  attach(app: unknown): void {
    this.app = app as App;
  }

  detach(): void {
    this.app = undefined;
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

/**
 * What a process without the gateway (`wasl worker`) serves on WASL_METRICS_PORT: GET /metrics
 * (the ministry calls, their latencies and the circuit breakers live in the workers, and
 * Prometheus must scrape each of them), with the gateway's rule (the WASL_METRICS_TOKEN bearer
 * token or an operator's login); and, without authentication like the gateway's, liveness
 * (`/live`, also `/health`: the event loop answers) and readiness (`/ready`: the store answers,
 * the bus is connected, the flows started), in the gateway's JSON shape, for orchestrators.
 * Nothing else of the API is served from a worker.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HubConfig } from './config';
import { randomUUID } from 'node:crypto';
import { WaslError } from './errors';
import { ChannelAuthenticator } from './gateway/auth';
import { PROBLEM_TYPE, problemOf } from './gateway/problems';
import { metricsAccess } from './gateway/routes/metrics';
import { notReady, readiness, type ReadinessChecks } from './gateway/routes/health';
import type { Logger } from './log';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export interface ProcessHealth extends ReadinessChecks {
  logger: Pick<Logger, 'warn'>;
}

export async function listenMetrics(config: Pick<HubConfig, 'host' | 'metricsToken' | 'operators'>, port: number, registry: Registry, health?: ProcessHealth): Promise<MetricsListener> {
  const allowed = metricsAccess(config.metricsToken, new ChannelAuthenticator([], config.operators ?? []));
  const json = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      const refuse = (err: WaslError) => res.writeHead(err.status, { 'content-type': PROBLEM_TYPE, ...err.headers }).end(JSON.stringify(problemOf(err, randomUUID())));
      if (req.method === 'GET' && health && (path === '/live' || path === '/health')) return json(res, { status: 'ok' });
      if (req.method === 'GET' && health && path === '/ready') {
        const checks = await readiness(health, (obj, msg) => health.logger.warn(obj, msg));
        const problem = notReady(checks);
        return problem ? refuse(problem) : json(res, { status: 'ready', checks });
      }
      if (req.method !== 'GET' || path !== '/metrics') return refuse(new WaslError('not-found'));
      const ok = await allowed({ headers: req.headers, ip: req.socket.remoteAddress ?? '' }).catch((err: unknown) => {
        if (err instanceof WaslError) return err;
        throw err;
      });
      if (ok instanceof WaslError) return refuse(ok);
      if (!ok) return refuse(new WaslError('unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="wasl metrics"' } }));
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * GET /metrics for a process without the gateway (`wasl worker`), on WASL_METRICS_PORT: the
 * ministry calls, their latencies and the circuit breakers live in the workers, and Prometheus
 * must scrape each of them. Only /metrics, with the gateway's rule (the WASL_METRICS_TOKEN bearer
 * token or an operator's login); nothing else of the API is served from a worker.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HubConfig } from './config';
import { randomUUID } from 'node:crypto';
import { WaslError } from './errors';
import { ChannelAuthenticator } from './gateway/auth';
import { PROBLEM_TYPE, problemOf } from './gateway/problems';
import { metricsAccess } from './gateway/routes/metrics';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function listenMetrics(config: Pick<HubConfig, 'host' | 'metricsToken' | 'operators'>, port: number, registry: Registry): Promise<MetricsListener> {
  const allowed = metricsAccess(config.metricsToken, new ChannelAuthenticator([], config.operators ?? []));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      const refuse = (err: WaslError) => res.writeHead(err.status, { 'content-type': PROBLEM_TYPE, ...err.headers }).end(JSON.stringify(problemOf(err, randomUUID())));
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

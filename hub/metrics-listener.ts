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
import { ChannelAuthenticator } from './gateway/auth';
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
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'urn:wasl:problem:not-found', title: 'No such resource', status: 404, code: 'not-found' }));
        return;
      }
      if (!(await allowed(req.headers.authorization))) {
        res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="wasl metrics"' }).end(JSON.stringify({ type: 'urn:wasl:problem:unauthenticated', title: 'A valid channel key is required', status: 401, code: 'unauthenticated' }));
        return;
      }
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

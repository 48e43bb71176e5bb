/**
 * autocannon, run in this process against a server in another. Latencies are also recorded
 * here from every 2xx 'response' event, as floats: autocannon's own histogram keeps whole ms.
 */
import type { EventEmitter } from 'node:events';

interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

interface AutocannonOptions extends RawRequest {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  requests?: Array<RawRequest & { setupRequest?: (req: RawRequest) => RawRequest }>;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

type Autocannon = (opts: AutocannonOptions, cb: (err: Error | null, res: AutocannonResult) => void) => EventEmitter;
// autocannon ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Path of each request, called once per request. */
  path: () => string;
  /** Extra headers of each request (e.g. a fresh Idempotency-Key), called once per request. */
  perRequestHeaders?: () => Record<string, string>;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  seconds: number;
  ok: number;
  rps: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  p50: number;
  p99: number;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const opts: AutocannonOptions = {
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    method: spec.method,
    headers: spec.headers,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          path: spec.path(),
          headers: spec.perRequestHeaders ? { ...req.headers, ...spec.perRequestHeaders() } : (req.headers ?? {}),
        }),
      },
    ],
  };
  if (spec.body !== undefined) opts.body = spec.body;
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, res) => {
      if (err) return reject(err);
      const statusCodes = Object.fromEntries(Object.entries(res.statusCodeStats).map(([code, s]) => [code, s.count]));
      resolve({
        seconds: res.duration,
        ok: res['2xx'],
        rps: res['2xx'] / res.duration,
        non2xx: res.non2xx,
        errors: res.errors,
        timeouts: res.timeouts,
        statusCodes,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
      });
    });
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

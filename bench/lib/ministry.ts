/**
 * The canned ministry of bench:e2e and bench:scale (bench/e2e/ministry-child.ts, a process of its
 * own): the sandbox's civil-registry simulator answering after a fixed delay, asked over IPC how
 * many calls it took, for how many distinct orders, and how many repeated an X-Road message id.
 */
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ask, startServer } from './procs';

export interface MinistryStats {
  calls: number;
  repeated: number;
  orders: number;
}

export interface Ministry {
  /** The SOAP endpoint (http://127.0.0.1:<port>/moi/civil-registry). */
  url: string;
  child: ChildProcess;
  stats(): Promise<MinistryStats>;
  reset(): Promise<void>;
}

/** `port` 0 picks a free one (bench:scale); bench:e2e serves the provider file's sandbox port. */
export async function startMinistry(opts: { port: number; delayMs: number }): Promise<Ministry> {
  const server = await startServer(join(__dirname, '..', 'e2e', 'ministry-child.ts'), {
    env: { ...process.env, BENCH_E2E_MINISTRY_PORT: String(opts.port), BENCH_E2E_MINISTRY_MS: String(opts.delayMs) },
  });
  const { child } = server;
  return { url: server.url, child, stats: () => ask<MinistryStats>(child, 'stats', 'stats'), reset: () => ask<unknown>(child, 'reset', 'reset').then(() => undefined) };
}

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One POST over a keep-alive agent (4 sockets unless given one), its status and body. */
export function post(url: string, body: string, headers: Record<string, string>, agent: http.Agent = defaultAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Not a test: loopback throughput of the shared HTTP client against a trivial node:http server
 * in a child process, 50 requests in flight, beside a bare keep-alive node:http agent and global
 * fetch in the same run. Rounds alternate between the three (so a busy machine hurts them
 * alike); it prints the median and best req/s of each and the client's CPU time per request
 * (the least of the rounds: on a shared machine the least disturbed round is the truest).
 *
 *   npx tsx test/connectors/http/throughput.ts [seconds per round] [rounds]
 */
import http from 'node:http';
import { fork } from 'node:child_process';
import { HttpClient } from '../../../connectors/http/client';

const CONCURRENCY = 50;
const seconds = Number(process.argv[2] ?? 2);
const rounds = Number(process.argv[3] ?? 3);

if (process.env.THROUGHPUT_SERVER) {
  const body = Buffer.from('<ok>yes</ok>');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml', 'content-length': body.length }).end(body));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  void main();
}

async function run(once: () => Promise<unknown>): Promise<{ rps: number; cpuUs: number }> {
  const warmEnd = Date.now() + 300;
  const end = warmEnd + seconds * 1000;
  let n = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  const worker = async () => {
    while (Date.now() < end) {
      await once();
      if (Date.now() > warmEnd) {
        cpu ??= process.cpuUsage();
        n++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const used = process.cpuUsage(cpu);
  return { rps: n / seconds, cpuUs: (used.user + used.system) / n };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const best = (xs: number[]) => Math.max(...xs);

async function main(): Promise<void> {
  const child = fork(__filename, [], { env: { ...process.env, THROUGHPUT_SERVER: '1' }, execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const url = `http://127.0.0.1:${port}/echo`;
  const payload = '<req>'.padEnd(200, 'x') + '</req>';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const client = new HttpClient();

  const contenders: Record<string, () => Promise<unknown>> = {
    'bare node:http keep-alive': () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/xml' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(payload);
      }),
    'wasl HttpClient': () =>
      client.request({ url, method: 'POST', headers: { 'content-type': 'text/xml' }, body: payload, connectTimeoutMs: 3000, timeoutMs: 15000, maxResponseBytes: 10 << 20 }),
    'global fetch': async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: payload });
      await res.arrayBuffer();
    },
  };
  const results: Record<string, Array<{ rps: number; cpuUs: number }>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, once] of Object.entries(contenders)) (results[name] ??= []).push(await run(once));
  }
  for (const [name, rs] of Object.entries(results)) {
    const rps = rs.map((x) => x.rps);
    console.log(
      `${name.padEnd(26)} median ${String(Math.round(median(rps))).padStart(6)} req/s, best ${String(Math.round(best(rps))).padStart(6)} req/s, client CPU ${Math.min(...rs.map((x) => x.cpuUs)).toFixed(1)} µs/req   (rounds: ${rps.map(Math.round).join(', ')})`,
    );
  }
  const of = (name: string) => results[name]!.map((x) => x.rps);
  console.log(`wasl HttpClient / bare agent: median ${(median(of('wasl HttpClient')) / median(of('bare node:http keep-alive'))).toFixed(2)}, best ${(best(of('wasl HttpClient')) / best(of('bare node:http keep-alive'))).toFixed(2)}`);
  await client.close();
  agent.destroy();
  child.kill();
}

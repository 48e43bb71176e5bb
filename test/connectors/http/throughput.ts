/**
 * Not a test: loopback throughput of the shared HTTP client against a trivial node:http server
 * in a child process, 50 requests in flight, beside a bare keep-alive node:http agent and global
 * fetch measured in the same run.  npx tsx test/connectors/http/throughput.ts [seconds]
 */
import http from 'node:http';
import { fork } from 'node:child_process';
import { HttpClient } from '../../../connectors/http/client';

const CONCURRENCY = 50;
const seconds = Number(process.argv[2] ?? 5);

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

async function run(name: string, once: () => Promise<unknown>): Promise<number> {
  const warmEnd = Date.now() + 500;
  const end = warmEnd + seconds * 1000;
  let n = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await once();
      if (Date.now() > warmEnd) n++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const rps = n / seconds;
  console.log(`${name.padEnd(28)} ${Math.round(rps)} req/s`);
  return rps;
}

async function main(): Promise<void> {
  const child = fork(__filename, [], { env: { ...process.env, THROUGHPUT_SERVER: '1' }, execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const url = `http://127.0.0.1:${port}/echo`;
  const payload = '<req>'.padEnd(200, 'x') + '</req>';

  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  await run('bare node:http keep-alive', () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/xml' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(payload);
    }),
  );
  const client = new HttpClient();
  await run('wasl HttpClient', () =>
    client.request({ url, method: 'POST', headers: { 'content-type': 'text/xml' }, body: payload, connectTimeoutMs: 3000, timeoutMs: 15000, maxResponseBytes: 10 << 20 }),
  );
  await run('global fetch', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: payload });
    await res.arrayBuffer();
  });
  await client.close();
  agent.destroy();
  child.kill();
}

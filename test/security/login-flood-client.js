/**
 * The clients of test/security/login-limits.test.ts, in a process of their own so that their own
 * work is not charged to the hub's event loop: a counter posting an order every 20 ms on a
 * keep-alive connection (latency counted from when it was due, so a hub too busy to take it in
 * time shows), and, with "flood", 300 wrong operator logins sent at once from 30 loopback
 * addresses. Prints one JSON line: the latencies in ms, the flood's statuses and duration.
 *
 *   node login-flood-client.js <hub url> <channel key> <order file> <flood|none> <orders>
 */
'use strict';
const { readFileSync } = require('node:fs');
const http = require('node:http');

// The order is read from a file: a command line is visible to every user of the machine.
const [url, key, orderFile, mode, count] = process.argv.slice(2);
const orderJson = readFileSync(orderFile, 'utf8');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let n = 0;

function send({ path, ...options }, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function order() {
  return send({ path: '/v1/orders', method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `flood-${process.pid}-${++n}`, 'content-length': Buffer.byteLength(orderJson) } }, orderJson);
}

async function main() {
  for (let i = 0; i < 30; i++) await order();
  const statuses = [];
  let floodMs;
  let flooding = false;
  if (mode === 'flood') {
    flooding = true;
    const t0 = Date.now();
    const guesses = Array.from({ length: 300 }, (_, i) =>
      send({ path: i % 2 ? '/monitor/api/overview' : '/metrics', agent: false, localAddress: `127.0.3.${(i % 30) + 1}`, headers: { authorization: `Basic ${Buffer.from(`${i % 3 ? 'rana' : 'mallory'}:guess-number-${i}`).toString('base64')}` } }).then((s) => statuses.push(s)),
    );
    void Promise.all(guesses).then(() => {
      floodMs = Date.now() - t0;
      flooding = false;
    });
  }
  const latencies = [];
  const start = performance.now();
  for (let i = 0; i < Number(count) || flooding; i++) {
    const due = start + i * 20;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const status = await order();
    if (status !== 202) throw new Error(`intake answered ${status}`);
    latencies.push(performance.now() - due);
  }
  while (flooding) await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(`${JSON.stringify({ latencies, statuses, floodMs })}\n`);
  agent.destroy();
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});

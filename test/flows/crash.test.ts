/**
 * Crash test: a hub process (`wasl start`, sandbox, SQLite + embedded bus in a temp data dir) is
 * killed with SIGKILL while the civil-registry flow waits on a slow ministry, then started again
 * on the same data dir; the order still reaches provider-completed.
 *
 * The simulator runs in THIS process on a free port, recorded in the data dir (hub/simulator-addresses.ts;
 * the child is started with WASL_SIMULATORS=off and finds it there), so it
 * outlives the kill and keeps its record of every request. What is asserted, and why:
 *  - the ministry received the call before the kill (so the crash really hit the in-flight step);
 *  - every request it received for the order carried ONE and the same idempotency key (X-Road
 *    `id` = `<order id>:moi-civil-registry.IssueIndividualExtract`): the step was journaled as
 *    started, so the restarted process resumes it with the same key instead of a fresh one;
 *  - a second request is allowed (the first answer was lost with the killed process), but it is
 *    a repeat of that key, which the ministry deduplicates (`repeated: true`): exactly one
 *    extract was issued, and it is the one the order's results carry. That is the exactly-once
 *    EFFECT the design promises via idempotency keys — not exactly-once delivery.
 * WASL_BUS_VISIBILITY_MS makes the message the dead process held visible again after 1.5 s
 * instead of 60 s.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Order } from '../../contracts/types';
import { startCivilRegistry, type RunningSimulator } from '../../sandbox/simulators';
import { KEYS, newKey, validRequest } from '../helpers';
import { until } from '../hub/bus/contract';
import { recordSimulators } from '../../hub/simulator-addresses';

const ROOT = resolve(__dirname, '..', '..');
const STEP = 'moi-civil-registry.IssueIndividualExtract';
/** The simulator's delay, as WASL_SIM_DELAY_MS sets it for `wasl start`; 4 s unless given. */
const DELAY_MS = Number(process.env.WASL_SIM_DELAY_MS || 4000);

interface Child {
  proc: ChildProcess;
  url: string;
  exited: Promise<void>;
}

function startChild(dataDir: string): Promise<Child> {
  const env = {
    ...process.env,
    WASL_ENV: 'sandbox',
    WASL_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    WASL_SIMULATORS: 'off',
    WASL_BUS_VISIBILITY_MS: '1500',
    WASL_LOG_LEVEL: 'info',
    WASL_CHANNEL_KEYS: JSON.stringify([{ channel: KEYS.centre.channel, key: KEYS.centre.key, services: ['*'] }]),
  };
  delete (env as Record<string, unknown>).DATABASE_URL;
  delete (env as Record<string, unknown>).AMQP_URL;
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'wasl.js'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolveStart, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the hub did not start within 45 s: ${err.slice(-2000)}`)), 45_000);
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'wasl hub started' && rec.url) {
            clearTimeout(timer);
            resolveStart({ proc, url: rec.url, exited });
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${code}) before it started: ${err.slice(-2000)}`));
    });
  });
}

async function getOrder(url: string, id: string): Promise<Order | undefined> {
  const res = await fetch(`${url}/v1/orders/${id}`, { headers: { authorization: `Bearer ${KEYS.centre.key}` } });
  return res.status === 200 ? ((await res.json()) as Order) : undefined;
}

describe('crash: SIGKILL while a flow waits on a slow ministry', function () {
  this.timeout(120_000);
  let civil: RunningSimulator | undefined;
  const children: Child[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'wasl-crash-'));

  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await civil?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts on the same data dir and completes the order with the ministry doing the work once', async () => {
    // The civil-registry simulator on a free port, slowed down; the hubs (WASL_SIMULATORS=off) find
    // it where this process records it in their data dir, as a sandbox hub records its own.
    const sim = await startCivilRegistry({ port: 0, delayMs: DELAY_MS });
    civil = sim;
    recordSimulators(dataDir, { [sim.name]: sim.url });

    const first = await startChild(dataDir);
    children.push(first);
    const res = await fetch(`${first.url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.centre.key}`, 'idempotency-key': newKey(), 'content-type': 'application/json' },
      // Paid in cash at the counter and collected there: the flow goes straight to the ministry.
      body: JSON.stringify(validRequest({ paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } })),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const id = ((await res.json()) as Order).id;

    // The ministry has the call, and is still working on it: kill the hub now.
    await until(() => sim.requests.some((r) => r.orderId === id), 30_000, 'the ministry to receive the call');
    const killedAt = Date.now();
    first.proc.kill('SIGKILL');
    await first.exited;
    const receivedAt = Date.parse(sim.requests.find((r) => r.orderId === id)!.at);

    const second = await startChild(dataDir);
    children.push(second);
    await until(async () => (await getOrder(second.url, id))?.status === 'ready-for-pickup', 60_000, 'provider-completed, then ready for pickup, after the restart');
    const order = (await getOrder(second.url, id))!;
    assert.deepEqual(order.timeline.map((t) => t.status), ['received', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup']);

    const seen = sim.requests.filter((r) => r.orderId === id);
    const keys = new Set(seen.map((r) => r.idempotencyKey));
    assert.deepEqual([...keys], [`${id}:${STEP}`], 'one idempotency key for the order step, on every request');
    // Killed before the ministry answered, so the outcome was never journaled: the restarted hub
    // must have asked again — with the same key — exactly once.
    if (killedAt < receivedAt + DELAY_MS) assert.equal(seen.length, 2, 'the call resumed once after the restart');
    else assert.ok(seen.length >= 1 && seen.length <= 2, `one request, or one repeat after the crash: ${seen.length}`);
    assert.equal(seen[0]!.repeated, false);
    assert.ok(seen.slice(1).every((r) => r.repeated), 'any later request is a repeat the ministry deduplicated');
    const issued = new Set(seen.map((r) => r.reference));
    assert.equal(issued.size, 1, 'one extract issued');
    assert.equal(order.results?.providerReferences[0]?.reference, [...issued][0]);

    second.proc.kill('SIGTERM');
    await second.exited;
  });
});

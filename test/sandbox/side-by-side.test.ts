/**
 * Sandboxes side by side (issue 23, item 7): two sandbox hubs (`wasl start`, each with its own data
 * dir, PORT=0) on one machine, each with its simulators on free ports recorded in its data dir
 * (simulators.json, 0600), both completing an order end to end; `wasl provider call` from another
 * shell finds the simulators of the hub whose data dir it is given; the record goes when the hub stops.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { validRequest } from '../helpers';
import { hubStartedAt } from '../hub-process';

const REPO = resolve(__dirname, '..', '..');
const BIN = join(REPO, 'bin', 'wasl.js');

interface Sandbox {
  dir: string;
  child: ChildProcess;
  url: string;
}

function cleanEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WASL_DATA_DIR: dataDir, WASL_LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1' };
  for (const name of Object.keys(env)) if (/^WASL_SIM/.test(name)) delete env[name];
  for (const name of ['WASL_ENV', 'WASL_CHANNEL_KEYS', 'WASL_OPERATORS', 'DATABASE_URL', 'AMQP_URL']) delete env[name];
  return env;
}

function startSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-side-by-side-'));
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: REPO, env: cleanEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  return hubStartedAt(child, 90_000).then((url) => ({ dir, child, url }));
}

async function stop(s: Sandbox | undefined): Promise<void> {
  if (!s) return;
  if (s.child.exitCode === null && s.child.signalCode === null) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await exited;
  }
  rmSync(s.dir, { recursive: true, force: true });
}

function run(args: string[], dataDir: string): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...cleanEnv(dataDir), WASL_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => done({ status, out }));
  });
}

async function completeOrder(s: Sandbox): Promise<void> {
  const key = readFileSync(join(s.dir, 'demo-channel-key'), 'utf8').trim();
  const auth = { authorization: `Bearer ${key}` };
  // Paid at the counter and collected there: straight to the ministry (the civil-registry simulator).
  const submitted = await request(`${s.url}/v1/orders`, {
    method: 'POST',
    headers: { ...auth, 'idempotency-key': `side-by-side-${process.pid}`, 'content-type': 'application/json' },
    body: JSON.stringify(validRequest({ paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } })),
  });
  const body = (await submitted.body.json()) as { id: string };
  assert.equal(submitted.statusCode, 202, JSON.stringify(body));
  let order: { status: string } | undefined;
  for (let i = 0; i < 300; i++) {
    const r = await request(`${s.url}/v1/orders/${body.id}`, { headers: auth });
    order = (await r.body.json()) as typeof order;
    if (order?.status === 'ready-for-pickup') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(order?.status, 'ready-for-pickup', JSON.stringify(order));
}

describe('sandboxes side by side: two `wasl start` sandbox hubs on one machine', function () {
  this.timeout(240_000);
  let a: Sandbox | undefined;
  let b: Sandbox | undefined;

  after(async () => {
    await stop(a);
    await stop(b);
  });

  it('start with their simulators on free ports, each recorded in its data dir, and both complete an order', async () => {
    a = await startSandbox();
    b = await startSandbox();
    const recorded = (s: Sandbox) => {
      const file = join(s.dir, 'simulators.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      return JSON.parse(readFileSync(file, 'utf8')) as { pid: number; endpoints: Record<string, string> };
    };
    const ra = recorded(a);
    const rb = recorded(b);
    assert.equal(ra.pid, a.child.pid);
    assert.deepEqual(Object.keys(ra.endpoints).sort(), Object.keys(rb.endpoints).sort());
    assert.ok(Object.keys(ra.endpoints).length >= 10, Object.keys(ra.endpoints).join());
    for (const [code, url] of Object.entries(ra.endpoints)) assert.notEqual(url, rb.endpoints[code], code);

    await Promise.all([completeOrder(a), completeOrder(b)]);

    // From another shell, on a's data dir: a's vehicle-registry simulator answers.
    const call = await run(['provider', 'call', 'mot-vehicle-registry', 'GetOwnershipStatement', '--input', '{"path":{"plate":"123456"},"query":{"governorate":"damascus"}}'], a.dir);
    assert.equal(call.status, 0, call.out);
    assert.match(call.out, /GetOwnershipStatement: HTTP 200/);

    // Stopped, a takes its record with it; b's stays.
    const exited = new Promise((r) => a!.child.once('exit', r));
    a.child.kill('SIGTERM');
    await exited;
    assert.equal(existsSync(join(a.dir, 'simulators.json')), false);
    assert.ok(existsSync(join(b.dir, 'simulators.json')));
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FLOWS_DIR, KEYS, validRequest } from '../helpers';
import { SqliteStore } from '../../hub/store/sqlite';
import { Catalogue } from '../../hub/catalogue';
import { buildOrder } from '../../hub/intake';

const BIN = resolve(__dirname, '..', '..', 'bin', 'wasl.js');

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

describe('wasl CLI', function () {
  this.timeout(60_000);

  it('has --help on the program and on each command', () => {
    const top = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.equal(top.status, 0);
    assert.match(top.stdout, /Usage: wasl/);
    assert.match(top.stdout, /start/);
    const start = spawnSync(process.execPath, [BIN, 'start', '--help'], { encoding: 'utf8' });
    assert.equal(start.status, 0);
    assert.match(start.stdout, /--port/);
  });

  it('refuses to start in production without WASL_SECRET, naming it', () => {
    const r = spawnSync(process.execPath, [BIN, 'start'], { encoding: 'utf8', env: { ...process.env, WASL_ENV: 'production', WASL_SECRET: '' } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /WASL_SECRET is required in production/);
  });

  it('starts the sandbox hub on SQLite, prints a demo key that works, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-cli-'));
    const port = await freePort();
    const env = { ...process.env, WASL_DATA_DIR: dir, WASL_CHANNEL_KEYS: '', DATABASE_URL: '', WASL_ENV: 'sandbox' };
    const child = spawn(process.execPath, [BIN, 'start', '--port', String(port), '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      while (!/Bearer wasl_demo_/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`hub did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const key = readFileSync(join(dir, 'demo-channel-key'), 'utf8').trim();
      assert.ok(out.includes(key));
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/health`)).status, 200);
      const res = await fetch(`${base}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'cli-test-1' },
        body: JSON.stringify(validRequest()),
      });
      assert.equal(res.status, 202);
      const { id } = (await res.json()) as { id: string };
      assert.equal((await fetch(`${base}/v1/orders/${id}`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(out, /"msg":"stopping"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists dead letters with `wasl replay`, replays one by id, and the order\'s timeline shows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-cli-'));
    try {
      const store = new SqliteStore({ file: join(dir, 'wasl.db') });
      const catalogue = Catalogue.load(FLOWS_DIR);
      const { order } = await store.createOrder(buildOrder(validRequest(), KEYS.centre, catalogue, 'sandbox'), { channel: 'c', key: 'k1', requestHash: 'h' });
      const message = { eventId: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV', orderId: order.id, service: order.service.code, type: 'order.received', payload: {} };
      await store.recordDeadLetter({ message, reason: 'attempts-exhausted', history: [{ attempt: 1, at: new Date().toISOString(), error: 'timeout' }] });
      await store.close();
      const env = { ...process.env, WASL_DATA_DIR: dir, WASL_CHANNEL_KEYS: '', DATABASE_URL: '', AMQP_URL: '', WASL_ENV: 'sandbox' };
      const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'replay', ...args], { encoding: 'utf8', env });
      const list = run('--service', order.service.code);
      assert.equal(list.status, 0, list.stderr);
      const [id] = /dl_[0-9A-Z]+/.exec(list.stdout) ?? [];
      assert.ok(id, list.stdout);
      assert.match(list.stdout, /attempts-exhausted/);
      assert.equal(run('--reason', 'poison').stdout, 'no dead letters\n');
      const missing = run('--id', 'dl_nope');
      assert.equal(missing.status, 1);
      const replay = run('--id', id!, '--operator', 'ops-7');
      assert.equal(replay.status, 0, replay.stderr);
      assert.equal(replay.stdout, 'replayed 1\n');
      assert.equal(run('--json').stdout.trim(), '[]');
      const after = new SqliteStore({ file: join(dir, 'wasl.db') });
      const read = await after.getOrder(order.id);
      assert.deepEqual(read?.timeline.map((t) => t.event), ['order.received', 'bus.dead-lettered', 'bus.replayed']);
      assert.deepEqual(read?.timeline.at(-1)?.actor, { kind: 'operator', id: 'ops-7' });
      assert.equal((await after.outboxPending(10)).length, 1, 'the original received event only; the replay went to the bus');
      await after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

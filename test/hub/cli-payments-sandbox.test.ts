/**
 * `wasl payments reconcile` in the sandbox, as an engineer runs it: orders paid through the
 * sandbox hub's own payment simulators are settled — also after the hub restarted, since the
 * simulators keep what they settled in the data dir (sandbox/simulators/settlement-ledger.ts) — and
 * with no sandbox hub running, the command says why it cannot reconcile.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validRequest } from '../helpers';
import { hubStartedAt } from '../hub-process';

const BIN = resolve(__dirname, '..', '..', 'bin', 'wasl.js');

describe('wasl payments reconcile against a sandbox hub', function () {
  this.timeout(240_000);
  let dir: string;
  let hub: ChildProcess | undefined;

  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, WASL_ENV: 'sandbox', WASL_DATA_DIR: dir, PORT: '0', WASL_LOG_LEVEL: 'info', WASL_SIM_PAY_DELAY_MS: '20', DATABASE_URL: '', AMQP_URL: '' };
    for (const name of ['WASL_CHANNEL_KEYS', 'WASL_OPERATORS', 'WASL_SIMULATORS', 'WASL_SIM_PORTS', 'WASL_SIM_EPAY_PORT', 'WASL_SIM_INTLPAY_PORT']) delete e[name];
    return e;
  };
  const start = async () => {
    hub = spawn(process.execPath, [BIN, 'start'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    return hubStartedAt(hub, 120_000);
  };
  const stop = async () => {
    if (hub && hub.exitCode === null) {
      const exited = new Promise((r) => hub!.once('exit', r));
      hub.kill('SIGTERM');
      await exited;
    }
    hub = undefined;
  };
  const reconcile = (date: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'payments', 'reconcile', '--date', date, '--json'], { env: { ...env(), WASL_LOG_LEVEL: 'silent' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasl-reconcile-sandbox-'));
  });
  after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('settles the orders the sandbox took payment for, before and after a restart; without a hub, says why not', async () => {
    const url = await start();
    const key = readFileSync(join(dir, 'demo-channel-key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    // One paid to the national e-payment company, one by international card.
    for (const paymentMethod of ['e-payment', 'international-card']) {
      const res = await fetch(`${url}/v1/orders`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `reconcile-${paymentMethod}-${Date.now()}` },
        body: JSON.stringify(validRequest({ service: 'no-criminal-record-certificate', fields: { purpose: 'travel', copies: 1 }, delivery: { method: 'counter' }, paymentMethod: paymentMethod as 'e-payment' })),
      });
      const body = await res.text();
      assert.equal(res.status, 202, body);
      ids.push((JSON.parse(body) as { id: string }).id);
    }
    const days = new Set<string>();
    for (const id of ids) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const order = (await (await fetch(`${url}/v1/orders/${id}`, { headers })).json()) as { payment: { status: string; paidAt?: string } };
        if (order.payment.status === 'paid') {
          days.add(order.payment.paidAt!.slice(0, 10));
          break;
        }
        assert.ok(Date.now() < deadline, `order ${id} not paid: ${JSON.stringify(order.payment)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // The day each was paid (both today, unless the test ran across midnight UTC).
    const settled = async () => {
      const count: Record<string, number> = {};
      let matched = 0;
      for (const day of days) {
        const r = await reconcile(day);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        const out = JSON.parse(r.stdout) as { matched: number; mismatches: unknown[]; providers: Array<{ provider: string; settled: number }> };
        assert.deepEqual(out.mismatches, []);
        matched += out.matched;
        for (const p of out.providers) count[p.provider] = (count[p.provider] ?? 0) + p.settled;
      }
      assert.equal(matched, 2);
      assert.deepEqual(count, { 'sy-epay': 1, 'intl-pay': 1 });
    };
    await settled();

    await stop();
    const none = await reconcile([...days][0]!);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /did not list its settlements of .*no sandbox hub is running on .*start it \(npm start, same WASL_DATA_DIR\)/);

    // Restarted, its simulators still settle what they took before.
    await start();
    await settled();
  });
});

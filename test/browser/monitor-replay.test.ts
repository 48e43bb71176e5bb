/**
 * A replay that completes, in a real browser: the whole sandbox runs (hub, flows, ministries,
 * payment and post simulators); one order meets a ministry outage longer than its bus retries and
 * is dead-lettered; an operator logs in to /monitor in Chromium, sees it among the dead letters,
 * replays it once the ministry is back, and the order completes — asked of the ministry again only
 * through the replay. Screenshot in test-artifacts/monitor-replayed.png. Skipped, with a line
 * saying so, when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './chromium';
import { request } from 'undici';
import type { Order } from '../../contracts/types';
import { hashPassword } from '../../hub/operators';
import { startEnvironment, type SandboxEnvironment } from '../../sandbox/runner/environment';
import { planOrders } from '../../sandbox/demo';
import { FLOWS_DIR, newKey } from '../helpers';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const SERVICE = 'civil-registry-individual-extract';
/** Longer than the sandbox's bus retries (about 4 s), so the order is dead-lettered. */
const OUTAGE_MS = 6_000;

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('monitoring dashboard in Chromium: a dead-lettered order replayed to completion', function () {
  this.timeout(180_000);
  let env: SandboxEnvironment | undefined;
  let browser: Browser | undefined;

  before(async function () {
    skipWithoutChromium(this);
    env = await startEnvironment({ flowsDir: FLOWS_DIR, operators: [{ user: 'maha', passwordHash: await hashPassword('operator-password', { N: 1024, r: 8, p: 1 }), role: 'operator' }] });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await env?.close();
  });

  it('the operator replays it from /monitor and it completes', async () => {
    const e = env!;
    const service = e.hub.catalogue.get(SERVICE)!;
    const planned = planOrders([service], 1, 11)[0]!;
    const release = e.scripts.expect();
    let id: string;
    try {
      const res = await request(`${e.url}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${e.keys[planned.channel].key}`, 'idempotency-key': newKey(), 'content-type': 'application/json' },
        body: JSON.stringify(planned.body),
      });
      const text = await res.body.text();
      assert.equal(res.statusCode, 202, text);
      id = (JSON.parse(text) as Order).id;
      const def = service.definition;
      e.scripts.set(id, { providers: { [def.provider.code]: { [String(def.provider.operation)]: { fault: { kind: 'outage', forMs: OUTAGE_MS } } } } });
    } finally {
      release();
    }
    const dead = await until('the dead letter', 60_000, async () => (await e.hub.store.listDeadLetters({ limit: 100 })).find((d) => d.message.orderId === id));
    assert.equal(dead.reason, 'attempts-exhausted');
    const stuck = (await e.hub.store.getOrder(id))!;
    assert.ok(!['ready-for-pickup', 'delivered'].includes(stuck.status), `not completed before the replay (${stuck.status})`);
    // The replay comes after the ministry is back.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));

    const context = await browser!.newContext({ httpCredentials: { username: 'maha', password: 'operator-password' }, viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    try {
      await page.goto(`${e.url}/monitor`, { waitUntil: 'domcontentloaded' });
      const row = page.locator('#deadRows tr', { hasText: id });
      await row.waitFor({ timeout: 15_000 });
      await row.locator('button[data-act="replay"]').click();
      await row.waitFor({ state: 'detached', timeout: 15_000 });
      const done = await until('the replayed order to complete', 60_000, async () => {
        const o = (await e.hub.store.getOrder(id))!;
        return ['ready-for-pickup', 'delivered'].includes(o.status) ? o : undefined;
      });
      assert.ok(done.timeline.some((s) => s.actor.kind === 'operator' && s.actor.id === 'maha'), 'the replay is on the order, by the operator');
      const replayed = (await e.hub.store.readAudit({ limit: 10_000 })).find((a) => a.actor === 'operator:maha' && a.data.action === 'replay');
      assert.ok(replayed, 'the replay is in the audit trail');
      // The dashboard shows the order completed.
      await page.fill('#q', id);
      await page.click('#searchForm button');
      await page.locator('#results tr', { hasText: id }).waitFor({ timeout: 10_000 });
      assert.match(await page.locator('#results tr', { hasText: id }).innerText(), new RegExp(done.status === 'delivered' ? 'delivered|سُلِّم|تم التسليم' : 'ready-for-pickup|جاهز'));
      await page.click(`a[data-order="${id}"]`);
      await page.locator('#detail', { hasText: 'moi-civil-registry' }).waitFor({ timeout: 10_000 });
      // The live figures follow: no dead letter left.
      await page.waitForFunction(() => document.getElementById('deadCount')?.textContent === '0', undefined, { timeout: 15_000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'monitor-replayed.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});

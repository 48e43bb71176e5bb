/**
 * The monitoring dashboard as people see it (issue 24), in a real browser (Debian's Chromium,
 * playwright-core): one hub with orders of several statuses, a dead-lettered event, ministries'
 * calls and one ministry whose circuit breaker is open; the dashboard at 1366×768 and 1920×1080,
 * in Arabic and in English. On each page: the dead letter's Replay and Discard buttons and its
 * reason, and the ministries' breaker state, are inside the viewport and not in a part of their
 * panel scrolled out of view (no panel, and not the page, scrolls sideways); the latency chart's
 * provider labels do not overlap and the chart says what it measures and in what unit; an
 * order's detail shows its actor whole and its durations as number then unit; in Arabic, statuses,
 * services and ministries are named in Arabic (no status code is the visible text of a status
 * cell). A screenshot of each page, with an order opened, in
 * test-artifacts/monitor-<lang>-<width>x<height>.png.
 *
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it); fails
 * instead with WASL_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Order, OrderStatus } from '../../contracts/types';
import { TransportError } from '../../connectors/errors';
import { reportCall } from '../../connectors/observe';
import { createPolicy, type ProviderPolicy } from '../../connectors/resilience';
import { STATUS_NAMES } from '../../hub/monitor/names';
import { hashPassword } from '../../hub/operators';
import { auth, CITIZEN, KEYS, newKey, testHub, validRequest, type TestHub } from '../helpers';
import { launchChromium, skipWithoutChromium } from './chromium';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];
const BROKEN = 'moj-judicial-records';
/** The ministries whose calls the test reports. */
const SEEDED = ['moi-civil-registry', 'mohe-degrees', 'mot-vehicle-registry', 'sif-insurance', BROKEN];
/** The statuses the orders are taken to, one order each (the first stays received). */
const PATHS: OrderStatus[][] = [[], ['submitted-to-provider', 'provider-completed', 'ready-for-pickup'], ['submitted-to-provider', 'rejected'], ['awaiting-payment'], ['failed']];
const ARABIC = /[\u0600-\u06FF]/;

/** Where an element is drawn, and whether that is inside the viewport and inside its panel's visible box. */
async function placed(locator: Locator): Promise<{ text: string; inViewport: boolean; inPanel: boolean; box: string }> {
  // The dashboard redraws its tables as it refreshes: an element found just before a redraw is
  // detached when it is measured, so it is found again (the locator) until one is measured in place.
  for (let attempt = 0; ; attempt++) {
    const p = await measure(locator);
    if (p) return p;
    if (attempt >= 50) throw new Error('the element kept being redrawn while it was measured');
    await locator.page().waitForTimeout(20);
  }
}

function measure(locator: Locator): Promise<{ text: string; inViewport: boolean; inPanel: boolean; box: string } | null> {
  // (No named functions inside evaluate: tsx's helpers do not exist in the page.)
  return locator.evaluate((el) => {
    const section = el.isConnected ? el.closest('section') : null;
    if (!section) return null;
    const r = el.getBoundingClientRect();
    const panel = section.getBoundingClientRect();
    const vw = document.documentElement.clientWidth;
    return {
      text: (el as HTMLElement).innerText,
      inViewport: r.width > 0 && r.left >= -1 && r.right <= vw + 1,
      inPanel: r.width > 0 && r.left >= panel.left - 1 && r.right <= panel.right + 1,
      box: `${Math.round(r.left)}..${Math.round(r.right)} (panel ${Math.round(panel.left)}..${Math.round(panel.right)}, viewport 0..${vw})`,
    };
  });
}

/** Elements (by selector) whose boxes overlap another's. */
function overlapping(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const boxes = Array.from(document.querySelectorAll(sel)).map((e) => ({ text: (e as HTMLElement).innerText, r: e.getBoundingClientRect() }));
    const out: string[] = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.r, b = boxes[j]!.r;
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) out.push(`${boxes[i]!.text} / ${boxes[j]!.text}`);
      }
    return out;
  }, selector);
}

describe('monitoring dashboard views (1366×768, 1920×1080, Arabic and English)', function () {
  this.timeout(180_000);
  let hub: TestHub | undefined;
  let browser: Browser | undefined;
  let url = '';
  let broken: ProviderPolicy | undefined;
  const ids: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    const cost = { N: 1024, r: 8, p: 1 };
    hub = await testHub({ operators: [{ user: 'maha', passwordHash: await hashPassword('operator-password', cost), role: 'operator' }] });
    url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const system = { kind: 'system' as const, id: 'test' };
    for (const path of PATHS) {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      const id = res.json<Order>().id;
      ids.push(id);
      for (const to of path) await hub.store.transition(id, { to, actor: system, ...(to === 'rejected' || to === 'failed' ? { reason: { code: 'test' } } : {}) });
    }
    const now = new Date().toISOString();
    const call = { endpoint: 'http://127.0.0.1:1/x', attempts: 1, requestBytes: 700, responseBytes: 1500, startedAt: now };
    reportCall({ ...call, provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', orderId: ids[0], outcome: 'success', status: 200, durationMs: 180 });
    reportCall({ ...call, provider: 'mohe-degrees', operation: 'AuthenticateDegree', orderId: ids[1], outcome: 'success', status: 200, durationMs: 1240 });
    reportCall({ ...call, provider: 'mot-vehicle-registry', operation: 'GetOwnershipStatement', orderId: ids[2], outcome: 'success', status: 200, durationMs: 95 });
    reportCall({ ...call, provider: 'sif-insurance', operation: 'IssuePolicy', orderId: ids[3], outcome: 'success', status: 200, durationMs: 430 });
    reportCall({ ...call, provider: BROKEN, operation: 'IssueRecord', orderId: ids[4], outcome: 'transport', durationMs: 20 });
    // A ministry that stopped answering: its breaker opens at the first failure (and stays open
    // until a call is tried, which after() does to close it: breakers are the process's).
    broken = createPolicy(BROKEN, { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 500 } });
    await assert.rejects(broken.execute({ operation: 'IssueRecord', endpoint: 'http://127.0.0.1:1/moj', idempotent: true }, async () => { throw new TransportError('ECONNREFUSED'); }));
    assert.deepEqual(Object.values(broken.breakerStates()), ['open']);
    await hub.store.recordDeadLetter({ message: { eventId: `evt-${newKey()}`, orderId: ids[1], service: 'civil-registry-individual-extract', type: 'order.received', occurredAt: now, payload: {} } as never, reason: 'attempts-exhausted', history: [] });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
    // The ministry answers again: its breaker closes, and the other suites of this process do not see it open.
    for (let i = 0; broken && i < 40 && Object.values(broken.breakerStates()).some((st) => st !== 'closed'); i++) {
      await broken.execute({ operation: 'IssueRecord', endpoint: 'http://127.0.0.1:1/moj', idempotent: true }, async () => 'ok').catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    broken = undefined;
  });

  for (const lang of ['ar', 'en'] as const)
    for (const viewport of VIEWPORTS)
      it(`${lang} at ${viewport.width}×${viewport.height}: dead-letter actions and breakers in view, names in the page's language`, async () => {
        const context = await browser!.newContext({ httpCredentials: { username: 'maha', password: 'operator-password' }, viewport });
        await context.addInitScript((l) => localStorage.setItem('wasl-monitor-lang', l), lang);
        const page = await context.newPage();
        try {
          await page.goto(`${url}/monitor`, { waitUntil: 'domcontentloaded' });
          assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
          const deadRow = page.locator('#deadRows tr', { hasText: ids[1]! });
          await deadRow.waitFor({ timeout: 15_000 });
          const brokenRow = page.locator(`#providerRows tr[data-provider="${BROKEN}"]`);
          await brokenRow.waitFor({ timeout: 15_000 });
          // The names have come (the service of the dead letter is named, not coded).
          await page.waitForFunction(() => (document.querySelector('#deadRows td.svc') as HTMLElement | null)?.innerText !== 'civil-registry-individual-extract', undefined, { timeout: 15_000 });

          // An order opened: its timeline and its exchanges with the ministries.
          await page.fill('#q', CITIZEN.nationalNumber);
          await page.click('#searchForm button');
          await page.locator('#results tr', { hasText: ids[0]! }).waitFor({ timeout: 10_000 });
          await page.click(`a[data-order="${ids[0]}"]`);
          await page.locator('#exchanges td.duration').first().waitFor({ timeout: 10_000 });

          mkdirSync(ARTIFACTS, { recursive: true });
          const shot = join(ARTIFACTS, `monitor-${lang}-${viewport.width}x${viewport.height}.png`);
          await page.screenshot({ path: shot, fullPage: true });
          assert.ok(existsSync(shot));

          // Nothing scrolls sideways: not the page, not a panel.
          const scrolled = await page.evaluate(() =>
            [document.documentElement, ...Array.from(document.querySelectorAll('main > section:not([hidden])'))].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.id || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`),
          );
          assert.deepEqual(scrolled, [], 'scrolls sideways');

          // What matters most, inside the viewport and inside its panel.
          const what = [
            ['Replay', deadRow.locator('button[data-act="replay"]')],
            ['Discard', deadRow.locator('button[data-act="discard"]')],
            ['dead-letter reason', deadRow.locator('td.reason')],
            ['breaker state', brokenRow.locator('td.breaker')],
          ] as const;
          for (const [name, locator] of what) {
            const p = await placed(locator);
            assert.ok(p.inViewport && p.inPanel, `${name} is not in view: ${p.box}`);
          }
          // Its text whole, not cut with "…".
          assert.equal(await brokenRow.locator('td.breaker').evaluate((e) => e.scrollWidth <= e.clientWidth), true, 'the breaker state is cut');
          assert.equal(await deadRow.locator('td.act').evaluate((e) => e.scrollWidth <= e.clientWidth + 1), true, 'the actions are cut');
          assert.equal(await brokenRow.locator('td.breaker').getAttribute('data-state'), 'open');
          assert.match(await brokenRow.locator('td.breaker').innerText(), lang === 'ar' ? /مفتوح/ : /open/);

          // The latency chart: labels apart, an axis title with its unit.
          assert.deepEqual(await overlapping(page, '#latencyChart .bar-label'), [], 'latency labels overlap');
          assert.deepEqual(await overlapping(page, '#statusChart .bar-label'), [], 'status labels overlap');
          assert.ok((await page.locator('#latencyChart .bar-label').count()) >= 5);
          assert.equal((await page.locator('#latencyChart .axis-title').innerText()).trim(), lang === 'ar' ? 'زمن الاستجابة p95 (ملي ثانية)' : 'p95 response time (ms)');

          // An order's detail: the actor whole, a duration as number then unit.
          const actors = await page.locator('#timeline td.actor').evaluateAll((cells) => cells.map((c) => ({ text: (c as HTMLElement).innerText, cut: c.scrollWidth > c.clientWidth + 1 })));
          assert.ok(actors.length >= 1 && actors.every((a) => !a.cut && /^[a-z-]+:/.test(a.text)), `actors: ${JSON.stringify(actors)}`);
          const duration = await page.locator('#exchanges td.duration', { hasText: '180' }).innerText();
          assert.equal(duration.trim(), lang === 'ar' ? '180 ملي ثانية' : '180 ms');
          assert.equal(await page.locator('#exchanges td.duration bdi').count() >= 1, true, 'a duration is isolated (bdi)');

          // Statuses, services and ministries by name in the page's language.
          const texts = async (selector: string) => (await page.locator(selector).allInnerTexts()).map((s) => s.trim());
          const statuses = [...(await texts('#results td.status')), ...(await texts('#timeline td.status'))];
          const services = [...(await texts('#results td.svc')), ...(await texts('#deadRows td.svc'))];
          // (Only the ministries seeded here: breakers are the process's, and other suites' test providers have no names.)
          const seeded = SEEDED.map((c) => `[data-provider="${c}"] td.prov, #latencyChart .bar-label[data-code="${c}"]`).join(', ');
          const ministries = [...(await texts(seeded)), ...(await texts('#exchanges td.prov'))];
          const chart = await texts('#statusChart .bar-label');
          assert.ok(statuses.length >= PATHS.length && services.length >= 2 && ministries.length >= 10 && chart.length >= 4, JSON.stringify({ statuses, services, ministries, chart }));
          const codes = new Set(Object.keys(STATUS_NAMES));
          const names = new Set(Object.values(STATUS_NAMES).map((n) => n[lang]));
          for (const s of [...statuses, ...chart]) {
            assert.ok(!codes.has(s) && names.has(s), `status shown as "${s}"`);
            if (lang === 'ar') assert.doesNotMatch(s, /[a-z]/, `a code in an Arabic status: "${s}"`);
          }
          for (const s of [...services, ...ministries]) assert.match(s, lang === 'ar' ? ARABIC : /^[A-Z]/, `not a ${lang} name: "${s}"`);
          assert.ok(statuses.includes(STATUS_NAMES['ready-for-pickup'][lang]));
          if (lang === 'ar') assert.match(await page.locator('#deadRows td.reason').first().innerText(), ARABIC);
        } finally {
          await context.close();
        }
      });
});

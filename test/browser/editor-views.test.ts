/**
 * The flows editor as people see it (issue 24), in a real browser (Debian's Chromium,
 * playwright-core): one hub on a copy of the repository's flows/ with a service `wasl service new`
 * scaffolded into it, the editor at 1366×768 and 1920×1080, in English and in Arabic (Node-RED's
 * editor takes its language from the browser's). On each page: no node — shipped or scaffolded —
 * is invalid (the editor's red triangle), no two nodes of a tab overlap as the editor draws them
 * (its own node sizes, tab by tab), none is past the canvas's left or top edge, wasl's palette
 * labels are in the page's language; a screenshot of each page, and of a map node's dialog, in
 * test-artifacts/editor-<lang>-<width>x<height>.png and editor-map-<lang>.png. Then a change and
 * Deploy: the editor does not ask about nodes that are "not properly configured".
 *
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it); fails
 * instead with WASL_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { FlowNode } from '../../hub/runtime/node-types';
import { scaffoldService } from '../../sandbox/scaffold/scaffold';
import { FLOWS_DIR, type TestHub } from '../helpers';
import { runtimeHub } from '../security/runtime-hub';
import { launchChromium, skipWithoutChromium } from './chromium';

const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const SCAFFOLDED = 'scaffolded-statement';
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];
const LANGS = [
  { lang: 'en', locale: 'en-US', orderIn: 'order in' },
  { lang: 'ar', locale: 'ar', orderIn: 'طلب وارد' },
];

interface DrawnNode {
  id: string;
  z: string;
  type: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The page's editor once every node of the flow files is loaded. */
async function openEditor(page: Page, url: string, expected: number): Promise<void> {
  await page.goto(`${url}/red/`, { waitUntil: 'domcontentloaded' });
  type Red = { nodes: { eachNode(cb: (n: unknown) => void): void } };
  await page.waitForFunction(
    (n) => {
      const RED = (window as unknown as { RED?: Red }).RED;
      let count = 0;
      RED?.nodes?.eachNode?.(() => count++);
      return count >= n;
    },
    expected,
    { timeout: 60_000 },
  );
  await page.locator('#red-ui-palette-container-wasl .red-ui-palette-node[data-palette-type="wasl-order-in"]').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Nodes and config nodes the editor does not hold valid (what Deploy would list as not properly configured). */
function invalidNodes(page: Page): Promise<string[]> {
  // (No named functions inside evaluate: tsx's helpers do not exist in the page.)
  return page.evaluate(() => {
    type N = { id: string; type: string; name?: string; valid?: boolean; validationErrors?: string[] };
    const RED = (window as unknown as { RED: { nodes: { eachNode(cb: (n: N) => void): void; eachConfig(cb: (n: N) => void): void } } }).RED;
    const all: N[] = [];
    RED.nodes.eachNode((n) => void all.push(n));
    RED.nodes.eachConfig((n) => void all.push(n));
    return all.filter((n) => n.valid !== true).map((n) => `${n.id} (${n.type}${n.name ? ` "${n.name}"` : ''}): ${(n.validationErrors ?? []).join('; ') || `valid=${String(n.valid)}`}`);
  });
}

/** Every node of every tab as the editor draws it: each tab shown in turn, its nodes' own w and h. */
async function drawnNodes(page: Page): Promise<DrawnNode[]> {
  type N = { id: string; z: string; type: string; x: number; y: number; w?: number; h?: number; _def?: { label?: unknown } };
  type Red = { nodes: { eachWorkspace(cb: (w: { id: string }) => void): void; filterNodes(f: { z: string }): N[] }; workspaces: { show(id: string): void }; view: { redraw(full?: boolean): void }; utils: { getNodeLabel(n: N, d?: string): string } };
  const tabs = await page.evaluate(() => {
    const ids: string[] = [];
    (window as unknown as { RED: Red }).RED.nodes.eachWorkspace((w) => ids.push(w.id));
    return ids;
  });
  const out: DrawnNode[] = [];
  for (const tab of tabs) {
    await page.evaluate((id) => (window as unknown as { RED: Red }).RED.workspaces.show(id), tab);
    await page.waitForFunction((id) => (window as unknown as { RED: Red }).RED.nodes.filterNodes({ z: id }).every((n) => typeof n.w === 'number' && n.w > 0), tab, { timeout: 15_000 });
    out.push(
      ...(await page.evaluate((id) => {
        const RED = (window as unknown as { RED: Red }).RED;
        return RED.nodes.filterNodes({ z: id }).map((n) => ({ id: n.id, z: n.z, type: n.type, label: RED.utils.getNodeLabel(n, n.type), x: n.x, y: n.y, w: n.w!, h: n.h! }));
      }, tab)),
    );
  }
  return out;
}

function overlapsAndEdges(nodes: DrawnNode[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const a = nodes[i]!;
    if (a.x - a.w / 2 < 0 || a.y - a.h / 2 < 0) out.push(`[${a.z}] "${a.label}" past the edge at ${a.x},${a.y} (${a.w}×${a.h})`);
    for (const b of nodes.slice(i + 1)) {
      if (a.z === b.z && Math.abs(a.x - b.x) * 2 < a.w + b.w && Math.abs(a.y - b.y) * 2 < a.h + b.h) out.push(`[${a.z}] "${a.label}" (${a.w}×${a.h} at ${a.x},${a.y}) overlaps "${b.label}" (${b.w}×${b.h} at ${b.x},${b.y})`);
    }
  }
  return out;
}

describe('the flows editor at two sizes, in English and Arabic, on the shipped and a scaffolded flow', function () {
  this.timeout(300_000);
  let hub: TestHub | undefined;
  let url = '';
  let browser: Browser | undefined;
  let expected = 0;

  before(async function () {
    skipWithoutChromium(this);
    const flowsDir = join(mkdtempSync(join(tmpdir(), 'wasl-test-flows-')), 'flows');
    cpSync(FLOWS_DIR, flowsDir, { recursive: true });
    scaffoldService({ code: SCAFFOLDED, provider: 'moj-judicial-records', operation: 'IssueCriminalRecordCertificate', names: { ar: 'بيان مُنشأ', en: 'Scaffolded statement' }, flowsDir });
    // Every node on a tab of every flow file (the editor counts these with eachNode).
    const files = readdirSync(flowsDir).map((d) => join(flowsDir, d, 'flow.json')).filter((f) => existsSync(f));
    expected = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as FlowNode[]).filter((n) => n.z).length).reduce((a, b) => a + b, 0);
    ({ hub, url } = await runtimeHub({ flowsDir }));
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  for (const { lang, locale, orderIn } of LANGS) {
    for (const viewport of VIEWPORTS) {
      it(`${lang} at ${viewport.width}×${viewport.height}: no invalid node, no overlap, labels in ${lang}`, async () => {
        const context = await browser!.newContext({ locale, viewport });
        const page = await context.newPage();
        try {
          await openEditor(page, url, expected);
          assert.deepEqual(await invalidNodes(page), []);
          const tabs = await page.evaluate(() => {
            const ids: string[] = [];
            (window as unknown as { RED: { nodes: { eachWorkspace(cb: (w: { id: string }) => void): void } } }).RED.nodes.eachWorkspace((w) => ids.push(w.id));
            return ids;
          });
          assert.ok(tabs.includes(SCAFFOLDED) && tabs.includes('civil-registry-individual-extract'), tabs.join(', '));
          const drawn = await drawnNodes(page);
          assert.ok(drawn.some((n) => n.z === SCAFFOLDED), 'the scaffolded tab drawn');
          assert.deepEqual(overlapsAndEdges(drawn), []);
          // The palette, in the page's language.
          const palette = page.locator('#red-ui-palette-container-wasl .red-ui-palette-node[data-palette-type="wasl-order-in"] .red-ui-palette-label');
          assert.equal((await palette.innerText()).trim(), orderIn);
          // In view for the screenshot: wasl's category of the palette.
          await palette.scrollIntoViewIfNeeded();
          // The shipped service's tab, for the screenshot.
          await page.evaluate(() => (window as unknown as { RED: { workspaces: { show(id: string): void } } }).RED.workspaces.show('civil-registry-individual-extract'));
          const file = join(ARTIFACTS, `editor-${lang}-${viewport.width}x${viewport.height}.png`);
          await page.screenshot({ path: file });
          assert.ok(existsSync(file));
        } finally {
          await context.close();
        }
      });
    }
  }

  for (const { lang, locale } of LANGS) {
    it(`${lang}: a map node's "Expression from" shows its choices and a hint`, async () => {
      const context = await browser!.newContext({ locale, viewport: VIEWPORTS[0] });
      const page = await context.newPage();
      try {
        await openEditor(page, url, expected);
        type Red = { nodes: { node(id: string): unknown }; editor: { edit(node: unknown): void } };
        const mapId = await page.evaluate(() => {
          let id = '';
          (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string; z: string; source?: string }) => void): void } } }).RED.nodes.eachNode((n) => {
            if (!id && n.type === 'wasl-map' && n.z === 'pattern-moi-civil-registry') id = n.id;
          });
          return id;
        });
        assert.ok(mapId, 'a map node of a pattern flow');
        await page.evaluate((id) => {
          const RED = (window as unknown as { RED: Red }).RED;
          RED.editor.edit(RED.nodes.node(id));
        }, mapId);
        const source = page.locator('#node-input-source');
        await source.waitFor({ state: 'visible', timeout: 15_000 });
        const texts = (sel: string) => page.locator(`${sel} option`).evaluateAll((els) => els.map((o) => (o.textContent ?? '').trim()));
        const sources = await texts('#node-input-source');
        const keys = await texts('#node-input-definitionKey');
        assert.equal(sources.length, 2);
        assert.ok(sources.every((t) => t.length > 0), `the source's choices have text: ${JSON.stringify(sources)}`);
        assert.ok(keys.length >= 2 && keys.every((t) => t.length > 0), `the mapping's choices have text: ${JSON.stringify(keys)}`);
        assert.equal(await source.inputValue(), 'definition');
        await page.screenshot({ path: join(ARTIFACTS, `editor-map-${lang}.png`) });
        const hint = page.locator('#wasl-map-source-tip');
        assert.equal(await hint.isVisible(), true, 'a hint under "Expression from"');
        const text = (await hint.innerText()).trim();
        if (lang === 'ar') {
          assert.match(text, /[\u0600-\u06FF]{3}/, text);
          assert.match(sources.join(' '), /[\u0600-\u06FF]{3}/, sources.join(' '));
        } else assert.match(text, /definition/i, text);
        await page.screenshot({ path: join(ARTIFACTS, `editor-map-${lang}.png`) });
        await page.locator('#node-dialog-cancel').click();
      } finally {
        await context.close();
      }
    });
  }

  it('Deploy does not ask about nodes that are not properly configured', async () => {
    const context = await browser!.newContext({ locale: 'en-US', viewport: VIEWPORTS[1] });
    const page = await context.newPage();
    try {
      await openEditor(page, url, expected);
      type Red = { nodes: { node(id: string): unknown; dirty(): boolean }; editor: { edit(node: unknown): void } };
      await page.evaluate(() => {
        const RED = (window as unknown as { RED: Red }).RED;
        RED.editor.edit(RED.nodes.node('cr-pay'));
      });
      const name = page.locator('#node-input-name');
      await name.waitFor({ state: 'visible', timeout: 15_000 });
      await name.fill('request the payment');
      await page.locator('#node-dialog-ok').click();
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED.nodes.dirty(), undefined, { timeout: 15_000 });
      const deployed = page.waitForResponse((r) => r.url().endsWith('/red/flows') && r.request().method() === 'POST', { timeout: 30_000 });
      await page.locator('#red-ui-header-button-deploy').click();
      const res = await deployed;
      assert.equal(res.status(), 200, await res.text());
      assert.equal(await page.locator('.red-ui-deploy-dialog-confirm-list').count(), 0, 'no list of nodes not properly configured');
      assert.equal(await page.getByRole('button', { name: 'Confirm deploy' }).count(), 0);
    } finally {
      await context.close();
    }
  });
});

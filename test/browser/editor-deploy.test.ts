/**
 * The editor's own Deploy, in a real browser (Debian's Chromium, playwright-core), on a copy of the
 * repository's flows/ (issue 21, item 2): a node renamed in its dialog, then Deploy pressed as a
 * person presses it, changes that node's lines in its file and no other file under flows/, whatever
 * order the editor sends the nodes and their keys in (hub/runtime/storage.ts, flow-file.ts).
 *
 * Skipped, with a line saying so, when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { once, type EventEmitter } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { FLOWS_DIR, type TestHub } from '../helpers';
import { runtimeHub, until } from '../security/runtime-hub';
import { launchChromium, skipWithoutChromium } from './chromium';

const SERVICE = 'civil-registry-individual-extract';

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.set(relative(dir, join(d, e.name)), readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe("the editor's Deploy in Chromium", function () {
  this.timeout(120_000);
  let hub: TestHub | undefined;
  let url = '';
  let flowsDir = '';
  let browser: Browser | undefined;

  before(async function () {
    skipWithoutChromium(this);
    flowsDir = join(mkdtempSync(join(tmpdir(), 'wasl-test-flows-')), 'flows');
    cpSync(FLOWS_DIR, flowsDir, { recursive: true });
    ({ hub, url } = await runtimeHub({ flowsDir }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it("renaming one node in its dialog and pressing Deploy changes that node's lines in one file, and no other file under flows/", async () => {
    const before = snapshot(flowsDir);
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${url}/red/`, { waitUntil: 'domcontentloaded' });
      type Red = { nodes: { node(id: string): unknown; dirty(): boolean }; editor: { edit(node: unknown): void } };
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED?.nodes?.node('cr-pay') !== undefined, undefined, { timeout: 60_000 });
      await page.evaluate(() => {
        const RED = (window as unknown as { RED: Red }).RED;
        RED.editor.edit(RED.nodes.node('cr-pay'));
      });
      const name = page.locator('#node-input-name');
      await name.waitFor({ state: 'visible', timeout: 15_000 });
      await name.fill('طلب الدفع');
      await page.locator('#node-dialog-ok').click();
      await page.waitForFunction(() => (window as unknown as { RED: Red }).RED.nodes.dirty(), undefined, { timeout: 15_000 });
      // Node-RED answers the deploy before the flows have started again: the hub closes after.
      const started = once((require('node-red') as { events: EventEmitter }).events, 'flows:started');
      const deployed = page.waitForResponse((r) => r.url().endsWith('/red/flows') && r.request().method() === 'POST', { timeout: 30_000 });
      await page.locator('#red-ui-header-button-deploy').click();
      // The editor asks first when nodes do not pass their dialogs' checks (none of the
      // repository's should: editor-views.test.ts); if it asks, a person confirms.
      const confirm = page.getByRole('button', { name: 'Confirm deploy' });
      await confirm.waitFor({ state: 'visible', timeout: 5_000 }).then(() => confirm.click(), () => undefined);
      const res = await deployed;
      assert.equal(res.status(), 200, await res.text());
      await started;
      const file = `${SERVICE}/flow.json`;
      await until(() => readFileSync(join(flowsDir, file), 'utf8').includes('طلب الدفع'), 30_000, 'the deployed flow on disk');
      const after = snapshot(flowsDir);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
      assert.deepEqual(changed, [file]);
      // The node's lines only: its name, and its x when the editor keeps the node's left edge where it was for a label of another width.
      const [was, now] = [before.get(file)!.split('\n'), after.get(file)!.split('\n')];
      assert.equal(now.length, was.length);
      const lines = now.flatMap((l, i) => (l === was[i] ? [] : [[was[i], l]]));
      assert.deepEqual(lines[0], ['    "name": "request payment",', '    "name": "طلب الدفع",']);
      assert.deepEqual(lines.slice(1).map(([a, b]) => [a!.replace(/\d+/, 'n'), b!.replace(/\d+/, 'n')]), lines.length > 1 ? [['    "x": n,', '    "x": n,']] : []);
      const at = now.findIndex((l) => l.includes('طلب الدفع'));
      assert.ok(now.slice(at - 4, at).some((l) => l.includes('"id": "cr-pay"')), 'in the renamed node');
    } finally {
      await context.close();
    }
  });
});

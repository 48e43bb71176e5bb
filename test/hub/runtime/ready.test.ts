/**
 * /ready and the flows editor (issue 24): in a process that serves the editor, /ready says ready
 * only once /red answers, so that whatever waits for /ready (an orchestrator, a person, the
 * browser tests) finds the editor there at once, not a 503 for the seconds Node-RED takes to start.
 */
import assert from 'node:assert/strict';
import { testHub } from '../../helpers';
import { serviceFlowsDir } from '../../security/runtime-hub';

describe('/ready with the flows editor', function () {
  this.timeout(60_000);

  it('is not ready while the runtime starts; once /ready answers 200, /red answers 200 at once', async () => {
    const hub = await testHub({ flowsDir: serviceFlowsDir() }, undefined, { runtime: true });
    try {
      // Listening first, as startHub does, then the runtime starts behind it.
      const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const background = hub.startBackground();
      const seen: Array<{ status: number; editor?: string; flows?: string }> = [];
      const deadline = Date.now() + 45_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        const res = await fetch(`${url}/ready`);
        const body = (await res.json()) as { checks?: { editor?: string; flows?: string } };
        seen.push({ status: res.status, ...(body.checks?.editor ? { editor: body.checks.editor } : {}), ...(body.checks?.flows ? { flows: body.checks.flows } : {}) });
        if (res.status === 200) ready = true;
        else await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(ready, `/ready never answered 200: ${JSON.stringify(seen.slice(-3))}`);
      // At once: no wait between the two.
      const red = await fetch(`${url}/red/`);
      assert.equal(red.status, 200, 'the editor answers as soon as /ready does');
      const settings = await fetch(`${url}/red/settings`, { headers: { accept: 'application/json' } });
      assert.equal(settings.status, 200);
      // While Node-RED started, /ready said so: not ready, the editor and the flows down.
      assert.deepEqual(seen[0], { status: 503, editor: 'down', flows: 'down' });
      assert.deepEqual(seen.at(-1), { status: 200, editor: 'up', flows: 'up' });
      assert.ok(hub.flowsStarted(), 'ready only once the flows started and their workers subscribed');
      await background;
    } finally {
      await hub.close();
    }
  });

  it('does not wait for an editor where the process serves none', async () => {
    const hub = await testHub();
    try {
      const res = await hub.app.inject({ url: '/ready' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: 'ready', checks: { store: 'up', bus: 'up' } });
    } finally {
      await hub.close();
    }
  });
});

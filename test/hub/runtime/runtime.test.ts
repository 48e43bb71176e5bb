import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Order } from '../../../contracts/types';
import { auth, FLOWS_DIR, KEYS, newKey, testHub, validRequest } from '../../helpers';
import { until } from '../bus/contract';

const SERVICE = 'civil-registry-individual-extract';

/** A flows dir with one service and its tiny flow: order.received → awaiting-payment. */
function flowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  const flow = [
    { id: 'tab1', type: 'tab', label: SERVICE },
    { id: 'in1', z: 'tab1', type: 'wasl-order-in', service: SERVICE, types: ['order.received'], timeout: 30, x: 100, y: 100, wires: [['up1']] },
    { id: 'up1', z: 'tab1', type: 'wasl-order-update', status: 'awaiting-payment', reason: 'fees-due', complete: true, x: 300, y: 100, wires: [[]] },
  ];
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify(flow, null, 2));
  return dir;
}

describe('Node-RED runtime in the hub', () => {
  it('runs the service flow from flows/: an order posted to the gateway reaches awaiting-payment', async () => {
    const dir = flowsDir();
    const hub = await testHub({ flowsDir: dir }, undefined, { runtime: true });
    try {
      await hub.startBackground();
      assert.ok(hub.runtime, 'the runtime started');
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      assert.equal(res.statusCode, 202);
      const id = res.json<Order>().id;
      await until(async () => (await hub.store.getOrder(id))?.status === 'awaiting-payment', 10_000, 'awaiting-payment');
      const order = await hub.store.getOrder(id);
      assert.deepEqual(order?.timeline.at(-1)?.reason, { code: 'fees-due' });
      assert.deepEqual(order?.timeline.at(-1)?.actor, { kind: 'system', id: `flow:${SERVICE}` });
      // Acknowledged: nothing left in the queue.
      await until(async () => (await hub.bus.depth(SERVICE)).inFlight === 0, 5_000, 'acknowledged');

      // The admin API answers under /red, with wasl's nodes loaded.
      const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const nodes = await fetch(`${url}/red/nodes`, { headers: { accept: 'application/json' } });
      assert.equal(nodes.status, 200);
      const ids = ((await nodes.json()) as Array<{ types: string[]; module: string }>).filter((s) => s.module === 'wasl').flatMap((s) => s.types);
      assert.ok(ids.includes('wasl-order-in') && ids.includes('wasl-order-update'), `wasl nodes in the palette: ${ids.join(', ')}`);
      // The flow file is untouched and credentials are kept in the data dir.
      assert.equal(JSON.parse(readFileSync(join(dir, SERVICE, 'flow.json'), 'utf8')).length, 3);
      assert.equal(existsSync(join(dir, 'shared.json')), false);
    } finally {
      await hub.close();
    }
    assert.equal(hub.runtime !== undefined, true);
  });

  it('answers 503 under /red when the runtime does not run in the process', async () => {
    const hub = await testHub();
    try {
      assert.equal((await hub.app.inject({ url: '/red/nodes' })).statusCode, 503);
    } finally {
      await hub.close();
    }
  });
});

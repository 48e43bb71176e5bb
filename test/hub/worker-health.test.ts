/**
 * A worker's health for orchestrators (issue 26): `wasl worker` serves /live and /ready beside
 * /metrics on WASL_METRICS_PORT, /ready in the gateway's JSON shape. On the real servers
 * (PostgreSQL and RabbitMQ, skipped with a line when absent unless WASL_REQUIRE_SERVICES=1): a
 * worker is ready once its flows started; the broker closes its connections → /ready 503 naming
 * the bus, /live still answering; the bus reconnects → ready again.
 */
import assert from 'node:assert/strict';
import { request } from 'undici';
import { RabbitBus } from '../../hub/bus/rabbitmq';
import { startHub, type Hub } from '../../hub/hub';
import { AuditKeys } from '../../hub/audit/keys';
import { PostgresStore } from '../../hub/store/postgres';
import { dropSchema, PG_URL, requirePostgres, testConfig } from '../helpers';
import { createVhost, randomPrefix, requireRabbitmqctl, testLogger, waitFor, type TestVhost } from './bus/rabbitmq-helpers';

describe('worker health: /live and /ready beside /metrics (real PostgreSQL and RabbitMQ)', function () {
  this.timeout(90_000);
  const schema = `wasl_worker_health_${process.pid}`;
  let vhost: TestVhost | undefined;
  let hub: Hub | undefined;

  before(async function () {
    await requirePostgres(this);
    await requireRabbitmqctl(this);
    vhost = await createVhost();
    await dropSchema(schema);
  });
  after(async () => {
    await hub?.close();
    await vhost?.drop();
    if (vhost) await dropSchema(schema);
  });

  it('is ready once its flows started; the bus cut → 503 naming the bus, still live; the bus back → ready again', async () => {
    const { logger, logs } = testLogger('info');
    const store = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys: AuditKeys.ephemeral(), shards: 16 } });
    // A reconnection delay long enough (0.8–1.2 s) for the test to see the bus down.
    const bus = await RabbitBus.open({ url: vhost!.url, store, logger, prefix: randomPrefix(), retryDelaysMs: [100], reconnectDelayMs: { initial: 1_000, max: 2_000 } });
    hub = await startHub(testConfig({ metricsPort: 0, metricsToken: 'prometheus-token-for-a-worker-0123' }), { roles: { gateway: false, relay: false, workers: true }, runtime: true, logger, store, bus });
    assert.equal(hub.url, undefined, 'no gateway in a worker');
    const get = async (path: string) => {
      const res = await request(`${hub!.metricsUrl}${path}`);
      return { status: res.statusCode, type: String(res.headers['content-type']), body: (await res.body.json()) as Record<string, unknown> };
    };

    assert.equal(hub.flowsStarted(), true);
    assert.ok(hub.workers.count > 0, 'the flows registered their subscriptions');
    const live = await get('/live');
    assert.deepEqual([live.status, live.body], [200, { status: 'ok' }]);
    const ready = await get('/ready');
    assert.deepEqual([ready.status, ready.body], [200, { status: 'ready', checks: { store: 'up', bus: 'up', flows: 'up' } }]);

    // The broker's side of a network cut: every connection of this vhost closed.
    await vhost!.closeConnections();
    let down: Awaited<ReturnType<typeof get>> | undefined;
    await waitFor('/ready to answer 503', async () => (down = await get('/ready')).status === 503, 10_000, 10);
    assert.match(down!.type, /^application\/problem\+json/);
    assert.equal(down!.body.code, 'not-ready');
    assert.deepEqual(down!.body.checks, { store: 'up', bus: 'down', flows: 'up' });
    assert.match(String(down!.body.detail), /bus down/);
    assert.equal((await get('/live')).status, 200, 'alive while the bus is down');
    assert.ok(logs.records.some((r) => r.msg === 'bus not connected'), 'the reason is logged');

    await waitFor('/ready to answer 200 again', async () => (await get('/ready')).status === 200, 20_000, 50);
    assert.deepEqual((await get('/ready')).body, { status: 'ready', checks: { store: 'up', bus: 'up', flows: 'up' } });

    // Health needs no credentials; metrics still do; nothing else is served.
    assert.equal((await request(`${hub.metricsUrl}/metrics`)).statusCode, 401);
    assert.equal((await request(`${hub.metricsUrl}/v1/orders`)).statusCode, 404);
    const closing = hub.close();
    assert.equal(hub.flowsStarted(), false, 'not ready once it stops');
    await closing;
    hub = undefined;
  });
});

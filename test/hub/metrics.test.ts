/**
 * GET /metrics (hub/metrics.ts): Prometheus text that changes as orders flow — accepted,
 * transitions, orders by status, SLA breaches, dead letters, provider calls with latency and
 * sizes, bus depth, process metrics — behind the metrics token or an operator's login, and
 * without anything of a citizen in it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Order } from '../../contracts/types';
import { reportCall } from '../../connectors/observe';
import { TransportError } from '../../connectors/errors';
import { createPolicy } from '../../connectors/resilience';
import { HubMetrics } from '../../hub/metrics';
import { buildOrder } from '../../hub/intake';
import { hashPassword } from '../../hub/operators';
import { request } from 'undici';
import { startHub } from '../../hub/hub';
import { createLogger } from '../../hub/log';
import { SqliteStore } from '../../hub/store/sqlite';
import { auth, CITIZEN, KEYS, newKey, setProviderCallbackSecrets, testConfig, testHub, validRequest, type TestHub } from '../helpers';

const TOKEN = 'prometheus-scrape-token-0123456789';
const CIVIL = 'civil-registry-individual-extract';

function value(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const inside = line.slice(metric.length + 1, line.indexOf('}'));
    if (want.every((w) => inside.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', function () {
  this.timeout(20_000);
  let hub: TestHub;
  const scrape = async () => {
    const res = await hub.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  before(async () => {
    const passwordHash = await hashPassword('op-password-1', { N: 1024, r: 8, p: 1 });
    hub = await testHub({ metricsToken: TOKEN, operators: [{ user: 'noor', passwordHash, role: 'viewer' }] });
  });
  after(async () => hub?.close());

  it('refuses anyone without the token or an operator login, a channel key included', async () => {
    for (const headers of [{}, auth(KEYS.centre), { authorization: 'Bearer wrong-token-wrong-token-wrong' }, { authorization: `Basic ${Buffer.from('noor:nope').toString('base64')}` }]) {
      const res = await hub.app.inject({ url: '/metrics', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
    }
    const op = await hub.app.inject({ url: '/metrics', headers: { authorization: `Basic ${Buffer.from('noor:op-password-1').toString('base64')}` } });
    assert.equal(op.statusCode, 200);
  });

  it('changes as orders flow: accepted, transitions, orders by status', async () => {
    const before = await scrape();
    const accepted0 = value(before, 'wasl_orders_accepted_total', { service: CIVIL, channel: 'centre' }) ?? 0;
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
    assert.equal(res.statusCode, 202);
    const id = res.json<Order>().id;
    assert.equal((await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre), payload: {} })).statusCode, 200);
    const after = await scrape();
    assert.equal(value(after, 'wasl_orders_accepted_total', { service: CIVIL, channel: 'centre' }), accepted0 + 1);
    assert.ok((value(after, 'wasl_order_transitions_total', { service: CIVIL, from: 'received', to: 'cancelled' }) ?? 0) >= 1);
    assert.ok((value(after, 'wasl_orders', { service: CIVIL, status: 'cancelled' }) ?? 0) >= 1);
    assert.ok(value(after, 'wasl_bus_messages', { service: CIVIL, state: 'ready' }) !== undefined);
    assert.match(after, /^wasl_process_resident_memory_bytes \d+/m);
  });

  it('SLA breaches: orders older than their SLA still waiting on the hub', async () => {
    const sla = hub.catalogue.get(CIVIL)!.definition.sla.hours;
    const old = buildOrder(validRequest(), KEYS.centre, hub.catalogue, 'sandbox', new Date(Date.now() - (sla + 1) * 3_600_000));
    await hub.store.createOrder(old, { channel: KEYS.centre.channel, key: newKey(), requestHash: 'h' });
    assert.ok((value(await scrape(), 'wasl_sla_breaches', { service: CIVIL }) ?? 0) >= 1);
  });

  it('dead letters by service and reason; provider calls by outcome with latency and sizes', async () => {
    await hub.store.recordDeadLetter({ message: { eventId: `evt-${newKey()}`, orderId: 'ord_x', service: CIVIL, type: 'order.paid', payload: {} } as never, reason: 'attempts-exhausted', history: [] });
    reportCall({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://user:secret@127.0.0.1:8091/moi?key=k', outcome: 'timeout', attempts: 3, durationMs: 2500, requestBytes: 900, responseBytes: 0, startedAt: new Date().toISOString() });
    reportCall({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://127.0.0.1:8091/moi', outcome: 'success', status: 200, attempts: 1, durationMs: 120, requestBytes: 900, responseBytes: 2100, startedAt: new Date().toISOString() });
    const text = await scrape();
    assert.equal(value(text, 'wasl_dead_letters', { service: CIVIL, reason: 'attempts-exhausted' }), 1);
    assert.equal(value(text, 'wasl_provider_calls_total', { provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', outcome: 'timeout' }), 1);
    assert.equal(value(text, 'wasl_provider_calls_total', { provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', outcome: 'success' }), 1);
    assert.equal(value(text, 'wasl_provider_call_duration_seconds_bucket', { provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', le: '0.25' }), 1);
    assert.equal(value(text, 'wasl_provider_message_bytes_count', { provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', direction: 'response' }), 1);
    assert.doesNotMatch(text, /secret|key=k/);
  });

  it('bus retries and dead letters decided in this process, by service', async () => {
    const sub = await hub.bus.subscribe({
      service: 'metrics-probe',
      retry: { maxAttempts: 2, delaysMs: [10] },
      handler: async () => {
        throw new Error('always fails');
      },
    });
    try {
      await hub.bus.publish([{ eventId: `evt-${newKey()}`, orderId: 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', service: 'metrics-probe', type: 'order.received', payload: {} }]);
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await scrape();
        if (value(text, 'wasl_bus_decisions_total', { service: 'metrics-probe', decision: 'dead-lettered' }) === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(value(text, 'wasl_bus_decisions_total', { service: 'metrics-probe', decision: 'retried' }), 1);
      assert.equal(value(text, 'wasl_bus_decisions_total', { service: 'metrics-probe', decision: 'dead-lettered' }), 1);
    } finally {
      await sub.stop();
    }
  });

  it('gateway requests by method, route pattern (never the URL) and status, with their duration', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
    const id = res.json<Order>().id;
    const before = await scrape();
    const count = (text: string, labels: Record<string, string>) => value(text, 'wasl_http_request_duration_seconds_count', labels) ?? 0;
    const read0 = count(before, { method: 'GET', route: '/v1/orders/:id', status: '200' });
    const lost0 = count(before, { method: 'GET', route: 'unmatched', status: '404' });
    assert.equal((await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.centre) })).statusCode, 200);
    assert.equal((await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.centre) })).statusCode, 200);
    assert.equal((await hub.app.inject({ url: `/no/such/${id}?q=1` })).statusCode, 404);
    const after = await scrape();
    assert.equal(count(after, { method: 'GET', route: '/v1/orders/:id', status: '200' }), read0 + 2);
    assert.equal(count(after, { method: 'GET', route: 'unmatched', status: '404' }), lost0 + 1);
    assert.ok((value(after, 'wasl_http_request_duration_seconds_bucket', { method: 'GET', route: '/v1/orders/:id', status: '200', le: '+Inf' }) ?? 0) >= 2);
    assert.match(after, /^# TYPE wasl_http_request_duration_seconds histogram$/m);
    assert.ok(!after.includes(id), 'no order id in a label');
  });

  it('holds nothing of a citizen: no national number, name, phone or order id', async () => {
    const text = await scrape();
    for (const v of [CITIZEN.nationalNumber, CITIZEN.fullNameAr, CITIZEN.phone, CITIZEN.fatherName, 'ord_']) assert.ok(!text.includes(v), v);
  });
});

describe('GET /metrics of a worker (WASL_METRICS_PORT)', function () {
  this.timeout(30_000);
  const TOKEN = 'prometheus-token-for-a-worker-0123';

  it('a process without the gateway serves /metrics to the token or an operator, with the calls it made, and /live and /ready to anyone', async () => {
    const restore = setProviderCallbackSecrets();
    const hub = await startHub(testConfig({ env: 'production', secret: 's'.repeat(40), metricsToken: TOKEN, metricsPort: 0, operators: [{ user: 'sami', passwordHash: await hashPassword('viewer-password', { N: 1024, r: 8, p: 1 }), role: 'viewer' }] }), {
      roles: { gateway: false, relay: false, workers: true },
      runtime: false,
      logger: createLogger('silent'),
      store: new SqliteStore({ file: ':memory:' }),
    }).finally(restore);
    try {
      assert.equal(hub.url, undefined, 'no API');
      assert.match(hub.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      reportCall({ provider: 'moi-civil-registry', operation: 'IssueIndividualExtract', endpoint: 'http://127.0.0.1:8091/moi', outcome: 'timeout', attempts: 3, durationMs: 900, requestBytes: 500, responseBytes: 0, startedAt: new Date().toISOString() });
      const get = (path: string, headers: Record<string, string> = {}) => request(`${hub.metricsUrl}${path}`, { headers });
      const none = await get('/metrics');
      assert.equal(none.statusCode, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      await none.body.dump();
      assert.equal((await get('/metrics', { authorization: 'Bearer not-the-token-at-all-0000000' })).statusCode, 401);
      const ok = await get('/metrics', { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.statusCode, 200);
      assert.match(await ok.body.text(), /wasl_provider_calls_total\{provider="moi-civil-registry",operation="IssueIndividualExtract",outcome="timeout"\} 1/);
      const op = await get('/metrics', { authorization: `Basic ${Buffer.from('sami:viewer-password').toString('base64')}` });
      assert.equal(op.statusCode, 200);
      await op.body.dump();
      const api = await get('/v1/orders', { authorization: `Bearer ${KEYS.centre.key}` });
      assert.equal(api.statusCode, 404, 'nothing of the API on a worker');
      await api.body.dump();
      // Liveness and readiness beside /metrics, without credentials (test/hub/worker-health.test.ts cuts the bus).
      const live = await get('/live');
      assert.deepEqual([live.statusCode, await live.body.json()], [200, { status: 'ok' }]);
      const ready = await get('/ready');
      assert.deepEqual([ready.statusCode, await ready.body.json()], [200, { status: 'ready', checks: { store: 'up', bus: 'up', flows: 'up' } }]);
    } finally {
      await hub.close();
    }
  });
});

describe('metrics: the embedded store\'s WAL', function () {
  this.timeout(20_000);

  it("shows the size on disk of the SQLite store's WAL and its checkpoints by kind", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-metrics-'));
    const store = new SqliteStore({ file: join(dir, 'wasl.db') });
    const hub = await testHub({ metricsToken: TOKEN }, store);
    try {
      const accepted = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      assert.equal(accepted.statusCode, 202, accepted.body);
      const res = await hub.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      const wal = value(res.body, 'wasl_sqlite_wal_bytes', { database: 'wasl' });
      assert.equal(wal, statSync(join(dir, 'wasl.db-wal')).size, 'the file as it is on disk');
      assert.ok(wal! > 0, 'the order went through the WAL');
      assert.equal(value(res.body, 'wasl_sqlite_checkpoints_total', { database: 'wasl', kind: 'passive' }), store.database.checkpointStats.completed);
      assert.equal(value(res.body, 'wasl_sqlite_checkpoints_total', { database: 'wasl', kind: 'catch-up' }), 0);
      assert.equal(value(res.body, 'wasl_sqlite_checkpoint_failures_total', { database: 'wasl' }), 0);
      assert.equal(value(res.body, 'wasl_sqlite_wal_bytes', { database: 'bus' }), undefined, 'the bus shares the store\'s database');
    } finally {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics: Prometheus conventions (issue 26)', () => {
  const deps = () => ({ store: { orderCounts: async () => [], countOrders: async () => 0, deadLetterCounts: async () => [] } as never, bus: { depth: async () => ({ ready: 0, inFlight: 0, delayed: 0 }) } as never, catalogue: { all: () => [], refused: () => [] } as never });

  it("counts the PostgreSQL store's appends run again and its writes after a head it saw, and a SQLite database's failed checkpoints, at every scrape", async () => {
    let retries = 2;
    let failed = 0;
    const m = new HubMetrics({
      ...deps(),
      chainRetries: () => retries,
      seenHeadWrites: () => ({ hits: retries * 10, rewrites: retries, misses: 1 }),
      sqlite: () => [{ database: 'bus', walBytes: 4096, checkpointStats: { completed: 5, catchUps: 1, failed } }],
    });
    try {
      let text = await m.registry.metrics();
      assert.match(text, /^wasl_audit_chain_retries_total 2$/m);
      assert.match(text, /^wasl_audit_seen_head_writes_total\{outcome="landed"\} 20$/m);
      assert.match(text, /^wasl_audit_seen_head_writes_total\{outcome="written-again"\} 2$/m);
      assert.match(text, /^wasl_audit_seen_head_writes_total\{outcome="read-again"\} 1$/m);
      assert.match(text, /^wasl_sqlite_checkpoint_failures_total\{database="bus"\} 0$/m);
      assert.match(text, /^wasl_sqlite_checkpoints_total\{database="bus",kind="passive"\} 4$/m);
      retries = 5;
      failed = 1;
      text = await m.registry.metrics();
      assert.match(text, /^wasl_audit_chain_retries_total 5$/m);
      assert.match(text, /^wasl_audit_seen_head_writes_total\{outcome="landed"\} 50$/m);
      assert.match(text, /^wasl_sqlite_checkpoint_failures_total\{database="bus"\} 1$/m);
      assert.match(text, /^wasl_sqlite_wal_bytes\{database="bus"\} 4096$/m);
    } finally {
      m.close();
    }
  });

  it("the flows runtime's totals are counters named _total, their values those of the runtime at every scrape", async () => {
    const flow = (received: number) => ({ flow: CIVIL, received, sent: received - 1, errors: 2 });
    let snapshot = { since: new Date().toISOString(), flows: [flow(10)], nodes: [] };
    const m = new HubMetrics({ ...deps(), flows: () => snapshot as never });
    try {
      const first = await m.registry.metrics();
      for (const name of ['wasl_flow_messages_received_total', 'wasl_flow_messages_sent_total', 'wasl_flow_errors_total']) assert.match(first, new RegExp(`^# TYPE ${name} counter$`, 'm'));
      assert.doesNotMatch(first, /^wasl_flow_messages_received\{/m, 'the old gauge is gone');
      assert.equal(value(first, 'wasl_flow_messages_received_total', { flow: CIVIL }), 10);
      assert.equal(value(await m.registry.metrics(), 'wasl_flow_messages_received_total', { flow: CIVIL }), 10, 'a second scrape adds nothing');
      snapshot = { ...snapshot, flows: [flow(15)] };
      const later = await m.registry.metrics();
      assert.equal(value(later, 'wasl_flow_messages_received_total', { flow: CIVIL }), 15);
      assert.equal(value(later, 'wasl_flow_messages_sent_total', { flow: CIVIL }), 14);
      assert.equal(value(later, 'wasl_flow_errors_total', { flow: CIVIL }), 2);
    } finally {
      m.close();
    }
  });

  it('a circuit breaker is one series per state, 1 for the one it is in', async () => {
    const policy = createPolicy('metrics-breaker-probe', { circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 }, retry: { maxAttempts: 1 } });
    const call = { operation: 'probe', endpoint: 'http://user:pw@127.0.0.1:9/probe', idempotent: true };
    const m = new HubMetrics(deps());
    try {
      await policy.execute(call, async () => 'ok');
      const closed = await m.registry.metrics();
      const at = (text: string, state: string) => value(text, 'wasl_provider_breaker_state', { provider: 'metrics-breaker-probe', endpoint: 'http://127.0.0.1:9/probe', state });
      assert.deepEqual(['closed', 'half-open', 'open', 'isolated'].map((s) => at(closed, s)), [1, 0, 0, 0]);
      for (let k = 0; k < 2; k++) await policy.execute(call, () => Promise.reject(new TransportError('ECONNREFUSED'))).catch(() => undefined);
      const open = await m.registry.metrics();
      assert.deepEqual(['closed', 'half-open', 'open', 'isolated'].map((s) => at(open, s)), [0, 0, 1, 0]);
      assert.doesNotMatch(open, /wasl_circuit_breaker_state|pw@/);
    } finally {
      m.close();
    }
  });
});

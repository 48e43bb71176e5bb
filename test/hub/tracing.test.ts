/**
 * OpenTelemetry tracing (hub/tracing.ts, README "Tracing"): an order submitted with a W3C
 * `traceparent` is one trace — the gateway's request span, a span per flow stage, the ministry
 * call — continued by the ministry (its stand-in receives the same trace id), across the
 * embedded bus and across RabbitMQ between a gateway hub and a worker hub; log lines carry the
 * trace id; the order's received step keeps it for the dashboard. With tracing off nothing is
 * exported and no traceparent reaches a ministry.
 *
 * The SDK's InMemorySpanExporter stands in for an OTLP collector.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { Order, OrderRequest } from '../../contracts/types';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { flushTracing, hubTracer, initTracing, shutdownTracing, tracingEnabled } from '../../hub/tracing';
import { context, trace } from '@opentelemetry/api';
import { SoapConnector } from '../../connectors/soap/connector';
import { compileWsdlFile } from '../../connectors/soap/wsdl/compile';
import type { ProviderDefinition } from '../../contracts/types';
import { CORPUS } from '../connectors/soap/codec-helpers';
import { startBareServer, testProvider, XROAD_CONFIG } from '../connectors/soap/servers';
import { PostgresStore } from '../../hub/store/postgres';
import { hashPassword } from '../../hub/operators';
import { AuditKeys } from '../../hub/audit/keys';
import { RabbitBus } from '../../hub/bus/rabbitmq';
import { startVehicleRegistry, type RunningSimulator } from '../../sandbox/simulators';
import { auth, dropSchema, KEYS, newKey, PG_URL, requirePostgres, testHub, validRequest, type TestHub } from '../helpers';
import { until } from './bus/contract';
import { createVhost, randomPrefix, requireRabbitmqctl, testLogger, type TestVhost } from './bus/rabbitmq-helpers';

const VEHICLE = 'vehicle-ownership-statement';
const MINISTRY_CALL = 'mot-vehicle-registry GetOwnershipStatement';

/** Paid in cash and collected at the counter: straight to the ministry, ready for pickup after. */
function vehicleRequest(): OrderRequest {
  return validRequest({ service: VEHICLE, fields: { plateNumber: '123456', plateGovernorate: 'damascus' }, paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } });
}

const soapModel = compileWsdlFile(`${CORPUS}/xroad-example-adapter/example-adapter.wsdl`).model;
const SOAP_OK = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:helloServiceResponse xmlns:p="http://test.x-road.global/producer"><p:message>مرحبا</p:message></p:helloServiceResponse></e:Body></e:Envelope>';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The ministry's stand-in: the vehicle simulator behind a proxy that keeps the trace headers each request came with. */
async function recordingProxy(target: string): Promise<{ url: string; seen: { orderId?: string; traceparent?: string }[]; close(): Promise<void> }> {
  const seen: { orderId?: string; traceparent?: string }[] = [];
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const h = req.headers;
    seen.push({ ...(typeof h['x-wasl-order-id'] === 'string' ? { orderId: h['x-wasl-order-id'] } : {}), ...(typeof h.traceparent === 'string' ? { traceparent: h.traceparent } : {}) });
    const out = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...h, host: t.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // The same base path as the simulator's: requests go through unchanged.
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${t.pathname.replace(/\/$/, '')}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

async function submit(hub: TestHub, traceparent?: string): Promise<Order> {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey(), ...(traceparent ? { traceparent } : {}) }, payload: vehicleRequest() });
  assert.equal(res.statusCode, 202, res.body);
  return res.json<Order>();
}

async function readyForPickup(hub: TestHub, id: string): Promise<Order> {
  await until(async () => (await hub.store.getOrder(id))?.status === 'ready-for-pickup', 20_000, `order ${id} ready for pickup`).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify((await hub.store.getOrder(id))?.timeline.map((s) => [s.event, s.reason?.code]))} ${hub.logs.lines.filter((l) => /"level":"(warn|error)"/.test(l)).slice(-5).join('\n')}`);
  });
  return (await hub.store.getOrder(id))!;
}

/** The spans of one trace, and the checks every traced order passes. */
async function oneTrace(exporter: InMemorySpanExporter, traceId: string, callerSpan: string): Promise<ReadableSpan[]> {
  // The last stage's span ends once its delivery is acknowledged: wait for every stage to have ended.
  let spans: ReadableSpan[] = [];
  await until(async () => {
    await flushTracing();
    spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    return spans.some((s) => s.name === MINISTRY_CALL) && spans.filter((s) => s.name.startsWith('stage ')).length >= 3;
  }, 10_000, 'the trace to be exported');
  const names = spans.map((s) => s.name);
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  const gateway = spans.find((s) => s.name === 'POST /v1/orders');
  assert.ok(gateway, `a gateway span, among ${names.join(', ')}`);
  assert.equal(parentOf(gateway), callerSpan, "the gateway continues the caller's span");
  assert.equal(gateway.attributes['http.route'], '/v1/orders');
  assert.equal(gateway.attributes['http.response.status_code'], 202);
  const stages = spans.filter((s) => s.name.startsWith('stage '));
  // A stage per event the flow takes: the order's, then the ministry's answer, then the result stored.
  assert.deepEqual(stages.map((s) => s.attributes['wasl.event.type']).sort(), ['order.provider-completed', 'order.received', 'order.submitted-to-provider'], names.join(', '));
  for (const s of stages) assert.equal(s.attributes['wasl.service'], VEHICLE);
  const call = spans.find((s) => s.name === MINISTRY_CALL)!;
  assert.equal(call.attributes['wasl.provider'], 'mot-vehicle-registry');
  assert.equal(call.attributes['wasl.operation'], 'GetOwnershipStatement');
  assert.equal(call.attributes['wasl.outcome'], 'success');
  assert.equal(call.attributes['http.response.status_code'], 200);
  assert.ok(call.events.some((e) => e.name === 'attempt'), 'its attempts are events');
  // Every span of the order hangs off the gateway's: the stages (across the bus), the call (inside its stage).
  const ancestors = (s: ReadableSpan): string[] => {
    const out: string[] = [];
    for (let p = parentOf(s); p && byId.has(p); p = parentOf(byId.get(p)!)) out.push(byId.get(p)!.name);
    return out;
  };
  for (const s of stages) assert.ok(ancestors(s).includes('POST /v1/orders'), `${s.name} descends from the gateway span: ${ancestors(s).join(' < ')}`);
  assert.ok(ancestors(call).some((n) => n.startsWith('stage ')), `the ministry call is inside a stage: ${ancestors(call).join(' < ')}`);
  // No citizen's data in any attribute.
  const text = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]));
  for (const secret of Object.values(validRequest().applicant).filter((v): v is string => typeof v === 'string' && v.length > 3)) assert.ok(!text.includes(secret), `no applicant data (${secret}) in spans`);
  return spans;
}

describe('tracing: one trace per order across the gateway, the bus, the flows and the ministry', function () {
  this.timeout(90_000);
  let exporter: InMemorySpanExporter;
  let vehicle: RunningSimulator;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let restore: (() => void) | undefined;

  before(async () => {
    vehicle = await startVehicleRegistry({ port: 0 });
    proxy = await recordingProxy(vehicle.url);
    restore = overrideSandbox({ endpoints: { 'mot-vehicle-registry': proxy.url } });
    exporter = new InMemorySpanExporter();
  });

  after(async () => {
    await shutdownTracing();
    restore?.();
    await proxy?.close();
    await vehicle?.close();
  });

  describe('tracing on', () => {
    before(() => {
      assert.equal(initTracing({ role: 'gateway', exporter, env: {} }), true);
    });
    after(async () => {
      await shutdownTracing();
    });

    it('on the embedded bus: the gateway, each stage and the ministry call in one trace; the ministry gets its traceparent; logs carry trace_id', async () => {
      const hub = await testHub({}, undefined, { runtime: true });
      try {
        await hub.startBackground();
        const traceId = hex(16);
        const callerSpan = hex(8);
        const created = await submit(hub, `00-${traceId}-${callerSpan}-01`);
        assert.equal(created.timeline[0]?.traceId, traceId, 'the received step keeps the trace id');
        const order = await readyForPickup(hub, created.id);
        assert.equal(order.timeline[0]?.traceId, traceId);
        await oneTrace(exporter, traceId, callerSpan);
        const toMinistry = proxy.seen.filter((s) => s.orderId === created.id);
        assert.equal(toMinistry.length, 1);
        assert.match(toMinistry[0]!.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the ministry continues the trace');
        const lines = hub.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.ok(lines.some((l) => l.msg === 'order step' && l.trace_id === traceId && typeof l.span_id === 'string'), 'log lines under a span carry its trace_id and span_id');
      } finally {
        await hub.close();
      }
    });

    it('without a traceparent, the gateway starts a trace and the order keeps its id, shown by the dashboard', async () => {
      const hub = await testHub({ operators: [{ user: 'sami', passwordHash: await hashPassword('viewer-password', { N: 1024, r: 8, p: 1 }), role: 'viewer' }] }, undefined, { runtime: false });
      try {
        const created = await submit(hub);
        const traceId = created.timeline[0]?.traceId;
        assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
        await flushTracing();
        const gateway = exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId && s.name === 'POST /v1/orders');
        assert.ok(gateway, 'the gateway span roots the trace');
        assert.equal(gateway.parentSpanContext, undefined);
        // The dashboard's order page names the trace.
        const detail = await hub.app.inject({ method: 'GET', url: `/monitor/api/orders/${created.id}`, headers: { authorization: `Basic ${Buffer.from('sami:viewer-password').toString('base64')}` } });
        assert.equal(detail.statusCode, 200, detail.body);
        assert.equal(detail.json<{ traceId?: string }>().traceId, traceId);
      } finally {
        await hub.close();
      }
    });

    it('SOAP ministries get a traceparent only when their provider file sets tracing.propagate; the call is a span either way', async () => {
      const srv = await startBareServer((_req, _body, res) => res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(SOAP_OK));
      try {
        const root = hubTracer().startSpan('test root');
        const traceId = root.spanContext().traceId;
        const call = (extra: Partial<ProviderDefinition>) =>
          context.with(trace.setSpan(context.active(), root), () => new SoapConnector(testProvider(soapModel, srv.url, { xroad: XROAD_CONFIG, ...extra })).call('helloService', { name: 'x' }, { orderId: 'ord-1' }));
        await call({});
        await call({ tracing: { propagate: true } });
        root.end();
        assert.equal(srv.received[0]?.headers.traceparent, undefined, 'not asked: no header');
        assert.match(String(srv.received[1]?.headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
        await flushTracing();
        const calls = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId && s.attributes['wasl.connector'] === 'soap');
        assert.equal(calls.length, 2);
        // The header names the call's own span.
        assert.ok(calls.some((s) => String(srv.received[1]?.headers.traceparent).includes(s.spanContext().spanId)));
      } finally {
        await srv.close();
      }
    });

    describe('on PostgreSQL and RabbitMQ, a gateway hub and a worker hub', () => {
      const schema = `wasl_trace_${process.pid}`;
      const prefix = randomPrefix();
      let vhost: TestVhost | undefined;
      before(async function () {
        await requirePostgres(this);
        await requireRabbitmqctl(this);
        vhost = await createVhost();
        await dropSchema(schema);
      });
      after(async () => {
        await vhost?.drop();
        if (vhost) await dropSchema(schema);
      });

      it('the trace crosses from the gateway to the worker through the broker', async () => {
        const keys = AuditKeys.ephemeral();
        const { logger } = testLogger('warn');
        const gatewayStore = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 16 } });
        const gatewayBus = await RabbitBus.open({ url: vhost!.url, store: gatewayStore, logger, prefix });
        const gateway = await testHub({}, gatewayStore, { roles: { gateway: true, relay: true, workers: false }, bus: gatewayBus });
        let worker: TestHub | undefined;
        try {
          const workerStore = await PostgresStore.open({ connectionString: PG_URL, schema, audit: { keys, shards: 16 } });
          const workerBus = await RabbitBus.open({ url: vhost!.url, store: workerStore, logger, prefix });
          worker = await testHub({}, workerStore, { roles: { gateway: false, relay: false, workers: true }, runtime: true, bus: workerBus });
          await gateway.startBackground();
          await worker.startBackground();
          const traceId = hex(16);
          const callerSpan = hex(8);
          const created = await submit(gateway, `00-${traceId}-${callerSpan}-01`);
          await readyForPickup(gateway, created.id);
          const spans = await oneTrace(exporter, traceId, callerSpan);
          // The received stage's parent is the gateway span itself: only the AMQP headers carried it (the relay publishes from its own loop).
          const gw = spans.find((s) => s.name === 'POST /v1/orders')!;
          const received = spans.find((s) => s.name === `stage ${VEHICLE} order.received`)!;
          assert.equal(received.parentSpanContext?.spanId, gw.spanContext().spanId);
          assert.match(proxy.seen.find((s) => s.orderId === created.id)?.traceparent ?? '', new RegExp(`^00-${traceId}-`));
        } finally {
          await worker?.close();
          await gateway.close();
        }
      });
    });
  });

  describe('tracing off', () => {
    it('exports nothing and sends no traceparent to the ministry; a channel traceparent still names the order', async () => {
      assert.equal(tracingEnabled(), false);
      assert.equal(initTracing({ role: 'gateway', env: { OTEL_SERVICE_NAME: 'x' } }), false, 'no OTLP endpoint: off');
      exporter.reset();
      const hub = await testHub({}, undefined, { runtime: true });
      try {
        await hub.startBackground();
        const traceId = hex(16);
        const created = await submit(hub, `00-${traceId}-${hex(8)}-01`);
        // Carried untouched with the order's first event, for a worker that traces.
        assert.equal(created.timeline[0]?.traceId, traceId);
        await readyForPickup(hub, created.id);
        const toMinistry = proxy.seen.filter((s) => s.orderId === created.id);
        assert.equal(toMinistry.length, 1);
        assert.equal(toMinistry[0]!.traceparent, undefined, 'no traceparent header');
        assert.deepEqual(exporter.getFinishedSpans(), []);
        assert.ok(!hub.logs.lines.some((l) => l.includes('"trace_id"')), 'no trace ids in the logs');
        // A malformed traceparent is ignored.
        const other = await submit(hub, '00-not-a-trace');
        assert.equal(other.timeline[0]?.traceId, undefined);
      } finally {
        await hub.close();
      }
    });
  });
});

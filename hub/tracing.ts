/**
 * OpenTelemetry tracing (README, "Tracing"): one trace per order, across the gateway, the bus,
 * the workers' flows and the ministries.
 *
 * On only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and
 * OTEL_SDK_DISABLED is not `true`, OTEL_TRACES_EXPORTER not `none`): then `initTracing`, called
 * once at process start (`wasl start`, `wasl worker`), registers the SDK — the W3C trace-context
 * propagator, an AsyncLocalStorage context manager, a batch processor exporting over OTLP/HTTP —
 * with the standard variables honoured by the SDK itself (OTEL_SERVICE_NAME, by default
 * `wasl-gateway` or `wasl-worker` by role; OTEL_RESOURCE_ATTRIBUTES; OTEL_TRACES_SAMPLER[_ARG];
 * OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT…), and `shutdownTracing` flushes it at stop.
 *
 * Off, nothing of the SDK is loaded and no tracer is registered: the API's no-op tracer answers
 * the connectors, and the hub's own hooks are not installed (`tracingEnabled()` is a boolean
 * read). One thing still travels when off, because it costs one header test per submitted order:
 * a channel's valid `traceparent` goes with the order's first event (`passThrough`), so a worker
 * that traces joins the channel's trace.
 *
 * Spans hold ids, codes, routes, statuses and durations; never a body, a name or a national
 * number (the rule of hub/log.ts).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

/** The W3C trace context as it travels with an order event (contracts/event.schema.json). */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

export type TracingRole = 'gateway' | 'worker';

export interface TracingOptions {
  role: TracingRole;
  /** Where to read whether tracing is on (process.env by default); the SDK and the exporter read process.env themselves. */
  env?: NodeJS.ProcessEnv;
  /** Tests: spans go to this exporter (the SDK's InMemorySpanExporter), one by one, whatever the environment says. */
  exporter?: SpanExporter;
  version?: string;
}

interface Provider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let provider: Provider | undefined;
let tracer: Tracer | undefined;

/** Whether this process traces: decided once by initTracing. */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/** The OTLP endpoint the environment names, if any: tracing is on only then. */
export function otlpEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
}

/** Registers the SDK when the environment asks for it (or a test hands an exporter); returns whether tracing is on. */
export function initTracing(opts: TracingOptions): boolean {
  if (provider) return true;
  const env = opts.env ?? process.env;
  if (!opts.exporter && !otlpEndpoint(env)) return false;
  // Loaded only now: a process that does not trace loads nothing of the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const sdk = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const semconv = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  const exporter = opts.exporter ?? new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  /* eslint-enable @typescript-eslint/no-require-imports */
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the role's default.
  const resource = resources
    .resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: `wasl-${opts.role}`, ...(opts.version ? { [semconv.ATTR_SERVICE_VERSION]: opts.version } : {}) })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const p = new sdk.NodeTracerProvider({
    resource,
    spanProcessors: [opts.exporter ? new sdk.SimpleSpanProcessor(exporter) : new sdk.BatchSpanProcessor(exporter)],
  });
  p.register();
  provider = p;
  tracer = trace.getTracer('wasl', opts.version);
  return true;
}

/** Flushes what is still buffered and unregisters the SDK (the API is a no-op again). */
export async function shutdownTracing(): Promise<void> {
  const p = provider;
  if (!p) return;
  provider = undefined;
  tracer = undefined;
  try {
    // A collector that is down at stop loses the last spans; it does not fail the stop.
    await p.shutdown().catch(() => undefined);
  } finally {
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/** Exports what the processors hold now (tests, and before a process exits). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** The wasl tracer (the API's no-op one when tracing is off). */
export function hubTracer(): Tracer {
  return tracer ?? trace.getTracer('wasl');
}

/** The active context as a carrier for an order event; undefined when tracing is off or no span is active. */
export function traceCarrier(): TraceCarrier | undefined {
  if (!provider) return undefined;
  const carrier: Partial<TraceCarrier> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return undefined;
  // The event's schema bounds it (vendors' entries are optional to pass on: W3C trace-context §3.3.1.5).
  if (carrier.tracestate !== undefined && !TRACESTATE.test(carrier.tracestate)) delete carrier.tracestate;
  return carrier as TraceCarrier;
}

/** The context an event's carrier names, as the parent of what handles it (the root context when none). */
export function contextFrom(carrier: Partial<TraceCarrier> | undefined): Context {
  if (!provider || !carrier?.traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Runs `fn` with the event's trace context active: a no-op call when tracing is off or the event carries none. */
export function withCarrier<T>(carrier: Partial<TraceCarrier> | undefined, fn: () => T): T {
  if (!provider || !carrier?.traceparent) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** A well-formed W3C traceparent (version 00), or undefined. */
export function validTraceparent(value: unknown): string | undefined {
  return typeof value === 'string' && TRACEPARENT.test(value) ? value : undefined;
}

/** The trace id (32 hex digits) of a traceparent. */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

/**
 * Tracing off: a channel's own trace context, carried untouched with the order's first event so
 * that a worker that traces continues it. Undefined when tracing is on (the gateway's span is
 * the parent then) or the header is absent or malformed.
 */
export function passThrough(headers: Record<string, string | string[] | undefined>): TraceCarrier | undefined {
  if (provider) return undefined;
  const traceparent = validTraceparent(headers.traceparent);
  if (!traceparent) return undefined;
  const state = headers.tracestate;
  return typeof state === 'string' && TRACESTATE.test(state) ? { traceparent, tracestate: state } : { traceparent };
}

/** Routes not worth a span: probes and scrapes. */
const UNTRACED = new Set(['/health', '/ready', '/metrics']);
const SPAN = Symbol('wasl.span');
const CONTEXT = Symbol('wasl.context');
type Traced = FastifyRequest & { [SPAN]?: Span; [CONTEXT]?: Context };

/**
 * A SERVER span per gateway request, named by its method and route pattern (never the URL: no
 * order id or query), continuing the caller's `traceparent`. Installed only when tracing is on.
 * Its context is made active again before the handler, as body parsing runs in the socket's.
 */
export function traceRequests(app: FastifyInstance): void {
  if (!provider) return;
  app.addHook('onRequest', (request: Traced, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && UNTRACED.has(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = hubTracer().startSpan(
      route ? `${request.method} ${route}` : request.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, ...(route ? { 'http.route': route } : {}), 'wasl.request_id': request.id } },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    request[SPAN] = span;
    request[CONTEXT] = ctx;
    context.with(ctx, done);
  });
  app.addHook('preHandler', (request: Traced, _reply, done) => {
    const ctx = request[CONTEXT];
    if (ctx) context.with(ctx, done);
    else done();
  });
  app.addHook('onError', (request: Traced, _reply, error, done) => {
    const span = request[SPAN];
    const code = (error as { code?: unknown }).code;
    if (span && typeof code === 'string') span.setAttribute('wasl.error.code', code);
    done();
  });
  app.addHook('onResponse', (request: Traced, reply: FastifyReply, done) => {
    const span = request[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      const orderId = (reply as FastifyReply & { locals?: { orderId?: string } }).locals?.orderId;
      if (orderId) span.setAttribute('wasl.order.id', orderId);
      if (request.channel?.channel) span.setAttribute('wasl.channel', request.channel.channel);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** The trace id of the active span, for log lines (hub/log.ts); undefined when none. */
export function activeIds(): { trace_id: string; span_id: string } | undefined {
  if (!provider) return undefined;
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
}

/** What a flow stage's span says of the delivery it carries out: ids and codes only. */
export interface StageInfo {
  service: string;
  type: string;
  eventId: string;
  orderId: string;
  attempt: number;
}

/**
 * A span per flow stage: a delivery taken by an order-in node until its flow completes or fails
 * it (hub/runtime/dispatcher.ts), as a child of the trace the event carries (the bus made it active: hub/bus/consume.ts).
 * The flow's nodes run in its context (Node-RED hands messages on in the sender's async context),
 * so provider calls and the steps they store are its children. `fn` alone when tracing is off.
 */
export function traceStage<T>(stage: StageInfo, fn: () => Promise<T>): Promise<T> {
  if (!provider) return fn();
  const attributes = {
    'wasl.service': stage.service,
    'wasl.event.type': stage.type,
    'wasl.event.id': stage.eventId,
    'wasl.order.id': stage.orderId,
    'wasl.delivery.attempt': stage.attempt,
    'messaging.operation.type': 'process',
  };
  return hubTracer().startActiveSpan(`stage ${stage.service} ${stage.type}`, { kind: SpanKind.CONSUMER, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: unknown; reason?: unknown }).code ?? (err as { reason?: unknown }).reason;
      if (typeof code === 'string') span.setAttribute('wasl.error.code', code);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

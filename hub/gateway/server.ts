/**
 * The gateway: encapsulated Fastify plugins whose route schemas, taken from contracts/, both
 * validate requests and serialise responses. Health is open; everything else needs a channel key.
 */
import { callbackRoutes } from '../callbacks/route';
import { traceRequests } from '../tracing';
import type { CallbackDesk } from '../payments';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { randomUUID } from 'node:crypto';
import { createAjv, schemas } from '../../contracts';
import type { Catalogue } from '../catalogue';
import type { CertificateReader } from '../lifecycle';
import type { ChannelKey, HubConfig } from '../config';
import { WaslError } from '../errors';
import type { Logger } from '../log';
import type { OrderStore, StoreConnection } from '../store';
import type { Bus } from '../bus/bus';
import { ChannelAuthenticator } from './auth';
import { Exposure } from './exposure';
import type { OperatorAuth } from '../operator-auth';
import { openApiRoute, registerOpenApi } from './openapi';
import { frameworkError, installProblemHandlers } from './problems';
import { healthRoutes } from './routes/health';
import { orderRoutes } from './routes/orders';
import { serviceRoutes } from './routes/services';
import { metricsRoutes } from './routes/metrics';
import { monitorRoutes, type MonitorStore } from './routes/monitor';
import { documentPublicRoutes, documentRoutes, type DocumentEvent } from './routes/documents';
import type { DocumentStore } from '../documents/store';
import type { Registry } from 'prom-client';

export interface GatewayDeps {
  config: Pick<HubConfig, 'env' | 'bodyLimit' | 'rateLimitPerMinute'> & Partial<Pick<HubConfig, 'operators' | 'flowsDir' | 'metricsToken' | 'publicUrl' | 'allowedHosts'>>;
  /** The roles its routes use: /ready pings it, /v1/orders reads and writes orders, /monitor reads most of it. */
  store: StoreConnection & OrderStore & MonitorStore;
  bus: Pick<Bus, 'health'>;
  catalogue: Catalogue;
  logger: Logger;
  channelKeys: ChannelKey[];
  version?: string;
  /** Payment and postal providers' callbacks (POST /v1/callbacks/:provider). */
  callbacks?: CallbackDesk;
  /** The hub's metrics, served at GET /metrics (hub/metrics.ts). */
  metrics?: Registry;
  /** Counts each request answered, by method, route pattern and status, with its duration (HubMetrics.observeRequest). */
  observeRequest?: (method: string, route: string | undefined, status: number, seconds: number) => void;
  /** The bus the monitoring dashboard replays dead letters on (routes/monitor.ts). */
  monitorBus?: Bus;
  /** The process's operator logins (their limits are shared with the editor's); from config.operators otherwise. */
  operatorAuth?: OperatorAuth;
  /** Host and Origin rules; from config otherwise. */
  exposure?: Exposure;
  /** Services' certificates, shown to operators in GET /v1/services (HubOptions.certificates); none shown without. */
  certificates?: CertificateReader;
  /** Whether the flows editor this process serves answers yet (/ready waits for it); absent where it serves none. */
  editorReady?: () => boolean;
  /** Whether this process's flows started and its workers subscribed (/ready waits for them); absent where it runs none. */
  flowsReady?: () => boolean;
  /** The document store (hub/documents/): the document routes exist only with it (routes/documents.ts). */
  documents?: DocumentStore;
  /** Counts document downloads and verifications (HubMetrics.observeDocument). */
  observeDocument?: (event: DocumentEvent, outcome: string) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

const tooMany = (_request: unknown, context: { ttl: number }) => new WaslError('rate-limited', { detail: `Try again in ${Math.ceil(context.ttl / 1000)} s.`, extra: { retryAfter: Math.ceil(context.ttl / 1000) } });

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const { config, store, catalogue, logger } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: config.bodyLimit,
    // A signed document link is a path parameter of up to about 180 characters (routes/documents.ts);
    // find-my-way's default of 100 would answer it 404. Longer parameters are still refused (frameworkError).
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: frameworkError,
    // A caller's X-Request-Id is kept when it is well formed, so a counter can quote it to support.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  const bodyAjv = createAjv();
  const paramAjv = createAjv({ forParameters: true });
  const compile: FastifySchemaCompiler<Record<string, unknown>> = ({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema) as ReturnType<FastifySchemaCompiler<unknown>>;
  app.setValidatorCompiler(compile);
  for (const s of schemas) {
    // Fastify's serialiser and the OpenAPI generator resolve $refs against these; $schema is Ajv's business.
    const { $schema: _ignored, ...rest } = s as Record<string, unknown>;
    app.addSchema(rest);
  }
  installProblemHandlers(app);
  // A span per request, continuing the caller's traceparent, when tracing is on (hub/tracing.ts).
  traceRequests(app);

  // Before anything else: a request for another host name, or a cross-site one that changes something, goes no further.
  app.addHook('onRequest', (deps.exposure ?? Exposure.forConfig(config)).hook);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // One line per request, with the order id when there is one; never the body or the query.
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never the URL: no order id or query becomes a metric label.
    deps.observeRequest?.(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        channel: request.channel?.channel,
        orderId: reply.locals?.orderId,
      },
      'request',
    );
  });

  // The sandbox shows its API to anyone who can reach it; production only to channels.
  const sandbox = config.env === 'sandbox';
  await registerOpenApi(app, { services: catalogue.offered(config.env), docsUi: sandbox, version: deps.version ?? '0.0.0' });
  if (sandbox) openApiRoute(app, app);

  await app.register(healthRoutes, { store, bus: deps.bus, ...(deps.editorReady ? { editor: deps.editorReady } : {}), ...(deps.flowsReady ? { flows: deps.flowsReady } : {}) });
  // Providers authenticate by signature, not by channel key.
  if (deps.callbacks) await app.register(callbackRoutes, { desk: deps.callbacks });

  // A signed link's download and a printed code's check need no key: each has a limit per client address instead.
  if (deps.documents) {
    const documents = deps.documents;
    await app.register(async (pub) => {
      await pub.register(rateLimit, { global: false, timeWindow: 60_000, keyGenerator: (request) => request.ip, errorResponseBuilder: tooMany });
      await pub.register(documentPublicRoutes, { store, documents, ...(deps.observeDocument ? { observe: deps.observeDocument } : {}) });
    });
  }

  const auth = new ChannelAuthenticator(deps.channelKeys, deps.operatorAuth ?? config.operators ?? []);
  if (deps.metrics) await app.register(metricsRoutes, { registry: deps.metrics, auth, ...(config.metricsToken ? { token: config.metricsToken } : {}) });
  if (deps.monitorBus) await app.register(monitorRoutes, { store, bus: deps.monitorBus, catalogue, auth });
  await app.register(async (api) => {
    api.addHook('onRequest', auth.hook);
    await api.register(rateLimit, {
      hook: 'preParsing',
      timeWindow: 60_000,
      max: (request) => request.channel?.rateLimit ?? config.rateLimitPerMinute,
      keyGenerator: (request) => request.channel?.channel ?? (request.operator ? `operator:${request.operator.user}` : request.ip),
      errorResponseBuilder: tooMany,
    });
    if (!sandbox) openApiRoute(api, app);
    await api.register(orderRoutes, { store, catalogue, env: config.env, ...(deps.documents ? { documents: deps.documents } : {}) });
    if (deps.documents) await api.register(documentRoutes, { store, documents: deps.documents, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}), ...(deps.observeDocument ? { observe: deps.observeDocument } : {}) });
    await api.register(serviceRoutes, { catalogue, env: config.env, flowsDir: config.flowsDir, ...(deps.certificates ? { certificates: deps.certificates } : {}) });
  });
  return app;
}

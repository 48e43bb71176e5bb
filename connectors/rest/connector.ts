/**
 * The REST connector: typed calls to one provider's operations — imported from OpenAPI
 * (connectors/import/openapi.ts) or described by hand in provider.json (./manual.ts) — in one
 * environment.
 *
 * One call:
 * 1. the input ({ path, query, headers, body }, see ./binding.ts) is validated against the
 *    operation's input schema: a mismatch is ContractViolation('request') and nothing is sent;
 * 2. the request is built (./request.ts): URL, headers, JSON or XML body (./xml-body.ts), plus
 *    `Idempotency-Key` (ctx.idempotencyKey, on non-idempotent methods), `X-Wasl-Order-Id`
 *    (ctx.orderId: wasl's own order id, never citizen data, so the ministry's logs and ours can
 *    be matched) and ctx.headers;
 * 3. it runs under the provider's policy (connectors/resilience.ts): timeouts, retries of
 *    transient failures only (GET/HEAD/PUT/DELETE/OPTIONS, or POST/PATCH with an idempotency key),
 *    circuit breaker per endpoint, bulkhead, rate limit. Each attempt adds credentials
 *    (./auth.ts); with OAuth2, a 401 drops the token, a new one is fetched and the request sent
 *    once more;
 * 4. a 2xx is decoded — JSON, XML (hardened parser, the provider's xml limits) or text — and
 *    validated against the output schema: ContractViolation('response') when it does not
 *    match or is not what the contract says (an HTML page where JSON is expected);
 *    UnsafeResponse for hostile XML or a body over the size limit (the provider's xml.maxBytes,
 *    10 MB by default). Binary content — a binary body, a base64 field — is a document
 *    (./documents.ts): streamed or decoded into the `documents` sink, under the provider's
 *    documents.maxBytes, and handed on as a DocumentHandle. Any other status goes through the provider's error
 *    mapping (connectors/error-mapping.ts): the first matching rule makes it a BusinessRefusal,
 *    or a ProviderFault its kind says is transient or permanent; without one it is a
 *    ProviderFault with the status, the body's code (`/code`, `/error/code`, `/errorCode`, or an
 *    `error` string) and `transient` when the status is in the policy's retry.statuses;
 * 5. every call, success or not, is reported (connectors/observe.ts) and, when the hub traces,
 *    is a span (connectors/tracing.ts) whose W3C `traceparent` each attempt sends (unless the
 *    provider file sets `tracing.propagate` to false).
 */
import { createAjv, pointErrors, type ValidateFunction } from '../../contracts/index';
import type { ProviderDefinition } from '../../contracts/types';
import type { CallContext, CallRecord, CallResult, Connector, Environment, OperationInfo } from '../connector';
import { DEFAULT_MAX_DOCUMENT_BYTES, type DocumentSink } from '../documents';
import { mapFault } from '../error-mapping';
import { ContractViolation, faultCodeOf, isConnectorError, type ConnectorError } from '../errors';
import { sharedHttpClient, type HttpClient, type HttpResponse } from '../http/client';
import { requestStream } from '../http/stream';
import { capturedBodies, reportCall, wantsBodies } from '../observe';
import { attemptEvent, endCallSpan, injectTrace, startCallSpan } from '../tracing';
import { loadProvider } from '../provider-files';
import { createPolicy, type BreakerState, type EffectivePolicy, type ProviderPolicy } from '../resilience';
import { DEFAULT_XML_LIMITS, parseXml, type XmlElement, type XmlLimits } from '../xml/parse';
import { RestAuth, type Timeouts } from './auth';
import { IDEMPOTENT_METHODS, mediaKind, RequestBuildError, type RestBinding } from './binding';
import { bufferLimitFor, planDocuments, receiveDocumentBody, storeBufferedBody, storeDocumentFields, type DocumentPlan, type DocumentTarget } from './documents';
import { manualOperation, type RestOperation } from './manual';
import { buildRequest, headerValue, type BuiltRequest, type RestInput } from './request';
import { fromXml } from './xml-body';
import type { Span } from '@opentelemetry/api';

export interface RestConnectorOptions {
  definition: ProviderDefinition;
  /** Imported operations (connectors/provider-files.ts `loadProvider().operations`); hand-described ones come from definition.operations. */
  operations?: Record<string, { inputSchema: Record<string, unknown>; outputSchema: Record<string, unknown>; binding: Record<string, unknown>; description?: string; idempotent?: boolean }>;
  environment?: Environment;
  /** Defaults to the process-wide sharedHttpClient (which close() then leaves open). */
  client?: HttpClient;
  /** Reads a secret by variable name (connectors/secrets.ts by default), e.g. from a wasl-provider node's credentials. */
  readSecret?: (envName: string) => string;
  /** Where binary content goes (the hub's document store); without one, an answer carrying a document is refused (UnsafeResponse 'attachment'). */
  documents?: DocumentSink;
}

interface CompiledOperation extends RestOperation {
  validateInput: ValidateFunction;
  /** Against the output as the flow gets it: documents as handles. */
  validateOutput: ValidateFunction;
  documents: DocumentPlan;
  /** The output schema as the contract has it (base64 fields as text): what the body is decoded and checked by. */
  bodySchema: Record<string, unknown>;
  /** Against the body as sent, before any document is stored, when fields may hold documents. */
  validateBody?: ValidateFunction;
}

let ajv: ReturnType<typeof createAjv> | undefined;

export class RestConnector implements Connector {
  readonly provider: string;
  readonly environment: Environment;
  /** Base URL of the environment; also the circuit breaker's endpoint. */
  readonly endpoint: string;
  private readonly definition: ProviderDefinition;
  private readonly ops = new Map<string, CompiledOperation>();
  private readonly client: HttpClient;
  private readonly ownsClient: boolean;
  private readonly auth: RestAuth;
  private readonly policy: ProviderPolicy;
  private readonly xmlLimits: XmlLimits;
  private readonly sink: DocumentSink | undefined;
  private readonly maxDocumentBytes: number;

  constructor(opts: RestConnectorOptions) {
    const def = opts.definition;
    this.definition = def;
    this.provider = def.code;
    this.environment = opts.environment ?? 'sandbox';
    const env = def.environments[this.environment];
    if (!env) throw new Error(`provider ${def.code} has no ${this.environment} environment`);
    this.endpoint = env.endpoint.replace(/\/+$/, '');
    this.client = opts.client ?? sharedHttpClient;
    this.ownsClient = opts.client !== undefined;
    this.auth = new RestAuth(env.security ?? def.security, this.client, opts.readSecret);
    this.policy = createPolicy(def.code, def.resilience);
    this.xmlLimits = { ...DEFAULT_XML_LIMITS, ...def.xml };
    this.sink = opts.documents;
    this.maxDocumentBytes = def.documents?.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;

    ajv ??= createAjv();
    const all: RestOperation[] = [];
    for (const [name, o] of Object.entries(opts.operations ?? {})) {
      const binding = checkBinding(def.code, name, o.binding);
      all.push({ name, inputSchema: o.inputSchema, outputSchema: o.outputSchema, binding, idempotent: o.idempotent ?? IDEMPOTENT_METHODS.has(binding.method), ...(o.description ? { description: o.description } : {}) });
    }
    for (const [name, m] of Object.entries(def.operations ?? {})) if (m) all.push(manualOperation(name, m));
    for (const op of all) {
      try {
        const documents = planDocuments(op.outputSchema, op.binding);
        this.ops.set(op.name, {
          ...op,
          outputSchema: documents.outputSchema,
          bodySchema: op.outputSchema,
          documents,
          validateInput: ajv.compile(op.inputSchema),
          validateOutput: ajv.compile(documents.outputSchema),
          ...(documents.fields ? { validateBody: ajv.compile(op.outputSchema) } : {}),
        });
      } catch (err) {
        throw new Error(`provider ${def.code}, operation ${op.name}: its schemas do not compile: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  operations(): OperationInfo[] {
    return [...this.ops.values()].map((o) => ({
      name: o.name,
      ...(o.description ? { description: o.description } : {}),
      inputSchema: o.inputSchema,
      outputSchema: o.outputSchema,
      binding: o.binding as unknown as Record<string, unknown>,
      idempotent: o.idempotent,
    }));
  }

  async call<O = unknown>(operation: string, input: unknown, ctx: CallContext = {}): Promise<CallResult<O>> {
    const started = Date.now();
    const startedAt = new Date(started).toISOString();
    const last: AttemptState = { attempts: 0, requestBytes: 0, responseBytes: 0 };
    const span = startCallSpan('rest', this.provider, operation, this.endpoint, ctx.orderId);
    if (span) last.span = span;
    const report = (outcome: 'success' | ConnectorError['code'], faultCode?: string) => {
      endCallSpan(span, { outcome, ...(faultCode ? { faultCode } : {}), ...(last.status !== undefined ? { status: last.status } : {}), attempts: last.attempts, durationMs: Date.now() - started });
      reportCall({
        provider: this.provider,
        operation,
        endpoint: this.endpoint,
        ...(ctx.orderId ? { orderId: ctx.orderId } : {}),
        outcome,
        ...(faultCode ? { faultCode } : {}),
        ...(last.status !== undefined ? { status: last.status } : {}),
        attempts: last.attempts,
        durationMs: Date.now() - started,
        requestBytes: last.requestBytes,
        responseBytes: last.responseBytes,
        startedAt,
        ...(last.bodies ? { bodies: last.bodies } : {}),
      });
    };
    try {
      const op = this.ops.get(operation);
      if (!op) throw new ContractViolation('request', [{ pointer: '', message: `the provider has no operation "${operation}"` }]);
      const built = this.prepare(op, input, ctx);
      const result = await this.policy.execute(
        { operation, endpoint: this.endpoint, idempotent: op.idempotent, ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) },
        (n, policy) => {
          last.attempts = n;
          return this.attempt(op, built, policy, ctx, last);
        },
      );
      report('success');
      return { output: result.value.output as O, status: result.value.status, attempts: result.attempts, durationMs: result.durationMs };
    } catch (err) {
      if (isConnectorError(err)) {
        if (!err.provider) err.at({ provider: this.provider, operation, attempt: last.attempts, durationMs: Date.now() - started });
        report(err.code, faultCodeOf(err));
      } else report('transport');
      throw err;
    }
  }

  /** Circuit breaker state per endpoint, for monitoring. */
  breakerStates(): Record<string, BreakerState> {
    return this.policy.breakerStates();
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Validation and the request without credentials: nothing here is sent. */
  private prepare(op: CompiledOperation, input: unknown, ctx: CallContext): BuiltRequest {
    if (!op.validateInput(input)) {
      throw new ContractViolation('request', pointErrors(op.validateInput.errors).map((e) => ({ pointer: e.pointer, message: e.message })));
    }
    try {
      const built = buildRequest(this.endpoint, op.binding, input as RestInput);
      const extra: Record<string, string> = { 'user-agent': 'wasl' };
      for (const [k, v] of Object.entries(ctx.headers ?? {})) extra[k] = headerValue(`/ctx/headers/${k}`, v);
      if (ctx.orderId) extra['x-wasl-order-id'] = headerValue('/ctx/orderId', ctx.orderId);
      if (ctx.idempotencyKey && !op.idempotent) extra['idempotency-key'] = headerValue('/ctx/idempotencyKey', ctx.idempotencyKey);
      built.headers = { ...extra, ...built.headers };
      return built;
    } catch (err) {
      if (err instanceof RequestBuildError || err instanceof RangeError) {
        throw new ContractViolation('request', [{ pointer: err instanceof RequestBuildError ? err.pointer : '/body', message: err.message }]);
      }
      throw err;
    }
  }

  private async attempt(op: CompiledOperation, built: BuiltRequest, policy: EffectivePolicy, ctx: CallContext, last: AttemptState): Promise<{ output: unknown; status: number }> {
    const t: Timeouts = { connectTimeoutMs: policy.connectTimeoutMs, timeoutMs: policy.timeoutMs, transientStatuses: policy.retry.statuses };
    const tls = this.auth.tls();
    attemptEvent(last.span, last.attempts);
    for (let authTry = 0; ; authTry++) {
      const req: BuiltRequest = { url: new URL(built.url.href), headers: { ...built.headers }, ...(built.body ? { body: built.body } : {}) };
      if (last.span && this.definition.tracing?.propagate !== false) injectTrace(last.span, req.headers);
      const token = await this.auth.apply(req, t);
      const send = {
        url: req.url.href,
        method: op.binding.method,
        headers: req.headers,
        ...(req.body ? { body: req.body } : {}),
        connectTimeoutMs: t.connectTimeoutMs,
        timeoutMs: t.timeoutMs,
        ...(tls ? { tls } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      };
      const target = this.documentTarget(op, ctx);
      let res: HttpResponse;
      let output: unknown;
      if (op.documents.body) {
        // A binary answer is streamed into the sink; only an error answer is buffered.
        const streamed = await requestStream(this.client, send);
        last.status = streamed.status;
        const ok = streamed.status >= 200 && streamed.status < 300 && streamed.status !== 204;
        if (ok) output = await receiveDocumentBody(streamed, op.documents.body.mediaType, target);
        const body = ok ? Buffer.alloc(0) : await streamed.buffer(this.xmlLimits.maxBytes);
        res = { status: streamed.status, headers: streamed.headers, body, bytesSent: streamed.bytesSent, bytesReceived: streamed.bytesReceived };
      } else {
        res = await this.client.request({ ...send, maxResponseBytes: bufferLimitFor(op.documents, this.xmlLimits.maxBytes, this.maxDocumentBytes) });
      }
      last.status = res.status;
      last.requestBytes = res.bytesSent;
      last.responseBytes = res.bytesReceived;
      if (wantsBodies(this.provider)) last.bodies = capturedBodies(req.body, res.body);
      if (res.status === 401 && this.auth.usesOAuth2 && authTry === 0) {
        this.auth.rejected(token);
        continue;
      }
      if (res.status >= 200 && res.status < 300) {
        if (output === undefined) output = await this.decodeSuccess(op, res, target);
        if (!op.validateOutput(output)) {
          throw new ContractViolation('response', pointErrors(op.validateOutput.errors).map((e) => ({ pointer: e.pointer, message: e.message })));
        }
        return { output, status: res.status };
      }
      throw this.errorFor(op, res, t);
    }
  }

  private documentTarget(op: CompiledOperation, ctx: CallContext): DocumentTarget {
    return {
      ...(this.sink ? { sink: this.sink } : {}),
      maxBytes: this.maxDocumentBytes,
      origin: { ...(ctx.orderId ? { orderId: ctx.orderId } : {}), ...(ctx.service ? { service: ctx.service } : {}), provider: this.provider, operation: op.name },
    };
  }

  /** The body as the flow gets it (not yet checked against the output schema). */
  private async decodeSuccess(op: CompiledOperation, res: HttpResponse, target: DocumentTarget): Promise<unknown> {
    const contentType = headerString(res.headers['content-type']);
    const expected = op.binding.responseMediaType;
    let output: unknown = null;
    if (res.body.length > 0) {
      const kind = mediaKind(expected ?? contentType);
      const actual = contentType ? mediaKind(contentType) : undefined;
      // A body that says it is something else is not what the contract promised (an HTML error
      // page from a proxy, typically); only the media type is named, never the content.
      if ((kind === 'json' || kind === 'xml') && actual !== undefined && actual !== kind) {
        throw new ContractViolation('response', [{ pointer: '', message: `is ${contentType.split(';')[0]!.trim()}, not ${kind.toUpperCase()}` }]);
      }
      if (kind === 'json') output = parseJson(res.body);
      else if (kind === 'xml') output = fromXml(parseXml(res.body, this.xmlLimits), op.bodySchema);
      else if (kind === 'text') output = res.body.toString('utf8');
      // Binary the contract did not announce (an operation described without its response) is a document all the same.
      else return storeBufferedBody(res.body, contentType, target);
    }
    if (op.validateBody) {
      // Checked as sent before anything is stored, so an answer that breaks the contract leaves no document behind.
      if (!op.validateBody(output)) {
        throw new ContractViolation('response', pointErrors(op.validateBody.errors).map((e) => ({ pointer: e.pointer, message: e.message })));
      }
      output = await storeDocumentFields(output, op.bodySchema, target);
    }
    return output;
  }

  private errorFor(op: CompiledOperation, res: HttpResponse, t: Timeouts): ConnectorError {
    const { body, xml } = this.decodeErrorBody(op, res);
    const faultCode = codeOf(body);
    const meta = { provider: this.provider, operation: op.name };
    const providerMessage = messageOf(body);
    // The provider's errors.rules decide first: a refusal, a transient or a permanent fault.
    return mapFault(
      this.definition.errors,
      { status: res.status, body, ...(faultCode !== undefined ? { faultCode } : {}), ...(xml ? { detail: [xml] } : {}) },
      { ...meta, ...(providerMessage !== undefined ? { providerMessage } : {}) },
      { status: res.status, transient: t.transientStatuses.includes(res.status), ...(faultCode !== undefined ? { faultCode } : {}), ...(providerMessage !== undefined ? { providerMessage } : {}) },
    );
  }

  /** Best effort: an error body that cannot be read still leaves the status to go by. An XML body keeps its root, for detailPath rules. */
  private decodeErrorBody(op: CompiledOperation, res: HttpResponse): { body: unknown; xml?: XmlElement } {
    if (res.body.length === 0) return { body: undefined };
    const kind = mediaKind(headerString(res.headers['content-type']));
    let xml: XmlElement | undefined;
    try {
      if (kind === 'xml') {
        const documented = op.binding.errorResponses[String(res.status)] ?? op.binding.errorResponses[`${String(res.status)[0]}XX`] ?? op.binding.errorResponses.default;
        xml = parseXml(res.body, this.xmlLimits);
        return { body: fromXml(xml, documented?.schema), xml };
      }
      return { body: parseJson(res.body) };
    } catch {
      return { body: kind === 'text' ? res.body.toString('utf8') : undefined, ...(xml ? { xml } : {}) };
    }
  }
}

/** Loads contracts/providers/<code>/ (or `providersRoot`/<code>/) and builds its REST connector. */
export function createRestConnector(code: string, environment: Environment = 'sandbox', opts: { providersRoot?: string; client?: HttpClient; readSecret?: (envName: string) => string; documents?: DocumentSink } = {}): RestConnector {
  const loaded = loadProvider(code, opts.providersRoot);
  if (loaded.definition.kind !== 'rest') throw new Error(`provider ${code} is a ${loaded.definition.kind} provider, not a REST one`);
  return new RestConnector({
    definition: loaded.definition,
    operations: loaded.operations,
    environment,
    ...(opts.client ? { client: opts.client } : {}),
    ...(opts.readSecret ? { readSecret: opts.readSecret } : {}),
    ...(opts.documents ? { documents: opts.documents } : {}),
  });
}

function checkBinding(provider: string, name: string, b: Record<string, unknown>): RestBinding {
  if (typeof b.method !== 'string' || typeof b.path !== 'string' || !Array.isArray(b.parameters)) {
    throw new Error(`provider ${provider}, operation ${name}: its binding is not a REST binding (method, path, parameters)`);
  }
  const binding = b as unknown as Partial<RestBinding>;
  return { ...(binding as RestBinding), successStatuses: binding.successStatuses ?? [], errorResponses: binding.errorResponses ?? {} };
}

/** What the last attempt left for the call's record. */
interface AttemptState {
  attempts: number;
  status?: number;
  requestBytes: number;
  responseBytes: number;
  bodies?: CallRecord['bodies'];
  /** The call's span, when the hub traces (connectors/tracing.ts). */
  span?: Span;
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch {
    throw new ContractViolation('response', [{ pointer: '', message: 'is not valid JSON' }]);
  }
}

function headerString(h: string | string[] | undefined): string {
  return (Array.isArray(h) ? h[0] : h) ?? '';
}

const CODE_TEXT = /^[\w.:-]{1,64}$/;

function codeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const err = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : undefined;
  for (const c of [b.code, err?.code, b.errorCode, typeof b.error === 'string' ? b.error : undefined]) {
    if ((typeof c === 'string' && CODE_TEXT.test(c)) || typeof c === 'number') return String(c);
  }
  return undefined;
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 1000);
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const err = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : undefined;
  for (const m of [b.message, err?.message, b.detail, b.title, b.error_description]) if (typeof m === 'string') return m.slice(0, 1000);
  return undefined;
}

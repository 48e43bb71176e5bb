/**
 * The SOAP connector: typed calls to one provider's WSDL operations over the shared HTTP client,
 * under the provider's resilience policy, with every call reported.
 *
 * A call: validate the input against the operation's JSON Schema (ContractViolation 'request',
 * nothing sent) → encode headers and body (compiled per operation) → POST the envelope through
 * the policy (a SOAP call is non-idempotent: the policy retries it only when the call carries an
 * idempotency key) → per attempt, read the response:
 *   - any status with a SOAP Fault in an envelope → ProviderFault / BusinessRefusal (fault.ts);
 *   - 2xx → decode the Body (and declared headers), validate against the output schema
 *     (ContractViolation 'response');
 *   - another status without a fault → ProviderFault with the status, transient when the status
 *     is in the policy's retry.statuses;
 *   - a hostile body (DTD, entities, over-size, over-deep, too many elements) → UnsafeResponse,
 *     whatever the status; a 2xx that is not XML → UnsafeResponse('malformed'); a 2xx XML that
 *     is not a SOAP envelope → ContractViolation 'response'.
 * Documents (README, "SOAP documents"): an operation whose output can hold one (base64Binary, XOP,
 * SwA, swaRef) puts each into the document sink and carries its DocumentHandle instead
 * (response-parts.ts). Its response is streamed (connectors/http/stream.ts), so a multipart
 * answer never sits whole in memory and, without a sink, is refused before a byte of a document
 * is read. A multipart/related answer to any other operation is read too (CXF with MTOM on
 * wraps every answer so), within the XML limit.
 * An input document (a Buffer or a DocumentHandle in a base64Binary field) is sent as an MTOM
 * part when the provider file sets `soap.mtom`, else inline (mtom-request.ts).
 * WS-Security envelopes are rebuilt per attempt (fresh Timestamp and Nonce: servers refuse
 * replays); plain envelopes are built once per call. When the hub traces, a call is a span
 * (connectors/tracing.ts); the W3C `traceparent` header goes only to a provider whose file sets
 * `tracing.propagate`.
 */
import type { ProviderDefinition } from '../../contracts/types';
import { createAjv, pointErrors } from '../../contracts/index';
import type { CallContext, CallRecord, CallResult, Connector, Environment, OperationInfo } from '../connector';
import { ContractViolation, faultCodeOf, isConnectorError, ProviderFault, UnsafeResponse, type CallMeta, type ConnectorErrorCode } from '../errors';
import type { LoadedProvider } from '../provider-files';
import { HttpClient, sharedHttpClient, type TlsOptions } from '../http/client';
import { requestStream, type StreamedResponse } from '../http/stream';
import { DEFAULT_MAX_DOCUMENT_BYTES, type DocumentSink, type DocumentSource } from '../documents';
import { capturedBodies, reportCall, wantsBodies } from '../observe';
import { attemptEvent, endCallSpan, injectTrace, startCallSpan } from '../tracing';
import type { Span } from '@opentelemetry/api';
import { createPolicy, type EffectivePolicy, type ProviderPolicy } from '../resilience';
import { DEFAULT_XML_LIMITS, parseXml, type XmlLimits } from '../xml/parse';
import { buildEnvelope, splitEnvelope } from './envelope';
import { faultToError, readFault } from './fault';
import { serviceSchemas } from './json-schema';
import type { ServiceModel } from './model';
import { compileOperation, type CompiledOperation, type OperationSchemas } from './operation';
import { resolveSecurity, secureEnvelope, type WsSecuritySettings } from './security';
import { messageId } from './xroad';
import { parseMediaType } from './multipart';
import { inlineDocuments, mtomRequest, OutgoingBinaries, schemaView, type MtomRequest } from './mtom-request';
import { RelatedParts, settleDocuments, type DocumentContext } from './response-parts';

export interface SoapProvider {
  definition: ProviderDefinition;
  model: ServiceModel;
  /** Input and output JSON Schemas by operation name (contracts/providers/<code>/operations/…); generated from the model when absent. */
  schemas?: Record<string, OperationSchemas>;
  /**
   * Operations the integration engineer marked idempotent (a read, safe to retry without an
   * idempotency key). SOAP operations are imported as non-idempotent.
   */
  idempotent?: ReadonlySet<string>;
}

/** A provider as connectors/provider-files.ts loads it, or given directly. */
export type SoapProviderSource = SoapProvider | LoadedProvider;

function normalise(p: SoapProviderSource): SoapProvider {
  if (!('dir' in p)) return p;
  if (!p.model) throw new Error(`provider ${p.definition.code} is not a SOAP provider with a WSDL contract`);
  const schemas: Record<string, OperationSchemas> = {};
  const idempotent = new Set<string>();
  for (const [name, op] of Object.entries(p.operations)) {
    schemas[name] = { input: op.inputSchema, output: op.outputSchema };
    if (op.idempotent) idempotent.add(name);
  }
  return { definition: p.definition, model: p.model, schemas, idempotent };
}

export interface SoapConnectorOptions {
  http?: HttpClient;
  /** A policy shared with other connectors of the same provider; by default one is created from the provider file. */
  policy?: ProviderPolicy;
  /** Reads a secret by variable name (connectors/secrets.ts by default). */
  readSecret?: (envName: string) => string;
  /** SOAP fault codes (local name, exact, or a RegExp) that are transient whatever the HTTP status. */
  transientFaultCodes?: ReadonlyArray<string | RegExp>;
  /** Overrides the environment's endpoint (tests, `wasl provider call --endpoint`). */
  endpoint?: string;
  /**
   * Where documents go and come from. Without a sink, a response part holding a document is
   * refused (UnsafeResponse 'attachment') and inline base64 stays text; without a source, a
   * DocumentHandle cannot be sent.
   */
  documents?: { sink?: DocumentSink; source?: DocumentSource };
}

/** A response as read: its status and content type, and its body buffered or streamed. */
interface Answer {
  status: number;
  contentType: string | undefined;
  body?: Buffer;
  streamed?: StreamedResponse;
}

/** Most parts a multipart answer may have; with the per-part limits it bounds a streamed answer. */
const MAX_PARTS = 100;

interface CallState {
  startedAt: number;
  t0: number;
  attempts: number;
  /** HTTP status of the last attempt that got a response. */
  status?: number;
  requestBytes: number;
  responseBytes: number;
  bodies?: CallRecord['bodies'];
  /** The call's span, when the hub traces (connectors/tracing.ts). */
  span?: Span;
}

interface AttemptOutcome {
  output: unknown;
  soapHeaders?: Record<string, unknown>;
  status: number;
}

export class SoapConnector implements Connector {
  readonly provider: string;
  readonly environment: Environment;
  readonly endpoint: string;
  private readonly ops = new Map<string, CompiledOperation>();
  private readonly http: HttpClient;
  private readonly policy: ProviderPolicy;
  private readonly limits: XmlLimits;
  private readonly tls?: TlsOptions;
  private readonly ws?: WsSecuritySettings;
  private readonly definition: ProviderDefinition;
  private readonly transientFaultCodes?: ReadonlyArray<string | RegExp>;
  private readonly sink?: DocumentSink;
  private readonly source?: DocumentSource;
  private readonly documentBytes: number;
  private readonly mtom: boolean;
  /** Whether responses that may hold documents are streamed: not through a client that intercepts request() (the recorder keeps what it sees). */
  private readonly streams: boolean;

  constructor(source: SoapProviderSource, environment: Environment = 'sandbox', opts: SoapConnectorOptions = {}) {
    const provider = normalise(source);
    const def = provider.definition;
    this.definition = def;
    this.provider = def.code;
    this.environment = environment;
    const env = def.environments[environment];
    if (!env) throw new Error(`provider ${def.code} has no ${environment} environment`);
    this.endpoint = opts.endpoint ?? env.endpoint;
    this.http = opts.http ?? sharedHttpClient;
    this.policy = opts.policy ?? createPolicy(def.code, def.resilience);
    this.limits = { ...DEFAULT_XML_LIMITS, ...def.xml };
    this.transientFaultCodes = opts.transientFaultCodes;
    this.sink = opts.documents?.sink;
    this.source = opts.documents?.source;
    this.documentBytes = def.documents?.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    this.mtom = def.soap?.mtom === true;
    this.streams = this.http.request === HttpClient.prototype.request;
    // The environment's security replaces the provider's (sandbox simulators rarely sign).
    const sec = resolveSecurity(env.security ?? def.security, opts.readSecret);
    this.tls = sec.tls;
    this.ws = sec.wsSecurity;
    const ajv = createAjv();
    const all = provider.schemas ?? serviceSchemas(provider.model).operations;
    for (const op of Object.values(provider.model.operations)) {
      const schemas = all[op.name];
      if (!schemas) throw new Error(`provider ${def.code}: no JSON Schemas for operation ${op.name}`);
      let compiled: CompiledOperation;
      try {
        compiled = compileOperation(provider.model, op, schemas, ajv, { xroad: def.xroad, authHeaders: sec.httpHeaders, idempotent: provider.idempotent?.has(op.name) ?? false });
      } catch (err) {
        // A pattern the linear-time engine refuses (contracts/linear-regexp.ts) names itself, not where it is.
        throw new Error(`provider ${def.code}, operation ${op.name}: its schemas do not compile: ${(err as Error).message}`, { cause: err });
      }
      this.ops.set(op.name, compiled);
    }
  }

  operations(): OperationInfo[] {
    return [...this.ops.values()].map((o) => o.info);
  }

  async call<O = unknown>(operation: string, input: unknown, ctx: CallContext = {}): Promise<CallResult<O>> {
    // Per-call state lives in one object and the reporting in a method: under tsx every named
    // closure costs a defineProperty per call (esbuild keepNames), which shows at 4,000 calls/s.
    const st: CallState = { startedAt: Date.now(), t0: performance.now(), attempts: 0, requestBytes: 0, responseBytes: 0 };
    const span = startCallSpan('soap', this.provider, operation, this.endpoint, ctx.orderId);
    if (span) st.span = span;
    const op = this.ops.get(operation);
    try {
      if (!op) throw new ContractViolation('request', [{ pointer: '', message: 'unknown operation' }]);
      // Buffers have no JSON form: the schema sees them as base64 text, the encoder as bytes.
      if (!op.validateInput(op.binaryInput ? schemaView(input) : input)) {
        throw new ContractViolation(
          'request',
          pointErrors(op.validateInput.errors).map((e) => ({ pointer: e.pointer, message: e.message })),
        );
      }
      const id = messageId(ctx);
      // X-Road values from the provider file and the call win over soapHeaders given for the same parts.
      let headerValues: Record<string, unknown> = ctx.soapHeaders ?? {};
      if (op.xroad) {
        const x = op.xroad.build(ctx, id);
        if (ctx.soapHeaders) {
          headerValues = { ...ctx.soapHeaders };
          for (const k in x) headerValues[k] = x[k];
        } else headerValues = x;
      }
      const header = op.headers.headers(headerValues);
      const binaries = op.binaryInput ? new OutgoingBinaries(this.mtom) : undefined;
      let body = op.body.body(input, binaries);
      if (binaries?.inline.length) body = await inlineDocuments(body, binaries, this.source, this.documentBytes);
      const mtomParts = binaries?.parts.length ? binaries : undefined;
      const ws = this.ws;
      const plain = ws ? undefined : buildEnvelope(op.template, header, body);
      // An MTOM request reads its documents once; only WS-Security makes each attempt's envelope new.
      let plainMtom: MtomRequest | undefined;
      if (plain !== undefined && mtomParts) plainMtom = await mtomRequest(plain, mtomParts, op.template.version, op.model.soapAction, this.source, this.documentBytes);
      let httpHeaders = op.httpHeaders;
      if (ctx.headers || (ctx.idempotencyKey && !op.xroadId)) {
        httpHeaders = { ...httpHeaders, ...ctx.headers };
        if (ctx.idempotencyKey && !op.xroadId) httpHeaders['Idempotency-Key'] = ctx.idempotencyKey;
      }
      // The trace context only where the provider file asks for it: some SOAP stacks refuse unknown headers.
      if (span && this.definition.tracing?.propagate === true) {
        httpHeaders = { ...httpHeaders };
        injectTrace(span, httpHeaders);
      }
      const result = await this.policy.execute(
        { operation, endpoint: this.endpoint, idempotent: op.info.idempotent, idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
        async (n, eff) => {
          st.attempts = n;
          attemptEvent(st.span, n);
          const envelope = plain ?? secureEnvelope(ws!, op.template, header, body);
          const multipart = plainMtom ?? (mtomParts ? await mtomRequest(envelope, mtomParts, op.template.version, op.model.soapAction, this.source, this.documentBytes) : undefined);
          const request = {
            url: this.endpoint,
            method: 'POST',
            headers: multipart ? { ...httpHeaders, 'Content-Type': multipart.contentType } : httpHeaders,
            body: multipart ? multipart.body : envelope,
            connectTimeoutMs: eff.connectTimeoutMs,
            timeoutMs: eff.timeoutMs,
            tls: this.tls,
            signal: ctx.signal,
          };
          // The envelope before WS-Security: the audit keeps what was asked, not the password digest (nor the documents' bytes).
          const asked = () => plain ?? buildEnvelope(op.template, header, body);
          if (op.binaryOutput && this.streams) {
            // A document may come: the body streams, each part into the sink, never whole in memory.
            const res = await requestStream(this.http, request);
            st.status = res.status;
            st.requestBytes = res.bytesSent;
            try {
              return await this.readAnswer(op, { status: res.status, contentType: headerOf(res.headers['content-type']), streamed: res }, eff, ctx, (root) => {
                if (wantsBodies(this.provider)) st.bodies = capturedBodies(asked(), root);
              });
            } finally {
              st.responseBytes = res.bytesReceived;
            }
          }
          const res = await this.http.request({ ...request, maxResponseBytes: this.limits.maxBytes });
          st.status = res.status;
          st.requestBytes = res.bytesSent;
          st.responseBytes = res.bytesReceived;
          if (wantsBodies(this.provider)) st.bodies = capturedBodies(asked(), res.body);
          const contentType = headerOf(res.headers['content-type']);
          // The common answer — one envelope, no document possible — is read without a promise.
          if (!op.binaryOutput && parseMediaType(contentType)?.type !== 'multipart/related') return this.read(op, res.status, res.body, eff, true);
          return this.readAnswer(op, { status: res.status, contentType, body: res.body }, eff, ctx);
        },
      );
      st.attempts = result.attempts;
      this.report(operation, ctx, st, 'success', result.durationMs);
      return {
        output: result.value.output as O,
        soapHeaders: result.value.soapHeaders,
        status: result.value.status,
        attempts: result.attempts,
        durationMs: result.durationMs,
      };
    } catch (err) {
      const durationMs = performance.now() - st.t0;
      if (isConnectorError(err)) {
        // The policy stamps attempts and duration on what it throws; errors from before it ran get them here.
        st.attempts = Math.max(st.attempts, err.attempt);
        err.at({ provider: this.provider, operation, attempt: Math.max(st.attempts, 1), durationMs: Math.max(err.durationMs, durationMs) });
        this.report(operation, ctx, st, err.code, err.durationMs, faultCodeOf(err));
      } else this.report(operation, ctx, st, 'transport' satisfies ConnectorErrorCode, durationMs);
      throw err;
    }
  }

  private report(operation: string, ctx: CallContext, st: CallState, outcome: CallRecord['outcome'], durationMs: number, faultCode?: string): void {
    endCallSpan(st.span, { outcome, ...(faultCode ? { faultCode } : {}), ...(st.status !== undefined ? { status: st.status } : {}), attempts: st.attempts, durationMs });
    reportCall({
      provider: this.provider,
      operation,
      endpoint: this.endpoint,
      orderId: ctx.orderId,
      outcome,
      ...(faultCode ? { faultCode } : {}),
      status: st.status,
      attempts: st.attempts,
      durationMs,
      requestBytes: st.requestBytes,
      responseBytes: st.responseBytes,
      startedAt: new Date(st.startedAt).toISOString(),
      ...(st.bodies ? { bodies: st.bodies } : {}),
    });
  }

  /**
   * A response that may hold documents or be multipart: the envelope (the root part of a
   * multipart one) read as `read` does, then its documents settled, then the output validated.
   */
  private async readAnswer(op: CompiledOperation, a: Answer, eff: EffectivePolicy, ctx: CallContext, sawRoot?: (root: Buffer) => void): Promise<AttemptOutcome> {
    const media = parseMediaType(a.contentType);
    const docs: DocumentContext = { sink: this.sink, maxBytes: this.documentBytes, origin: { provider: this.provider, operation: op.name, ...(ctx.orderId ? { orderId: ctx.orderId } : {}), ...(ctx.service ? { service: ctx.service } : {}) } };
    if (media?.type !== 'multipart/related') {
      const body = a.body ?? (await a.streamed!.buffer(this.limits.maxBytes));
      sawRoot?.(body);
      const outcome = this.read(op, a.status, body, eff, false);
      await settleDocuments(outcome.output, undefined, docs);
      return this.validated(op, outcome);
    }
    if (!media.params.boundary) {
      a.streamed?.discard();
      throw new UnsafeResponse('malformed', 'a multipart response without a boundary');
    }
    // Parts are bounded one by one (the root by the XML limit, each document by documents.maxBytes) and in number.
    const source = a.body ? [a.body] : a.streamed!.body(this.limits.maxBytes + MAX_PARTS * (this.documentBytes + 16 * 1024), () => new UnsafeResponse('size', 'multipart response over its part limits'));
    const parts = new RelatedParts(source, media);
    try {
      const root = await parts.root(this.limits.maxBytes);
      sawRoot?.(root);
      const outcome = this.read(op, a.status, root, eff, false);
      await settleDocuments(outcome.output, parts, docs);
      return this.validated(op, outcome);
    } finally {
      await parts.close();
    }
  }

  /** One envelope, read per the rules in the header comment; validated unless documents are still to be put in place. */
  private read(op: CompiledOperation, status: number, body: Buffer, eff: EffectivePolicy, validate: boolean): AttemptOutcome {
    const ok = status >= 200 && status < 300;
    const meta: CallMeta = { provider: this.provider, operation: op.name, attempt: 1, durationMs: 0 };
    if (body.length === 0) {
      if (ok && op.model.oneWay) return { output: {}, status };
      if (ok) throw new ContractViolation('response', [{ pointer: '', message: 'empty response' }], meta);
      throw this.statusFault(status, eff, meta);
    }
    let root;
    try {
      root = parseXml(body, this.limits);
    } catch (err) {
      // A hostile document is reported as such whatever the status; a proxy's HTML error page is just the status.
      if (!ok && err instanceof UnsafeResponse && err.limit === 'malformed') throw this.statusFault(status, eff, meta);
      throw err;
    }
    let env;
    try {
      env = splitEnvelope(root);
    } catch (err) {
      if (!ok) throw this.statusFault(status, eff, meta);
      throw err;
    }
    if (env.fault) {
      throw faultToError(readFault(env.fault, env.version), {
        status,
        errors: this.definition.errors,
        retryStatuses: eff.retry.statuses,
        transientFaultCodes: this.transientFaultCodes,
        meta,
      });
    }
    if (!ok) throw this.statusFault(status, eff, meta);
    const output = op.output.body(env.parts, [root, env.body]);
    const soapHeaders = op.outputHeaders.headers(env.header, [root]);
    const outcome = { output, soapHeaders, status };
    return validate ? this.validated(op, outcome) : outcome;
  }

  private validated(op: CompiledOperation, outcome: AttemptOutcome): AttemptOutcome {
    if (!op.validateOutput(outcome.output)) {
      const meta: CallMeta = { provider: this.provider, operation: op.name, attempt: 1, durationMs: 0 };
      throw new ContractViolation(
        'response',
        pointErrors(op.validateOutput.errors).map((e) => ({ pointer: e.pointer, message: e.message })),
        meta,
      );
    }
    return outcome;
  }

  private statusFault(status: number, eff: EffectivePolicy, meta: CallMeta): ProviderFault {
    return new ProviderFault({ status, transient: eff.retry.statuses.includes(status) }, meta);
  }

  async close(): Promise<void> {
    // The HTTP client is shared by every connector: closing one connector must not cut the others' sockets.
    if (this.http !== sharedHttpClient) await this.http.close();
  }
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

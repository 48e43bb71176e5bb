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
import { sharedHttpClient, type HttpClient, type HttpResponse, type TlsOptions } from '../http/client';
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
}

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
      if (!op.validateInput(input)) {
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
      const body = op.body.body(input);
      const ws = this.ws;
      const plain = ws ? undefined : buildEnvelope(op.template, header, body);
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
          const res = await this.http.request({
            url: this.endpoint,
            method: 'POST',
            headers: httpHeaders,
            body: plain ?? secureEnvelope(ws!, op.template, header, body),
            connectTimeoutMs: eff.connectTimeoutMs,
            timeoutMs: eff.timeoutMs,
            maxResponseBytes: this.limits.maxBytes,
            tls: this.tls,
            signal: ctx.signal,
          });
          st.status = res.status;
          st.requestBytes = res.bytesSent;
          st.responseBytes = res.bytesReceived;
          // The envelope before WS-Security: the audit keeps what was asked, not the password digest.
          if (wantsBodies(this.provider)) st.bodies = capturedBodies(plain ?? buildEnvelope(op.template, header, body), res.body);
          return this.read(op, res, eff);
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

  /** One response, read per the rules in the header comment. */
  private read(op: CompiledOperation, res: HttpResponse, eff: EffectivePolicy): AttemptOutcome {
    const ok = res.status >= 200 && res.status < 300;
    const meta: CallMeta = { provider: this.provider, operation: op.name, attempt: 1, durationMs: 0 };
    if (res.body.length === 0) {
      if (ok && op.model.oneWay) return { output: {}, status: res.status };
      if (ok) throw new ContractViolation('response', [{ pointer: '', message: 'empty response' }], meta);
      throw this.statusFault(res.status, eff, meta);
    }
    let root;
    try {
      root = parseXml(res.body, this.limits);
    } catch (err) {
      // A hostile document is reported as such whatever the status; a proxy's HTML error page is just the status.
      if (!ok && err instanceof UnsafeResponse && err.limit === 'malformed') throw this.statusFault(res.status, eff, meta);
      throw err;
    }
    let env;
    try {
      env = splitEnvelope(root);
    } catch (err) {
      if (!ok) throw this.statusFault(res.status, eff, meta);
      throw err;
    }
    if (env.fault) {
      throw faultToError(readFault(env.fault, env.version), {
        status: res.status,
        errors: this.definition.errors,
        retryStatuses: eff.retry.statuses,
        transientFaultCodes: this.transientFaultCodes,
        meta,
      });
    }
    if (!ok) throw this.statusFault(res.status, eff, meta);
    const output = op.output.body(env.parts, [root, env.body]);
    const soapHeaders = op.outputHeaders.headers(env.header, [root]);
    if (!op.validateOutput(output)) {
      throw new ContractViolation(
        'response',
        pointErrors(op.validateOutput.errors).map((e) => ({ pointer: e.pointer, message: e.message })),
        meta,
      );
    }
    return { output, soapHeaders, status: res.status };
  }

  private statusFault(status: number, eff: EffectivePolicy, meta: CallMeta): ProviderFault {
    return new ProviderFault({ status, transient: eff.retry.statuses.includes(status) }, meta);
  }

  async close(): Promise<void> {
    // The HTTP client is shared by every connector: closing one connector must not cut the others' sockets.
    if (this.http !== sharedHttpClient) await this.http.close();
  }
}

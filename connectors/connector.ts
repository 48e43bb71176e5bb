/**
 * What every connector is: a typed client of one provider's contract. It knows nothing of
 * Node-RED or the bus; a node or a test calls `call()` with JSON that matches the operation's
 * input schema and gets JSON that matches its output schema, or a ConnectorError.
 */
import type { ConnectorErrorCode } from './errors';

export type Environment = 'sandbox' | 'production';

export interface CallContext {
  /** The order the call is for: carried into logs, headers (X-Road `issue`) and the journal. */
  orderId?: string;
  /** The order's service: on the documents the answer carries, whose retention is the service's. */
  service?: string;
  /**
   * Makes a non-idempotent call (every SOAP call, REST POST/PATCH) safe to retry: sent to the
   * provider (header `Idempotency-Key`, or X-Road `id`) and required by the retry policy.
   */
  idempotencyKey?: string;
  /** Who the call is made for (X-Road `userId`): a channel or an operator, never a citizen. */
  userId?: string;
  /** SOAP header values, by header part name (e.g. X-Road client, service, protocolVersion). */
  soapHeaders?: Record<string, unknown>;
  /** Extra HTTP headers for this call. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The context of a call that changes something at the provider (an invoice, a refund, a
 * shipment): the order it is for, and the idempotency key that makes a retry — or a redelivered
 * message — return the first call's result instead of acting twice.
 */
export interface KeyedCallContext {
  orderId: string;
  idempotencyKey: string;
}

export interface CallResult<O = unknown> {
  output: O;
  /** The SOAP response headers decoded, when any. */
  soapHeaders?: Record<string, unknown>;
  status: number;
  attempts: number;
  durationMs: number;
}

/** One record per call, as X-Road's operational monitoring keeps per request. */
export interface CallRecord {
  provider: string;
  operation: string;
  endpoint: string;
  orderId?: string;
  outcome: 'success' | ConnectorErrorCode;
  /** The provider's own code for a fault or a refusal (SOAP fault code, REST error code), when it gave one. */
  faultCode?: string;
  /** HTTP status of the last attempt, when one was received. */
  status?: number;
  attempts: number;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  startedAt: string;
  /**
   * The last attempt's bodies as exchanged (SOAP before WS-Security, so no password digest), only
   * for providers named to captureBodies (./observe.ts); whoever keeps them must encrypt them.
   */
  bodies?: { request?: string; response?: string };
}

export type CallObserver = (record: CallRecord) => void;

export interface OperationInfo {
  name: string;
  description?: string;
  /** JSON Schemas of the operation's input and output (files under contracts/providers/<code>/). */
  inputSchema: object;
  outputSchema: object;
  /** For REST: method and path template; for SOAP: SOAPAction and style. */
  binding: Record<string, unknown>;
  /** Safe to repeat without an idempotency key (GET, HEAD, PUT, DELETE, OPTIONS). */
  idempotent: boolean;
}

export interface Connector {
  readonly provider: string;
  readonly environment: Environment;
  operations(): OperationInfo[];
  call<O = unknown>(operation: string, input: unknown, ctx?: CallContext): Promise<CallResult<O>>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/** A provider's operations as its generated types.ts declares them: name → `{ input, output }`. */
export type OperationTypes<Ops> = { [K in keyof Ops]: { input: unknown; output: unknown } };

/**
 * A connector seen through a provider's generated types (`<Code>Operations` in
 * contracts/providers/<code>/types.ts): operation names, inputs and outputs checked by the
 * compiler. The connector still checks every input and every output against the operation's JSON
 * Schemas at run time (a mismatch is a contract-violation); the types describe what those checks
 * let through.
 */
export interface TypedConnector<Ops extends OperationTypes<Ops>> {
  readonly provider: string;
  call<K extends keyof Ops & string>(operation: K, input: Ops[K]['input'], ctx?: CallContext): Promise<Ops[K]['output']>;
}

export function typed<Ops extends OperationTypes<Ops>>(connector: Connector): TypedConnector<Ops> {
  return {
    provider: connector.provider,
    async call<K extends keyof Ops & string>(operation: K, input: Ops[K]['input'], ctx?: CallContext): Promise<Ops[K]['output']> {
      return (await connector.call<Ops[K]['output']>(operation, input, ctx)).output;
    },
  };
}

/**
 * Connector errors: a typed tree with stable codes. Every error names the provider and the
 * operation, the attempt count and the time spent; none carries citizens' data or credentials
 * in its message — provider texts are kept apart in `providerMessage`, never logged by default.
 *
 *   ConnectorError
 *   ├── TransportError        connection refused/reset, DNS, TLS (retryable)
 *   ├── TimeoutError          connect or total timeout (retryable)
 *   ├── CircuitOpenError      the breaker for the endpoint is open; nothing was sent
 *   ├── BulkheadRejectedError the provider's concurrency limit and queue are full; nothing was sent
 *   ├── RateLimitedError      the provider's rate limit is reached; nothing was sent
 *   ├── ProviderFault         a SOAP fault or an HTTP error status, with the provider's code
 *   ├── BusinessRefusal       the provider refused on the merits (person not found, record
 *   │                         sealed…), mapped from its own codes by configuration; never retried
 *   ├── ContractViolation     the response (or our request) does not match the contract
 *   └── UnsafeResponse        the response broke a safety limit: DTD/entities, size, depth, count
 */

export type ConnectorErrorCode =
  | 'transport'
  | 'timeout'
  | 'circuit-open'
  | 'bulkhead-rejected'
  | 'rate-limited'
  | 'provider-fault'
  | 'business-refusal'
  | 'contract-violation'
  | 'unsafe-response';

export interface CallMeta {
  provider: string;
  operation: string;
  /** 1 for the first try. */
  attempt: number;
  /** Milliseconds from the first try to the error. */
  durationMs: number;
}

export interface ConnectorErrorOptions extends Partial<CallMeta> {
  cause?: unknown;
}

export abstract class ConnectorError extends Error {
  abstract readonly code: ConnectorErrorCode;
  /** Whether trying again later may succeed (the policy still decides whether it may retry). */
  abstract readonly transient: boolean;
  provider: string;
  operation: string;
  attempt: number;
  durationMs: number;

  constructor(message: string, opts: ConnectorErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.provider = opts.provider ?? '';
    this.operation = opts.operation ?? '';
    this.attempt = opts.attempt ?? 1;
    this.durationMs = opts.durationMs ?? 0;
  }

  /** Fills in where and how long, once the call is over. */
  at(meta: CallMeta): this {
    Object.assign(this, meta);
    return this;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, provider: this.provider, operation: this.operation, attempt: this.attempt, durationMs: this.durationMs };
  }
}

export class TransportError extends ConnectorError {
  readonly code = 'transport' as const;
  readonly transient = true;
  /** e.g. ECONNREFUSED, ECONNRESET, CERT_HAS_EXPIRED. */
  constructor(readonly errno: string, opts: ConnectorErrorOptions = {}) {
    super(`transport failure: ${errno}`, opts);
  }
}

export class TimeoutError extends ConnectorError {
  readonly code = 'timeout' as const;
  readonly transient = true;
  constructor(readonly phase: 'connect' | 'total', readonly timeoutMs: number, opts: ConnectorErrorOptions = {}) {
    super(`${phase} timeout after ${timeoutMs} ms`, opts);
  }
}

export class CircuitOpenError extends ConnectorError {
  readonly code = 'circuit-open' as const;
  readonly transient = true;
  constructor(readonly endpoint: string, opts: ConnectorErrorOptions = {}) {
    super(`circuit open for ${endpoint}`, opts);
  }
}

export class BulkheadRejectedError extends ConnectorError {
  readonly code = 'bulkhead-rejected' as const;
  readonly transient = true;
  constructor(opts: ConnectorErrorOptions = {}) {
    super('too many concurrent calls to the provider', opts);
  }
}

export class RateLimitedError extends ConnectorError {
  readonly code = 'rate-limited' as const;
  readonly transient = true;
  constructor(readonly retryAfterMs: number, opts: ConnectorErrorOptions = {}) {
    super(`provider rate limit reached; retry after ${retryAfterMs} ms`, opts);
  }
}

/** Which rule of the provider's `errors.rules` decided what a fault is (connectors/error-mapping.ts). */
export interface MatchedRule {
  /** Index in errors.rules. */
  index: number;
  kind: 'refusal' | 'transient' | 'permanent';
  /** The rule's criteria as written in the provider file (no reason, message or kind). */
  criteria: Record<string, unknown>;
}

export interface FaultDetail {
  /** HTTP status, when the fault came over HTTP. */
  status?: number;
  /** SOAP faultcode / Code/Value, or the provider's own error code from the body. */
  faultCode?: string;
  /** The provider's own text: may hold personal data, so never in `message` and never logged by default. */
  providerMessage?: string;
}

export class ProviderFault extends ConnectorError {
  readonly code = 'provider-fault' as const;
  readonly transient: boolean;
  readonly status?: number;
  readonly faultCode?: string;
  readonly providerMessage?: string;
  /** The errors.rules entry that made this fault transient or permanent; undefined when none matched. */
  declare rule?: MatchedRule;
  constructor(detail: FaultDetail & { transient: boolean }, opts: ConnectorErrorOptions = {}) {
    const faultCode = codeShaped(detail.faultCode);
    super(`provider fault${detail.status ? ` (HTTP ${detail.status})` : ''}${faultCode ? ` ${faultCode}` : ''}`, opts);
    this.transient = detail.transient;
    this.status = detail.status;
    this.faultCode = faultCode;
    this.providerMessage = detail.providerMessage;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, faultCode: this.faultCode };
  }
}

export class BusinessRefusal extends ConnectorError {
  readonly code = 'business-refusal' as const;
  readonly transient = false;
  /** wasl's reason code (e.g. person-not-found), from the provider's error mapping. */
  readonly reason: string;
  readonly providerCode: string;
  readonly providerMessage?: string;
  /** The errors.rules entry that mapped the fault to this refusal. */
  declare rule?: MatchedRule;
  /** wasl's own text for the reason, in Arabic and English (the rule's `message`), when the rule gives one: the citizen reads it. */
  declare text?: { ar: string; en: string };
  constructor(reason: string, providerCode: string, providerMessage?: string, opts: ConnectorErrorOptions = {}) {
    super(`refused by the provider: ${reason} (${providerCode})`, opts);
    this.reason = reason;
    this.providerCode = providerCode;
    this.providerMessage = providerMessage;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, providerCode: this.providerCode, ...(this.text ? { text: { ar: this.text.ar, en: this.text.en } } : {}) };
  }
}

export class ContractViolation extends ConnectorError {
  readonly code = 'contract-violation' as const;
  readonly transient = false;
  /** JSON pointers (into the decoded message) and what is wrong, never the values. */
  readonly violations: Array<{ pointer: string; message: string }>;
  constructor(readonly direction: 'request' | 'response', violations: Array<{ pointer: string; message: string }>, opts: ConnectorErrorOptions = {}) {
    super(`${direction} does not match the contract: ${violations.slice(0, 5).map((v) => `${v.pointer} ${v.message}`).join('; ')}`, opts);
    this.violations = violations;
  }
}

export class UnsafeResponse extends ConnectorError {
  readonly code = 'unsafe-response' as const;
  readonly transient = false;
  constructor(readonly limit: 'dtd' | 'entity' | 'size' | 'depth' | 'elements' | 'malformed' | 'document-size' | 'attachment', detail: string, opts: ConnectorErrorOptions = {}) {
    super(`unsafe or malformed response (${limit}): ${detail}`, opts);
  }
}

/**
 * A provider's code as messages, logs and operational records may repeat it: letters, digits and
 * `_ . : -`, up to 64 characters — or undefined. Anything else is text, and a broken or hostile
 * provider can put a citizen's record where its code belongs.
 */
export function codeShaped(code: string | undefined): string | undefined {
  return code !== undefined && /^[\p{L}\p{N}\p{M}_.:-]{1,64}$/u.test(code) ? code : undefined;
}

/** The provider's own code carried by a refusal or a fault, for the operational records. */
export function faultCodeOf(err: unknown): string | undefined {
  if (err instanceof BusinessRefusal) return err.providerCode;
  if (err instanceof ProviderFault) return err.faultCode;
  return undefined;
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError;
}

/** Every code, for the documentation test. */
export const CONNECTOR_ERROR_CODES: readonly ConnectorErrorCode[] = [
  'transport',
  'timeout',
  'circuit-open',
  'bulkhead-rejected',
  'rate-limited',
  'provider-fault',
  'business-refusal',
  'contract-violation',
  'unsafe-response',
];

/**
 * Reading the body of a payment or postal provider's callback (connectors/payment/,
 * connectors/postal/). The hub has verified its signature (hub/callbacks/signature.ts), so it
 * comes from the provider — but it is not held to the webhook's schema: a field left out is
 * reported as absent, never filled in (the payment desk confirms such a report with the
 * provider, hub/payments/matching.ts), and only what identifies the event is required.
 */

export class MalformedCallbackError extends Error {
  readonly code = 'malformed-callback';
  constructor(detail: string) {
    super(`malformed callback: ${detail}`);
  }
}

export type CallbackBody = Record<string, unknown>;

/** A non-empty string, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** A finite number, or undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** A JSON object, or an empty one for anything else. */
export const obj = (v: unknown): CallbackBody => (v && typeof v === 'object' && !Array.isArray(v) ? (v as CallbackBody) : {});

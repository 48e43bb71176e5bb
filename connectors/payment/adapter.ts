/**
 * What the hub's payment desk (hub/payments/desk.ts, reconcile.ts) asks of a payment company,
 * whatever its API: one life cycle — an invoice for an order, its status, a refund, the day's
 * settlements, and its callbacks parsed. Each company's contract is spoken by one adapter beside
 * this file, chosen by the `adapter` its provider file names (connectors/adapters.ts).
 *
 * Amounts are in the provider's units (Syrian pounds at home, minor units abroad), never
 * converted. What a provider states is passed on as stated, and what it leaves out stays absent:
 * the desk pays an order only when invoice, amount and currency are its invoice's
 * (hub/payments/matching.ts).
 */
import type { Order } from '../../contracts/types';
import type { KeyedCallContext } from '../connector';

export type PaymentState = 'pending' | 'paid' | 'failed' | 'expired' | 'refunded';

export interface Invoice {
  invoiceId: string;
  paymentUrl: string;
  amount: number;
  currency: string;
}

export interface PaymentStatus {
  state: PaymentState;
  transactionId?: string;
  paidAt?: string;
  /** As the provider states them; absent when it does not (never assumed: the desk compares them with the invoice). */
  amount?: number;
  currency?: string;
}

/**
 * A provider callback, parsed: what happened to which order's payment. The invoice, amount and
 * currency are what the body says, or absent: never filled in from elsewhere, since the desk pays
 * an order only when they are its invoice's (hub/payments/matching.ts).
 */
export interface PaymentEvent {
  eventId: string;
  type: string;
  kind: 'paid' | 'failed' | 'expired' | 'refunded' | 'other';
  orderId?: string;
  invoiceId?: string;
  transactionId?: string;
  amount?: number;
  currency?: string;
  occurredAt?: string;
}

/** One payment the provider settled (paid out to the merchant) on a day. */
export interface Settled {
  transactionId: string;
  invoiceId: string;
  orderId: string;
  amount: number;
  currency: string;
  settledAt: string;
}

export interface PaymentAdapter {
  readonly provider: string;
  /** An invoice (or payment intent) for the order: `amount` in the provider's units, payable until `expiresAt`, callbacks to `callbackUrl`. */
  createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, expiresAt: string, opts: KeyedCallContext): Promise<Invoice>;
  status(invoiceId: string, orderId: string): Promise<PaymentStatus>;
  refund(invoiceId: string, amount: number, reason: string, opts: KeyedCallContext): Promise<{ reference: string; amount: number }>;
  settlements(date: string): Promise<Settled[]>;
  /** A verified callback's body; throws MalformedCallbackError (connectors/callback-body.ts) when it does not say which event it is. */
  parseCallback(body: unknown): PaymentEvent;
}

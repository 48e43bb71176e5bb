/**
 * Adapter `intl-pay-intents`: an international payment company's payment-intent API (intl-pay) —
 * payment intents in minor units of USD or EUR (snake_case fields), refunds against an intent,
 * the day's payouts, and webhooks `payment_intent.*` and `charge.refunded`. Calls go through the
 * provider's connector, read through the types generated from its contract
 * (contracts/providers/intl-pay/types.ts).
 */
import type { Currency, IntlPayOperations, PaymentIntentRequest, PaymentIntentStatus } from '../../contracts/providers/intl-pay/types';
import type { Order } from '../../contracts/types';
import { MalformedCallbackError, num, obj, str } from '../callback-body';
import { typed, type Connector, type KeyedCallContext, type TypedConnector } from '../connector';
import type { Invoice, PaymentAdapter, PaymentEvent, PaymentState, PaymentStatus, Settled } from './adapter';

const STATES: Record<PaymentIntentStatus, PaymentState> = {
  requires_payment: 'pending',
  succeeded: 'paid',
  failed: 'failed',
  canceled: 'expired',
  refunded: 'refunded',
  partially_refunded: 'refunded',
};

const KINDS = new Map<string, PaymentEvent['kind']>([
  ['payment_intent.succeeded', 'paid'],
  ['payment_intent.payment_failed', 'failed'],
  ['charge.refunded', 'refunded'],
]);

export class IntlPayIntentAdapter implements PaymentAdapter {
  private readonly api: TypedConnector<IntlPayOperations>;

  constructor(
    readonly provider: string,
    connector: Connector,
  ) {
    this.api = typed<IntlPayOperations>(connector);
  }

  async createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, _expiresAt: string, opts: KeyedCallContext): Promise<Invoice> {
    const country = order.delivery.method === 'international-post' ? order.delivery.country : undefined;
    // USD or EUR only: another currency is refused by the connector's check of the input, before anything is sent.
    const body: PaymentIntentRequest = { amount_minor: amount, currency: currency as Currency, order_ref: order.id, description: `${order.service.code} ${order.id}`, notify_url: callbackUrl };
    if (country) body.customer_country = country;
    const o = await this.api.call('CreatePaymentIntent', { body }, { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey });
    return { invoiceId: o.id, paymentUrl: o.checkout_url, amount: o.amount_minor, currency: o.currency };
  }

  async status(invoiceId: string, orderId: string): Promise<PaymentStatus> {
    const o = await this.api.call('GetPaymentIntent', { path: { id: invoiceId } }, { orderId });
    const s: PaymentStatus = { state: STATES[o.status] ?? 'pending' };
    // Stated or absent, never assumed (a provider double that skips the contract check may leave them out).
    if (o.amount_minor !== undefined) s.amount = o.amount_minor;
    if (o.currency) s.currency = o.currency;
    if (o.status === 'succeeded') s.transactionId = o.id;
    if (o.captured_at) s.paidAt = o.captured_at;
    return s;
  }

  async refund(invoiceId: string, amount: number, _reason: string, opts: KeyedCallContext): Promise<{ reference: string; amount: number }> {
    const o = await this.api.call(
      'CreateRefund',
      { body: { payment_intent: invoiceId, amount_minor: amount, reason: 'service_not_provided' } },
      { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey },
    );
    return { reference: o.id, amount: o.amount_minor };
  }

  async settlements(date: string): Promise<Settled[]> {
    const o = await this.api.call('ListPayouts', { query: { date } });
    return o.data.map((i) => ({ transactionId: i.payment_intent, invoiceId: i.payment_intent, orderId: i.order_ref, amount: i.amount_minor, currency: i.currency, settledAt: i.settled_at }));
  }

  parseCallback(body: unknown): PaymentEvent {
    const b = obj(body);
    const eventId = str(b.id);
    const type = str(b.type);
    if (!eventId || !type) throw new MalformedCallbackError('id and type are required');
    const o = obj(obj(b.data).object);
    const kind = KINDS.get(type) ?? 'other';
    const e: PaymentEvent = { eventId, type, kind };
    const intent = type === 'charge.refunded' ? str(o.payment_intent) : str(o.id);
    if (intent) e.invoiceId = intent;
    if (str(o.order_ref)) e.orderId = str(o.order_ref)!;
    if (kind === 'paid' && intent) e.transactionId = intent;
    if (num(o.amount_minor) !== undefined) e.amount = num(o.amount_minor)!;
    if (str(o.currency)) e.currency = str(o.currency)!;
    // Unix seconds; one no Date can hold (1e308) is left out, and the desk takes the time of receipt.
    const created = num(b.created) !== undefined ? new Date(num(b.created)! * 1000) : undefined;
    if (created && !Number.isNaN(created.getTime())) e.occurredAt = created.toISOString();
    return e;
  }
}

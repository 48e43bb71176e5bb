/**
 * Adapter `sy-epay-invoices`: the national e-payment company's invoice API (sy-epay) — invoices
 * in Syrian pounds, refunds against an invoice, the day's settlements, and callbacks
 * `invoice.paid|declined|expired` and `refund.completed`. Calls go through the provider's
 * connector (retries, breaker, error mapping, the idempotency key of each POST), read through
 * the types generated from its contract (contracts/providers/sy-epay/types.ts).
 */
import type { Currency, InvoiceStatus, SyEpayOperations } from '../../contracts/providers/sy-epay/types';
import type { Order } from '../../contracts/types';
import { MalformedCallbackError, num, obj, str } from '../callback-body';
import { typed, type Connector, type KeyedCallContext, type TypedConnector } from '../connector';
import type { Invoice, PaymentAdapter, PaymentEvent, PaymentState, PaymentStatus, Settled } from './adapter';

const STATES: Record<InvoiceStatus, PaymentState> = { pending: 'pending', paid: 'paid', declined: 'failed', expired: 'expired', refunded: 'refunded' };

const KINDS = new Map<string, PaymentEvent['kind']>([
  ['invoice.paid', 'paid'],
  ['invoice.declined', 'failed'],
  ['invoice.expired', 'expired'],
  ['refund.completed', 'refunded'],
]);

export class SyEpayInvoiceAdapter implements PaymentAdapter {
  private readonly api: TypedConnector<SyEpayOperations>;

  constructor(
    readonly provider: string,
    connector: Connector,
  ) {
    this.api = typed<SyEpayOperations>(connector);
  }

  async createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, expiresAt: string, opts: KeyedCallContext): Promise<Invoice> {
    const o = await this.api.call(
      'CreateInvoice',
      // The contract takes pounds only: another currency is refused by the connector's check of the input, before anything is sent.
      { body: { merchantReference: order.id, amount, currency: currency as Currency, description: `${order.service.code} ${order.id}`, callbackUrl, expiresAt } },
      { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey },
    );
    return { invoiceId: o.invoiceId, paymentUrl: o.paymentUrl, amount: o.amount, currency: o.currency };
  }

  async status(invoiceId: string, orderId: string): Promise<PaymentStatus> {
    const o = await this.api.call('GetInvoice', { path: { invoiceId } }, { orderId });
    const s: PaymentStatus = { state: STATES[o.status] ?? 'pending' };
    // Stated or absent, never assumed (a provider double that skips the contract check may leave them out).
    if (o.amount !== undefined) s.amount = o.amount;
    if (o.currency) s.currency = o.currency;
    if (o.transactionId) s.transactionId = o.transactionId;
    if (o.paidAt) s.paidAt = o.paidAt;
    return s;
  }

  async refund(invoiceId: string, amount: number, reason: string, opts: KeyedCallContext): Promise<{ reference: string; amount: number }> {
    const o = await this.api.call('RefundInvoice', { path: { invoiceId }, body: { amount, reason } }, { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey });
    return { reference: o.refundId, amount: o.amount };
  }

  async settlements(date: string): Promise<Settled[]> {
    const o = await this.api.call('ListSettlements', { query: { date } });
    return o.items.map((i) => ({ transactionId: i.transactionId, invoiceId: i.invoiceId, orderId: i.merchantReference, amount: i.amount, currency: i.currency, settledAt: i.settledAt }));
  }

  parseCallback(body: unknown): PaymentEvent {
    const b = obj(body);
    const eventId = str(b.eventId);
    const type = str(b.type);
    if (!eventId || !type) throw new MalformedCallbackError('eventId and type are required');
    const e: PaymentEvent = { eventId, type, kind: KINDS.get(type) ?? 'other' };
    if (str(b.merchantReference)) e.orderId = str(b.merchantReference)!;
    if (str(b.invoiceId)) e.invoiceId = str(b.invoiceId)!;
    if (str(b.transactionId)) e.transactionId = str(b.transactionId)!;
    if (num(b.amount) !== undefined) e.amount = num(b.amount)!;
    if (str(b.currency)) e.currency = str(b.currency)!;
    if (str(b.occurredAt)) e.occurredAt = str(b.occurredAt)!;
    return e;
  }
}

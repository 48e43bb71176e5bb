/**
 * The payment desk: the life cycle of an order's payment, whichever company takes it.
 *
 * - request: an invoice (or payment intent) for the order's total — in pounds at home, in the
 *   settlement currency from abroad — created once per order (journaled step
 *   `payment.invoice`, the same idempotency key on every attempt), the order then
 *   awaiting-payment with the link, the amount and the deadline.
 * - callbacks (hub/callbacks/route.ts verified the signature): recorded once per provider event
 *   id; a repeat changes nothing. `paid` moves the order to paid and issues its numbered
 *   receipt in the same transaction. A payment for an order that is no longer waiting for one —
 *   paid already by another transaction, or cancelled at its deadline — is refunded and recorded
 *   (`paid-twice`, `late`), never counted twice; one for an order the hub does not know is
 *   recorded (`unknown-order`) for reconciliation.
 * - poll and deadline (watch(), one process at a time): an invoice with no callback is asked for
 *   its status; an order still unpaid at its deadline is cancelled — after asking the provider
 *   once more, so a payment whose callback was lost is not cancelled.
 * - refund: a paid order that ends rejected, failed or cancelled gets its money back (journaled
 *   step `payment.refund`), less what the international provider keeps, and becomes refunded.
 */
import type { Actor, Order, Payment, Receipt } from '../../contracts/types';
import type { Catalogue } from '../catalogue';
import { WaslError, isWaslError } from '../errors';
import type { Fulfilment } from '../fulfilment';
import { ownRequest, runStepOnce } from '../journal';
import type { Logger } from '../log';
import type { CallbackRecord, Store } from '../store';
import { ordersIn } from '../store/order-records';
import type { PaymentAdapter, PaymentEvent } from './adapters';

export const RECEIPT_LABELS: Receipt['labels'] = {
  number: { ar: 'رقم الوصل', en: 'Receipt number' },
  orderId: { ar: 'رقم الطلب', en: 'Order' },
  service: { ar: 'الخدمة', en: 'Service' },
  amount: { ar: 'المبلغ', en: 'Amount' },
  currency: { ar: 'العملة', en: 'Currency' },
  provider: { ar: 'جهة الدفع', en: 'Paid through' },
  providerReference: { ar: 'مرجع العملية', en: 'Transaction reference' },
  paidAt: { ar: 'تاريخ الدفع', en: 'Paid at' },
  issuedAt: { ar: 'تاريخ الإصدار', en: 'Issued at' },
};
const RECEIPT_TITLE = { ar: 'وصل دفع', en: 'Payment receipt' };

export interface PaymentDeskDeps {
  store: Store;
  catalogue: Catalogue;
  fulfilment: Fulfilment;
  adapters: Map<string, PaymentAdapter>;
  /** Provider names, for receipts. */
  providerNames: (code: string) => { ar: string; en: string };
  /** The hub's public base URL: providers call back at <base>/v1/callbacks/<provider>. */
  publicUrl: () => string;
  logger: Logger;
  now?: () => Date;
}

export type CallbackOutcome = 'applied' | 'duplicate' | 'already-applied' | 'unknown-order' | 'paid-twice' | 'late' | 'noted' | 'ignored';

const SYSTEM: Actor = { kind: 'system', id: 'payments' };

export class RefundWindowClosedError extends Error {
  readonly code = 'refund-window-closed';
  readonly transient = false;
  constructor(orderId: string, days: number) {
    super(`order ${orderId} was paid abroad more than ${days} days ago: the international provider no longer refunds it`);
    this.name = 'RefundWindowClosedError';
  }
}

/** The ledger type of a payment the hub found by asking the provider (no callback came). */
export const POLL_PAID = 'poll.paid';

export class PaymentDesk {
  private readonly now: () => Date;

  constructor(private readonly deps: PaymentDeskDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  adapter(provider: string): PaymentAdapter {
    const a = this.deps.adapters.get(provider);
    if (!a) throw new Error(`no payment adapter for provider ${provider}`);
    return a;
  }

  has(provider: string): boolean {
    return this.deps.adapters.has(provider);
  }

  /** Asks for the order's payment; the order becomes awaiting-payment (or is left as it is when it needs none or has it). */
  async request(orderId: string): Promise<Order> {
    const order = await this.mustGet(orderId);
    if (order.payment.status === 'not-required' || order.payment.method === 'cash-at-counter') return order;
    if (order.status !== 'received') return order;
    const provider = this.deps.fulfilment.paymentProvider(order.payment.method);
    if (!provider) return order;
    const adapter = this.adapter(provider);
    const settlement = order.fees.settlement;
    const amount = settlement ? settlement.amountMinor : order.fees.total;
    const currency = settlement ? settlement.currency : order.fees.currency;
    const deadline = new Date(this.now().getTime() + this.deps.fulfilment.deadlineMs).toISOString();
    const { value: invoice } = await runStepOnce(this.deps.store, order.id, 'payment.invoice', (c) =>
      adapter.createInvoice(order, amount, currency, `${this.deps.publicUrl()}/v1/callbacks/${provider}`, deadline, { idempotencyKey: c.idempotencyKey, orderId: order.id }),
    );
    const payment: Payment = { ...order.payment, status: 'pending', provider, invoiceId: invoice.invoiceId, paymentUrl: invoice.paymentUrl, amount: invoice.amount, currency: invoice.currency, deadline };
    return this.deps.store.transition(order.id, { to: 'awaiting-payment', actor: SYSTEM, patch: { payment } });
  }

  /** What a verified callback's event is recorded as (hub/payments/index.ts records it once). */
  static describe(event: PaymentEvent): Omit<CallbackRecord, 'provider' | 'outcome' | 'receivedAt'> {
    const record: Omit<CallbackRecord, 'provider' | 'outcome' | 'receivedAt'> = { eventId: event.eventId, type: event.type };
    if (event.orderId) record.orderId = event.orderId;
    const reference = event.transactionId ?? event.invoiceId;
    if (reference) record.reference = reference;
    if (event.amount !== undefined) record.amount = event.amount;
    if (event.currency) record.currency = event.currency;
    if (event.occurredAt) record.occurredAt = event.occurredAt;
    return record;
  }

  /** Applies a verified callback's event; returns what was done. */
  async apply(provider: string, e: PaymentEvent): Promise<CallbackOutcome> {
    const order = e.orderId ? await this.deps.store.getOrder(e.orderId) : undefined;
    if (!order) return 'unknown-order';
    if (order.payment.provider && order.payment.provider !== provider) return 'ignored';
    const actor: Actor = { kind: 'provider', id: provider };
    if (e.kind === 'paid') return this.paid(order, provider, e.invoiceId ?? order.payment.invoiceId ?? '', e.transactionId ?? e.invoiceId ?? '', e.occurredAt ?? this.now().toISOString(), e.amount, actor);
    if (e.kind === 'failed') {
      await this.deps.store.note(order.id, { event: 'payment.declined', actor, reason: { code: 'payment-declined' } });
      return 'noted';
    }
    if (e.kind === 'expired') {
      if (order.status === 'awaiting-payment') {
        await this.deps.store.transition(order.id, { to: 'cancelled', actor, reason: { code: 'payment-expired', message: { ar: 'انتهت مهلة الدفع', en: 'The payment was not made in time' } } });
        return 'applied';
      }
      return 'ignored';
    }
    if (e.kind === 'refunded') {
      await this.deps.store.note(order.id, { event: 'payment.refund-confirmed', actor });
      return 'noted';
    }
    return 'ignored';
  }

  /** A payment the provider says was made: counted once, whatever path reported it. */
  private async paid(order: Order, provider: string, invoiceId: string, transactionId: string, paidAt: string, amount: number | undefined, actor: Actor): Promise<CallbackOutcome> {
    if (order.payment.status === 'paid' || order.payment.status === 'refunded' || order.payment.receiptNumber) {
      if (order.payment.transactionId === transactionId || order.payment.invoiceId === invoiceId) return 'already-applied';
      // Another transaction for an order already paid: give that money back.
      await this.refundStray(order, provider, invoiceId, amount ?? order.payment.amount ?? 0, 'paid-twice', actor);
      return 'paid-twice';
    }
    if (order.status === 'received' && ownRequest(await this.deps.store.journalGet(order.id, 'payment.invoice'))) {
      // The hub asked for this payment and the provider answered, but the order has not yet
      // recorded it (a worker slow, or crashed between the two): the citizen paid on time. Not
      // late — the provider is asked to send the callback again, and by then the order waits for it.
      throw new WaslError('callback-early', { headers: { 'retry-after': '2' } });
    }
    if (order.status !== 'awaiting-payment') {
      // Cancelled at its deadline (or otherwise ended) before the payment came: refund it.
      await this.refundStray(order, provider, invoiceId, amount ?? order.payment.amount ?? 0, 'late', actor);
      return 'late';
    }
    const payment: Payment = { ...order.payment, status: 'paid', transactionId, paidAt };
    const receipt = this.receiptFor(order, provider, transactionId, paidAt, payment);
    try {
      await this.deps.store.transition(order.id, { to: 'paid', actor, patch: { payment }, receipt });
    } catch (err) {
      // Another path (a poll, a concurrent delivery) applied it first.
      if (isWaslError(err) && err.code === 'illegal-transition') return 'already-applied';
      throw err;
    }
    return 'applied';
  }

  private receiptFor(order: Order, provider: string, transactionId: string, paidAt: string, payment: Payment): Omit<Receipt, 'number'> {
    const service = this.deps.catalogue.get(order.service.code)?.definition.names ?? { ar: order.service.code, en: order.service.code };
    return {
      orderId: order.id,
      service: { code: order.service.code, names: service },
      amount: payment.amount ?? order.fees.total,
      currency: payment.currency ?? order.fees.currency,
      provider: { code: provider, names: this.deps.providerNames(provider) },
      providerReference: transactionId,
      paidAt,
      issuedAt: this.now().toISOString(),
      title: RECEIPT_TITLE,
      labels: RECEIPT_LABELS,
    };
  }

  /** Refunds a payment the order cannot use (late, or a second one); journaled per invoice. */
  private async refundStray(order: Order, provider: string, invoiceId: string, amount: number, why: 'late' | 'paid-twice', actor: Actor): Promise<void> {
    const adapter = this.adapter(provider);
    const { value } = await runStepOnce(this.deps.store, order.id, `payment.refund.${invoiceId}`, (c) => adapter.refund(invoiceId, amount, why, { idempotencyKey: c.idempotencyKey, orderId: order.id }));
    await this.deps.store.note(order.id, { event: `payment.${why}-refunded`, actor, reason: { code: why === 'late' ? 'payment-after-deadline' : 'paid-twice', message: { ar: `أعيد المبلغ (${value.reference})`, en: `Refunded (${value.reference})` } } });
  }

  /**
   * Gives a paid order's money back when it ends without its document (rejected, failed,
   * cancelled); the order becomes refunded. Idempotent: an order already refunded is returned.
   */
  async refund(orderId: string, reason = 'service-not-provided'): Promise<Order> {
    const order = await this.mustGet(orderId);
    if (order.status === 'refunded') return order;
    if (order.payment.status !== 'paid' || !order.payment.provider || !order.payment.invoiceId) return order;
    const adapter = this.adapter(order.payment.provider);
    const paid = order.payment.amount ?? order.fees.total;
    const intl = this.deps.fulfilment.config.payments.international;
    const abroad = order.payment.provider === intl.provider;
    if (abroad && order.payment.paidAt && Date.parse(order.payment.paidAt) + intl.refundWindowDays * 86_400_000 < this.now().getTime()) {
      // Past the international provider's window: no refund through it; an operator settles it
      // (the event is retried, then dead-lettered with this reason, where monitoring sees it).
      throw new RefundWindowClosedError(order.id, intl.refundWindowDays);
    }
    // The international provider keeps its processing fee; at home the whole fee is returned.
    const keepPercent = abroad ? intl.refundFeePercent : 0;
    const amount = Math.floor((paid * (100 - keepPercent)) / 100);
    const { value } = await runStepOnce(this.deps.store, order.id, 'payment.refund', (c) => adapter.refund(order.payment.invoiceId!, amount, reason, { idempotencyKey: c.idempotencyKey, orderId: order.id }));
    const payment: Payment = { ...order.payment, status: 'refunded', refund: { reference: value.reference, amount: value.amount, at: this.now().toISOString() } };
    return this.deps.store.transition(order.id, { to: 'refunded', actor: SYSTEM, patch: { payment }, reason: { code: reason } });
  }

  /**
   * One pass over the orders awaiting payment: asks the provider about those past `pollAfterMs`
   * without a callback, applies what it says, and cancels those unpaid at their deadline.
   */
  async watch(pollAfterMs = 30_000): Promise<{ polled: number; paid: number; cancelled: number }> {
    const out = { polled: 0, paid: 0, cancelled: 0 };
    const now = this.now().getTime();
    for await (const summary of ordersIn(this.deps.store, 'awaiting-payment')) {
      const order = await this.deps.store.getOrder(summary.id);
      const p = order?.payment;
      if (!order || !p?.provider || !p.invoiceId || order.status !== 'awaiting-payment') continue;
      const asked = Date.parse(order.updatedAt);
      const pastDeadline = p.deadline !== undefined && Date.parse(p.deadline) <= now;
      if (!pastDeadline && now - asked < pollAfterMs) continue;
      try {
        out.polled++;
        const status = await this.adapter(p.provider).status(p.invoiceId, order.id);
        if (status.state === 'paid') {
          const transactionId = status.transactionId ?? p.invoiceId;
          const r = await this.paid(order, p.provider, p.invoiceId, transactionId, status.paidAt ?? this.now().toISOString(), status.amount, { kind: 'system', id: 'payments-poll' });
          // The ledger reconciliation reads: a payment found by polling is recorded like a callback.
          await this.deps.store.recordCallback({ provider: p.provider, eventId: `poll:${transactionId}`, type: POLL_PAID, orderId: order.id, reference: transactionId, amount: status.amount, currency: status.currency, outcome: r, receivedAt: this.now().toISOString(), ...(status.paidAt ? { occurredAt: status.paidAt } : {}) });
          if (r === 'applied') out.paid++;
          continue;
        }
        if (pastDeadline || status.state === 'expired') {
          await this.deps.store.transition(order.id, { to: 'cancelled', actor: SYSTEM, reason: { code: 'payment-deadline', message: { ar: 'لم يُدفع الرسم ضمن المهلة', en: 'The fee was not paid by the deadline' } } });
          out.cancelled++;
        }
      } catch (err) {
        this.deps.logger.warn({ orderId: order.id, provider: p.provider, err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'payment status check failed; next pass tries again');
      }
    }
    return out;
  }

  private async mustGet(orderId: string): Promise<Order> {
    const order = await this.deps.store.getOrder(orderId);
    if (!order) throw new WaslError('order-not-found');
    return order;
  }
}

/**
 * The payment desk: the life cycle of an order's payment, whichever company takes it.
 *
 * - request: an invoice (or payment intent) for the order's total — in pounds at home, in the
 *   settlement currency from abroad — created once per order (journaled step
 *   `payment.invoice`, the same idempotency key on every attempt), the order then
 *   awaiting-payment with the link, the amount and the deadline.
 * - callbacks (hub/callbacks/route.ts verified the signature): recorded once per provider event
 *   id; a repeat changes nothing. `paid` moves the order to paid and issues its numbered
 *   receipt in the same transaction — only when its invoice, amount and currency are the order's
 *   invoice (./matching.ts). One that differs is an `anomaly`: not applied, the order left
 *   awaiting payment (a later correct payment, or the deadline, settles it), recorded with what
 *   was expected and received, noted on the timeline, logged and counted, and left to finance to
 *   refund or settle by hand (reconciliation and the dashboard list it). One that leaves a field
 *   out is `unconfirmed`: the provider is asked for the invoice's status at once, and that answer
 *   decides. A payment for an order that is no longer waiting for one —
 *   paid already by another transaction, or cancelled at its deadline — is refunded and recorded
 *   (`paid-twice`, `late`), never counted twice; one for an order the hub does not know is
 *   recorded (`unknown-order`) for reconciliation.
 * - poll and deadline (watch(), one process at a time): an invoice with no callback is asked for
 *   its status, held to the same check; an order still unpaid at its deadline is cancelled —
 *   after asking the provider once more, so a payment whose callback was lost is not cancelled
 *   (one that does not match the invoice is no payment of the fee: it is cancelled all the same).
 * - refund: a paid order that ends rejected, failed or cancelled gets its money back (journaled
 *   step `payment.refund`), less what the international provider keeps, and becomes refunded.
 */
import type { Actor, Order, Payment, Receipt } from '../../contracts/types';
import type { Catalogue } from '../catalogue';
import { WaslError, isWaslError } from '../errors';
import type { Fulfilment } from '../fulfilment';
import { ownRequest, runStepOnce } from '../journal';
import type { Logger } from '../log';
import type { CallbackRecord, CallbackStore, OrderStore, PaymentAnomaly, StepJournal } from '../store';
import { ordersIn } from '../store/order-records';
import type { PaymentAdapter, PaymentEvent } from '../../connectors/payment/adapter';
import { statedAmount } from '../money';
import { anomalyMessage, matchInvoice, reportAnomaly } from './matching';

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
  store: OrderStore & StepJournal & CallbackStore;
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

export type CallbackOutcome = 'applied' | 'duplicate' | 'already-applied' | 'unknown-order' | 'paid-twice' | 'late' | 'noted' | 'ignored' | 'anomaly' | 'unconfirmed';

/** What became of a provider's event, and, for an anomaly, what was expected and received. */
export interface Applied {
  outcome: CallbackOutcome;
  anomaly?: PaymentAnomaly;
}

/** A payment as a callback or a status answer reports it. */
interface PaidReport {
  invoiceId?: string | undefined;
  transactionId?: string | undefined;
  amount?: number | undefined;
  currency?: string | undefined;
  paidAt?: string | undefined;
}

const SYSTEM: Actor = { kind: 'system', id: 'payments' };
const POLL: Actor = { kind: 'system', id: 'payments-poll' };

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
  async apply(provider: string, e: PaymentEvent): Promise<Applied> {
    const order = e.orderId ? await this.deps.store.getOrder(e.orderId) : undefined;
    if (!order) return { outcome: 'unknown-order' };
    if (order.payment.provider && order.payment.provider !== provider) return { outcome: 'ignored' };
    const actor: Actor = { kind: 'provider', id: provider };
    if (e.kind === 'paid') {
      const r = await this.paid(order, provider, { invoiceId: e.invoiceId, transactionId: e.transactionId ?? e.invoiceId, amount: e.amount, currency: e.currency, paidAt: e.occurredAt }, actor, false);
      // Signed but silent on what was paid: the provider's own record of the invoice says it.
      if (r.outcome === 'unconfirmed') await this.confirm(order.id);
      return r;
    }
    if (e.kind === 'failed') {
      await this.deps.store.note(order.id, { event: 'payment.declined', actor, reason: { code: 'payment-declined' } });
      return { outcome: 'noted' };
    }
    if (e.kind === 'expired') {
      if (order.status === 'awaiting-payment') {
        await this.deps.store.transition(order.id, { to: 'cancelled', actor, reason: { code: 'payment-expired', message: { ar: 'انتهت مهلة الدفع', en: 'The payment was not made in time' } } });
        return { outcome: 'applied' };
      }
      return { outcome: 'ignored' };
    }
    if (e.kind === 'refunded') {
      await this.deps.store.note(order.id, { event: 'payment.refund-confirmed', actor });
      return { outcome: 'noted' };
    }
    return { outcome: 'ignored' };
  }

  /**
   * A payment the provider says was made: counted once, whatever path reported it, and only when
   * it is the order's invoice, amount and currency. `final`: a status answer, which nothing can
   * complete, so what it leaves out does not match.
   */
  private async paid(order: Order, provider: string, report: PaidReport, actor: Actor, final: boolean): Promise<Applied> {
    // A report without the invoice is taken to be about the order's own (as the paths below always did).
    const invoiceId = report.invoiceId ?? order.payment.invoiceId ?? '';
    const transactionId = report.transactionId ?? invoiceId;
    const paidAt = report.paidAt ?? this.now().toISOString();
    if (order.payment.status === 'paid' || order.payment.status === 'refunded' || order.payment.receiptNumber) {
      if (order.payment.transactionId === transactionId || order.payment.invoiceId === invoiceId) return { outcome: 'already-applied' };
      // Another transaction for an order already paid: give that money back (the provider refunds at most what it took).
      await this.refundStray(order, provider, invoiceId, report.amount ?? order.payment.amount ?? 0, 'paid-twice', actor);
      return { outcome: 'paid-twice' };
    }
    if (order.status === 'received' && ownRequest(await this.deps.store.journalGet(order.id, 'payment.invoice'))) {
      // The hub asked for this payment and the provider answered, but the order has not yet
      // recorded it (a worker slow, or crashed between the two): the citizen paid on time. Not
      // late — the provider is asked to send the callback again, and by then the order waits for it.
      throw new WaslError('callback-early', { headers: { 'retry-after': '2' } });
    }
    if (order.status !== 'awaiting-payment') {
      // Cancelled at its deadline (or otherwise ended) before the payment came: refund it.
      await this.refundStray(order, provider, invoiceId, report.amount ?? order.payment.amount ?? 0, 'late', actor);
      return { outcome: 'late' };
    }
    const match = matchInvoice(order.payment, report, { absentIsMismatch: final });
    if (match.kind === 'incomplete') return { outcome: 'unconfirmed' };
    if (match.kind === 'anomaly') {
      await this.flag(order, provider, transactionId, match.anomaly, actor);
      return { outcome: 'anomaly', anomaly: match.anomaly };
    }
    const payment: Payment = { ...order.payment, status: 'paid', transactionId, paidAt };
    const receipt = this.receiptFor(order, provider, transactionId, paidAt, payment);
    try {
      await this.deps.store.transition(order.id, { to: 'paid', actor, patch: { payment }, receipt });
    } catch (err) {
      // Another path (a poll, a concurrent delivery) applied it first.
      if (isWaslError(err) && err.code === 'illegal-transition') return { outcome: 'already-applied' };
      throw err;
    }
    return { outcome: 'applied' };
  }

  /**
   * A payment that is not the order's fee: shown on the timeline, logged and counted — once per
   * payment, though its callback, its repeats under new event ids and every poll report it again.
   * Its money is not refunded here: an automatic refund would move money on the strength of the
   * very report the hub has just found wrong; finance settles it with the provider by hand
   * (reconciliation and the dashboard list it).
   */
  private async flag(order: Order, provider: string, reference: string, anomaly: PaymentAnomaly, actor: Actor): Promise<void> {
    const seen = await this.deps.store.listCallbacks({ orderId: order.id, outcome: 'anomaly', limit: 100 });
    if (seen.some((c) => c.provider === provider && c.reference === reference)) return;
    await this.deps.store.note(order.id, { event: 'payment.anomaly', actor, reason: { code: 'payment-anomaly', message: anomalyMessage(anomaly) } });
    // Ids, codes and sums: nothing of the citizen.
    this.deps.logger.warn({ orderId: order.id, provider, reference, kinds: anomaly.kinds, expected: anomaly.expected, received: anomaly.received }, 'payment anomaly: not applied, referred to manual reconciliation');
    reportAnomaly(provider, anomaly);
  }

  /** Asks the provider about a waiting order's invoice now (a callback that did not say what was paid); a failure leaves it to the watcher. */
  private async confirm(orderId: string): Promise<void> {
    const order = await this.deps.store.getOrder(orderId);
    if (!order || order.status !== 'awaiting-payment' || !order.payment.provider || !order.payment.invoiceId) return;
    try {
      await this.poll(order, false);
    } catch (err) {
      this.deps.logger.warn({ orderId, provider: order.payment.provider, err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'payment status check failed; the watcher tries again');
    }
  }

  private receiptFor(order: Order, provider: string, transactionId: string, paidAt: string, payment: Payment): Omit<Receipt, 'number'> {
    const service = this.deps.catalogue.get(order.service.code)?.definition.names ?? { ar: order.service.code, en: order.service.code };
    const amount = payment.amount ?? order.fees.total;
    const currency = payment.currency ?? order.fees.currency;
    return {
      orderId: order.id,
      service: { code: order.service.code, names: service },
      amount,
      currency,
      // The same sum under its explicit name, with its unit's digits and written out (hub/money.ts).
      ...statedAmount(amount, currency),
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
        const r = await this.poll(order, pastDeadline);
        if (r === 'paid') out.paid++;
        if (r === 'cancelled') out.cancelled++;
      } catch (err) {
        this.deps.logger.warn({ orderId: order.id, provider: p.provider, err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'payment status check failed; next pass tries again');
      }
    }
    return out;
  }

  /** Asks the provider for a waiting order's invoice and acts on the answer. */
  private async poll(order: Order, pastDeadline: boolean): Promise<'paid' | 'cancelled' | 'waiting'> {
    const provider = order.payment.provider!;
    const invoiceId = order.payment.invoiceId!;
    const status = await this.adapter(provider).status(invoiceId, order.id);
    if (status.state === 'paid') {
      const transactionId = status.transactionId ?? invoiceId;
      // Asked by the order's invoice id, the answer is about that invoice.
      const r = await this.paid(order, provider, { invoiceId, transactionId, amount: status.amount, currency: status.currency, paidAt: status.paidAt }, POLL, true);
      // The ledger reconciliation reads: a payment found by polling is recorded like a callback.
      await this.deps.store.recordCallback({
        provider,
        eventId: `poll:${transactionId}`,
        type: POLL_PAID,
        orderId: order.id,
        reference: transactionId,
        ...(status.amount !== undefined ? { amount: status.amount } : {}),
        ...(status.currency !== undefined ? { currency: status.currency } : {}),
        outcome: r.outcome,
        ...(r.anomaly ? { anomaly: r.anomaly } : {}),
        receivedAt: this.now().toISOString(),
        ...(status.paidAt ? { occurredAt: status.paidAt } : {}),
      });
      if (r.outcome === 'applied') return 'paid';
      // A payment that is not the fee does not keep the order past its deadline.
      if (r.outcome !== 'anomaly') return 'waiting';
    }
    if (pastDeadline || status.state === 'expired') {
      await this.deps.store.transition(order.id, { to: 'cancelled', actor: SYSTEM, reason: { code: 'payment-deadline', message: { ar: 'لم يُدفع الرسم ضمن المهلة', en: 'The fee was not paid by the deadline' } } });
      return 'cancelled';
    }
    return 'waiting';
  }

  private async mustGet(orderId: string): Promise<Order> {
    const order = await this.deps.store.getOrder(orderId);
    if (!order) throw new WaslError('order-not-found');
    return order;
  }
}

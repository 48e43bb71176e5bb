/**
 * Daily reconciliation: what each payment provider says it settled on a date, against what the
 * hub recorded — the ledger of payment callbacks and polls (provider_callbacks) and the orders.
 * Every mismatch is listed with what to do about it:
 *   payment-without-order   settled for an order the hub does not know (refund it by hand)
 *   order-paid-twice        two settled transactions for one order (the hub refunds the second
 *                           when its callback arrives; check it was)
 *   payment-not-recorded    settled, but the hub never saw the payment (callback and poll lost)
 *   amount-mismatch         settled amount differs from what the order asked; or a payment
 *                           reported for another amount than the invoice's (an anomaly)
 *   currency-mismatch       a payment reported in another currency than the invoice's (an anomaly)
 *   invoice-mismatch        a payment reported on another invoice than the order's (an anomaly)
 *   not-settled             the hub counted a payment that day the provider did not settle
 * An anomaly (hub/payments/matching.ts) was not applied to its order: its money is with the
 * provider until finance refunds it or settles it by hand. It is listed on the day the hub received
 * it, and again on the day the provider settles it; once per payment, however many times it was
 * reported (a callback, its repeats, each poll).
 */
import type { Order } from '../../contracts/types';
import type { CallbackStore, OrderStore, PaymentAnomaly, PaymentAnomalyKind } from '../store';
import type { CallbackRecord } from '../store';
import type { PaymentAdapter, Settled } from '../../connectors/payment/adapter';
import { POLL_PAID } from './desk';
import { describeAnomaly, firstPerPayment } from './matching';

export type MismatchKind = 'payment-without-order' | 'order-paid-twice' | 'payment-not-recorded' | 'not-settled' | PaymentAnomalyKind;

export interface Mismatch {
  kind: MismatchKind;
  provider: string;
  orderId: string;
  transactionId?: string;
  amount?: number;
  currency?: string;
  detail: string;
  /** An anomaly's expected and received invoice, amount and currency. */
  anomaly?: PaymentAnomaly;
}

export interface Reconciliation {
  date: string;
  providers: Array<{ provider: string; settled: number; amount: Record<string, number> }>;
  matched: number;
  mismatches: Mismatch[];
}

/** Callback types that report a payment made, per provider contract. */
const PAID_TYPES = new Set(['invoice.paid', 'payment_intent.succeeded', POLL_PAID]);
/** Ledger outcomes where the provider took money for the order (refunded or not). */
const MONEY_TAKEN = new Set(['applied', 'already-applied', 'paid-twice', 'late']);

const DAY = 86_400_000;

function anomalyMismatch(c: CallbackRecord, settled?: Settled): Mismatch {
  const a = c.anomaly ?? { kinds: ['amount-mismatch' as const], expected: {}, received: { ...(c.amount !== undefined ? { amount: c.amount } : {}), ...(c.currency ? { currency: c.currency } : {}) } };
  return {
    kind: a.kinds[0] ?? 'amount-mismatch',
    provider: c.provider,
    orderId: c.orderId ?? '?',
    ...(c.reference ? { transactionId: c.reference } : {}),
    ...(c.amount !== undefined ? { amount: c.amount } : {}),
    ...(c.currency ? { currency: c.currency } : {}),
    detail: `${describeAnomaly(a)}; not applied to the order${settled ? `; settled ${settled.amount} ${settled.currency} that day` : ''}: refund it or settle it by hand with the provider`,
    anomaly: a,
  };
}

/** A provider's settlements could not be listed: reconciliation cannot say what was settled. */
export class SettlementsUnavailable extends Error {
  constructor(
    readonly provider: string,
    readonly date: string,
    readonly reason: unknown,
  ) {
    super(`${provider} did not list its settlements of ${date}: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'SettlementsUnavailable';
  }
}

export async function reconcile(store: CallbackStore & OrderStore, adapters: Map<string, PaymentAdapter>, date: string): Promise<Reconciliation> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new Error(`--date must be YYYY-MM-DD, not "${date}"`);
  const dayStart = new Date(`${date}T00:00:00Z`);
  const out: Reconciliation = { date, providers: [], matched: 0, mismatches: [] };
  for (const [provider, adapter] of adapters) {
    const settled = await adapter.settlements(date).catch((err: unknown) => {
      throw new SettlementsUnavailable(provider, date, err);
    });
    const amount: Record<string, number> = {};
    for (const s of settled) amount[s.currency] = (amount[s.currency] ?? 0) + s.amount;
    out.providers.push({ provider, settled: settled.length, amount });
    // The hub's ledger around the date: a payment made just before midnight is settled the next day.
    const around = await store.listCallbacks({ provider, from: new Date(dayStart.getTime() - DAY), to: new Date(dayStart.getTime() + 2 * DAY), limit: 1_000_000 });
    const ledger = around.filter((c) => PAID_TYPES.has(c.type) && MONEY_TAKEN.has(c.outcome));
    const ledgerByTx = new Map<string, CallbackRecord>();
    for (const c of ledger) if (c.reference) ledgerByTx.set(c.reference, c);
    const flagged = firstPerPayment(around.filter((c) => c.outcome === 'anomaly'));
    const flaggedByTx = new Map<string, CallbackRecord>();
    for (const c of flagged) if (c.reference) flaggedByTx.set(c.reference, c);
    const listed = new Set<CallbackRecord>();
    const byOrder = new Map<string, Settled[]>();
    for (const s of settled) byOrder.set(s.orderId, [...(byOrder.get(s.orderId) ?? []), s]);
    const orders = new Map<string, Order | undefined>();
    for (const id of byOrder.keys()) orders.set(id, /^ord_[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? await store.getOrder(id) : undefined);

    for (const [orderId, items] of byOrder) {
      const order = orders.get(orderId);
      if (!order) {
        for (const s of items) out.mismatches.push({ kind: 'payment-without-order', provider, orderId, transactionId: s.transactionId, amount: s.amount, currency: s.currency, detail: 'settled for an order the hub does not know: refund it with the provider' });
        continue;
      }
      if (items.length > 1) {
        out.mismatches.push({
          kind: 'order-paid-twice',
          provider,
          orderId,
          detail: `${items.length} settled transactions (${items.map((s) => s.transactionId).join(', ')}); the order counts ${order.payment.transactionId ?? 'none'}${order.payment.status === 'refunded' ? ', and was refunded' : ''}: check the others were refunded`,
        });
      }
      for (const s of items) {
        const recorded = ledgerByTx.get(s.transactionId) ?? (order.payment.transactionId === s.transactionId ? ({} as CallbackRecord) : undefined);
        const anomaly = recorded ? undefined : flaggedByTx.get(s.transactionId);
        if (anomaly) {
          // Recorded, but as money that is not the fee: the anomaly, not a lost payment.
          out.mismatches.push(anomalyMismatch(anomaly, s));
          listed.add(anomaly);
          continue;
        }
        if (!recorded) {
          out.mismatches.push({ kind: 'payment-not-recorded', provider, orderId, transactionId: s.transactionId, amount: s.amount, currency: s.currency, detail: `the hub has no record of this payment (order ${order.status})` });
          continue;
        }
        const asked = order.payment.amount ?? order.fees.total;
        if (order.payment.transactionId === s.transactionId && (s.amount !== asked || s.currency !== (order.payment.currency ?? order.fees.currency))) {
          out.mismatches.push({ kind: 'amount-mismatch', provider, orderId, transactionId: s.transactionId, amount: s.amount, currency: s.currency, detail: `settled ${s.amount} ${s.currency}, the order asked ${asked} ${order.payment.currency ?? order.fees.currency}` });
          continue;
        }
        if (items.length === 1) out.matched++;
      }
    }
    // Payments the hub refused that day as not the fee, settled or not: by the hub's clock, which a provider's report cannot move.
    for (const c of flagged) if (!listed.has(c) && c.receivedAt.startsWith(date)) out.mismatches.push(anomalyMismatch(c));
    // Payments the hub counted on that date that the provider did not settle.
    const settledTx = new Set(settled.map((s) => s.transactionId));
    for (const c of ledger) {
      const at = c.occurredAt ?? c.receivedAt;
      if (!at.startsWith(date) || !c.reference || settledTx.has(c.reference)) continue;
      out.mismatches.push({ kind: 'not-settled', provider, orderId: c.orderId ?? '?', transactionId: c.reference, ...(c.amount !== undefined ? { amount: c.amount } : {}), ...(c.currency ? { currency: c.currency } : {}), detail: 'the hub counted this payment; the provider did not settle it that day' });
    }
  }
  return out;
}

export function formatReconciliation(r: Reconciliation): string {
  const lines = [`reconciliation of ${r.date}`];
  for (const p of r.providers) lines.push(`  ${p.provider}: ${p.settled} settled (${Object.entries(p.amount).map(([c, a]) => `${a} ${c}`).join(', ') || 'nothing'})`);
  lines.push(`  matched: ${r.matched}; mismatches: ${r.mismatches.length}`);
  for (const m of r.mismatches) lines.push(`  - ${m.kind}  ${m.provider}  ${m.orderId}${m.transactionId ? `  ${m.transactionId}` : ''}${m.amount !== undefined ? `  ${m.amount} ${m.currency ?? ''}` : ''}\n      ${m.detail}`);
  return `${lines.join('\n')}\n`;
}

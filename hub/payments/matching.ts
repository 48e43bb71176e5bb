/**
 * Whether a payment a provider reports is the order's fee. A valid signature proves who sent a
 * callback, not that the right sum was paid on the right invoice: a genuine `paid` for 1 SYP on a
 * 2,500 SYP invoice (a tampered checkout, a provider that takes part-payments, a defect on its
 * side) must not buy the certificate. So a payment counts only when its invoice, its amount and its
 * currency all equal what the hub asked for (order.payment: invoiceId, amount, currency). Amounts
 * are compared exactly, in the provider's units (pounds; cents abroad), never converted.
 *
 * A report that leaves one of the three out cannot be judged on its own word: the desk asks the
 * provider for the invoice's status, whose answer carries them (hub/payments/desk.ts). A status
 * answer is the last word: what it leaves out counts as not matching.
 */
import type { Payment, Text } from '../../contracts/types';
import type { CallbackRecord, PaymentAnomaly, PaymentAnomalyKind } from '../store';

/** What a provider says was paid. */
export interface Reported {
  invoiceId?: string | undefined;
  amount?: number | undefined;
  currency?: string | undefined;
}

export type Match = { kind: 'match' } | { kind: 'incomplete' } | { kind: 'anomaly'; anomaly: PaymentAnomaly };

const FIELDS: Array<[PaymentAnomalyKind, keyof Reported]> = [
  ['invoice-mismatch', 'invoiceId'],
  ['currency-mismatch', 'currency'],
  ['amount-mismatch', 'amount'],
];

/**
 * Compares a report with the order's invoice. A field reported with another value is a mismatch;
 * a field left out makes the report `incomplete`, or a mismatch when `absentIsMismatch` (a status
 * answer, which nothing can complete).
 */
export function matchInvoice(asked: Payment, reported: Reported, opts: { absentIsMismatch: boolean }): Match {
  const expected = { invoiceId: asked.invoiceId, amount: asked.amount, currency: asked.currency };
  const kinds: PaymentAnomalyKind[] = [];
  let incomplete = false;
  for (const [kind, field] of FIELDS) {
    const got = reported[field];
    // An invoice the hub never recorded (no amount asked) matches nothing: better flagged than counted.
    if (got === undefined && !opts.absentIsMismatch && expected[field] !== undefined) incomplete = true;
    else if (got === undefined || got !== expected[field]) kinds.push(kind);
  }
  if (kinds.length) return { kind: 'anomaly', anomaly: { kinds, expected: defined(expected), received: defined({ invoiceId: reported.invoiceId, amount: reported.amount, currency: reported.currency }) } };
  return incomplete ? { kind: 'incomplete' } : { kind: 'match' };
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const FIELD_NAMES: Record<PaymentAnomalyKind, Text> = {
  'invoice-mismatch': { ar: 'رقم الفاتورة', en: 'the invoice' },
  'currency-mismatch': { ar: 'العملة', en: 'the currency' },
  'amount-mismatch': { ar: 'المبلغ', en: 'the amount' },
};

/**
 * The timeline's words for it, which the channel shows the citizen: what did not match and what
 * happens next — no amounts (in cents abroad they would mislead), no data of anyone.
 */
export function anomalyMessage(a: PaymentAnomaly): Text {
  const ar = a.kinds.map((k) => FIELD_NAMES[k].ar).join('، ');
  const en = a.kinds.map((k) => FIELD_NAMES[k].en).join(', ');
  return {
    ar: `الدفعة التي أبلغت عنها جهة الدفع لا تطابق فاتورة الطلب (${ar})، فلم تُعتمد وأُحيلت إلى التسوية اليدوية. الطلب ما زال بانتظار الدفع.`,
    en: `The payment the provider reported does not match the order's invoice (${en}): it was not applied and is referred to manual reconciliation. The order still awaits payment.`,
  };
}

/** How an anomaly reads in one line (reconciliation, logs): received against expected. */
export function describeAnomaly(a: PaymentAnomaly): string {
  const side = (s: PaymentAnomaly['expected']) => `${s.amount ?? '?'} ${s.currency ?? '?'} on invoice ${s.invoiceId ?? '?'}`;
  return `reported ${side(a.received)}; the order's invoice asks ${side(a.expected)}`;
}

/**
 * The first report of each payment flagged, in the order given: its callback, the callback's
 * repeats under other event ids and every poll after it report the same payment (its reference).
 */
export function firstPerPayment(records: CallbackRecord[]): CallbackRecord[] {
  const seen = new Set<string>();
  return records.filter((c) => {
    const key = `${c.provider}\n${c.orderId ?? ''}\n${c.reference ?? c.eventId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Process-wide, as the bus's decisions (hub/bus/consume.ts): the metrics count them (hub/metrics.ts).
const listeners = new Set<(provider: string, kind: PaymentAnomalyKind) => void>();

/** Called once per payment flagged, with its weightiest kind. */
export function onPaymentAnomaly(listener: (provider: string, kind: PaymentAnomalyKind) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportAnomaly(provider: string, a: PaymentAnomaly): void {
  const kind = a.kinds[0];
  if (kind) for (const l of listeners) l(provider, kind);
}

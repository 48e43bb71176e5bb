/**
 * Simulator of the national e-payment company (REST, OpenAPI 3.1, sandbox/contracts/sy-epay.openapi.json):
 *   POST /epay/v1/invoices                       CreateInvoice (Idempotency-Key)
 *   GET  /epay/v1/invoices/{invoiceId}           GetInvoice
 *   POST /epay/v1/invoices/{invoiceId}/refunds   RefundInvoice (Idempotency-Key)
 *   GET  /epay/v1/settlements?date=YYYY-MM-DD    ListSettlements
 *   GET  /epay/pay/{invoiceId}                   the payer's page (HTML, Arabic and English)
 * and the behaviour control (./callbacks.ts): POST /epay/v1/__sim/behaviour, POST /epay/v1/__sim/reset.
 *
 * Every invoice is paid by itself `payDelayMs` after it was issued (the sandbox's payer), and the
 * company calls back the invoice's callbackUrl, signed with the provider's callback secret
 * (contracts/providers/sy-epay/provider.json). The behaviour of the next invoices (decline,
 * timeout, late, twice, never, expire, wrong-amount) is set through the control endpoint:
 * sandbox/README.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { settlementLedger } from './settlement-ledger';
import {
  BehaviourControl,
  callbackKit,
  recordAndAnswer,
  serveSimulator,
  credentialState,
  DEFAULT_LATE_MS,
  DEFAULT_WRONG_AMOUNT,
  handleControl,
  isDate,
  isDateTime,
  isHttpUrl,
  page,
  PAYMENT_MODES,
  randomId,
  readJsonObject,
  sendHtml,
  sendJson,
  type Behaviour,
  type CallbackSimulator,
  type CallbackSimulatorOptions,
  type PaymentMode,
} from './callbacks';

export const EPAY_BASE = '/epay/v1';
export const EPAY_DEFAULT_PORT = 8093;
export const EPAY_PAY_DELAY_MS = 300;
export const EPAY_PROVIDER = 'sy-epay';

export type EpayBehaviour = Behaviour<PaymentMode>;
export type EpaySimulator = CallbackSimulator<EpayBehaviour>;
export interface EpayOptions extends CallbackSimulatorOptions {
  /** Time from issuing an invoice to its payment (or refusal) and callback. Default 300 ms. */
  payDelayMs?: number;
  /** Where the payments it takes are kept, so that its settlements outlive it (./settlement-ledger.ts). */
  settlementsFile?: string;
}

interface SettlementItem {
  transactionId: string;
  invoiceId: string;
  merchantReference: string;
  amount: number;
  currency: string;
  settledAt: string;
}

const isSettlementItem = (v: unknown): v is SettlementItem => {
  const o = v as Partial<SettlementItem> | null;
  return typeof o === 'object' && o !== null && typeof o.transactionId === 'string' && typeof o.invoiceId === 'string' && typeof o.merchantReference === 'string' && Number.isInteger(o.amount) && typeof o.currency === 'string' && typeof o.settledAt === 'string';
};

type Status = 'pending' | 'paid' | 'declined' | 'expired' | 'refunded';

interface Invoice {
  invoiceId: string;
  merchantReference: string;
  amount: number;
  currency: 'SYP';
  description: string;
  callbackUrl: string;
  expiresAt: string;
  paymentUrl: string;
  status: Status;
  transactionId?: string;
  paidAt?: string;
  refundedAmount: number;
  behaviour: EpayBehaviour | { mode: PaymentMode };
}

interface Reply {
  status: number;
  body: unknown;
  outcome: string;
  reference?: string;
  /** What a repeated Idempotency-Key must carry to get this reply again. */
  fingerprint?: string;
}

const INVOICE = /^\/epay\/v1\/invoices\/([^/]+)$/;
const REFUNDS = /^\/epay\/v1\/invoices\/([^/]+)\/refunds$/;
const PAY_PAGE = /^\/epay\/pay\/([^/]+)$/;

const settlementOf = (i: Invoice): SettlementItem => ({ transactionId: i.transactionId!, invoiceId: i.invoiceId, merchantReference: i.merchantReference, amount: i.amount, currency: i.currency, settledAt: i.paidAt! });

const err = (status: number, code: string, message: string): Reply => ({ status, outcome: code, body: { code, message } });

export async function startEpay(opts: EpayOptions): Promise<EpaySimulator> {
  const { recorder, tasks, sender } = callbackKit(EPAY_PROVIDER, opts);
  let delayMs = opts.delayMs ?? 0;
  const payDelayMs = opts.payDelayMs ?? EPAY_PAY_DELAY_MS;
  const control = new BehaviourControl<PaymentMode>(PAYMENT_MODES, 'approve');
  const invoices = new Map<string, Invoice>();
  const byKey = new Map<string, Reply>();
  // The payments taken before this simulator started (by an earlier run on the same data dir): still settled.
  const ledger = settlementLedger(opts.settlementsFile, isSettlementItem);
  let origin = '';

  const view = (inv: Invoice) => {
    if (inv.status === 'pending' && Date.parse(inv.expiresAt) < Date.now()) inv.status = 'expired';
    return {
      invoiceId: inv.invoiceId,
      merchantReference: inv.merchantReference,
      amount: inv.amount,
      currency: inv.currency,
      status: inv.status,
      ...(inv.transactionId ? { transactionId: inv.transactionId } : {}),
      ...(inv.paidAt ? { paidAt: inv.paidAt } : {}),
      ...(inv.refundedAmount > 0 ? { refundedAmount: inv.refundedAmount } : {}),
      paymentUrl: inv.paymentUrl,
      expiresAt: inv.expiresAt,
    };
  };

  const event = (inv: Invoice, type: string, extra: Record<string, unknown> = {}) => ({
    eventId: randomId('EV-', 8),
    type,
    invoiceId: inv.invoiceId,
    merchantReference: inv.merchantReference,
    amount: inv.amount,
    currency: inv.currency,
    ...(inv.transactionId ? { transactionId: inv.transactionId } : {}),
    occurredAt: new Date().toISOString(),
    ...extra,
  });

  /** Sends an event as the invoice's behaviour says: once, twice, late, or never. */
  const notify = (inv: Invoice, ev: Record<string, unknown>) => {
    const b = inv.behaviour;
    if (b.mode === 'never') return;
    const times = b.mode === 'twice' ? 2 : 1;
    if (b.mode === 'late') tasks.after(('lateMs' in b && b.lateMs !== undefined ? b.lateMs : DEFAULT_LATE_MS), () => sender.send(inv.callbackUrl, ev, times));
    else sender.send(inv.callbackUrl, ev, times);
  };

  /** The sandbox's payer: pays (or not) payDelayMs after the invoice was issued. */
  const settle = (inv: Invoice) => {
    if (inv.status !== 'pending') return;
    const mode = inv.behaviour.mode;
    if (mode === 'decline') {
      inv.status = 'declined';
      notify(inv, event(inv, 'invoice.declined'));
    } else if (mode === 'expire') {
      inv.status = 'expired';
      notify(inv, event(inv, 'invoice.expired'));
    } else {
      // A payment for another sum, reported as the invoice's own: what the callback, the status and the settlement then say.
      if (mode === 'wrong-amount') inv.amount = ('paidAmount' in inv.behaviour && inv.behaviour.paidAmount) || DEFAULT_WRONG_AMOUNT;
      inv.status = 'paid';
      inv.transactionId = randomId('TX-', 6);
      inv.paidAt = new Date().toISOString();
      ledger.add(settlementOf(inv));
      notify(inv, event(inv, 'invoice.paid'));
    }
  };

  const createInvoice = (body: Record<string, unknown> | undefined, key: string | undefined, scripted?: EpayBehaviour): Reply | 'hold' => {
    if (!body) return err(400, 'INVALID_REQUEST', 'the body must be a JSON object');
    const { merchantReference, amount, currency, description, callbackUrl, expiresAt } = body;
    if (typeof merchantReference !== 'string' || merchantReference.length < 1 || merchantReference.length > 64) return err(400, 'INVALID_REQUEST', 'merchantReference must be a string of 1 to 64 characters');
    if (!Number.isInteger(amount) || (amount as number) <= 0) return err(400, 'INVALID_REQUEST', 'amount must be a positive integer (SYP)');
    if (currency !== 'SYP') return err(400, 'INVALID_REQUEST', 'currency must be SYP');
    if (typeof description !== 'string' || description.length < 1 || description.length > 200) return err(400, 'INVALID_REQUEST', 'description must be a string of 1 to 200 characters');
    if (!isHttpUrl(callbackUrl)) return err(400, 'INVALID_REQUEST', 'callbackUrl must be an http(s) URL');
    if (!isDateTime(expiresAt)) return err(400, 'INVALID_REQUEST', 'expiresAt must be a date-time');
    if (Date.parse(expiresAt) <= Date.now()) return err(400, 'INVALID_REQUEST', 'expiresAt is in the past');
    const fingerprint = JSON.stringify([merchantReference, amount, currency]);
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return previous.fingerprint === fingerprint ? previous : err(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another invoice');
    const behaviour = scripted ?? control.take();
    if (behaviour.mode === 'timeout') return 'hold';
    const invoiceId = randomId('INV-', 6);
    const inv: Invoice = {
      invoiceId,
      merchantReference,
      amount: amount as number,
      currency: 'SYP',
      description,
      callbackUrl,
      expiresAt: new Date(expiresAt).toISOString(),
      paymentUrl: `${origin}/epay/pay/${invoiceId}`,
      status: 'pending',
      refundedAmount: 0,
      behaviour,
    };
    invoices.set(invoiceId, inv);
    const { invoiceId: id, merchantReference: ref, amount: amt, currency: cur, status, paymentUrl, expiresAt: exp } = inv;
    const reply: Reply = { status: 201, outcome: 'ok', reference: invoiceId, fingerprint, body: { invoiceId: id, merchantReference: ref, amount: amt, currency: cur, status, paymentUrl, expiresAt: exp } };
    if (key) byKey.set(key, reply);
    return reply;
  };

  const refund = (inv: Invoice | undefined, invoiceId: string, body: Record<string, unknown> | undefined, key: string | undefined): Reply => {
    if (!inv) return err(404, 'INVOICE_NOT_FOUND', `no invoice ${invoiceId}`);
    if (!body) return err(400, 'INVALID_REQUEST', 'the body must be a JSON object');
    const { amount, reason } = body;
    if (!Number.isInteger(amount) || (amount as number) <= 0) return err(400, 'INVALID_REQUEST', 'amount must be a positive integer (SYP)');
    if (typeof reason !== 'string' || reason.length < 1 || reason.length > 200) return err(400, 'INVALID_REQUEST', 'reason must be a string of 1 to 200 characters');
    const fingerprint = JSON.stringify([invoiceId, amount]);
    const previous = key ? byKey.get(key) : undefined;
    if (previous) return previous.fingerprint === fingerprint ? previous : err(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    view(inv);
    if (inv.status !== 'paid') return err(409, 'NOT_REFUNDABLE', inv.status === 'refunded' ? 'the invoice is already fully refunded' : `the invoice is ${inv.status}, not paid`);
    if ((amount as number) > inv.amount - inv.refundedAmount) return err(422, 'AMOUNT_EXCEEDS_PAYMENT', `at most ${inv.amount - inv.refundedAmount} SYP can be refunded`);
    inv.refundedAmount += amount as number;
    if (inv.refundedAmount === inv.amount) inv.status = 'refunded';
    const refundId = randomId('RF-', 6);
    const refundedAt = new Date().toISOString();
    const reply: Reply = { status: 201, outcome: 'ok', reference: refundId, fingerprint, body: { refundId, invoiceId, amount, status: 'completed', refundedAt } };
    if (key) byKey.set(key, reply);
    notify(inv, event(inv, 'refund.completed', { amount, refundId, occurredAt: refundedAt }));
    return reply;
  };

  /** Every payment taken on `date` (UTC), by this run or an earlier one on the same data dir. */
  const settlements = (date: string | null): Reply => {
    if (!isDate(date)) return err(400, 'INVALID_REQUEST', 'date must be YYYY-MM-DD');
    const now = [...invoices.values()].filter((i) => i.paidAt?.startsWith(date)).map(settlementOf);
    const seen = new Set(now.map((i) => i.transactionId));
    const items = [...ledger.earlier.filter((i) => i.settledAt.startsWith(date) && !seen.has(i.transactionId)), ...now].sort((a, b) => a.settledAt.localeCompare(b.settledAt));
    return { status: 200, outcome: 'ok', body: { date, items } };
  };

  const payPage = (res: ServerResponse, invoiceId: string) => {
    const inv = invoices.get(invoiceId);
    if (!inv) return sendHtml(res, 404, page('فاتورة غير موجودة', 'Invoice not found', [['رقم الفاتورة', 'Invoice', invoiceId]], '', ''));
    const v = view(inv);
    sendHtml(
      res,
      200,
      page(
        'الدفع الإلكتروني — بيئة الاختبار',
        'E-payment — sandbox',
        [
          ['رقم الفاتورة', 'Invoice', v.invoiceId],
          ['المرجع', 'Reference', v.merchantReference],
          ['البيان', 'Description', inv.description],
          ['المبلغ', 'Amount', `${v.amount.toLocaleString('en')} SYP`],
          ['الحالة', 'Status', v.status],
          ['صالحة حتى', 'Expires', v.expiresAt],
        ],
        'في بيئة الاختبار تُدفع الفاتورة تلقائياً بعد لحظات، ويُبلَّغ النظام بذلك.',
        'In the sandbox the invoice is paid by itself a moment after it is issued, and the merchant is called back.',
      ),
    );
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const p = url.pathname;
    if (req.method !== 'POST') req.resume();
    if (await handleControl(req, res, p, EPAY_BASE, control)) return;
    const pay = PAY_PAGE.exec(p);
    if (pay && req.method === 'GET') return payPage(res, decodeURIComponent(pay[1]!));

    const key = (req.headers['idempotency-key'] as string | undefined) || undefined;
    const headerOrder = req.headers['x-wasl-order-id'] as string | undefined;
    let route: 'create' | 'get' | 'refund' | 'settlements' | undefined;
    let m: RegExpExecArray | null = null;
    if (p === `${EPAY_BASE}/invoices` && req.method === 'POST') route = 'create';
    else if ((m = REFUNDS.exec(p)) && req.method === 'POST') route = 'refund';
    else if ((m = INVOICE.exec(p)) && req.method === 'GET') route = 'get';
    else if (p === `${EPAY_BASE}/settlements` && req.method === 'GET') route = 'settlements';
    if (!route) {
      req.resume();
      return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${req.method} ${p}` });
    }

    const body = req.method === 'POST' ? await readJsonObject(req) : undefined;
    const invoiceId = m ? decodeURIComponent(m[1]!) : undefined;
    const inv = invoiceId ? invoices.get(invoiceId) : undefined;
    let reply: Reply | 'hold';
    let repeated = false;
    const auth = credentialState(req.headers['x-api-key']);
    if (auth === 'empty' || (auth === 'missing' && opts.requireAuth)) reply = err(401, 'UNAUTHORIZED', 'a valid X-Api-Key header is required');
    else if (route === 'create') {
      const before = key ? byKey.get(key) : undefined;
      reply = createInvoice(body, key, typeof body?.merchantReference === 'string' ? ((await opts.behaviourFor?.(body.merchantReference)) as EpayBehaviour | undefined) : undefined);
      repeated = before !== undefined && reply === before;
    } else if (route === 'refund') {
      const before = key ? byKey.get(key) : undefined;
      reply = refund(inv, invoiceId!, body, key);
      repeated = before !== undefined && reply === before;
    } else if (route === 'get') reply = inv ? { status: 200, outcome: 'ok', reference: inv.invoiceId, body: view(inv) } : err(404, 'INVOICE_NOT_FOUND', `no invoice ${invoiceId}`);
    else reply = settlements(url.searchParams.get('date'));

    const input: Record<string, unknown> = route === 'get' ? { invoiceId } : route === 'settlements' ? { date: url.searchParams.get('date') } : route === 'refund' ? { invoiceId, ...(body ?? {}) } : { ...(body ?? {}) };
    const orderId = headerOrder ?? (typeof body?.merchantReference === 'string' ? body.merchantReference : inv?.merchantReference);
    const fresh = await recordAndAnswer({ recorder, simulator: EPAY_PROVIDER, req, res, path: p, key, orderId, input, delayMs }, reply, repeated);
    if (route === 'create' && fresh && reply !== 'hold') {
      const created = invoices.get(reply.reference!);
      if (created) tasks.after(payDelayMs, () => settle(created));
    }
  };

  const served = await serveSimulator(opts, answer);
  origin = served.origin;
  return {
    name: EPAY_PROVIDER,
    url: `${origin}${EPAY_BASE}`,
    requests: recorder.requests,
    callbacks: sender.attempts,
    setDelay: (ms) => void (delayMs = ms),
    setBehaviour: (b) => control.set(b),
    reset: () => control.reset(),
    idle: () => tasks.idle(),
    close: () => served.close(tasks),
  };
}

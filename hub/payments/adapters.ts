/**
 * The payment and postal providers' contracts, each behind one small interface, so the desks
 * (hub/payments/desk.ts, hub/payments/post.ts) speak one life cycle whatever the company: the
 * national e-payment company (sy-epay: invoices in pounds), an international payment company
 * (intl-pay: payment intents in minor units, snake_case) and the national post (sy-post).
 * Calls go through the providers' typed connectors (contracts/providers/<code>/), with their
 * retries, breakers and error mapping; the connector sends the idempotency key
 * (`Idempotency-Key`) of each POST. A callback body is parsed here, after its signature was
 * verified (hub/callbacks/signature.ts).
 */
import type { Connector } from '../../connectors/connector';
import type { Order } from '../../contracts/types';

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

export interface Settled {
  transactionId: string;
  invoiceId: string;
  orderId: string;
  amount: number;
  currency: string;
  settledAt: string;
}

export interface CallOptions {
  idempotencyKey: string;
  orderId: string;
}

export interface PaymentAdapter {
  readonly provider: string;
  createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, expiresAt: string, opts: CallOptions): Promise<Invoice>;
  status(invoiceId: string, orderId: string): Promise<PaymentStatus>;
  refund(invoiceId: string, amount: number, reason: string, opts: CallOptions): Promise<{ reference: string; amount: number }>;
  settlements(date: string): Promise<Settled[]>;
  parseCallback(body: unknown): PaymentEvent;
}

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export class MalformedCallbackError extends Error {
  readonly code = 'malformed-callback';
  constructor(detail: string) {
    super(`malformed callback: ${detail}`);
  }
}

const EPAY_STATES: Record<string, PaymentState> = { pending: 'pending', paid: 'paid', declined: 'failed', expired: 'expired', refunded: 'refunded' };

/** sy-epay: invoices in Syrian pounds, callbacks `invoice.paid|declined|expired`, `refund.completed`. */
export class EpayAdapter implements PaymentAdapter {
  constructor(
    readonly provider: string,
    private readonly connector: Connector,
  ) {}

  async createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, expiresAt: string, opts: CallOptions): Promise<Invoice> {
    const r = await this.connector.call<Obj>(
      'CreateInvoice',
      { body: { merchantReference: order.id, amount, currency, description: `${order.service.code} ${order.id}`, callbackUrl, expiresAt } },
      { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey },
    );
    const o = obj(r.output);
    return { invoiceId: String(o.invoiceId), paymentUrl: String(o.paymentUrl), amount: num(o.amount) ?? amount, currency: str(o.currency) ?? currency };
  }

  async status(invoiceId: string, orderId: string): Promise<PaymentStatus> {
    const r = await this.connector.call<Obj>('GetInvoice', { path: { invoiceId } }, { orderId });
    const o = obj(r.output);
    const s: PaymentStatus = { state: EPAY_STATES[String(o.status)] ?? 'pending' };
    if (num(o.amount) !== undefined) s.amount = num(o.amount)!;
    if (str(o.currency)) s.currency = String(o.currency);
    if (str(o.transactionId)) s.transactionId = String(o.transactionId);
    if (str(o.paidAt)) s.paidAt = String(o.paidAt);
    return s;
  }

  async refund(invoiceId: string, amount: number, reason: string, opts: CallOptions): Promise<{ reference: string; amount: number }> {
    const r = await this.connector.call<Obj>(
      'RefundInvoice',
      { path: { invoiceId }, body: { amount, reason } },
      { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey },
    );
    const o = obj(r.output);
    return { reference: String(o.refundId), amount: num(o.amount) ?? amount };
  }

  async settlements(date: string): Promise<Settled[]> {
    const r = await this.connector.call<Obj>('ListSettlements', { query: { date } });
    const items = Array.isArray(obj(r.output).items) ? (obj(r.output).items as unknown[]) : [];
    return items.map((i) => {
      const o = obj(i);
      return { transactionId: String(o.transactionId), invoiceId: String(o.invoiceId), orderId: String(o.merchantReference), amount: num(o.amount) ?? 0, currency: str(o.currency) ?? 'SYP', settledAt: String(o.settledAt) };
    });
  }

  parseCallback(body: unknown): PaymentEvent {
    const b = obj(body);
    const eventId = str(b.eventId);
    const type = str(b.type);
    if (!eventId || !type) throw new MalformedCallbackError('eventId and type are required');
    const kind = type === 'invoice.paid' ? 'paid' : type === 'invoice.declined' ? 'failed' : type === 'invoice.expired' ? 'expired' : type === 'refund.completed' ? 'refunded' : 'other';
    const e: PaymentEvent = { eventId, type, kind };
    if (str(b.merchantReference)) e.orderId = String(b.merchantReference);
    if (str(b.invoiceId)) e.invoiceId = String(b.invoiceId);
    if (str(b.transactionId)) e.transactionId = String(b.transactionId);
    if (num(b.amount) !== undefined) e.amount = num(b.amount)!;
    if (str(b.currency)) e.currency = String(b.currency);
    if (str(b.occurredAt)) e.occurredAt = String(b.occurredAt);
    return e;
  }
}

const INTL_STATES: Record<string, PaymentState> = {
  requires_payment: 'pending',
  succeeded: 'paid',
  failed: 'failed',
  canceled: 'expired',
  refunded: 'refunded',
  partially_refunded: 'refunded',
};

/** intl-pay: payment intents in minor units of USD/EUR, webhooks `payment_intent.*`, `charge.refunded`. */
export class IntlPayAdapter implements PaymentAdapter {
  constructor(
    readonly provider: string,
    private readonly connector: Connector,
  ) {}

  async createInvoice(order: Order, amount: number, currency: string, callbackUrl: string, _expiresAt: string, opts: CallOptions): Promise<Invoice> {
    const country = order.delivery.method === 'international-post' ? order.delivery.country : undefined;
    const body: Obj = { amount_minor: amount, currency, order_ref: order.id, description: `${order.service.code} ${order.id}`, notify_url: callbackUrl };
    if (country) body.customer_country = country;
    const r = await this.connector.call<Obj>('CreatePaymentIntent', { body }, { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey });
    const o = obj(r.output);
    return { invoiceId: String(o.id), paymentUrl: String(o.checkout_url), amount: num(o.amount_minor) ?? amount, currency: str(o.currency) ?? currency };
  }

  async status(invoiceId: string, orderId: string): Promise<PaymentStatus> {
    const r = await this.connector.call<Obj>('GetPaymentIntent', { path: { id: invoiceId } }, { orderId });
    const o = obj(r.output);
    const s: PaymentStatus = { state: INTL_STATES[String(o.status)] ?? 'pending' };
    if (num(o.amount_minor) !== undefined) s.amount = num(o.amount_minor)!;
    if (str(o.currency)) s.currency = String(o.currency);
    if (o.status === 'succeeded') s.transactionId = String(o.id);
    if (str(o.captured_at)) s.paidAt = String(o.captured_at);
    return s;
  }

  async refund(invoiceId: string, amount: number, _reason: string, opts: CallOptions): Promise<{ reference: string; amount: number }> {
    const r = await this.connector.call<Obj>(
      'CreateRefund',
      { body: { payment_intent: invoiceId, amount_minor: amount, reason: 'service_not_provided' } },
      { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey },
    );
    const o = obj(r.output);
    return { reference: String(o.id), amount: num(o.amount_minor) ?? amount };
  }

  async settlements(date: string): Promise<Settled[]> {
    const r = await this.connector.call<Obj>('ListPayouts', { query: { date } });
    const data = Array.isArray(obj(r.output).data) ? (obj(r.output).data as unknown[]) : [];
    return data.map((i) => {
      const o = obj(i);
      return { transactionId: String(o.payment_intent), invoiceId: String(o.payment_intent), orderId: String(o.order_ref), amount: num(o.amount_minor) ?? 0, currency: str(o.currency) ?? 'USD', settledAt: String(o.settled_at) };
    });
  }

  parseCallback(body: unknown): PaymentEvent {
    const b = obj(body);
    const eventId = str(b.id);
    const type = str(b.type);
    if (!eventId || !type) throw new MalformedCallbackError('id and type are required');
    const o = obj(obj(b.data).object);
    const kind = type === 'payment_intent.succeeded' ? 'paid' : type === 'payment_intent.payment_failed' ? 'failed' : type === 'charge.refunded' ? 'refunded' : 'other';
    const e: PaymentEvent = { eventId, type, kind };
    const intent = type === 'charge.refunded' ? str(o.payment_intent) : str(o.id);
    if (intent) e.invoiceId = intent;
    if (str(o.order_ref)) e.orderId = String(o.order_ref);
    if (kind === 'paid' && intent) e.transactionId = intent;
    if (num(o.amount_minor) !== undefined) e.amount = num(o.amount_minor)!;
    if (str(o.currency)) e.currency = String(o.currency);
    // Unix seconds; one no Date can hold (1e308) is left out, and the desk takes the time of receipt.
    const created = num(b.created) !== undefined ? new Date(num(b.created)! * 1000) : undefined;
    if (created && !Number.isNaN(created.getTime())) e.occurredAt = created.toISOString();
    return e;
  }
}

// ───────────────────────────── the post ─────────────────────────────

export type ShipmentState = 'created' | 'in-transit' | 'delivered' | 'returned';

export interface ShipmentEvent {
  eventId: string;
  status: ShipmentState;
  trackingNumber: string;
  orderId?: string;
  at?: string;
}

export interface PostalAdapter {
  readonly provider: string;
  createShipment(order: Order, recipientName: string, callbackUrl: string, opts: CallOptions): Promise<{ trackingNumber: string; fee?: number }>;
  status(trackingNumber: string, orderId: string): Promise<ShipmentState>;
  parseCallback(body: unknown): ShipmentEvent;
}

const SHIPMENT_STATES = new Set<ShipmentState>(['created', 'in-transit', 'delivered', 'returned']);

export class PostAdapter implements PostalAdapter {
  constructor(
    readonly provider: string,
    private readonly connector: Connector,
  ) {}

  async createShipment(order: Order, recipientName: string, callbackUrl: string, opts: CallOptions): Promise<{ trackingNumber: string; fee?: number }> {
    const d = order.delivery;
    if (d.method !== 'domestic-post' && d.method !== 'international-post') throw new Error(`order ${order.id} is not delivered by post`);
    const address: Obj = d.method === 'domestic-post' ? { governorate: d.governorate, city: d.city, line: d.address } : { country: d.country, city: d.city, line: d.address, ...(d.postalCode ? { postalCode: d.postalCode } : {}) };
    const phone = d.phone ?? order.applicant.phone;
    const body = {
      reference: order.id,
      service: d.method === 'domestic-post' ? 'domestic' : 'international',
      recipient: { name: recipientName, ...(phone ? { phone } : {}) },
      address,
      contents: order.service.code,
      weightGrams: 50,
      callbackUrl,
    };
    const r = await this.connector.call<Obj>('CreateShipment', { body }, { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey });
    const o = obj(r.output);
    const out: { trackingNumber: string; fee?: number } = { trackingNumber: String(o.trackingNumber) };
    if (num(o.fee) !== undefined) out.fee = num(o.fee)!;
    return out;
  }

  async status(trackingNumber: string, orderId: string): Promise<ShipmentState> {
    const r = await this.connector.call<Obj>('GetShipment', { path: { trackingNumber } }, { orderId });
    const s = String(obj(r.output).status) as ShipmentState;
    return SHIPMENT_STATES.has(s) ? s : 'created';
  }

  parseCallback(body: unknown): ShipmentEvent {
    const b = obj(body);
    const eventId = str(b.eventId);
    const status = str(b.status) as ShipmentState | undefined;
    const trackingNumber = str(b.trackingNumber);
    if (!eventId || !trackingNumber || !status || !SHIPMENT_STATES.has(status)) throw new MalformedCallbackError('eventId, trackingNumber and a known status are required');
    const e: ShipmentEvent = { eventId, status, trackingNumber };
    if (str(b.reference)) e.orderId = String(b.reference);
    if (str(b.at)) e.at = String(b.at);
    return e;
  }
}

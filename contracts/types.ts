/* Generated from contracts/*.schema.json by `npm run contracts:types`. Do not edit. */

/**
 * ord_ followed by a ULID: sortable by creation time, 80 random bits so it cannot be guessed.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "OrderId".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderId".
 */
export type OrderId = string;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ServiceCode".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ServiceCode".
 */
export type ServiceCode = string;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ChannelId".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ChannelId".
 */
export type ChannelId = string;
/**
 * centre: a service-centre counter; portal: the self-service web portal; expat-portal: the portal for citizens living abroad.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ChannelKind".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ChannelKind".
 */
export type ChannelKind = 'centre' | 'portal' | 'expat-portal';
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Governorate".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Governorate".
 */
export type Governorate =
  | 'damascus'
  | 'rif-dimashq'
  | 'aleppo'
  | 'homs'
  | 'hama'
  | 'latakia'
  | 'tartus'
  | 'idlib'
  | 'deir-ez-zor'
  | 'raqqa'
  | 'hasakah'
  | 'daraa'
  | 'as-suwayda'
  | 'quneitra';
/**
 * Syrian national number: exactly 11 ASCII digits.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "NationalNumber".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "NationalNumber".
 */
export type NationalNumber = string;
/**
 * Arabic letters and marks, words separated by one space or hyphen; no digits, Latin letters or control characters.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ArabicName".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ArabicName".
 */
export type ArabicName = string;
/**
 * Latin letters (accents allowed), words separated by one space, hyphen, apostrophe or dot-space.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "LatinName".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "LatinName".
 */
export type LatinName = string;
/**
 * E.164, with the leading +.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Phone".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Phone".
 */
export type Phone = string;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Email".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Email".
 */
export type Email = string;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Language".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Language".
 */
export type Language = 'ar' | 'en';
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "PaymentMethod".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "PaymentMethod".
 */
export type PaymentMethod = 'e-payment' | 'international-card' | 'cash-at-counter';
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Delivery".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Delivery".
 */
export type Delivery =
  CounterDelivery | ElectronicDelivery | DomesticPostDelivery | InternationalPostDelivery;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "AddressLine".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "AddressLine".
 */
export type AddressLine = string;
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "OrderStatus".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderStatus".
 */
export type OrderStatus =
  | 'received'
  | 'awaiting-payment'
  | 'paid'
  | 'submitted-to-provider'
  | 'provider-completed'
  | 'ready-for-pickup'
  | 'dispatched'
  | 'delivered'
  | 'returned'
  | 'rejected'
  | 'failed'
  | 'cancelled'
  | 'refunded';
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "DeliveryMethod".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "DeliveryMethod".
 */
export type DeliveryMethod = 'counter' | 'electronic' | 'domestic-post' | 'international-post';
/**
 * The provider's policy, and overrides per operation.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Resilience".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Resilience".
 */
export type Resilience = Policy & {
  /**
   * Overrides for single operations, by operation name, merged over the provider's policy. An operation that overrides circuitBreaker, bulkhead or rateLimit gets a breaker, bulkhead or rate limit of its own.
   */
  operations?: {
    [k: string]: Policy;
  };
};
/**
 * The name of the environment variable that holds a secret (never the secret).
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Secret".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Secret".
 */
export type Secret = string;
/**
 * The recording's name, unique per operation: the file name without .json.
 *
 * This interface was referenced by `Recording`'s JSON-Schema
 * via the `definition` "Label".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Label".
 */
export type Label = string;
/**
 * draft: being defined; certified: passed its sandbox scenarios; live: offered in production; retired: no longer accepted.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "Lifecycle".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Lifecycle".
 */
export type Lifecycle = 'draft' | 'certified' | 'live' | 'retired';

export interface Contracts {}
/**
 * What the store writes to the outbox with every transition and the bus carries to flows. It names the order and the step, never the citizen: consumers read the order from the store.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderEvent".
 */
export interface OrderEvent {
  id: string;
  /**
   * order.<status reached>, e.g. order.received, order.paid.
   */
  type: string;
  /**
   * ord_ followed by a ULID: sortable by creation time, 80 random bits so it cannot be guessed.
   */
  orderId: string;
  service: string;
  serviceVersion?: number;
  channel?: string;
  at: string;
  /**
   * The timeline step that produced it; orders events of one order.
   */
  seq: number;
  from?:
    | 'received'
    | 'awaiting-payment'
    | 'paid'
    | 'submitted-to-provider'
    | 'provider-completed'
    | 'ready-for-pickup'
    | 'dispatched'
    | 'delivered'
    | 'returned'
    | 'rejected'
    | 'failed'
    | 'cancelled'
    | 'refunded';
  status:
    | 'received'
    | 'awaiting-payment'
    | 'paid'
    | 'submitted-to-provider'
    | 'provider-completed'
    | 'ready-for-pickup'
    | 'dispatched'
    | 'delivered'
    | 'returned'
    | 'rejected'
    | 'failed'
    | 'cancelled'
    | 'refunded';
  reason?: Reason;
  /**
   * The W3C trace context of the step that produced it (README, "Tracing"): its consumer continues that trace. Absent when the step was made outside a trace.
   */
  traceparent?: string;
  /**
   * The W3C tracestate that goes with traceparent, when there was one.
   */
  tracestate?: string;
}
export interface Reason {
  code: string;
  message?: Text;
}
/**
 * A text in Arabic and English.
 */
export interface Text {
  ar: string;
  en: string;
}
/**
 * How orders are paid and delivered: payment providers, the payment deadline, exchange rates for payments from abroad, postal coverage at home and the countries served abroad. config/fulfilment.json, or the file WASL_FULFILMENT_CONFIG names.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "FulfilmentConfig".
 */
export interface FulfilmentConfig {
  $schema?: string;
  payments: {
    /**
     * An order not paid this long after payment was requested is cancelled.
     */
    deadlineMinutes: number;
    domestic: {
      /**
       * Provider code of the national e-payment company (method e-payment).
       */
      provider: string;
    };
    international: {
      /**
       * Provider code for payments from abroad (method international-card).
       */
      provider: string;
      /**
       * The currency it settles in; fees are converted at the configured rate.
       */
      currency: string;
      /**
       * The part of a refund the international provider keeps (its processing fee).
       */
      refundFeePercent: number;
      /**
       * Refunds are possible this many days after payment.
       */
      refundWindowDays: number;
    };
    /**
     * @minItems 1
     */
    rates: {
      currency: string;
      /**
       * Syrian pounds for one unit of the currency.
       */
      perUnit: number;
      /**
       * When the rate was set; recorded on each order converted with it.
       */
      date: string;
    }[];
  };
  postal: {
    provider: string;
    domestic: {
      /**
       * Governorates the post delivers to: "all" of it, or only the listed cities (names as citizens write them, Arabic and Latin; compared without case and diacritics).
       */
      coverage: {
        [k: string]: ('all' | string[]) | undefined;
      };
    };
    international: {
      /**
       * Countries served by international mail, with the delivery fee in Syrian pounds (it replaces the service's flat international-post fee).
       */
      countries: {
        [k: string]:
          | {
              fee: number;
            }
          | undefined;
      };
    };
  };
}
/**
 * One citizen request for one service: the central model every channel, flow and provider mapping speaks.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Order".
 */
export interface Order {
  id: OrderId;
  service: {
    code: ServiceCode;
    version: number;
  };
  channel: ChannelRef;
  applicant: Applicant;
  beneficiary?: Beneficiary;
  fields: ServiceFields;
  language?: Language;
  fees: Fees;
  payment: Payment;
  delivery: Delivery;
  status: OrderStatus;
  statusReason?: Reason1;
  timeline: TimelineEvent[];
  results: Results;
  createdAt: string;
  updatedAt: string;
  shipment?: Shipment;
  rejection?: Rejection;
  links?: OrderLinks;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ChannelRef".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ChannelRef".
 */
export interface ChannelRef {
  id: ChannelId;
  kind: ChannelKind;
  centre?: Centre;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Centre".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Centre".
 */
export interface Centre {
  code: string;
  governorate: Governorate;
}
/**
 * The citizen who asks, pays and collects.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Applicant".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Applicant".
 */
export interface Applicant {
  nationalNumber: NationalNumber;
  fullName: PersonName;
  fatherName: ArabicName;
  motherName: ArabicName;
  birthDate: string;
  phone: Phone;
  email?: Email;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "PersonName".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "PersonName".
 */
export interface PersonName {
  ar: ArabicName;
  latin?: LatinName;
}
/**
 * The person the document is about, when not the applicant.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Beneficiary".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Beneficiary".
 */
export interface Beneficiary {
  relation:
    'child' | 'spouse' | 'parent' | 'sibling' | 'grandparent' | 'grandchild' | 'legal-ward' | 'principal';
  person: Person;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Person".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Person".
 */
export interface Person {
  nationalNumber: NationalNumber;
  fullName: PersonName;
  fatherName: ArabicName;
  motherName: ArabicName;
  birthDate: string;
}
/**
 * Service-specific data, validated by the fields schema of the service's definition.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ServiceFields".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ServiceFields".
 */
export interface ServiceFields {
  [k: string]: unknown | undefined;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Fees".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Fees".
 */
export interface Fees {
  currency: string;
  items: {
    code: 'service' | 'delivery';
    label: Text1;
    amount: number;
  }[];
  total: number;
  /**
   * For an order paid abroad: the total in the currency the international provider settles in, at the configured rate, with the rate's date.
   */
  settlement?: {
    currency: string;
    /**
     * In minor units (cents).
     */
    amountMinor: number;
    /**
     * Syrian pounds per one unit of the currency.
     */
    rate: number;
    rateDate: string;
  };
}
/**
 * A text in Arabic and English.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Text".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Text".
 */
export interface Text1 {
  ar: string;
  en: string;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Payment".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Payment".
 */
export interface Payment {
  method: PaymentMethod;
  status: 'not-required' | 'pending' | 'paid' | 'failed' | 'refunded';
  /**
   * The payment provider's code.
   */
  provider?: string;
  /**
   * What is asked: pounds for SYP, minor units (cents) for a foreign currency.
   */
  amount?: number;
  currency?: string;
  /**
   * The provider's invoice or payment intent.
   */
  invoiceId?: string;
  /**
   * Where the citizen pays; returned to the channel.
   */
  paymentUrl?: string;
  /**
   * Unpaid by then, the order is cancelled.
   */
  deadline?: string;
  transactionId?: string;
  receiptNumber?: string;
  refund?: {
    reference: string;
    amount: number;
    at: string;
  };
  reference?: string;
  paidAt?: string;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "CounterDelivery".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "CounterDelivery".
 */
export interface CounterDelivery {
  method: 'counter';
  centre?: Centre;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ElectronicDelivery".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ElectronicDelivery".
 */
export interface ElectronicDelivery {
  method: 'electronic';
  email?: Email;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "DomesticPostDelivery".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "DomesticPostDelivery".
 */
export interface DomesticPostDelivery {
  method: 'domestic-post';
  governorate: Governorate;
  city: string;
  address: AddressLine;
  phone?: Phone;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "InternationalPostDelivery".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "InternationalPostDelivery".
 */
export interface InternationalPostDelivery {
  method: 'international-post';
  /**
   * ISO 3166-1 alpha-2
   */
  country: string;
  city: string;
  address: AddressLine;
  postalCode?: string;
  phone?: Phone;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Reason".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Reason".
 */
export interface Reason1 {
  code: string;
  message?: Text1;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "TimelineEvent".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "TimelineEvent".
 */
export interface TimelineEvent {
  seq: number;
  at: string;
  /**
   * What happened, e.g. order.received, order.cancelled.
   */
  event: string;
  from?: OrderStatus;
  status: OrderStatus;
  actor: Actor;
  reason?: Reason1;
  /**
   * The OpenTelemetry trace the step was made in (README, "Tracing"), when there was one: the order's trace is its received step's.
   */
  traceId?: string;
  /**
   * The documents the step added to the order's results, by reference and SHA-256: the timeline shows which content each step gave (the audit record of the step carries the same).
   *
   * @maxItems 32
   */
  documents?: {
    reference: string;
    sha256: string;
  }[];
}
/**
 * Who caused a step: a channel, the system (a flow, the relay), an operator, or a provider's callback.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Actor".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Actor".
 */
export interface Actor {
  kind: 'channel' | 'system' | 'operator' | 'provider';
  id: string;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Results".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Results".
 */
export interface Results {
  documents: Document[];
  data?: ResultData;
  providerReferences: {
    provider: string;
    operation?: string;
    reference: string;
  }[];
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Document".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Document".
 */
export interface Document {
  type: string;
  reference: string;
  issuedAt: string;
  issuer?: string;
  sha256?: string;
}
/**
 * What the service gives back as data (an eligibility, a balance, a record's details), typed by its definition's `result.schema`: the flow sets it (msg.results.data), the hub checks it against that schema before it is stored. It may hold citizens' data: it is never logged.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ResultData".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ResultData".
 */
export interface ResultData {
  [k: string]: unknown | undefined;
}
/**
 * The postal shipment carrying the document.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Shipment".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Shipment".
 */
export interface Shipment {
  provider: string;
  trackingNumber: string;
  status: 'created' | 'in-transit' | 'delivered' | 'returned';
  fee?: number;
  updatedAt: string;
}
/**
 * Why the provider refused the order, for the citizen: the refusal's reason code (from the provider's error rules), the provider, its own code when it gave one, and a message in Arabic and English — the service's override for that provider and reason, else the rule's message, else a default naming the reason.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Rejection".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Rejection".
 */
export interface Rejection {
  reason: string;
  provider: string;
  providerCode?: string;
  message: Text1;
}
/**
 * Where a channel follows the order; added by the gateway to what it returns, never stored.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "OrderLinks".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderLinks".
 */
export interface OrderLinks {
  self: string;
  cancel?: string;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Money".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Money".
 */
export interface Money {
  /**
   * In the currency's smallest unit used by the provider (whole pounds for SYP).
   */
  amount: number;
  currency: string;
}
/**
 * وصل: the receipt of one payment, in Arabic and English; as GET /v1/orders/{id}/receipt reads it, with the order's result data or refusal once it has one. Its sum: amountMinor in the currency's minor units (minorDigits of them), and display, the sum written for people in Arabic and English (Intl.NumberFormat with the currency, e.g. { "en": "$19.43", "ar": "19.43 US$" }).
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "Receipt".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Receipt".
 */
export interface Receipt {
  number: string;
  orderId: OrderId;
  service: {
    code: ServiceCode;
    names: Text1;
  };
  /**
   * The same sum as amountMinor (kept for existing channels): pounds for SYP, minor units (cents) for a foreign currency. Prefer amountMinor and display.
   */
  amount: number;
  currency: string;
  /**
   * The sum paid in the currency's minor units, 10^-minorDigits of the currency: 1943 USD is $19.43; 2500 SYP is 2,500 pounds. Always in GET /v1/orders/{id}/receipt.
   */
  amountMinor?: number;
  /**
   * The digits of the currency's minor unit (ISO 4217 as ICU has it): 0 for SYP, 2 for USD and EUR.
   */
  minorDigits?: number;
  display?: Text1;
  provider: {
    code: string;
    names: Text1;
  };
  providerReference: string;
  paidAt: string;
  issuedAt: string;
  title: Text1;
  /**
   * The receipt's field labels, in Arabic and English.
   */
  labels: {
    [k: string]: Text1;
  };
  result?: ReceiptResult;
  rejection?: Rejection;
  /**
   * The documents wasl keeps for the order, as the counter prints them: each with its SHA-256 and the verification code anyone holding the printed copy can check at GET /v1/documents/verify/{code} (it answers only valid or invalid, issuer, date and type).
   */
  documents?: {
    type: string;
    reference: string;
    sha256?: string;
    verificationCode: string;
  }[];
}
/**
 * The order's result data as the receipt shows it, once the flow has set it: the data, and the labels of its fields in Arabic and English (the service's `result.labels`, else the field's name).
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "ReceiptResult".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ReceiptResult".
 */
export interface ReceiptResult {
  data: ResultData;
  labels: {
    [k: string]: Text1;
  };
}
/**
 * What a channel submits to POST /v1/orders. The service's fields schema validates `fields`.
 *
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "OrderRequest".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderRequest".
 */
export interface OrderRequest {
  service: ServiceCode;
  centre?: Centre;
  applicant: Applicant;
  beneficiary?: Beneficiary;
  fields: ServiceFields;
  delivery: Delivery;
  paymentMethod?: PaymentMethod;
  language?: Language;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "CancelRequest".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "CancelRequest".
 */
export interface CancelRequest {
  reason?: Reason1;
}
/**
 * This interface was referenced by `Order`'s JSON-Schema
 * via the `definition` "OrderSummary".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "OrderSummary".
 */
export interface OrderSummary {
  id: OrderId;
  service: {
    code: ServiceCode;
    version: number;
  };
  channel: ChannelRef;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
}
/**
 * An error, as application/problem+json (RFC 9457), with its text in English and Arabic.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Problem".
 */
export interface Problem {
  /**
   * urn:wasl:problem:<code>
   */
  type: string;
  /**
   * English.
   */
  title: string;
  /**
   * Arabic.
   */
  titleAr: string;
  status: number;
  /**
   * Stable code; see docs/errors.md.
   */
  code: string;
  detail?: string;
  detailAr?: string;
  /**
   * The request id, to quote to support.
   */
  instance?: string;
  errors?: {
    /**
     * JSON pointer (RFC 6901) into the part of the request named by `in`.
     */
    pointer: string;
    /**
     * Absent for the body.
     */
    in?: 'body' | 'query' | 'path' | 'header';
    detail: string;
    detailAr?: string;
  }[];
  retryAfter?: number;
  currentStatus?: string;
  /**
   * document-purged: the SHA-256 of the document whose content was deleted; it remains.
   */
  sha256?: string;
  /**
   * document-purged: when its content was deleted.
   */
  purgedAt?: string;
}
/**
 * contracts/providers/<code>/provider.json: one back-end system (a ministry, the e-payment company, the post) — its contract, endpoints per environment, security, resilience policy and error mapping. Written by `wasl provider import`, then edited by the integration engineer. Secrets are never in this file: it names the environment variables that hold them.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ProviderDefinition".
 */
export interface ProviderDefinition {
  $schema?: string;
  /**
   * Provider code, used in service definitions and metrics.
   */
  code: string;
  names: Text;
  /**
   * How the provider is called: SOAP (from a WSDL) or REST (from an OpenAPI document, or operations described by hand).
   */
  kind: 'soap' | 'rest';
  contract: ContractRef;
  /**
   * Where the provider is, per environment. The sandbox (a wasl simulator, or for a provider without one its test system) is required; test is the provider's own test system, for recording and contract checks; production is added when the provider goes live.
   */
  environments: {
    sandbox: Environment;
    test?: Environment1;
    production?: Environment;
  };
  security?: Security;
  /**
   * Test credentials of the provider's sandbox (its test system, or wasl's simulator), by the environment variable the security block names. Used only in the sandbox environment and only while that variable is unset; the sandbox simulators check what they receive against them. Never used in production, where the variables are required.
   */
  sandboxSecrets?: {
    [k: string]: string | undefined;
  };
  xroad?: XRoad;
  resilience?: Resilience;
  errors?: ErrorMapping;
  xml?: XmlLimits;
  /**
   * Binary content the provider returns (a signed PDF: a binary REST response, a base64 field, a SOAP attachment), carried as a document: streamed into the document store and handed on as a handle (id, media type, size, SHA-256).
   */
  documents?: {
    /**
     * Largest document (a binary response, an attachment, a base64 field once decoded) accepted from this provider, in bytes; a larger one is refused with unsafe-response (document-size) as it streams in, having held at most this much.
     */
    maxBytes?: number;
  };
  soap?: SoapOptions;
  tracing?: Tracing;
  /**
   * For a REST provider without an OpenAPI document: its operations described by hand.
   */
  operations?: {
    [k: string]: ManualOperation | undefined;
  };
  /**
   * Payment and postal providers only: which of wasl's adapters speaks this provider's contract for the hub's payment and postal desks (connectors/payment/, connectors/postal/). sy-epay-invoices: invoices in Syrian pounds (CreateInvoice, GetInvoice, RefundInvoice, ListSettlements); intl-pay-intents: payment intents in minor units (CreatePaymentIntent, GetPaymentIntent, CreateRefund, ListPayouts); sy-post-shipments: shipments (CreateShipment, GetShipment). Required of every provider config/fulfilment.json names for payment or post, and checked at start: a missing adapter, or one of the other kind, stops the hub naming this file. A provider that names one gets types.ts generated at import, which its adapter reads; ministries name none (flows reach them).
   */
  adapter?: 'sy-epay-invoices' | 'intl-pay-intents' | 'sy-post-shipments';
  callbacks?: Callbacks;
}
/**
 * The contract the connector is built from.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "ContractRef".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ContractRef".
 */
export interface ContractRef {
  /**
   * What the contract is: a WSDL, an OpenAPI document, or operations described by hand in this file (`operations`).
   */
  type: 'wsdl' | 'openapi' | 'manual';
  /**
   * The contract as imported, relative to the provider folder.
   */
  file?: string;
  /**
   * WSDL service name, when the WSDL has several.
   */
  service?: string;
  /**
   * WSDL port name, when the service has several (e.g. SOAP 1.1 and 1.2 ports).
   */
  port?: string;
  /**
   * Of the contract and its resolved schemas at import, to tell a changed contract.
   */
  sha256?: string;
}
/**
 * Where the provider is in one environment, and how to authenticate there if it differs. Its `security`, when given, replaces the provider's in this environment.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Environment".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Environment".
 */
export interface Environment {
  /**
   * Base URL (REST) or service address (SOAP).
   */
  endpoint: string;
  security?: Security;
}
/**
 * How wasl authenticates to the provider: any combination of HTTP basic, WS-Security, an API key, a bearer token, OAuth2 client credentials and (mutual) TLS.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Security".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Security".
 */
export interface Security {
  /**
   * HTTP basic authentication.
   */
  basic?: {
    /**
     * Variable holding the user name.
     */
    usernameEnv: string;
    /**
     * Variable holding the password.
     */
    passwordEnv: string;
  };
  /**
   * WS-Security (SOAP only).
   */
  wsSecurity?: {
    /**
     * A UsernameToken header, with a nonce and its creation time.
     */
    usernameToken?: {
      /**
       * Variable holding the user name.
       */
      usernameEnv: string;
      /**
       * Variable holding the password.
       */
      passwordEnv: string;
      /**
       * PasswordDigest sends Base64(SHA-1(nonce + created + password)); PasswordText sends the password itself (over TLS only).
       */
      passwordType?: 'PasswordText' | 'PasswordDigest';
    };
    /**
     * Sign the Body and Timestamp with an X.509 key (XML-DSig, RSA-SHA256, exclusive C14N).
     */
    x509?: {
      /**
       * Variable holding the PEM private key, inline or as file:/path/key.pem.
       */
      privateKeyEnv: string;
      /**
       * Variable holding the PEM certificate, inline or as file:/path/cert.pem.
       */
      certificateEnv: string;
      /**
       * Lifetime of the signed Timestamp.
       */
      timestampTtlSeconds?: number;
    };
  };
  /**
   * An API key, sent in a header or in the query string.
   */
  apiKey?: {
    /**
     * Where the key goes.
     */
    in: 'header' | 'query';
    /**
     * The header or query parameter name.
     */
    name: string;
    /**
     * Variable holding the key.
     */
    valueEnv: string;
  };
  /**
   * A fixed bearer token (Authorization: Bearer …).
   */
  bearer?: {
    /**
     * Variable holding the token.
     */
    tokenEnv: string;
  };
  /**
   * OAuth2 client credentials; the token is cached until shortly before it expires and refreshed once on a 401.
   */
  oauth2?: {
    /**
     * The authorization server's token endpoint.
     */
    tokenUrl: string;
    /**
     * Variable holding the client id.
     */
    clientIdEnv: string;
    /**
     * Variable holding the client secret.
     */
    clientSecretEnv: string;
    /**
     * Scopes asked for in the token request.
     */
    scopes?: string[];
    /**
     * The audience parameter, for authorization servers that need one.
     */
    audience?: string;
  };
  /**
   * TLS settings: a private CA and, for mutual TLS, the client certificate and key.
   */
  tls?: {
    /**
     * Variable holding the PEM of the CA that signed the provider's certificate, when it is not a public CA.
     */
    caEnv?: string;
    /**
     * Variable holding wasl's client certificate (PEM), for mutual TLS.
     */
    certEnv?: string;
    /**
     * Variable holding wasl's client private key (PEM), for mutual TLS.
     */
    keyEnv?: string;
    /**
     * Variable holding the passphrase of an encrypted client key.
     */
    passphraseEnv?: string;
    /**
     * Verify the provider's certificate. Turn it off only in the sandbox, against a self-signed test server.
     */
    rejectUnauthorized?: boolean;
  };
}
/**
 * Where the provider is in one environment, and how to authenticate there if it differs. Its `security`, when given, replaces the provider's in this environment.
 */
export interface Environment1 {
  /**
   * Base URL (REST) or service address (SOAP).
   */
  endpoint: string;
  security?: Security;
}
/**
 * X-Road message headers. `client` is wasl; `service` is the provider's member, the operation name being added per call; `id` is the call's idempotency key, `issue` the order id and `userId` the channel or operator.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "XRoad".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "XRoad".
 */
export interface XRoad {
  /**
   * X-Road message protocol version.
   */
  protocolVersion?: string;
  client: XRoadMember;
  /**
   * The provider's member (and subsystem); the service code is the operation's name.
   */
  service: {
    /**
     * X-Road instance code.
     */
    xRoadInstance: string;
    /**
     * Member class.
     */
    memberClass: string;
    /**
     * Member code.
     */
    memberCode: string;
    /**
     * Subsystem code, when the member uses subsystems.
     */
    subsystemCode?: string;
    /**
     * Service version, when the provider versions its services.
     */
    serviceVersion?: string;
  };
}
/**
 * An X-Road member, or one of its subsystems.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "XRoadMember".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "XRoadMember".
 */
export interface XRoadMember {
  /**
   * X-Road instance code.
   */
  xRoadInstance: string;
  /**
   * Member class.
   */
  memberClass: string;
  /**
   * Member code.
   */
  memberCode: string;
  /**
   * Subsystem code, when the member uses subsystems.
   */
  subsystemCode?: string;
}
/**
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Policy".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Policy".
 */
export interface Policy {
  /**
   * Time to establish the TCP (and TLS) connection.
   */
  connectTimeoutMs?: number;
  /**
   * Total time for one attempt, from sending to the last byte of the response.
   */
  timeoutMs?: number;
  /**
   * Retries of transient failures (transport, timeout, a status in `statuses`, a server fault), with exponential backoff.
   */
  retry?: {
    /**
     * Including the first try. Only transient failures are retried, and a non-idempotent call only when it carries an idempotency key.
     */
    maxAttempts?: number;
    /**
     * Exponential backoff with full jitter: attempt n waits a random time up to min(maxDelayMs, baseDelayMs·2^(n-1)).
     */
    baseDelayMs?: number;
    /**
     * The longest wait between two attempts.
     */
    maxDelayMs?: number;
    /**
     * HTTP statuses that count as transient.
     */
    statuses?: number[];
  };
  /**
   * One circuit breaker per endpoint: after repeated transient failures, calls fail at once (circuit-open, nothing sent) until a trial call succeeds.
   */
  circuitBreaker?: {
    /**
     * Consecutive transient failures that open the breaker of an endpoint.
     */
    failureThreshold?: number;
    /**
     * How long it stays open before letting one trial call through.
     */
    halfOpenAfterMs?: number;
  };
  /**
   * A concurrency limit per provider, so one slow provider cannot hold every worker.
   */
  bulkhead?: {
    /**
     * Calls in flight to the provider at once.
     */
    maxConcurrent?: number;
    /**
     * Calls waiting for a slot; more are refused at once.
     */
    maxQueued?: number;
  };
  /**
   * A rate limit per provider (token bucket). A call waits for its turn while the wait is shorter than its timeoutMs, and is otherwise refused at once with rate-limited (nothing sent). None by default.
   */
  rateLimit?: {
    /**
     * Calls per second to the provider (token bucket).
     */
    perSecond: number;
    /**
     * Bucket size; perSecond rounded up by default.
     */
    burst?: number;
  };
}
/**
 * How the provider's own faults map to what they mean for wasl: a business refusal on the merits (with wasl's reason), a transient fault (retried), or a permanent one (not retried, not a refusal). The first rule that matches wins; a fault no rule matches stays a provider fault, transient or not as the connector decides (see docs/connector-errors.md).
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "ErrorMapping".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ErrorMapping".
 */
export interface ErrorMapping {
  /**
   * Tried in order. A rule matches when every criterion it gives holds (faultCode, faultCodePattern, faultString, faultStringPattern, status, codePointer, detailPath with detailValue or detailPattern; messagePointer only says where faultString reads); a rule with no criterion matches every fault (a catch-all: put it last). Patterns are matched in linear time (contracts/linear-regexp.ts).
   */
  rules?: {
    /**
     * What a matching fault is. refusal: the provider refused on the merits: a BusinessRefusal with `reason`, never retried, the order ends rejected. transient: a temporary failure (an outage the provider reports as a fault): a provider fault that is retried like a network failure or a 5xx, when the call may be retried, and counts toward the circuit breaker. permanent: a provider fault that is not retried and not a refusal: the order's step fails and the message is dead-lettered for an operator.
     */
    kind?: 'refusal' | 'transient' | 'permanent';
    /**
     * SOAP fault code (local name of faultcode or Code/Value, a SOAP 1.2 subcode, or the text of a code element in the detail: each is tried in turn) or REST error code (at codePointer, default /code), compared exactly.
     */
    faultCode?: string;
    /**
     * A regular expression (Unicode, linear-time) on the same; anchor it (^…$) to match the whole code. Codes over 256 characters never match.
     */
    faultCodePattern?: string;
    /**
     * The fault's text, compared exactly (after trimming): SOAP 1.1 faultstring, SOAP 1.2 the first Reason/Text; REST the string at messagePointer (default /message) in the error body, or a text error body. Many SOAP services answer faultcode Server for both refusals and outages and put the reason only here.
     */
    faultString?: string;
    /**
     * A regular expression (Unicode, linear-time) on the fault's text as for faultString; anchor it (^…) to match its start. It is tried on the first 4,096 characters.
     */
    faultStringPattern?: string;
    /**
     * HTTP status of the answer (a SOAP fault usually comes with 500).
     */
    status?: number;
    /**
     * JSON pointer to the provider's error code in a REST error body (default /code): faultCode and faultCodePattern apply to the value there; on its own, the rule needs a value to exist there.
     */
    codePointer?: string;
    /**
     * REST: JSON pointer to the fault's text in the error body, for faultString and faultStringPattern (default /message).
     */
    messagePointer?: string;
    /**
     * A path of element local names (prefixes are ignored; * is any element), up to 16 steps: in a SOAP fault, from the children of its detail (1.1 detail, 1.2 Detail); in a REST XML error body, from its root element. The rule needs an element there — any of them when several — whose text is detailValue or matches detailPattern, or, without either, just the element.
     */
    detailPath?: string;
    /**
     * With detailPath: the text (trimmed) of the element there, compared exactly.
     */
    detailValue?: string;
    /**
     * With detailPath: a regular expression (Unicode, linear-time) on the text (trimmed) of the element there; tried on its first 4,096 characters.
     */
    detailPattern?: string;
    /**
     * wasl's reason code, e.g. person-not-found, record-sealed, fees-unpaid, already-issued. Required when kind is refusal (the default); not allowed otherwise.
     */
    reason?: string;
    message?: Text;
  }[];
}
/**
 * Safety limits for XML from this provider. DTDs and entities are always refused.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "XmlLimits".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "XmlLimits".
 */
export interface XmlLimits {
  /**
   * Largest response accepted, in bytes (after decompression); a larger one is refused as it streams in.
   */
  maxBytes?: number;
  /**
   * Deepest element nesting.
   */
  maxDepth?: number;
  /**
   * Most elements and attributes in one document.
   */
  maxElements?: number;
}
/**
 * SOAP-only options of this provider.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "SoapOptions".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "SoapOptions".
 */
export interface SoapOptions {
  /**
   * Send binary input values (base64Binary fields given a document handle or a Buffer) as MTOM/XOP parts of a multipart/related request, as the provider asks. Otherwise they are written inline as base64 text. Responses are read in either form whatever this says.
   */
  mtom?: boolean;
}
/**
 * OpenTelemetry trace context sent to this provider (README, "Tracing"); only when the hub traces. REST providers receive the W3C `traceparent` (and `tracestate`) headers on every call; SOAP providers only when `propagate` is true.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Tracing".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Tracing".
 */
export interface Tracing {
  /**
   * Send the W3C `traceparent` and `tracestate` HTTP headers with each call. Defaults to true for REST providers and false for SOAP ones (a SOAP stack that refuses unknown headers is left alone unless asked).
   */
  propagate?: boolean;
}
/**
 * A REST operation described by hand, for a provider without an OpenAPI document.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "ManualOperation".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ManualOperation".
 */
export interface ManualOperation {
  /**
   * What the operation does, shown by `wasl provider describe`.
   */
  description?: string;
  /**
   * HTTP method. GET, PUT and DELETE are retried as idempotent; POST and PATCH only with an idempotency key.
   */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path template, appended to the environment's endpoint.
   */
  path: string;
  /**
   * Path, query and header parameters, taken from the input by name.
   */
  parameters?: {
    /**
     * Parameter name, in the input and on the wire.
     */
    name: string;
    /**
     * Where the parameter goes.
     */
    in: 'path' | 'query' | 'header';
    /**
     * Whether the input must carry it (path parameters always must).
     */
    required?: boolean;
    /**
     * JSON Schema of the value.
     */
    schema?: {};
  }[];
  /**
   * The body sent, from the input's other properties.
   */
  requestBody?: {
    /**
     * How the body is encoded.
     */
    mediaType?: 'application/json' | 'application/xml';
    /**
     * For XML bodies: the name of the root element.
     */
    rootElement?: string;
    /**
     * JSON Schema of the body.
     */
    schema: {};
  };
  /**
   * The successful response, checked against its schema (contract-violation otherwise).
   */
  response?: {
    /**
     * How the body is encoded.
     */
    mediaType?: 'application/json' | 'application/xml';
    /**
     * JSON Schema of the output.
     */
    schema: {};
  };
}
/**
 * How the provider calls the hub back (payment and postal providers): at POST /v1/callbacks/<provider code>, signed with a shared secret. The hub verifies the signature over the raw body and a timestamp, refuses a timestamp outside the tolerance, and records each callback's event id so that a repeat changes nothing.
 *
 * This interface was referenced by `ProviderDefinition`'s JSON-Schema
 * via the `definition` "Callbacks".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Callbacks".
 */
export interface Callbacks {
  /**
   * Where the signature travels. t-v1: one header `t=<unix>,v1=<hex>`; sha256-hex: `sha256=<hex>` in one header and the unix timestamp in another. Both sign `<timestamp>.<raw body>` with HMAC-SHA256.
   */
  signature: {
    /**
     * t-v1 or sha256-hex (see above).
     */
    scheme: 't-v1' | 'sha256-hex';
    /**
     * The header that carries the signature.
     */
    header: string;
    /**
     * sha256-hex only: the header with the unix timestamp.
     */
    timestampHeader?: string;
  };
  /**
   * The name of the environment variable that holds a secret (never the secret).
   */
  secretEnv: string;
  /**
   * The secret used in the sandbox when secretEnv is unset, shared with the sandbox simulator. Never used in production, where secretEnv is required.
   */
  sandboxSecret?: string;
  /**
   * How far the callback's timestamp may be from the hub's clock.
   */
  toleranceSeconds?: number;
}
/**
 * One exchange with a provider's real system, recorded by `wasl provider record` (contracts/providers/<code>/recordings/<operation>/<label>.json) and replayed by the provider's generated sandbox simulator. Every value of citizens' data in it is masked: replaced by a substitute of the same shape, the same original by the same substitute everywhere in the recording (input, output, fault text, raw bodies).
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Recording".
 */
export interface Recording {
  $schema?: string;
  /**
   * The format of this file.
   */
  format: 1;
  /**
   * Provider code.
   */
  provider: string;
  /**
   * The contract operation called.
   */
  operation: string;
  label: Label;
  recordedAt: string;
  /**
   * Which of the provider's systems answered: its test system (provider.json environments.sandbox) or production.
   */
  environment: 'test' | 'production';
  /**
   * The address called: scheme, host, port and path only.
   */
  endpoint?: string;
  kind: 'soap' | 'rest';
  /**
   * The members of the input (JSON pointers) a request must have equal to this recording's for the simulator to replay it. All the leaf values of the input by default.
   */
  match: string[];
  /**
   * The operation's input as given to the connector, masked.
   */
  input: {
    [k: string]: unknown | undefined;
  };
  /**
   * The decoded output of an answer, masked (what the connector read).
   */
  output?: {
    [k: string]: unknown | undefined;
  };
  request: WireRequest;
  response: WireResponse;
  /**
   * A valid answer, or a fault (SOAP fault, error status, refusal).
   */
  outcome: 'answer' | 'fault';
  fault?: RecordedFault;
  /**
   * How many attempts the connector made; the last one is recorded.
   */
  attempts?: number;
  masking: Masking;
}
/**
 * The request as sent, without credentials (no WS-Security header, no authentication header or API key), masked.
 *
 * This interface was referenced by `Recording`'s JSON-Schema
 * via the `definition` "WireRequest".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "WireRequest".
 */
export interface WireRequest {
  method: string;
  /**
   * Path and query string.
   */
  path: string;
  /**
   * Content-Type, SOAPAction and Accept only.
   */
  headers: {
    [k: string]: string | undefined;
  };
  body?: string;
}
/**
 * The answer as received, masked: what the simulator sends back, byte for byte.
 *
 * This interface was referenced by `Recording`'s JSON-Schema
 * via the `definition` "WireResponse".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "WireResponse".
 */
export interface WireResponse {
  status: number;
  contentType?: string;
  body: string;
}
/**
 * What the connector made of a fault, and which errors.rules entry (if any) decided it.
 *
 * This interface was referenced by `Recording`'s JSON-Schema
 * via the `definition` "RecordedFault".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "RecordedFault".
 */
export interface RecordedFault {
  /**
   * The connector's error code (business-refusal, provider-fault).
   */
  error: string;
  /**
   * The provider's code: SOAP fault code (or detail code), REST error code.
   */
  faultCode?: string;
  /**
   * The provider's fault text (faultstring, Reason/Text, message), masked.
   */
  text?: string;
  status?: number;
  transient: boolean;
  /**
   * The refusal's reason, from the rule that matched.
   */
  reason?: string;
  /**
   * The kind of the rule that matched.
   */
  kind?: 'refusal' | 'transient' | 'permanent';
  /**
   * The index in errors.rules of the rule that matched.
   */
  rule?: number;
}
/**
 * This interface was referenced by `Recording`'s JSON-Schema
 * via the `definition` "Masking".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Masking".
 */
export interface Masking {
  /**
   * How many distinct values were replaced.
   */
  masked: number;
  /**
   * The fields kept in clear on request (--keep).
   */
  kept: string[];
}
/**
 * One sandbox scenario of a service (flows/<code>/scenarios/<name>.json): the order a channel submits, how payment, delivery and each provider behave, and what must be true at the end. Run by the sandbox runner against the simulators; a service whose scenarios all pass can be certified.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Scenario".
 */
export interface Scenario {
  $schema?: string;
  name: string;
  description?: string;
  /**
   * The kind of channel that submits it; centre by default.
   */
  channel?: 'centre' | 'portal' | 'expat-portal';
  /**
   * Members of the order request, over the service's own example (OpenAPI): only what the scenario is about needs saying; the example as it is when absent.
   */
  order?: {};
  payment?: {
    mode?: 'approve' | 'decline' | 'timeout' | 'late' | 'twice' | 'never' | 'expire' | 'wrong-amount';
    lateMs?: number;
    /**
     * wrong-amount: what the payer is taken to have paid, in the provider's units (1 by default).
     */
    paidAmount?: number;
  };
  delivery?: {
    mode?: 'deliver' | 'return' | 'never' | 'twice';
  };
  /**
   * How each provider behaves, by provider code, then by operation (or * for all).
   */
  providers?: {
    [k: string]:
      | {
          [k: string]: ProviderBehaviour | undefined;
        }
      | undefined;
  };
  expect: Expectations;
}
/**
 * This interface was referenced by `Scenario`'s JSON-Schema
 * via the `definition` "ProviderBehaviour".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ProviderBehaviour".
 */
export interface ProviderBehaviour {
  /**
   * The answer's members, over a valid generated example of the operation's output.
   */
  respond?: {};
  /**
   * Only for requests whose input has these members (data keyed by request fields).
   */
  when?: {};
  latencyMs?: number;
  fault?: {
    kind: 'soap-fault' | 'http-error' | 'timeout' | 'malformed' | 'hostile' | 'outage' | 'drip';
    /**
     * SOAP fault code or business error code.
     */
    code?: string;
    status?: number;
    /**
     * outage: how long it lasts.
     */
    forMs?: number;
    /**
     * How many calls it applies to; all when absent.
     */
    times?: number;
  };
}
/**
 * This interface was referenced by `Scenario`'s JSON-Schema
 * via the `definition` "Expectations".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "Expectations".
 */
export interface Expectations {
  status:
    | 'received'
    | 'awaiting-payment'
    | 'paid'
    | 'submitted-to-provider'
    | 'provider-completed'
    | 'ready-for-pickup'
    | 'dispatched'
    | 'delivered'
    | 'returned'
    | 'rejected'
    | 'failed'
    | 'cancelled'
    | 'refunded';
  /**
   * The reason code of the last refusal or failure.
   */
  reason?: string;
  /**
   * The statuses in order (consecutive repeats from notes collapsed).
   */
  timeline?: (
    | 'received'
    | 'awaiting-payment'
    | 'paid'
    | 'submitted-to-provider'
    | 'provider-completed'
    | 'ready-for-pickup'
    | 'dispatched'
    | 'delivered'
    | 'returned'
    | 'rejected'
    | 'failed'
    | 'cancelled'
    | 'refunded'
  )[];
  /**
   * Per provider code and operation: how many times it was called for the order (1: exactly once).
   */
  calls?: {
    [k: string]:
      | {
          [k: string]: number | undefined;
        }
      | undefined;
  };
  /**
   * Per provider code and operation: members the provider must have received in the request.
   */
  received?: {
    [k: string]:
      | {
          [k: string]: {} | undefined;
        }
      | undefined;
  };
  /**
   * Members the order's results must have.
   */
  results?: {};
  /**
   * Documents the order must hold at the end, each received from the provider and kept in the hub's document store: an entry of results.documents of this type whose reference is a stored document of this order, with the same SHA-256, and this media type.
   *
   * @minItems 1
   */
  documents?: {
    /**
     * The entry's type (results.documents[].type).
     */
    type: string;
    /**
     * The stored document's media type, e.g. application/pdf (checked against its first bytes too).
     */
    mediaType?: string;
  }[];
  deadLettered?: false | string;
}
/**
 * A transaction type in the catalogue: who provides it, who may ask for it, what it needs, what it costs, how it is delivered, how fast, and where it stands in its lifecycle.
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ServiceDefinition".
 */
export interface ServiceDefinition {
  $schema?: string;
  code: string;
  /**
   * Raised on every change of the definition; orders record the version they were accepted under.
   */
  version: number;
  names: Text;
  description?: Text;
  provider: {
    code: string;
    operation?: string;
  };
  /**
   * The channel kinds that may submit it.
   *
   * @minItems 1
   */
  channels: ('centre' | 'portal' | 'expat-portal')[];
  /**
   * Where centres offer it; ["*"] for everywhere.
   *
   * @minItems 1
   */
  governorates: (
    | '*'
    | (
        | 'damascus'
        | 'rif-dimashq'
        | 'aleppo'
        | 'homs'
        | 'hama'
        | 'latakia'
        | 'tartus'
        | 'idlib'
        | 'deir-ez-zor'
        | 'raqqa'
        | 'hasakah'
        | 'daraa'
        | 'as-suwayda'
        | 'quneitra'
      )
  )[];
  fields: FieldsSchema;
  fees: FeeTable;
  /**
   * @minItems 1
   */
  delivery: ('counter' | 'electronic' | 'domestic-post' | 'international-post')[];
  /**
   * Whether the order may, must or must not name a beneficiary other than the applicant.
   */
  beneficiary?: 'none' | 'optional' | 'required';
  sla: {
    /**
     * From acceptance to the document being ready or dispatched.
     */
    hours: number;
  };
  /**
   * What the hub does with the documents this service's provider returns (a signed PDF), kept encrypted in the document store (docs/documents.md).
   */
  documents?: {
    /**
     * Days a document's content is kept after it is stored; then it is deleted and its metadata and SHA-256 stay (its verification codes still answer valid). Without it, WASL_DOCUMENT_RETENTION_DAYS (90 by default).
     */
    retentionDays?: number;
  };
  lifecycle: Lifecycle;
  flow?: PatternFlow;
  result?: ResultDeclaration;
  /**
   * The citizen-facing message of a provider's refusal, for this service, overriding the message of the provider's error rule (errors.rules[].message) for that provider and reason. Without one, the rule's message is used, else a default naming the reason.
   *
   * @maxItems 100
   */
  refusals?: RefusalMessage[];
}
/**
 * A JSON Schema (2020-12) for the order's fields: an object that closes its properties and gives at least one example.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "FieldsSchema".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "FieldsSchema".
 */
export interface FieldsSchema {
  type: 'object';
  properties: {};
  required?: string[];
  additionalProperties: false;
  /**
   * @minItems 1
   */
  examples: {}[];
  [k: string]: unknown | undefined;
}
/**
 * The service fee (by channel kind, else the default) plus the fee of the chosen delivery method.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "FeeTable".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "FeeTable".
 */
export interface FeeTable {
  currency: 'SYP';
  service: {
    default: number;
    byChannel?: {
      [k: string]: number | undefined;
    };
  };
  delivery: {
    [k: string]: number | undefined;
  };
}
/**
 * The service is carried out by a flow it shares with the services of the same pattern (flows/<pattern>/flow.json, a folder without service.json), driven by this definition: the operation is provider.operation, and these two JSONata mappings are the service's own. A new similar service is then configuration, not a copied flow. Without it, the service has its own flows/<code>/flow.json.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "PatternFlow".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "PatternFlow".
 */
export interface PatternFlow {
  /**
   * The folder under flows/ of the shared flow.
   */
  pattern: string;
  /**
   * JSONata over the message — payload: the order, service: this definition — giving the operation's input (checked against its schema).
   */
  input: string;
  /**
   * JSONata over the message — payload: the operation's output, service: this definition — giving the order's results (documents, provider references).
   */
  results: string;
}
/**
 * The data the service gives back (order.results.data), which the flow sets in msg.results.data: the hub checks it against this schema and refuses the step (result-mismatch) when it does not match. Without a declaration, a flow may set no result data.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "ResultDeclaration".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ResultDeclaration".
 */
export interface ResultDeclaration {
  schema: ResultSchema;
  /**
   * The labels of the result's fields in Arabic and English, for the receipt and the dashboard; a field without one shows its name.
   */
  labels?: {
    [k: string]: Text;
  };
}
/**
 * A JSON Schema (2020-12) for the result data: an object that closes its properties, at most 64 of them, and at most 16 KiB written out (checked when the catalogue loads). No remote references: $ref only within itself or to wasl's contracts. Patterns run in linear time.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "ResultSchema".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ResultSchema".
 */
export interface ResultSchema {
  type: 'object';
  properties: {};
  required?: string[];
  additionalProperties: false;
  examples?: {}[];
  [k: string]: unknown | undefined;
}
/**
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "RefusalMessage".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "RefusalMessage".
 */
export interface RefusalMessage {
  /**
   * The refusing provider's code; the service's provider (provider.code) when absent.
   */
  provider?: string;
  /**
   * The refusal's reason code, as the provider's error rule gives it.
   */
  reason: string;
  message: Text;
}
/**
 * A service as GET /v1/services shows it to channels.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "CatalogueEntry".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "CatalogueEntry".
 */
export interface CatalogueEntry {
  code: string;
  version: number;
  names: Text;
  description?: Text;
  provider: string;
  channels: ('centre' | 'portal' | 'expat-portal')[];
  governorates: string[];
  delivery: ('counter' | 'electronic' | 'domestic-post' | 'international-post')[];
  fees: FeeTable;
  sla: {
    hours: number;
  };
  lifecycle: Lifecycle;
  /**
   * The fields schema, so a channel can build its form.
   */
  fields: {
    [k: string]: unknown | undefined;
  };
  result?: ResultDeclaration;
  certificate?: CertificateSummary;
  refused?: ServiceRefusal;
  /**
   * Operators only: every lifecycle change, oldest first, with who made it and when.
   */
  lifecycleHistory?: LifecycleChange[];
}
/**
 * Operators only: the service's sandbox certificate and whether it still holds for its files as they are.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "CertificateSummary".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "CertificateSummary".
 */
export interface CertificateSummary {
  digest: string;
  certifiedAt: string;
  by: string;
  scenarios: number;
  passed: number;
  /**
   * Whether it holds for what the service depends on as it is now (and, where the hub trusts keys, is signed by one of them for exactly its content).
   */
  holds: boolean;
  /**
   * Why it does not hold: none, edited, unsigned or signed by a key not trusted, or what changed since.
   */
  problem?: string;
  /**
   * The id of the key that signed it (16 hex digits), as the certificate names it; trusted only when it holds where the hub has trusted keys.
   */
  signedBy?: string;
  /**
   * What it covers that changed since it was issued: each dependency by kind (definition, scenario, flow, subflow, config-node, provider-file, simulator, node-code, wasl, node-red) and name.
   */
  changed?: DependencyChange[];
}
/**
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "DependencyChange".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "DependencyChange".
 */
export interface DependencyChange {
  kind: string;
  name: string;
  /**
   * The file, relative to the repository, when it is one.
   */
  path?: string;
  change: 'changed' | 'added' | 'removed';
  /**
   * The version certified (wasl, Node-RED).
   */
  before?: string;
  /**
   * The version now.
   */
  after?: string;
}
/**
 * Operators only: the release gate did not start the service in this hub, and why (certificate: it does not hold, or is missing; node-type: its flow holds a node type outside the allow-list; flow: it has no flow to run). Its orders are refused with 503 service-not-certified.
 *
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "ServiceRefusal".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "ServiceRefusal".
 */
export interface ServiceRefusal {
  reason: 'certificate' | 'node-type' | 'flow';
  message: string;
  /**
   * When the gate refused it (the hub's start, or the reload that did).
   */
  at: string;
}
/**
 * This interface was referenced by `ServiceDefinition`'s JSON-Schema
 * via the `definition` "LifecycleChange".
 *
 * This interface was referenced by `Contracts`'s JSON-Schema
 * via the `definition` "LifecycleChange".
 */
export interface LifecycleChange {
  lifecycle: Lifecycle;
  at: string;
  by: string;
  /**
   * The certificate a promotion rested on.
   */
  digest?: string;
}

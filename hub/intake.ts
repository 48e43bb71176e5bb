/**
 * Intake: turns a channel's order request into a new order, or refuses it with the reason.
 * Structural validation (contracts/order.schema.json#/$defs/OrderRequest) has already run;
 * this checks what depends on the catalogue and the channel — and that the release gate started
 * the service in this hub (a refused one: 503 service-not-certified).
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Delivery, Order, OrderRequest, PaymentMethod, ServiceRefusal } from '../contracts/types';
import { acceptsOrders, computeFees, type Catalogue } from './catalogue';
import type { ChannelKey, WaslEnv } from './config';
import { WaslError, type FieldError } from './errors';
import { fieldError, fieldErrors } from './field-errors';
import { newOrderId } from './ids';
import { eventType } from './state-machine';

/** sha256 of the body with its keys sorted: the same request in another key order is the same request. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(stringify(body) ?? '').digest('hex');
}

/** Why a refused service takes no orders, as a channel reads it: no file, node or key names. */
const NOT_CERTIFIED: Record<ServiceRefusal['reason'], { detail: string; detailAr: string }> = {
  certificate: { detail: 'Its certificate does not hold for what it would run now, so the hub did not start it. Operators: certify and promote it again.', detailAr: 'شهادتها لا تطابق ما ستشغّله الآن، فلم تشغّلها المنصة. على المشغّلين اعتمادها وإطلاقها من جديد.' },
  'node-type': { detail: 'Its flow holds a node type the hub does not run, so the hub did not start it.', detailAr: 'يحوي مسارها نوع عقدة لا تشغّله المنصة، فلم تشغّلها.' },
  flow: { detail: 'It has no flow the hub can run, so the hub did not start it.', detailAr: 'ليس لها مسار تستطيع المنصة تشغيله، فلم تشغّلها.' },
};

export function permits(channel: ChannelKey, service: string): boolean {
  return channel.services.includes('*') || channel.services.includes(service);
}

export function buildOrder(req: OrderRequest, channel: ChannelKey, catalogue: Catalogue, env: WaslEnv, now = new Date()): Order {
  const entry = catalogue.get(req.service);
  if (!entry || (env === 'production' && !acceptsOrders(entry.definition, env))) {
    throw new WaslError('unknown-service', {
      errors: [fieldError('/service', 'is not a service in the catalogue', 'ليست خدمة في الدليل')],
    });
  }
  const def = entry.definition;
  if (!permits(channel, def.code)) throw new WaslError('service-not-permitted');
  if (def.lifecycle === 'retired') {
    throw new WaslError('service-not-offered', {
      detail: 'The service is retired.',
      detailAr: 'الخدمة متوقفة.',
      errors: [fieldError('/service', 'is retired', 'خدمة متوقفة')],
    });
  }
  // The release gate did not start it here (release-gate.ts): say why, in words for a channel.
  const refusal = catalogue.refusal(def.code);
  if (refusal) throw new WaslError('service-not-certified', NOT_CERTIFIED[refusal.reason]);
  const offered: FieldError[] = [];
  if (!def.channels.includes(channel.kind)) {
    offered.push(fieldError('/service', `is not offered to ${channel.kind} channels`, 'غير متاحة لهذا النوع من القنوات'));
  }
  const gov = req.centre?.governorate;
  if (gov && !def.governorates.includes('*') && !def.governorates.includes(gov)) {
    offered.push(fieldError('/centre/governorate', 'is not a governorate where the service is offered', 'الخدمة غير متاحة في هذه المحافظة'));
  }
  if (!def.delivery.includes(req.delivery.method)) {
    offered.push(fieldError('/delivery/method', `must be one of: ${def.delivery.join(', ')}`, `طريقة التسليم غير متاحة لهذه الخدمة: يجب أن تكون واحدة من: ${def.delivery.join('، ')}`));
  }
  if (offered.length) throw new WaslError('service-not-offered', { errors: offered });

  const invalid: FieldError[] = [];
  if (!entry.validateFields(req.fields)) invalid.push(...fieldErrors(entry.validateFields.errors, '/fields'));
  if (channel.kind === 'centre' && !req.centre) invalid.push(fieldError('/centre', 'is required from a service centre', 'مطلوب عند التقديم من مركز خدمة'));
  checkBirthDate(req.applicant.birthDate, '/applicant/birthDate', now, invalid);
  const beneficiaryRule = def.beneficiary ?? 'optional';
  if (req.beneficiary) {
    if (beneficiaryRule === 'none') invalid.push(fieldError('/beneficiary', 'is not allowed for this service', 'غير مسموح لهذه الخدمة'));
    checkBirthDate(req.beneficiary.person.birthDate, '/beneficiary/person/birthDate', now, invalid);
  } else if (beneficiaryRule === 'required') {
    invalid.push(fieldError('/beneficiary', 'is required for this service', 'مطلوب لهذه الخدمة'));
  }
  const delivery = deliveryFor(req, invalid);
  const paymentMethod = req.paymentMethod ?? defaultPayment(channel);
  if (paymentMethod === 'cash-at-counter' && channel.kind !== 'centre') {
    invalid.push(fieldError('/paymentMethod', 'cash is only taken at a service centre', 'الدفع النقدي في مراكز الخدمة فقط'));
  }
  if (invalid.length) throw new WaslError('validation-failed', { errors: invalid });
  const fulfilment = catalogue.fulfilment;
  const uncovered = fulfilment?.coverageError(delivery);
  if (uncovered) throw new WaslError('delivery-not-covered', { errors: [uncovered] });

  const fees = computeFees(def, channel.kind, delivery.method, fulfilment?.deliveryFee(delivery));
  // Paid from abroad: the total in the international provider's currency, at the rate of the day.
  if (fulfilment && paymentMethod === 'international-card' && fees.total > 0) fees.settlement = fulfilment.settlement(fees);
  const at = now.toISOString();
  const order: Order = {
    id: newOrderId(now),
    service: { code: def.code, version: def.version },
    channel: req.centre ? { id: channel.channel, kind: channel.kind, centre: req.centre } : { id: channel.channel, kind: channel.kind },
    applicant: req.applicant,
    fields: req.fields,
    fees,
    payment: { method: paymentMethod, status: fees.total === 0 ? 'not-required' : 'pending' },
    delivery,
    status: 'received',
    timeline: [{ seq: 1, at, event: eventType('received'), status: 'received', actor: { kind: 'channel', id: channel.channel } }],
    results: { documents: [], providerReferences: [] },
    createdAt: at,
    updatedAt: at,
  };
  if (req.beneficiary) order.beneficiary = req.beneficiary;
  if (req.language) order.language = req.language;
  return order;
}

function deliveryFor(req: OrderRequest, invalid: FieldError[]): Delivery {
  const d = req.delivery;
  if (d.method !== 'counter' || d.centre) return d;
  // Collecting at the counter means the submitting centre, unless another is named.
  if (req.centre) return { method: 'counter', centre: req.centre };
  invalid.push(fieldError('/delivery/centre', 'is required to collect at a counter', 'حدّد مركز الاستلام'));
  return d;
}

function defaultPayment(channel: ChannelKey): PaymentMethod {
  return channel.kind === 'expat-portal' ? 'international-card' : 'e-payment';
}

function checkBirthDate(date: string, pointer: string, now: Date, out: FieldError[]): void {
  const d = new Date(`${date}T00:00:00Z`);
  if (d.getTime() > now.getTime() || d.getUTCFullYear() < 1900) {
    out.push(fieldError(pointer, 'must be a past date after 1900', 'يجب أن يكون تاريخاً سابقاً وبعد عام 1900'));
  }
}

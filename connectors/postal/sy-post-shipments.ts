/**
 * Adapter `sy-post-shipments`: the national post's shipment API (sy-post) — a shipment per
 * order, domestic or international, its tracking status, and callbacks at each change of status
 * (in-transit, delivered, returned). Calls go through the provider's connector, read through the
 * types generated from its contract (contracts/providers/sy-post/types.ts).
 */
import type { ShipmentRequest, SyPostOperations } from '../../contracts/providers/sy-post/types';
import type { Order } from '../../contracts/types';
import { MalformedCallbackError, obj, str } from '../callback-body';
import { typed, type Connector, type KeyedCallContext, type TypedConnector } from '../connector';
import type { PostalAdapter, ShipmentEvent, ShipmentState } from './adapter';

const SHIPMENT_STATES = new Set<string>(['created', 'in-transit', 'delivered', 'returned'] satisfies ShipmentState[]);
const isState = (s: string | undefined): s is ShipmentState => s !== undefined && SHIPMENT_STATES.has(s);

export class SyPostShipmentAdapter implements PostalAdapter {
  private readonly api: TypedConnector<SyPostOperations>;

  constructor(
    readonly provider: string,
    connector: Connector,
  ) {
    this.api = typed<SyPostOperations>(connector);
  }

  async createShipment(order: Order, recipientName: string, callbackUrl: string, opts: KeyedCallContext, contents?: string): Promise<{ trackingNumber: string; fee?: number }> {
    const d = order.delivery;
    if (d.method !== 'domestic-post' && d.method !== 'international-post') throw new Error(`order ${order.id} is not delivered by post`);
    const address: ShipmentRequest['address'] =
      d.method === 'domestic-post' ? { governorate: d.governorate, city: d.city, line: d.address } : { country: d.country, city: d.city, line: d.address, ...(d.postalCode ? { postalCode: d.postalCode } : {}) };
    const phone = d.phone ?? order.applicant.phone;
    const body: ShipmentRequest = {
      reference: order.id,
      service: d.method === 'domestic-post' ? 'domestic' : 'international',
      recipient: { name: recipientName, ...(phone ? { phone } : {}) },
      address,
      contents: contents ?? order.service.code,
      weightGrams: 50,
      callbackUrl,
    };
    const o = await this.api.call('CreateShipment', { body }, { orderId: opts.orderId, idempotencyKey: opts.idempotencyKey });
    return { trackingNumber: o.trackingNumber, fee: o.fee };
  }

  async status(trackingNumber: string, orderId: string): Promise<ShipmentState> {
    const o = await this.api.call('GetShipment', { path: { trackingNumber } }, { orderId });
    // The contract's TrackingStatus is the desk's ShipmentState: a status the contract adds that the desk does not know does not compile.
    return o.status;
  }

  parseCallback(body: unknown): ShipmentEvent {
    const b = obj(body);
    const eventId = str(b.eventId);
    const status = str(b.status);
    const trackingNumber = str(b.trackingNumber);
    if (!eventId || !trackingNumber || !isState(status)) throw new MalformedCallbackError('eventId, trackingNumber and a known status are required');
    const e: ShipmentEvent = { eventId, status, trackingNumber };
    if (str(b.reference)) e.orderId = str(b.reference)!;
    if (str(b.at)) e.at = str(b.at)!;
    return e;
  }
}

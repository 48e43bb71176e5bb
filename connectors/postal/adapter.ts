/**
 * What the hub's postal desk (hub/payments/post.ts) asks of a post, whatever its API: a shipment
 * for an order delivered by post, its status, and its tracking callbacks parsed. Each post's
 * contract is spoken by one adapter beside this file, chosen by the `adapter` its provider file
 * names (connectors/adapters.ts).
 */
import type { Order } from '../../contracts/types';
import type { KeyedCallContext } from '../connector';

export type ShipmentState = 'created' | 'in-transit' | 'delivered' | 'returned';

/** A tracking callback, parsed: which shipment (and order) reached which state. */
export interface ShipmentEvent {
  eventId: string;
  status: ShipmentState;
  trackingNumber: string;
  orderId?: string;
  at?: string;
}

export interface PostalAdapter {
  readonly provider: string;
  /** Registers the order's shipment (domestic or international post) to `recipientName`; tracking callbacks to `callbackUrl`. */
  /** `contents`: what the label says the shipment holds (the service, and the documents' verification codes); the service code by default. */
  createShipment(order: Order, recipientName: string, callbackUrl: string, opts: KeyedCallContext, contents?: string): Promise<{ trackingNumber: string; fee?: number }>;
  status(trackingNumber: string, orderId: string): Promise<ShipmentState>;
  /** A verified callback's body; throws MalformedCallbackError (connectors/callback-body.ts) when it does not say which shipment reached which state. */
  parseCallback(body: unknown): ShipmentEvent;
}

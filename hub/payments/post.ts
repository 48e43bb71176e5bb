/**
 * The postal desk: a shipment per order delivered by post, created once (journaled step
 * `post.shipment`), the order then dispatched with its tracking number; the post's signed
 * callbacks (and a poll when none come) move it on — in transit (a note), delivered, returned to
 * sender (returned: the document then waits at the centre or is posted again). A repeated or
 * out-of-order status changes nothing.
 */
import { labelContents, verificationsOf } from '../documents/verification';
import type { DocumentStore } from '../documents/store';
import type { Actor, Order, Shipment } from '../../contracts/types';
import { WaslError, isWaslError } from '../errors';
import { ownRequest, runStepOnce } from '../journal';
import type { Logger } from '../log';
import type { CallbackRecord, OrderStore, StepJournal } from '../store';
import { ordersIn } from '../store/order-records';
import type { PostalAdapter, ShipmentEvent, ShipmentState } from '../../connectors/postal/adapter';

export interface PostDeskDeps {
  store: OrderStore & StepJournal;
  adapter: PostalAdapter;
  publicUrl: () => string;
  logger: Logger;
  now?: () => Date;
  /** The document store: the label carries the verification codes of the documents it holds. */
  documents?: DocumentStore;
}

const SYSTEM: Actor = { kind: 'system', id: 'post' };

export class PostDesk {
  private readonly now: () => Date;

  constructor(private readonly deps: PostDeskDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get provider(): string {
    return this.deps.adapter.provider;
  }

  /** Hands the document to the post; the order becomes dispatched (left as it is when it is not posted or is already). */
  async ship(orderId: string): Promise<Order> {
    const order = await this.deps.store.getOrder(orderId);
    if (!order) throw new WaslError('order-not-found');
    const method = order.delivery.method;
    if (method !== 'domestic-post' && method !== 'international-post') return order;
    if (order.status !== 'provider-completed' && order.status !== 'returned') return order;
    // A document posted again after a return is a new shipment.
    const step = order.status === 'returned' ? `post.shipment.${order.timeline.length}` : 'post.shipment';
    const recipient = order.beneficiary?.person.fullName.ar ?? order.applicant.fullName.ar;
    // The label says what it holds and how to check it: the documents' verification codes.
    const contents = labelContents(order.service.code, await verificationsOf(this.deps.documents, order));
    const { value } = await runStepOnce(this.deps.store, order.id, step, (c) =>
      this.deps.adapter.createShipment(order, recipient, `${this.deps.publicUrl()}/v1/callbacks/${this.provider}`, { idempotencyKey: c.idempotencyKey, orderId: order.id }, contents),
    );
    const shipment: Shipment = { provider: this.provider, trackingNumber: value.trackingNumber, status: 'created', updatedAt: this.now().toISOString() };
    if (value.fee !== undefined) shipment.fee = value.fee;
    return this.deps.store.transition(order.id, { to: 'dispatched', actor: SYSTEM, patch: { shipment } });
  }

  /** What a verified callback's event is recorded as (hub/payments/index.ts records it once). */
  static describe(event: ShipmentEvent): Omit<CallbackRecord, 'provider' | 'outcome' | 'receivedAt'> {
    return { eventId: event.eventId, type: `shipment.${event.status}`, reference: event.trackingNumber, ...(event.orderId ? { orderId: event.orderId } : {}), ...(event.at ? { occurredAt: event.at } : {}) };
  }

  /** Applies a verified callback's event. */
  onCallback(event: ShipmentEvent): Promise<string> {
    return this.apply(event, { kind: 'provider', id: this.provider });
  }

  private async apply(e: { status: ShipmentState; trackingNumber: string; orderId?: string }, actor: Actor): Promise<string> {
    const order = e.orderId ? await this.deps.store.getOrder(e.orderId) : undefined;
    if (!order) return 'unknown-order';
    if (!order.shipment && order.status === 'provider-completed' && ownRequest(await this.deps.store.journalGet(order.id, 'post.shipment'))) {
      // The post answered the hub's request, but the order has not yet recorded the shipment: send it again.
      throw new WaslError('callback-early', { headers: { 'retry-after': '2' } });
    }
    if (order.shipment?.trackingNumber !== e.trackingNumber) return 'unknown-shipment';
    if (order.status !== 'dispatched') return 'already-applied';
    const shipment: Shipment = { ...order.shipment, status: e.status, updatedAt: this.now().toISOString() };
    try {
      if (e.status === 'delivered') await this.deps.store.transition(order.id, { to: 'delivered', actor, patch: { shipment } });
      else if (e.status === 'returned') await this.deps.store.transition(order.id, { to: 'returned', actor, patch: { shipment }, reason: { code: 'returned-to-sender', message: { ar: 'أعيدت الشحنة إلى المرسل', en: 'Returned to sender' } } });
      else if (e.status === 'in-transit' && order.shipment.status !== 'in-transit') await this.deps.store.note(order.id, { event: 'shipment.in-transit', actor });
      else return 'already-applied';
    } catch (err) {
      if (isWaslError(err) && err.code === 'illegal-transition') return 'already-applied';
      throw err;
    }
    return 'applied';
  }

  /** One pass over dispatched orders whose post has said nothing for `pollAfterMs`. */
  async watch(pollAfterMs = 60_000): Promise<{ polled: number; moved: number }> {
    const out = { polled: 0, moved: 0 };
    const now = this.now().getTime();
    for await (const s of ordersIn(this.deps.store, 'dispatched')) {
      if (now - Date.parse(s.updatedAt) < pollAfterMs) continue;
      const order = await this.deps.store.getOrder(s.id);
      const tracking = order?.shipment?.trackingNumber;
      if (!order || !tracking || order.shipment?.provider !== this.provider) continue;
      try {
        out.polled++;
        const status = await this.deps.adapter.status(tracking, order.id);
        if (status === 'delivered' || status === 'returned') {
          if ((await this.apply({ status, trackingNumber: tracking, orderId: order.id }, { kind: 'system', id: 'post-poll' })) === 'applied') out.moved++;
        }
      } catch (err) {
        this.deps.logger.warn({ orderId: order.id, err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'shipment status check failed; next pass tries again');
      }
    }
    return out;
  }
}

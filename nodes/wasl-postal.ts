/**
 * wasl-postal: hands an order's document to the post, through the hub's postal desk
 * (hub/payments/post.ts) — the node holds no client of its own.
 *
 * - ship: for an order delivered by post (domestic or international) that the ministry has
 *   completed, or that came back to sender, the shipment is created once (journaled) and the
 *   order becomes dispatched; the message goes on with the order and `msg.shipment` (the
 *   tracking number). An order delivered at the counter or electronically passes through
 *   unchanged. The post's signed callbacks (or the hub's poll) then move the order to delivered
 *   or returned.
 *
 * It completes the bus delivery the message carries once the step is stored (unless told not
 * to). Errors end in `done(err)` with an own `code` (the desk's errors, and no-order, no-post,
 * bad-action), for a Catch node's msg.error.code.
 */
import type { Order } from '../contracts/types';
import { completeDelivery, hubContext } from '../hub/runtime/context';
import { cachedTranslator } from './lib/i18n';
import type { NodeAPI, NodeDef, NodeThis } from './lib/node-red';
import { DeskStepError, deskStepError, orderIdOf, settleStep } from './lib/desk-step';

export const POSTAL_ACTIONS = ['ship'] as const;
export type PostalAction = (typeof POSTAL_ACTIONS)[number];

export interface PostalDef extends NodeDef {
  /** ship (the only action for now). */
  action?: PostalAction;
  /** Completes the bus delivery once the step is stored (default true). */
  complete?: boolean;
}

const byPost = (order: Order): boolean => order.delivery?.method === 'domestic-post' || order.delivery?.method === 'international-post';

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);

  function WaslPostal(this: NodeThis, def: PostalDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const action = (def.action || 'ship') as PostalAction;
    const validAction = POSTAL_ACTIONS.includes(action);
    const completes = def.complete !== false;
    if (!validAction) node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-postal.status.bad-action') });

    node.on('input', (msg, send, done) => {
      settleStep((async () => {
        if (!validAction) throw new DeskStepError('bad-action', RED._('wasl-postal.errors.bad-action', { action: String(action) }));
        const id = orderIdOf(msg);
        if (!id) throw new DeskStepError('no-order', RED._('wasl-postal.errors.no-order'));
        const { post } = hubContext();
        if (!post) throw new DeskStepError('no-post', RED._('wasl-postal.errors.no-post'));
        let order: Order;
        try {
          order = await post.ship(id);
        } catch (err) {
          throw deskStepError(err);
        }
        msg.payload = order;
        if (order.shipment) msg.shipment = order.shipment;
        if (!byPost(order)) node.status({ fill: 'grey', shape: 'dot', text: t('wasl-postal.status.not-by-post') });
        else if (order.shipment) node.status({ fill: 'green', shape: 'dot', text: order.shipment.trackingNumber });
        else node.status({ fill: 'yellow', shape: 'ring', text: t('wasl-postal.status.not-shipped', { status: order.status }) });
        send(msg);
        if (completes) completeDelivery(msg);
      })(), node, done);
    });
  }

  RED.nodes.registerType('wasl-postal', WaslPostal);
}

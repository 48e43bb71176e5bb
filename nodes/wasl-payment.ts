/**
 * wasl-payment: the payment step of an order's flow, through the hub's payment desk
 * (hub/payments/desk.ts) — the node holds no client of its own.
 *
 * - request: asks for the order's payment (the invoice is created once, journaled), the order
 *   becomes awaiting-payment; the message goes on with the order and `msg.payment` (the link,
 *   amount, currency and deadline for the channel). The flow then ends: the provider's signed
 *   callback (or the hub's poll) moves the order to paid, and a second order-in node on
 *   `order.paid` carries on — the flow waits for the confirmation durably, holding no message.
 * - refund: gives a paid order's money back once it ended rejected, failed or cancelled; the
 *   order becomes refunded.
 *
 * Two outputs. The first: the step happened (payment requested — or already under way on a
 * redelivered event — or refunded); the bus delivery the message carries is then completed once
 * the step is stored (unless told not to). The second: nothing to wait for — the order needs no
 * payment (no fee, or cash taken at the counter) and is still `received`, or there is nothing to
 * refund; when the second output is wired the flow goes on from it (to the ministry step), else
 * the delivery is completed there too. Errors end in `done(err)` with an error whose own `code` a Catch node reads as
 * msg.error.code (the desks' connector and store errors, and no-order, no-payments, bad-action).
 */
import type { Order } from '../contracts/types';
import { completeDelivery, hubContext } from '../hub/runtime/context';
import { DeskStepError, deskStepError, orderIdOf, settleStep } from './lib/desk-step';
import { cachedTranslator } from './lib/i18n';
import type { NodeAPI, NodeDef, NodeMessage, NodeThis } from './lib/node-red';

export { DeskStepError, deskStepError, orderIdOf, settleStep } from './lib/desk-step';

export const PAYMENT_ACTIONS = ['request', 'refund'] as const;
export type PaymentAction = (typeof PAYMENT_ACTIONS)[number];
export const DEFAULT_REFUND_REASON = 'service-not-provided';

export interface PaymentDef extends NodeDef {
  /** request (default) or refund. */
  action?: PaymentAction;
  /** The refund's reason code; msg.reason.code overrides it. */
  reason?: string;
  /** Completes the bus delivery once the step is stored (default true). */
  complete?: boolean;
}

/** What the channel needs to send the citizen to pay. */
export function paymentOf(order: Order): { url: string; amount?: number; currency?: string; deadline?: string } | undefined {
  const p = order.payment;
  if (!p?.paymentUrl) return undefined;
  return { url: p.paymentUrl, ...(p.amount !== undefined ? { amount: p.amount } : {}), ...(p.currency ? { currency: p.currency } : {}), ...(p.deadline ? { deadline: p.deadline } : {}) };
}

function reasonOf(msg: NodeMessage, configured: string): string {
  const code = (msg.reason as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code ? code : configured;
}

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);

  function WaslPayment(this: NodeThis, def: PaymentDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const action = (def.action || 'request') as PaymentAction;
    const validAction = PAYMENT_ACTIONS.includes(action);
    const reason = String(def.reason || DEFAULT_REFUND_REASON);
    const completes = def.complete !== false;
    const secondWired = (node.wires?.[1] ?? []).length > 0;
    if (!validAction) node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-payment.status.bad-action') });

    node.on('input', (msg, send, done) => {
      settleStep((async () => {
        if (!validAction) throw new DeskStepError('bad-action', RED._('wasl-payment.errors.bad-action', { action: String(action) }));
        const id = orderIdOf(msg);
        if (!id) throw new DeskStepError('no-order', RED._('wasl-payment.errors.no-order'));
        const { payments } = hubContext();
        if (!payments) throw new DeskStepError('no-payments', RED._('wasl-payment.errors.no-payments'));
        let order: Order;
        try {
          order = action === 'refund' ? await payments.refund(id, reasonOf(msg, reason)) : await payments.request(id);
        } catch (err) {
          throw deskStepError(err);
        }
        msg.payload = order;
        if (action === 'request') {
          const payment = paymentOf(order);
          if (payment) msg.payment = payment;
          node.status({ fill: 'green', shape: 'dot', text: t(`wasl-payment.status.${requestOutcome(order)}`) });
        } else {
          const refunded = order.status === 'refunded';
          node.status({ fill: refunded ? 'green' : 'grey', shape: 'dot', text: t(refunded ? 'wasl-payment.status.refunded' : 'wasl-payment.status.nothing-to-refund') });
        }
        const nothingToDo = action === 'request' ? needsNoPayment(order) : order.status !== 'refunded';
        if (nothingToDo && secondWired) {
          // The flow goes on from the second output: the delivery is not this node's to complete.
          send([null, msg]);
          return;
        }
        send(nothingToDo ? [null, msg] : [msg, null]);
        if (completes) completeDelivery(msg);
      })(), node, done);
    });
  }

  RED.nodes.registerType('wasl-payment', WaslPayment);
}

/** No payment to wait for: no fee, or cash at the counter, and the order not yet gone further. */
export function needsNoPayment(order: Order): boolean {
  return order.status === 'received' && (order.payment?.status === 'not-required' || order.payment?.method === 'cash-at-counter');
}

/** Which status text a requested order shows. */
function requestOutcome(order: Order): 'awaiting-payment' | 'not-required' | 'at-counter' | 'paid' {
  const p = order.payment;
  if (p?.status === 'not-required') return 'not-required';
  if (p?.status === 'paid') return 'paid';
  if (order.status !== 'awaiting-payment' && p?.method === 'cash-at-counter') return 'at-counter';
  return 'awaiting-payment';
}

/**
 * wasl-order-in: starts its flow on the order events of one service (order.received,
 * order.paid…), taken from the bus through the hub's per-service dispatcher. The message is the
 * order (`msg.payload`, read from the store), with `msg.topic` the event type and `msg.wasl` the
 * event's routing. The bus acknowledges the event only once the flow has finished it
 * (hub/runtime/deliveries.ts): an uncaught error, a stop or the timeout make it retry.
 * `concurrency` bounds how many of the service's events its flows hold at once in this process:
 * with a ministry that answers in 100 ms, 16 in flight is at most 160 orders/s.
 * With `pattern` instead of `service`, it starts the flow for every service whose definition
 * names that pattern (service.json `flow.pattern`): one flow carries them all, each message with
 * its service's definition in `msg.service`.
 */
import { completeDelivery, DeadLetterError, takeOrder, deliveriesInFlight, dispatcherFor, FlowStoppedError, failOwnedBy, hubContext, installDeliveryHooks, trackDelivery, type Delivery } from '../hub/runtime/context';
import { cachedTranslator } from './lib/i18n';
import type { NodeAPI, NodeDef, NodeMessage, NodeThis } from './lib/node-red';

export interface OrderInDef extends NodeDef {
  service: string;
  /** Instead of one service: every service whose definition's flow.pattern is this. */
  pattern?: string;
  /** Event types, e.g. ["order.received"]; every type when empty. A comma-separated string is accepted. */
  types: string[] | string;
  /** Seconds the flow may hold a message; 300 when unset. */
  timeout?: number | string;
  /** Events of the service in the flow at once, in this process (the bus subscription's prefetch); 16 when unset. */
  concurrency?: number | string;
}

export const DEFAULT_TIMEOUT_S = 300;
export const DEFAULT_CONCURRENCY = 16;
export const MAX_CONCURRENCY = 1000;

export function parseConcurrency(v: OrderInDef['concurrency']): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_CONCURRENCY) : DEFAULT_CONCURRENCY;
}

export function parseTypes(types: OrderInDef['types'] | undefined): string[] {
  const list = Array.isArray(types) ? types : String(types ?? '').split(',');
  return list.map((t) => t.trim()).filter(Boolean);
}

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  installDeliveryHooks(RED.hooks ?? (require('@node-red/util') as { hooks: Parameters<typeof installDeliveryHooks>[0] }).hooks);

  function WaslOrderIn(this: NodeThis, def: OrderInDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const service = String(def.service ?? '').trim();
    const pattern = String(def.pattern ?? '').trim();
    const types = parseTypes(def.types);
    const timeoutMs = Math.max(1, Number(def.timeout) || DEFAULT_TIMEOUT_S) * 1000;
    const showStatus = () => {
      const n = deliveriesInFlight(node.id);
      node.status(n > 0 ? { fill: 'blue', shape: 'dot', text: t('wasl-order-in.status.in-flight', { count: n }) } : { fill: 'green', shape: 'ring', text: t('wasl-order-in.status.waiting') });
    };
    if (!service && !pattern) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-order-in.status.no-service') });
      node.error(RED._('wasl-order-in.errors.no-service'));
      return;
    }
    let ctx: ReturnType<typeof hubContext>;
    try {
      ctx = hubContext();
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-order-in.status.no-hub') });
      node.error(err);
      return;
    }
    const definitionOf = (code: string) => ctx.catalogue?.get(code)?.definition;
    const services = service ? [service] : (ctx.catalogue?.all() ?? []).filter((s) => s.definition.flow?.pattern === pattern).map((s) => s.definition.code);
    const wired = (node.wires ?? []).some((w) => w.length > 0);
    let attempts = 0;

    const run = async (d: Delivery, sole: boolean): Promise<void> => {
      // Read with the delivery's processed check when the bus could (PostgreSQL), else now.
      const order = takeOrder(d) ?? (await ctx.store.getOrder(d.message.orderId));
      if (!order) throw new DeadLetterError('order-not-found', `order ${d.message.orderId} is not in the store`);
      // Per attempt: after a broker connection loss the same event comes again while the flow
      // may still hold the copy it can no longer acknowledge; each is tracked apart.
      const delivery = `${d.message.eventId}:${node.id}:${++attempts}`;
      // The flow alone finishes this event: the step that completes it may record it processed.
      const consumer = d.consumer;
      const settlement = sole && consumer ? { consumer, eventId: d.message.eventId, recorded: () => void (d.recorded = true) } : undefined;
      const finished = trackDelivery(delivery, node.id, timeoutMs, settlement);
      const msg: NodeMessage = {
        _msgid: RED.util.generateId(),
        topic: d.message.type,
        payload: order,
        service: definitionOf(d.message.service),
        wasl: { orderId: d.message.orderId, service: d.message.service, type: d.message.type, eventId: d.message.eventId, attempt: d.attempt, redelivered: d.redelivered },
        _wasl: { delivery },
      };
      showStatus();
      if (wired) node.send(msg);
      else completeDelivery(msg);
      try {
        await finished;
      } finally {
        showStatus();
      }
    };

    const unregisters = services.map((code) => dispatcherFor(ctx.workers).register(code, { types, run, concurrency: parseConcurrency(def.concurrency) }));
    if (services.length === 0) node.warn(RED._('wasl-order-in.errors.no-service-of-pattern', { pattern }));
    showStatus();

    node.on('close', (_removed, done) => {
      for (const u of unregisters) u();
      // What the flow still holds goes back to the bus, to be delivered again.
      failOwnedBy(node.id, new FlowStoppedError());
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('wasl-order-in', WaslOrderIn);
}

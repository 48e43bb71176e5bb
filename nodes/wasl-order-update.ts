/**
 * wasl-order-update: moves the message's order to a status through the store's state machine,
 * with a reason and results (documents, provider references), in one transaction with its
 * timeline step, audit record and outbox event. Then it completes the bus delivery the message
 * carries (unless told not to), so the event is acknowledged, and sends the updated order on.
 *
 * A redelivered event may find the order already moved: when it is in the target status, or
 * has been (its timeline holds the step — the flow's later stages moved it on before this
 * event's acknowledgement got through), the step counts as done. Any other refusal (illegal-transition, order-not-found) goes
 * to `done(err)` with the typed error's code, so a Catch node gets it.
 *
 * Result data (msg.results.data) is checked by the hub against the service's declared result
 * schema before anything is stored: data that does not match, is too large or is not declared
 * goes to `done(err)` (result-mismatch, result-too-large, result-undeclared) with the JSON
 * pointers in msg.errors, never the values. A step to `rejected` after a provider's business
 * refusal (msg.wasl.error, as wasl-call leaves it) records the refusal for the citizen:
 * order.rejection, with its message in Arabic and English (hub/order-outcome.ts).
 *
 * Documents (msg.results.documents) that name a stored document — a `sha256`, or a reference that
 * is a document handle's id — are checked against the hub's document store first
 * (lib/order-documents.ts): it must exist, have been received for this order and hash to the
 * entry's sha256; otherwise `done(err)` with a DocumentCheckError (document-not-found,
 * document-hash-mismatch, document-hash-missing, document-other-order, document-store-missing)
 * naming the entry's index, and nothing is stored. The hashes then reach the order, its timeline
 * step's audit record (hub/audit/entries.ts) and the outbox event's order.
 */
import type { OrderStatus, Reason, Rejection, Results } from '../contracts/types';
import { checkResultData, completeDelivery, hubContext, ORDER_STATUSES, rejectionFor, settlementOf, verificationsOf, type DocumentInfo } from '../hub/runtime/context';
import type { NodeAPI, NodeDef, NodeMessage, NodeThis } from './lib/node-red';
import { checkOrderDocuments, type OrderDocumentFailure } from './lib/order-documents';

export interface OrderUpdateDef extends NodeDef {
  status: OrderStatus;
  /** Reason code recorded on the timeline; msg.reason ({code, message}) overrides it. */
  reason?: string;
  /** Completes the bus delivery once stored (default true). */
  complete?: boolean;
}

export class OrderUpdateError extends Error {
  constructor(readonly code: 'no-order' | 'bad-status', message: string) {
    super(message);
    this.name = 'OrderUpdateError';
  }
}

type OutcomeErrorCode = 'result-undeclared' | 'result-too-large' | 'result-mismatch';

export class OrderOutcomeError extends Error {
  constructor(readonly code: OutcomeErrorCode, message: string) {
    super(message);
    this.name = 'OrderOutcomeError';
  }
}

/** A result document the hub cannot vouch for: a flow cannot give an order a document wasl did not receive for it. */
export class DocumentCheckError extends Error {
  constructor(
    readonly code: OrderDocumentFailure,
    message: string,
    /** The entry's index in msg.results.documents. */
    readonly index: number,
  ) {
    super(message);
    this.name = 'DocumentCheckError';
  }
}

function orderIdOf(msg: NodeMessage): string | undefined {
  const fromEvent = msg.wasl?.orderId;
  if (typeof fromEvent === 'string') return fromEvent;
  const p = msg.payload as { id?: unknown } | undefined;
  return typeof p?.id === 'string' ? p.id : undefined;
}

export default function register(RED: NodeAPI): void {
  function WaslOrderUpdate(this: NodeThis, def: OrderUpdateDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const to = def.status;
    const completes = def.complete !== false;
    const validStatus = ORDER_STATUSES.includes(to);
    if (!validStatus) node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-order-update.status.bad-status') });

    node.on('input', (msg, send, done) => {
      void (async () => {
        if (!validStatus) throw new OrderUpdateError('bad-status', RED._('wasl-order-update.errors.bad-status', { status: String(to) }));
        const id = orderIdOf(msg);
        if (!id) throw new OrderUpdateError('no-order', RED._('wasl-order-update.errors.no-order'));
        const ctx = hubContext();
        const { store } = ctx;
        const reason: Reason | undefined = (msg.reason as Reason | undefined) ?? (def.reason ? { code: def.reason } : undefined);
        const results = msg.results as Results | undefined;
        // The service's code: from its definition (order-in sets msg.service), else from the stored order.
        const serviceCode = async () => (msg.service as { code?: unknown } | undefined)?.code ?? (await store.getOrder(id))?.service.code;
        if (results?.data !== undefined) {
          const code = await serviceCode();
          const check = checkResultData(typeof code === 'string' ? ctx.catalogue?.get(code) : undefined, results.data);
          if (!check.ok) {
            msg.errors = check.errors;
            const text = check.errors.slice(0, 5).map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ');
            throw new OrderOutcomeError(check.code, `${RED._('wasl-order-update.errors.result', { code: check.code })}: ${text}`);
          }
        }
        const known = new Map<string, DocumentInfo>();
        const problem = await checkOrderDocuments(ctx.documents, id, results?.documents, known);
        if (problem) throw new DocumentCheckError(problem.code, RED._(`wasl-order-update.errors.${problem.code}`, { index: String(problem.index) }), problem.index);
        let rejection: Rejection | undefined;
        const failure = (msg.wasl as { error?: { code?: unknown; provider?: unknown; reason?: unknown; providerCode?: unknown; text?: unknown } } | undefined)?.error;
        if (to === 'rejected' && failure?.code === 'business-refusal') {
          const code = await serviceCode();
          rejection = rejectionFor(typeof code === 'string' ? ctx.catalogue?.get(code)?.definition : undefined, failure);
        }
        const patch = { ...(results ? { results } : {}), ...(rejection ? { rejection } : {}) };
        const actor = { kind: 'system' as const, id: `flow:${msg.wasl?.service ?? node.z ?? node.id}`.slice(0, 64) };
        let order;
        try {
          // The step that completes the event records it processed in its own transaction (where the store can).
          const settles = completes ? settlementOf(msg) : undefined;
          order = await store.transition(id, { to, actor, ...(reason ? { reason } : {}), ...(results || rejection ? { patch } : {}), ...(settles ? { settles } : {}) });
        } catch (err) {
          // Redelivered after the step was stored: nothing more to do.
          const current = (err as { code?: string }).code === 'illegal-transition' ? await store.getOrder(id) : undefined;
          if (!current || !current.timeline.some((step) => step.status === to)) throw err;
          order = current;
        }
        // The documents it stores are verifiable from now on: their codes issued (the same code the
        // counter's print and the post's label carry later; issuing again writes nothing).
        if (results?.documents?.length) msg.verifications = await verificationsOf(ctx.documents, order, { known });
        msg.payload = order;
        node.status({ fill: 'green', shape: 'dot', text: to });
        send(msg);
        if (completes) completeDelivery(msg);
      })().then(
        () => done(),
        (err: unknown) => {
          node.status({ fill: 'red', shape: 'ring', text: String((err as { code?: unknown }).code ?? 'error') });
          done(err);
        },
      );
    });
  }

  RED.nodes.registerType('wasl-order-update', WaslOrderUpdate);
}
